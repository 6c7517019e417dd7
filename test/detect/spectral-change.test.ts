import { describe, expect, it } from "vitest";
import { relativeSpectralChange } from "../../src/detect/spectral-change.js";
import type { ReflectanceBands } from "../../src/ingest/sensor-profile.js";

/** Bands of a `width` × `height` image where every pixel has the colour `rgb`. */
function flat(width: number, height: number, rgb: [number, number, number]): ReflectanceBands {
  const [red, green, blue] = rgb.map((v) => new Float32Array(width * height).fill(v));
  return { red: red!, green: green!, blue: blue! };
}

describe("relative spectral change of the 3×3 patch", () => {
  it("is Σ|after − before| / Σ(after + before)/2 over the visible bands, 0–255 for 0–1", () => {
    const before = flat(4, 3, [0.2, 0.3, 0.1]);
    const after = flat(4, 3, [0.25, 0.3, 0.1]);
    const out = relativeSpectralChange(before, after, 4, 3);
    // 0.05 / ((0.45 + 0.6 + 0.2) / 2) = 0.08 → 20.4 → 20
    expect(Array.from(out)).toEqual(new Array(12).fill(20));
    expect(Array.from(relativeSpectralChange(before, before, 4, 3))).toEqual(new Array(12).fill(0));
  });

  it("averages over the 3×3 patch: one changed pixel is diluted ninefold, and reaches its neighbours", () => {
    const before = flat(5, 5, [0.2, 0.2, 0.2]);
    const after = flat(5, 5, [0.2, 0.2, 0.2]);
    for (const b of [after.red!, after.green!, after.blue!]) b[12] = 0.38; // centre pixel brighter
    const out = relativeSpectralChange(before, after, 5, 5);
    // Centre and its 8 neighbours: 3·0.02 / (3·(0.22 + 0.2)/2) = 0.0952 → 24; corners of the 5×5: 0.
    expect(out[12]).toBe(24);
    expect(out[6]).toBe(24);
    expect(out[0]).toBe(0);
    expect(out[24]).toBe(0);
  });

  it("skips unobserved (NaN) pixels in the means, caps at 1, and ignores bands only one date has", () => {
    const before = flat(3, 1, [0.1, 0.1, 0.1]);
    const after = flat(3, 1, [0.5, 0.5, 0.5]);
    after.red![0] = NaN;
    after.nir = new Float32Array(3).fill(0.9); // not on the before date
    const out = relativeSpectralChange(before, after, 3, 1);
    // 0.4 / 0.3 > 1: capped at 255 wherever a neighbour is observed on both dates.
    expect(Array.from(out)).toEqual([255, 255, 255]);
  });
});
