/** Small seeded classifiers and images for the classifier's unit tests. */
import * as tf from "@tensorflow/tfjs";
import { Classifier, CLASSIFIER_FORMAT } from "../../src/classify/classifier.js";
import { featureCount, type FeatureSpec } from "../../src/classify/features.js";
import { buildHead } from "../../src/classify/head.js";
import { seededRandom } from "../../src/classify/random.js";
import type { LandCoverId } from "../../src/core/land-cover.js";

export const SMALL_SPEC: FeatureSpec = {
  bands: ["red", "green", "blue"],
  pyramidLevels: 2,
  edges: true,
  patchIndices: true,
  patchSize: 3,
  edgeScale: 1,
};
export const SMALL_CLASSES: LandCoverId[] = ["cropland", "trees", "water", "built_up"];

/** A classifier with seeded random weights (untrained): deterministic, for plumbing tests. */
export function randomClassifier(seed = 7, spec: FeatureSpec = SMALL_SPEC, hidden = [8, 6]): Classifier {
  const model = buildHead(featureCount(spec), SMALL_CLASSES.length, { hidden, seed });
  return Classifier.fromModel(
    {
      format: CLASSIFIER_FORMAT,
      modelId: `test-random-${seed}`,
      classes: SMALL_CLASSES,
      features: spec,
      input: { groundResolutionM: 4, description: "test" },
    },
    model,
  );
}

/** Planar bands × height × width of seeded uniform values in [lo, hi). */
export function randomPlanar(
  bands: number,
  height: number,
  width: number,
  seed: number,
  lo = 0,
  hi = 1,
): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: bands * height * width }, () => lo + (hi - lo) * r());
}

export function tensorCount(): number {
  return tf.memory().numTensors;
}
