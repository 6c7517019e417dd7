/** `patrol evaluate --threshold/--config`: the run's cached probabilities re-thresholded, then evaluated. */
import type { DetectionConfig } from "../config/detection-config.js";
import {
  evaluateAgainstReference,
  type EvaluateRunOptions,
  type EvaluationReport,
} from "../evaluate/evaluate-run.js";
import { closeCachedRun, openCachedRun } from "./cached-run.js";
import { retuneIssues } from "./retune.js";

/**
 * Re-derives the run's issues under `config(runConfig)` from its cache and evaluates them. The
 * function receives the run's resolved config and returns the one to apply.
 */
export async function evaluateRetuned(
  outDir: string,
  config: (runConfig: DetectionConfig) => DetectionConfig,
  options: EvaluateRunOptions & { readonly manifestFile?: string },
): Promise<EvaluationReport> {
  const run = await openCachedRun(outDir, options.manifestFile ? { manifestFile: options.manifestFile } : {});
  try {
    const applied = config(run.config);
    const [predicted] = await retuneIssues(run, [applied]);
    const evaluation = await evaluateAgainstReference(predicted!, run.grid, options);
    return {
      run: outDir,
      reference: options.reference,
      predictions: { source: "cached probabilities", config: applied },
      changeTypes: options.changeTypes ?? null,
      grid: { crs: run.grid.crs, width: run.grid.width, height: run.grid.height },
      ...evaluation,
    };
  } finally {
    await closeCachedRun(run);
  }
}
