/**
 * `patrol tune` as a library call: open a run's cache, sweep thresholds × minimum areas against a
 * reference, recommend per type the setting that reaches the target, optionally render the
 * precision–recall curves. No model inference: only cached probabilities and the run's layers.
 */
import path from "node:path";
import { writeFileAtomic } from "../core/atomic-write.js";
import { loadReference, type ReferenceOptions } from "../evaluate/reference.js";
import { closeCachedRun, openCachedRun } from "./cached-run.js";
import { prCurvePng } from "./pr-plot.js";
import { recommend, type Recommendation, type TuneTarget } from "./recommend.js";
import { sweepRun, type SweepOptions, type SweepResult } from "./sweep.js";

export interface TuneOptions extends SweepOptions {
  readonly reference: string;
  readonly referenceOptions?: ReferenceOptions;
  readonly target: TuneTarget;
  /** Folder for one `<type>.png` precision–recall plot per change type. */
  readonly plotsDir?: string;
  /** The run's manifest, when it is no longer where summary.json says (a moved run). */
  readonly manifestFile?: string;
}

export interface TuneResult {
  readonly run: string;
  readonly reference: string;
  readonly sweep: SweepResult;
  readonly recommendation: Recommendation;
  /** PNG files written, by change type. */
  readonly plots: Readonly<Record<string, string>>;
  /** Wall-clock ms: opening the cache and reference, the sweep, and the whole call. */
  readonly timings: { readonly openMs: number; readonly sweepMs: number; readonly totalMs: number };
}

/** Runs the sweep and the recommendation on the run in `outDir`. */
export async function tuneRun(outDir: string, options: TuneOptions): Promise<TuneResult> {
  const t0 = Date.now();
  const run = await openCachedRun(outDir, options.manifestFile ? { manifestFile: options.manifestFile } : {});
  try {
    const reference = await loadReference(options.reference, run.grid, options.referenceOptions);
    const t1 = Date.now();
    const sweep = await sweepRun(run, reference, options);
    const t2 = Date.now();
    const recommendation = recommend(sweep, run.config, options.target);
    const plots: Record<string, string> = {};
    if (options.plotsDir) {
      for (const t of recommendation.types) {
        const file = path.join(options.plotsDir, `${t.changeType}.png`);
        await writeFileAtomic(file, await prCurvePng(sweep, t, options.target));
        plots[t.changeType] = file;
      }
    }
    return {
      run: outDir,
      reference: options.reference,
      sweep,
      recommendation,
      plots,
      timings: { openMs: t1 - t0, sweepMs: t2 - t1, totalMs: Date.now() - t0 },
    };
  } finally {
    await closeCachedRun(run);
  }
}

const f = (v: number | null | undefined): string => (v === null || v === undefined ? "  -  " : v.toFixed(3));

/** The table `patrol tune` prints: per type the run's setting and the recommended one. */
export function formatTuneResult(r: TuneResult): string {
  const { target } = r.recommendation;
  const lines = [
    `target: object-level ${target.measure} >= ${target.value}; matching: ${r.sweep.matchingRule}`,
    `${"type".padEnd(13)} | ${"run: thr".padStart(8)} ${"min m²".padStart(7)} ${"P".padStart(5)} ${"R".padStart(5)} | ${"tuned: thr".padStart(10)} ${"min m²".padStart(7)} ${"P".padStart(5)} ${"R".padStart(5)} ${"pixel P".padStart(7)} ${"R".padStart(5)}`,
  ];
  for (const t of r.recommendation.types) {
    const rule = r.recommendation.config.rules[t.changeType as keyof typeof r.recommendation.config.rules];
    const c = t.current;
    const k = t.chosen;
    lines.push(
      `${t.changeType.padEnd(13)} | ${(c ? c.threshold.toFixed(2) : "?").padStart(8)} ${String(c?.minAreaM2 ?? "?").padStart(7)} ${f(c?.object.precision)} ${f(c?.object.recall)} | ${
        k
          ? `${k.threshold.toFixed(2).padStart(10)} ${String(k.minAreaM2).padStart(7)} ${f(k.object.precision)} ${f(k.object.recall)} ${f(k.pixel.precision).padStart(7)} ${f(k.pixel.recall)}`
          : `unreachable: keeps threshold ${rule.threshold}, min area ${rule.minAreaM2} m²`
      }`,
    );
  }
  lines.push(
    `swept ${r.sweep.thresholds.length} thresholds × ${r.sweep.minAreasM2.length} minimum areas in ${(r.timings.sweepMs / 1000).toFixed(1)} s (re-deriving issues ${(r.sweep.timings.retuneMs / 1000).toFixed(1)} s, scoring ${(r.sweep.timings.scoreMs / 1000).toFixed(1)} s); total ${(r.timings.totalMs / 1000).toFixed(1)} s`,
  );
  return lines.join("\n") + "\n";
}
