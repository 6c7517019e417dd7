/**
 * Class probabilities for a window of reflectance bands, quantised to uint8 planes (0–255 for
 * 0–1) exactly as the probability caches store them.
 */
import * as tf from "@tensorflow/tfjs";
import type { Classifier } from "../classify/classifier.js";
import { innerRegionFor, regionProbabilities } from "../classify/inner-region.js";
import type { PixelWindow } from "../core/raster-types.js";
import type { ReflectanceBands } from "../ingest/sensor-profile.js";
import type { ProbabilityPlanes } from "./change-rules.js";
import { ConfigError } from "../core/errors.js";
import { ScratchScope } from "../core/scratch-pool.js";

/** Reflectance fed for unobserved pixels (about the median of GID's 8-bit DN / 255). */
export const UNOBSERVED_FILL = 0.35;

/** `src` into `dst` with NaN replaced by {@link UNOBSERVED_FILL} (a function of its own: V8 compiles it once). */
function fillUnobserved(src: Float32Array, dst: Float32Array): void {
  for (let i = 0; i < dst.length; i++) {
    const v = src[i]!;
    dst[i] = v === v ? v : UNOBSERVED_FILL;
  }
}

/**
 * Runs the classifier over a window. `bands` holds reflectance per band name (NaN where
 * unobserved); NaN pixels are filled with {@link UNOBSERVED_FILL} and must be masked by the
 * caller. Width and height must be multiples of the model's pyramid cell.
 *
 * `need`, when given, is the part of the window whose probabilities the caller uses (a window's
 * core plus what its morphology reaches): the whole window still feeds the coarse context, but
 * per-pixel work runs only on `need` plus the classifier's inner-region margin, and planes are 0
 * outside that region. Tensors are disposed before returning. With `planeScratch` the planes are
 * borrowed from it (valid until the caller releases it).
 */
export function classifyWindow(
  classifier: Classifier,
  bands: ReflectanceBands,
  width: number,
  height: number,
  profileId: string,
  need?: PixelWindow,
  planeScratch?: ScratchScope,
): ProbabilityPlanes {
  const n = width * height;
  const order = classifier.meta.features.bands;
  // The planar input is a temporary: tensors keep their own copy on wasm (the cpu backend builds
  // on the array itself), and every tensor is disposed before the array goes back to the pool.
  const scratch = new ScratchScope();
  try {
    const planar = scratch.take(Float32Array, order.length * n);
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
      fillUnobserved(src, planar.subarray(k * n, (k + 1) * n));
    });
    const region = need ? innerRegionFor(classifier.meta.features, need, width, height) : null;
    const [rw, rh] = region ? [region.x1 - region.x0, region.y1 - region.y0] : [width, height];
    const rn = rw * rh;
    const classes = classifier.classes;
    const quantised = tf.tidy(() => {
      const input = tf.tensor3d(planar, [order.length, height, width]);
      const p = regionProbabilities(classifier, input, region, planar);
      // [pixels, classes] → [classes, pixels] as 0..255 integers.
      return tf.transpose(tf.round(tf.mul(p, 255))).asType("int32");
    });
    const data = quantised.dataSync() as Int32Array;
    quantised.dispose();
    const planes = classes.map((_, c) => {
      const src = data.subarray(c * rn, (c + 1) * rn);
      const plane = planeScratch ? planeScratch.take(Uint8Array, n) : new Uint8Array(n);
      if (!region) {
        plane.set(src);
        return plane;
      }
      for (let y = 0; y < rh; y++)
        plane.set(src.subarray(y * rw, (y + 1) * rw), (region.y0 + y) * width + region.x0);
      return plane;
    });
    return { width, height, classIds: classes, planes };
  } finally {
    scratch.release();
  }
}
