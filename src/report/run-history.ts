/**
 * The run-history step of the join stage: reads the previous run's state (`previousRun` in the
 * manifest), measures this month's pixels under each tracked patch (the windows' change rasters:
 * observed on both dates, changed, or not cropland on either date), advances the series
 * ({@link advanceSeries}) and writes the next state (`state/issues.json`) and the layer of patches
 * resolved this month (`resolved.geojson`), both atomically.
 */
import path from "node:path";
import type { Feature, FeatureCollection } from "geojson";
import { writeFileAtomic } from "../core/atomic-write.js";
import type { Logger } from "../core/logger.js";
import { mapToPixel, windowAffine, type PixelWindow } from "../core/raster-types.js";
import { insideOutput } from "../config/manifest.js";
import type { RunInputs } from "../detect/run-inputs.js";
import { erode } from "../detect/morphology.js";
import { windowDir } from "../detect/window-stage.js";
import {
  advanceSeries,
  OPEN_STATUSES,
  previousRunDir,
  readFeedbackFile,
  readSeriesState,
  SeriesStateError,
  writeSeriesState,
  type Observation,
  type SeriesState,
  type SeriesSummary,
  type TrackedIssue,
} from "../history/index.js";
import { coordinateTransform } from "../ingest/crs.js";
import { buildMosaic, readMosaicWindow, type Mosaic } from "../ingest/mosaic.js";
import { openRaster } from "../ingest/raster-source.js";
import { rasterizeLayer } from "../ingest/rasterize.js";
import { polygonsOf } from "../ingest/vector-geometry.js";
import type { IssueFeature } from "./issues.js";

/** Output-relative path of the layer of patches resolved by a run. */
export const RESOLVED_FILE = "resolved.geojson";

export interface HistoryStageResult {
  /** Issues for the county lists. */
  readonly listed: IssueFeature[];
  readonly series: SeriesSummary;
}

/**
 * Reads and checks the previous run's state (exists, is of an earlier month); null for the first
 * month. Cheap: callers run it before the windows so a broken series fails at once.
 */
export async function readPreviousState(run: RunInputs): Promise<SeriesState<IssueFeature> | null> {
  const prevDir = previousRunDir(run);
  if (!prevDir) return null;
  const previous = await readSeriesState<IssueFeature>(prevDir);
  if (previous.month >= run.manifest.month)
    throw new SeriesStateError(
      path.join(prevDir, "state"),
      `previous run ${previous.runId} is of month ${previous.month}, not before ${run.manifest.month}`,
    );
  return previous;
}

/** Pixel window (on the run grid) covering a lon/lat geometry, clipped to nothing if outside. */
function pixelWindowOf(run: RunInputs, f: IssueFeature): PixelWindow {
  const t = coordinateTransform("EPSG:4326", run.after.crs);
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const rings of polygonsOf(f.geometry))
    for (const ring of rings)
      for (const pos of ring) {
        const m = t.forward(pos[0]!, pos[1]!);
        const p = mapToPixel(run.after.affine, m.x, m.y);
        x0 = Math.min(x0, p.col);
        y0 = Math.min(y0, p.row);
        x1 = Math.max(x1, p.col);
        y1 = Math.max(y1, p.row);
      }
  return { x0: Math.floor(x0), y0: Math.floor(y0), x1: Math.ceil(x1), y1: Math.ceil(y1) };
}

/**
 * This month's pixels under a tracked patch: its pixels are those whose centre it covers on the
 * run's grid; observed = band 3 of change.tif (observed on both dates) and no unobserved pixel
 * within `history.cloudBufferPx` (the classifier misjudges pixels next to
 * filled-in clouds); altered = a change code (band 0) or a baseline mismatch (band 2).
 */
async function observe(
  run: RunInputs,
  mosaic: Mosaic | null,
  dx: number,
  dy: number,
  f: IssueFeature,
): Promise<Observation> {
  const w = pixelWindowOf(run, f);
  const width = w.x1 - w.x0;
  const height = w.y1 - w.y0;
  if (!mosaic || width <= 0 || height <= 0) return { observedShare: 0, alteredShare: 0 };
  const b = run.config.history.cloudBufferPx;
  const inside = rasterizeLayer(
    {
      source: `tracked patch ${f.properties.id}`,
      crs: "EPSG:4326",
      features: [
        { index: 0, geometry: f.geometry, properties: {}, extent: { minX: 0, minY: 0, maxX: 0, maxY: 0 } },
      ],
      extent: null,
    },
    { affine: windowAffine(run.after.affine, w), width, height, crs: run.after.crs },
    { burn: 1 },
  );
  // Read the patch's window plus the buffer, so pixels near a cloud outside the patch count.
  const bw = width + 2 * b;
  const bh = height + 2 * b;
  const block = await readMosaicWindow(
    mosaic,
    { x0: w.x0 - b - dx, y0: w.y0 - b - dy, x1: w.x1 + b - dx, y1: w.y1 + b - dy },
    { bands: [0, 2, 3] },
  );
  const [change, mismatch, observedBand] = block.bands;
  const seenMask = new Uint8Array(bw * bh);
  for (let i = 0; i < seenMask.length; i++) seenMask[i] = block.observed[i]! && observedBand![i] ? 1 : 0;
  const trusted = erode(seenMask, bw, bh, b);
  let n = 0;
  let seen = 0;
  let altered = 0;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      if (!inside[y * width + x]) continue;
      n++;
      const j = (y + b) * bw + x + b;
      if (!trusted[j]) continue;
      seen++;
      if (change![j] || mismatch![j]) altered++;
    }
  return { observedShare: n > 0 ? seen / n : 0, alteredShare: seen > 0 ? altered / seen : 0 };
}

/**
 * Advances the series by this run: `issues` are the join stage's issues; `processed` the windows
 * whose change rasters exist; `runDate` the date deadlines count from. Returns the issues to list and the series summary.
 */
export async function runHistoryStage(
  run: RunInputs,
  issues: readonly IssueFeature[],
  processed: readonly string[],
  runDate: string,
  logger: Logger,
): Promise<HistoryStageResult> {
  const prevDir = previousRunDir(run);
  const previous = await readPreviousState(run);
  let feedback: Awaited<ReturnType<typeof readFeedbackFile>>["entries"] = [];
  const observations = new Map<string, Observation>();
  if (prevDir && previous) {
    feedback = (await readFeedbackFile(prevDir, previous.runId)).entries;
    const open: TrackedIssue<IssueFeature>[] = previous.issues.filter((t) => OPEN_STATUSES.has(t.status));
    if (open.length > 0) {
      const rasters = await Promise.all(
        processed.map((id) => openRaster(insideOutput(windowDir(run, id), "change.tif"))),
      );
      const mosaic = rasters.length > 0 ? buildMosaic(rasters) : null;
      const dx = mosaic
        ? Math.round((mosaic.affine.originX - run.after.affine.originX) / run.after.affine.pixelWidth)
        : 0;
      const dy = mosaic
        ? Math.round((mosaic.affine.originY - run.after.affine.originY) / run.after.affine.pixelHeight)
        : 0;
      try {
        for (const t of open) observations.set(t.id, await observe(run, mosaic, dx, dy, t.feature));
      } finally {
        await Promise.all(rasters.map((r) => r.close()));
      }
    }
  }
  const result = advanceSeries<IssueFeature>({
    runId: run.manifest.runId,
    month: run.manifest.month,
    runDate,
    current: issues,
    previous,
    feedback,
    observations,
    config: run.config,
  });
  await writeSeriesState(run.outDir, result.state);
  const resolved: FeatureCollection = { type: "FeatureCollection", features: result.resolved as Feature[] };
  await writeFileAtomic(insideOutput(run.outDir, RESOLVED_FILE), JSON.stringify(resolved) + "\n");
  logger.info(
    {
      runId: run.manifest.runId,
      previousRun: previous?.runId ?? null,
      listed: result.listed.length,
      resolved: result.resolved.length,
    },
    "run history advanced",
  );
  return { listed: result.listed, series: result.summary };
}
