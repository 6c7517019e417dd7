import { describe, expect, it } from "vitest";
import { parseDetectionConfig } from "../../src/config/detection-config.js";
import { changeType } from "../../src/core/change-types.js";
import type { LandCoverId } from "../../src/core/land-cover.js";
import {
  applyChangeRules,
  scoreChanges,
  thresholdChanges,
  type ProbabilityPlanes,
} from "../../src/detect/change-rules.js";

const CLASSES: LandCoverId[] = ["cropland", "orchard", "trees", "grass", "turf", "water", "pond", "built_up"];

/** A width×1 strip where pixel i has probability 1 (255) for classes[i]. */
function certain(classes: LandCoverId[]): ProbabilityPlanes {
  const width = classes.length;
  const planes = CLASSES.map((id) => Uint8Array.from(classes, (c) => (c === id ? 255 : 0)));
  return { width, height: 1, classIds: CLASSES, planes };
}

const noMorphology = parseDetectionConfig({
  rules: Object.fromEntries(
    ["construction", "pond", "orchard", "trees", "turf", "facility", "abandonment"].map((t) => [
      t,
      { openingPx: 0, closingPx: 0 },
    ]),
  ),
});

describe("change rules", () => {
  it("types a change by the after class, only on baseline cropland that was cropland before", () => {
    const before = certain([
      "cropland",
      "cropland",
      "cropland",
      "cropland",
      "cropland",
      "built_up",
      "cropland",
      "cropland",
    ]);
    const after = certain([
      "built_up",
      "pond",
      "orchard",
      "trees",
      "turf",
      "built_up",
      "built_up",
      "cropland",
    ]);
    const baseline = Uint8Array.from([1, 1, 1, 1, 1, 1, 0, 1]);
    const valid = new Uint8Array(8).fill(1);
    const r = applyChangeRules({ before, after, baselineCropland: baseline, valid }, noMorphology);
    const code = (t: Parameters<typeof changeType>[0]): number => changeType(t).code;
    expect(Array.from(r.changeCode)).toEqual([
      code("construction"),
      code("pond"),
      code("orchard"),
      code("trees"),
      code("turf"),
      0, // built-up on both dates: a baseline mismatch, not a change
      0, // not baseline cropland
      0, // still cropland
    ]);
    expect(Array.from(r.mismatch)).toEqual([0, 0, 0, 0, 0, 1, 0, 0]);
    expect(r.confidence[0]).toBe(255);
    expect(r.undetectable).toEqual(["facility", "abandonment"]);
  });

  it("reports no change where the pixel's own colour did not change (minSpectralChange)", () => {
    const before = certain(["cropland", "cropland", "cropland", "cropland"]);
    const after = certain(["built_up", "built_up", "pond", "pond"]);
    const inputs = {
      before,
      after,
      baselineCropland: new Uint8Array(4).fill(1),
      valid: new Uint8Array(4).fill(1),
      // Relative change of each 3×3 patch, 0–255: 0.02 and 0.3, then 0.049 and 0.051 around 0.05.
      spectralChange: Uint8Array.from([5, 77, 12, 13]),
    };
    const code = (t: Parameters<typeof changeType>[0]): number => changeType(t).code;
    expect(noMorphology.minSpectralChange).toBe(0.05);
    expect(Array.from(applyChangeRules(inputs, noMorphology).changeCode)).toEqual([
      0,
      code("construction"),
      0,
      code("pond"),
    ]);
    // Gate off: the classes alone decide.
    const off = parseDetectionConfig({ ...noMorphology, minSpectralChange: 0 });
    expect(Array.from(applyChangeRules(inputs, off).changeCode)).toEqual([
      code("construction"),
      code("construction"),
      code("pond"),
      code("pond"),
    ]);
    // Without the measure (a run cached before the gate existed) every pixel passes.
    const { spectralChange: _omitted, ...without } = inputs;
    expect(Array.from(applyChangeRules(without, noMorphology).changeCode)).toEqual(
      Array.from(applyChangeRules(inputs, off).changeCode),
    );
  });

  it("never reports unobserved pixels, and respects the thresholds", () => {
    const before = certain(["cropland", "cropland", "cropland"]);
    const after = certain(["built_up", "built_up", "built_up"]);
    // Third pixel: after probability of built-up only 0.55, below the 0.6 default.
    after.planes[CLASSES.indexOf("built_up")]![2] = 140;
    after.planes[CLASSES.indexOf("cropland")]![2] = 115;
    const r = applyChangeRules(
      { before, after, baselineCropland: new Uint8Array(3).fill(1), valid: Uint8Array.from([1, 0, 1]) },
      noMorphology,
    );
    expect(Array.from(r.changeCode)).toEqual([changeType("construction").code, 0, 0]);
    const lenient = parseDetectionConfig({
      ...noMorphology,
      rules: { ...noMorphology.rules, construction: { threshold: 0.5, openingPx: 0, closingPx: 0 } },
    });
    const r2 = applyChangeRules(
      { before, after, baselineCropland: new Uint8Array(3).fill(1), valid: Uint8Array.from([1, 0, 1]) },
      lenient,
    );
    expect(r2.changeCode[2]).toBe(changeType("construction").code);
  });

  it("drops a disabled change type", () => {
    const cfg = parseDetectionConfig({
      ...noMorphology,
      rules: { ...noMorphology.rules, pond: { enabled: false } },
    });
    const r = applyChangeRules(
      {
        before: certain(["cropland"]),
        after: certain(["pond"]),
        baselineCropland: Uint8Array.from([1]),
        valid: Uint8Array.from([1]),
      },
      cfg,
    );
    expect(r.changeCode[0]).toBe(0);
  });

  it("opening removes an isolated changed pixel in a field", () => {
    const w = 7;
    const classes: LandCoverId[] = Array.from({ length: w * w }, () => "cropland");
    classes[3 * w + 3] = "built_up";
    const before = certain(Array.from({ length: w * w }, () => "cropland"));
    const afterStrip = certain(classes);
    const after = { ...afterStrip, width: w, height: w };
    const beforeGrid = { ...before, width: w, height: w };
    const ones = new Uint8Array(w * w).fill(1);
    const cleaned = applyChangeRules(
      { before: beforeGrid, after, baselineCropland: ones, valid: ones },
      parseDetectionConfig({}),
    );
    expect(cleaned.changeCode.every((v) => v === 0)).toBe(true);
    const raw = applyChangeRules(
      { before: beforeGrid, after, baselineCropland: ones, valid: ones },
      noMorphology,
    );
    expect(raw.changeCode[3 * w + 3]).toBe(changeType("construction").code);
  });
});

describe("abandonment from the season history", () => {
  it("marks flagged, observed baseline cropland no image-based change claims; never where unobserved", () => {
    const before = certain(["cropland", "cropland", "cropland", "cropland", "cropland"]);
    const after = certain(["grass", "built_up", "grass", "grass", "grass"]);
    const baseline = Uint8Array.from([1, 1, 1, 0, 1]);
    const valid = Uint8Array.from([1, 1, 0, 1, 1]);
    const flagged = Uint8Array.from([1, 1, 1, 1, 0]);
    const evidence = Uint8Array.from([200, 200, 200, 200, 200]);
    const r = applyChangeRules(
      { before, after, baselineCropland: baseline, valid, abandoned: { flagged, evidence } },
      noMorphology,
    );
    expect(Array.from(r.changeCode)).toEqual([
      changeType("abandonment").code,
      changeType("construction").code, // the image-based change wins
      0, // flagged, but this month did not observe it
      0, // not baseline cropland
      0, // not flagged
    ]);
    expect(r.confidence[0]).toBe(200);
    expect(r.undetectable).not.toContain("abandonment");
    const without = applyChangeRules({ before, after, baselineCropland: baseline, valid }, noMorphology);
    expect(without.undetectable).toContain("abandonment");
    expect(without.changeCode[0]).toBe(0);
  });

  it("comes last: takes what the image-based cleaning removed, then is cleaned on its own", () => {
    // A 9×9 cropland field: an isolated construction pixel at (4,4), which opening removes; the
    // whole field is flagged by the history except a lone flagged pixel at (0,8) cut off by an
    // unflagged L around it, which abandonment's own opening removes.
    const w = 9;
    const n = w * w;
    const afterClasses: LandCoverId[] = Array.from({ length: n }, () => "grass");
    afterClasses[4 * w + 4] = "built_up";
    const grid = (p: ProbabilityPlanes): ProbabilityPlanes => ({ ...p, width: w, height: w });
    const before = grid(certain(Array.from({ length: n }, () => "cropland")));
    const after = grid(certain(afterClasses));
    const ones = new Uint8Array(n).fill(1);
    const flagged = new Uint8Array(n).fill(1);
    for (const [x, y] of [
      [0, 7],
      [1, 7],
      [1, 8],
      [0, 6],
      [1, 6],
      [2, 6],
      [2, 7],
      [2, 8],
    ])
      flagged[y! * w + x!] = 0;
    const evidence = new Uint8Array(n).fill(180);
    const inputs = { before, after, baselineCropland: ones, valid: ones, abandoned: { flagged, evidence } };
    const config = parseDetectionConfig({});
    const r = applyChangeRules(inputs, config);
    const ABANDONMENT = changeType("abandonment").code;
    expect(r.changeCode[4 * w + 4]).toBe(ABANDONMENT); // opened away as construction, then abandonment
    expect(r.confidence[4 * w + 4]).toBe(180);
    expect(r.changeCode[8 * w + 0]).toBe(0); // a lone flagged pixel: abandonment's own opening
    expect(r.changeCode[0]).toBe(ABANDONMENT);
    expect(r.changeCode.includes(changeType("construction").code)).toBe(false);
    // The split the tuner uses gives the same, and refuses scores taken with a history it lacks.
    const scores = scoreChanges(inputs, config);
    expect(scores.fromHistory).toEqual(["abandonment"]);
    const split = thresholdChanges(scores, inputs, config);
    expect(Array.from(split.changeCode)).toEqual(Array.from(r.changeCode));
    expect(Array.from(split.confidence)).toEqual(Array.from(r.confidence));
    expect(() => thresholdChanges(scores, { baselineCropland: ones, valid: ones }, config)).toThrow(
      /season history/,
    );
  });
});
