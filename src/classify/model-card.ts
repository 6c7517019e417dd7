/**
 * Model cards: a machine-readable model-card.json (what evaluate-model checks against) and a
 * MODEL_CARD.md rendered from it for people. Class names, codes and groups come from
 * src/core/land-cover.ts, so the card cannot drift from the class list.
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { LAND_COVER_GROUPS, landCoverClass, type LandCoverId } from "../core/land-cover.js";
import { ModelFileError } from "./errors.js";
import type { AccuracyReport } from "./metrics.js";
import type { AugmentationSummary } from "./train.js";

export const MODEL_CARD_JSON = "model-card.json";
export const MODEL_CARD_MD = "MODEL_CARD.md";

/** One architecture or setting tried while building the model, and what it scored. */
export const experimentSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    /** Grouped-class overall accuracy on the validation images (all pixels unless `note` says otherwise). */
    groupedOA: z.number().nullable(),
    f1Cropland: z.number().nullable(),
    f1BuiltUp: z.number().nullable(),
    /** Inference throughput in Mpx/s per core on this machine, where measured. */
    mpxPerSecond: z.number().nullable().default(null),
    note: z.string().default(""),
  })
  .strict();

/** Hand-written parts of a card: data description, licence, experiments, limitations. */
export const cardNotesSchema = z
  .object({
    title: z.string(),
    trainingData: z.string(),
    licence: z.string(),
    intendedUse: z.string(),
    experiments: z.array(experimentSchema).default([]),
    limitations: z.array(z.string()).default([]),
  })
  .strict();

export type CardNotes = z.infer<typeof cardNotesSchema>;

export interface ModelCard {
  readonly modelId: string;
  readonly createdAt: string;
  readonly notes: CardNotes;
  readonly input: {
    readonly bands: readonly string[];
    readonly groundResolutionM: number;
    readonly description: string;
  };
  readonly classes: readonly LandCoverId[];
  readonly architecture: {
    readonly featureSpec: unknown;
    readonly featureCount: number;
    readonly hidden: readonly number[];
    readonly parameters: number;
    readonly weightBytes: number;
  };
  readonly training: {
    readonly config: unknown;
    readonly trainImages: number;
    readonly trainSamples: number;
    readonly seconds: number;
    readonly history: ReadonlyArray<{ epoch: number; loss: number; valAccuracy: number }>;
    readonly backend: string;
    /** Copy-paste augmentation of the training images, when configured (absent in older cards). */
    readonly augmentation?: AugmentationSummary;
  };
  readonly validation: {
    /** How the validation images were chosen; evaluate-model repeats it. */
    readonly split: { readonly seed: number; readonly fraction: number; readonly method: string };
    readonly imageIds: readonly string[];
    readonly grouped: AccuracyReport;
    readonly fine: AccuracyReport;
  };
  readonly goals: {
    readonly groupedOA: { readonly target: number; readonly reached: number; readonly met: boolean };
    readonly f1Cropland: { readonly target: number; readonly reached: number; readonly met: boolean };
    readonly f1BuiltUp: { readonly target: number; readonly reached: number; readonly met: boolean };
  };
}

export const ACCURACY_GOALS = { groupedOA: 0.85, f1Cropland: 0.85, f1BuiltUp: 0.8 } as const;

export function f1Of(report: AccuracyReport, name: string): number {
  return report.perClass.find((c) => c.name === name)?.f1 ?? NaN;
}

export function goalsOf(grouped: AccuracyReport): ModelCard["goals"] {
  const g = (target: number, reached: number): { target: number; reached: number; met: boolean } => ({
    target,
    reached,
    met: reached >= target,
  });
  return {
    groupedOA: g(ACCURACY_GOALS.groupedOA, grouped.overallAccuracy),
    f1Cropland: g(ACCURACY_GOALS.f1Cropland, f1Of(grouped, "cropland")),
    f1BuiltUp: g(ACCURACY_GOALS.f1BuiltUp, f1Of(grouped, "built_up")),
  };
}

export async function readCardNotes(file: string): Promise<CardNotes> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    throw new ModelFileError(file, "cannot read the card notes as JSON", { cause: e });
  }
  const parsed = cardNotesSchema.safeParse(raw);
  if (!parsed.success)
    throw new ModelFileError(file, `card notes do not match the schema: ${parsed.error.message}`);
  return parsed.data;
}

export async function readModelCard(dir: string): Promise<ModelCard> {
  const file = path.join(dir, MODEL_CARD_JSON);
  try {
    return JSON.parse(await readFile(file, "utf8")) as ModelCard;
  } catch (e) {
    throw new ModelFileError(file, "cannot read the model card", { cause: e });
  }
}

const pct = (v: number): string => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : "–");
const dec = (v: number | null): string => (v !== null && Number.isFinite(v) ? v.toFixed(3) : "–");

function groupLabel(id: string): string {
  const g = LAND_COVER_GROUPS.find((x) => x.id === id);
  return g ? `${g.nameEn} (${g.nameZh})` : id;
}

function classLabel(id: string): string {
  try {
    const c = landCoverClass(id as LandCoverId);
    return `${c.nameEn} (${c.nameZh})`;
  } catch {
    return id;
  }
}

function metricsTable(r: AccuracyReport, label: (id: string) => string): string[] {
  const lines = ["| class | precision | recall | F1 | reference pixels |", "|---|---:|---:|---:|---:|"];
  for (const c of r.perClass) {
    if (c.support === 0 && !Number.isFinite(c.precision)) continue;
    lines.push(`| ${label(c.name)} | ${dec(c.precision)} | ${dec(c.recall)} | ${dec(c.f1)} | ${c.support} |`);
  }
  return lines;
}

function confusionTable(r: AccuracyReport): string[] {
  const keep = r.classNames
    .map((_, i) => i)
    .filter((i) => (r.confusion[i] ?? []).some((v) => v > 0) || r.confusion.some((row) => (row[i] ?? 0) > 0));
  const lines = [
    `| reference ↓ / predicted → | ${keep.map((i) => r.classNames[i]).join(" | ")} |`,
    `|---|${keep.map(() => "---:").join("|")}|`,
  ];
  for (const i of keep) {
    lines.push(`| ${r.classNames[i]} | ${keep.map((j) => String(r.confusion[i]?.[j] ?? 0)).join(" | ")} |`);
  }
  return lines;
}

function augmentationLines(a: AugmentationSummary | undefined): string[] {
  if (!a) return [];
  const byClass = Object.entries(a.parcelsByClass)
    .map(([cls, n]) => `${n} ${cls}`)
    .join(", ");
  return [
    "",
    `Copy-paste augmentation (training images only; the validation images are as recorded): ${a.augmentedImages} of the ` +
      `${a.eligibleImages} mostly-cropland training images received ${a.parcels} parcels cut from other training images ` +
      `(${byClass}), pasted before features were computed; ${a.pastedSamples} of the training pixels lie in pasted parcels. ` +
      "Settings: `copyPaste` in the training config.",
  ];
}

/** MODEL_CARD.md text for a card. */
export function renderModelCard(card: ModelCard): string {
  const n = card.notes;
  const g = card.validation.grouped;
  const goals = card.goals;
  const mark = (met: boolean): string => (met ? "met" : "**not met**");
  const out: string[] = [
    `# ${n.title} (\`${card.modelId}\`)`,
    "",
    `Created ${card.createdAt}. Machine-readable figures: [${MODEL_CARD_JSON}](${MODEL_CARD_JSON}); ` +
      "`patrol evaluate-model --model <this folder>` recomputes them from the committed weights.",
    "",
    "## Intended use",
    "",
    n.intendedUse,
    "",
    "## Training data and licence",
    "",
    n.trainingData,
    "",
    `Licence: ${n.licence}`,
    "",
    `Split: ${card.validation.split.method} (seed ${card.validation.split.seed}, ` +
      `${pct(card.validation.split.fraction)} of the images per folder held out): ` +
      `${card.training.trainImages} training images, ${card.validation.imageIds.length} validation images. ` +
      `${card.training.trainSamples} class-balanced training pixels.`,
    ...augmentationLines(card.training.augmentation),
    "",
    "## Input",
    "",
    `Bands: ${card.input.bands.join(", ")}. Ground resolution of the training imagery: about ${card.input.groundResolutionM} m. ` +
      card.input.description,
    "",
    "## Classes",
    "",
    "| code | class | GB/T 21010 | grouped class |",
    "|---:|---|---|---|",
    ...card.classes.map((id) => {
      const c = landCoverClass(id);
      return `| ${c.code} | ${c.nameEn} (${c.nameZh}) | ${c.gbt21010.join(", ") || "–"} | ${c.group ? groupLabel(c.group) : "–"} |`;
    }),
    "",
    "Class-map code 0 is no data (written where any input band is no data). Probabilities are written per class in the order above.",
    "",
    "**Grouped classes** (used for the accuracy goal) follow GID's own first level: " +
      LAND_COVER_GROUPS.filter((x) => x.id !== "other")
        .map((x) => `${x.nameEn} = ${x.members.join(" + ")}`)
        .join("; ") +
      ". The GID-5 farmland tiles are labelled only at this level; their forest, meadow and water labels train the model as " +
      '"any member of the group" (the loss rewards probability on any allowed class).',
    "",
    "## Architecture",
    "",
    architectureLine(card),
    "",
    "## Accuracy on the held-out validation tiles",
    "",
    `Grouped classes, all ${g.pixels} labelled validation pixels: overall accuracy **${pct(g.overallAccuracy)}**, kappa ${dec(g.kappa)}.`,
    "",
    "| goal | target | reached | |",
    "|---|---:|---:|---|",
    `| overall accuracy, grouped | ${pct(goals.groupedOA.target)} | ${pct(goals.groupedOA.reached)} | ${mark(goals.groupedOA.met)} |`,
    `| F1 cropland | ${dec(goals.f1Cropland.target)} | ${dec(goals.f1Cropland.reached)} | ${mark(goals.f1Cropland.met)} |`,
    `| F1 built-up | ${dec(goals.f1BuiltUp.target)} | ${dec(goals.f1BuiltUp.reached)} | ${mark(goals.f1BuiltUp.met)} |`,
    "",
    ...metricsTable(g, groupLabel),
    "",
    "Confusion matrix (pixels), grouped classes:",
    "",
    ...confusionTable(g),
    "",
    `Fine classes, pixels whose label names exactly one class (the GID-15 tiles and GID-5 built-up/farmland): overall accuracy ${pct(card.validation.fine.overallAccuracy)}.`,
    "",
    ...metricsTable(card.validation.fine, classLabel),
    "",
    "Confusion matrix (pixels), fine classes:",
    "",
    ...confusionTable(card.validation.fine),
    "",
    "## What was tried",
    "",
    "| variant | grouped OA | F1 cropland | F1 built-up | Mpx/s/core | notes |",
    "|---|---:|---:|---:|---:|---|",
    ...n.experiments.map(
      (e) =>
        `| **${e.name}**: ${e.description} | ${e.groupedOA === null ? "–" : pct(e.groupedOA)} | ${dec(e.f1Cropland)} | ${dec(e.f1BuiltUp)} | ${
          e.mpxPerSecond === null ? "–" : e.mpxPerSecond.toFixed(2)
        } | ${e.note} |`,
    ),
    "",
    "## Limitations",
    "",
    ...n.limitations.map((l) => `- ${l}`),
    "",
    "## Training run",
    "",
    `Backend ${card.training.backend}, ${card.training.seconds.toFixed(0)} s. Validation accuracy (grouped, sampled pixels) by epoch: ` +
      card.training.history.map((h) => `${h.epoch}: ${pct(h.valAccuracy)}`).join(", ") +
      ".",
    "",
  ];
  return out.join("\n");
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

export async function writeModelCard(dir: string, card: ModelCard): Promise<void> {
  await writeAtomic(path.join(dir, MODEL_CARD_JSON), `${JSON.stringify(card, null, 1)}\n`);
  await writeAtomic(path.join(dir, MODEL_CARD_MD), renderModelCard(card));
}

/** The card's architecture paragraph, worded from the feature spec (patch size, indices, edges). */
function architectureLine(card: ModelCard): string {
  const spec = card.architecture.featureSpec as {
    pyramidLevels?: number;
    patchSize?: number;
    patchIndices?: boolean;
    edges?: boolean;
    edgeScale?: number;
  };
  const k = spec.patchSize ?? 3;
  const own = (spec.patchIndices ?? true) ? "bands and colour indices" : "bands";
  const pixel = k === 1 ? `the pixel's own ${own}` : `${k}×${k} patch of ${own}`;
  const edges = spec.edges ? ` and edge density${spec.edgeScale === 2 ? " (Sobel on 2×2 cells)" : ""}` : "";
  return (
    `Fixed features (${card.architecture.featureCount}: ${pixel}, and a ${spec.pyramidLevels ?? "?"}-level ` +
    `context pyramid of band means, standard deviations, indices${edges}) feeding a trained dense head ` +
    `${card.architecture.featureCount} → ${card.architecture.hidden.join(" → ")} → ${card.classes.length}, ` +
    `${card.architecture.parameters} parameters, ${card.architecture.weightBytes} bytes of weights. ` +
    `At inference the first layer runs as a ${k}×${k} convolution plus per-level projections summed up the pyramid.`
  );
}
