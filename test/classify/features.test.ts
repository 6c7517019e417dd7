import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/classify/backend.js";
import {
  disposeSplitFirstLayer,
  explicitFeatures,
  featureCount,
  featureNames,
  firstLayerPreActivation,
  indexPairs,
  innerRegionGeometry,
  pyramidCell,
  splitFirstLayer,
  type FeatureSpec,
} from "../../src/classify/features.js";
import { randomPlanar, SMALL_SPEC } from "./helpers.js";

beforeAll(async () => {
  await useBackend("wasm");
});

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
}

describe("feature extraction", () => {
  it("names every feature and derives indices only from bands present", () => {
    expect(featureNames(SMALL_SPEC)).toHaveLength(featureCount(SMALL_SPEC));
    expect(indexPairs(["red", "green", "blue"]).map((p) => p.name)).toEqual(["gr", "br"]);
    expect(indexPairs(["red", "green", "blue", "nir"]).map((p) => p.name)).toEqual([
      "ndvi",
      "ndwi",
      "gr",
      "br",
    ]);
    expect(indexPairs(["blue", "green", "red", "nir", "swir1", "swir2"]).map((p) => p.name)).toContain(
      "mndwi",
    );
  });

  for (const spec of [
    SMALL_SPEC,
    {
      bands: ["red", "green", "blue", "nir"],
      pyramidLevels: 3,
      edges: false,
      patchIndices: true,
      patchSize: 3,
      edgeScale: 1,
    } satisfies FeatureSpec,
    {
      bands: ["red", "green", "blue"],
      pyramidLevels: 3,
      edges: true,
      patchIndices: false,
      patchSize: 3,
      edgeScale: 1,
    } satisfies FeatureSpec,
    {
      bands: ["red", "green", "blue"],
      pyramidLevels: 3,
      edges: true,
      patchIndices: true,
      patchSize: 1,
      edgeScale: 2,
    } satisfies FeatureSpec,
  ] as FeatureSpec[]) {
    it(`fast first layer equals explicit features × kernel (${spec.bands.join("")}, ${spec.pyramidLevels} levels, ${spec.patchSize}×${spec.patchSize} patch${spec.patchIndices ? " with indices" : ""}, edges ×${spec.edgeScale})`, () => {
      const before = tf.memory().numTensors;
      const [h, w] = [24, 40];
      const x = tf.tensor3d(randomPlanar(spec.bands.length, h, w, 3), [spec.bands.length, h, w]);
      const kernel = tf.randomNormal([featureCount(spec), 12], 0, 0.2, "float32", 11) as tf.Tensor2D;
      const bias = tf.randomNormal([12], 0, 0.2, "float32", 12) as tf.Tensor1D;
      const split = splitFirstLayer(kernel, bias, spec);
      const ref = tf.tidy(() => tf.add(tf.matMul(explicitFeatures(x, spec), kernel), bias));
      const fast = tf.tidy(() => firstLayerPreActivation(x, spec, split).reshape([h * w, 12]));
      // Relative to the largest value: colour indices of near-black pixels reach hundreds.
      const scale = tf.tidy(() => tf.max(tf.abs(ref)).dataSync()[0] as number);
      expect(maxAbsDiff(ref, fast) / (1 + scale)).toBeLessThan(1e-6);
      tf.dispose([x, kernel, bias, ref, fast]);
      disposeSplitFirstLayer(split);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  for (const spec of [
    { ...SMALL_SPEC, pyramidLevels: 5 },
    { ...SMALL_SPEC, pyramidLevels: 6, patchSize: 1, edgeScale: 2 },
  ] as FeatureSpec[]) {
    it(`an inner region's pre-activation equals the whole window's beyond the margin (${spec.pyramidLevels} levels, ${spec.patchSize}×${spec.patchSize} patch, edges ×${spec.edgeScale})`, () => {
      const before = tf.memory().numTensors;
      const cell = pyramidCell(spec);
      const { margin, align } = innerRegionGeometry(spec);
      expect(margin).toBeGreaterThan(0);
      // A window of 4 × 3 cells with a core 2 cells wide in the middle (the layout of a window
      // read with its halo), and the inner region = core + margin.
      const [h, w] = [3 * cell, 4 * cell];
      const data = randomPlanar(spec.bands.length, h, w, 21);
      const x = tf.tensor3d(data, [spec.bands.length, h, w]);
      const core = { y0: cell, x0: cell, y1: 2 * cell, x1: 3 * cell };
      const [y0, x0] = [core.y0 - margin, core.x0 - margin];
      const [ih, iw] = [core.y1 - core.y0 + 2 * margin, core.x1 - core.x0 + 2 * margin];
      expect([y0, x0, ih, iw].every((v) => v % align === 0)).toBe(true);
      const innerData = new Float32Array(spec.bands.length * ih * iw);
      for (let b = 0; b < spec.bands.length; b++)
        for (let y = 0; y < ih; y++) {
          const from = b * h * w + (y0 + y) * w + x0;
          innerData.set(data.subarray(from, from + iw), b * ih * iw + y * iw);
        }
      const inner = { planar: tf.tensor3d(innerData, [spec.bands.length, ih, iw]), y0, x0 };
      const kernel = tf.randomNormal([featureCount(spec), 12], 0, 0.2, "float32", 11) as tf.Tensor2D;
      const bias = tf.randomNormal([12], 0, 0.2, "float32", 12) as tf.Tensor1D;
      const split = splitFirstLayer(kernel, bias, spec);
      const whole = firstLayerPreActivation(x, spec, split);
      const part = firstLayerPreActivation(x, spec, split, inner);
      expect(part.shape).toEqual([1, ih, iw, 12]);
      const ch = core.y1 - core.y0;
      const cw = core.x1 - core.x0;
      const a = tf.slice(whole, [0, core.y0, core.x0, 0], [1, ch, cw, 12]);
      const b = tf.slice(part, [0, margin, margin, 0], [1, ch, cw, 12]);
      const scale = tf.tidy(() => tf.max(tf.abs(a)).dataSync()[0] as number);
      expect(maxAbsDiff(a, b) / (1 + scale)).toBeLessThan(1e-5);
      // Not vacuous: at the inner region's very border the values do differ.
      const edgeA = tf.slice(whole, [0, y0, x0, 0], [1, 1, iw, 12]);
      const edgeB = tf.slice(part, [0, 0, 0, 0], [1, 1, iw, 12]);
      expect(maxAbsDiff(edgeA, edgeB)).toBeGreaterThan(1e-4);
      tf.dispose([x, inner.planar, kernel, bias, whole, part, a, b, edgeA, edgeB]);
      disposeSplitFirstLayer(split);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it("computes the documented features: bands, colour indices, cell means and standard deviations", () => {
    // A 2×2 checkerboard of two colours: every 2×2 cell (level 1) and coarser cell has the same
    // mean and standard deviation, so interior pixels have exact expected values.
    const [h, w] = [8, 8];
    const c1 = [0.2, 0.5, 0.1];
    const c2 = [0.4, 0.3, 0.3];
    const data = new Float32Array(3 * h * w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const c = (x + y) % 2 === 0 ? c1 : c2;
        for (let b = 0; b < 3; b++) data[b * h * w + y * w + x] = c[b] as number;
      }
    }
    const x = tf.tensor3d(data, [3, h, w]);
    const f = explicitFeatures(x, SMALL_SPEC);
    const names = featureNames(SMALL_SPEC);
    const row = f.arraySync()[3 * w + 2] as number[]; // pixel (x 2, y 3): colour c2
    const at = (name: string): number => row[names.indexOf(name)] as number;
    const [r, g, b] = c2 as [number, number, number];
    expect(at("red[0,0]")).toBeCloseTo(r, 6);
    expect(at("blue[0,0]")).toBeCloseTo(b, 6);
    expect(at("red[0,1]")).toBeCloseTo(c1[0] as number, 6);
    expect(at("gr[0,0]")).toBeCloseTo((g - r) / (g + r + 1e-3), 5);
    expect(at("br[0,0]")).toBeCloseTo((b - r) / (b + r + 1e-3), 5);
    for (const k of [1, 2]) {
      const mean = [0.3, 0.4, 0.2];
      expect(at(`mean_red@${k}`)).toBeCloseTo(mean[0] as number, 5);
      expect(at(`mean_green@${k}`)).toBeCloseTo(mean[1] as number, 5);
      expect(at(`std_red@${k}`)).toBeCloseTo(Math.sqrt(0.01 + 1e-6), 4);
      expect(at(`gr@${k}`)).toBeCloseTo((0.4 - 0.3) / (0.7 + 1e-3), 5);
    }
    tf.dispose([x, f]);
  });

  it("gathers the same rows when given pixel indices", () => {
    const x = tf.tensor3d(randomPlanar(3, 16, 16, 5), [3, 16, 16]);
    const all = explicitFeatures(x, SMALL_SPEC);
    const idx = tf.tensor1d([0, 17, 255, 100], "int32");
    const some = explicitFeatures(x, SMALL_SPEC, idx);
    expect(maxAbsDiff(tf.gather(all, idx), some)).toBe(0);
    tf.dispose([x, all, idx, some]);
  });

  it("is window-local: a window's core, read with the halo, matches the whole image", () => {
    const spec = SMALL_SPEC;
    const cell = pyramidCell(spec);
    const [h, w] = [64, 64];
    const data = randomPlanar(3, h, w, 9);
    const whole = tf.tensor3d(data, [3, h, w]);
    const full = explicitFeatures(whole, spec).reshape([h, w, -1]);
    // Window rows 16..48 (core 24..40) aligned to the cell: features of the core rows must match.
    const win = tf.slice(whole, [0, 16, 0], [3, 32, w]) as tf.Tensor3D;
    const part = explicitFeatures(win, spec).reshape([32, w, -1]);
    expect(16 % cell).toBe(0);
    const a = tf.slice(full, [24, 8, 0], [16, 48, -1]);
    const b = tf.slice(part, [8, 8, 0], [16, 48, -1]);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
    tf.dispose([whole, full, win, part, a, b]);
  });

  it("refuses sizes off the pyramid cell and wrong band counts", () => {
    const x = tf.zeros([3, 10, 16]) as tf.Tensor3D;
    expect(() => explicitFeatures(x, SMALL_SPEC)).toThrow(RangeError);
    const y = tf.zeros([4, 16, 16]) as tf.Tensor3D;
    expect(() => explicitFeatures(y, SMALL_SPEC)).toThrow(RangeError);
    tf.dispose([x, y]);
  });
});
