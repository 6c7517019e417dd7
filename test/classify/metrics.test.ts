import { describe, expect, it } from "vitest";
import { ConfusionMatrix } from "../../src/classify/metrics.js";

describe("confusion matrix", () => {
  it("computes OA, kappa and per-class precision/recall/F1 of a known table", () => {
    const cm = new ConfusionMatrix(["a", "b"]);
    // reference a: 8 right, 2 called b; reference b: 1 called a, 9 right; 255 is ignored.
    const ref = [...Array(10).fill(0), ...Array(10).fill(1), 255];
    const pred = [...Array(8).fill(0), 1, 1, 0, ...Array(9).fill(1), 0];
    cm.add(ref, pred);
    const r = cm.report();
    expect(r.pixels).toBe(20);
    expect(r.confusion).toEqual([
      [8, 2],
      [1, 9],
    ]);
    expect(r.overallAccuracy).toBeCloseTo(17 / 20, 12);
    // expected agreement = (10·9 + 10·11) / 400 = 0.5
    expect(r.kappa).toBeCloseTo((0.85 - 0.5) / 0.5, 12);
    const [a, b] = r.perClass;
    expect(a?.precision).toBeCloseTo(8 / 9, 12);
    expect(a?.recall).toBeCloseTo(0.8, 12);
    expect(a?.f1).toBeCloseTo((2 * (8 / 9) * 0.8) / (8 / 9 + 0.8), 12);
    expect(b?.precision).toBeCloseTo(9 / 11, 12);
    expect(b?.support).toBe(10);
  });
});
