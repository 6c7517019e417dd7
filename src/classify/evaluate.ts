/**
 * Accuracy of a classifier on labelled images, over every labelled pixel: grouped classes (the
 * accuracy goal) and fine classes (where the label names exactly one class).
 */
import * as tf from "@tensorflow/tfjs";
import { LAND_COVER_GROUP_IDS, landCoverGroupOf } from "../core/land-cover.js";
import type { Classifier } from "./classifier.js";
import { imageTensor, type LabelledImage } from "./labelled-image.js";
import { ConfusionMatrix, type AccuracyReport } from "./metrics.js";

export interface EvaluationResult {
  /** Over the grouped classes (LAND_COVER_GROUP_IDS), all labelled pixels. */
  readonly grouped: AccuracyReport;
  /** Over the model's classes, pixels whose label allows exactly one class. */
  readonly fine: AccuracyReport;
  readonly images: number;
}

/** Index of the single set bit of `m`, or 255 when zero or several bits are set. */
function singleBit(m: number): number {
  return m !== 0 && (m & (m - 1)) === 0 ? 31 - Math.clz32(m) : 255;
}

export function evaluateClassifier(
  classifier: Classifier,
  images: readonly LabelledImage[],
  onImage?: (done: number, total: number) => void,
): EvaluationResult {
  const groupIds = classifier.classes.map((c) =>
    LAND_COVER_GROUP_IDS.indexOf(landCoverGroupOf(c) ?? "other"),
  );
  const grouped = new ConfusionMatrix([...LAND_COVER_GROUP_IDS]);
  const fine = new ConfusionMatrix([...classifier.classes]);
  const bands = classifier.meta.features.bands.length;
  images.forEach((img, k) => {
    const pred = tf.tidy(() => tf.argMax(classifier.probabilities(imageTensor(img, bands)), 1));
    const p = pred.dataSync() as Int32Array;
    pred.dispose();
    const pg = new Uint8Array(p.length);
    const refFine = new Uint8Array(p.length);
    for (let i = 0; i < p.length; i++) {
      pg[i] = groupIds[p[i] as number] as number;
      refFine[i] = singleBit(img.allowed[i] as number);
    }
    grouped.add(img.group, pg);
    fine.add(refFine, p);
    onImage?.(k + 1, images.length);
  });
  return { grouped: grouped.report(), fine: fine.report(), images: images.length };
}
