/**
 * Opens everything a run reads, once: the after and before mosaics, the vector layers (reprojected
 * to the imagery's CRS), the model and the resolved config. A tile that cannot be opened is
 * recorded as failed and left out; the run goes on with the rest.
 */
import path from "node:path";
import { Classifier } from "../classify/classifier.js";
import { DEFAULT_MODEL_DIR } from "../classify/default-model.js";
import { featureHalo, pyramidCell } from "../classify/features.js";
import {
  loadDetectionConfigFile,
  parseDetectionConfig,
  type DetectionConfig,
} from "../config/detection-config.js";
import { insideOutput, loadManifest, resolveSource, type Manifest } from "../config/manifest.js";
import { ConfigError, PatrolError } from "../core/errors.js";
import type { PixelWindow } from "../core/raster-types.js";
import type { BaselineProperties } from "../ingest/baseline-layer.js";
import type { CountyProperties } from "../ingest/county-layer.js";
import { crsDefinition, registerCrs } from "../ingest/crs.js";
import type { ExclusionProperties } from "../ingest/exclusion-layer.js";
import { buildMosaic, type Mosaic } from "../ingest/mosaic.js";
import { openRaster } from "../ingest/raster-source.js";
import type { RasterSource } from "../ingest/raster-source-types.js";
import { matchRasters, type BandPercentiles } from "../ingest/radiometric-match.js";
import { checkBandCount, profileFromSpec, type SensorProfile } from "../ingest/sensor-profile.js";
import type { VectorLayer } from "../ingest/vector-layer.js";
import { loadRunLayers } from "./run-layers.js";
import type { Logger } from "../core/logger.js";

export interface FailedTile {
  readonly tileId: string;
  readonly reason: string;
  readonly errorName: string;
}

/** One processing window on the mosaic grid. */
export interface WindowPlan {
  readonly id: string;
  readonly window: PixelWindow;
  /** Ids of the tiles whose after image overlaps the window. */
  readonly tileIds: readonly string[];
}

export interface RunInputs {
  readonly manifest: Manifest;
  readonly manifestFile: string;
  readonly baseDir: string;
  /** Absolute output folder of the run. */
  readonly outDir: string;
  readonly config: DetectionConfig;
  readonly after: Mosaic;
  readonly before: Mosaic;
  readonly afterProfile: SensorProfile;
  readonly beforeProfile: SensorProfile;
  /** Tile id of each after/before raster source (by source string), to name tiles in failures. */
  readonly tileOfSource: ReadonlyMap<string, string>;
  readonly baseline: VectorLayer<BaselineProperties>;
  readonly counties: VectorLayer<CountyProperties>;
  readonly exclusions: VectorLayer<ExclusionProperties>;
  readonly classifier: Classifier;
  readonly windows: readonly WindowPlan[];
  /** Pixels of context read around each window (a multiple of the model's pyramid cell). */
  readonly halo: number;
  /**
   * How far (pixels) around a window's core the change rules read probabilities: what the largest
   * opening + closing of the detection config reaches.
   */
  readonly morphologyReach: number;
  /** The model's pyramid cell: windows start on its multiples and are read in whole cells. */
  readonly cell: number;
  readonly failedTiles: readonly FailedTile[];
}

async function loadDetectionConfig(
  manifest: Manifest,
  baseDir: string,
  file: string,
): Promise<DetectionConfig> {
  const d = manifest.detection;
  if (typeof d !== "string") return parseDetectionConfig(d ?? {}, `${file} detection`);
  return loadDetectionConfigFile(path.resolve(baseDir, d));
}

/** Plans windows of `size` pixels (a multiple of `cell`) over the mosaic, skipping empty ones. */
export function planWindows(
  mosaic: Mosaic,
  size: number,
  cell: number,
  tileIds: readonly string[],
): WindowPlan[] {
  const step = Math.max(cell, Math.round(size / cell) * cell);
  const plans: WindowPlan[] = [];
  const rows = Math.ceil(mosaic.height / step);
  const cols = Math.ceil(mosaic.width / step);
  const pad = (v: number, n: number): string => String(v).padStart(String(n).length, "0");
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const window = {
        x0: c * step,
        y0: r * step,
        x1: Math.min(mosaic.width, (c + 1) * step),
        y1: Math.min(mosaic.height, (r + 1) * step),
      };
      const ids = mosaic.parts
        .map((p, i) => ({ p, id: tileIds[i]! }))
        .filter(
          ({ p }) =>
            p.offsetX < window.x1 &&
            p.offsetX + p.raster.width > window.x0 &&
            p.offsetY < window.y1 &&
            p.offsetY + p.raster.height > window.y0,
        )
        .map(({ id }) => id);
      if (ids.length > 0) plans.push({ id: `r${pad(r, rows)}c${pad(c, cols)}`, window, tileIds: ids });
    }
  }
  return plans;
}

/** How far (as a factor either way) the imagery's pixel size may be from the model's before a warning. */
export const RESOLUTION_TOLERANCE = 2;

/**
 * Warns when the imagery's pixel size is more than {@link RESOLUTION_TOLERANCE}× from the ground
 * resolution the model was trained at: its texture and context features then describe other
 * things (a 4 m model reading 30 m Landsat called every pixel cropland). Skipped for imagery
 * whose CRS is not in metres (degrees), where the pixel size says nothing comparable.
 */
export function warnOnResolutionMismatch(
  classifier: Pick<Classifier, "meta">,
  mosaic: Pick<Mosaic, "affine" | "crs">,
  logger: Logger,
): boolean {
  const pixelM = pixelSizeM(mosaic);
  const modelM = classifier.meta.input.groundResolutionM;
  if (pixelM === null || !(pixelM > 0)) return false;
  const ratio = pixelM / modelM;
  if (ratio <= RESOLUTION_TOLERANCE && ratio >= 1 / RESOLUTION_TOLERANCE) return false;
  logger.warn(
    { modelId: classifier.meta.modelId, imageryPixelM: pixelM, modelGroundResolutionM: modelM },
    `imagery pixels are ${pixelM} m but model ${classifier.meta.modelId} was trained at about ${modelM} m: ` +
      "its classes will be unreliable; use a model trained near the imagery's resolution (models/README.md)",
  );
  return true;
}

/**
 * The pixel width of a mosaic in metres: as is for projected CRS in metres, converted at the
 * origin's latitude for longitude/latitude (OSCD's EPSG:4326 stacks), null for other units or an
 * unknown CRS.
 */
export function pixelSizeM(mosaic: Pick<Mosaic, "affine" | "crs">): number | null {
  let definition: string;
  try {
    definition = crsDefinition(mosaic.crs);
  } catch {
    return null;
  }
  const width = Math.abs(mosaic.affine.pixelWidth);
  if (/\+proj=longlat\b/.test(definition)) {
    return width * 111_320 * Math.cos((mosaic.affine.originY * Math.PI) / 180);
  }
  if (/\+units=m\b/.test(definition) || !/\+units=/.test(definition)) return width;
  return null;
}

/**
 * The model's training radiometry, the target of radiometric matching; a {@link ConfigError}
 * naming `source` (the manifest or the model folder) when the model predates recording it.
 */
export function requireRadiometry(classifier: Classifier, source: string, option: string): BandPercentiles {
  const reference = classifier.meta.input.radiometry;
  if (!reference) {
    throw new ConfigError(
      source,
      `${option} is on, but model ${classifier.meta.modelId} records no training radiometry (retrain it)`,
    );
  }
  return reference;
}

/**
 * The profile that maps `what` (one date's mosaic, or one image) onto the model's training
 * radiometry (ingest/radiometric-match.ts); logs the gains and offsets it derived. A flat band or
 * mismatched percentiles are a {@link ConfigError} naming `source`.
 */
export async function matchImagery(
  reference: BandPercentiles,
  rasters: readonly RasterSource[],
  profile: SensorProfile,
  what: string,
  source: string,
  logger: Logger,
): Promise<SensorProfile> {
  let matched: Awaited<ReturnType<typeof matchRasters>>;
  try {
    matched = await matchRasters(rasters, profile, reference);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new ConfigError(source, `${what}: ${e.message}`, { cause: e });
  }
  logger.info(
    { what, profile: matched.profile.id, matches: matched.matches },
    `${what} matched to the model's radiometry`,
  );
  return matched.profile;
}

export interface OpenRunOptions {
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  /** Model folder; overrides the manifest's. */
  readonly modelDir?: string;
  /** Output folder; overrides the manifest's. */
  readonly outDir?: string;
}

/** Reads the manifest and opens every input of the run. */
export async function openRun(manifestFile: string, options: OpenRunOptions): Promise<RunInputs> {
  const { manifest, baseDir } = await loadManifest(manifestFile);
  for (const [code, def] of Object.entries(manifest.crsDefinitions)) registerCrs(code, def);
  const config = await loadDetectionConfig(manifest, baseDir, manifestFile);
  const outDir = path.resolve(options.outDir ?? path.resolve(baseDir, manifest.output));
  insideOutput(outDir, "windows"); // the folder itself must resolve

  const modelDir =
    options.modelDir ?? (manifest.model ? path.resolve(baseDir, manifest.model) : DEFAULT_MODEL_DIR);
  const classifier = await Classifier.load(modelDir);
  const afters: RasterSource[] = [];
  const befores: RasterSource[] = [];
  try {
    return await openWithModel();
  } catch (e) {
    // A run that cannot open gives back what it took: the model's tensors and the open tiles.
    classifier.dispose();
    await Promise.all([...afters, ...befores].map((r) => r.close()));
    throw e;
  }

  // Everything after the model loads, filling `afters` and `befores` as tiles open, so that the
  // catch above can give back what a failure leaves open.
  async function openWithModel(): Promise<RunInputs> {
    const radiometry = manifest.radiometricMatch
      ? requireRadiometry(classifier, manifestFile, "radiometricMatch")
      : null;

    const failedTiles: FailedTile[] = [];
    const ids: string[] = [];
    const tileOfSource = new Map<string, string>();
    let afterProfile: SensorProfile | null = null;
    let beforeProfile: SensorProfile | null = null;
    for (const tile of manifest.tiles) {
      const opened: RasterSource[] = [];
      try {
        const ap = profileFromSpec(tile.after.profile, manifest.profile, manifestFile);
        const bp = profileFromSpec(tile.before.profile, manifest.profile, manifestFile);
        for (const [image, profile] of [
          [tile.after, ap],
          [tile.before, bp],
        ] as const) {
          const r = await openRaster(
            resolveSource(baseDir, image.source),
            options.signal ? { signal: options.signal } : {},
          );
          opened.push(r);
          checkBandCount(profile, r);
        }
        if (afterProfile && ap.id !== afterProfile.id)
          throw new ConfigError(
            manifestFile,
            `tile ${tile.id}: all after images of a run must share one sensor profile`,
          );
        if (beforeProfile && bp.id !== beforeProfile.id)
          throw new ConfigError(
            manifestFile,
            `tile ${tile.id}: all before images of a run must share one sensor profile`,
          );
        afterProfile = ap;
        beforeProfile = bp;
        afters.push(opened[0]!);
        befores.push(opened[1]!);
        ids.push(tile.id);
        for (const r of opened) tileOfSource.set(r.source, tile.id);
      } catch (e) {
        await Promise.all(opened.map((r) => r.close()));
        if (!(e instanceof PatrolError)) throw e;
        failedTiles.push({ tileId: tile.id, reason: e.message, errorName: e.name });
        options.logger.warn({ tileId: tile.id, err: e.message }, "tile left out of the run");
      }
    }
    if (afters.length === 0 || !afterProfile || !beforeProfile) {
      throw new ConfigError(
        manifestFile,
        `no tile could be opened: ${failedTiles.map((f) => `${f.tileId}: ${f.reason}`).join("; ")}`,
      );
    }
    const after = buildMosaic(afters);
    const before = buildMosaic(befores);
    warnOnResolutionMismatch(classifier, after, options.logger);
    if (radiometry) {
      afterProfile = await matchImagery(
        radiometry,
        afters,
        afterProfile,
        "after images",
        manifestFile,
        options.logger,
      );
      beforeProfile = await matchImagery(
        radiometry,
        befores,
        beforeProfile,
        "before images",
        manifestFile,
        options.logger,
      );
    }
    if (
      before.crs !== after.crs ||
      before.affine.pixelWidth !== after.affine.pixelWidth ||
      before.affine.pixelHeight !== after.affine.pixelHeight
    ) {
      throw new ConfigError(
        manifestFile,
        `before images (${before.crs}, ${before.affine.pixelWidth} m) are not on the after images' grid (${after.crs}, ${after.affine.pixelWidth} m)`,
      );
    }
    // Express the before mosaic on the after mosaic's grid (same lattice, possibly other extent).
    const dx = Math.round((before.affine.originX - after.affine.originX) / after.affine.pixelWidth);
    const dy = Math.round((before.affine.originY - after.affine.originY) / after.affine.pixelHeight);
    const beforeOnAfterGrid: Mosaic = {
      ...before,
      affine: after.affine,
      parts: before.parts.map((p) => ({ ...p, offsetX: p.offsetX + dx, offsetY: p.offsetY + dy })),
      width: after.width,
      height: after.height,
    };

    const { baseline, counties, exclusions } = await loadRunLayers(
      manifest,
      baseDir,
      manifestFile,
      after.crs,
    );

    const spec = classifier.meta.features;
    const cell = pyramidCell(spec);
    const maxMorphology = Math.max(
      ...Object.values(config.rules).map((r) => 2 * (r.openingPx + r.closingPx)),
    );
    const halo = Math.ceil((featureHalo(spec) + maxMorphology) / cell) * cell;

    return {
      manifest,
      manifestFile,
      baseDir,
      outDir,
      config,
      after,
      before: beforeOnAfterGrid,
      afterProfile,
      beforeProfile,
      tileOfSource,
      baseline,
      counties,
      exclusions,
      classifier,
      windows: planWindows(after, manifest.windowSize, cell, ids),
      halo,
      morphologyReach: maxMorphology,
      cell,
      failedTiles,
    };
  }
}

/** Closes the rasters and frees the model. */
export async function closeRun(run: RunInputs): Promise<void> {
  await Promise.all([...run.after.parts, ...run.before.parts].map((p) => p.raster.close()));
  run.classifier.dispose();
}
