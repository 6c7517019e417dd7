/**
 * `patrol info --json` agrees with `gdalinfo -json` on every TIFF in ../shared/data: size,
 * bands, type, nodata, geotransform, EPSG, block size, compression, interleave, overviews,
 * band descriptions and the lon/lat extent. The CLI itself is run end to end on two files.
 */
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  describeRaster,
  formatRasterInfo,
  rasterInfoToJson,
  type RasterInfo,
} from "../../src/ingest/info.js";
import { openRaster } from "../../src/ingest/raster-source.js";
import { noSharedData, noTools, repoPath, sharedData, sharedDataDir } from "../support/environment.js";
import { expectInfoMatchesGdal, gdalInfo } from "./raster-gdal.js";

type InfoJson = ReturnType<typeof rasterInfoToJson>;

async function infoOf(file: string): Promise<RasterInfo> {
  const src = await openRaster(file, { allowUnknownCrs: true });
  try {
    return describeRaster(src);
  } finally {
    await src.close();
  }
}

function patrol(...args: string[]): string {
  return execFileSync(process.execPath, ["--import", "tsx", repoPath("src", "cli", "main.ts"), ...args], {
    encoding: "utf8",
    cwd: repoPath(),
  });
}

const skip = noSharedData() || noTools("gdalinfo");
const files = skip
  ? []
  : readdirSync(sharedDataDir, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && /\.tiff?$/i.test(e.name))
      .map((e) => path.join(e.parentPath, e.name))
      .sort();

describe.skipIf(skip)("patrol info against gdalinfo -json", () => {
  it.each(files.map((f) => [path.relative(sharedDataDir, f), f] as const))("%s", async (_rel, file) => {
    const ours = rasterInfoToJson(await infoOf(file));
    expectInfoMatchesGdal(ours, gdalInfo(file));
    expect(ours.lonLatBounds).not.toBeNull();
  });

  it("runs as `patrol info FILE --json` and prints the same JSON", async () => {
    const file = sharedData("naip", "m_4709963_se_14_1_20090818.tif");
    const printed = JSON.parse(patrol("info", file, "--json")) as InfoJson;
    expect(printed).toEqual(JSON.parse(JSON.stringify(rasterInfoToJson(await infoOf(file)))));
    expectInfoMatchesGdal(printed, gdalInfo(file));
  });

  it("prints a readable summary with band dates for the NDVI time series", () => {
    const text = patrol("info", sharedData("eo-learn", "ndvi_timeseries.tif"));
    expect(text).toMatch(/Size:\s+100 × 101 pixels, 68 band\(s\) of float32/);
    expect(text).toMatch(/CRS:\s+EPSG:32633/);
    expect(text).toMatch(/^\s+1\s+2015-07-11T10:00:08$/m);
    expect(text).toContain("Lon/lat:");
  });

  it("formats NaN nodata as gdalinfo does", async () => {
    const info = await infoOf(sharedData("eo-learn", "ndvi_timeseries.tif"));
    const withNan: RasterInfo = { ...info, nodata: Number.NaN };
    expect(rasterInfoToJson(withNan).nodata).toBe("NaN");
    expect(formatRasterInfo(withNan)).toMatch(/Nodata:\s+NaN/);
  });
});
