import { describe, expect, it } from "vitest";
import { parseDetectionConfig } from "../../src/config/detection-config.js";
import { recommend } from "../../src/tune/recommend.js";
import type { SweepPoint, SweepResult } from "../../src/tune/sweep.js";

/** A sweep point for construction with the given object and pixel scores. */
function point(threshold: number, minAreaM2: number, objP: number, objR: number, pxR: number): SweepPoint {
  const scores = (p: number, r: number) => ({ precision: p, recall: r, f1: (2 * p * r) / (p + r), iou: 0.5 });
  return {
    changeType: "construction",
    threshold,
    minAreaM2,
    pixel: { ...scores(0.5, pxR), tp: 1, fp: 1, fn: 1 },
    object: { ...scores(objP, objR), predicted: 10, matchedPredicted: 8, reference: 10, foundReference: 10 },
  };
}

function sweepOf(points: SweepPoint[]): SweepResult {
  return {
    matchingRule: "test",
    referenceTyped: true,
    changeTypes: ["construction"],
    thresholds: [...new Set(points.map((p) => p.threshold))],
    minAreasM2: [...new Set(points.map((p) => p.minAreaM2))],
    points,
    timings: { retuneMs: 0, scoreMs: 0 },
  };
}

describe("recommend", () => {
  const config = parseDetectionConfig({});

  it("at equal object recall, prefers the setting with the higher object precision over more pixel recall", () => {
    const low = point(0.3, 0, 0.8, 1, 0.9); // reaches the target, more pixels, more false alarms
    const high = point(0.6, 0, 1, 1, 0.7);
    const r = recommend(sweepOf([low, high]), config, { measure: "precision", value: 0.8 });
    expect(r.types[0]?.chosen?.threshold).toBe(0.6);
    expect(r.config.rules.construction.threshold).toBe(0.6);
  });

  it("still puts object recall first, and reports a type no setting brings to the target", () => {
    const more = point(0.3, 0, 0.82, 1, 0.9);
    const fewer = point(0.6, 0, 1, 0.7, 0.7);
    expect(
      recommend(sweepOf([more, fewer]), config, { measure: "precision", value: 0.8 }).types[0]?.chosen
        ?.threshold,
    ).toBe(0.3);
    const none = recommend(sweepOf([more, fewer]), config, { measure: "precision", value: 1.1 });
    expect(none.types[0]?.chosen).toBeNull();
    expect(none.config.rules.construction.threshold).toBe(config.rules.construction.threshold);
  });
});
