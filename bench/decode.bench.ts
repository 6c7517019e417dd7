/**
 * Decode throughput of the GeoTIFF reader beside GDAL on the same files in the same run.
 *
 * Inputs (made by `prepare`, in the run's temp folder): a 7000×5000 4-band uint16 GeoTIFF,
 * DEFLATE, 256×256 tiles, pixel-interleaved, with synthetic but realistic content (wavy field
 * parcels of six land-cover classes with per-band reflectances, crop-row texture, roads, an
 * illumination gradient and sensor noise, DN = reflectance × 10000 as in Sentinel-2 L1C); the
 * same image LZW- and ZSTD-compressed (our LZW decoder; geotiff's WASM zstd on the main thread
 * vs on its worker Pool); and a 10000×10000 4-band version for the memory budget.
 *
 * Throughput is in megapixels per second, a pixel being one location with all 4 bands read.
 * Our reader reads window by window (1024×1024, aligned to tiles), as the pipeline does.
 * GDAL is `gdal_translate -of ENVI` (GDAL_NUM_THREADS=1) writing to tmpfs, and
 * `gdalinfo -checksum` (decode plus a checksum, no writing).
 */
import { closeSync, existsSync, openSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import { fromFile } from "geotiff";
import { openRaster, type OpenRasterOptions } from "../src/ingest/raster-source.js";
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

const MAIN = { width: 7000, height: 5000, name: "synthetic-7000x5000-u16x4-deflate.tif" };
const MAIN_LZW = { ...MAIN, name: "synthetic-7000x5000-u16x4-lzw.tif" };
const MAIN_ZSTD = { ...MAIN, name: "synthetic-7000x5000-u16x4-zstd.tif" };
const BIG = { width: 10000, height: 10000, name: "synthetic-10000x10000-u16x4-deflate.tif" };
const BANDS = 4;
const WINDOW = 1024;
const RSS_BUDGET_MB = 500;

/** Reflectance × 10000 of blue, green, red, NIR for water, two crops, bare soil, built-up, forest. */
const CLASSES = [
  [600, 500, 300, 150],
  [400, 700, 500, 3500],
  [500, 800, 700, 2500],
  [1200, 1400, 1700, 2200],
  [1500, 1500, 1600, 1800],
  [300, 500, 300, 3000],
] as const;

function hash(a: number, b: number): number {
  let h = Math.imul(a, 0x27d4eb2d) ^ Math.imul(b, 0x165667b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Writes the synthetic scene as raw band-sequential ENVI (file + .hdr), one row at a time. */
function writeScene(file: string, width: number, height: number): void {
  const fd = openSync(file, "w");
  const row = new Uint16Array(width);
  const rowBytes = new Uint8Array(row.buffer);
  const warpX = Float64Array.from({ length: height }, (_, y) => 25 * Math.sin(y / 97));
  const warpY = Float64Array.from({ length: width }, (_, x) => 25 * Math.sin(x / 113));
  const sinRow = Float64Array.from({ length: width }, (_, x) => Math.sin(x * 0.8));
  const cosRow = Float64Array.from({ length: width }, (_, x) => Math.cos(x * 0.8));
  let seed = 0x9e3779b9;
  const rand = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  try {
    for (let b = 0; b < BANDS; b++) {
      for (let y = 0; y < height; y++) {
        const wxOff = warpX[y]!;
        for (let x = 0; x < width; x++) {
          const wx = x + wxOff;
          const wy = y + warpY[x]!;
          let v: number;
          if (wx % 900 < 3 || wy % 700 < 3) {
            v = 1100 + 60 * b;
          } else {
            const h = hash(Math.floor(wx / 90), Math.floor(wy / 70));
            const cls = h % CLASSES.length;
            const base = CLASSES[cls]![b]!;
            const offset = ((h >>> 8) % 300) - 150;
            const phase = ((h >>> 16) % 628) / 100;
            const texture =
              cls === 1 || cls === 2 ? 80 * (sinRow[x]! * Math.cos(phase) + cosRow[x]! * Math.sin(phase)) : 0;
            v = (base + offset + texture) * (0.9 + (0.2 * x) / width);
          }
          v += (rand() + rand() - 1) * 60;
          row[x] = v < 0 ? 0 : v > 65535 ? 65535 : v;
        }
        writeSync(fd, rowBytes, 0, rowBytes.length, (b * height + y) * width * 2);
      }
    }
  } finally {
    closeSync(fd);
  }
  const hdr = `ENVI\nsamples = ${width}\nlines = ${height}\nbands = ${BANDS}\nheader offset = 0\nfile type = ENVI Standard\ndata type = 12\ninterleave = bsq\nbyte order = 0\nmap info = {UTM, 1, 1, 400000, 4600000, 10, 10, 50, North, WGS-84}\n`;
  const fdh = openSync(file.replace(/\.bin$/, ".hdr"), "w");
  writeSync(fdh, hdr);
  closeSync(fdh);
}

function ensureTiff(
  ctx: BenchContext,
  spec: { width: number; height: number; name: string },
  compress: string,
): string {
  const out = path.join(ctx.tmpDir, spec.name);
  if (existsSync(out)) return out;
  const raw = path.join(ctx.tmpDir, `scene-${spec.width}x${spec.height}.bin`);
  if (!existsSync(raw)) {
    ctx.log(`writing ${spec.width}×${spec.height}×${BANDS} synthetic scene`);
    writeScene(raw, spec.width, spec.height);
  }
  ctx.log(`gdal_translate → ${spec.name}`);
  timeCommand("gdal_translate", [
    "-q",
    "-co",
    "TILED=YES",
    "-co",
    "BLOCKXSIZE=256",
    "-co",
    "BLOCKYSIZE=256",
    "-co",
    `COMPRESS=${compress}`,
    "-co",
    "NUM_THREADS=2",
    raw,
    out,
  ]);
  return out;
}

function windows(width: number, height: number) {
  const out = [];
  for (let y0 = 0; y0 < height; y0 += WINDOW) {
    for (let x0 = 0; x0 < width; x0 += WINDOW) {
      out.push({ x0, y0, x1: Math.min(x0 + WINDOW, width), y1: Math.min(y0 + WINDOW, height) });
    }
  }
  return out;
}

/** One pass over the file, window by window, all bands; returns a checksum so nothing is skipped. */
async function passOurs(file: string, options: OpenRasterOptions): Promise<number> {
  const src = await openRaster(file, options);
  let sum = 0;
  try {
    for (const w of windows(src.width, src.height)) {
      const block = await src.read(w);
      for (const band of block.bands) sum += band[band.length >> 1]!;
    }
  } finally {
    await src.close();
  }
  return sum;
}

function repeats(ctx: BenchContext, full: number): number {
  return ctx.quick ? Math.max(1, Math.ceil(full / 3)) : full;
}

function oursStage(
  name: string,
  description: string,
  spec: { width: number; height: number; name: string },
  options: OpenRasterOptions,
  full: number,
): BenchStage {
  return {
    name,
    description,
    async run(ctx): Promise<StageResult> {
      const file = path.join(ctx.tmpDir, spec.name);
      const times = await timeRepeated(() => passOurs(file, options), {
        repeats: repeats(ctx, full),
        warmup: 1,
      });
      const mpx = (spec.width * spec.height) / 1e6;
      return {
        metrics: [
          throughput("decode throughput", "Mpx/s", mpx, times),
          { name: "pass time", unit: "ms", spread: spreadOf(times), higherIsBetter: false },
        ],
        notes: [`${spec.name}, ${WINDOW}×${WINDOW} windows, ${BANDS} bands`],
      };
    },
  };
}

function removeEnvi(bin: string): void {
  for (const f of [bin, bin.replace(/\.bin$/, ".hdr"), `${bin}.aux.xml`]) rmSync(f, { force: true });
}

function shmDir(ctx: BenchContext): string {
  return existsSync("/dev/shm") ? "/dev/shm" : ctx.tmpDir;
}

function gdalStage(
  name: string,
  spec: { width: number; height: number; name: string },
  full: number,
): BenchStage {
  return {
    name,
    description: "gdal_translate -of ENVI to tmpfs, GDAL_NUM_THREADS=1 (decode + raw write)",
    async run(ctx): Promise<StageResult> {
      const file = path.join(ctx.tmpDir, spec.name);
      const out = path.join(shmDir(ctx), `patrol-bench-${process.pid}.bin`);
      const env = { GDAL_NUM_THREADS: "1" };
      const times: number[] = [];
      const rss: number[] = [];
      const n = repeats(ctx, full);
      for (let i = 0; i <= n; i++) {
        const r = timeCommand("gdal_translate", ["-q", "-of", "ENVI", file, out], env);
        removeEnvi(out);
        if (i === 0) continue; // warm-up (page cache)
        times.push(r.ms);
        if (r.peakRssMb !== null) rss.push(r.peakRssMb);
      }
      const mpx = (spec.width * spec.height) / 1e6;
      const metrics: Metric[] = [
        throughput("decode throughput", "Mpx/s", mpx, times),
        { name: "pass time", unit: "ms", spread: spreadOf(times), higherIsBetter: false },
      ];
      if (rss.length > 0)
        metrics.push({
          name: "gdal_translate peak RSS",
          unit: "MB",
          spread: spreadOf(rss),
          higherIsBetter: false,
        });
      return { metrics };
    },
  };
}

const stages: BenchStage[] = [
  oursStage(
    "decode/ours-native-zlib",
    "our reader, default: DEFLATE on Node's zlib (libuv thread pool), copies on the main thread",
    MAIN,
    {},
    5,
  ),
  oursStage(
    "decode/ours-pako-pool2",
    "our reader, nativeDeflate: false, decodeWorkers: 2 (geotiff's pako on a 2-worker Pool)",
    MAIN,
    { nativeDeflate: false, decodeWorkers: 2 },
    3,
  ),
  oursStage(
    "decode/ours-pako-main",
    "our reader, nativeDeflate: false (geotiff's pako on the main thread)",
    MAIN,
    { nativeDeflate: false },
    3,
  ),
  gdalStage("decode/gdal_translate", MAIN, 5),
  {
    name: "decode/gdalinfo-checksum",
    description: "gdalinfo -checksum, GDAL_NUM_THREADS=1 (decode + checksum, nothing written)",
    async run(ctx): Promise<StageResult> {
      const file = path.join(ctx.tmpDir, MAIN.name);
      const times: number[] = [];
      const n = repeats(ctx, 5);
      for (let i = 0; i <= n; i++) {
        const r = timeCommand("gdalinfo", ["-checksum", file], { GDAL_NUM_THREADS: "1" });
        if (i > 0) times.push(r.ms);
      }
      return { metrics: [throughput("decode throughput", "Mpx/s", (MAIN.width * MAIN.height) / 1e6, times)] };
    },
  },
  {
    name: "decode/geotiff-readRasters",
    description: "geotiff.js's own GeoTIFFImage.readRasters, window by window (the library baseline)",
    async run(ctx): Promise<StageResult> {
      const file = path.join(ctx.tmpDir, MAIN.name);
      const pass = async () => {
        const tiff = await fromFile(file);
        const image = await tiff.getImage();
        let sum = 0;
        for (const w of windows(MAIN.width, MAIN.height)) {
          const r = (await image.readRasters({
            window: [w.x0, w.y0, w.x1, w.y1],
          })) as unknown as ArrayLike<number>[];
          sum += r[0]![0]!;
        }
        await tiff.close();
        return sum;
      };
      const times = await timeRepeated(pass, { repeats: ctx.quick ? 1 : 2, warmup: 0 });
      return { metrics: [throughput("decode throughput", "Mpx/s", (MAIN.width * MAIN.height) / 1e6, times)] };
    },
  },
  {
    name: "decode/paired-ours-vs-gdal",
    description: "our pass and gdal_translate alternated, so both see the same machine load; ratio per pair",
    async run(ctx): Promise<StageResult> {
      const file = path.join(ctx.tmpDir, MAIN.name);
      const out = path.join(shmDir(ctx), `patrol-bench-${process.pid}.bin`);
      const ratios: number[] = [];
      const n = repeats(ctx, 5);
      await passOurs(file, {});
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await passOurs(file, {});
        const ours = performance.now() - t0;
        const gdal = timeCommand("gdal_translate", ["-q", "-of", "ENVI", file, out], {
          GDAL_NUM_THREADS: "1",
        }).ms;
        removeEnvi(out);
        ratios.push(gdal / ours);
      }
      return {
        metrics: [
          { name: "our speed / GDAL's", unit: "ratio", spread: spreadOf(ratios), higherIsBetter: true },
        ],
        notes: ["goal: at least 0.5 (half of GDAL's single-threaded speed)"],
      };
    },
  },
  oursStage("decode/ours-lzw", "our reader on the LZW copy (src/ingest/lzw.ts)", MAIN_LZW, {}, 3),
  gdalStage("decode/gdal_translate-lzw", MAIN_LZW, 3),
  oursStage(
    "decode/ours-zstd-main",
    "our reader on the ZSTD copy, geotiff's zstd on the main thread",
    MAIN_ZSTD,
    {},
    3,
  ),
  oursStage(
    "decode/ours-zstd-pool2",
    "our reader on the ZSTD copy, decodeWorkers: 2",
    MAIN_ZSTD,
    { decodeWorkers: 2 },
    3,
  ),
  {
    ...oursStage(
      "decode/ours-10000x10000-rss",
      "our reader, 10000×10000×4 window by window (RSS budget 500 MB)",
      BIG,
      {},
      2,
    ),
  },
  gdalStage("decode/gdal_translate-10000x10000", BIG, 2),
];

// Add the RSS verdict to the 10000×10000 stage.
const bigIndex = stages.findIndex((s) => s.name === "decode/ours-10000x10000-rss");
const bigStage = stages[bigIndex]!;
stages[bigIndex] = {
  ...bigStage,
  async run(ctx) {
    const r = await bigStage.run(ctx);
    const rss = process.resourceUsage().maxRSS / 1024;
    const verdict = rss < RSS_BUDGET_MB ? "PASS" : "FAIL";
    return {
      ...r,
      notes: [...(r.notes ?? []), `peak RSS ${rss.toFixed(0)} MB, budget ${RSS_BUDGET_MB} MB: ${verdict}`],
    };
  },
};

export const benchmarks: BenchModule = {
  async prepare(ctx) {
    if (!haveCommand("gdal_translate")) throw new RangeError("decode.bench needs gdal_translate (gdal-bin)");
    ensureTiff(ctx, MAIN, "DEFLATE");
    ensureTiff(ctx, MAIN_LZW, "LZW");
    ensureTiff(ctx, MAIN_ZSTD, "ZSTD");
    rmSync(path.join(ctx.tmpDir, `scene-${MAIN.width}x${MAIN.height}.bin`), { force: true });
    ensureTiff(ctx, BIG, "DEFLATE");
    rmSync(path.join(ctx.tmpDir, `scene-${BIG.width}x${BIG.height}.bin`), { force: true });
  },
  stages,
};
