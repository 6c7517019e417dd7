/**
 * Rasterisation speed (src/ingest/rasterize.ts) beside `gdal_rasterize` on the same inputs.
 *
 * Inputs (made by `prepare`, in the run's temp folder):
 * - the 103 Inner Mongolia counties (../shared/data) reprojected to EPSG:4525 and written with
 *   full precision, burned (adcode, UInt32) onto a 4000×4000 30 m grid over Hohhot and Baotou;
 * - a synthetic cropland-baseline-like layer: 40000 seeded parcels (irregular 8–16-gon fields of
 *   roughly 60–300 m) over a 10000×10000 10 m grid in EPSG:4527 (quick: 5000 over 4000×4000).
 *
 * Throughput is grid megapixels per second. Ours is in-process and includes allocating the
 * output array. GDAL is the `gdal_rasterize -of MEM` process (GDAL_NUM_THREADS=1), so its wall
 * time includes start-up and reading the GeoJSON; the note gives the same command on a 1×1
 * grid as that fixed cost.
 */
import { existsSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadCountyBoundaries } from "../src/ingest/county-layer.js";
import { rasterizeLayer, type RasterGrid } from "../src/ingest/rasterize.js";
import {
  parseVectorLayer,
  reprojectLayer,
  type RawProperties,
  type VectorLayer,
} from "../src/ingest/vector-layer.js";
import {
  haveCommand,
  spreadOf,
  throughput,
  timeCommand,
  timeRepeated,
  type BenchContext,
  type BenchModule,
  type BenchStage,
  type Metric,
  type StageResult,
} from "./harness.js";

const COUNTIES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "shared",
  "data",
  "counties",
  "inner-mongolia-counties.geojson",
);

interface Case {
  readonly file: string;
  readonly field: string;
  readonly crs: string;
  readonly minX: number;
  readonly maxY: number;
  readonly res: number;
  readonly width: number;
  readonly height: number;
}

const countyCase: Case = {
  file: "counties-4525.geojson",
  field: "adcode",
  crs: "EPSG:4525",
  minX: 37_440_000,
  maxY: 4_560_000,
  res: 30,
  width: 4000,
  height: 4000,
};

function parcelCase(quick: boolean): Case {
  const size = quick ? 4000 : 10000;
  return {
    file: `parcels-${size}.geojson`,
    field: "v",
    crs: "EPSG:4527",
    minX: 39_450_000,
    maxY: 4_450_000,
    res: 10,
    width: size,
    height: size,
  };
}

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function writeParcels(file: string, c: Case, count: number): void {
  const rand = seeded(42);
  const features: unknown[] = [];
  const span = c.width * c.res;
  for (let i = 0; i < count; i++) {
    const cx = c.minX + rand() * span;
    const cy = c.maxY - rand() * span;
    const r = 30 + rand() * 120;
    const n = 8 + Math.floor(rand() * 9);
    const ring: number[][] = [];
    for (let k = 0; k < n; k++) {
      const a = (k / n) * 2 * Math.PI + rand() * 0.3;
      const rr = r * (0.6 + 0.4 * rand());
      ring.push([cx + rr * Math.cos(a), cy + rr * Math.sin(a)]);
    }
    ring.push([...ring[0]!]);
    features.push({
      type: "Feature",
      properties: { v: 1 + (i % 250) },
      geometry: { type: "Polygon", coordinates: [ring] },
    });
  }
  writeFileSync(
    file,
    JSON.stringify({
      type: "FeatureCollection",
      crs: { type: "name", properties: { name: `urn:ogc:def:crs:EPSG::${c.crs.slice(5)}` } },
      features,
    }),
  );
}

async function prepare(ctx: BenchContext): Promise<void> {
  const counties = path.join(ctx.tmpDir, countyCase.file);
  if (!existsSync(counties) && existsSync(COUNTIES)) {
    const gk = reprojectLayer(await loadCountyBoundaries(COUNTIES), countyCase.crs);
    writeFileSync(
      counties,
      JSON.stringify({
        type: "FeatureCollection",
        crs: { type: "name", properties: { name: "urn:ogc:def:crs:EPSG::4525" } },
        features: gk.features.map((f) => ({
          type: "Feature",
          properties: { adcode: f.properties.adcode },
          geometry: f.geometry,
        })),
      }),
    );
  }
  const pc = parcelCase(ctx.quick);
  const parcels = path.join(ctx.tmpDir, pc.file);
  if (!existsSync(parcels)) writeParcels(parcels, pc, ctx.quick ? 5000 : 40000);
}

function gridOf(c: Case): RasterGrid {
  return {
    affine: {
      originX: c.minX,
      pixelWidth: c.res,
      rowRotation: 0,
      originY: c.maxY,
      colRotation: 0,
      pixelHeight: -c.res,
    },
    width: c.width,
    height: c.height,
    crs: c.crs,
  };
}

function oursStage(name: string, pick: (ctx: BenchContext) => Case, description: string): BenchStage {
  return {
    name,
    description,
    async run(ctx: BenchContext): Promise<StageResult> {
      const c = pick(ctx);
      const file = path.join(ctx.tmpDir, c.file);
      if (!existsSync(file))
        return { metrics: [], notes: [`skipped: ${c.file} missing (no ../shared/data?)`] };
      const layer: VectorLayer<RawProperties> = parseVectorLayer(await readFile(file, "utf8"), file);
      const grid = gridOf(c);
      const mpx = (c.width * c.height) / 1e6;
      const metrics: Metric[] = [];
      for (const allTouched of [false, true]) {
        const times = await timeRepeated(
          () =>
            rasterizeLayer(layer, grid, { burn: { property: c.field }, sampleType: "uint32", allTouched }),
          { repeats: ctx.quick ? 3 : 7 },
        );
        metrics.push(throughput(allTouched ? "all-touched" : "pixel centre", "Mpx/s", mpx, times));
      }
      return { metrics, notes: [`${layer.features.length} features, ${c.width}x${c.height} grid, ${c.crs}`] };
    },
  };
}

function gdalStage(name: string, pick: (ctx: BenchContext) => Case, description: string): BenchStage {
  return {
    name,
    description,
    async run(ctx: BenchContext): Promise<StageResult> {
      const c = pick(ctx);
      const file = path.join(ctx.tmpDir, c.file);
      if (!existsSync(file))
        return { metrics: [], notes: [`skipped: ${c.file} missing (no ../shared/data?)`] };
      if (!haveCommand("gdal_rasterize"))
        return { metrics: [], notes: ["skipped: gdal_rasterize not installed"] };
      const te = [c.minX, c.maxY - c.height * c.res, c.minX + c.width * c.res, c.maxY].map(String);
      const args = (allTouched: boolean, tiny: boolean): string[] => [
        "-q",
        "-a",
        c.field,
        "-te",
        ...(tiny ? [te[0]!, String(c.maxY - c.res), String(c.minX + c.res), te[3]!] : te),
        "-tr",
        String(c.res),
        String(c.res),
        "-ot",
        "UInt32",
        "-of",
        "MEM",
        ...(allTouched ? ["-at"] : []),
        file,
        path.join(ctx.tmpDir, "gdal-mem-out"),
      ];
      const env = { GDAL_NUM_THREADS: "1", GDAL_CACHEMAX: "2048" };
      const mpx = (c.width * c.height) / 1e6;
      const metrics: Metric[] = [];
      for (const allTouched of [false, true]) {
        const times: number[] = [];
        for (let i = 0; i < (ctx.quick ? 2 : 5); i++)
          times.push(timeCommand("gdal_rasterize", args(allTouched, false), env).ms);
        metrics.push(throughput(allTouched ? "all-touched" : "pixel centre", "Mpx/s", mpx, times));
      }
      const fixed: number[] = [];
      for (let i = 0; i < 3; i++) fixed.push(timeCommand("gdal_rasterize", args(false, true), env).ms);
      return {
        metrics,
        notes: [`fixed cost (same command on a 1x1 grid): median ${spreadOf(fixed).median.toFixed(0)} ms`],
      };
    },
  };
}

export const benchmarks: BenchModule = {
  prepare,
  stages: [
    oursStage(
      "rasterize/ours-counties",
      () => countyCase,
      "ours: 103 counties onto 4000x4000 30 m EPSG:4525",
    ),
    gdalStage("rasterize/gdal-counties", () => countyCase, "gdal_rasterize -of MEM: the same"),
    oursStage(
      "rasterize/ours-parcels",
      (ctx) => parcelCase(ctx.quick),
      "ours: seeded field parcels onto a 10 m grid",
    ),
    gdalStage("rasterize/gdal-parcels", (ctx) => parcelCase(ctx.quick), "gdal_rasterize -of MEM: the same"),
  ],
};
