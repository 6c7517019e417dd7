/**
 * One training run end to end: train, save model.json + weights, write the model card. The CLI's
 * `patrol train` and the script that builds the shipped model both call this.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { featureCount } from "./features.js";
import { goalsOf, writeModelCard, type CardNotes, type ModelCard } from "./model-card.js";
import { WEIGHTS_BIN } from "./model-io.js";
import { trainClassifier, type TrainHooks, type TrainConfigInput, type TrainResult } from "./train.js";
import type { LabelledImage } from "./labelled-image.js";
import { TrainingDataError } from "./errors.js";

export const SPLIT_METHOD =
  "by image: within each folder (GID scene class), images ordered by a seeded hash of their id; the first share held out";

export interface TrainRunResult extends TrainResult {
  readonly card: ModelCard | null;
  readonly outDir: string;
}

/**
 * Trains on `images`, saves the model into `outDir` and, when there is a validation split,
 * writes model-card.json and MODEL_CARD.md with its figures.
 */
export async function runTraining(
  images: readonly LabelledImage[],
  config: TrainConfigInput,
  outDir: string,
  notes: CardNotes,
  hooks: TrainHooks = {},
): Promise<TrainRunResult> {
  const result = await trainClassifier(images, config, hooks);
  await result.classifier.save(outDir);
  const weightBytes = (await stat(path.join(outDir, WEIGHTS_BIN))).size;
  const ev = result.evaluation;
  if (!ev) return { ...result, card: null, outDir };
  const parameters = result.classifier.model.countParams();
  if (ev.grouped.pixels === 0)
    throw new TrainingDataError(outDir, "the validation images have no labelled pixels");
  const card: ModelCard = {
    modelId: result.config.modelId,
    createdAt: new Date().toISOString(),
    notes,
    input: {
      bands: result.config.features.bands,
      groundResolutionM: result.config.groundResolutionM,
      description: result.config.inputDescription,
    },
    classes: result.config.classes,
    architecture: {
      featureSpec: result.config.features,
      featureCount: featureCount(result.config.features),
      hidden: result.config.hidden,
      parameters,
      weightBytes,
    },
    training: {
      config: result.config,
      trainImages: result.trainIds.length,
      trainSamples: result.trainSamples,
      seconds: result.seconds,
      history: result.history.map((h) => ({ epoch: h.epoch, loss: h.loss, valAccuracy: h.valAccuracy })),
      backend: tf.getBackend(),
      ...(result.augmentation ? { augmentation: result.augmentation } : {}),
    },
    validation: {
      split: { seed: result.config.seed, fraction: result.config.validationFraction, method: SPLIT_METHOD },
      imageIds: result.validationIds,
      grouped: ev.grouped,
      fine: ev.fine,
    },
    goals: goalsOf(ev.grouped),
  };
  await writeModelCard(outDir, card);
  return { ...result, card, outDir };
}
