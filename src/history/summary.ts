/**
 * The series part of a run's summary: how tracked patches moved this month, tiers of the listed
 * issues, per-type precision of the county field results known so far, and the listed issues
 * past their county deadline without a result (overdue).
 */
import type { SeriesFeature, SeriesState, Sighting } from "./series-state.js";
import { ISSUE_STATUSES, type IssueStatus } from "./statuses.js";
import { TIERS, tierRank, type Tier } from "./tiers.js";

export interface FeedbackPrecision {
  illegal: number;
  legal: number;
  falsePositive: number;
  total: number;
  /** Share of verified patches that were real changes (illegal or legal); null without results. */
  precision: number | null;
  /** Share of verified patches that were violations; null without results. */
  illegalShare: number | null;
}

export interface OverdueIssue {
  id: string;
  county_adcode: string;
  county_name: string;
  change_type: string;
  status: IssueStatus;
  due_county: string;
  days_overdue: number;
}

export interface SeriesSummary {
  previousRunId: string | null;
  /** Tracked patches by status after this run. */
  byStatus: Record<IssueStatus, number>;
  /** Tracked patches by what this run saw of them. */
  bySighting: Record<Sighting, number>;
  /** Listed issues by tier. */
  listedByTier: Record<Tier, number>;
  /** Open patches held off the lists because their tier is below `publishMinTier`. */
  heldBelowTier: number;
  /** Ids resolved by this run. */
  resolved: string[];
  /** Field results known to this run, by change type (at the time of the result). */
  feedback: Record<string, FeedbackPrecision>;
  overdue: OverdueIssue[];
}

const ratio = (a: number, b: number): number | null => (b > 0 ? Number((a / b).toFixed(4)) : null);

/** Builds the series summary of a state; `listed` are the issues on the county lists. */
export function summariseSeries<F extends SeriesFeature>(
  state: SeriesState<F>,
  listed: readonly F[],
  config: { readonly tiers: { readonly publishMinTier: Tier } },
): SeriesSummary {
  const byStatus = Object.fromEntries(ISSUE_STATUSES.map((s) => [s, 0])) as Record<IssueStatus, number>;
  const bySighting: Record<Sighting, number> = {
    detected: 0,
    "still-altered": 0,
    unchanged: 0,
    unobserved: 0,
    "not-assessed": 0,
  };
  const listedByTier = Object.fromEntries(TIERS.map((t) => [t, 0])) as Record<Tier, number>;
  const feedback: Record<string, FeedbackPrecision> = {};
  const listedIds = new Set(listed.map((f) => f.properties.id));
  let held = 0;
  const overdue: OverdueIssue[] = [];
  const minRank = tierRank(config.tiers.publishMinTier);
  for (const t of state.issues) {
    byStatus[t.status]++;
    bySighting[t.sighting]++;
    const isOpen = ["new", "persisting", "reopened", "approved"].includes(t.status);
    if (isOpen && tierRank(t.tier) < minRank) held++;
    if (listedIds.has(t.id)) {
      listedByTier[t.tier]++;
      const due = t.feature.properties.due_county;
      if (t.feedback === null && due < state.runDate) {
        overdue.push({
          id: t.id,
          county_adcode: t.feature.properties.county_adcode,
          county_name: t.feature.properties.county_name,
          change_type: t.feature.properties.change_type,
          status: t.status,
          due_county: due,
          days_overdue: Math.round(
            (Date.parse(`${state.runDate}T00:00:00Z`) - Date.parse(`${due}T00:00:00Z`)) / 86_400_000,
          ),
        });
      }
    }
    const results = [
      ...t.past_feedback.map((fb) => [fb, t.feature.properties.change_type] as const),
      ...(t.feedback
        ? [[t.feedback, t.feedback_change_type ?? t.feature.properties.change_type] as const]
        : []),
    ];
    for (const [fb, type] of results) {
      const p = (feedback[type] ??= {
        illegal: 0,
        legal: 0,
        falsePositive: 0,
        total: 0,
        precision: null,
        illegalShare: null,
      });
      if (fb.result === "illegal") p.illegal++;
      else if (fb.result === "legal") p.legal++;
      else p.falsePositive++;
      p.total++;
    }
  }
  for (const p of Object.values(feedback)) {
    p.precision = ratio(p.illegal + p.legal, p.total);
    p.illegalShare = ratio(p.illegal, p.total);
  }
  overdue.sort((a, b) =>
    a.due_county < b.due_county ? -1 : a.due_county > b.due_county ? 1 : a.id < b.id ? -1 : 1,
  );
  const sortedFeedback = Object.fromEntries(Object.entries(feedback).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    previousRunId: state.previousRunId,
    byStatus,
    bySighting,
    listedByTier,
    heldBelowTier: held,
    resolved: state.issues
      .filter((t) => t.status === "resolved" && t.resolved_run === state.runId)
      .map((t) => t.id),
    feedback: sortedFeedback,
    overdue,
  };
}
