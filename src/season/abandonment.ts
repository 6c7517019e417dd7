/**
 * The abandonment (撂荒) rules over a season history. A pixel is flagged when, in a month from
 * `decideFromMonth` of its season on (through the months after the season's end, until the next
 * season starts):
 *   1. the share of the season's months so far that observed it is at least `minObservedShare`
 *      (enough clear looks to judge);
 *   2. its vegetation index never reached `cropPeakMin` (never rose as a crop's does);
 *   3. no observed month showed bare soil (index ≤ the season's `bareSoilMax`: no tillage,
 *      sowing or harvest).
 * A pixel with a crop-like peak, or with a tilled month, is cultivated. Pure typed-array code.
 */
import { monthCount, parseMonth, seasonOf, type SeasonState } from "./season-state.js";

export interface AbandonmentParams {
  readonly seasonStartMonth: number;
  readonly seasonEndMonth: number;
  readonly decideFromMonth: number;
  /** Peak index a crop exceeds (NDVI or ExG, as the history's index). */
  readonly cropPeakMin: number;
  /** Minimum share (0–1) of the season's months so far that observed the pixel. */
  readonly minObservedShare: number;
}

export interface AbandonmentResult {
  /** 1 where the rules flag abandonment. */
  readonly flagged: Uint8Array;
  /** Observed share of the season's months so far, 0–255 (the flag's evidence), on every pixel. */
  readonly evidence: Uint8Array;
  /** Whether `month` is one in which the rules decide at all (false: nothing is flagged). */
  readonly deciding: boolean;
  /** Growing-season months elapsed by `month`. */
  readonly monthsElapsed: number;
}

/** Growing-season months elapsed by `month` in its season, and whether flags may be raised. */
export function seasonProgress(
  month: string,
  p: Pick<AbandonmentParams, "seasonStartMonth" | "seasonEndMonth" | "decideFromMonth">,
): { monthsElapsed: number; deciding: boolean } {
  const { year, month: m } = parseMonth(month);
  const season = seasonOf(month, p);
  const length = p.seasonEndMonth - p.seasonStartMonth + 1;
  if (year > season) return { monthsElapsed: length, deciding: true }; // Jan… before the next start
  const elapsed = Math.min(m, p.seasonEndMonth) - p.seasonStartMonth + 1;
  return { monthsElapsed: elapsed, deciding: m >= p.decideFromMonth };
}

/** Evaluates the rules on a history as of `month` (the history's own month). */
export function flagAbandonment(state: SeasonState, p: AbandonmentParams): AbandonmentResult {
  const n = state.width * state.height;
  const flagged = new Uint8Array(n);
  const evidence = new Uint8Array(n);
  const { monthsElapsed, deciding } = seasonProgress(state.month, p);
  judgePixels(
    monthsElapsed,
    deciding,
    p.minObservedShare,
    p.cropPeakMin,
    state.observedMonths,
    state.peak,
    state.bareMonths,
    flagged,
    evidence,
  );
  return { flagged, evidence, deciding, monthsElapsed };
}

/**
 * {@link flagAbandonment}'s per-pixel loop, over typed arrays and numbers only, so that V8
 * compiles it once per process rather than on the stack of every window's call.
 */
function judgePixels(
  monthsElapsed: number,
  deciding: boolean,
  minShare: number,
  cropPeakMin: number,
  observedMonths: Uint16Array,
  peaks: Float32Array,
  bareMonths: Uint16Array,
  flagged: Uint8Array,
  evidence: Uint8Array,
): void {
  for (let i = 0; i < flagged.length; i++) {
    const share = monthsElapsed > 0 ? monthCount(observedMonths[i]!) / monthsElapsed : 0;
    evidence[i] = Math.round(Math.min(1, share) * 255);
    if (!deciding || share === 0 || share < minShare) continue;
    const peak = peaks[i]!;
    if (peak !== peak || peak >= cropPeakMin) continue;
    if (bareMonths[i] !== 0) continue;
    flagged[i] = 1;
  }
}
