/**
 * `patrol tune --run OUT --reference FILE`: sweep each change type's probability threshold and
 * minimum area over the run's cached probabilities (no model inference), plot precision–recall
 * curves, and write the settings that reach a target precision (or recall) as a detection config
 * a manifest can name (`"detection": "tuned.json"`).
 */
import path from "node:path";
import type { Command } from "commander";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { ConfigError } from "../../core/errors.js";
import { formatTuneResult, tuneRun, type TuneTarget } from "../../tune/index.js";
import {
  addReferenceOptions,
  changeTypesOf,
  referenceOptionsOf,
  type ReferenceCliOptions,
} from "./reference-options.js";

interface TuneCliOptions extends ReferenceCliOptions {
  run: string;
  targetPrecision?: string;
  targetRecall?: string;
  type?: string;
  thresholds?: string;
  minAreas?: string;
  out: string;
  plots?: string;
  json?: string;
  manifest?: string;
}

function fraction(flag: string, text: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0 || v > 1)
    throw new ConfigError(flag, `expected a number in (0, 1], got ${text}`);
  return v;
}

function list(flag: string, text: string | undefined, check: (v: number) => boolean): number[] | undefined {
  if (text === undefined) return undefined;
  const values = text.split(",").map((v) => Number(v.trim()));
  if (values.length === 0 || values.some((v) => !Number.isFinite(v) || !check(v)))
    throw new ConfigError(flag, `expected a comma-separated list of numbers, got ${JSON.stringify(text)}`);
  return values;
}

export function registerTuneCommand(program: Command): void {
  addReferenceOptions(
    program
      .command("tune")
      .description(
        "sweep thresholds and minimum areas over a run's cached probabilities against reference changes; write the settings that reach a target as a detection config",
      )
      .requiredOption("--run <dir>", "the run's output folder (with windows/*/probabilities-*.tif)")
      .option("--target-precision <p>", "object-level precision to reach (default 0.8)")
      .option("--target-recall <r>", "object-level recall to reach, instead of a precision")
      .option("--type <list>", "only tune these change types, comma-separated")
      .option("--thresholds <list>", "thresholds to sweep (default 0.30,0.35,…,0.95)")
      .option(
        "--min-areas <list>",
        "minimum areas to sweep, m² (default 0,100,200,300,400,667,1000,1334,2000,3000)",
      )
      .option("--out <file>", "where to write the recommended detection config", "tuned-detection.json")
      .option("--plots <dir>", "write one precision–recall PNG per change type here")
      .option("--json <file>", "also write the whole sweep and recommendation as JSON")
      .option("--manifest <file>", "the run's manifest, when it moved from where summary.json says"),
  ).action(async (o: TuneCliOptions) => {
    if (o.targetPrecision !== undefined && o.targetRecall !== undefined)
      throw new ConfigError("--target-recall", "give a target precision or a target recall, not both");
    const target: TuneTarget =
      o.targetRecall !== undefined
        ? { measure: "recall", value: fraction("--target-recall", o.targetRecall) }
        : { measure: "precision", value: fraction("--target-precision", o.targetPrecision ?? "0.8") };
    const thresholds = list("--thresholds", o.thresholds, (v) => v >= 0 && v <= 1);
    const minAreasM2 = list("--min-areas", o.minAreas, (v) => v >= 0);
    const changeTypes = changeTypesOf("--type", o.type);
    const result = await tuneRun(path.resolve(o.run), {
      reference: path.resolve(o.reference),
      referenceOptions: referenceOptionsOf(o),
      target,
      ...(thresholds ? { thresholds } : {}),
      ...(minAreasM2 ? { minAreasM2 } : {}),
      ...(changeTypes ? { changeTypes } : {}),
      ...(o.plots ? { plotsDir: path.resolve(o.plots) } : {}),
      ...(o.manifest ? { manifestFile: path.resolve(o.manifest) } : {}),
    });
    process.stdout.write(formatTuneResult(result));
    const out = path.resolve(o.out);
    await writeFileAtomic(out, JSON.stringify(result.recommendation.config, null, 2) + "\n");
    process.stdout.write(`recommended detection config → ${out}\n`);
    for (const [t, file] of Object.entries(result.plots)) process.stdout.write(`  ${t}: ${file}\n`);
    if (o.json) await writeFileAtomic(path.resolve(o.json), JSON.stringify(result, null, 2) + "\n");
  });
}
