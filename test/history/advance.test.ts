/**
 * The run history as a pure function, on hand-made square patches (lon/lat near Hohhot): ids
 * across months, tiers, unobserved vs resolved, feedback closing and reopening, overdue.
 */
import { describe, expect, it } from "vitest";
import { parseDetectionConfig } from "../../src/config/detection-config.js";
import {
  advanceSeries,
  overlapShare,
  tierOf,
  type FeedbackEntry,
  type Observation,
  type SeriesFeature,
  type SeriesState,
} from "../../src/history/index.js";

const config = parseDetectionConfig({});
const DEG = 0.0001; // about 11 m north-south at 40.6°N

/** An axis-aligned square patch of `side` × `side` units of DEG with its lower-left corner at (x, y). */
function patch(
  id: string,
  changeType: string,
  x: number,
  y: number,
  side: number,
  date: string,
  extra: Partial<SeriesFeature["properties"]> = {},
): SeriesFeature {
  const [x0, y0] = [111.5 + x * DEG, 40.5 + y * DEG];
  const [x1, y1] = [x0 + side * DEG, y0 + side * DEG];
  return {
    type: "Feature",
    geometry: {
      type: "Polygon",
      coordinates: [
        [
          [x0, y0],
          [x1, y0],
          [x1, y1],
          [x0, y1],
          [x0, y0],
        ],
      ],
    },
    properties: {
      id,
      county_adcode: "150121",
      county_name: "土默特左旗",
      change_type: changeType,
      area_m2: side * side * 100,
      after_date: date,
      first_seen: date,
      status: "new",
      tier: "first",
      due_prefecture: date,
      due_county: addDays(date, 14),
      run_id: `run-${date.slice(0, 7)}`,
      ...extra,
    },
  };
}

function addDays(d: string, n: number): string {
  const t = new Date(`${d}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + n);
  return t.toISOString().slice(0, 10);
}

function month(
  m: string,
  current: SeriesFeature[],
  previous: SeriesState | null,
  options: { observations?: Map<string, Observation>; feedback?: FeedbackEntry[]; cfg?: typeof config } = {},
) {
  return advanceSeries({
    runId: `run-${m}`,
    month: m,
    runDate: `${m}-20`,
    current,
    previous,
    feedback: options.feedback ?? [],
    observations: options.observations ?? new Map(),
    config: options.cfg ?? config,
  });
}

const seen = (share = 1, altered = 0): Observation => ({ observedShare: share, alteredShare: altered });

describe("overlapShare", () => {
  it("is the intersection over the smaller patch", () => {
    // 10×10 and 10×10 shifted by 4: the intersection is 6×10 of 10×10.
    expect(
      overlapShare(patch("a", "pond", 0, 0, 10, "2026-10-16"), patch("b", "pond", 4, 0, 10, "2026-10-16")),
    ).toBeCloseTo(0.6, 2);
    // A 4×4 square inside a 20×20 one: all of the smaller one.
    expect(
      overlapShare(patch("a", "pond", 0, 0, 20, "2026-10-16"), patch("b", "pond", 5, 5, 4, "2026-10-16")),
    ).toBeCloseTo(1, 3);
    expect(
      overlapShare(patch("a", "pond", 0, 0, 10, "2026-10-16"), patch("b", "pond", 30, 0, 10, "2026-10-16")),
    ).toBe(0);
  });
});

describe("tierOf", () => {
  const rules = { windowDays: 100, provisionalDetections: 2, confirmedDetections: 3 };
  it("climbs with detections inside the window and never falls", () => {
    expect(tierOf(["2026-10-16"], rules)).toBe("first");
    expect(tierOf(["2026-10-16", "2026-11-16"], rules)).toBe("provisional");
    expect(tierOf(["2026-10-16", "2026-11-16", "2026-12-16"], rules)).toBe("confirmed");
    // 2026-06-01 is 198 days before 2026-12-16: outside the window.
    expect(tierOf(["2026-06-01", "2026-07-01", "2026-12-16"], rules)).toBe("first");
    expect(tierOf(["2026-06-01", "2026-07-01", "2026-12-16"], rules, "provisional")).toBe("provisional");
  });
});

describe("advanceSeries", () => {
  it("keeps id and first_seen for a patch seen again (shifted, grown, or orchard→trees), and climbs tiers", () => {
    const m1 = month(
      "2026-10",
      [patch("A", "construction", 0, 0, 10, "2026-10-16"), patch("B", "orchard", 50, 0, 10, "2026-10-16")],
      null,
    );
    expect(m1.listed.map((f) => [f.properties.id, f.properties.status, f.properties.tier])).toEqual([
      ["A", "new", "first"],
      ["B", "new", "first"],
    ]);
    // Month 2 builds fresh ids (A2, B2) as buildIssues would; A moved 3 units and grew, B is now "trees".
    const m2 = month(
      "2026-11",
      [patch("A2", "construction", 3, 0, 12, "2026-11-16"), patch("B2", "trees", 50, 1, 10, "2026-11-16")],
      m1.state,
    );
    expect(
      m2.listed.map((f) => [
        f.properties.id,
        f.properties.status,
        f.properties.tier,
        f.properties.first_seen,
      ]),
    ).toEqual([
      ["A", "persisting", "provisional", "2026-10-16"],
      ["B", "persisting", "provisional", "2026-10-16"],
    ]);
    const m3 = month("2026-12", [patch("A3", "construction", 3, 0, 12, "2026-12-16")], m2.state, {
      observations: new Map([["B", seen(1, 0.9)]]),
    });
    const a = m3.listed.find((f) => f.properties.id === "A")!;
    expect(a.properties.tier).toBe("confirmed");
    // B was not matched but its pixels are still not cropland: kept open, tier unchanged.
    const b = m3.state.issues.find((t) => t.id === "B")!;
    expect([b.status, b.tier, b.sighting]).toEqual(["persisting", "provisional", "still-altered"]);
  });

  it("does not match across change families, nor below the overlap threshold", () => {
    const m1 = month("2026-10", [patch("A", "construction", 0, 0, 10, "2026-10-16")], null);
    const m2 = month(
      "2026-11",
      [patch("P", "pond", 0, 0, 10, "2026-11-16"), patch("C", "construction", 8, 0, 10, "2026-11-16")],
      m1.state,
      { observations: new Map([["A", seen(1, 1)]]) },
    );
    // C overlaps A by 2/10 = 20% < 30%: a new patch; the pond is another family.
    expect(m2.listed.map((f) => [f.properties.id, f.properties.status])).toEqual([
      ["A", "persisting"],
      ["C", "new"],
      ["P", "new"],
    ]);
  });

  it("on a split keeps the id on the part overlapping most; on a merge marks the other patch merged", () => {
    const m1 = month(
      "2026-10",
      [
        patch("A", "construction", 0, 0, 10, "2026-10-16"),
        patch("B", "construction", 11, 0, 10, "2026-10-16"),
      ],
      null,
    );
    // One patch now covers both A and B (21×10): it keeps A's id (tie on share 1.0 → lower id), B is merged into it.
    const merged = month("2026-11", [patch("M", "construction", 0, 0, 21, "2026-11-16")], m1.state);
    expect(merged.listed.map((f) => f.properties.id)).toEqual(["A"]);
    const b = merged.state.issues.find((t) => t.id === "B")!;
    expect([b.status, b.merged_into]).toEqual(["merged", "A"]);
    // A 10×10 patch splits into a 3×3 and a 6×6 part, both wholly inside it (share 1.0 each):
    // the larger part keeps the id, whatever the order; the other is new.
    const s1 = month("2026-10", [patch("S", "pond", 0, 0, 10, "2026-10-16")], null);
    const s2 = month(
      "2026-11",
      [patch("P1", "pond", 0, 0, 3, "2026-11-16"), patch("P2", "pond", 4, 4, 6, "2026-11-16")],
      s1.state,
    );
    const byId = new Map(s2.listed.map((f) => [f.properties.id, f]));
    expect(byId.get("S")?.properties.area_m2).toBe(3600);
    expect(byId.get("P1")?.properties.status).toBe("new");
  });

  it("carries an unobserved patch over unchanged and resolves an observed, restored one", () => {
    const m1 = month(
      "2026-10",
      [patch("A", "construction", 0, 0, 10, "2026-10-16"), patch("B", "pond", 40, 0, 10, "2026-10-16")],
      null,
    );
    const m2 = month("2026-11", [], m1.state, {
      observations: new Map([
        ["A", seen(0.7, 0)], // under cloud: 70% observed < minObservedShare 0.8
        ["B", seen(1, 0.05)], // observed, 5% altered < stillAlteredShare 0.3
      ]),
    });
    const a = m2.state.issues.find((t) => t.id === "A")!;
    expect([a.status, a.tier, a.sighting, a.detections]).toEqual([
      "persisting",
      "first",
      "unobserved",
      ["2026-10-16"],
    ]);
    expect(a.feature.geometry).toEqual(m1.state.issues[0]!.feature.geometry);
    expect(m2.listed.map((f) => f.properties.id)).toEqual(["A"]);
    expect(m2.resolved.map((f) => f.properties.id)).toEqual(["B"]);
    expect(m2.summary.resolved).toEqual(["B"]);
    // B comes back in month 3: same id, reopened.
    const m3 = month("2026-12", [patch("B3", "pond", 40, 0, 10, "2026-12-16")], m2.state, {
      observations: new Map([["A", seen(1, 1)]]),
    });
    expect(m3.listed.find((f) => f.properties.id === "B")?.properties.status).toBe("reopened");
  });

  it("does not re-issue a false positive or legal patch unless it grows beyond reissueAreaGrowth", () => {
    const m1 = month(
      "2026-10",
      [
        patch("F", "construction", 0, 0, 10, "2026-10-16"),
        patch("L", "pond", 40, 0, 10, "2026-10-16"),
        patch("I", "trees", 80, 0, 10, "2026-10-16"),
      ],
      null,
    );
    const fb: FeedbackEntry[] = [
      { id: "F", result: "false-positive", notes: "", date: "2026-10-25", source: "f.csv", row: 1 },
      { id: "L", result: "legal", notes: "备案", date: "2026-10-25", source: "f.csv", row: 2 },
      { id: "I", result: "illegal", notes: "", date: "2026-10-25", source: "f.csv", row: 3 },
    ];
    const m2 = month(
      "2026-11",
      [
        patch("F2", "construction", 0, 0, 11, "2026-11-16"),
        patch("L2", "pond", 40, 0, 10, "2026-11-16"),
        patch("I2", "trees", 80, 0, 10, "2026-11-16"),
      ],
      m1.state,
      { feedback: fb },
    );
    // F grew 21% (< 50%), L unchanged: both stay closed; the illegal one stays listed.
    expect(m2.listed.map((f) => [f.properties.id, f.properties.status])).toEqual([["I", "persisting"]]);
    expect(m2.state.issues.map((t) => [t.id, t.status])).toEqual([
      ["F", "dismissed"],
      ["I", "persisting"],
      ["L", "verified-legal"],
    ]);
    expect(m2.summary.feedback).toEqual({
      construction: { illegal: 0, legal: 0, falsePositive: 1, total: 1, precision: 0, illegalShare: 0 },
      pond: { illegal: 0, legal: 1, falsePositive: 0, total: 1, precision: 1, illegalShare: 0 },
      trees: { illegal: 1, legal: 0, falsePositive: 0, total: 1, precision: 1, illegalShare: 1 },
    });
    // Month 3: F has grown to 13×13 = 169% of its checked 100: reopened with a new deadline.
    const m3 = month(
      "2026-12",
      [patch("F3", "construction", 0, 0, 13, "2026-12-16"), patch("L3", "pond", 40, 0, 10, "2026-12-16")],
      m2.state,
      {
        observations: new Map([["I", seen(1, 1)]]),
      },
    );
    const f = m3.listed.find((x) => x.properties.id === "F")!;
    expect([f.properties.status, f.properties.due_county]).toEqual(["reopened", addDays("2026-12-16", 14)]);
    expect(m3.listed.some((x) => x.properties.id === "L")).toBe(false);
  });

  it("lists issues past their county deadline without a result as overdue", () => {
    const m1 = month(
      "2026-10",
      [patch("A", "construction", 0, 0, 10, "2026-10-01"), patch("B", "pond", 40, 0, 10, "2026-10-01")],
      null,
    );
    // due_county is 2026-10-15; the month-2 run date 2026-11-20 is 36 days later. B has a result.
    const m2 = month(
      "2026-11",
      [patch("A2", "construction", 0, 0, 10, "2026-11-16"), patch("B2", "pond", 40, 0, 10, "2026-11-16")],
      m1.state,
      {
        feedback: [{ id: "B", result: "illegal", notes: "", date: "2026-10-12", source: "f.csv", row: 1 }],
      },
    );
    expect(m2.summary.overdue.map((o) => [o.id, o.due_county, o.days_overdue])).toEqual([
      ["A", "2026-10-15", 36],
    ]);
  });

  it("holds patches below publishMinTier off the lists but keeps tracking them", () => {
    const cfg = parseDetectionConfig({ tiers: { publishMinTier: "provisional" } });
    const m1 = month("2026-10", [patch("A", "construction", 0, 0, 10, "2026-10-16")], null, { cfg });
    expect(m1.listed).toEqual([]);
    expect(m1.summary.heldBelowTier).toBe(1);
    const m2 = month("2026-11", [patch("A2", "construction", 0, 0, 10, "2026-11-16")], m1.state, { cfg });
    expect(m2.listed.map((f) => [f.properties.id, f.properties.tier])).toEqual([["A", "provisional"]]);
  });

  it("refuses a previous state that is not of an earlier month", () => {
    const m1 = month("2026-10", [], null);
    expect(() => month("2026-10", [], m1.state)).toThrow(RangeError);
  });
});
