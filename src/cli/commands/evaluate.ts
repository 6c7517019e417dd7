/**
 * `patrol evaluate --run OUT --reference FILE`: a run's issues (or its cached probabilities
 * re-thresholded) against reference changes, per change type, pixel- and object-level precision,
 * recall, F1 and IoU and the confusion between types; a table on stdout, JSON with --json.
 */
import path from "node:path";
import type { Command } from "commander";
import { loadDetectionConfigFile, type DetectionConfig } from "../../config/detection-config.js";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { ConfigError } from "../../core/errors.js";
import { evaluateRunIssues, formatEvaluation, type EvaluationReport } from "../../evaluate/index.js";
import { evaluateRetuned } from "../../tune/index.js";
import {
  addReferenceOptions,
  changeTypesOf,
  referenceOptionsOf,
  type ReferenceCliOptions,
} from "./reference-options.js";

interface EvaluateCliOptions extends ReferenceCliOptions {
  run: string;
  type?: string;
  issues?: string[];
  threshold?: string;
  config?: string;
  json?: string;
  manifest?: string;
}

/** Parses `--threshold 0.7` (every type) or `construction=0.7,pond=0.65`. */
function thresholdsOf(text: string): (c: DetectionConfig) => DetectionConfig {
  const all = Number(text);
  const pairs = Number.isFinite(all)
    ? null
    : text.split(",").map((p) => {
        const [k, v] = p.split("=");
        const value = Number(v);
        if (!k || !Number.isFinite(value) || value < 0 || value > 1)
          throw new ConfigError("--threshold", `expected 0.7 or TYPE=0.7,…; got ${JSON.stringify(text)}`);
        return [changeTypesOf("--threshold", k.trim())![0]!, value] as const;
      });
  return (c) => ({
    ...c,
    rules: Object.fromEntries(
      Object.entries(c.rules).map(([k, r]) => {
        const v = pairs ? pairs.find(([t]) => t === k)?.[1] : all;
        return [k, v === undefined ? r : { ...r, threshold: v }];
      }),
    ) as DetectionConfig["rules"],
  });
}

export function registerEvaluateCommand(program: Command): void {
  addReferenceOptions(
    program
      .command("evaluate")
      .description(
        "compare a run's issues (or its cached probabilities at other thresholds) with reference changes",
      )
      .requiredOption("--run <dir>", "the run's output folder")
      .option("--type <list>", "only these change types, comma-separated (e.g. construction)")
      .option("--issues <files...>", "issue lists to evaluate (default: every list under <run>/issues)")
      .option(
        "--threshold <t>",
        "re-threshold the cached probabilities instead of reading the issue lists: 0.7, or TYPE=0.7,…",
      )
      .option(
        "--config <file>",
        "re-derive the issues from the cached probabilities under this detection config",
      )
      .option("--json <file>", "also write the evaluation as JSON")
      .option("--manifest <file>", "with --threshold/--config: the run's manifest, if it moved"),
  ).action(async (o: EvaluateCliOptions) => {
    const run = path.resolve(o.run);
    const changeTypes = changeTypesOf("--type", o.type);
    const options = {
      reference: path.resolve(o.reference),
      referenceOptions: referenceOptionsOf(o),
      ...(changeTypes ? { changeTypes } : {}),
      ...(o.issues ? { issueFiles: o.issues.map((f) => path.resolve(f)) } : {}),
      ...(o.manifest ? { manifestFile: path.resolve(o.manifest) } : {}),
    };
    if (o.threshold !== undefined && o.config !== undefined)
      throw new ConfigError("--threshold", "give --threshold or --config, not both");
    let report: EvaluationReport;
    if (o.config !== undefined) {
      const config = await loadDetectionConfigFile(path.resolve(o.config));
      report = await evaluateRetuned(run, () => config, options);
    } else if (o.threshold !== undefined) {
      report = await evaluateRetuned(run, thresholdsOf(o.threshold), options);
    } else {
      report = await evaluateRunIssues(run, options);
    }
    const what =
      report.predictions.source === "issue lists"
        ? `${report.predictions.files.length} issue list(s)`
        : "cached probabilities re-thresholded";
    process.stdout.write(formatEvaluation(report, `run ${run} (${what}) against ${report.reference}`));
    if (o.json) await writeFileAtomic(path.resolve(o.json), JSON.stringify(report, null, 2) + "\n");
  });
}
