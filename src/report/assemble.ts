/**
 * The assembly stage of a run: read every window's patch list, join patches across seams, build
 * the issues, draw the chips, and write the per-county issue lists, the baseline-mismatch layer
 * and the run summary.
 */
import type { Logger } from "../core/logger.js";
import { CHANGE_TYPE_IDS } from "../core/change-types.js";
import { writeFileAtomic } from "../core/atomic-write.js";
import { insideOutput } from "../config/manifest.js";
import type { DetectionConfig } from "../config/detection-config.js";
import type { FailedTile, RunInputs } from "../detect/run-inputs.js";
import { windowDir } from "../detect/window-stage.js";
import { buildMosaic, readMosaicWindow, type Mosaic } from "../ingest/mosaic.js";
import { openRaster } from "../ingest/raster-source.js";
import { joinAcrossSeams } from "../vector/merge-seams.js";
import type { WindowPatch } from "../vector/window-patches.js";
import { renderChip } from "./chips.js";
import { buildIssues, type DropReason, type IssueFeature } from "./issues.js";
import { writeIssueLists, writeMismatchLayer } from "./issue-lists.js";
import { readWindowPatches } from "./window-job.js";

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

/** Runs the assembly stage and writes all run outputs; returns the summary (also in summary.json). */
export async function assembleRun(
  run: RunInputs,
  failedWindows: readonly FailedWindow[],
  ctx: { logger: Logger; timings?: Record<string, number> },
): Promise<RunSummary> {
  const started = Date.now();
  const failed = [...failedWindows];
  const patches: WindowPatch[] = [];
  const processed: string[] = [];
  const coverage = new Map<number, { cropland: number; observed: number }>();
  const undetectable = new Set<string>();
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
    wp.undetectable.forEach((u) => undetectable.add(u));
    for (const [k, v] of Object.entries(wp.coverage)) {
      const e = coverage.get(Number(k)) ?? { cropland: 0, observed: 0 };
      e.cropland += v.cropland;
      e.observed += v.observed;
      coverage.set(Number(k), e);
    }
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
        { bands: [kind === "change" ? 0 : 2] },
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
  const built = buildIssues(joined, {
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
  const joinedAt = Date.now();

  if (run.config.chips.enabled) {
    for (const f of built.issues) {
      const p = f.properties;
      const base = `chips/${p.prefecture_adcode}/${p.county_adcode}/${p.id}`;
      for (const [which, mosaicOf, profile] of [
        ["before", run.before, run.beforeProfile],
        ["after", run.after, run.afterProfile],
      ] as const) {
        const png = await renderChip(f, mosaicOf, profile, run.config.chips);
        await writeFileAtomic(insideOutput(run.outDir, `${base}-${which}.png`), png);
        if (which === "before") p.before_chip = `${base}-before.png`;
        else p.after_chip = `${base}-after.png`;
      }
    }
  }
  const chipsAt = Date.now();

  const counties = run.counties.features.map((f) => f.properties);
  const written = await writeIssueLists(run.outDir, built.issues, counties, run.manifest.csvHeaders);
  await writeMismatchLayer(run.outDir, built.mismatches);

  const countySummaries: CountySummary[] = run.counties.features.map((f) => {
    const mine = built.issues.filter((i) => i.properties.county_adcode === f.properties.adcode);
    const byType = emptyTotals();
    mine.forEach((i) => addIssue(byType, i));
    const cov = coverage.get(f.index + 1) ?? { cropland: 0, observed: 0 };
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
      file: written.files[f.properties.adcode] ?? null,
    };
  });
  const byType = emptyTotals();
  built.issues.forEach((i) => addIssue(byType, i));
  const dropped: Record<DropReason, number> = {
    "below-min-area": 0,
    "suppressed-by-approval": 0,
    "outside-counties": 0,
  };
  built.dropped.forEach((d) => dropped[d.reason]++);

  const summary: RunSummary = {
    runId: run.manifest.runId,
    month: run.manifest.month,
    runDate,
    status: failed.length === 0 && run.failedTiles.length === 0 ? "complete" : "partial",
    manifest: run.manifestFile,
    model: { id: run.classifier.meta.modelId },
    config: run.config,
    checksums: run.checksums,
    windows: { total: run.windows.length, processed: processed.length, failed: failed.length },
    failedTiles: run.failedTiles,
    failedWindows: failed,
    undetectableChangeTypes: [...undetectable].sort(),
    totals: {
      issues: built.issues.length,
      approved: built.issues.filter((i) => i.properties.status === "approved").length,
      areaM2: Number(built.issues.reduce((s, i) => s + i.properties.area_m2, 0).toFixed(2)),
      byType,
      mismatches: built.mismatches.length,
      dropped,
    },
    counties: countySummaries.filter((c) => c.croplandPixels > 0 || c.issues > 0),
    timings: {
      ...(ctx.timings ?? {}),
      joinMs: joinedAt - started,
      chipsMs: chipsAt - joinedAt,
      writeMs: Date.now() - chipsAt,
    },
  };
  await writeFileAtomic(insideOutput(run.outDir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  ctx.logger.info(
    { runId: summary.runId, issues: summary.totals.issues, status: summary.status },
    "run assembled",
  );
  return summary;
}
