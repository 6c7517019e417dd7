/**
 * Per change type, pixel- and object-level precision, recall, F1 and IoU of predicted objects
 * against reference objects, and the confusion between change types, all from an
 * {@link OverlapTable}.
 *
 * Rows: one per change type, comparing the predicted objects of that type with the reference
 * objects of that type (or, when the reference carries no types, with every reference object, so
 * the row says how much of the reference change that type alone finds and how precise it is),
 * and a row "all" that ignores types on both sides.
 */
import { CHANGE_TYPE_IDS } from "../core/change-types.js";
import type { ObjectInfo } from "./labelled-objects.js";
import { MATCHING_RULE, describeMatchingRule, pairMatches, type MatchingRule } from "./matching-rule.js";
import { scoresOf, type Scores } from "./metrics.js";
import type { OverlapTable } from "./overlap-table.js";

/** Pixel counts and scores; pixel IoU is tp / (tp + fp + fn). */
export interface PixelEvaluation extends Scores {
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
}

/**
 * Object counts and scores under the matching rule. `matchedPredicted` of `predicted` objects
 * match a reference object (precision); `foundReference` of `reference` objects are matched
 * (recall); `iou` is the mean, over found reference objects, of the IoU of each with the union of
 * the predicted objects matched to it.
 */
export interface ObjectEvaluation extends Scores {
  readonly predicted: number;
  readonly matchedPredicted: number;
  readonly reference: number;
  readonly foundReference: number;
}

export interface TypeEvaluation {
  /** A change type id, or "all". */
  readonly changeType: string;
  readonly pixel: PixelEvaluation;
  readonly object: ObjectEvaluation;
}

/** Rows: reference type (then "none"); columns: predicted type (then "none"). */
export interface TypeConfusion {
  readonly labels: readonly string[];
  /** Pixels by [reference][predicted]; none × none is not counted. */
  readonly pixels: readonly (readonly number[])[];
  /**
   * Objects by [reference][predicted]: each reference object under the type of its best-overlapping
   * matched predicted object (or "none": missed); each unmatched predicted object in row "none".
   */
  readonly objects: readonly (readonly number[])[];
}

export interface Evaluation {
  readonly matchingRule: string;
  /** True when the reference carries change types (rows compare like with like). */
  readonly referenceTyped: boolean;
  readonly evaluatedPixels: number;
  readonly rows: readonly TypeEvaluation[];
  /** Null when the reference carries no types. */
  readonly confusion: TypeConfusion | null;
}

export interface EvaluateOptions {
  /** Predicted objects smaller than this (m², per change type) are left out. Default: none. */
  readonly minAreaM2?: Readonly<Record<string, number>>;
  /** Change types to report as rows (default: every type predicted or in the reference). */
  readonly types?: readonly string[];
  readonly rule?: MatchingRule;
}

function orderTypes(types: Iterable<string>): string[] {
  const set = new Set(types);
  const known = CHANGE_TYPE_IDS.filter((t) => set.has(t));
  const other = [...set].filter((t) => !(CHANGE_TYPE_IDS as readonly string[]).includes(t)).sort();
  return [...known, ...other];
}

/** Evaluates predicted against reference objects; `table` is their {@link overlapTable}. */
export function evaluateObjects(
  table: OverlapTable,
  pred: readonly ObjectInfo[],
  ref: readonly ObjectInfo[],
  options: EvaluateOptions = {},
): Evaluation {
  const rule = options.rule ?? MATCHING_RULE;
  const kept = pred.map((o) => o.areaM2 >= (options.minAreaM2?.[o.changeType ?? ""] ?? 0));
  const referenceTyped = ref.some((o) => o.changeType !== null);
  const matches = table.pairs.map((p) =>
    pairMatches(p.pixels, table.predPixels[p.pred]!, table.refPixels[p.ref]!, rule),
  );

  const row = (changeType: string, inPred: (o: ObjectInfo) => boolean, inRef: (o: ObjectInfo) => boolean) => {
    const predIn = pred.map((o, i) => kept[i]! && inPred(o));
    const refIn = ref.map(inRef);
    let tp = 0;
    const matchedPred = new Uint8Array(pred.length);
    const foundRef = new Uint8Array(ref.length);
    const interOf = new Float64Array(ref.length);
    const unionPredOf = new Float64Array(ref.length);
    table.pairs.forEach((p, k) => {
      if (!predIn[p.pred] || !refIn[p.ref]) return;
      tp += p.pixels;
      if (!matches[k]) return;
      matchedPred[p.pred] = 1;
      foundRef[p.ref] = 1;
      interOf[p.ref]! += p.pixels;
      unionPredOf[p.ref]! += table.predPixels[p.pred]!;
    });
    let predPx = 0;
    let refPx = 0;
    let predicted = 0;
    let matched = 0;
    let reference = 0;
    let found = 0;
    let iouSum = 0;
    pred.forEach((_, i) => {
      if (!predIn[i]) return;
      predPx += table.predPixels[i]!;
      predicted++;
      matched += matchedPred[i]!;
    });
    ref.forEach((_, i) => {
      if (!refIn[i]) return;
      refPx += table.refPixels[i]!;
      reference++;
      if (foundRef[i]) {
        found++;
        iouSum += interOf[i]! / (table.refPixels[i]! + unionPredOf[i]! - interOf[i]!);
      }
    });
    const precision = predicted > 0 ? matched / predicted : null;
    const recall = reference > 0 ? found / reference : null;
    const f1 =
      precision !== null && recall !== null
        ? precision + recall > 0
          ? (2 * precision * recall) / (precision + recall)
          : 0
        : null;
    return {
      changeType,
      pixel: { tp, fp: predPx - tp, fn: refPx - tp, ...scoresOf(tp, predPx - tp, refPx - tp) },
      object: {
        predicted,
        matchedPredicted: matched,
        reference,
        foundReference: found,
        precision,
        recall,
        f1,
        iou: found > 0 ? iouSum / found : null,
      },
    } satisfies TypeEvaluation;
  };

  const types =
    options.types ??
    orderTypes(
      [...pred.filter((_, i) => kept[i]), ...ref]
        .map((o) => o.changeType)
        .filter((t): t is string => t !== null),
    );
  const rows = types.map((t) =>
    row(
      t,
      (o) => o.changeType === t,
      (o) => !referenceTyped || o.changeType === t,
    ),
  );
  rows.push(
    row(
      "all",
      () => true,
      () => true,
    ),
  );
  return {
    matchingRule: describeMatchingRule(rule),
    referenceTyped,
    evaluatedPixels: table.evaluatedPixels,
    rows,
    confusion: referenceTyped ? confusionOf(table, pred, ref, kept, matches) : null,
  };
}

function confusionOf(
  table: OverlapTable,
  pred: readonly ObjectInfo[],
  ref: readonly ObjectInfo[],
  kept: readonly boolean[],
  matches: readonly boolean[],
): TypeConfusion {
  const labels = [
    ...orderTypes([...pred.filter((_, i) => kept[i]), ...ref].map((o) => o.changeType ?? "untyped")),
    "none",
  ];
  const at = (t: string | null): number => labels.indexOf(t ?? "untyped");
  const none = labels.length - 1;
  const pixels = labels.map(() => labels.map(() => 0));
  const objects = labels.map(() => labels.map(() => 0));
  const predLeft = Float64Array.from(table.predPixels);
  const refLeft = Float64Array.from(table.refPixels);
  const best = new Int32Array(ref.length).fill(-1);
  const bestPixels = new Float64Array(ref.length);
  const predMatched = new Uint8Array(pred.length);
  table.pairs.forEach((p, k) => {
    if (!kept[p.pred]) return;
    pixels[at(ref[p.ref]!.changeType)]![at(pred[p.pred]!.changeType)]! += p.pixels;
    predLeft[p.pred]! -= p.pixels;
    refLeft[p.ref]! -= p.pixels;
    if (!matches[k]) return;
    predMatched[p.pred] = 1;
    if (p.pixels > bestPixels[p.ref]!) {
      bestPixels[p.ref] = p.pixels;
      best[p.ref] = p.pred;
    }
  });
  pred.forEach((o, i) => {
    if (!kept[i]) return;
    pixels[none]![at(o.changeType)]! += predLeft[i]!;
    if (!predMatched[i]) objects[none]![at(o.changeType)]!++;
  });
  ref.forEach((o, i) => {
    pixels[at(o.changeType)]![none]! += refLeft[i]!;
    const b = best[i]!;
    objects[at(o.changeType)]![b >= 0 ? at(pred[b]!.changeType) : none]!++;
  });
  return { labels, pixels, objects };
}
