/** The review pages: one static HTML page per county of a run, and an index. */
export {
  writeReviewPages,
  writeCountyReviewPage,
  drawCountyOverview,
  writeReviewIndex,
  countyPageFile,
  REVIEW_DIR,
  type CountyPageOutcome,
  type ReviewConfig,
  type ReviewCounty,
  type ReviewPage,
  type ReviewResult,
  type ReviewRun,
  type ReviewSummary,
} from "./write-review-pages.js";
export { openReviewRun, type OpenedReviewRun, type OpenReviewOptions } from "./open-review-run.js";
export { readCountyIssues, type ReviewIssue } from "./review-issues.js";
export { escapeHtml } from "./html-escape.js";
