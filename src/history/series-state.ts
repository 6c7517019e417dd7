/**
 * The run history's state: what a run hands to the next month, at `state/issues.json` in the run's
 * output folder (field results imported later sit beside it in `state/feedback.json`). Written
 * atomically; the same inputs give the same bytes (no timestamps, issues sorted by id).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Feature, MultiPolygon, Polygon } from "geojson";
import { writeFileAtomic } from "../core/atomic-write.js";
import { SeriesStateError } from "./errors.js";
import type { IssueStatus } from "./statuses.js";
import type { Tier } from "./tiers.js";

/** Output-relative path of the patch-level state. */
export const STATE_FILE = "state/issues.json";
/** Output-relative path of the imported field results of a run's issues. */
export const FEEDBACK_FILE = "state/feedback.json";
export const STATE_VERSION = 1;

/** The issue properties the history reads and sets (a subset of the issue-list contract). */
export interface SeriesFeatureProperties {
  id: string;
  county_adcode: string;
  county_name: string;
  change_type: string;
  area_m2: number;
  after_date: string;
  first_seen: string;
  status: IssueStatus;
  tier: Tier;
  due_prefecture: string;
  due_county: string;
  run_id: string;
}

export type SeriesFeature = Feature<Polygon | MultiPolygon, SeriesFeatureProperties>;

/** A county's field-verification result for one issue. */
export type FeedbackResult = "illegal" | "legal" | "false-positive";

export interface FeedbackEntry {
  id: string;
  result: FeedbackResult;
  notes: string;
  /** Date of the field check, yyyy-mm-dd. */
  date: string;
  /** File it was imported from (base name) and its 1-based data row. */
  source: string;
  row: number;
}

/** `state/feedback.json`. */
export interface FeedbackFile {
  version: number;
  runId: string;
  entries: FeedbackEntry[];
}

/** What this run saw of a tracked patch. */
export type Sighting = "detected" | "still-altered" | "unchanged" | "unobserved" | "not-assessed";

/** One tracked patch. `feature` is its last issue-list feature (chips not included). */
export interface TrackedIssue<F extends SeriesFeature = SeriesFeature> {
  id: string;
  status: IssueStatus;
  tier: Tier;
  first_seen: string;
  /** Acquisition dates on which it was seen as changed, ascending. */
  detections: string[];
  sighting: Sighting;
  /** Run id and run date of the run that resolved it, else null. */
  resolved_run: string | null;
  resolved_on: string | null;
  merged_into: string | null;
  /** Latest field result, with the area and change type the county saw. */
  feedback: FeedbackEntry | null;
  feedback_area_m2: number | null;
  feedback_change_type: string | null;
  /** Earlier results, superseded when the patch changed further and was reopened. */
  past_feedback: FeedbackEntry[];
  feature: F;
}

/** `state/issues.json`. */
export interface SeriesState<F extends SeriesFeature = SeriesFeature> {
  version: number;
  runId: string;
  month: string;
  runDate: string;
  previousRunId: string | null;
  issues: TrackedIssue<F>[];
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new SeriesStateError(
      file,
      `cannot read ${what} (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`,
      { cause },
    );
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new SeriesStateError(file, `${what} is not valid JSON`, { cause });
  }
}

/** Reads a run's `state/issues.json` (`outDir` is the run's output folder). */
export async function readSeriesState<F extends SeriesFeature = SeriesFeature>(
  outDir: string,
): Promise<SeriesState<F>> {
  const file = path.join(outDir, STATE_FILE);
  const data = (await readJson(file, "the run's state")) as Partial<SeriesState<F>>;
  if (data.version !== STATE_VERSION || !Array.isArray(data.issues) || typeof data.runId !== "string")
    throw new SeriesStateError(file, `not a version-${STATE_VERSION} series state`);
  return data as SeriesState<F>;
}

/** Reads a run's `state/feedback.json`; an empty list when none was imported. */
export async function readFeedbackFile(outDir: string, runId: string): Promise<FeedbackFile> {
  const file = path.join(outDir, FEEDBACK_FILE);
  try {
    await readFile(file);
  } catch {
    return { version: STATE_VERSION, runId, entries: [] };
  }
  const data = (await readJson(file, "the run's feedback")) as Partial<FeedbackFile>;
  if (data.version !== STATE_VERSION || !Array.isArray(data.entries))
    throw new SeriesStateError(file, `not a version-${STATE_VERSION} feedback file`);
  return data as FeedbackFile;
}

/** Deterministic JSON of a state or feedback file. */
export function stateJson(value: SeriesState<SeriesFeature> | FeedbackFile): string {
  return JSON.stringify(value, null, 1) + "\n";
}

/** Writes a state atomically to `outDir/state/issues.json`. */
export async function writeSeriesState(outDir: string, state: SeriesState<SeriesFeature>): Promise<void> {
  await writeFileAtomic(path.join(outDir, STATE_FILE), stateJson(state));
}

/** Writes a feedback file atomically to `outDir/state/feedback.json`. */
export async function writeFeedbackFile(outDir: string, fb: FeedbackFile): Promise<void> {
  await writeFileAtomic(path.join(outDir, FEEDBACK_FILE), stateJson(fb));
}
