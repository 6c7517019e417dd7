/**
 * The one pass over the pixels that evaluation needs: how many pixels each predicted object,
 * each reference object, and each (predicted, reference) pair covers. Every metric (pixel- and
 * object-level, any subset of objects, any minimum area) follows from this table, so a tuning
 * sweep scans the pixels once per threshold, not once per setting.
 */
import type { LabelledObjects } from "./labelled-objects.js";
import { EvaluationInputError } from "./errors.js";

export interface PairOverlap {
  /** 0-based predicted object index. */
  readonly pred: number;
  /** 0-based reference object index. */
  readonly ref: number;
  readonly pixels: number;
}

export interface OverlapTable {
  /** Evaluated pixels of each predicted object (ignored pixels left out). */
  readonly predPixels: Float64Array;
  /** Evaluated pixels of each reference object. */
  readonly refPixels: Float64Array;
  /** Pairs that share at least one pixel. */
  readonly pairs: readonly PairOverlap[];
  /** Pixels evaluated (not ignored by either side). */
  readonly evaluatedPixels: number;
}

/** Tallies the overlaps of two object sets on the same grid. */
export function overlapTable(pred: LabelledObjects, ref: LabelledObjects): OverlapTable {
  if (pred.width !== ref.width || pred.height !== ref.height)
    throw new EvaluationInputError(
      "grid",
      `predictions are ${pred.width}×${pred.height} pixels but the reference is ${ref.width}×${ref.height}`,
    );
  const predPixels = new Float64Array(pred.objects.length);
  const refPixels = new Float64Array(ref.objects.length);
  const pairCounts = new Map<number, number>();
  const stride = ref.objects.length + 1;
  const p = pred.labels;
  const r = ref.labels;
  const ignored = (i: number): boolean =>
    (ref.ignore !== null && ref.ignore[i] === 1) || (pred.ignore !== null && pred.ignore[i] === 1);
  let ignoredCount = 0;
  if (ref.ignore || pred.ignore) for (let i = 0; i < p.length; i++) if (ignored(i)) ignoredCount++;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]!;
    const b = r[i]!;
    if ((a | b) === 0 || ignored(i)) continue;
    if (a > 0) predPixels[a - 1]!++;
    if (b > 0) refPixels[b - 1]!++;
    if (a > 0 && b > 0) {
      const key = (a - 1) * stride + (b - 1);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + 1);
    }
  }
  const evaluated = p.length - ignoredCount;
  const pairs: PairOverlap[] = [];
  for (const [key, pixels] of pairCounts)
    pairs.push({ pred: Math.floor(key / stride), ref: key % stride, pixels });
  pairs.sort((x, y) => x.pred - y.pred || x.ref - y.ref);
  return { predPixels, refPixels, pairs, evaluatedPixels: evaluated };
}
