import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseDetectionConfig } from "../../src/config/detection-config.js";
import { ConfigError } from "../../src/core/errors.js";
import {
  abandonmentParams,
  excessGreen,
  flagAbandonment,
  ndvi,
  readSeasonState,
  seasonOf,
  seasonParams,
  seasonProgress,
  updateSeason,
  writeSeasonState,
  type SeasonState,
} from "../../src/season/index.js";

const config = parseDetectionConfig({});
const sp = seasonParams(config, "ndvi");
const ap = abandonmentParams(config, "ndvi");

/** Applies months to a 1-pixel-per-case grid: each row of `series` is one pixel's NDVI by month (NaN: unobserved). */
function history(months: string[], series: number[][]): SeasonState {
  let s: SeasonState | null = null;
  months.forEach((month, k) => {
    const v = Float32Array.from(series.map((px) => px[k]!));
    s = updateSeason(s, { month, index: "ndvi", max: v, min: v }, series.length, 1, sp);
  });
  return s!;
}

describe("vegetation indices", () => {
  it("computes NDVI and excess green as their definitions", () => {
    expect(ndvi(Float32Array.of(0.1, 0.2, 0), Float32Array.of(0.5, 0.2, 0))[0]).toBeCloseTo(0.4 / 0.6, 6);
    expect(Number.isNaN(ndvi(Float32Array.of(0), Float32Array.of(0))[0])).toBe(true);
    // r, g, b = 0.2, 0.5, 0.3 → chromatic 0.2, 0.5, 0.3 → 2·0.5 − 0.2 − 0.3 = 0.5
    expect(excessGreen(Float32Array.of(0.2), Float32Array.of(0.5), Float32Array.of(0.3))[0]).toBeCloseTo(
      0.5,
      6,
    );
    expect(excessGreen(Float32Array.of(0.4), Float32Array.of(0.4), Float32Array.of(0.4))[0]).toBeCloseTo(
      0,
      6,
    );
  });
});

describe("season history", () => {
  it("assigns months to seasons starting at seasonStartMonth", () => {
    expect(seasonOf("2016-04", sp)).toBe(2016);
    expect(seasonOf("2016-12", sp)).toBe(2016);
    expect(seasonOf("2017-03", sp)).toBe(2016);
  });

  it("records observed and bare months as bits, the peak with its month and the minimum", () => {
    const s = history(["2016-04", "2016-05", "2016-06", "2016-07"], [[0.15, NaN, 0.8, 0.6]]);
    expect(s.observedMonths[0]).toBe((1 << 3) | (1 << 5) | (1 << 6));
    expect(s.bareMonths[0]).toBe(1 << 3);
    expect(s.peak[0]).toBeCloseTo(0.8, 6);
    expect(s.peakMonth[0]).toBe(6);
    expect(s.minimum[0]).toBeCloseTo(0.15, 6);
  });

  it("does not update outside the growing season and restarts with a new season", () => {
    const s = history(["2016-09", "2016-11", "2017-02"], [[0.3, 0.9, 0.9]]);
    expect(s.observedMonths[0]).toBe(1 << 8);
    expect(s.peak[0]).toBeCloseTo(0.3, 6);
    const next = updateSeason(
      s,
      { month: "2017-04", index: "ndvi", max: Float32Array.of(0.4), min: Float32Array.of(0.4) },
      1,
      1,
      sp,
    );
    expect(next.season).toBe(2017);
    expect(next.observedMonths[0]).toBe(1 << 3);
  });

  it("leaves the previous history untouched, so re-running a month gives the same state", () => {
    const prev = history(["2016-05"], [[0.3]]);
    const obs = {
      month: "2016-06",
      index: "ndvi" as const,
      max: Float32Array.of(0.7),
      min: Float32Array.of(0.7),
    };
    const a = updateSeason(prev, obs, 1, 1, sp);
    const b = updateSeason(prev, obs, 1, 1, sp);
    expect(b).toEqual(a);
    expect(prev.peak[0]).toBeCloseTo(0.3, 6);
  });

  it("refuses a previous history that is not earlier, or tracks another index in the same season", () => {
    const prev = history(["2016-06"], [[0.3]]);
    const v = Float32Array.of(0.3);
    expect(() => updateSeason(prev, { month: "2016-06", index: "ndvi", max: v, min: v }, 1, 1, sp)).toThrow(
      ConfigError,
    );
    expect(() => updateSeason(prev, { month: "2016-07", index: "exg", max: v, min: v }, 1, 1, sp)).toThrow(
      ConfigError,
    );
  });

  it("round-trips through its GeoTIFF, also read from a larger window", async () => {
    const s = history(
      ["2016-05", "2016-06"],
      [
        [0.1, 0.7],
        [NaN, 0.4],
        [NaN, NaN],
      ],
    );
    const dir = mkdtempSync(path.join(tmpdir(), "season-state-"));
    const affine = {
      originX: 500000,
      pixelWidth: 10,
      rowRotation: 0,
      originY: 4000000,
      colRotation: 0,
      pixelHeight: -10,
    };
    await writeSeasonState(path.join(dir, "state/pixels/w.tif"), s, {
      affine,
      crs: "EPSG:32650",
      window: { x0: 2, y0: 1, x1: 5, y1: 2 },
    });
    const back = (await readSeasonState(dir, {
      affine,
      crs: "EPSG:32650",
      window: { x0: 1, y0: 1, x1: 6, y1: 2 },
    }))!;
    expect(back.month).toBe("2016-06");
    expect(back.season).toBe(2016);
    expect(Array.from(back.observedMonths)).toEqual([0, ...Array.from(s.observedMonths), 0]);
    expect(Array.from(back.peak.slice(1, 4))).toEqual(Array.from(s.peak));
    expect(Number.isNaN(back.peak[0]!)).toBe(true);
    await expect(
      readSeasonState(dir, {
        affine: { ...affine, pixelWidth: 20 },
        crs: "EPSG:32650",
        window: { x0: 0, y0: 0, x1: 2, y1: 2 },
      }),
    ).rejects.toThrow(ConfigError);
    expect(
      await readSeasonState(path.join(dir, "nothing"), {
        affine,
        crs: "EPSG:32650",
        window: { x0: 0, y0: 0, x1: 1, y1: 1 },
      }),
    ).toBeNull();
  });
});

describe("abandonment rules", () => {
  const months = ["2016-04", "2016-05", "2016-06", "2016-07", "2016-08"];
  const s = history(months, [
    [0.3, 0.35, 0.4, 0.38, 0.36], // weedy, never a crop peak, never bare: abandoned
    [0.15, 0.3, 0.6, 0.8, 0.7], // tilled in April, crop peak: cultivated
    [0.3, 0.35, 0.7, 0.75, 0.6], // crop peak without an observed bare month: cultivated
    [0.18, 0.3, 0.35, 0.3, 0.3], // tilled, poor crop: cultivated (a tillage month)
    [NaN, NaN, NaN, NaN, 0.3], // one look in five months: too little evidence
    [0.3, NaN, NaN, 0.35, 0.3], // three of five months: enough evidence, abandoned
  ]);

  it("flags land with no crop peak and no bare-soil month on enough evidence", () => {
    const r = flagAbandonment(s, ap);
    expect(r.deciding).toBe(true);
    expect(r.monthsElapsed).toBe(5);
    expect(Array.from(r.flagged)).toEqual([1, 0, 0, 0, 0, 1]);
    expect(r.evidence[4]).toBe(Math.round((1 / 5) * 255));
    expect(r.evidence[5]).toBe(Math.round((3 / 5) * 255));
  });

  it("decides only from decideFromMonth, and keeps the season's verdict through the winter", () => {
    expect(seasonProgress("2016-07", ap)).toEqual({ monthsElapsed: 4, deciding: false });
    expect(seasonProgress("2016-12", ap)).toEqual({ monthsElapsed: 7, deciding: true });
    expect(seasonProgress("2017-02", ap)).toEqual({ monthsElapsed: 7, deciding: true });
    const early = history(months.slice(0, 4), [[0.3, 0.35, 0.4, 0.38]]);
    expect(flagAbandonment(early, ap).flagged[0]).toBe(0);
  });

  it("uses the config's thresholds", () => {
    const strict = abandonmentParams(
      parseDetectionConfig({ abandonment: { ndvi: { cropPeakMin: 0.9 } } }),
      "ndvi",
    );
    expect(Array.from(flagAbandonment(s, strict).flagged)).toEqual([1, 0, 1, 0, 0, 1]);
  });

  it("refuses a season that does not fit in one calendar year", () => {
    expect(() => parseDetectionConfig({ abandonment: { seasonStartMonth: 10, seasonEndMonth: 5 } })).toThrow(
      ConfigError,
    );
  });
});
