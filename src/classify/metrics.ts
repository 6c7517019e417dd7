/**
 * Accuracy figures: confusion matrix, per-class precision/recall/F1, overall accuracy and kappa.
 */

export interface ClassMetrics {
  readonly name: string;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Reference pixels of this class. */
  readonly support: number;
}

export interface AccuracyReport {
  readonly classNames: readonly string[];
  /** rows = reference class, columns = predicted class; pixel counts. */
  readonly confusion: readonly (readonly number[])[];
  readonly overallAccuracy: number;
  readonly kappa: number;
  readonly perClass: readonly ClassMetrics[];
  readonly pixels: number;
}

/** A confusion matrix being accumulated. */
export class ConfusionMatrix {
  readonly counts: Float64Array;
  constructor(readonly classNames: readonly string[]) {
    this.counts = new Float64Array(classNames.length * classNames.length);
  }

  /**
   * Adds pixel pairs. Entries whose reference or prediction is outside 0..n-1 (e.g. 255 for
   * ignored) are skipped.
   */
  add(reference: ArrayLike<number>, predicted: ArrayLike<number>): void {
    const n = this.classNames.length;
    for (let i = 0; i < reference.length; i++) {
      const r = reference[i] as number;
      const p = predicted[i] as number;
      if (r < n && p < n && r >= 0 && p >= 0) this.counts[r * n + p] = (this.counts[r * n + p] as number) + 1;
    }
  }

  report(): AccuracyReport {
    const n = this.classNames.length;
    const cell = (r: number, p: number): number => this.counts[r * n + p] as number;
    let total = 0;
    let diag = 0;
    const rowSum = new Array<number>(n).fill(0);
    const colSum = new Array<number>(n).fill(0);
    for (let r = 0; r < n; r++) {
      for (let p = 0; p < n; p++) {
        const v = cell(r, p);
        total += v;
        rowSum[r] = (rowSum[r] as number) + v;
        colSum[p] = (colSum[p] as number) + v;
        if (r === p) diag += v;
      }
    }
    let expected = 0;
    for (let c = 0; c < n; c++)
      expected += ((rowSum[c] as number) * (colSum[c] as number)) / (total * total || 1);
    const oa = total > 0 ? diag / total : NaN;
    const perClass = this.classNames.map((name, c) => {
      const tp = cell(c, c);
      const precision = (colSum[c] as number) > 0 ? tp / (colSum[c] as number) : NaN;
      const recall = (rowSum[c] as number) > 0 ? tp / (rowSum[c] as number) : NaN;
      const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : NaN;
      return { name, precision, recall, f1, support: rowSum[c] as number };
    });
    const confusion = Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, p) => cell(r, p)));
    return {
      classNames: this.classNames,
      confusion,
      overallAccuracy: oa,
      kappa: expected < 1 ? (oa - expected) / (1 - expected) : NaN,
      perClass,
      pixels: total,
    };
  }
}
