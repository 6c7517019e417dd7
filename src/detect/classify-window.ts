/**
 * Class probabilities for a window of reflectance bands, quantised to uint8 planes (0–255 for
 * 0–1) exactly as the probability caches store them.
 */
import * as tf from "@tensorflow/tfjs";
import type { Classifier } from "../classify/classifier.js";
import type { ReflectanceBands } from "../ingest/sensor-profile.js";
import type { ProbabilityPlanes } from "./change-rules.js";
import { ConfigError } from "../core/errors.js";

/** Reflectance fed for unobserved pixels (about the median of GID's 8-bit DN / 255). */
export const UNOBSERVED_FILL = 0.35;

/**
 * Runs the classifier over a window. `bands` holds reflectance per band name (NaN where
 * unobserved); NaN pixels are filled with {@link UNOBSERVED_FILL} and must be masked by the caller. Width and height must be
 * multiples of the model's pyramid cell. Tensors are disposed before returning.
 */
export function classifyWindow(
  classifier: Classifier,
  bands: ReflectanceBands,
  width: number,
  height: number,
  profileId: string,
): ProbabilityPlanes {
  const n = width * height;
  const order = classifier.meta.features.bands;
  const planar = new Float32Array(order.length * n);
  order.forEach((role, k) => {
    const src = bands[role];
    if (!src) {
      throw new ConfigError(
        `sensor profile ${profileId}`,
        `has no ${role} band, which model ${classifier.meta.modelId} reads (${order.join(", ")})`,
      );
    }
    // Unobserved pixels take a constant mid-range reflectance rather than 0, so the context
    // features of pixels near a scene edge are not dragged towards black (which reads as water).
    // A constant, not a per-window statistic, keeps results independent of the window layout.
    const dst = planar.subarray(k * n, (k + 1) * n);
    for (let i = 0; i < n; i++) {
      const v = src[i]!;
      dst[i] = v === v ? v : UNOBSERVED_FILL;
    }
  });
  const classes = classifier.classes;
  const quantised = tf.tidy(() => {
    const input = tf.tensor3d(planar, [order.length, height, width]);
    const p = classifier.probabilities(input);
    // [pixels, classes] → [classes, pixels] as 0..255 integers.
    return tf.transpose(tf.round(tf.mul(p, 255))).asType("int32");
  });
  const data = quantised.dataSync() as Int32Array;
  quantised.dispose();
  const planes = classes.map((_, c) => Uint8Array.from(data.subarray(c * n, (c + 1) * n)));
  return { width, height, classIds: classes, planes };
}
