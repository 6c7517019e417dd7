/**
 * Warming a worker process before it takes jobs. The first window a fresh process classifies costs
 * two to three times a later one (measured on the demo: 4.3 s of CPU against 1.6 s): the wasm
 * heap grows and its pages are touched for the first time, and V8 compiles the kernels. A worker
 * pays that once, at start, instead of inside the first job of every run it joins.
 */
import * as tf from "@tensorflow/tfjs";
import { Classifier } from "./classifier.js";
import { featureHalo, pyramidCell } from "./features.js";
import { innerRegionFor, regionProbabilities } from "./inner-region.js";

/**
 * Classifies one synthetic window of `coreSide` pixels (plus the model's halo) the way detection
 * does, twice, and frees everything. Returns the milliseconds it took.
 */
export async function warmUpClassifier(modelDir: string, coreSide: number): Promise<number> {
  const t0 = performance.now();
  const classifier = await Classifier.load(modelDir);
  try {
    const spec = classifier.meta.features;
    const cell = pyramidCell(spec);
    const halo = featureHalo(spec);
    const core = Math.ceil(coreSide / cell) * cell;
    const side = core + 2 * halo;
    const bands = spec.bands.length;
    // Smooth, field-like values rather than noise: the same kernels, realistic magnitudes.
    const planar = new Float32Array(bands * side * side);
    for (let b = 0; b < bands; b++)
      for (let y = 0; y < side; y++)
        for (let x = 0; x < side; x++)
          planar[(b * side + y) * side + x] = 0.3 + 0.1 * Math.sin((x >> 5) + b) * Math.cos((y >> 5) - b);
    const region = innerRegionFor(spec, { x0: halo, y0: halo, x1: halo + core, y1: halo + core }, side, side);
    for (let i = 0; i < 2; i++) {
      tf.tidy(() => {
        regionProbabilities(classifier, tf.tensor3d(planar, [bands, side, side]), region, planar).dataSync();
      });
    }
  } finally {
    classifier.dispose();
  }
  return performance.now() - t0;
}
