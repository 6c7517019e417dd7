/**
 * The per-pixel history of one growing season, updated month by month: which months observed
 * the pixel, which of them showed tillage-like bare soil, the season's peak vegetation index and
 * its month, and its minimum. Pure functions over typed arrays; the state files are in
 * `state-file.ts`.
 *
 * Seasons lie within one calendar year (`seasonStartMonth` ≤ `seasonEndMonth`). A month from the
 * season's start to the next start belongs to that season: months after the end (and before the
 * next start) keep the finished season's history unchanged, so its verdict stands until the next
 * season begins.
 */
import { ConfigError } from "../core/errors.js";
import type { VegetationIndexKind } from "./vegetation-index.js";

export interface SeasonParams {
  readonly seasonStartMonth: number;
  readonly seasonEndMonth: number;
  /** Index value at or below which an observed month counts as bare soil (tillage). */
  readonly bareSoilMax: number;
}

/** One pixel grid's season history. All arrays are `width × height`, row-major. */
export interface SeasonState {
  readonly width: number;
  readonly height: number;
  readonly index: VegetationIndexKind;
  /** Calendar year the season started in. */
  readonly season: number;
  /** The last month applied, yyyy-mm. */
  readonly month: string;
  /** Bit m−1 set when month m observed the pixel (growing-season months only). */
  readonly observedMonths: Uint16Array;
  /** Bit m−1 set when month m showed bare soil (index ≤ bareSoilMax). */
  readonly bareMonths: Uint16Array;
  /** Highest index observed this season (NaN: never observed). */
  readonly peak: Float32Array;
  /** Month (1–12) of the peak, 0 when never observed. */
  readonly peakMonth: Uint8Array;
  /** Lowest index observed this season (NaN: never observed). */
  readonly minimum: Float32Array;
}

/** One month's observation: per pixel the highest and lowest index of the month's clear looks (NaN: none). */
export interface MonthObservation {
  /** yyyy-mm. */
  readonly month: string;
  readonly index: VegetationIndexKind;
  readonly max: Float32Array;
  readonly min: Float32Array;
}

/** Year and month (1–12) of a yyyy-mm string; RangeError when malformed. */
export function parseMonth(month: string): { year: number; month: number } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) throw new RangeError(`not a yyyy-mm month: ${month}`);
  return { year: Number(m[1]), month: Number(m[2]) };
}

/** The season (start year) a month belongs to. */
export function seasonOf(month: string, p: Pick<SeasonParams, "seasonStartMonth">): number {
  const { year, month: m } = parseMonth(month);
  return m >= p.seasonStartMonth ? year : year - 1;
}

/** True when the month is inside the growing season (it updates the history). */
export function inGrowingSeason(
  month: string,
  p: Pick<SeasonParams, "seasonStartMonth" | "seasonEndMonth">,
): boolean {
  const m = parseMonth(month).month;
  return m >= p.seasonStartMonth && m <= p.seasonEndMonth;
}

/** An empty history (nothing observed) for a grid. */
export function emptySeason(
  width: number,
  height: number,
  index: VegetationIndexKind,
  season: number,
  month: string,
): SeasonState {
  const n = width * height;
  return {
    width,
    height,
    index,
    season,
    month,
    observedMonths: new Uint16Array(n),
    bareMonths: new Uint16Array(n),
    peak: new Float32Array(n).fill(NaN),
    peakMonth: new Uint8Array(n),
    minimum: new Float32Array(n).fill(NaN),
  };
}

/**
 * Applies one month to the previous month's history (null: none) and returns the new history; the
 * previous one is not modified, so re-applying a month to the same previous state gives the same
 * result. A previous history of another season is dropped (the season restarts). Throws
 * {@link ConfigError} when the previous history is not from an earlier month or uses another
 * index (say NDVI before, RGB-only imagery now).
 */
export function updateSeason(
  previous: SeasonState | null,
  obs: MonthObservation,
  width: number,
  height: number,
  p: SeasonParams,
): SeasonState {
  const n = width * height;
  if (obs.max.length !== n || obs.min.length !== n)
    throw new RangeError(`updateSeason: observation has ${obs.max.length} pixels, grid has ${n}`);
  const season = seasonOf(obs.month, p);
  if (previous) {
    if (previous.month >= obs.month)
      throw new ConfigError(
        "previousRun",
        `its pixel history ends at ${previous.month}, not before this run's month ${obs.month}`,
      );
    if (previous.width !== width || previous.height !== height)
      throw new RangeError(
        `updateSeason: previous history is ${previous.width}×${previous.height}, grid ${width}×${height}`,
      );
    if (previous.index !== obs.index && previous.season === season)
      throw new ConfigError(
        "previousRun",
        `its pixel history tracks ${previous.index}, this month's imagery gives ${obs.index}; a season needs one index`,
      );
  }
  const base =
    previous && previous.season === season
      ? previous
      : emptySeason(width, height, obs.index, season, obs.month);
  const next: SeasonState = {
    ...base,
    month: obs.month,
    observedMonths: base.observedMonths.slice(),
    bareMonths: base.bareMonths.slice(),
    peak: base.peak.slice(),
    peakMonth: base.peakMonth.slice(),
    minimum: base.minimum.slice(),
  };
  if (!inGrowingSeason(obs.month, p)) return next;
  const m = parseMonth(obs.month).month;
  const { observedMonths, bareMonths, peak, peakMonth, minimum } = next;
  accumulateMonth(m, obs.max, obs.min, p.bareSoilMax, observedMonths, bareMonths, peak, peakMonth, minimum);
  return next;
}

/**
 * Folds one growing-season month (`m`, 1–12) into the state's arrays in place: its bit in the
 * observed and (vegetation minimum ≤ `bareSoilMax`) bare month masks, and the peak and minimum of
 * the index. A function of its own, over typed arrays and numbers only, so that V8 compiles its
 * loop once per process rather than on the stack of every window's call.
 */
function accumulateMonth(
  m: number,
  max: Float32Array,
  min: Float32Array,
  bareSoilMax: number,
  observedMonths: Uint16Array,
  bareMonths: Uint16Array,
  peaks: Float32Array,
  peakMonth: Uint8Array,
  minimum: Float32Array,
): void {
  const bit = 1 << (m - 1);
  for (let i = 0; i < max.length; i++) {
    const hi = max[i]!;
    const lo = min[i]!;
    if (hi !== hi || lo !== lo) continue;
    observedMonths[i]! |= bit;
    if (lo <= bareSoilMax) bareMonths[i]! |= bit;
    const peak = peaks[i]!;
    if (peak !== peak || hi > peak) {
      peaks[i] = hi;
      peakMonth[i] = m;
    }
    const low = minimum[i]!;
    if (low !== low || lo < low) minimum[i] = lo;
  }
}

/** Number of set bits of a month mask. */
export function monthCount(mask: number): number {
  let c = 0;
  for (let v = mask; v !== 0; v &= v - 1) c++;
  return c;
}
