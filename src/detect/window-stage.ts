/**
 * The detection stage of one processing window: read the before and after imagery (with a halo
 * of context), classify both, burn the baseline and the county and approval layers onto the
 * window, apply the change rules, and write the window's rasters (cached class probabilities for
 * re-tuning and for QGIS, and the change raster). Returns the core window's arrays for
 * vectorising.
 *
 * Output files (under `<out>/windows/<windowId>/`, each written atomically):
 *   probabilities-after.tif, probabilities-before.tif  uint8, one band per model class (0–255)
 *   change.tif  uint8 bands: change-type code, confidence (0–255), baseline mismatch, observed
 */
import { mkdir } from "node:fs/promises";
import type { Logger } from "../core/logger.js";
import { LAND_COVER_CLASSES } from "../core/land-cover.js";
import { CHANGE_TYPES } from "../core/change-types.js";
import { windowAffine, type Affine, type PixelWindow } from "../core/raster-types.js";
import { insideOutput } from "../config/manifest.js";
import { writeGeoTiff } from "../ingest/geotiff-writer.js";
import { readMosaicWindow, type Mosaic } from "../ingest/mosaic.js";
import type { RasterGrid } from "../ingest/rasterize.js";
import { toReflectance, type SensorProfile } from "../ingest/sensor-profile.js";
import { applyChangeRules, type ProbabilityPlanes } from "./change-rules.js";
import { classifyWindow } from "./classify-window.js";
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
export function crop<T extends Uint8Array | Uint32Array>(
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

async function probabilitiesOf(
  mosaic: Mosaic,
  profile: SensorProfile,
  run: RunInputs,
  window: PixelWindow,
  ctx: StageContext,
): Promise<{ planes: ProbabilityPlanes; observed: Uint8Array }> {
  const block = await readMosaicWindow(mosaic, window, {
    bands: profile.bands.map((b) => b.index).concat(profile.quality ? [profile.quality.index] : []),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  const reflectance = toReflectance(profile, block, "mosaic");
  const observed = block.observed;
  const first = reflectance[profile.bands[0]!.name]!;
  for (let i = 0; i < observed.length; i++) if (first[i] !== first[i]) observed[i] = 0;
  const planes = classifyWindow(run.classifier, reflectance, block.width, block.height, profile.id);
  return { planes, observed };
}

/** Runs detection on one window and writes its rasters. Coordinates are the mosaic's pixels. */
export async function detectWindow(
  run: RunInputs,
  plan: WindowPlan,
  ctx: StageContext,
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
  const after = await probabilitiesOf(run.after, run.afterProfile, run, outer, ctx);
  const before = await probabilitiesOf(run.before, run.beforeProfile, run, outer, ctx);

  const grid: RasterGrid = {
    affine: windowAffine(run.after.affine, outer),
    width: ow,
    height: oh,
    crs: run.after.crs,
  };
  const { baselineFeature, cropland, pbf, county, exclusion } = burnWindowLayers(run, grid);

  const valid = new Uint8Array(ow * oh);
  for (let i = 0; i < valid.length; i++) valid[i] = after.observed[i]! & before.observed[i]!;
  const rules = applyChangeRules(
    { before: before.planes, after: after.planes, baselineCropland: cropland, valid },
    run.config,
  );

  const result: WindowRasters = {
    windowId: plan.id,
    window: core,
    width,
    height,
    changeCode: crop(rules.changeCode, ow, h, width, height),
    confidence: crop(rules.confidence, ow, h, width, height),
    mismatch: crop(rules.mismatch, ow, h, width, height),
    observed: crop(valid, ow, h, width, height),
    cropland: crop(cropland, ow, h, width, height),
    pbf: crop(pbf, ow, h, width, height),
    baselineFeature: crop(baselineFeature, ow, h, width, height),
    county: crop(county, ow, h, width, height),
    exclusion: crop(exclusion, ow, h, width, height),
    undetectable: rules.undetectable,
  };
  await writeWindowRasters(run, plan, result, after.planes, before.planes, ow);
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
      },
      planes.planes.map((p) => crop(p, outerWidth, run.halo, r.width, r.height)),
    );
  }
  await writeGeoTiff(
    insideOutput(dir, "change.tif"),
    {
      ...base,
      bandCount: 4,
      bandDescriptions: [
        "change type code",
        "confidence (value / 255)",
        "baseline mismatch",
        "observed on both dates",
      ],
      metadata: { CHANGE_CODES: CHANGE_TYPES.map((t) => `${t.code}=${t.id}`).join(",") },
    },
    [r.changeCode, r.confidence, r.mismatch, r.observed],
  );
}
