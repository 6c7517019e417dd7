/**
 * The detection stage of one processing window: read the before and after imagery (with a halo
 * of context), classify both, burn the baseline and the county and approval layers onto the
 * window, apply the change rules, and write the window's rasters (cached class probabilities for
 * re-tuning and for QGIS, and the change raster). Returns the core window's arrays for
 * vectorising.
 *
 * Output files (under `<out>/windows/<windowId>/`, each written atomically):
 *   probabilities-after.tif, probabilities-before.tif  uint8, one band per model class (0–255)
 *   change.tif  uint8 bands: change-type code, confidence (0–255), baseline mismatch, observed on
 *               both dates, unobserved baseline cropland (1 after date, 2 before date, 3 both),
 *               relative spectral change of the 3×3 patch (0–255 for 0–1; detect/spectral-change.ts)
 *   masks.tif   uint8 bands: after and before date mask (0 clear, 1 nodata, 2 quality band,
 *               3 cloud, 4 cloud shadow)
 * and the window's season history `<out>/state/pixels/<windowId>.tif` (season/state-file.ts).
 */
import { mkdir } from "node:fs/promises";
import type { Logger } from "../core/logger.js";
import { LAND_COVER_CLASSES } from "../core/land-cover.js";
import { CHANGE_TYPES } from "../core/change-types.js";
import { windowAffine, type Affine, type PixelWindow } from "../core/raster-types.js";
import { pixelAreaM2 } from "../core/geodesic-area.js";
import { ScratchScope } from "../core/scratch-pool.js";
import { coordinateTransform } from "../ingest/crs.js";
import { insideOutput } from "../config/manifest.js";
import { writeGeoTiff } from "../ingest/geotiff-writer.js";
import { readMosaicWindow, type Mosaic } from "../ingest/mosaic.js";
import type { RasterGrid } from "../ingest/rasterize.js";
import { toReflectance, type ReflectanceBands, type SensorProfile } from "../ingest/sensor-profile.js";
import { assertPreviousRunState, previousRunDir } from "../history/previous-run.js";
import { isCalibrated, MASK_NODATA, MASK_QUALITY, spectralCloudMask } from "../ingest/cloud-mask.js";
import {
  abandonmentParams,
  flagAbandonment,
  indexKindOf,
  maskIndex,
  PIXEL_STATE_DIR,
  readSeasonState,
  seasonParams,
  updateSeason,
  vegetationIndex,
  writeSeasonState,
  type AbandonmentResult,
  type SeasonState,
} from "../season/index.js";
import { applyChangeRules, type ProbabilityPlanes } from "./change-rules.js";
import { classifyWindow } from "./classify-window.js";
import { relativeSpectralChange } from "./spectral-change.js";
import { burnWindowLayers } from "./window-layers.js";
import type { RunInputs, WindowPlan } from "./run-inputs.js";

/** The arrays of one window's core (halo removed), row-major, all `width × height`. */
export interface WindowRasters {
  readonly windowId: string;
  /** The core window on the mosaic grid. */
  readonly window: PixelWindow;
  readonly width: number;
  readonly height: number;
  readonly changeCode: Uint8Array;
  readonly confidence: Uint8Array;
  readonly mismatch: Uint8Array;
  /** 1 where both dates observed the pixel. */
  readonly observed: Uint8Array;
  /** On baseline cropland: 1 unobserved on the after date only, 2 on the before date only, 3 both; else 0. */
  readonly unobservedCropland: Uint8Array;
  /** Ellipsoidal area of one pixel in each row of the window, m² (CGCS2000), at the window's middle column. */
  readonly rowAreaM2: Float64Array;
  /** Why each date did not observe a pixel (MASK_* codes of ingest/cloud-mask.ts; 0 = clear). */
  readonly afterMask: Uint8Array;
  readonly beforeMask: Uint8Array;
  /** 1 on baseline cropland. */
  readonly cropland: Uint8Array;
  /** 1 on baseline cropland that is permanent basic farmland. */
  readonly pbf: Uint8Array;
  /** Index + 1 into `run.baseline.features` of the parcel under each pixel (0: none). */
  readonly baselineFeature: Uint32Array;
  /** Index + 1 into `run.counties.features` (0: outside every county). */
  readonly county: Uint32Array;
  /** Index + 1 into `run.exclusions.features` (0: no approval). */
  readonly exclusion: Uint32Array;
  /** Change types enabled in the config that the model cannot detect. */
  readonly undetectable: readonly string[];
}

export interface StageContext {
  readonly logger: Logger;
  readonly signal?: AbortSignal;
}

/** Cuts the core `width × height` out of a row-major array `srcWidth` wide with a `halo` margin. */
export function crop<T extends Uint8Array | Uint16Array | Uint32Array | Float32Array>(
  src: T,
  srcWidth: number,
  halo: number,
  width: number,
  height: number,
): T {
  const out = new (src.constructor as new (n: number) => T)(width * height);
  for (let y = 0; y < height; y++) {
    const from = (y + halo) * srcWidth + halo;
    out.set(src.subarray(from, from + width), y * width);
  }
  return out;
}

interface DateRead {
  readonly planes: ProbabilityPlanes;
  /** 1 where the date observed the pixel (not nodata, not masked by quality band, cloud or shadow). */
  readonly observed: Uint8Array;
  /** Why a pixel is unobserved: MASK_* codes (0 = clear). */
  readonly mask: Uint8Array;
  /** The window's bands as reflectance (NaN where the sensor profile's nodata or quality says so). */
  readonly reflectance: ReflectanceBands;
}

/**
 * Reads one date over `window` (a core with its halo), masks it and classifies it; `need` (in the
 * window's pixels) is where the caller uses the probabilities, the rest of the window is context.
 * The reflectance, mask and probability planes are borrowed from `scratch`.
 */
async function readDate(
  mosaic: Mosaic,
  profile: SensorProfile,
  run: RunInputs,
  window: PixelWindow,
  need: PixelWindow,
  ctx: StageContext,
  scratch: ScratchScope,
): Promise<DateRead> {
  const block = await readMosaicWindow(mosaic, window, {
    bands: profile.bands.map((b) => b.index).concat(profile.quality ? [profile.quality.index] : []),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  const n = block.width * block.height;
  const reflectance = toReflectance(profile, block, "mosaic", {
    out: Object.fromEntries(profile.bands.map((b) => [b.name, scratch.take(Float32Array, n)])),
  });
  const mask = scratch.take(Uint8Array, n);
  const observed = block.observed;
  // A quality-band or nodata mask shows as NaN in the reflectance (profile nodata included).
  maskUnobserved(observed, reflectance[profile.bands[0]!.name]!, mask);
  const clouds = run.config.clouds;
  if (clouds.mode === "always" || (clouds.mode === "auto" && !profile.quality)) {
    const spectral = spectralCloudMask(reflectance, block.width, block.height, clouds, {
      calibrated: isCalibrated(profile),
    });
    maskWhereClear(spectral, mask);
  }
  clearOf(mask, observed);
  const planes = classifyWindow(
    run.classifier,
    reflectance,
    block.width,
    block.height,
    profile.id,
    need,
    scratch,
  );
  return { planes, observed, mask, reflectance };
}

/*
 * The per-pixel loops of a window are small functions over typed arrays: V8 compiles a loop
 * inside a long function on the stack and drops that code on what follows, once per window;
 * a small function is compiled once per process (change-rules.ts says the same).
 */

/** Mask codes for what the date did not see: nodata where not observed, else quality where NaN. */
function maskUnobserved(observed: Uint8Array, firstBand: Float32Array, mask: Uint8Array): void {
  for (let i = 0; i < mask.length; i++) {
    if (observed[i] === 0) mask[i] = MASK_NODATA;
    else if (firstBand[i] !== firstBand[i]) mask[i] = MASK_QUALITY;
  }
}

/** Adds `codes` (cloud, shadow) where `mask` is still clear. */
function maskWhereClear(codes: Uint8Array, mask: Uint8Array): void {
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0 && codes[i] !== 0) mask[i] = codes[i]!;
}

/** 1 where the mask is clear. */
function clearOf(mask: Uint8Array, out: Uint8Array): void {
  for (let i = 0; i < out.length; i++) out[i] = mask[i] === 0 ? 1 : 0;
}

/** 1 where both are 1. */
function bothOf(a: Uint8Array, b: Uint8Array, out: Uint8Array): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i]! & b[i]!;
}

/** On baseline cropland: 1 unobserved on the after date only, 2 on the before date only, 3 both. */
function unobservedCropland(
  cropland: Uint8Array,
  afterObserved: Uint8Array,
  beforeObserved: Uint8Array,
  out: Uint8Array,
): void {
  for (let i = 0; i < out.length; i++) {
    if (cropland[i] === 0) continue;
    out[i] = (afterObserved[i] === 0 ? 1 : 0) | (beforeObserved[i] === 0 ? 2 : 0);
  }
}

/**
 * Updates the window's season history with the after image (read over the window read, halo
 * included, from the previous run's `state/pixels/`), writes the core's history, and returns the
 * abandonment verdict over the window read; null when the imagery supports no vegetation index.
 */
async function seasonOfWindow(
  run: RunInputs,
  plan: WindowPlan,
  outer: PixelWindow,
  after: DateRead,
): Promise<AbandonmentResult | null> {
  // Only the after date's vegetation index (NaN where unobserved) enters the history.
  const indexKind = indexKindOf(after.reflectance);
  if (!indexKind) return null;
  const index = maskIndex(vegetationIndex(after.reflectance, indexKind), after.observed);
  const ow = outer.x1 - outer.x0;
  const oh = outer.y1 - outer.y0;
  const grid = { affine: run.after.affine, crs: run.after.crs };
  let previous: SeasonState | null = null;
  const previousDir = previousRunDir(run);
  if (previousDir) {
    // A mistyped previousRun must not silently restart the season's evidence. runDetect checks
    // the previous state before any window (readPreviousState); a queued window job checks too.
    await assertPreviousRunState(previousDir);
    previous = await readSeasonState(previousDir, { ...grid, window: outer });
  }
  const state = updateSeason(
    previous,
    { month: run.manifest.month, index: indexKind, max: index, min: index },
    ow,
    oh,
    seasonParams(run.config, indexKind),
  );
  const h = run.halo;
  const w = plan.window.x1 - plan.window.x0;
  const ht = plan.window.y1 - plan.window.y0;
  const core: SeasonState = {
    ...state,
    width: w,
    height: ht,
    observedMonths: crop(state.observedMonths, ow, h, w, ht),
    bareMonths: crop(state.bareMonths, ow, h, w, ht),
    peak: crop(state.peak, ow, h, w, ht),
    peakMonth: crop(state.peakMonth, ow, h, w, ht),
    minimum: crop(state.minimum, ow, h, w, ht),
  };
  await writeSeasonState(insideOutput(run.outDir, PIXEL_STATE_DIR, `${plan.id}.tif`), core, {
    ...grid,
    window: plan.window,
  });
  return flagAbandonment(state, abandonmentParams(run.config, indexKind));
}

/** Geodesic area of one pixel per row of `w` (at its middle column), m². */
export function rowPixelAreas(affine: Affine, crs: string, w: PixelWindow): Float64Array {
  const t = coordinateTransform(crs, "EPSG:4326");
  const toLonLat = (x: number, y: number): { x: number; y: number } => t.forward(x, y);
  const out = new Float64Array(w.y1 - w.y0);
  const x = Math.floor((w.x0 + w.x1) / 2);
  for (let y = w.y0; y < w.y1; y++) out[y - w.y0] = pixelAreaM2(affine, toLonLat, x, y);
  return out;
}

/** Runs detection on one window and writes its rasters. Coordinates are the mosaic's pixels. */
export async function detectWindow(
  run: RunInputs,
  plan: WindowPlan,
  ctx: StageContext,
): Promise<WindowRasters> {
  // The window's full-size layers (halo included) live until its rasters are written; the result
  // holds crops of them. They are borrowed for the window (see core/scratch-pool.ts for why).
  const scratch = new ScratchScope();
  try {
    return await detectWindowWith(run, plan, ctx, scratch);
  } finally {
    scratch.release();
  }
}

async function detectWindowWith(
  run: RunInputs,
  plan: WindowPlan,
  ctx: StageContext,
  scratch: ScratchScope,
): Promise<WindowRasters> {
  const h = run.halo;
  const core = plan.window;
  // The window read is the core plus the halo, extended to whole pyramid cells (a core clipped at
  // the mosaic's edge is not); the model's features need that, and the extra pixels are context.
  const roundUp = (v: number): number => Math.ceil(v / run.cell) * run.cell;
  const outer: PixelWindow = {
    x0: core.x0 - h,
    y0: core.y0 - h,
    x1: core.x0 - h + roundUp(core.x1 - core.x0 + 2 * h),
    y1: core.y0 - h + roundUp(core.y1 - core.y0 + 2 * h),
  };
  const ow = outer.x1 - outer.x0;
  const oh = outer.y1 - outer.y0;
  const width = core.x1 - core.x0;
  const height = core.y1 - core.y0;
  // Probabilities are used over the core and as far around it as the change rules' morphology reaches.
  const reach = run.morphologyReach;
  const need: PixelWindow = {
    x0: Math.max(0, h - reach),
    y0: Math.max(0, h - reach),
    x1: Math.min(ow, h + width + reach),
    y1: Math.min(oh, h + height + reach),
  };
  const after = await readDate(run.after, run.afterProfile, run, outer, need, ctx, scratch);
  const before = await readDate(run.before, run.beforeProfile, run, outer, need, ctx, scratch);
  const abandonment = await seasonOfWindow(run, plan, outer, after);

  const grid: RasterGrid = {
    affine: windowAffine(run.after.affine, outer),
    width: ow,
    height: oh,
    crs: run.after.crs,
  };
  const { baselineFeature, cropland, pbf, county, exclusion } = burnWindowLayers(run, grid, scratch);

  const valid = scratch.take(Uint8Array, ow * oh);
  bothOf(after.observed, before.observed, valid);
  const spectralChange = relativeSpectralChange(before.reflectance, after.reflectance, ow, oh);
  const rules = applyChangeRules(
    {
      before: before.planes,
      after: after.planes,
      baselineCropland: cropland,
      valid,
      spectralChange,
      ...(abandonment ? { abandoned: { flagged: abandonment.flagged, evidence: abandonment.evidence } } : {}),
    },
    run.config,
  );
  // Baseline cropland the patrol did not see: 1 on the after date only, 2 before only, 3 both.
  const unobserved = scratch.take(Uint8Array, ow * oh);
  unobservedCropland(cropland, after.observed, before.observed, unobserved);

  const result: WindowRasters = {
    windowId: plan.id,
    window: core,
    width,
    height,
    changeCode: crop(rules.changeCode, ow, h, width, height),
    confidence: crop(rules.confidence, ow, h, width, height),
    mismatch: crop(rules.mismatch, ow, h, width, height),
    observed: crop(valid, ow, h, width, height),
    unobservedCropland: crop(unobserved, ow, h, width, height),
    rowAreaM2: rowPixelAreas(run.after.affine, run.after.crs, core),
    afterMask: crop(after.mask, ow, h, width, height),
    beforeMask: crop(before.mask, ow, h, width, height),
    cropland: crop(cropland, ow, h, width, height),
    pbf: crop(pbf, ow, h, width, height),
    baselineFeature: crop(baselineFeature, ow, h, width, height),
    county: crop(county, ow, h, width, height),
    exclusion: crop(exclusion, ow, h, width, height),
    undetectable: rules.undetectable,
  };
  await writeWindowRasters(run, plan, result, after.planes, before.planes, spectralChange, ow);
  ctx.logger.debug({ windowId: plan.id }, "window detected");
  return result;
}

/** Folder of a window's artifacts. */
export function windowDir(run: Pick<RunInputs, "outDir">, windowId: string): string {
  return insideOutput(run.outDir, "windows", windowId);
}

async function writeWindowRasters(
  run: RunInputs,
  plan: WindowPlan,
  r: WindowRasters,
  after: ProbabilityPlanes,
  before: ProbabilityPlanes,
  spectralChange: Uint8Array,
  outerWidth: number,
): Promise<void> {
  const dir = windowDir(run, plan.id);
  await mkdir(dir, { recursive: true });
  const affine: Affine = windowAffine(run.after.affine, plan.window);
  const base = { width: r.width, height: r.height, sampleType: "uint8" as const, affine, crs: run.after.crs };
  const classNames = after.classIds.map((id) => LAND_COVER_CLASSES.find((c) => c.id === id)?.nameEn ?? id);
  for (const [name, planes, date] of [
    ["probabilities-after.tif", after, run.manifest.tiles[0]?.after.date ?? ""],
    ["probabilities-before.tif", before, run.manifest.tiles[0]?.before.date ?? ""],
  ] as const) {
    await writeGeoTiff(
      insideOutput(dir, name),
      {
        ...base,
        bandCount: planes.planes.length,
        bandDescriptions: classNames,
        metadata: {
          CLASS_IDS: planes.classIds.join(","),
          SCALE: "probability = value / 255",
          DATE: date,
          MODEL: run.classifier.meta.modelId,
        },
        predictor: true,
        // A cache for tune/evaluate, written for every window of every run: zlib level 1 costs a
        // third of level 6's CPU for files about 9% larger (measured on the demo's windows).
        deflateLevel: 1,
      },
      planes.planes.map((p) => crop(p, outerWidth, run.halo, r.width, r.height)),
    );
  }
  await writeGeoTiff(
    insideOutput(dir, "change.tif"),
    {
      ...base,
      bandCount: 6,
      bandDescriptions: [
        "change type code",
        "confidence (value / 255)",
        "baseline mismatch",
        "observed on both dates",
        "unobserved baseline cropland (1 after date, 2 before date, 3 both)",
        "relative spectral change of the 3x3 patch (value / 255)",
      ],
      metadata: { CHANGE_CODES: CHANGE_TYPES.map((t) => `${t.code}=${t.id}`).join(",") },
    },
    [
      r.changeCode,
      r.confidence,
      r.mismatch,
      r.observed,
      r.unobservedCropland,
      crop(spectralChange, outerWidth, run.halo, r.width, r.height),
    ],
  );
  await writeGeoTiff(
    insideOutput(dir, "masks.tif"),
    {
      ...base,
      bandCount: 2,
      bandDescriptions: ["after date mask", "before date mask"],
      metadata: { MASK_CODES: "0=clear,1=nodata,2=quality band or a band at nodata,3=cloud,4=cloud shadow" },
    },
    [r.afterMask, r.beforeMask],
  );
}
