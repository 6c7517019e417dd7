/**
 * The assembly of a run, in three stages over artifacts at fixed paths in the output folder, so
 * the in-process run and the queue (one job per stage, one county job per county) write the
 * same bytes:
 *  1. {@link joinStage}: read every window's patch list, join patches across seams, build the
 *     issues (no chips yet) and mismatches; write the baseline-mismatch layer and
 *     `assembly/issues.json`.
 *  2. {@link countyStage} (one per county in {@link JoinedRun.counties}): draw that county's
 *     chips, write `issues/<prefecture>/<county>.geojson` and `.csv` and its review page.
 *  3. {@link summaryStage}: write `summary.json` and the review index.
 * {@link assembleRun} runs the three in order.
 */
import { readFile } from "node:fs/promises";
import type { Logger } from "../core/logger.js";
import { ConfigError } from "../core/errors.js";
import { CHANGE_TYPE_IDS } from "../core/change-types.js";
import { writeFileAtomic } from "../core/atomic-write.js";
import { insideOutput } from "../config/manifest.js";
import type { DetectionConfig } from "../config/detection-config.js";
import { runChecksums } from "../detect/input-checksums.js";
import type { FailedTile, RunInputs } from "../detect/run-inputs.js";
import { windowDir } from "../detect/window-stage.js";
import { buildMosaic, readMosaicWindow, type Mosaic } from "../ingest/mosaic.js";
import { openRaster } from "../ingest/raster-source.js";
import { joinAcrossSeams } from "../vector/merge-seams.js";
import type { CoverageTally, WindowPatch } from "../vector/window-patches.js";
import { addCoverage, unobservedFeatures, writeCoverageLayers } from "./coverage.js";
import { renderChip } from "./chips.js";
import { buildIssues, type DropReason, type IssueFeature } from "./issues.js";
import { writeIssueLists, writeMismatchLayer } from "./issue-lists.js";
import { readWindowPatches } from "./window-job.js";
import { runLimited } from "../core/run-limited.js";
import {
  drawCountyOverview,
  writeCountyReviewPage,
  writeReviewIndex,
  type CountyPageOutcome,
} from "../review/index.js";
import { runHistoryStage } from "./run-history.js";
import type { SeriesSummary } from "../history/summary.js";

export interface FailedWindow {
  readonly windowId: string;
  readonly tileIds: readonly string[];
  readonly reason: string;
  readonly errorName: string;
}

interface TypeTotals {
  count: number;
  areaM2: number;
  pbfAreaM2: number;
}

export interface CountySummary {
  adcode: string;
  name: string;
  prefectureAdcode: string;
  issues: number;
  approved: number;
  areaM2: number;
  byType: Record<string, TypeTotals>;
  /** Baseline cropland in the processed windows, and the share of it observed on both dates. */
  croplandPixels: number;
  observedCroplandPixels: number;
  observedShare: number | null;
  /** The same in ellipsoidal m², and the share observed by this month's (after) image alone. */
  croplandAreaM2: number;
  observedCroplandAreaM2: number;
  observedAfterShare: number | null;
  /** Cropland not observed on both dates, m², and its layer (see report/coverage.ts). */
  unobservedAreaM2: number;
  unobservedFile: string | null;
  file: string | null;
}

export interface RunSummary {
  runId: string;
  month: string;
  runDate: string;
  status: "complete" | "partial";
  manifest: string;
  model: { id: string };
  config: DetectionConfig;
  checksums: Readonly<Record<string, string>>;
  windows: { total: number; processed: number; failed: number };
  failedTiles: readonly FailedTile[];
  failedWindows: readonly FailedWindow[];
  undetectableChangeTypes: readonly string[];
  totals: {
    issues: number;
    approved: number;
    areaM2: number;
    byType: Record<string, TypeTotals>;
    mismatches: number;
    dropped: Record<DropReason, number>;
  };
  counties: CountySummary[];
  /** Run history: status moves, tiers, field-result precision, overdue issues. */
  series: SeriesSummary;
  timings: Record<string, number>;
}

/** Opens the windows' change rasters as one mosaic on the run's grid, with its offset. */
async function changeMosaic(
  run: RunInputs,
  windowIds: readonly string[],
): Promise<{ mosaic: Mosaic; dx: number; dy: number }> {
  const rasters = await Promise.all(
    windowIds.map((id) => openRaster(insideOutput(windowDir(run, id), "change.tif"))),
  );
  const mosaic = buildMosaic(rasters);
  const dx = Math.round((mosaic.affine.originX - run.after.affine.originX) / run.after.affine.pixelWidth);
  const dy = Math.round((mosaic.affine.originY - run.after.affine.originY) / run.after.affine.pixelHeight);
  return { mosaic, dx, dy };
}

function emptyTotals(): Record<string, TypeTotals> {
  return Object.fromEntries(CHANGE_TYPE_IDS.map((t) => [t, { count: 0, areaM2: 0, pbfAreaM2: 0 }]));
}

function addIssue(totals: Record<string, TypeTotals>, f: IssueFeature): void {
  const t = totals[f.properties.change_type]!;
  t.count++;
  t.areaM2 = Number((t.areaM2 + f.properties.area_m2).toFixed(2));
  t.pbfAreaM2 = Number((t.pbfAreaM2 + f.properties.pbf_area_m2).toFixed(2));
}

/** Output-relative path of the join stage's artifact. */
export const JOINED_FILE = "assembly/issues.json";

/** The join stage's artifact: everything the county and summary stages need. */
export interface JoinedRun {
  readonly runId: string;
  readonly runDate: string;
  readonly processed: readonly string[];
  readonly failedWindows: readonly FailedWindow[];
  readonly undetectable: readonly string[];
  /** Baseline cropland and observed pixels and m² by county index + 1 (as the windows count them). */
  readonly coverage: Readonly<Record<string, CoverageTally>>;
  /** Per county adcode: its unobserved-cropland layer and area (report/coverage.ts). */
  readonly coverageLayers: Readonly<Record<string, { file: string; unobservedM2: number }>>;
  /** All issues, without chips. */
  readonly issues: readonly IssueFeature[];
  /** Baseline-mismatch features, written by the join stage to `baseline-mismatch.geojson`. */
  readonly mismatchCount: number;
  readonly dropped: Readonly<Record<DropReason, number>>;
  /** SHA-256 of the local inputs (tiles from the windows, layers hashed by the join stage). */
  readonly checksums: Readonly<Record<string, string>>;
  /** Adcodes of the counties with at least one issue, in county-layer order: one county stage each. */
  readonly counties: readonly string[];
  readonly series: SeriesSummary;
  /** Timings passed in by the caller (windows) plus `joinMs`. */
  readonly timings: Readonly<Record<string, number>>;
}

/** What one county stage did (its timings go into the summary). */
export interface CountyResult {
  readonly adcode: string;
  readonly issues: number;
  readonly file: string | null;
  readonly chipsMs: number;
  readonly writeMs: number;
  /** The county's review page (review enabled and the county has issues). */
  readonly review?: CountyPageOutcome;
}

export interface StageContext {
  readonly logger: Logger;
  readonly timings?: Record<string, number>;
}

/** Output-relative path (without extension) of a county's issue list. */
function countyListBase(c: { adcode: string; prefectureAdcode: string }): string {
  return `issues/${c.prefectureAdcode}/${c.adcode}`;
}

/** Reads the join stage's artifact. */
export async function readJoinedRun(run: RunInputs): Promise<JoinedRun> {
  const file = insideOutput(run.outDir, JOINED_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new ConfigError(file, "the join stage's output is missing (run the join stage first)", { cause });
  }
  const joined = JSON.parse(text) as JoinedRun;
  if (joined.runId !== run.manifest.runId)
    throw new ConfigError(file, `written by run ${joined.runId}, not ${run.manifest.runId}`);
  return joined;
}

/**
 * Stage 1: reads every window's patch list (windows in `failedWindows`, or without a patch list,
 * are recorded as failed), joins patches across seams and builds the issues and mismatches;
 * writes them to {@link JOINED_FILE} atomically and returns them.
 */
export async function joinStage(
  run: RunInputs,
  failedWindows: readonly FailedWindow[],
  ctx: StageContext,
): Promise<JoinedRun> {
  const started = Date.now();
  const failed = [...failedWindows];
  const patches: WindowPatch[] = [];
  const processed: string[] = [];
  const coverage = new Map<number, CoverageTally>();
  const undetectable = new Set<string>();
  const tileChecksums: Record<string, string> = {};
  for (const plan of run.windows) {
    if (failed.some((f) => f.windowId === plan.id)) continue;
    const wp = await readWindowPatches(run, plan.id);
    if (!wp) {
      failed.push({
        windowId: plan.id,
        tileIds: plan.tileIds,
        reason: "window was not processed (no patches.json)",
        errorName: "MissingOutput",
      });
      continue;
    }
    processed.push(plan.id);
    patches.push(...wp.patches);
    Object.assign(tileChecksums, wp.checksums);
    wp.undetectable.forEach((u) => undetectable.add(u));
    for (const [k, v] of Object.entries(wp.coverage))
      coverage.set(Number(k), addCoverage(coverage.get(Number(k)), v));
  }

  const { mosaic, dx, dy } =
    processed.length > 0 ? await changeMosaic(run, processed) : { mosaic: null, dx: 0, dy: 0 };
  const joined = await joinAcrossSeams(
    patches,
    async (kind, bbox) => {
      if (!mosaic) throw new RangeError("no change rasters to read");
      const block = await readMosaicWindow(
        mosaic,
        { x0: bbox.x0 - dx, y0: bbox.y0 - dy, x1: bbox.x1 - dx, y1: bbox.y1 - dy },
        { bands: [kind === "change" ? 0 : kind === "mismatch" ? 2 : 4] },
      );
      return block.bands[0] as Uint8Array;
    },
    run.config.connectivity,
  );
  if (mosaic) await Promise.all(mosaic.parts.map((p) => p.raster.close()));

  const tileDates = new Map(
    run.manifest.tiles.map((t) => [t.id, { afterDate: t.after.date, beforeDate: t.before.date }]),
  );
  const runDate = run.manifest.runDate ?? new Date().toISOString().slice(0, 10);
  const issuePatches = joined.filter((p) => p.kind !== "unobserved");
  const built = buildIssues(issuePatches, {
    runId: run.manifest.runId,
    modelId: run.classifier.meta.modelId,
    runDate,
    crs: run.after.crs,
    affine: run.after.affine,
    config: run.config,
    baseline: run.baseline,
    counties: run.counties,
    exclusions: run.exclusions,
    tileAt: (x, y) => {
      const part = run.after.parts.find(
        (p) =>
          x >= p.offsetX &&
          x < p.offsetX + p.raster.width &&
          y >= p.offsetY &&
          y < p.offsetY + p.raster.height,
      );
      const tileId = (part && run.tileOfSource.get(part.raster.source)) ?? "";
      const d = tileDates.get(tileId) ?? { afterDate: "", beforeDate: "" };
      return { tileId, ...d };
    },
  });
  const firstTile = run.manifest.tiles[0];
  const coverageLayers = await writeCoverageLayers(
    run.outDir,
    run.counties.features
      .filter((f) => (coverage.get(f.index + 1)?.cropland ?? 0) > 0)
      .map((f) => f.properties),
    unobservedFeatures(joined, {
      runId: run.manifest.runId,
      crs: run.after.crs,
      affine: run.after.affine,
      counties: run.counties,
      beforeDate: firstTile?.before.date ?? "",
      afterDate: firstTile?.after.date ?? "",
    }),
  );
  const dropped: Record<DropReason, number> = {
    "below-min-area": 0,
    "suppressed-by-approval": 0,
    "outside-counties": 0,
  };
  built.dropped.forEach((d) => dropped[d.reason]++);
  const history = await runHistoryStage(run, built.issues, processed, runDate, ctx.logger);
  const withIssues = new Set(history.listed.map((i) => i.properties.county_adcode));

  const result: JoinedRun = {
    runId: run.manifest.runId,
    runDate,
    processed,
    failedWindows: failed,
    undetectable: [...undetectable].sort(),
    coverage: Object.fromEntries(coverage),
    coverageLayers,
    issues: history.listed,
    mismatchCount: built.mismatches.length,
    dropped,
    checksums: await runChecksums(run, tileChecksums),
    counties: run.counties.features.map((f) => f.properties.adcode).filter((a) => withIssues.has(a)),
    series: history.series,
    timings: { ...(ctx.timings ?? {}), joinMs: Date.now() - started },
  };
  // The mismatch layer is final here; written now, it stays out of the joined file that every
  // county stage reads (on the 3072² demo it was 4 MB of the file's 4.2).
  await writeMismatchLayer(run.outDir, built.mismatches);
  await writeFileAtomic(insideOutput(run.outDir, JOINED_FILE), JSON.stringify(result) + "\n");
  ctx.logger.info(
    { runId: result.runId, issues: result.issues.length, counties: result.counties.length },
    "run joined",
  );
  return result;
}

/** Chips drawn at once in a county stage. */
const CHIPS_IN_FLIGHT = 4;

/**
 * Stage 2, for one county: draws the chips of the county's issues and writes its issue list
 * (GeoJSON + CSV). Reads {@link JOINED_FILE} unless the join stage's result is passed in.
 */
export async function countyStage(
  run: RunInputs,
  adcode: string,
  ctx: StageContext & { joined?: JoinedRun },
): Promise<CountyResult> {
  const t0 = Date.now();
  const county = run.counties.features.find((f) => f.properties.adcode === adcode)?.properties;
  if (!county) throw new ConfigError(run.manifestFile, `county ${adcode} is not in the county layer`);
  const joined = ctx.joined ?? (await readJoinedRun(run));
  const mine = joined.issues
    .filter((f) => f.properties.county_adcode === adcode)
    .map((f) => ({ ...f, properties: { ...f.properties } }));
  // The overview image needs only the issues' geometry: drawn beside the chips, its tile reads
  // and PNG encoding (libuv's and sharp's threads) overlap the chips' JavaScript and vice versa.
  const overview =
    run.config.review.enabled && mine.length > 0 ? drawCountyOverview(run, mine, ctx.logger) : undefined;
  overview?.catch(() => undefined); // awaited (and its failure reported) by the page below
  if (run.config.chips.enabled) {
    // A few chips at a time: each read inflates its tiles on libuv's thread pool and each PNG is
    // encoded there too, so one chip's JavaScript overlaps another's decoding and encoding.
    await runLimited(
      mine.map((f) => async () => {
        const properties = f.properties;
        const base = `chips/${properties.prefecture_adcode}/${properties.county_adcode}/${properties.id}`;
        for (const [which, mosaicOf, profile] of [
          ["before", run.before, run.beforeProfile],
          ["after", run.after, run.afterProfile],
        ] as const) {
          const png = await renderChip(f, mosaicOf, profile, run.config.chips);
          await writeFileAtomic(insideOutput(run.outDir, `${base}-${which}.png`), png);
          if (which === "before") properties.before_chip = `${base}-before.png`;
          else properties.after_chip = `${base}-after.png`;
        }
      }),
      CHIPS_IN_FLIGHT,
    );
  }
  const t1 = Date.now();
  const written = await writeIssueLists(run.outDir, mine, [county], run.manifest.csvHeaders);
  const file = written.files[adcode] ?? null;
  // The county's review page (overview image and table) is drawn here, beside its chips, so that
  // counties draw theirs in parallel; the summary stage writes only the index.
  const review =
    run.config.review.enabled && file !== null && mine.length > 0
      ? await writeCountyReviewPage(run, run.manifest, county, file, ctx.logger, overview)
      : null;
  const result: CountyResult = {
    adcode,
    issues: mine.length,
    file,
    chipsMs: t1 - t0,
    writeMs: Date.now() - t1,
    ...(review ? { review } : {}),
  };
  ctx.logger.debug({ adcode, issues: result.issues }, "county assembled");
  return result;
}

/**
 * Stage 3: writes summary.json and the review index from {@link JOINED_FILE} (or the
 * join stage's result passed in). `counties` are the county stages' results, for the timings:
 * `chipsMs` and `writeMs` are summed over the county stages (`writeMs` plus this stage's writes).
 */
export async function summaryStage(
  run: RunInputs,
  counties: readonly CountyResult[],
  ctx: StageContext & { joined?: JoinedRun },
): Promise<RunSummary> {
  const t0 = Date.now();
  const joined = ctx.joined ?? (await readJoinedRun(run));

  const countySummaries: CountySummary[] = run.counties.features.map((f) => {
    const mine = joined.issues.filter((i) => i.properties.county_adcode === f.properties.adcode);
    const byType = emptyTotals();
    mine.forEach((i) => addIssue(byType, i));
    const cov = addCoverage(undefined, joined.coverage[String(f.index + 1)]);
    const layer = joined.coverageLayers[f.properties.adcode];
    return {
      adcode: f.properties.adcode,
      name: f.properties.name,
      prefectureAdcode: f.properties.prefectureAdcode,
      issues: mine.length,
      approved: mine.filter((i) => i.properties.status === "approved").length,
      areaM2: Number(mine.reduce((s, i) => s + i.properties.area_m2, 0).toFixed(2)),
      byType,
      croplandPixels: cov.cropland,
      observedCroplandPixels: cov.observed,
      observedShare: cov.cropland > 0 ? Number((cov.observed / cov.cropland).toFixed(4)) : null,
      croplandAreaM2: Number(cov.croplandM2.toFixed(2)),
      observedCroplandAreaM2: Number(cov.observedM2.toFixed(2)),
      observedAfterShare: cov.cropland > 0 ? Number((cov.observedAfter / cov.cropland).toFixed(4)) : null,
      unobservedAreaM2: layer?.unobservedM2 ?? 0,
      unobservedFile: layer?.file ?? null,
      file: mine.length > 0 ? `${countyListBase(f.properties)}.geojson` : null,
    };
  });
  const byType = emptyTotals();
  joined.issues.forEach((i) => addIssue(byType, i));
  const failed = joined.failedWindows;
  const sum = (k: "chipsMs" | "writeMs"): number => counties.reduce((s, c) => s + c[k], 0);

  const summary: RunSummary = {
    runId: run.manifest.runId,
    month: run.manifest.month,
    runDate: joined.runDate,
    status: failed.length === 0 && run.failedTiles.length === 0 ? "complete" : "partial",
    manifest: run.manifestFile,
    model: { id: run.classifier.meta.modelId },
    config: run.config,
    checksums: joined.checksums,
    windows: { total: run.windows.length, processed: joined.processed.length, failed: failed.length },
    failedTiles: run.failedTiles,
    failedWindows: failed,
    undetectableChangeTypes: joined.undetectable,
    totals: {
      issues: joined.issues.length,
      approved: joined.issues.filter((i) => i.properties.status === "approved").length,
      areaM2: Number(joined.issues.reduce((s, i) => s + i.properties.area_m2, 0).toFixed(2)),
      byType,
      mismatches: joined.mismatchCount,
      dropped: { ...joined.dropped },
    },
    counties: countySummaries.filter((c) => c.croplandPixels > 0 || c.issues > 0),
    series: joined.series,
    timings: {
      ...joined.timings,
      ...(ctx.timings ?? {}),
      chipsMs: sum("chipsMs"),
      writeMs: sum("writeMs") + (Date.now() - t0),
    },
  };
  await writeFileAtomic(insideOutput(run.outDir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  // The county stages wrote the county pages (review/<prefecture>/<county>.html); the index links them.
  if (run.config.review.enabled) {
    const outcomes = new Map(counties.flatMap((c) => (c.review ? [[c.adcode, c.review] as const] : [])));
    const review = await writeReviewIndex(run, summary, outcomes);
    ctx.logger.info(
      { runId: summary.runId, pages: review.pages.length, failed: review.failed.length },
      "review pages written",
    );
  }
  ctx.logger.info(
    { runId: summary.runId, issues: summary.totals.issues, status: summary.status },
    "run assembled",
  );
  return summary;
}

/** Runs the three assembly stages in order in this process; returns the summary (also in summary.json). */
export async function assembleRun(
  run: RunInputs,
  failedWindows: readonly FailedWindow[],
  ctx: StageContext,
): Promise<RunSummary> {
  const joined = await joinStage(run, failedWindows, ctx);
  const counties: CountyResult[] = [];
  for (const adcode of joined.counties)
    counties.push(await countyStage(run, adcode, { logger: ctx.logger, joined }));
  return summaryStage(run, counties, { logger: ctx.logger, joined });
}
