/**
 * `patrol evaluate` on a run's issue lists: every county list under `<out>/issues/` (or the lists
 * given) against reference change data, on the run's grid.
 */
import type { RasterGrid } from "../ingest/rasterize.js";
import { evaluateObjects, type Evaluation } from "./evaluate-objects.js";
import { issueListFiles, issueObjects } from "./issue-objects.js";
import type { LabelledObjects } from "./labelled-objects.js";
import { overlapTable } from "./overlap-table.js";
import { loadReference, type ReferenceOptions } from "./reference.js";
import { runGrid } from "./run-grid.js";

/** The JSON `patrol evaluate` writes: what was compared, and the evaluation. */
export interface EvaluationReport extends Evaluation {
  readonly run: string;
  readonly reference: string;
  /** "issue lists" (with their paths) or "cached probabilities" (with the config applied). */
  readonly predictions:
    | { readonly source: "issue lists"; readonly files: readonly string[] }
    | {
        readonly source: "cached probabilities";
        readonly config: unknown;
      };
  readonly changeTypes: readonly string[] | null;
  readonly grid: { readonly crs: string; readonly width: number; readonly height: number };
}

export interface EvaluateRunOptions {
  readonly reference: string;
  readonly referenceOptions?: ReferenceOptions;
  /** Only these change types (predicted, and reference when typed). Default: all. */
  readonly changeTypes?: readonly string[];
  /** Issue lists to read instead of every list under `<out>/issues/`. */
  readonly issueFiles?: readonly string[];
}

/** Keeps the objects of `types` (objects without a type are kept: an untyped reference). */
export function onlyTypes(objects: LabelledObjects, types: readonly string[] | undefined): LabelledObjects {
  if (!types) return objects;
  const keep = objects.objects.map((o) => o.changeType === null || types.includes(o.changeType));
  const number = new Int32Array(objects.objects.length + 1);
  const kept = objects.objects.filter((_, i) => keep[i]);
  let k = 0;
  objects.objects.forEach((_, i) => (number[i + 1] = keep[i] ? ++k : 0));
  return { ...objects, labels: objects.labels.map((l) => number[l]!), objects: kept };
}

/** Evaluates predicted objects already on `grid` against the reference file. */
export async function evaluateAgainstReference(
  predicted: LabelledObjects,
  grid: RasterGrid,
  options: EvaluateRunOptions,
): Promise<Evaluation> {
  const ref = onlyTypes(
    await loadReference(options.reference, grid, options.referenceOptions),
    options.changeTypes,
  );
  const pred = onlyTypes(predicted, options.changeTypes);
  return evaluateObjects(overlapTable(pred, ref), pred.objects, ref.objects, {
    ...(options.changeTypes ? { types: options.changeTypes } : {}),
  });
}

/** Evaluates the run's issue lists. */
export async function evaluateRunIssues(
  outDir: string,
  options: EvaluateRunOptions,
): Promise<EvaluationReport> {
  const grid = await runGrid(outDir);
  const files = options.issueFiles ?? (await issueListFiles(outDir));
  const predicted = await issueObjects(files, grid);
  const evaluation = await evaluateAgainstReference(predicted, grid, options);
  return {
    run: outDir,
    reference: options.reference,
    predictions: { source: "issue lists", files },
    changeTypes: options.changeTypes ?? null,
    grid: { crs: grid.crs, width: grid.width, height: grid.height },
    ...evaluation,
  };
}
