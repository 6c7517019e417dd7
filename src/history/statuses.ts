/**
 * Statuses of a tracked patch. On the county's issue list: `new` (first listed this month),
 * `persisting` (listed before, still there or not seen this month), `reopened` (resolved, or
 * closed by a legal / false-positive field result, and seen again changed further), `approved`
 * (an approval layer covers it). Kept only in the state: `resolved` (observed this month and no
 * longer changed), `merged` (its area now belongs to another tracked patch), `verified-legal` and
 * `dismissed` (the county reported it legal / a false positive, and it has not changed further).
 */
export const ISSUE_STATUSES = [
  "new",
  "persisting",
  "reopened",
  "approved",
  "resolved",
  "merged",
  "verified-legal",
  "dismissed",
] as const;
export type IssueStatus = (typeof ISSUE_STATUSES)[number];

/** Statuses of patches that appear on the county's list of open issues. */
export const OPEN_STATUSES: ReadonlySet<IssueStatus> = new Set(["new", "persisting", "reopened", "approved"]);
