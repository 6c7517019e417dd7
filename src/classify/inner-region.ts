/**
 * Inner regions of a window (see features.ts, firstLayerPreActivation's `inner`): which pixels to
 * compute for the pixels a caller needs, cutting them out of a planar array, and classifying them.
 */
import * as tf from "@tensorflow/tfjs";
import type { PixelWindow } from "../core/raster-types.js";
import { withScratch } from "../core/scratch-pool.js";
import type { Classifier } from "./classifier.js";
import { innerRegionGeometry, innerSplitLevel, type FeatureSpec } from "./features.js";

/**
 * The region computed for `need` (a `width × height` window's pixels): grown by the feature spec's inner-region margin, snapped to its
 * grid and clipped to the window; null when that is the whole window or the model's pyramid is
 * too shallow for an inner region.
 */
export function innerRegionFor(
  spec: FeatureSpec,
  need: PixelWindow,
  width: number,
  height: number,
): PixelWindow | null {
  if (innerSplitLevel(spec) === 0) return null;
  const { margin, align } = innerRegionGeometry(spec);
  const down = (v: number): number => Math.max(0, Math.floor((v - margin) / align) * align);
  const up = (v: number, max: number): number => Math.min(max, Math.ceil((v + margin) / align) * align);
  const r = { x0: down(need.x0), y0: down(need.y0), x1: up(need.x1, width), y1: up(need.y1, height) };
  return r.x0 === 0 && r.y0 === 0 && r.x1 === width && r.y1 === height ? null : r;
}

/**
 * Copies a region of a planar [bands, height, width] array (typed-array row copies), into `out`
 * (`bands × region pixels` long) when given.
 */
export function cutPlanar(
  planar: Float32Array,
  bands: number,
  width: number,
  height: number,
  r: PixelWindow,
  out: Float32Array = new Float32Array(bands * (r.x1 - r.x0) * (r.y1 - r.y0)),
): Float32Array {
  const rw = r.x1 - r.x0;
  const rh = r.y1 - r.y0;
  for (let b = 0; b < bands; b++) {
    for (let y = 0; y < rh; y++) {
      const from = b * width * height + (r.y0 + y) * width + r.x0;
      out.set(planar.subarray(from, from + rw), b * rw * rh + y * rw);
    }
  }
  return out;
}

/**
 * Class probabilities of `region` of a window ([region pixels, classes], row-major), or of the
 * whole window when `region` is null. The region's own planar input is cut on the JavaScript side
 * (tf.slice of a large tensor is slow on wasm) from `planar`, the window's values, when the caller
 * has them, else from a read-back of `window`. Tidy: the caller owns the result.
 */
export function regionProbabilities(
  classifier: Classifier,
  window: tf.Tensor3D,
  region: PixelWindow | null,
  planar?: Float32Array,
): tf.Tensor2D {
  if (!region) return classifier.probabilities(window);
  const [bands, height, width] = window.shape;
  const values = planar ?? (window.dataSync() as Float32Array);
  const [rw, rh] = [region.x1 - region.x0, region.y1 - region.y0];
  // The cut is a temporary: its tensor (which the cpu backend builds on the array itself) is
  // disposed when the tidy ends, before the array goes back to the pool.
  return withScratch((scratch) =>
    tf.tidy(() =>
      classifier.probabilities(window, {
        planar: tf.tensor3d(
          cutPlanar(values, bands, width, height, region, scratch.take(Float32Array, bands * rw * rh)),
          [bands, rh, rw],
        ),
        y0: region.y0,
        x0: region.x0,
      }),
    ),
  );
}
