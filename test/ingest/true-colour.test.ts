import { describe, expect, it } from "vitest";
import { stretchToBytes } from "../../src/ingest/true-colour.js";
import { seededRandom } from "./seeded-random.js";

/** The stretch as defined: percentiles read off the sorted observed values (NaN sorting last). */
function stretchBySorting(band: ArrayLike<number>, observed: Uint8Array): Uint8Array {
  const values = Float64Array.from(
    Array.from({ length: band.length }, (_, i) => i).filter((i) => observed[i]),
    (i) => band[i]!,
  ).sort();
  const n = values.length;
  const lo = values[Math.floor(n * 0.02)] ?? 0;
  const hi = values[Math.floor(n * 0.98)] ?? 1;
  const span = hi > lo ? hi - lo : 1;
  return Uint8Array.from({ length: band.length }, (_, i) =>
    observed[i] ? Math.max(0, Math.min(255, Math.round(((band[i]! - lo) / span) * 255))) : 0,
  );
}

describe("stretchToBytes", () => {
  it("equals the stretch from fully sorted values, for ties, NaN, tiny and empty bands", () => {
    const random = seededRandom(7);
    const cases: Array<[string, ArrayLike<number>, Uint8Array]> = [];
    for (const n of [0, 1, 2, 3, 5, 17, 50, 101, 1000, 20000]) {
      const observed = Uint8Array.from({ length: n }, () => (random() < 0.8 ? 1 : 0));
      cases.push([
        `uint8 n=${n}`,
        Uint8Array.from({ length: n }, () => Math.floor(random() * 256)),
        observed,
      ]);
      cases.push([
        `few values n=${n}`,
        Uint16Array.from({ length: n }, () => Math.floor(random() * 3)),
        observed,
      ]);
      cases.push([
        `float with NaN n=${n}`,
        Float32Array.from({ length: n }, () => (random() < 0.1 ? NaN : random() * 2 - 0.5)),
        observed,
      ]);
      cases.push([
        `mostly NaN n=${n}`,
        Float64Array.from({ length: n }, () => (random() < 0.99 ? NaN : random())),
        observed,
      ]);
      cases.push([`sorted n=${n}`, Float64Array.from({ length: n }, (_, i) => i), observed]);
      cases.push([`constant n=${n}`, new Float64Array(n).fill(4), observed]);
    }
    for (const [name, band, observed] of cases) {
      expect(Array.from(stretchToBytes(band, observed)), name).toEqual(
        Array.from(stretchBySorting(band, observed)),
      );
    }
  });
});
