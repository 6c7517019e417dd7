/**
 * Confirmation tiers, after OPERA DIST-ALERT's first / provisional / confirmed (GFW's integrated
 * alerts say nominal / high / highest): a patch starts at `first` and climbs as later months see
 * it again. A tier never falls while the patch is tracked.
 */
export const TIERS = ["first", "provisional", "confirmed"] as const;
export type Tier = (typeof TIERS)[number];

/** 0 for `first`, 1 for `provisional`, 2 for `confirmed`. */
export function tierRank(t: Tier): number {
  return TIERS.indexOf(t);
}

export interface TierRules {
  /** Days back from the latest detection within which detections count. */
  readonly windowDays: number;
  /** Detections (distinct after dates) within the window for `provisional`. */
  readonly provisionalDetections: number;
  /** Detections within the window for `confirmed`. */
  readonly confirmedDetections: number;
}

function days(isoDate: string): number {
  return Date.parse(`${isoDate}T00:00:00Z`) / 86_400_000;
}

/**
 * The tier earned by a patch's detections (distinct acquisition dates, yyyy-mm-dd, on which it
 * was seen as changed): how many fall within `windowDays` before the latest one; never below
 * `previous`.
 */
export function tierOf(detections: readonly string[], rules: TierRules, previous: Tier = "first"): Tier {
  const dates = [...new Set(detections)].sort();
  const last = dates.at(-1);
  let earned: Tier = "first";
  if (last !== undefined) {
    const n = dates.filter((d) => days(last) - days(d) <= rules.windowDays).length;
    if (n >= rules.confirmedDetections) earned = "confirmed";
    else if (n >= rules.provisionalDetections) earned = "provisional";
  }
  return tierRank(earned) >= tierRank(previous) ? earned : previous;
}
