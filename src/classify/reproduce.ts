/**
 * Recomputing a model card's validation figures from the committed weights: the same split
 * (seed, fraction, method) over the same data, every labelled pixel of the validation images.
 */
import { Classifier } from "./classifier.js";
import { TrainingDataError } from "./errors.js";
import { evaluateClassifier, type EvaluationResult } from "./evaluate.js";
import { pyramidCell } from "./features.js";
import { loadGidImages } from "./gid-dataset.js";
import { splitByImage } from "./labelled-image.js";
import { f1Of, readModelCard, type ModelCard } from "./model-card.js";

/** Largest absolute difference in OA or any grouped F1 accepted as "reproduced". */
export const DEFAULT_REPRODUCE_TOLERANCE = 0.002;

export interface FigureDifference {
  readonly figure: string;
  readonly card: number;
  readonly recomputed: number;
  readonly difference: number;
}

export interface ReproduceResult {
  readonly card: ModelCard;
  readonly evaluation: EvaluationResult;
  readonly differences: readonly FigureDifference[];
  readonly tolerance: number;
  /** True when every figure is within the tolerance. */
  readonly reproduced: boolean;
}

/**
 * Evaluates the model in `modelDir` on its card's validation split of the GID tiles in `gidDir`.
 * A split that does not give the card's validation image ids (different data) is a
 * {@link TrainingDataError}.
 */
export async function reproduceModelCard(
  modelDir: string,
  gidDir: string,
  tolerance = DEFAULT_REPRODUCE_TOLERANCE,
  onImage?: (done: number, total: number) => void,
): Promise<ReproduceResult> {
  const card = await readModelCard(modelDir);
  const classifier = await Classifier.load(modelDir);
  try {
    // Cards written before resampling existed have no such keys: the tiles as they are.
    const trained = card.training.config as { resampleFactor?: number; minLabelShare?: number };
    const images = await loadGidImages(gidDir, classifier.classes, pyramidCell(classifier.meta.features), {
      resampling: { factor: trained.resampleFactor ?? 1, minLabelShare: trained.minLabelShare ?? 0.6 },
    });
    const valIds = splitByImage(
      images.map((i) => i.id),
      card.validation.split.seed,
      card.validation.split.fraction,
    );
    const expected = new Set(card.validation.imageIds);
    const missing = [...expected].filter((id) => !valIds.has(id));
    const extra = [...valIds].filter((id) => !expected.has(id));
    if (missing.length > 0 || extra.length > 0) {
      throw new TrainingDataError(
        gidDir,
        `the split does not reproduce the card's validation images (${missing.length} missing, e.g. ${missing.slice(0, 3).join(", ")}; ${extra.length} extra, e.g. ${extra.slice(0, 3).join(", ")})`,
      );
    }
    const val = images.filter((i) => valIds.has(i.id));
    const evaluation = evaluateClassifier(classifier, val, onImage);
    const pairs: Array<[string, number, number]> = [
      ["grouped OA", card.validation.grouped.overallAccuracy, evaluation.grouped.overallAccuracy],
      ["fine OA", card.validation.fine.overallAccuracy, evaluation.fine.overallAccuracy],
      ...card.validation.grouped.perClass
        .filter((c) => c.support > 0)
        .map((c): [string, number, number] => [`F1 ${c.name}`, c.f1, f1Of(evaluation.grouped, c.name)]),
    ];
    const differences = pairs.map(([figure, a, b]) => ({
      figure,
      card: a,
      recomputed: b,
      difference: b - a,
    }));
    return {
      card,
      evaluation,
      differences,
      tolerance,
      reproduced: differences.every((d) => Math.abs(d.difference) <= tolerance),
    };
  } finally {
    classifier.dispose();
  }
}
