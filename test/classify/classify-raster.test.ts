import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/classify/backend.js";
import { bindBands, classifyRaster } from "../../src/classify/classify-raster.js";
import { BandMismatchError } from "../../src/classify/errors.js";
import type { Affine, TypedSamples } from "../../src/core/raster-types.js";
import { writeGeoTiff } from "../../src/ingest/geotiff-writer.js";
import { openRaster } from "../../src/ingest/raster-source.js";
import { BUILTIN_SENSOR_PROFILES } from "../../src/ingest/sensor-profile.js";
import { seededRandom } from "../../src/classify/random.js";
import { innerRegionGeometry } from "../../src/classify/features.js";
import { randomClassifier, SMALL_SPEC } from "./helpers.js";

const AFFINE: Affine = {
  originX: 500000,
  pixelWidth: 4,
  rowRotation: 0,
  originY: 3600000,
  colRotation: 0,
  pixelHeight: -4,
};
const [W, H] = [150, 100];
let dir: string;
let imagePath: string;

/** Smooth seeded "fields" so neighbouring pixels correlate, with a nodata (0,0,0) block at rows 10–19, cols 20–39. */
function syntheticBands(bandCount: number): Uint8Array[] {
  const r = seededRandom(21);
  return Array.from({ length: bandCount }, (_, b) => {
    const a = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const field = ((x >> 4) * 7 + (y >> 4) * 13 + b * 5) % 11;
        a[y * W + x] = 30 + field * 18 + Math.floor(r() * 20);
        if (y >= 10 && y < 20 && x >= 20 && x < 40) a[y * W + x] = 0;
      }
    }
    return a;
  });
}

beforeAll(async () => {
  await useBackend("wasm");
  dir = await mkdtemp(path.join(tmpdir(), "patrol-classify-"));
  imagePath = path.join(dir, "rgb-150x100-nodata0.tif");
  await writeGeoTiff(
    imagePath,
    {
      width: W,
      height: H,
      bandCount: 3,
      sampleType: "uint8",
      affine: AFFINE,
      crs: "EPSG:32650",
      nodata: 0,
      tileSize: 64,
    },
    syntheticBands(3),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readAll(
  file: string,
): Promise<{ bands: TypedSamples[]; affine: Affine; crs: string | null; count: number }> {
  const src = await openRaster(file);
  try {
    const block = await src.read({ x0: 0, y0: 0, x1: src.width, y1: src.height });
    return { bands: [...block.bands], affine: src.affine, crs: src.crs, count: src.bandCount };
  } finally {
    await src.close();
  }
}

describe("classifyRaster", () => {
  it("writes a class map and probabilities on the image grid, the same for any window layout, owning its tensors", async () => {
    const classifier = randomClassifier(11);
    const profile = BUILTIN_SENSOR_PROFILES.rgb!;
    const source = await openRaster(imagePath);
    const before = tf.memory().numTensors;
    const small = await classifyRaster(classifier, source, {
      profile,
      outDir: path.join(dir, "small"),
      stripRows: 16,
      windowColumns: 32,
    });
    expect(tf.memory().numTensors).toBe(before);
    const big = await classifyRaster(classifier, source, { profile, outDir: path.join(dir, "big") });
    await source.close();
    classifier.dispose();

    const a = await readAll(small.classMapPath);
    const b = await readAll(big.classMapPath);
    expect(a.affine).toEqual(AFFINE);
    expect(a.crs).toBe("EPSG:32650");
    const classA = a.bands[0] as Uint8Array;
    const classB = b.bands[0] as Uint8Array;
    expect(classA).toHaveLength(W * H);
    let differ = 0;
    for (let i = 0; i < classA.length; i++) if (classA[i] !== classB[i]) differ++;
    expect(differ).toBe(0);

    // No data where the input is (0,0,0); model classes elsewhere; counts agree with the map.
    const codes = new Set([1, 3, 6, 8]);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const v = classA[y * W + x] as number;
        if (y >= 10 && y < 20 && x >= 20 && x < 40) expect(v).toBe(0);
        else expect(codes.has(v)).toBe(true);
      }
    }
    expect(small.nodataPixels).toBe(200);
    expect(Object.values(small.classCounts).reduce((s, n) => s + n, 0)).toBe(W * H);

    const p = await readAll(small.probabilitiesPath);
    expect(p.count).toBe(4);
    expect(p.affine).toEqual(AFFINE);
    for (const i of [0, 5000, 14999]) {
      const sum = p.bands.reduce((s, band) => s + (band[i] as number), 0);
      expect(Math.abs(sum - 255)).toBeLessThanOrEqual(2);
    }
    const nodataIdx = 15 * W + 30;
    expect(p.bands.map((band) => band[nodataIdx])).toEqual([0, 0, 0, 0]);
  });

  it("computes only each window's core and margin for deep pyramids, matching one whole-image window", async () => {
    // 4 levels: windows of 32 px cells with a 32 px halo, inner regions on an 8 px grid. Small
    // windows use inner regions; one big window covers the image and computes every pixel.
    const spec = { ...SMALL_SPEC, pyramidLevels: 4 };
    expect(innerRegionGeometry(spec).margin).toBeGreaterThan(0);
    const classifier = randomClassifier(5, spec);
    const profile = BUILTIN_SENSOR_PROFILES.rgb!;
    const source = await openRaster(imagePath);
    const before = tf.memory().numTensors;
    const small = await classifyRaster(classifier, source, {
      profile,
      outDir: path.join(dir, "deep-small"),
      stripRows: 32,
      windowColumns: 32,
    });
    const big = await classifyRaster(classifier, source, {
      profile,
      outDir: path.join(dir, "deep-big"),
      stripRows: 512,
      windowColumns: 512,
    });
    expect(tf.memory().numTensors).toBe(before);
    await source.close();
    classifier.dispose();
    const [pa, pb] = [await readAll(small.probabilitiesPath), await readAll(big.probabilitiesPath)];
    let maxDiff = 0;
    for (let b = 0; b < pa.count; b++) {
      const [x, y] = [pa.bands[b] as Uint8Array, pb.bands[b] as Uint8Array];
      for (let i = 0; i < x.length; i++)
        maxDiff = Math.max(maxDiff, Math.abs((x[i] as number) - (y[i] as number)));
    }
    // Quantised probabilities: float rounding may move a value across a rounding boundary.
    expect(maxDiff).toBeLessThanOrEqual(1);
    const [ca, cb] = [
      (await readAll(small.classMapPath)).bands[0]!,
      (await readAll(big.classMapPath)).bands[0]!,
    ];
    let differ = 0;
    for (let i = 0; i < ca.length; i++) if (ca[i] !== cb[i]) differ++;
    expect(differ).toBeLessThanOrEqual(Math.ceil(0.001 * W * H));
  });

  it("refuses an image whose bands do not match the model's input", async () => {
    const classifier = randomClassifier(12);
    const source = await openRaster(imagePath);
    try {
      // 3-band file, 4-band profile.
      expect(() => bindBands(classifier, BUILTIN_SENSOR_PROFILES.rgbn!, source)).toThrow(BandMismatchError);
      // A profile without the model's bands.
      const nirOnly = {
        ...BUILTIN_SENSOR_PROFILES.rgb!,
        id: "three-nir",
        bands: ["nir", "swir1", "swir2"].map((name, index) => ({ name, index, scale: 1, offset: 0 })),
      };
      expect(() => bindBands(classifier, nirOnly as never, source)).toThrow(/has no red band/);
      await expect(
        classifyRaster(classifier, source, {
          profile: BUILTIN_SENSOR_PROFILES.rgbn!,
          outDir: path.join(dir, "x"),
        }),
      ).rejects.toMatchObject({ name: "BandMismatchError", modelBands: SMALL_SPEC.bands });
    } finally {
      await source.close();
      classifier.dispose();
    }
  });
});
