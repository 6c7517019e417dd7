/**
 * Polygonisation throughput (src/vector/polygonize.ts) beside GDAL on the same masks in the same
 * run. Throughput is megapixels of mask per second.
 *
 * Inputs (made by `prepare`, in the run's temp folder), each a uint8 GeoTIFF (written with our
 * writer, nodata 0 so GDAL skips the background like our `values: [1]`) plus the raw bytes:
 * - "ndvi": NDVI > 0.3 of the ten NAIP summers of ../shared/data/naip laid side by side, 5 × 2
 *   quads of 934×724 = 4670×1448 (6.8 Mpx; quick: 2 × 1, 1.4 Mpx), 5 m, EPSG:26914: a dense,
 *   fragmented mask (fields, shelter belts, farmsteads);
 * - "oscd": the five OSCD change maps (value 2) placed on one 3 × 2 canvas, repeated 4 × 4
 *   (quick: once): a sparse change mask like the pipeline's.
 *
 * Stages:
 * - ours: `polygonize` of the in-memory mask to map polygons (4- and 8-connected), and with
 *   Douglas-Peucker at 1.5 pixels (validity-checked); also end to end: read the GeoTIFF with our
 *   reader (openRaster), polygonise, write GeoJSON.
 * - gdal: `gdal.Polygonize` timed inside one Python process into an in-memory OGR layer (the
 *   algorithm alone, reading included), and `gdal_polygonize.py` to GeoJSON as a command (wall
 *   time, so it includes Python start-up; the note gives that fixed cost).
 *
 * Run with `npm run bench -- polygonize` (see bench/run.ts).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fromFile } from "geotiff";
import type { Affine, TypedSamples } from "../src/core/raster-types.js";
import { writeGeoTiff } from "../src/ingest/geotiff-writer.js";
import { openRaster } from "../src/ingest/raster-source.js";
import { polygonize, toGeoJsonPolygon } from "../src/vector/index.js";
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

const DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "shared", "data");
const NAIP_DATES = [
  "20090818",
  "20100629",
  "20120731",
  "20140720",
  "20150926",
  "20160816",
  "20170827",
  "20180716",
  "20190904",
  "20200831",
];
const OSCD_CITIES = ["aguasclaras", "bercy", "bordeaux", "paris", "rennes"];
/** gdal_polygonize.py's interpreter: the system Python, which has the GDAL bindings. */
const GDAL_PYTHON = "/usr/bin/python3";

interface MaskCase {
  readonly name: "ndvi" | "oscd";
  readonly width: number;
  readonly height: number;
  readonly affine: Affine;
  readonly crs: string;
}

function tifPath(ctx: BenchContext, c: string): string {
  return path.join(ctx.tmpDir, `polygonize-${c}${ctx.quick ? "-quick" : ""}.tif`);
}

function metaPath(ctx: BenchContext, c: string): string {
  return path.join(ctx.tmpDir, `polygonize-${c}${ctx.quick ? "-quick" : ""}.json`);
}

function rawPath(ctx: BenchContext, c: string): string {
  return path.join(ctx.tmpDir, `polygonize-${c}${ctx.quick ? "-quick" : ""}.u8`);
}

async function readBands(file: string): Promise<{ width: number; height: number; bands: TypedSamples[] }> {
  const tiff = await fromFile(file);
  const image = await tiff.getImage();
  const bands = (await image.readRasters({ interleave: false })) as unknown as TypedSamples[];
  const out = { width: image.getWidth(), height: image.getHeight(), bands: Array.from(bands) };
  await tiff.close();
  return out;
}

/** Copies a w×h mask into a canvas at (x0, y0), keeping only `value` (as 1). */
function paste(
  canvas: Uint8Array,
  canvasWidth: number,
  src: ArrayLike<number>,
  w: number,
  h: number,
  x0: number,
  y0: number,
  value: number,
): void {
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) canvas[(y0 + y) * canvasWidth + x0 + x] = src[y * w + x] === value ? 1 : 0;
  }
}

async function writeCase(ctx: BenchContext, c: MaskCase, mask: Uint8Array): Promise<void> {
  writeFileSync(rawPath(ctx, c.name), mask);
  writeFileSync(metaPath(ctx, c.name), JSON.stringify(c));
  await writeGeoTiff(
    tifPath(ctx, c.name),
    {
      width: c.width,
      height: c.height,
      bandCount: 1,
      sampleType: "uint8",
      affine: c.affine,
      crs: c.crs,
      nodata: 0,
    },
    [mask],
  );
}

async function prepare(ctx: BenchContext): Promise<void> {
  if (!existsSync(DATA)) return;
  if (!existsSync(tifPath(ctx, "ndvi"))) {
    const dates = ctx.quick ? NAIP_DATES.slice(0, 2) : NAIP_DATES;
    const across = ctx.quick ? 2 : 5;
    const qw = 934;
    const qh = 724;
    const width = across * qw;
    const height = Math.ceil(dates.length / across) * qh;
    const mask = new Uint8Array(width * height);
    for (const [k, date] of dates.entries()) {
      const {
        bands,
        width: w,
        height: h,
      } = await readBands(path.join(DATA, "naip", `m_4709963_se_14_1_${date}.tif`));
      const [red, g, b, nir] = bands as [TypedSamples, TypedSamples, TypedSamples, TypedSamples];
      const ndvi = new Uint8Array(w * h);
      for (let i = 0; i < ndvi.length; i++) {
        const R = red[i] as number;
        const N = nir[i] as number;
        if (R !== 0 && N !== 0 && g[i] !== 0 && b[i] !== 0 && (N - R) / (N + R) > 0.3) ndvi[i] = 1;
      }
      paste(mask, width, ndvi, w, h, (k % across) * qw, Math.floor(k / across) * qh, 1);
    }
    const affine = {
      originX: 500000,
      pixelWidth: 5,
      rowRotation: 0,
      originY: 5270000,
      colRotation: 0,
      pixelHeight: -5,
    };
    await writeCase(ctx, { name: "ndvi", width, height, affine, crs: "EPSG:26914" }, mask);
  }
  if (!existsSync(tifPath(ctx, "oscd"))) {
    const maps = await Promise.all(OSCD_CITIES.map((c) => readBands(path.join(DATA, "oscd", `${c}_cm.tif`))));
    const cellW = Math.max(...maps.map((m) => m.width));
    const cellH = Math.max(...maps.map((m) => m.height));
    const repeat = ctx.quick ? 1 : 4;
    const width = 3 * cellW * repeat;
    const height = 2 * cellH * repeat;
    const mask = new Uint8Array(width * height);
    for (let ry = 0; ry < repeat; ry++) {
      for (let rx = 0; rx < repeat; rx++) {
        maps.forEach((m, k) => {
          const x0 = (rx * 3 + (k % 3)) * cellW;
          const y0 = (ry * 2 + Math.floor(k / 3)) * cellH;
          paste(mask, width, m.bands[0] as TypedSamples, m.width, m.height, x0, y0, 2);
        });
      }
    }
    const affine = {
      originX: 500000,
      pixelWidth: 10,
      rowRotation: 0,
      originY: 5400000,
      colRotation: 0,
      pixelHeight: -10,
    };
    await writeCase(ctx, { name: "oscd", width, height, affine, crs: "EPSG:32631" }, mask);
  }
}

function loadCase(ctx: BenchContext, name: string): { c: MaskCase; mask: Uint8Array } | null {
  if (!existsSync(metaPath(ctx, name))) return null;
  const c = JSON.parse(readFileSync(metaPath(ctx, name), "utf8")) as MaskCase;
  return { c, mask: new Uint8Array(readFileSync(rawPath(ctx, name))) };
}

const SKIP_NO_DATA = { metrics: [], notes: ["skipped: ../shared/data missing, no masks prepared"] };

function oursStage(name: "ndvi" | "oscd", description: string): BenchStage {
  return {
    name: `polygonize/ours-${name}`,
    description,
    async run(ctx: BenchContext): Promise<StageResult> {
      const loaded = loadCase(ctx, name);
      if (!loaded) return SKIP_NO_DATA;
      const { c, mask } = loaded;
      const mpx = (c.width * c.height) / 1e6;
      const repeats = { repeats: ctx.quick ? 3 : 9, warmup: 2 };
      const metrics: Metric[] = [];
      let counts = "";
      for (const connectivity of [4, 8] as const) {
        const times = await timeRepeated(
          () => polygonize(mask, c.width, c.height, { affine: c.affine, values: [1], connectivity }),
          repeats,
        );
        metrics.push(throughput(`${connectivity}-connected`, "Mpx/s", mpx, times));
        const n = polygonize(mask, c.width, c.height, { affine: c.affine, values: [1], connectivity });
        counts += `${connectivity}-connected: ${new Set(n.map((p) => p.region)).size} regions; `;
      }
      const tolerance = 1.5 * c.affine.pixelWidth;
      const simplified = await timeRepeated(
        () =>
          polygonize(mask, c.width, c.height, {
            affine: c.affine,
            values: [1],
            simplifyTolerance: tolerance,
          }),
        repeats,
      );
      metrics.push(throughput("4-connected + simplify 1.5 px", "Mpx/s", mpx, simplified));
      const out = path.join(ctx.tmpDir, `ours-${name}.geojson`);
      const endToEnd = await timeRepeated(async () => {
        const source = await openRaster(tifPath(ctx, name), { maxPixels: c.width * c.height });
        try {
          const block = await source.read({ x0: 0, y0: 0, x1: source.width, y1: source.height });
          const polygons = polygonize(block.bands[0] as TypedSamples, source.width, source.height, {
            affine: source.affine,
            values: [1],
          });
          const features = polygons.map((p) => ({
            type: "Feature",
            properties: { DN: p.value },
            geometry: toGeoJsonPolygon(p),
          }));
          writeFileSync(out, JSON.stringify({ type: "FeatureCollection", features }));
        } finally {
          await source.close();
        }
      }, repeats);
      metrics.push(throughput("read GeoTIFF + 4-connected + write GeoJSON", "Mpx/s", mpx, endToEnd));
      return { metrics, notes: [`${c.width}x${c.height} mask, ${counts.trim()}`] };
    },
  };
}

/** Times gdal.Polygonize into an in-memory layer inside one Python process; returns ms per run. */
const PY_TIMER = `
import json, sys, time
from osgeo import gdal, ogr
gdal.UseExceptions()
path, repeats, warmup, eight = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
opts = ["8CONNECTED=8"] if eight else []
times, count = [], 0
for k in range(warmup + repeats):
    t0 = time.perf_counter()
    ds = gdal.Open(path)
    band = ds.GetRasterBand(1)
    mem = ogr.GetDriverByName("Memory").CreateDataSource("m")
    layer = mem.CreateLayer("p")
    layer.CreateField(ogr.FieldDefn("DN", ogr.OFTInteger))
    gdal.Polygonize(band, band.GetMaskBand(), layer, 0, opts, callback=None)
    dt = (time.perf_counter() - t0) * 1000
    count = layer.GetFeatureCount()
    ds = None
    if k >= warmup:
        times.append(dt)
print(json.dumps({"times": times, "count": count}))
`;

function gdalStage(name: "ndvi" | "oscd", description: string): BenchStage {
  return {
    name: `polygonize/gdal-${name}`,
    description,
    async run(ctx: BenchContext): Promise<StageResult> {
      const loaded = loadCase(ctx, name);
      if (!loaded) return SKIP_NO_DATA;
      if (!haveCommand("gdal_polygonize.py") || !existsSync(GDAL_PYTHON)) {
        return { metrics: [], notes: ["skipped: gdal_polygonize.py / python3 with osgeo not installed"] };
      }
      const { c } = loaded;
      const tif = tifPath(ctx, name);
      const mpx = (c.width * c.height) / 1e6;
      const env = { GDAL_NUM_THREADS: "1" };
      const metrics: Metric[] = [];
      const notes: string[] = [];
      for (const eight of [false, true]) {
        const r = spawnSync(
          GDAL_PYTHON,
          ["-c", PY_TIMER, tif, String(ctx.quick ? 3 : 9), "2", eight ? "1" : "0"],
          { encoding: "utf8", env: { ...process.env, ...env } },
        );
        if (r.status !== 0) {
          notes.push(`gdal.Polygonize timing failed: ${r.stderr.trim().split("\n").pop() ?? ""}`);
          continue;
        }
        const { times, count } = JSON.parse(r.stdout) as { times: number[]; count: number };
        metrics.push(
          throughput(`gdal.Polygonize in-process, ${eight ? 8 : 4}-connected`, "Mpx/s", mpx, times),
        );
        notes.push(`${eight ? 8 : 4}-connected: ${count} polygons`);
      }
      const out = path.join(ctx.tmpDir, `gdal-${name}.geojson`);
      const command: number[] = [];
      for (let i = 0; i < (ctx.quick ? 2 : 5); i++) {
        rmSync(out, { force: true });
        command.push(timeCommand("gdal_polygonize.py", ["-q", tif, "-f", "GeoJSON", out], env).ms);
      }
      metrics.push(throughput("gdal_polygonize.py to GeoJSON (command)", "Mpx/s", mpx, command));
      const fixed: number[] = [];
      for (let i = 0; i < 3; i++)
        fixed.push(timeCommand(GDAL_PYTHON, ["-c", "from osgeo import gdal, ogr"], env).ms);
      notes.push(
        `python + osgeo start-up (part of the command's time): median ${spreadOf(fixed).median.toFixed(0)} ms`,
      );
      return { metrics, notes };
    },
  };
}

export const benchmarks: BenchModule = {
  prepare,
  stages: [
    oursStage("ndvi", "ours: NAIP NDVI > 0.3 mosaic (dense, fragmented mask)"),
    gdalStage("ndvi", "GDAL: the same mask"),
    oursStage("oscd", "ours: OSCD change maps mosaic (sparse change mask)"),
    gdalStage("oscd", "GDAL: the same mask"),
  ],
};
