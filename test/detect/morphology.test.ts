import { describe, expect, it } from "vitest";
import { close, dilate, erode, open, openThenClose } from "../../src/detect/morphology.js";
import { SeededRandom } from "../../src/demo/rng.js";

/** Direct 2-D definition: min/max over the in-bounds (2r+1)² square. */
function reference(mask: Uint8Array, w: number, h: number, r: number, take: "min" | "max"): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = take === "min" ? 1 : 0;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
          const m = mask[yy * w + xx]!;
          v = take === "min" ? Math.min(v, m) : Math.max(v, m);
        }
      }
      out[y * w + x] = v;
    }
  }
  return out;
}

describe("binary morphology", () => {
  const rng = new SeededRandom(42);
  const w = 37;
  const h = 23;
  const mask = new Uint8Array(w * h).map(() => (rng.next() < 0.55 ? 1 : 0));

  it.each([0, 1, 2])("erosion and dilation with r=%i equal the direct 2-D definition", (r) => {
    expect(erode(mask, w, h, r)).toEqual(reference(mask, w, h, r, "min"));
    expect(dilate(mask, w, h, r)).toEqual(reference(mask, w, h, r, "max"));
  });

  it("opening removes a one-pixel speck and a one-pixel sliver but keeps a 3×3 block", () => {
    const m = new Uint8Array(10 * 10);
    m[1 * 10 + 1] = 1; // speck
    for (let x = 0; x < 10; x++) m[8 * 10 + x] = 1; // sliver
    for (let y = 3; y < 6; y++) for (let x = 5; x < 8; x++) m[y * 10 + x] = 1;
    const o = open(m, 10, 10, 1);
    expect(o[1 * 10 + 1]).toBe(0);
    expect(o[8 * 10 + 4]).toBe(0);
    expect(o.reduce((s, v) => s + v, 0)).toBe(9);
  });

  it("closing fills a one-pixel gap inside a block", () => {
    const m = new Uint8Array(9 * 9);
    for (let y = 2; y < 7; y++) for (let x = 2; x < 7; x++) m[y * 9 + x] = 1;
    m[4 * 9 + 4] = 0;
    expect(close(m, 9, 9, 1)[4 * 9 + 4]).toBe(1);
  });

  it("openThenClose (32 pixels a word) equals closing after opening by the direct definition", () => {
    const r = new SeededRandom(7);
    // Widths around word boundaries, radii 0–3, densities from sparse to dense.
    for (const width of [1, 5, 31, 32, 33, 64, 70]) {
      for (let k = 0; k < 6; k++) {
        const height = r.int(1, 40);
        const ro = r.int(0, 3);
        const rc = r.int(0, 3);
        const density = r.range(0.02, 0.8);
        const m = new Uint8Array(width * height).map(() => (r.next() < density ? 1 : 0));
        const opened = reference(reference(m, width, height, ro, "min"), width, height, ro, "max");
        const expected = reference(reference(opened, width, height, rc, "max"), width, height, rc, "min");
        expect(openThenClose(m, width, height, ro, rc), `${width}×${height} r=${ro},${rc}`).toEqual(expected);
      }
    }
  });
});
