/**
 * Radiometric matching: percentiles against numpy (GDAL's Python bindings read the same file),
 * and the matched profile taking the image's percentiles exactly onto the reference's.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  imagePercentiles,
  matchedProfile,
  percentileOfSorted,
  type BandPercentiles,
} from "../../src/ingest/radiometric-match.js";
import { openRaster } from "../../src/ingest/raster-source.js";
import { BUILTIN_SENSOR_PROFILES, type SensorProfile } from "../../src/ingest/sensor-profile.js";
import { noSharedData, noTools, sharedData } from "../support/environment.js";

const LANDSAT = BUILTIN_SENSOR_PROFILES["landsat-etm-6"]!;

describe("percentileOfSorted", () => {
  it("takes the nearest rank below, as numpy's method='lower'", () => {
    const v = [10, 20, 30, 40, 50];
    expect(percentileOfSorted(v, 0)).toBe(10);
    expect(percentileOfSorted(v, 50)).toBe(30);
    expect(percentileOfSorted(v, 74)).toBe(30); // 0.74 × 4 = 2.96 → rank 2
    expect(percentileOfSorted(v, 75)).toBe(40);
    expect(percentileOfSorted(v, 100)).toBe(50);
    expect(percentileOfSorted([], 50)).toBeNaN();
  });
});

describe("matchedProfile", () => {
  const image: BandPercentiles = {
    percentiles: [2, 98],
    bands: { blue: [0.36, 0.47], green: [0.27, 0.4], red: [0.23, 0.43] },
  };
  const reference: BandPercentiles = {
    percentiles: [2, 98],
    bands: { blue: [0.03, 0.9], green: [0.06, 0.9], red: [0.04, 0.87] },
  };
  const apply = (p: SensorProfile, name: string, dn: number): number => {
    const b = p.bands.find((x) => x.name === name)!;
    return dn * b.scale + b.offset;
  };

  it("maps each band's image percentiles onto the reference's and keeps the others", () => {
    const { profile, matches } = matchedProfile(LANDSAT, image, reference);
    expect(profile.id).toBe("landsat-etm-6-matched");
    expect(matches.map((m) => m.name)).toEqual(["blue", "green", "red"]);
    for (const name of ["blue", "green", "red"] as const) {
      const [lo, hi] = image.bands[name]!;
      // DN of the image's percentiles under the original profile (DN / 255).
      expect(apply(profile, name, lo * 255)).toBeCloseTo(reference.bands[name]![0], 10);
      expect(apply(profile, name, hi * 255)).toBeCloseTo(reference.bands[name]![1], 10);
    }
    for (const name of ["nir", "swir1", "swir2"]) {
      expect(profile.bands.find((b) => b.name === name)).toEqual(LANDSAT.bands.find((b) => b.name === name));
    }
    expect(profile.bandCount).toBe(LANDSAT.bandCount);
    expect(profile.nodata).toBe(LANDSAT.nodata);
  });

  it("refuses a flat band and mismatched percentiles", () => {
    expect(() =>
      matchedProfile(LANDSAT, { percentiles: [2, 98], bands: { red: [0.3, 0.3] } }, reference),
    ).toThrow(/red is flat/);
    expect(() => matchedProfile(LANDSAT, { ...image, percentiles: [1, 99] }, reference)).toThrow(
      /differ from the reference/,
    );
  });
});

/**
 * numpy's 2nd and 98th percentiles (method 'lower') per band of GDAL's read of `file`, over the
 * pixels valid in every band, rows and columns both sliced by `step` (numpy slicing, e.g.
 * "::283"; all of them by default); with the count of valid pixels.
 */
function numpyPercentiles(file: string, step = ""): { valid: number; bands: number[][] } {
  const script = [
    "import sys, json, numpy as np",
    "from osgeo import gdal",
    `a = gdal.Open(sys.argv[1]).ReadAsArray().astype(np.float64)[:, ${step || ":"}, ${step || ":"}]`,
    "valid = (a != 0).all(axis=0)",
    "print(json.dumps([int(valid.sum()), [[float(np.percentile(b[valid], p, method='lower')) for p in (2, 98)] for b in a]]))",
  ].join("\n");
  const [valid, bands] = JSON.parse(
    execFileSync("/usr/bin/python3", ["-c", script, file], { encoding: "utf8" }),
  ) as [number, number[][]];
  return { valid, bands };
}

/** Each band's percentiles (reflectance × 255 = DN for this profile) equal numpy's to 6 places. */
function expectPercentiles(got: BandPercentiles, expected: number[][]): void {
  LANDSAT.bands.forEach((b, k) => {
    const [lo, hi] = got.bands[b.name]!;
    expect(lo * 255).toBeCloseTo(expected[k]![0]!, 6);
    expect(hi * 255).toBeCloseTo(expected[k]![1]!, 6);
  });
}

describe.skipIf(noSharedData() || noTools("gdalinfo"))("imagePercentiles on the Taizhou 2000 image", () => {
  it("equals numpy's percentiles (method 'lower') of GDAL's read, per band", async () => {
    const file = sharedData("landsat", "taizhou_2000_etm.tif");
    const expected = numpyPercentiles(file);
    const raster = await openRaster(file);
    const got = await imagePercentiles([raster], LANDSAT);
    await raster.close();
    expect(got.percentiles).toEqual([2, 98]);
    expectPercentiles(got, expected.bands);
  });

  it("samples a grid coarser than its 256-row strips (every 283rd pixel and row) as numpy does", async () => {
    const file = sharedData("landsat", "taizhou_2000_etm.tif");
    const expected = numpyPercentiles(file, "::283");
    expect(expected.valid).toBeGreaterThan(0);
    const raster = await openRaster(file);
    // 400 × 400 pixels and at most 2 samples' worth of grid: a step of ceil(√80 000) = 283.
    const got = await imagePercentiles([raster], LANDSAT, [2, 98], 2);
    await raster.close();
    expectPercentiles(got, expected.bands);
  });

  it("thins large rasters on a grid and stays close to the full figures", async () => {
    const raster = await openRaster(sharedData("landsat", "taizhou_2000_etm.tif"));
    const full = await imagePercentiles([raster], LANDSAT);
    const thinned = await imagePercentiles([raster], LANDSAT, [2, 98], 10_000); // every 4th pixel and row
    await raster.close();
    for (const b of LANDSAT.bands) {
      expect(Math.abs(thinned.bands[b.name]![0] - full.bands[b.name]![0]) * 255).toBeLessThanOrEqual(2);
      expect(Math.abs(thinned.bands[b.name]![1] - full.bands[b.name]![1]) * 255).toBeLessThanOrEqual(2);
    }
  });
});
