/**
 * Classifier throughput of the shipped model (models/gid-rgb-v1) on the wasm backend, which runs
 * on one thread in Node: megapixels per second here are per core.
 *
 * Inputs (made by `prepare`, in the run's temp folder): a 2240×2240 RGB GeoTIFF mosaic of 100
 * real GID tiles (../shared/data/gid, research use; only in the temp folder, never in the repo),
 * DEFLATE, 256×256 tiles. Without ../shared/data a seeded synthetic mosaic of smooth "fields" is
 * used instead (noted in the output).
 *
 * Stages:
 * - `classify/probabilities`: features + head on one 512×512 window (Classifier.probabilities),
 *   the model's own speed including feature extraction;
 * - `classify/window-sizes`: one window of raw samples to uint8 class codes and probabilities
 *   (classifyBlock: reflectance, nodata mask, features, head, argmax, quantisation), per core
 *   window size with the 64 px halo, counting core pixels only: how the default window was chosen;
 * - `classify/raster`: `classifyRaster` on the mosaic, reading and writing GeoTIFFs (class map
 *   and 8 probability bands), with the stage's peak RSS.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../src/classify/backend.js";
import { Classifier } from "../src/classify/classifier.js";
import { classifyBlock, classifyRaster, type BandBinding } from "../src/classify/classify-raster.js";
import { decodeGidTile, listGidTiles } from "../src/classify/gid-dataset.js";
import { seededRandom } from "../src/classify/random.js";
import { writeGeoTiff } from "../src/ingest/geotiff-writer.js";
import { openRaster } from "../src/ingest/raster-source.js";
import { BUILTIN_SENSOR_PROFILES } from "../src/ingest/sensor-profile.js";
import {
  spreadOf,
  throughput,
  timeRepeated,
  type BenchContext,
  type BenchModule,
  type BenchStage,
  type Metric,
  type StageResult,
} from "./harness.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MODEL = path.join(root, "models", "gid-rgb-v1");
/** The other models shipped beside the default, measured for comparison. */
const MODEL_V2 = path.join(root, "models", "gid-rgb-v2");
const MODEL_V3 = path.join(root, "models", "gid-rgb-v3");
const MODEL_V4 = path.join(root, "models", "gid-rgb-v4");
const GID = path.join(root, "..", "shared", "data", "gid");
const SIDE_TILES = 10;
const TILE = 224;
const SIDE = SIDE_TILES * TILE;
const MOSAIC = "gid-mosaic-2240x2240-rgb.tif";
const GOAL_MPX_PER_CORE = 3;

async function mosaicBands(): Promise<{ bands: Uint8Array[]; real: boolean }> {
  const n = SIDE * SIDE;
  const bands = [0, 1, 2].map(() => new Uint8Array(n));
  const refs = existsSync(GID) ? (await listGidTiles(GID)).filter((r) => r.scheme === "gid15") : [];
  if (refs.length >= SIDE_TILES * SIDE_TILES) {
    // Every 6th GID-15 tile, so the mosaic mixes scene classes.
    for (let k = 0; k < SIDE_TILES * SIDE_TILES; k++) {
      const d = await decodeGidTile(refs[(k * 6) % refs.length]!, 1);
      const ox = (k % SIDE_TILES) * TILE;
      const oy = Math.floor(k / SIDE_TILES) * TILE;
      const plane = d.width * d.height;
      for (let b = 0; b < 3; b++) {
        for (let y = 0; y < Math.min(TILE, d.height); y++) {
          const row = d.rgb.subarray(
            b * plane + y * d.width,
            b * plane + y * d.width + Math.min(TILE, d.width),
          );
          bands[b]!.set(row, (oy + y) * SIDE + ox);
        }
      }
    }
    return { bands, real: true };
  }
  const r = seededRandom(5);
  for (let i = 0; i < n; i++) {
    const x = i % SIDE;
    const y = Math.floor(i / SIDE);
    const field = ((x >> 6) * 7 + (y >> 6) * 13) % 9;
    for (let b = 0; b < 3; b++) bands[b]![i] = 40 + field * 20 + b * 10 + Math.floor(r() * 24);
  }
  return { bands, real: false };
}

async function prepare(ctx: BenchContext): Promise<void> {
  const file = path.join(ctx.tmpDir, MOSAIC);
  if (existsSync(file)) return;
  const { bands, real } = await mosaicBands();
  ctx.log(`writing ${MOSAIC} (${real ? "100 real GID tiles" : "synthetic: ../shared/data not found"})`);
  await writeGeoTiff(
    file,
    {
      width: SIDE,
      height: SIDE,
      bandCount: 3,
      sampleType: "uint8",
      affine: {
        originX: 500000,
        pixelWidth: 4,
        rowRotation: 0,
        originY: 4000000,
        colRotation: 0,
        pixelHeight: -4,
      },
      crs: "EPSG:32650",
    },
    bands,
  );
}

async function loadModel(dir = MODEL): Promise<Classifier> {
  await useBackend("wasm");
  return Classifier.load(dir);
}

const RGB_BINDING: BandBinding = {
  fileBands: [0, 1, 2],
  scale: [1 / 255, 1 / 255, 1 / 255],
  offset: [0, 0, 0],
  profileNodata: null,
};

const probabilitiesStage: BenchStage = {
  name: "classify/probabilities",
  description: "shipped models, features + head on a 512×512 window (wasm, one core)",
  async run(ctx): Promise<StageResult> {
    await useBackend("wasm");
    const r = seededRandom(1);
    const x = tf.tensor3d(
      Float32Array.from({ length: 3 * 512 * 512 }, () => r()),
      [3, 512, 512],
    );
    const metrics: Metric[] = [];
    const notes: string[] = [];
    for (const [name, dir] of [
      ["gid-rgb-v1", MODEL],
      ["gid-rgb-v2", MODEL_V2],
      ["gid-rgb-v3", MODEL_V3],
      ["gid-rgb-v4", MODEL_V4],
    ] as const) {
      const c = await loadModel(dir);
      const times = await timeRepeated(
        () => {
          const p = c.probabilities(x);
          p.dataSync();
          p.dispose();
        },
        { repeats: ctx.quick ? 3 : 10, warmup: 2 },
      );
      c.dispose();
      const m = throughput(`${name} throughput per core`, "Mpx/s", (512 * 512) / 1e6, times);
      metrics.push(m);
      notes.push(
        `${name}: goal ≥ ${GOAL_MPX_PER_CORE} Mpx/s per core ${m.spread.median >= GOAL_MPX_PER_CORE ? "met" : "NOT met"} (median ${m.spread.median.toFixed(2)})`,
      );
    }
    x.dispose();
    return { metrics, notes };
  },
};

const windowSizesStage: BenchStage = {
  name: "classify/window-sizes",
  description: "raw uint8 window → class codes + uint8 probabilities, by core window size (64 px halo)",
  async run(ctx): Promise<StageResult> {
    const c = await loadModel();
    const halo = 64;
    const metrics: Metric[] = [];
    for (const [cw, ch] of [
      [256, 256],
      [512, 256],
      [512, 512],
      [1024, 512],
    ] as const) {
      const w = cw + 2 * halo;
      const h = ch + 2 * halo;
      const r = seededRandom(cw + ch);
      const bands = [0, 1, 2].map(() => Uint8Array.from({ length: w * h }, () => 40 + Math.floor(r() * 150)));
      const times = await timeRepeated(
        () =>
          classifyBlock(c, bands, w, h, RGB_BINDING, null, {
            x0: halo,
            y0: halo,
            x1: halo + cw,
            y1: halo + ch,
          }),
        { repeats: ctx.quick ? 2 : 5, warmup: 1 },
      );
      metrics.push(throughput(`core ${cw}×${ch}`, "Mpx/s", (cw * ch) / 1e6, times));
    }
    c.dispose();
    return { metrics };
  },
};

const rasterStage: BenchStage = {
  name: "classify/raster",
  description:
    "classifyRaster on a 2240×2240 RGB GeoTIFF: read, classify, write class map + 8 probability bands",
  async run(ctx): Promise<StageResult> {
    const c = await loadModel();
    const file = path.join(ctx.tmpDir, MOSAIC);
    const times: number[] = [];
    let counts: Record<number, number> = {};
    for (let i = 0; i < (ctx.quick ? 1 : 3); i++) {
      const src = await openRaster(file);
      const t0 = performance.now();
      const r = await classifyRaster(c, src, {
        profile: BUILTIN_SENSOR_PROFILES.rgb!,
        outDir: path.join(ctx.tmpDir, "classified"),
      });
      times.push(performance.now() - t0);
      counts = r.classCounts;
      await src.close();
    }
    c.dispose();
    const px = SIDE * SIDE;
    return {
      metrics: [
        throughput("end-to-end per core", "Mpx/s", px / 1e6, times),
        { name: "wall time", unit: "s", spread: spreadOf(times.map((t) => t / 1000)), higherIsBetter: false },
      ],
      notes: [
        `class shares: ${Object.entries(counts)
          .map(([code, n]) => `${code}:${((100 * n) / px).toFixed(1)}%`)
          .join(" ")}`,
      ],
    };
  },
};

export const benchmarks: BenchModule = {
  prepare,
  stages: [probabilitiesStage, windowSizesStage, rasterStage],
};
