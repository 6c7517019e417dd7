/**
 * Coarsening GID tiles for a 30 m model (resampleGidTile), the radiometric augmentation of
 * training images (perturbRadiometry) and the recorded training radiometry, on small hand-made
 * tiles whose answers are worked out by hand.
 */
import { describe, expect, it } from "vitest";
import { resampleGidTile, type DecodedTile } from "../../src/classify/gid-dataset.js";
import { perturbRadiometry, type LabelledImage } from "../../src/classify/labelled-image.js";
import { trainingRadiometry } from "../../src/classify/train.js";

/** A 14×14 GID-15 tile: four 7×7 cells whose labels are filled by `labelOf(cell, k)`, k = 0..48. */
function tile(labelOf: (cell: number, k: number) => number): DecodedTile {
  const w = 14;
  const rgb = new Uint8Array(3 * w * w);
  const label = new Uint8Array(w * w);
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const cell = Math.floor(y / 7) * 2 + Math.floor(x / 7);
      const k = (y % 7) * 7 + (x % 7);
      rgb[i] = 40 * (cell + 1); // red: constant per cell
      rgb[w * w + i] = k; // green: 0..48 in each cell, mean 24
      rgb[2 * w * w + i] = x === 0 ? 49 : 0; // blue: one column of 49 in the left cells, mean 7
      label[i] = labelOf(cell, k);
    }
  }
  return {
    ref: { id: "gid15/test/1", imagePath: "1.png", labelPath: "1_label.png", scheme: "gid15" },
    width: w,
    height: w,
    rgb,
    label,
  };
}

describe("resampleGidTile", () => {
  const d = tile((cell, k) => {
    if (cell === 0) return k < 10 ? 6 : 4; // dry cropland and paddy: one group, cropland
    if (cell === 1) return k < 30 ? 0 : 12; // 30 industrial, 19 river: built-up 61%
    if (cell === 2) return k < 25 ? 1 : 13; // 25 urban residential, 24 lake: built-up 51%
    return k < 40 ? 15 : 14; // 40 unlabelled, 9 pond
  });
  const r = resampleGidTile(d, { factor: 7, minLabelShare: 0.6 });

  it("averages each 7×7 block of every band", () => {
    expect([r.width, r.height]).toEqual([2, 2]);
    expect(Array.from(r.rgb.subarray(0, 4))).toEqual([40, 80, 120, 160]);
    expect(Array.from(r.rgb.subarray(4, 8))).toEqual([24, 24, 24, 24]);
    expect(Array.from(r.rgb.subarray(8, 12))).toEqual([7, 0, 7, 0]);
  });

  it("labels a cell by its majority group when it covers enough of the labelled pixels", () => {
    // Cropland from two fine classes: the more frequent fine value (paddy, 4) stands for it.
    expect(r.label[0]).toBe(4);
    // Built-up 30 of 49 labelled pixels (61%) passes 0.6; 25 of 49 (51%) does not: unlabelled.
    expect(r.label[1]).toBe(0);
    expect(r.label[2]).toBe(15);
    // Unlabelled source pixels do not count against the share: 9 of 9 labelled are pond.
    expect(r.label[3]).toBe(14);
  });

  it("keeps a mixed cell at a lower share and drops edge remainders", () => {
    const lenient = resampleGidTile(d, { factor: 7, minLabelShare: 0.5 });
    expect(lenient.label[2]).toBe(1);
    const r5 = resampleGidTile(d, { factor: 5, minLabelShare: 0.6 });
    expect([r5.width, r5.height]).toEqual([2, 2]); // 14 = 2 × 5 + 4 dropped
  });
});

describe("perturbRadiometry", () => {
  const img: LabelledImage = {
    id: "f/1",
    width: 2,
    height: 1,
    // Two pixels per band, DN 0 and 255 (reflectance 0 and 1): the copy's values are then o_b and g_b + o_b.
    pixels: Uint8Array.from([0, 255, 0, 255, 0, 255]),
    scale: 1 / 255,
    offset: 0,
    allowed: Uint16Array.from([1, 2]),
    group: Uint8Array.from([0, 1]),
  };
  const gainsAndOffsets = (p: LabelledImage): Array<[number, number]> =>
    [0, 1, 2].map((b) => [
      (p.pixels[2 * b + 1] as number) - (p.pixels[2 * b] as number),
      p.pixels[2 * b] as number,
    ]);

  it("applies one gain to every band when the band spread and offset are 0", () => {
    const p = perturbRadiometry(img, 3, { gain: 0.3, bandGain: 0, offset: 0 }, 1, "a");
    const go = gainsAndOffsets(p);
    for (const [g, o] of go) {
      expect(g).toBeCloseTo(go[0]![0], 6);
      expect(o).toBe(0);
    }
    expect(go[0]![0]).toBeGreaterThanOrEqual(1 / 1.3);
    expect(go[0]![0]).toBeLessThanOrEqual(1.3);
    expect(p.id).toBe("f/1#a");
    expect(p.allowed).toBe(img.allowed);
  });

  it("draws per-band gains and offsets within their spread, reproducibly per seed and tag", () => {
    const spread = { gain: 0, bandGain: 0.1, offset: 0.05 };
    const a = perturbRadiometry(img, 3, spread, 1, "a");
    for (const [g, o] of gainsAndOffsets(a)) {
      expect(Math.abs(g - 1)).toBeLessThanOrEqual(0.1 + 1e-6);
      expect(Math.abs(o)).toBeLessThanOrEqual(0.05 + 1e-6);
    }
    expect(perturbRadiometry(img, 3, spread, 1, "a").pixels).toEqual(a.pixels);
    expect(perturbRadiometry(img, 3, spread, 1, "b").pixels).not.toEqual(a.pixels);
    expect(perturbRadiometry(img, 3, spread, 2, "a").pixels).not.toEqual(a.pixels);
  });
});

describe("trainingRadiometry", () => {
  it("gives each band's 2nd and 98th percentile of reflectance over all training pixels", () => {
    // Two 10×10 images: red DN 0..99 and 100..199 (reflectance DN/255), green constant 51 (0.2).
    const image = (id: string, from: number): LabelledImage => {
      const n = 100;
      const pixels = new Uint8Array(2 * n);
      for (let i = 0; i < n; i++) {
        pixels[i] = from + i;
        pixels[n + i] = 51;
      }
      return {
        id,
        width: 10,
        height: 10,
        pixels,
        scale: 1 / 255,
        offset: 0,
        allowed: new Uint16Array(n),
        group: new Uint8Array(n),
      };
    };
    const r = trainingRadiometry([image("a", 0), image("b", 100)], ["red", "green"]);
    expect(r.percentiles).toEqual([2, 98]);
    // 200 values 0..199: ranks floor(0.02 × 199) = 3 and floor(0.98 × 199) = 195.
    expect(r.bands.red![0]).toBeCloseTo(3 / 255, 10);
    expect(r.bands.red![1]).toBeCloseTo(195 / 255, 10);
    expect(r.bands.green).toEqual([0.2, 0.2]);
  });
});
