/**
 * One month of the run history, as a pure function: this month's patches and the previous run's
 * state (with the field results imported into it) in, the next state, the issues to list and the
 * patches resolved this month out.
 *
 * - A patch matching a tracked one ({@link matchPatches}) keeps its `id`, `first_seen` and county
 *   deadlines (counted from when it was first listed); its detections grow and its tier may climb.
 *   Status: `persisting`, or `approved` when an approval layer covers it; `reopened` when it had
 *   been resolved, or closed by a legal / false-positive result and has changed further (area
 *   grown by more than `reissueAreaGrowth`, or another change type); a closed patch that has not
 *   changed further stays closed and off the list.
 * - A patch matching nothing is `new` (or `approved`), at tier `first`.
 * - A tracked open patch matching nothing is judged on this month's pixels under it: observed on
 *   less than `minObservedShare` of its area → carried over unchanged (status `persisting`), never
 *   resolved; observed and still not cropland on at least `stillAlteredShare` of the observed part
 *   (changed, or not cropland on either date) → `persisting`; otherwise `resolved`.
 * - Resolved and merged patches stay in the state for `keepResolvedDays` so a patch that comes back
 *   gets its old id (`reopened`).
 */
import { matchPatches } from "./match.js";
import type { FeedbackEntry, SeriesFeature, SeriesState, Sighting, TrackedIssue } from "./series-state.js";
import { STATE_VERSION } from "./series-state.js";
import { OPEN_STATUSES, type IssueStatus } from "./statuses.js";
import { summariseSeries, type SeriesSummary } from "./summary.js";
import { tierOf, tierRank, type Tier, type TierRules } from "./tiers.js";

/** The history sections of the detection config. */
export interface HistoryConfig {
  readonly history: {
    readonly matchMinOverlap: number;
    readonly minObservedShare: number;
    readonly cloudBufferPx: number;
    readonly stillAlteredShare: number;
    readonly keepResolvedDays: number;
  };
  readonly tiers: TierRules & { readonly publishMinTier: Tier };
  readonly feedback: { readonly reissueAreaGrowth: number };
}

/** This month's pixels under a tracked patch (on this run's grid). */
export interface Observation {
  /** Share of the patch's pixels observed on both dates, 0..1. */
  readonly observedShare: number;
  /** Share of the observed pixels that are changed or not cropland on either date, 0..1. */
  readonly alteredShare: number;
}

export interface AdvanceInput<F extends SeriesFeature> {
  readonly runId: string;
  readonly month: string;
  /** yyyy-mm-dd; overdue deadlines and resolution dates are counted against it. */
  readonly runDate: string;
  /** This month's issues (status `new` or `approved`), as built from the patches. */
  readonly current: readonly F[];
  /** The previous run's state, or null for the first month of a series. */
  readonly previous: SeriesState<F> | null;
  /** Field results imported into the previous run. */
  readonly feedback: readonly FeedbackEntry[];
  /** Observations of the previous state's patches, by id (missing: not observed). */
  readonly observations: ReadonlyMap<string, Observation>;
  readonly config: HistoryConfig;
}

export interface AdvanceResult<F extends SeriesFeature> {
  readonly state: SeriesState<F>;
  /** Issues for the county lists (open statuses, tier at least `publishMinTier`), sorted by id. */
  readonly listed: F[];
  /** Patches resolved by this run, sorted by id. */
  readonly resolved: F[];
  readonly summary: SeriesSummary;
}

function daysBetween(a: string, b: string): number {
  return (Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000;
}

function withProps<F extends SeriesFeature>(f: F, props: Partial<SeriesFeature["properties"]>): F {
  return { ...f, properties: { ...f.properties, ...props } };
}

/** Applies imported field results to the previous state's patches (latest date wins). */
function applyFeedback<F extends SeriesFeature>(
  tracked: TrackedIssue<F>,
  entry: FeedbackEntry | undefined,
): TrackedIssue<F> {
  if (!entry) return tracked;
  const status: IssueStatus =
    entry.result === "legal"
      ? "verified-legal"
      : entry.result === "false-positive"
        ? "dismissed"
        : tracked.status;
  return {
    ...tracked,
    status,
    feedback: entry,
    feedback_area_m2: tracked.feature.properties.area_m2,
    feedback_change_type: tracked.feature.properties.change_type,
  };
}

/** Advances the series by one month. */
export function advanceSeries<F extends SeriesFeature>(input: AdvanceInput<F>): AdvanceResult<F> {
  const { config, runId, runDate } = input;
  if (input.previous && input.previous.month >= input.month)
    throw new RangeError(`previous run is of month ${input.previous.month}, not before ${input.month}`);
  const byId = new Map(input.feedback.map((e) => [e.id, e]));
  const previous = (input.previous?.issues ?? [])
    .filter(
      (t) =>
        !(
          (t.status === "resolved" || t.status === "merged") &&
          t.resolved_on !== null &&
          daysBetween(t.resolved_on, runDate) > config.history.keepResolvedDays
        ),
    )
    .map((t) => applyFeedback(t, byId.get(t.id)));
  const current = [...input.current].sort((a, b) => (a.properties.id < b.properties.id ? -1 : 1));
  const { matches, mergedInto } = matchPatches(
    current,
    previous.map((t) => t.feature),
    previous.map((t) => t.id),
    config.history.matchMinOverlap,
  );
  const matchOf = new Map(matches.map((m) => [m.current, m.tracked]));
  const next: TrackedIssue<F>[] = [];
  const finalIdOfCurrent = new Map<number, string>();
  const takenIds = new Set(previous.map((t) => t.id));
  const resolvedNow: F[] = [];

  current.forEach((c, i) => {
    const date = c.properties.after_date;
    const j = matchOf.get(i);
    if (j === undefined) {
      let id = c.properties.id;
      for (let k = 2; takenIds.has(id); k++) id = `${c.properties.id}-${k}`;
      takenIds.add(id);
      finalIdOfCurrent.set(i, id);
      const detections = [date];
      const tier = tierOf(detections, config.tiers);
      next.push({
        id,
        status: c.properties.status,
        tier,
        first_seen: c.properties.first_seen,
        detections,
        sighting: "detected",
        resolved_run: null,
        resolved_on: null,
        merged_into: null,
        feedback: null,
        feedback_area_m2: null,
        feedback_change_type: null,
        past_feedback: [],
        feature: withProps(c, { id, tier }),
      });
      return;
    }
    const p = previous[j]!;
    finalIdOfCurrent.set(i, p.id);
    const detections = [...new Set([...p.detections, date])].sort();
    const tier = tierOf(detections, config.tiers, p.tier);
    const closed = p.status === "verified-legal" || p.status === "dismissed";
    const changedFurther =
      closed &&
      (c.properties.area_m2 > (p.feedback_area_m2 ?? 0) * (1 + config.feedback.reissueAreaGrowth) ||
        c.properties.change_type !== p.feedback_change_type);
    let status: IssueStatus;
    let due = {
      due_prefecture: p.feature.properties.due_prefecture,
      due_county: p.feature.properties.due_county,
    };
    let feedback = p.feedback;
    let pastFeedback = p.past_feedback;
    let feedbackArea = p.feedback_area_m2;
    let feedbackType = p.feedback_change_type;
    if (closed && !changedFurther) status = p.status;
    else if (closed || p.status === "resolved" || p.status === "merged") {
      status = "reopened";
      due = { due_prefecture: c.properties.due_prefecture, due_county: c.properties.due_county };
      if (feedback) pastFeedback = [...pastFeedback, feedback];
      feedback = null;
      feedbackArea = null;
      feedbackType = null;
    } else status = c.properties.status === "approved" ? "approved" : "persisting";
    next.push({
      id: p.id,
      status,
      tier,
      first_seen: p.first_seen,
      detections,
      sighting: "detected",
      resolved_run: null,
      resolved_on: null,
      merged_into: null,
      feedback,
      feedback_area_m2: feedbackArea,
      feedback_change_type: feedbackType,
      past_feedback: pastFeedback,
      feature: withProps(c, { id: p.id, first_seen: p.first_seen, status, tier, ...due }),
    });
  });

  previous.forEach((p, j) => {
    if (matches.some((m) => m.tracked === j)) return;
    const into = mergedInto.get(j);
    if (into !== undefined && OPEN_STATUSES.has(p.status)) {
      next.push({
        ...p,
        status: "merged",
        sighting: "detected",
        merged_into: finalIdOfCurrent.get(into) ?? null,
        resolved_run: runId,
        resolved_on: runDate,
        feature: withProps(p.feature, { status: "merged", run_id: runId }),
      });
      return;
    }
    if (!OPEN_STATUSES.has(p.status)) {
      next.push({ ...p, sighting: "not-assessed" });
      return;
    }
    const obs = input.observations.get(p.id) ?? { observedShare: 0, alteredShare: 0 };
    let sighting: Sighting;
    let status: IssueStatus;
    if (obs.observedShare < config.history.minObservedShare) {
      sighting = "unobserved";
      status = p.status === "approved" ? "approved" : "persisting";
    } else if (obs.alteredShare >= config.history.stillAlteredShare) {
      sighting = "still-altered";
      status = p.status === "approved" ? "approved" : "persisting";
    } else {
      sighting = "unchanged";
      status = "resolved";
    }
    const feature = withProps(p.feature, { status, run_id: runId });
    next.push({
      ...p,
      status,
      sighting,
      ...(status === "resolved" ? { resolved_run: runId, resolved_on: runDate } : {}),
      feature,
    });
    if (status === "resolved") resolvedNow.push(feature);
  });

  next.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const minRank = tierRank(config.tiers.publishMinTier);
  const listed = next
    .filter((t) => OPEN_STATUSES.has(t.status) && tierRank(t.tier) >= minRank)
    .map((t) => t.feature);
  const state: SeriesState<F> = {
    version: STATE_VERSION,
    runId,
    month: input.month,
    runDate,
    previousRunId: input.previous?.runId ?? null,
    issues: next,
  };
  resolvedNow.sort((a, b) => (a.properties.id < b.properties.id ? -1 : 1));
  return { state, listed, resolved: resolvedNow, summary: summariseSeries(state, listed, config) };
}
