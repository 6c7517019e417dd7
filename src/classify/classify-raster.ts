/**
 * Classifying a GeoTIFF window by window: a class map (uint8 land-cover codes, 0 = no data) and
 * per-class probabilities (uint8, 0–255 for 0–1) as GeoTIFFs on the image's grid.
 *
 * The image is processed in full-width strips (the writer takes rows in order), each strip in
 * column windows read with a halo of context so the features match a whole-image computation;
 * only one strip of outputs is held in memory. Inside a window everything is tensor ops: DN to
 * reflectance, nodata mask, features, head, argmax, quantisation.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { LAND_COVER_CLASSES, NODATA_CLASS_CODE } from "../core/land-cover.js";
import type { PixelWindow, TypedSamples } from "../core/raster-types.js";
import { openGeoTiffWriter, type GeoTiffWriter } from "../ingest/geotiff-writer.js";
import type { RasterSource } from "../ingest/raster-source-types.js";
import type { SensorProfile } from "../ingest/sensor-profile.js";
import type { Classifier } from "./classifier.js";
import { BandMismatchError } from "./errors.js";
import { featureHalo, pyramidCell, type BandRole } from "./features.js";
import { cutPlanar, innerRegionFor, regionProbabilities } from "./inner-region.js";

/** How the model's bands are found in a raster of a given profile. */
export interface BandBinding {
  /** 0-based file band index per model band, in the model's band order. */
  readonly fileBands: readonly number[];
  readonly scale: readonly number[];
  readonly offset: readonly number[];
  /** DN meaning no data per the profile (in addition to the raster's own), or null. */
  readonly profileNodata: number | null;
}

/**
 * Binds the model's input bands to a raster through its sensor profile. The raster must have the
 * profile's band count and the profile every band the model reads; otherwise
 * {@link BandMismatchError}.
 */
export function bindBands(
  classifier: Classifier,
  profile: SensorProfile,
  raster: { readonly source: string; readonly bandCount: number },
): BandBinding {
  const want = classifier.meta.features.bands;
  const have = profile.bands.map((b) => b.name);
  if (raster.bandCount !== profile.bandCount) {
    throw new BandMismatchError(
      raster.source,
      want,
      have,
      `the image has ${raster.bandCount} bands but sensor profile "${profile.id}" describes ${profile.bandCount}`,
    );
  }
  const bands = want.map((role: BandRole) => {
    const b = profile.bands.find((x) => x.name === role);
    if (!b) {
      throw new BandMismatchError(
        raster.source,
        want,
        have,
        `sensor profile "${profile.id}" has no ${role} band, which model ${classifier.meta.modelId} reads`,
      );
    }
    return b;
  });
  return {
    fileBands: bands.map((b) => b.index),
    scale: bands.map((b) => b.scale),
    offset: bands.map((b) => b.offset),
    profileNodata: profile.nodata,
  };
}

/** Outputs of one window: class codes and probability planes, row-major over the core window. */
export interface WindowResult {
  readonly width: number;
  readonly height: number;
  /** Land-cover codes (see src/core/land-cover.ts), 0 where any input band is no data. */
  readonly classMap: Uint8Array;
  /** One plane per model class (classifier.classes order), round(p × 255); 0 where no data. */
  readonly probabilities: Uint8Array[];
  /** Pixels per land-cover code (index = code). */
  readonly codeCounts: Int32Array;
}

/**
 * Classifies one block of raw samples. `bands` are row-major arrays of `width × height` DN in the
 * model's band order; the core window (what is returned) is `core`, in the block's own pixel
 * coordinates. The block is mirror-padded up to a multiple of the pyramid cell; the caller makes
 * the block's origin a multiple of the cell in the image so features align across windows.
 */
export function classifyBlock(
  classifier: Classifier,
  bands: readonly TypedSamples[],
  width: number,
  height: number,
  binding: BandBinding,
  rasterNodata: number | null,
  core: PixelWindow,
): WindowResult {
  const cell = pyramidCell(classifier.meta.features);
  const padW = (cell - (width % cell)) % cell;
  const padH = (cell - (height % cell)) % cell;
  const [pw, ph] = [width + padW, height + padH];
  const cw = core.x1 - core.x0;
  const ch = core.y1 - core.y0;
  const nc = classifier.classes.length;
  const floatInput = bands[0] instanceof Float32Array || bands[0] instanceof Float64Array;
  const nodataValues = [...new Set([rasterNodata, binding.profileNodata])].filter(
    (v): v is number => v !== null && !Number.isNaN(v),
  );
  // Elementwise ops on separate band tensors only: on wasm, reductions over a non-last axis
  // transpose, broadcasting tf.where tiles and tf.slice copies its whole input.
  // Per-pixel work on the core and the classifier's margin only (the whole block still feeds the
  // coarse context); the region is cut on the JavaScript side (tf.slice is slow on wasm).
  const region = innerRegionFor(classifier.meta.features, core, pw, ph) ?? { x0: 0, y0: 0, x1: pw, y1: ph };
  const [rw, rh] = [region.x1 - region.x0, region.y1 - region.y0];
  const whole = rw === pw && rh === ph;
  const [classT, probT, countT] = tf.tidy(() => {
    let bad: tf.Tensor2D | null = null;
    const flag = (t: tf.Tensor2D): void => {
      bad = bad === null ? t : (tf.logicalOr(bad, t) as tf.Tensor2D);
    };
    const scaled = bands.map((b, k) => {
      const raw = tf.tensor2d(b instanceof Float32Array ? b : new Float32Array(b), [height, width]);
      if (floatInput) flag(tf.isNaN(raw));
      for (const nd of nodataValues) flag(tf.equal(raw, nd));
      let v = tf.add(tf.mul(raw, binding.scale[k] as number), binding.offset[k] as number) as tf.Tensor2D;
      if (floatInput) v = tf.where(tf.isNaN(v), tf.zerosLike(v), v);
      return v;
    });
    const ok: tf.Tensor2D | null =
      bad === null ? null : (tf.logicalNot(bad as tf.Tensor2D).toFloat() as tf.Tensor2D);
    let x = tf.stack(ok ? scaled.map((v) => tf.mul(v, ok)) : scaled) as tf.Tensor3D;
    const pads: Array<[number, number]> = [
      [0, 0],
      [0, padH],
      [0, padW],
    ];
    if (padW > 0 || padH > 0) {
      // Symmetric padding needs the pad to be no larger than the image; tiny images get zeros.
      x = padW <= width && padH <= height ? tf.mirrorPad(x, pads, "symmetric") : tf.pad(x, pads);
    }
    const probs = regionProbabilities(classifier, x, whole ? null : region).reshape([rh, rw, nc]);
    // Class index → land-cover code: an offset when the codes are consecutive (the shipped
    // models), else a one-hot product (no gather, no per-pixel JS).
    const codeList = classifier.classCodes;
    const consecutive = codeList.every((code, i) => code === (codeList[0] as number) + i);
    const best = tf.argMax(probs, 2);
    let cls: tf.Tensor = consecutive
      ? tf.add(best, codeList[0] as number).toFloat()
      : tf.matMul(tf.oneHot(best.reshape([-1]), nc), tf.tensor2d(codeList, [nc, 1])).reshape([rh, rw]);
    let q = tf.round(tf.mul(probs, 255));
    if (ok) {
      const okPadded = padW > 0 || padH > 0 ? tf.pad(ok, pads.slice(1)) : ok;
      const okRegion = whole
        ? okPadded
        : tf.tensor2d(cutPlanar(okPadded.dataSync() as Float32Array, 1, pw, ph, region), [rh, rw]);
      cls = tf.mul(cls, okRegion);
      q = tf.mul(q, tf.expandDims(okRegion, 2));
    }
    const clsInt = cls.asType("int32");
    // Histogram of the core only: weight 1 inside it, 0 in the rest of the region.
    const inCore = tf.pad(tf.ones([ch, cw]), [
      [core.y0 - region.y0, region.y1 - core.y1],
      [core.x0 - region.x0, region.x1 - core.x1],
    ]);
    const counts = tf.bincount(clsInt.reshape([-1]) as tf.Tensor1D, inCore.reshape([-1]) as tf.Tensor1D, 256);
    return [clsInt, tf.transpose(q, [2, 0, 1]).asType("int32"), counts];
  });
  // Crop the core row by row (typed-array copies, no per-pixel JavaScript).
  const cls = classT.dataSync() as Int32Array;
  const qd = probT.dataSync() as Int32Array;
  const codeCounts = new Int32Array(countT.dataSync() as Float32Array);
  tf.dispose([classT, probT, countT]);
  const classMap = new Uint8Array(cw * ch);
  const probabilities = Array.from({ length: nc }, () => new Uint8Array(cw * ch));
  for (let y = 0; y < ch; y++) {
    const src = (core.y0 - region.y0 + y) * rw + (core.x0 - region.x0);
    classMap.set(cls.subarray(src, src + cw), y * cw);
    probabilities.forEach((p, c) => p.set(qd.subarray(c * rw * rh + src, c * rw * rh + src + cw), y * cw));
  }
  return { width: cw, height: ch, classMap, probabilities, codeCounts };
}

export interface ClassifyRasterOptions {
  readonly profile: SensorProfile;
  /** Output folder; files are <stem>.class.tif and <stem>.prob.tif. */
  readonly outDir: string;
  /** Output file stem; default the image's file name without extension. */
  readonly stem?: string;
  /**
   * Rows per strip and columns per window (multiples of the pyramid cell). Bigger windows waste
   * less on halos but need more memory (about 250 bytes per pixel of window).
   */
  readonly stripRows?: number;
  readonly windowColumns?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (rowsDone: number, rows: number) => void;
}

export interface ClassifyRasterResult {
  readonly classMapPath: string;
  readonly probabilitiesPath: string;
  readonly pixels: number;
  readonly nodataPixels: number;
  /** Pixels per land-cover code. */
  readonly classCounts: Record<number, number>;
  readonly seconds: number;
}

/**
 * Default strip and window sizes, from bench/classify.bench.ts (wasm, gid-rgb-v1, 64 px halo; two
 * runs under varying load): core 256×256 0.42–0.47 Mpx/s per core, 512×256 0.57–0.59, 512×512
 * 0.55–0.66, 1024×512 0.60–0.74 (peak RSS about 1.2 GB). 512×512 is taken for about half the
 * memory of 1024×512. Models with a wider halo get at least 4 halos of rows and 8 of columns.
 */
export const DEFAULT_STRIP_ROWS = 512;
export const DEFAULT_WINDOW_COLUMNS = 512;

function roundToCell(v: number, cell: number): number {
  return Math.max(cell, Math.round(v / cell) * cell);
}

/**
 * Classifies every pixel of `source` and writes the class map and probabilities beside each other
 * on the image's grid (same size, affine and CRS).
 */
export async function classifyRaster(
  classifier: Classifier,
  source: RasterSource,
  options: ClassifyRasterOptions,
): Promise<ClassifyRasterResult> {
  const t0 = performance.now();
  const binding = bindBands(classifier, options.profile, source);
  const spec = classifier.meta.features;
  const cell = pyramidCell(spec);
  const halo = featureHalo(spec);
  const stripRows = roundToCell(options.stripRows ?? Math.max(DEFAULT_STRIP_ROWS, 4 * halo), cell);
  const windowCols = roundToCell(options.windowColumns ?? Math.max(DEFAULT_WINDOW_COLUMNS, 8 * halo), cell);
  const { width, height } = source;
  const stem = options.stem ?? path.basename(source.source).replace(/\.[^.]+$/, "");
  const classMapPath = path.join(options.outDir, `${stem}.class.tif`);
  const probabilitiesPath = path.join(options.outDir, `${stem}.prob.tif`);
  const common = {
    width,
    height,
    affine: source.affine,
    crs: source.crs,
    sampleType: "uint8" as const,
    metadata: { model_id: classifier.meta.modelId, source: path.basename(source.source) },
  };
  const colours = Array.from(
    { length: 256 },
    (_, v) => LAND_COVER_CLASSES.find((c) => c.code === v)?.colour ?? { r: 0, g: 0, b: 0 },
  );
  await mkdir(options.outDir, { recursive: true });
  const writers: GeoTiffWriter[] = [];
  try {
    const classWriter = await openGeoTiffWriter(classMapPath, {
      ...common,
      bandCount: 1,
      nodata: NODATA_CLASS_CODE,
      bandDescriptions: ["land cover class code"],
      colorTable: colours,
      metadata: {
        ...common.metadata,
        classes: LAND_COVER_CLASSES.map((c) => `${c.code}=${c.id}`).join(","),
      },
    });
    writers.push(classWriter);
    const probWriter = await openGeoTiffWriter(probabilitiesPath, {
      ...common,
      bandCount: classifier.classes.length,
      predictor: true,
      bandDescriptions: classifier.classes.map((c) => `p(${c})`),
      bandMetadata: classifier.classes.map((c, i) => ({
        class_id: c,
        class_code: String(classifier.classCodes[i]),
        scale: String(1 / 255),
      })),
    });
    writers.push(probWriter);
    const nc = classifier.classes.length;
    const classCounts: Record<number, number> = {};
    let nodataPixels = 0;
    for (let y0 = 0; y0 < height; y0 += stripRows) {
      options.signal?.throwIfAborted();
      const y1 = Math.min(height, y0 + stripRows);
      const sh = y1 - y0;
      const classStrip = new Uint8Array(width * sh);
      const probStrips = Array.from({ length: nc }, () => new Uint8Array(width * sh));
      for (let x0 = 0; x0 < width; x0 += windowCols) {
        const x1 = Math.min(width, x0 + windowCols);
        const read: PixelWindow = {
          x0: Math.max(0, x0 - halo),
          y0: Math.max(0, y0 - halo),
          x1: Math.min(width, x1 + halo),
          y1: Math.min(height, y1 + halo),
        };
        const block = await source.read(read, {
          bands: binding.fileBands,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        const r = classifyBlock(classifier, block.bands, block.width, block.height, binding, block.nodata, {
          x0: x0 - read.x0,
          y0: y0 - read.y0,
          x1: x1 - read.x0,
          y1: y1 - read.y0,
        });
        r.codeCounts.forEach((n, code) => {
          if (n > 0) classCounts[code] = (classCounts[code] ?? 0) + n;
        });
        for (let y = 0; y < sh; y++) {
          const dst = y * width + x0;
          classStrip.set(r.classMap.subarray(y * r.width, (y + 1) * r.width), dst);
          r.probabilities.forEach((p, c) =>
            (probStrips[c] as Uint8Array).set(p.subarray(y * r.width, (y + 1) * r.width), dst),
          );
        }
      }
      nodataPixels = classCounts[NODATA_CLASS_CODE] ?? 0;
      await classWriter.writeRows(y0, [classStrip]);
      await probWriter.writeRows(y0, probStrips);
      options.onProgress?.(y1, height);
    }
    await classWriter.finish();
    await probWriter.finish();
    return {
      classMapPath,
      probabilitiesPath,
      pixels: width * height,
      nodataPixels,
      classCounts,
      seconds: (performance.now() - t0) / 1000,
    };
  } catch (e) {
    for (const w of writers) await w.abort();
    throw e;
  }
}
