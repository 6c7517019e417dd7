/**
 * Every pixel our reader returns for the real files in ../shared/data equals what GDAL reads:
 * whole images, seeded random windows and band subsets (gdal_translate -srcwin -b). Size,
 * geotransform and EPSG against gdalinfo -json are in raster-info.test.ts (one gdalinfo per file).
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openRaster } from "../../src/ingest/raster-source.js";
import { noSharedData, noTools, sharedData, sharedDataDir } from "../support/environment.js";
import {
  firstDifference,
  gdalInfo,
  gdalRead,
  makeTempDir,
  randomBands,
  randomWindow,
  seededRandom,
  sliceWindow,
} from "./raster-gdal.js";

function tiffsUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tiff?$/i.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

const skip = noSharedData() || noTools("gdal_translate", "gdalinfo");
const files = skip ? [] : tiffsUnder(sharedDataDir);
const tmp = makeTempDir("raster-read");
afterAll(() => tmp.remove());

describe.skipIf(skip)("reading the real rasters in ../shared/data against GDAL", () => {
  it("finds the data sets the README lists", () => {
    const rel = files.map((f) => path.relative(sharedDataDir, f));
    for (const want of [
      "oscd/paris_t1.tif",
      "oscd/paris_t2.tif",
      "oscd/paris_cm.tif",
      "naip/m_4709963_se_14_1_20090818.tif",
      "landsat/taizhou_2000_etm.tif",
      "eo-learn/ndvi_timeseries.tif",
      "eo-learn/cloud_mask.tif",
      "eo-learn/lulc.tif",
    ]) {
      expect(rel).toContain(want);
    }
  });

  it.each(files.map((f) => [path.relative(sharedDataDir, f), f] as const))(
    "%s: whole image, random windows and band subsets equal gdal_translate",
    async (_rel, file) => {
      const src = await openRaster(file);
      try {
        const full = await src.read({ x0: 0, y0: 0, x1: src.width, y1: src.height });
        const ref = gdalRead(file, src.sampleType, tmp.dir);
        expect([ref.width, ref.height, ref.bands.length]).toEqual([src.width, src.height, src.bandCount]);
        full.bands.forEach((b, i) => expect(firstDifference(b, ref.bands[i]!), `band ${i}`).toBe(-1));

        const rand = seededRandom(file.length * 7919 + src.width);
        // One window checked against gdal_translate -srcwin -b directly …
        for (let k = 0; k < 1; k++) {
          const w = randomWindow(rand, src.width, src.height);
          const bands = randomBands(rand, src.bandCount);
          const ours = await src.read(w, { bands });
          const theirs = gdalRead(file, src.sampleType, tmp.dir, { window: w, bands });
          expect(ours.bandIndices).toEqual(bands);
          ours.bands.forEach((b, i) =>
            expect(firstDifference(b, theirs.bands[i]!), `window ${JSON.stringify(w)} band ${bands[i]}`).toBe(
              -1,
            ),
          );
        }
        // … and twenty more against GDAL's whole-image read, sliced.
        for (let k = 0; k < 20; k++) {
          const w = randomWindow(rand, src.width, src.height);
          const bands = randomBands(rand, src.bandCount);
          const ours = await src.read(w, { bands });
          ours.bands.forEach((b, i) =>
            expect(
              firstDifference(b, sliceWindow(ref.bands[bands[i]!]!, src.width, w)),
              `window ${JSON.stringify(w)} band ${bands[i]}`,
            ).toBe(-1),
          );
        }
      } finally {
        await src.close();
      }
    },
  );

  it("gives the eo-learn NDVI bands their acquisition dates as descriptions", async () => {
    const src = await openRaster(sharedData("eo-learn", "ndvi_timeseries.tif"));
    await src.close();
    const info = gdalInfo(sharedData("eo-learn", "ndvi_timeseries.tif"));
    expect(src.bandDescriptions).toHaveLength(68);
    expect(src.bandDescriptions[0]).toBe("2015-07-11T10:00:08");
    expect(src.bandDescriptions).toEqual(info.bands.map((b) => b.description ?? ""));
  });
});
