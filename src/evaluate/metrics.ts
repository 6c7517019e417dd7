/**
 * Precision, recall, F1 and IoU from true-positive, false-positive and false-negative counts
 * (pixels or objects). A ratio with a zero denominator is null ("not defined"), never 0 or NaN,
 * so a type with no predictions reads "no predictions", not "precision 0".
 */

export interface Scores {
  readonly precision: number | null;
  readonly recall: number | null;
  readonly f1: number | null;
  readonly iou: number | null;
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

/** Scores of `tp` hits, `fp` false alarms and `fn` misses. */
export function scoresOf(tp: number, fp: number, fn: number): Scores {
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  const f1 =
    precision !== null && recall !== null ? (ratio(2 * precision * recall, precision + recall) ?? 0) : null;
  return { precision, recall, f1, iou: ratio(tp, tp + fp + fn) };
}
