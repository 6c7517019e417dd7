/**
 * Real masks vectorised by us and by gdal_polygonize.py must give the same polygons: same count,
 * and each polygon (matched by its pixel bounding box) with the same area to 1e-6 relative. Every
 * polygon we emit, exact or simplified, must be valid according to GDAL/GEOS (ST_IsValid).
 *
 * Masks: NDVI > 0.3 of two NAIP summers (5 m, EPSG:26914) and the five OSCD change maps (value 2 =
 * change, EPSG:4326), each written with our GeoTIFF writer and polygonised by GDAL from that file.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fromFile } from "geotiff";
import { afterAll, describe, expect, it } from "vitest";
import { mapToPixel, type Affine, type TypedSamples } from "../../src/core/raster-types.js";
import { writeGeoTiff } from "../../src/ingest/geotiff-writer.js";
import { polygonArea, polygonize, toGeoJsonPolygon, type MapPolygon } from "../../src/vector/index.js";
import { noSharedData, noTools, sharedData } from "../support/environment.js";

const skip = noSharedData() || noTools("gdal_polygonize.py", "gdalinfo", "ogrinfo");

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

interface Raster {
  width: number;
  height: number;
  bands: TypedSamples[];
  affine: Affine;
  crs: string;
}

/** Pixels through geotiff.js; georeference from gdalinfo (the reference reader). */
async function readRaster(file: string): Promise<Raster> {
  const info = JSON.parse(run("gdalinfo", ["-json", file])) as {
    geoTransform: [number, number, number, number, number, number];
    coordinateSystem: { wkt: string };
  };
  const [originX, pixelWidth, rowRotation, originY, colRotation, pixelHeight] = info.geoTransform;
  const epsg = /ID\["EPSG",(\d+)\]\]\s*$/.exec(info.coordinateSystem.wkt)?.[1];
  const tiff = await fromFile(file);
  const image = await tiff.getImage();
  const bands = (await image.readRasters({ interleave: false })) as unknown as TypedSamples[];
  const raster = {
    width: image.getWidth(),
    height: image.getHeight(),
    bands: Array.from(bands),
    affine: { originX, pixelWidth, rowRotation, originY, colRotation, pixelHeight },
    crs: `EPSG:${epsg}`,
  };
  await tiff.close();
  return raster;
}

/** NDVI = (NIR − R)/(NIR + R) > 0.3 over pixels that are not nodata (0) in any band. */
function ndviMask(r: Raster): Uint8Array {
  const [red, , , nir] = r.bands as [TypedSamples, TypedSamples, TypedSamples, TypedSamples];
  const mask = new Uint8Array(r.width * r.height);
  for (let i = 0; i < mask.length; i++) {
    const R = red[i] as number;
    const N = nir[i] as number;
    if (r.bands.some((b) => b[i] === 0)) continue;
    if ((N - R) / (N + R) > 0.3) mask[i] = 1;
  }
  return mask;
}

interface Summary {
  area: number;
  key: string;
}

/** bbox in pixel coordinates (rounded) of a set of map coordinates: matches polygons across tools. */
function pixelKey(affine: Affine, xs: number[], ys: number[]): string {
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const x of xs) {
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
  }
  for (const y of ys) {
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const a = mapToPixel(affine, minX, maxY);
  const b = mapToPixel(affine, maxX, minY);
  return [a.col, a.row, b.col, b.row].map((v) => Math.round(v)).join(",");
}

function gdalPolygons(tif: string, out: string, value: number, eight: boolean, affine: Affine): Summary[] {
  run("gdal_polygonize.py", ["-q", ...(eight ? ["-8"] : []), tif, "-f", "GeoJSON", out]);
  const fc = JSON.parse(readFileSync(out, "utf8")) as {
    features: { properties: { DN: number }; geometry: { type: string; coordinates: number[][][] } }[];
  };
  return fc.features
    .filter((f) => f.properties.DN === value)
    .map((f) => {
      expect(f.geometry.type).toBe("Polygon");
      const rings = f.geometry.coordinates.map((ring) => Float64Array.from(ring.flat()));
      const outer = f.geometry.coordinates[0] ?? [];
      return {
        area: polygonArea(rings),
        key: pixelKey(
          affine,
          outer.map((p) => p[0] as number),
          outer.map((p) => p[1] as number),
        ),
      };
    });
}

/** Our polygons grouped by connected region (8-connected regions may have several parts). */
function ourSummaries(polygons: MapPolygon[], affine: Affine): Summary[] {
  const byRegion = new Map<number, MapPolygon[]>();
  for (const p of polygons) {
    const list = byRegion.get(p.region);
    if (list) list.push(p);
    else byRegion.set(p.region, [p]);
  }
  return [...byRegion.values()].map((parts) => {
    const xs: number[] = [];
    const ys: number[] = [];
    for (const p of parts) {
      const ring = p.rings[0] as Float64Array;
      for (let i = 0; i < ring.length; i += 2) {
        xs.push(ring[i] as number);
        ys.push(ring[i + 1] as number);
      }
    }
    return { area: parts.reduce((s, p) => s + polygonArea(p.rings), 0), key: pixelKey(affine, xs, ys) };
  });
}

function expectSamePolygons(ours: Summary[], gdal: Summary[]): void {
  expect(ours.length).toBe(gdal.length);
  const group = (list: Summary[]): Map<string, number[]> => {
    const m = new Map<string, number[]>();
    for (const s of list) m.set(s.key, [...(m.get(s.key) ?? []), s.area]);
    for (const v of m.values()) v.sort((a, b) => a - b);
    return m;
  };
  const g = group(gdal);
  const o = group(ours);
  expect([...o.keys()].sort()).toEqual([...g.keys()].sort());
  let worst = 0;
  for (const [key, areas] of o) {
    const theirs = g.get(key) as number[];
    expect(areas.length).toBe(theirs.length);
    areas.forEach((a, i) => {
      worst = Math.max(worst, Math.abs(a - (theirs[i] as number)) / (theirs[i] as number));
    });
  }
  expect(worst).toBeLessThan(1e-6);
}

/** Writes polygons as GeoJSON (one feature per region; Polygon or MultiPolygon) and counts the invalid ones with GEOS. */
function invalidCount(polygons: MapPolygon[], file: string): { invalid: number; features: number } {
  const byRegion = new Map<number, MapPolygon[]>();
  for (const p of polygons) {
    const list = byRegion.get(p.region);
    if (list) list.push(p);
    else byRegion.set(p.region, [p]);
  }
  const features = [...byRegion.entries()].map(([region, parts]) => ({
    type: "Feature",
    properties: { region },
    geometry:
      parts.length === 1
        ? toGeoJsonPolygon(parts[0] as MapPolygon)
        : { type: "MultiPolygon", coordinates: parts.map((p) => toGeoJsonPolygon(p).coordinates) },
  }));
  writeFileSync(file, JSON.stringify({ type: "FeatureCollection", features }));
  const layer = path.basename(file, ".geojson");
  const out = run("ogrinfo", [
    "-q",
    "-dialect",
    "SQLite",
    "-sql",
    `SELECT SUM(CASE WHEN ST_IsValid(geometry) THEN 0 ELSE 1 END) AS invalid, COUNT(*) AS n FROM "${layer}"`,
    file,
  ]);
  const invalid = Number(/invalid \(Integer\) = (\d+)/.exec(out)?.[1] ?? NaN);
  const n = Number(/n \(Integer\) = (\d+)/.exec(out)?.[1] ?? NaN);
  return { invalid, features: n };
}

function vertexCount(polygons: MapPolygon[]): number {
  return polygons.reduce((s, p) => s + p.rings.reduce((t, r) => t + r.length / 2, 0), 0);
}

describe.skipIf(skip)("polygonize matches gdal_polygonize.py on real masks", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "polygonize-gdal-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: { name: string; load: () => Promise<{ mask: Uint8Array; raster: Raster; value: number }> }[] =
    [
      ...["20090818", "20200831"].map((date) => ({
        name: `NAIP ${date} NDVI > 0.3`,
        load: async () => {
          const raster = await readRaster(sharedData("naip", `m_4709963_se_14_1_${date}.tif`));
          return { mask: ndviMask(raster), raster, value: 1 };
        },
      })),
      ...["aguasclaras", "bercy", "bordeaux", "paris", "rennes"].map((city) => ({
        name: `OSCD ${city} change map`,
        load: async () => {
          const raster = await readRaster(sharedData("oscd", `${city}_cm.tif`));
          return { mask: raster.bands[0] as Uint8Array, raster, value: 2 };
        },
      })),
    ];

  for (const c of cases) {
    it(`${c.name}: same polygons as GDAL (4- and 8-connected), all valid, also simplified`, async () => {
      const { mask, raster, value } = await c.load();
      const { width, height, affine, crs } = raster;
      const stem = c.name.replace(/[^A-Za-z0-9]+/g, "-");
      const tif = path.join(dir, `${stem}.tif`);
      // Binary NDVI masks get nodata 0 (GDAL then skips the background); change maps keep 1/2.
      await writeGeoTiff(
        tif,
        { width, height, bandCount: 1, sampleType: "uint8", affine, crs, nodata: value === 1 ? 0 : null },
        [mask],
      );
      let count4 = 0;
      for (const connectivity of [4, 8] as const) {
        const ours = polygonize(mask, width, height, { affine, values: [value], connectivity });
        const gdal = gdalPolygons(
          tif,
          path.join(dir, `${stem}-${connectivity}.geojson`),
          value,
          connectivity === 8,
          affine,
        );
        expect(gdal.length).toBeGreaterThan(0);
        expectSamePolygons(ourSummaries(ours, affine), gdal);
        if (connectivity === 4) count4 = ours.length;
        expect(invalidCount(ours, path.join(dir, `${stem}-ours-${connectivity}.geojson`))).toEqual({
          invalid: 0,
          features: new Set(ours.map((p) => p.region)).size,
        });
      }
      // Simplified at 1.5 pixels: fewer vertices, same polygons, still valid per GEOS.
      const pixel = Math.sqrt(Math.abs(affine.pixelWidth * affine.pixelHeight));
      const exact = polygonize(mask, width, height, { affine, values: [value] });
      const simple = polygonize(mask, width, height, {
        affine,
        values: [value],
        simplifyTolerance: 1.5 * pixel,
      });
      expect(simple.length).toBe(count4);
      expect(vertexCount(simple)).toBeLessThan(vertexCount(exact));
      expect(invalidCount(simple, path.join(dir, `${stem}-simplified.geojson`))).toEqual({
        invalid: 0,
        features: simple.length,
      });
    });
  }
});
