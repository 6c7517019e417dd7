/**
 * From a sweep to a detection config: per change type, the threshold and minimum area that reach
 * the target (object-level precision, or recall) with the most of the other measure.
 */
import type { DetectionConfig } from "../config/detection-config.js";
import type { ChangeTypeId } from "../core/change-types.js";
import type { SweepPoint, SweepResult } from "./sweep.js";

export type TuneTarget =
  | { readonly measure: "precision"; readonly value: number }
  | { readonly measure: "recall"; readonly value: number };

export interface TypeRecommendation {
  readonly changeType: string;
  /** The chosen setting, or null when no swept setting reaches the target. */
  readonly chosen: SweepPoint | null;
  /** The run's own setting (threshold and minimum area) as the sweep scored it, if swept. */
  readonly current: SweepPoint | null;
}

export interface Recommendation {
  readonly target: TuneTarget;
  readonly types: readonly TypeRecommendation[];
  /** The run's config with each reachable type's threshold and minimum area replaced. */
  readonly config: DetectionConfig;
}

const other = (t: TuneTarget): "precision" | "recall" => (t.measure === "precision" ? "recall" : "precision");

/**
 * Chooses per type, among settings whose object-level `target.measure` is at least
 * `target.value`, the one with the highest object-level other measure; ties go to the higher
 * object-level target measure (at equal recall, the setting that wastes fewer field visits), then
 * the higher pixel-level other measure, then the smaller minimum area, then the lower threshold
 * (for a precision target) or the higher threshold (for a recall target). A type no setting brings
 * to the target keeps the run's setting and is reported with `chosen: null`.
 */
export function recommend(
  sweep: SweepResult,
  runConfig: DetectionConfig,
  target: TuneTarget,
): Recommendation {
  const o = other(target);
  const types = sweep.changeTypes.map((changeType) => {
    const mine = sweep.points.filter((p) => p.changeType === changeType);
    const rule = runConfig.rules[changeType as ChangeTypeId];
    const current =
      mine.find((p) => Math.abs(p.threshold - rule.threshold) < 1e-9 && p.minAreaM2 === rule.minAreaM2) ??
      null;
    const reaching = mine.filter(
      (p) => (p.object[target.measure] ?? -1) >= target.value && p.object[o] !== null,
    );
    reaching.sort(
      (a, b) =>
        b.object[o]! - a.object[o]! ||
        b.object[target.measure]! - a.object[target.measure]! ||
        (b.pixel[o] ?? 0) - (a.pixel[o] ?? 0) ||
        a.minAreaM2 - b.minAreaM2 ||
        (target.measure === "precision" ? a.threshold - b.threshold : b.threshold - a.threshold),
    );
    return { changeType, chosen: reaching[0] ?? null, current };
  });
  const rules = { ...runConfig.rules };
  for (const t of types) {
    if (!t.chosen) continue;
    const id = t.changeType as ChangeTypeId;
    rules[id] = { ...rules[id], threshold: t.chosen.threshold, minAreaM2: t.chosen.minAreaM2 };
  }
  return { target, types, config: { ...runConfig, rules } };
}
