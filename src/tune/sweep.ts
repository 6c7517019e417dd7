/**
 * The tuning sweep: for every probability threshold, re-derive the run's issues from the cached
 * probabilities (one pass over the pixels per threshold, all change types at once), and for every
 * minimum area, score each change type against the reference. Thresholds act per type
 * independently (a pixel's candidate type does not depend on thresholds), so one sweep with a
 * shared threshold per step gives every type's curve.
 */
import type { DetectionConfig } from "../config/detection-config.js";
import { CHANGE_TYPES } from "../core/change-types.js";
import {
  evaluateObjects,
  type ObjectEvaluation,
  type PixelEvaluation,
} from "../evaluate/evaluate-objects.js";
import type { LabelledObjects } from "../evaluate/labelled-objects.js";
import { describeMatchingRule } from "../evaluate/matching-rule.js";
import { overlapTable } from "../evaluate/overlap-table.js";
import type { CachedRun } from "./cached-run.js";
import { retuneIssues } from "./retune.js";

/** Default thresholds swept: P(not cropland) from 0.30 to 0.95. */
export const DEFAULT_THRESHOLDS: readonly number[] = Array.from({ length: 14 }, (_, i) =>
  Number((0.3 + 0.05 * i).toFixed(2)),
);

/** Default minimum areas swept, m² (1 mu = 666.7 m²). */
export const DEFAULT_MIN_AREAS_M2: readonly number[] = [0, 100, 200, 300, 400, 667, 1000, 1334, 2000, 3000];

/** One setting's scores for one change type (or "all"). */
export interface SweepPoint {
  readonly changeType: string;
  readonly threshold: number;
  readonly minAreaM2: number;
  readonly pixel: PixelEvaluation;
  readonly object: ObjectEvaluation;
}

export interface SweepResult {
  readonly matchingRule: string;
  readonly referenceTyped: boolean;
  /** Types the run can detect (rows of the sweep, plus "all"). */
  readonly changeTypes: readonly string[];
  readonly thresholds: readonly number[];
  readonly minAreasM2: readonly number[];
  readonly points: readonly SweepPoint[];
  /** Wall-clock time of the re-derivation and of the scoring, ms. */
  readonly timings: { readonly retuneMs: number; readonly scoreMs: number };
}

export interface SweepOptions {
  readonly thresholds?: readonly number[];
  readonly minAreasM2?: readonly number[];
  /** Change types to tune (default: every enabled type the model can detect). */
  readonly changeTypes?: readonly string[];
}

/** Sweeps thresholds × minimum areas against `reference` (on `run.grid`). */
export async function sweepRun(
  run: CachedRun,
  reference: LabelledObjects,
  options: SweepOptions = {},
): Promise<SweepResult> {
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
  const minAreas = options.minAreasM2 ?? DEFAULT_MIN_AREAS_M2;
  const types =
    options.changeTypes ??
    CHANGE_TYPES.filter(
      (t) => run.config.rules[t.id].enabled && t.afterClasses.some((c) => run.classIds.includes(c)),
    ).map((t) => t.id);
  const configs: DetectionConfig[] = thresholds.map((threshold) => ({
    ...run.config,
    rules: Object.fromEntries(
      Object.entries(run.config.rules).map(([k, r]) => [k, { ...r, threshold }]),
    ) as DetectionConfig["rules"],
  }));
  const t0 = Date.now();
  const retuned = await retuneIssues(run, configs, { keepSmall: true });
  const t1 = Date.now();
  const points: SweepPoint[] = [];
  let referenceTyped = false;
  retuned.forEach((pred, k) => {
    const table = overlapTable(pred, reference);
    for (const minAreaM2 of minAreas) {
      const e = evaluateObjects(table, pred.objects, reference.objects, {
        minAreaM2: Object.fromEntries(types.map((t) => [t, minAreaM2])),
        types,
      });
      referenceTyped = e.referenceTyped;
      for (const row of e.rows)
        points.push({
          changeType: row.changeType,
          threshold: thresholds[k]!,
          minAreaM2,
          pixel: row.pixel,
          object: row.object,
        });
    }
  });
  return {
    matchingRule: describeMatchingRule(),
    referenceTyped,
    changeTypes: types,
    thresholds,
    minAreasM2: minAreas,
    points,
    timings: { retuneMs: t1 - t0, scoreMs: Date.now() - t1 },
  };
}
