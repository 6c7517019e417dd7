/**
 * Set-up of the real change-detection pairs as patrol runs: a manifest per pair whose baseline is
 * one dry-land (DLBM 0103) parcel covering the whole image and whose county covers it too, so
 * every pixel may yield a change; the issues are then compared with the pair's change map.
 * OSCD pairs are georeferenced GeoTIFFs (EPSG:4326, Sentinel-2 13 bands). SZTAKI pairs are plain
 * PNGs: they are written as GeoTIFFs on an assigned grid (UTM 34N, 1.5 m, an arbitrary origin
 * near Szada) with our GeoTIFF writer, the change map `gt.png` on the same grid.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import type { Affine } from "../../src/core/raster-types.js";
import { writeGeoTiff } from "../../src/ingest/geotiff-writer.js";
import { openRaster } from "../../src/ingest/raster-source.js";
import { sharedData } from "../support/environment.js";

export interface PairRun {
  readonly name: string;
  readonly manifest: string;
  readonly reference: string;
  /** Value of a changed pixel in `reference`. */
  readonly changeValue: number;
}

function rect(a: Affine, width: number, height: number, pad: number): number[][] {
  const x0 = a.originX - pad * a.pixelWidth;
  const x1 = a.originX + (width + pad) * a.pixelWidth;
  const y0 = a.originY - pad * a.pixelHeight;
  const y1 = a.originY + (height + pad) * a.pixelHeight;
  return [
    [x0, y0],
    [x0, y1],
    [x1, y1],
    [x1, y0],
    [x0, y0],
  ];
}

function writeLayers(dir: string, a: Affine, width: number, height: number, crs: string): void {
  const member = { type: "name", properties: { name: crs } };
  writeFileSync(
    path.join(dir, "baseline.geojson"),
    JSON.stringify({
      type: "FeatureCollection",
      crs: member,
      features: [
        {
          type: "Feature",
          properties: { DLBM: "0103", YJJBNT: 0, TBBH: "ALL" },
          geometry: { type: "Polygon", coordinates: [rect(a, width, height, 0)] },
        },
      ],
    }),
  );
  writeFileSync(
    path.join(dir, "counties.geojson"),
    JSON.stringify({
      type: "FeatureCollection",
      crs: member,
      features: [
        {
          type: "Feature",
          properties: { adcode: "990101", name: "test county" },
          geometry: { type: "Polygon", coordinates: [rect(a, width, height, 10)] },
        },
      ],
    }),
  );
}

function writeManifest(
  dir: string,
  runId: string,
  profile: string,
  after: { source: string; date: string },
  before: { source: string; date: string },
): string {
  const file = path.join(dir, "manifest.json");
  writeFileSync(
    file,
    JSON.stringify({
      runId,
      month: after.date.slice(0, 7),
      runDate: after.date,
      output: "out",
      profile,
      tiles: [{ id: runId, after, before }],
      baseline: { path: "baseline.geojson", classField: "DLBM", pbfField: "YJJBNT" },
      counties: { path: "counties.geojson" },
      detection: { chips: { enabled: false } },
    }),
  );
  return file;
}

const isoDate = (yyyymmdd: string): string =>
  `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;

/** An OSCD city as a run in `dir` (the imagery is read in place from ../shared/data). */
export async function oscdPair(city: string, dir: string): Promise<PairRun> {
  const t1 = sharedData("oscd", `${city}_t1.tif`);
  const t2 = sharedData("oscd", `${city}_t2.tif`);
  const dates = readFileSync(sharedData("oscd", `${city}_dates.txt`), "utf8");
  const d1 = /date_1:\s*(\d{8})/.exec(dates)![1]!;
  const d2 = /date_2:\s*(\d{8})/.exec(dates)![1]!;
  const r = await openRaster(t2);
  writeLayers(dir, r.affine, r.width, r.height, "EPSG:4326");
  await r.close();
  return {
    name: `oscd/${city}`,
    manifest: writeManifest(
      dir,
      `oscd-${city}`,
      "sentinel2-l1c-13",
      { source: t2, date: isoDate(d2) },
      {
        source: t1,
        date: isoDate(d1),
      },
    ),
    reference: sharedData("oscd", `${city}_cm.tif`),
    changeValue: 2,
  };
}

/** The assigned grid of the SZTAKI pairs: UTM zone 34N, 1.5 m pixels, north up. */
export const SZTAKI_CRS = "EPSG:32634";
const SZTAKI_AFFINE: Affine = {
  originX: 360_000,
  pixelWidth: 1.5,
  rowRotation: 0,
  originY: 5_277_000,
  colRotation: 0,
  pixelHeight: -1.5,
};

async function pngToGeoTiff(
  png: string,
  out: string,
  crop: { width: number; height: number } | null,
): Promise<void> {
  let image = sharp(png);
  if (crop) image = image.extract({ left: 0, top: 0, width: crop.width, height: crop.height });
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  const bands = Array.from({ length: info.channels }, (_, c) => {
    const band = new Uint8Array(n);
    for (let i = 0; i < n; i++) band[i] = data[i * info.channels + c]!;
    return band;
  });
  await writeGeoTiff(
    out,
    {
      width: info.width,
      height: info.height,
      bandCount: info.channels,
      sampleType: "uint8",
      affine: SZTAKI_AFFINE,
      crs: SZTAKI_CRS,
    },
    bands,
  );
}

/**
 * A SZTAKI pair as a run in `dir`: im1 (before), im2 (after) and gt as GeoTIFFs on the assigned
 * grid, cropped to the top-left `crop` pixels when given. The acquisition dates are not in the
 * data set (5 to 23 years apart); placeholders are used.
 */
export async function sztakiPair(
  name: string,
  dir: string,
  crop: { width: number; height: number } | null,
): Promise<PairRun> {
  const src = (f: string): string => sharedData("sztaki", name, f);
  await pngToGeoTiff(src("im1.png"), path.join(dir, "im1.tif"), crop);
  await pngToGeoTiff(src("im2.png"), path.join(dir, "im2.tif"), crop);
  await pngToGeoTiff(src("gt.png"), path.join(dir, "gt.tif"), crop);
  const r = await openRaster(path.join(dir, "im2.tif"));
  writeLayers(dir, r.affine, r.width, r.height, SZTAKI_CRS);
  await r.close();
  return {
    name: `sztaki/${name}`,
    manifest: writeManifest(
      dir,
      `sztaki-${name.toLowerCase()}`,
      "rgb",
      { source: "im2.tif", date: "2000-06-01" },
      {
        source: "im1.tif",
        date: "1984-06-01",
      },
    ),
    reference: path.join(dir, "gt.tif"),
    changeValue: 255,
  };
}
