/**
 * The review stage: for each county of a run with issues, `review/<prefecture>/<county>.html` and
 * its overview image `review/<prefecture>/<county>-overview.png`, plus `review/index.html`. Reads
 * the county issue lists the county stage wrote (so the page shows exactly the published list) and
 * the after mosaic; writes atomically. Runs at the end of every run (unless `review.enabled` is
 * false) and alone as `patrol review`.
 *
 * Images are linked by relative path, not embedded: chips already sit in `chips/`, a county may
 * have hundreds of them, and data: URIs would make one page tens of MB (base64 adds a third);
 * linked, a page is a few hundred bytes per issue and opens at once. The price is that the pages
 * must stay inside the output folder (move or zip the folder as a whole).
 */
import path from "node:path";
import type { DetectionConfig } from "../config/detection-config.js";
import { insideOutput } from "../config/manifest.js";
import { writeFileAtomic } from "../core/atomic-write.js";
import { PatrolError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Mosaic } from "../ingest/mosaic.js";
import type { SensorProfile } from "../ingest/sensor-profile.js";
import { countyPageHtml } from "./county-page.js";
import { indexPageHtml, type IndexCounty } from "./index-page.js";
import { overlayPath } from "./overlay-paths.js";
import { overviewGrid, pixelSizeM, type OverviewGrid } from "./overview-grid.js";
import { renderOverview } from "./overview-image.js";
import { readCountyIssues, type ReviewIssue } from "./review-issues.js";

export type ReviewConfig = DetectionConfig["review"];

/** What the review stage reads of an opened run (a run's RunInputs has all of it). */
export interface ReviewRun {
  /** Absolute output folder of the run. */
  readonly outDir: string;
  readonly after: Mosaic;
  readonly afterProfile: SensorProfile;
  readonly config: { readonly review: ReviewConfig };
}

/** What the review stage reads of the run's summary (summary.json / RunSummary has all of it). */
export interface ReviewSummary {
  readonly runId: string;
  readonly month: string;
  readonly status?: string;
  /** Each county with its issue list's output-relative path (null when it has no issues). */
  readonly counties: ReadonlyArray<IndexCounty & { readonly file: string | null }>;
}

export interface ReviewPage {
  readonly adcode: string;
  /** Output-relative path of the page. */
  readonly file: string;
  readonly issues: number;
  /** Overview image size, pixels, and mosaic pixels per overview pixel. */
  readonly overview: { readonly width: number; readonly height: number; readonly factor: number };
}

export interface ReviewResult {
  /** Output-relative path of the index page. */
  readonly index: string;
  readonly pages: readonly ReviewPage[];
  /** Counties whose page could not be written (bad input), with the reason; listed unlinked. */
  readonly failed: ReadonlyArray<{ readonly adcode: string; readonly reason: string }>;
  readonly ms: number;
}

/** Output-relative folder of the review pages. */
export const REVIEW_DIR = "review";

/** Output-relative path of a county's review page. */
export function countyPageFile(c: { adcode: string; prefectureAdcode: string }): string {
  return `${REVIEW_DIR}/${c.prefectureAdcode}/${c.adcode}.html`;
}

/** The county of a page: who it is. */
export type ReviewCounty = Pick<IndexCounty, "adcode" | "name" | "prefectureAdcode">;

/** What became of one county's page: written, or not written for a reason (bad input). */
export type CountyPageOutcome =
  | { readonly page: ReviewPage; readonly failed?: undefined }
  | { readonly page?: undefined; readonly failed: string };

/**
 * Writes one county's overview image and page from its issue list (`listFile`, output-relative).
 * Null when the list turns out empty; a county's bad input (an unreadable issue list, say) is
 * returned as `failed` — it costs that county's page, not the run. `drawn` is the overview when
 * the caller has started drawing it ({@link drawCountyOverview}); otherwise it is drawn here.
 */
export async function writeCountyReviewPage(
  run: ReviewRun,
  runInfo: { readonly runId: string; readonly month: string },
  county: ReviewCounty,
  listFile: string,
  logger: Logger,
  drawn?: Promise<CountyOverview>,
): Promise<CountyPageOutcome | null> {
  try {
    const issues = await readCountyIssues(insideOutput(run.outDir, listFile));
    if (issues.length === 0) return null;
    const file = countyPageFile(county);
    const { grid, ...overview } = await (drawn ?? drawCountyOverview(run, issues, logger));
    const overviewFile = `${REVIEW_DIR}/${county.prefectureAdcode}/${county.adcode}-overview.png`;
    await writeFileAtomic(insideOutput(run.outDir, overviewFile), overview.png);
    const html = countyPageHtml({
      run: runInfo,
      county,
      issues,
      paths: issues.map((i) => overlayPath(i, run.after, grid)),
      overview: {
        href: encodeURIComponent(path.posix.basename(overviewFile)),
        width: grid.width,
        height: grid.height,
        pixelSizeM: pixelSizeM(run.after) * grid.factor,
        unreadRows: overview.unreadRows,
      },
      listFile,
    });
    await writeFileAtomic(insideOutput(run.outDir, file), html);
    return {
      page: {
        adcode: county.adcode,
        file,
        issues: issues.length,
        overview: { width: grid.width, height: grid.height, factor: grid.factor },
      },
    };
  } catch (e) {
    if (!(e instanceof PatrolError)) throw e;
    logger.warn({ adcode: county.adcode, err: e.message }, "review page not written");
    return { failed: e.message };
  }
}

/** A county's overview image and the grid it is drawn on. */
export interface CountyOverview {
  readonly grid: OverviewGrid;
  readonly png: Buffer;
  readonly unreadRows: number;
}

/**
 * Draws a county's overview image around its issues (their geometry is all it needs, so the
 * county stage starts it beside the chips, before the list is written, and passes the promise to
 * {@link writeCountyReviewPage}).
 */
export async function drawCountyOverview(
  run: ReviewRun,
  issues: readonly Pick<ReviewIssue, "geometry">[],
  logger: Logger,
): Promise<CountyOverview> {
  const options = { contextM: run.config.review.overviewContextM, maxPx: run.config.review.overviewMaxPx };
  const grid = overviewGrid(issues, run.after, options);
  return { grid, ...(await renderOverview(run.after, run.afterProfile, grid, logger)) };
}

/**
 * Writes `review/index.html` of a run whose county pages are written: `outcomes` by adcode (a
 * county without an entry has no page and is listed unlinked).
 */
export async function writeReviewIndex(
  run: Pick<ReviewRun, "outDir">,
  summary: ReviewSummary,
  outcomes: ReadonlyMap<string, CountyPageOutcome>,
): Promise<Pick<ReviewResult, "index" | "pages" | "failed">> {
  const pages: ReviewPage[] = [];
  const links = new Map<string, string>();
  const failed: Array<{ adcode: string; reason: string }> = [];
  for (const county of summary.counties) {
    const outcome = outcomes.get(county.adcode);
    if (outcome?.page) {
      pages.push(outcome.page);
      links.set(
        county.adcode,
        `${encodeURIComponent(county.prefectureAdcode)}/${encodeURIComponent(county.adcode)}.html`,
      );
    } else if (outcome?.failed !== undefined) failed.push({ adcode: county.adcode, reason: outcome.failed });
  }
  const index = `${REVIEW_DIR}/index.html`;
  await writeFileAtomic(
    insideOutput(run.outDir, index),
    indexPageHtml({
      run: summary,
      counties: summary.counties,
      pages: links,
      failed: new Map(failed.map((f) => [f.adcode, f.reason])),
    }),
  );
  return { index, pages, failed };
}

/**
 * Writes the review pages of a run whose county issue lists and summary are written (`patrol
 * review`; a run writes each county's page in its county stage and the index at the end).
 * Returns the pages written (counties without issues get none; the index lists them).
 */
export async function writeReviewPages(
  run: ReviewRun,
  summary: ReviewSummary,
  ctx: { readonly logger: Logger },
): Promise<ReviewResult> {
  const t0 = Date.now();
  const outcomes = new Map<string, CountyPageOutcome>();
  for (const county of summary.counties) {
    if (county.file === null || county.issues === 0) continue;
    const outcome = await writeCountyReviewPage(run, summary, county, county.file, ctx.logger);
    if (outcome) outcomes.set(county.adcode, outcome);
  }
  const result: ReviewResult = { ...(await writeReviewIndex(run, summary, outcomes)), ms: Date.now() - t0 };
  ctx.logger.info(
    { runId: summary.runId, pages: result.pages.length, ms: result.ms },
    "review pages written",
  );
  return result;
}
