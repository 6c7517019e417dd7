/**
 * A finished run as `patrol tune` sees it: its cached class probabilities and change rasters
 * (`windows/<id>/probabilities-{after,before}.tif`, `change.tif`), its summary (resolved config,
 * model id, input checksums) and the vector layers its manifest names. No model, no imagery.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parseDetectionConfig, type DetectionConfig } from "../config/detection-config.js";
import { loadManifest, type Manifest } from "../config/manifest.js";
import { LAND_COVER_CLASSES, type LandCoverId } from "../core/land-cover.js";
import type { PixelWindow } from "../core/raster-types.js";
import { loadRunLayers, type RunLayers } from "../detect/run-layers.js";
import { registerCrs } from "../ingest/crs.js";
import { buildMosaic, type Mosaic } from "../ingest/mosaic.js";
import { openRaster } from "../ingest/raster-source.js";
import type { RasterGrid } from "../ingest/rasterize.js";
import type { RasterSource } from "../ingest/raster-source-types.js";
import type { RunSummary } from "../report/assemble.js";
import { EvaluationInputError } from "../evaluate/errors.js";

/** One processed window, in pixel coordinates of {@link CachedRun.grid}. */
export interface CachedWindow {
  readonly id: string;
  readonly window: PixelWindow;
}

export interface CachedRun {
  readonly outDir: string;
  readonly manifest: Manifest;
  readonly manifestFile: string;
  readonly runId: string;
  readonly runDate: string;
  readonly modelId: string;
  /** The run's resolved detection config (from summary.json). */
  readonly config: DetectionConfig;
  /** The grid of the processed windows (the run's mosaic grid, or the part of it processed). */
  readonly grid: RasterGrid;
  readonly windows: readonly CachedWindow[];
  readonly after: Mosaic;
  readonly before: Mosaic;
  /** The windows' change rasters (0-based band 3: observed on both dates; 4: unobserved cropland). */
  readonly change: Mosaic;
  /** Land-cover class of each probability band. */
  readonly classIds: readonly LandCoverId[];
  readonly layers: RunLayers;
}

async function sha256(file: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(file))
    .digest("hex");
}

function classIdsOf(r: RasterSource): LandCoverId[] {
  return r.bandDescriptions.map((d, band) => {
    const c = LAND_COVER_CLASSES.find((k) => k.nameEn === d || k.id === d);
    if (!c)
      throw new EvaluationInputError(r.source, `band ${band + 1} is "${d}", not a land-cover class name`);
    return c.id;
  });
}

/**
 * Opens a run's cache for re-tuning. `manifestFile` overrides the manifest path recorded in
 * summary.json (when the run was moved). Throws {@link EvaluationInputError} when the summary or
 * the cached rasters are missing, or when a vector layer changed since the run (its SHA-256
 * differs from the one in summary.json), since re-tuning on other layers would mislead.
 */
export async function openCachedRun(
  outDir: string,
  options: { manifestFile?: string } = {},
): Promise<CachedRun> {
  const summaryFile = path.join(outDir, "summary.json");
  let summary: RunSummary;
  try {
    summary = JSON.parse(await readFile(summaryFile, "utf8")) as RunSummary;
  } catch (cause) {
    throw new EvaluationInputError(
      summaryFile,
      "cannot read the run's summary (is this a run's output folder?)",
      {
        cause,
      },
    );
  }
  const manifestFile = path.resolve(options.manifestFile ?? summary.manifest);
  const { manifest, baseDir } = await loadManifest(manifestFile);
  for (const [code, def] of Object.entries(manifest.crsDefinitions)) registerCrs(code, def);
  const config = parseDetectionConfig(summary.config, `${summaryFile} config`);

  const layerFiles = [
    manifest.baseline.path,
    manifest.counties.path,
    ...manifest.exclusions.map((e) => e.path),
  ];
  for (const f of layerFiles) {
    const recorded = summary.checksums[f];
    if (recorded === undefined) continue;
    if ((await sha256(path.resolve(baseDir, f))) !== recorded)
      throw new EvaluationInputError(
        f,
        "changed since the run (SHA-256 differs from summary.json); re-run detection",
      );
  }

  const ids = (await readdir(path.join(outDir, "windows")).catch(() => [] as string[])).sort();
  const open = async (id: string, name: string): Promise<RasterSource | null> =>
    openRaster(path.join(outDir, "windows", id, name)).catch(() => null);
  const afters: RasterSource[] = [];
  const befores: RasterSource[] = [];
  const changes: RasterSource[] = [];
  const kept: string[] = [];
  for (const id of ids) {
    const [a, b, c] = await Promise.all([
      open(id, "probabilities-after.tif"),
      open(id, "probabilities-before.tif"),
      open(id, "change.tif"),
    ]);
    if (a && b && c) {
      afters.push(a);
      befores.push(b);
      changes.push(c);
      kept.push(id);
    } else await Promise.all([a, b, c].map((r) => r?.close()));
  }
  if (afters.length === 0)
    throw new EvaluationInputError(
      outDir,
      "no window with cached probabilities (windows/*/probabilities-*.tif)",
    );
  const after = buildMosaic(afters);
  const before = buildMosaic(befores);
  const change = buildMosaic(changes);
  const grid: RasterGrid = { affine: after.affine, width: after.width, height: after.height, crs: after.crs };
  const windows = after.parts.map((p, i) => ({
    id: kept[i]!,
    window: { x0: p.offsetX, y0: p.offsetY, x1: p.offsetX + p.raster.width, y1: p.offsetY + p.raster.height },
  }));
  const layers = await loadRunLayers(manifest, baseDir, manifestFile, after.crs);
  return {
    outDir,
    manifest,
    manifestFile,
    runId: summary.runId,
    runDate: summary.runDate,
    modelId: summary.model.id,
    config,
    grid,
    windows,
    after,
    before,
    change,
    classIds: classIdsOf(afters[0]!),
    layers,
  };
}

/** Closes the cached rasters. */
export async function closeCachedRun(run: CachedRun): Promise<void> {
  await Promise.all(
    [...run.after.parts, ...run.before.parts, ...run.change.parts].map((p) => p.raster.close()),
  );
}
