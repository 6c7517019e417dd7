import { describe, expect, it } from "vitest";
import { forEachSpan } from "../../src/vector/polygon-spans.js";
import { SeededRandom } from "../../src/demo/rng.js";
import { polygonizePixels } from "../../src/vector/polygonize.js";

describe("polygon spans", () => {
  it("recovers exactly the pixels of every traced region, holes included", () => {
    const rng = new SeededRandom(11);
    const w = 61;
    const h = 47;
    // Blobby labels: a few values so regions have holes and touch at corners.
    const data = new Uint8Array(w * h);
    for (let i = 0; i < data.length; i++) data[i] = rng.next() < 0.6 ? 1 : rng.int(2, 3);
    for (const connectivity of [4, 8] as const) {
      const polygons = polygonizePixels(data, w, h, {
        connectivity,
        window: { x0: 100, y0: 200, x1: 100 + w, y1: 200 + h },
      });
      const cover = new Uint8Array(w * h);
      for (const p of polygons) {
        let count = 0;
        forEachSpan(p, (y, x0, x1) => {
          for (let x = x0; x < x1; x++) {
            const i = (y - 200) * w + (x - 100);
            expect(data[i]).toBe(p.value);
            cover[i]! += 1;
            count++;
          }
        });
        expect(count).toBe(p.pixelCount);
      }
      expect(cover.every((c) => c === 1)).toBe(true);
    }
  });
});
