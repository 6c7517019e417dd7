/**
 * Training a classifier from labelled images: split by image (seeded, stratified by folder),
 * class-balanced pixel sampling, features computed once, dense head fitted, standardisation folded
 * into the first layer, evaluation on every pixel of the validation images.
 */
import { z } from "zod";
import { LAND_COVER_IDS } from "../core/land-cover.js";
import { Classifier, CLASSIFIER_FORMAT, type ClassifierMeta } from "./classifier.js";
import { copyPasteAugment, copyPasteSchema, type CopyPasteResult } from "./copy-paste.js";
import { TrainingDataError } from "./errors.js";
import { evaluateClassifier, type EvaluationResult } from "./evaluate.js";
import { percentileOfSorted } from "../ingest/radiometric-match.js";
import { featureCount, featureSpecSchema, type BandRole } from "./features.js";
import { buildHead, foldStandardisation, trainHead, type EpochReport } from "./head.js";
import { perturbRadiometry, sampleFeatures, splitByImage, type LabelledImage } from "./labelled-image.js";

export const trainConfigSchema = z
  .object({
    modelId: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    /** Output classes, in probability-channel order. */
    classes: z
      .array(z.enum(LAND_COVER_IDS))
      .min(2)
      .default(["cropland", "orchard", "trees", "grass", "turf", "water", "pond", "built_up"]),
    features: featureSpecSchema,
    /** Hidden layer widths. The first dominates inference cost (it runs as a 3×3 convolution). */
    hidden: z.array(z.number().int().positive()).min(1).default([48, 32]),
    epochs: z.number().int().positive().default(5),
    batchSize: z.number().int().positive().default(512),
    learningRate: z.number().positive().default(3e-3),
    /** Learning-rate factor per epoch. */
    decay: z.number().positive().max(1).default(0.7),
    /** Training pixels sampled over all training images. More: slower, slightly better. */
    samples: z.number().int().positive().default(400_000),
    /** Class balancing exponent (0 equal per label, 1 natural frequencies). */
    balancePower: z.number().min(0).max(1).default(0.5),
    /** Share of images (per folder) held out for validation. */
    validationFraction: z.number().min(0).max(0.9).default(0.2),
    /** Pixels sampled from validation images for the per-epoch accuracy shown while training. */
    validationSamples: z.number().int().positive().default(50_000),
    seed: z.number().int().default(1),
    /**
     * GID only: average each resampleFactor × resampleFactor block of the ~4 m tiles into one
     * training pixel (7: ~28 m, for Landsat-class imagery). 1 trains on the tiles as they are.
     */
    resampleFactor: z.number().int().min(1).max(32).default(1),
    /**
     * With resampleFactor > 1: a coarse pixel keeps its majority grouped class only when that
     * class covers at least this share of it; mixed pixels are left unlabelled.
     */
    minLabelShare: z.number().min(0).max(1).default(0.6),
    /**
     * Radiometric augmentation of the training images (never the validation images): each
     * training image is added `copies` more times with reflectance × g_b + o_b, where g_b is one
     * gain per image (log-uniform within ×/÷ (1 + gain)) times a per-band factor 1 ± bandGain and
     * o_b is uniform within ± offset (haze, sensor offsets). Makes the model tolerate radiometry
     * that a linear bridge between sensors leaves unmatched.
     */
    augment: z
      .object({
        copies: z.number().int().min(1).max(8),
        gain: z.number().min(0).max(2),
        bandGain: z.number().min(0).max(0.5),
        offset: z.number().min(0).max(0.5),
      })
      .strict()
      .optional(),
    /** Ground resolution of the training imagery in metres (recorded in the model). */
    groundResolutionM: z.number().positive(),
    /** What the input values mean, for the model card. */
    inputDescription: z.string(),
    /**
     * Copy-paste augmentation of the training images (never the validation ones): parcels of
     * other classes pasted into mostly-cropland images before their features are computed, so
     * the context pyramid sees small changes inside fields (see src/classify/copy-paste.ts for
     * each option's default). Absent: no augmentation.
     */
    copyPaste: copyPasteSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.copyPaste) return;
    if (!c.classes.includes("cropland")) {
      ctx.addIssue({
        code: "custom",
        path: ["copyPaste"],
        message: "copy-paste needs cropland among the classes",
      });
    }
    for (const cls of c.copyPaste.classes) {
      if (!c.classes.includes(cls)) {
        ctx.addIssue({
          code: "custom",
          path: ["copyPaste", "classes"],
          message: `${cls} is not a model class`,
        });
      }
    }
  });

export type TrainConfig = z.infer<typeof trainConfigSchema>;
export type TrainConfigInput = z.input<typeof trainConfigSchema>;

export interface TrainHooks {
  readonly onStage?: (stage: "sampling" | "training" | "evaluating", done: number, total: number) => void;
  readonly onEpoch?: (r: EpochReport) => void;
}

export interface TrainResult {
  readonly classifier: Classifier;
  readonly config: TrainConfig;
  readonly trainIds: readonly string[];
  readonly validationIds: readonly string[];
  readonly history: readonly EpochReport[];
  readonly evaluation: EvaluationResult | null;
  readonly trainSamples: number;
  readonly seconds: number;
  /** What copy-paste augmentation did, when configured. */
  readonly augmentation: AugmentationSummary | null;
}

export interface AugmentationSummary {
  /** Mostly-cropland training images that could receive parcels. */
  readonly eligibleImages: number;
  readonly augmentedImages: number;
  readonly parcels: number;
  readonly parcelsByClass: Readonly<Record<string, number>>;
  /** Pasted pixels among the training samples. */
  readonly pastedSamples: number;
}

function summarise(r: CopyPasteResult, pastedSamples: number): AugmentationSummary {
  const parcelsByClass: Record<string, number> = {};
  for (const p of r.parcels) parcelsByClass[p.cls] = (parcelsByClass[p.cls] ?? 0) + 1;
  return {
    eligibleImages: r.eligible,
    augmentedImages: r.pasted.size,
    parcels: r.parcels.length,
    parcelsByClass,
    pastedSamples,
  };
}

/**
 * The train/validation split by image ({@link splitByImage}) and, when configured, copy-paste
 * augmentation of the training images alone: validation images are always the inputs unchanged.
 */
export function splitForTraining(
  images: readonly LabelledImage[],
  config: TrainConfig,
): { train: LabelledImage[]; val: LabelledImage[]; augmented: CopyPasteResult | null } {
  const valIds = splitByImage(
    images.map((i) => i.id),
    config.seed,
    config.validationFraction,
  );
  const original = images.filter((i) => !valIds.has(i.id));
  const val = images.filter((i) => valIds.has(i.id));
  if (original.length === 0) throw new TrainingDataError(config.modelId, "every image went to validation");
  const augmented = config.copyPaste
    ? copyPasteAugment(original, config.classes, config.copyPaste, config.seed)
    : null;
  return { train: augmented ? augmented.images : original, val, augmented };
}

/** Percentiles of each band's reflectance matched by radiometric matching (ingest/radiometric-match.ts). */
export const RADIOMETRY_PERCENTILES: readonly [number, number] = [2, 98];

/**
 * Each band's reflectance at {@link RADIOMETRY_PERCENTILES} over every pixel of the training
 * images (before augmentation): what the model has learned "dark" and "bright" to look like.
 */
export function trainingRadiometry(
  images: readonly LabelledImage[],
  bands: readonly BandRole[],
): NonNullable<ClassifierMeta["input"]["radiometry"]> {
  const out: Partial<Record<BandRole, [number, number]>> = {};
  // Every step-th pixel, so 4 m training (40 M pixels) sorts about 2 M values per band.
  const total = images.reduce((s, img) => s + img.width * img.height, 0);
  const step = Math.max(1, Math.ceil(total / 2_000_000));
  bands.forEach((band, b) => {
    const values: number[] = [];
    for (const img of images) {
      const n = img.width * img.height;
      for (let i = 0; i < n; i += step)
        values.push((img.pixels[b * n + i] as number) * img.scale + img.offset);
    }
    values.sort((x, y) => x - y);
    out[band] = [
      percentileOfSorted(values, RADIOMETRY_PERCENTILES[0]),
      percentileOfSorted(values, RADIOMETRY_PERCENTILES[1]),
    ];
  });
  return { percentiles: [...RADIOMETRY_PERCENTILES], bands: out };
}

export async function trainClassifier(
  images: readonly LabelledImage[],
  configInput: TrainConfigInput,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  const config = trainConfigSchema.parse(configInput);
  const t0 = performance.now();
  if (images.length === 0) throw new TrainingDataError(config.modelId, "no training images");
  const { train, val, augmented } = splitForTraining(images, config);
  const augment = config.augment;
  const trainSet = augment
    ? [
        ...train,
        ...train.flatMap((img) =>
          Array.from({ length: augment.copies }, (_, k) =>
            perturbRadiometry(img, config.features.bands.length, augment, config.seed + k + 1, `aug${k + 1}`),
          ),
        ),
      ]
    : train;
  const sampled = sampleFeatures(
    trainSet,
    config.features,
    {
      budget: config.samples,
      balancePower: config.balancePower,
      seed: config.seed,
      ...(augmented && config.copyPaste
        ? { boost: { masks: augmented.pasted, factor: config.copyPaste.sampleBoost } }
        : {}),
    },
    (d, t) => hooks.onStage?.("sampling", d, t),
  );
  if (sampled.count === 0)
    throw new TrainingDataError(config.modelId, "the training images have no labelled pixels");
  const valSampled =
    val.length > 0
      ? sampleFeatures(val, config.features, {
          budget: config.validationSamples,
          balancePower: 1,
          seed: config.seed + 1,
        })
      : null;
  hooks.onStage?.("training", 0, config.epochs);
  const model = buildHead(featureCount(config.features), config.classes.length, {
    hidden: config.hidden,
    seed: config.seed,
  });
  const { mean, std, history } = await trainHead(
    model,
    config.classes,
    sampled,
    valSampled,
    {
      epochs: config.epochs,
      batchSize: config.batchSize,
      learningRate: config.learningRate,
      decay: config.decay,
      seed: config.seed,
    },
    hooks.onEpoch,
  );
  foldStandardisation(model, mean, std);
  const meta: ClassifierMeta = {
    format: CLASSIFIER_FORMAT,
    modelId: config.modelId,
    classes: config.classes,
    features: config.features,
    input: {
      groundResolutionM: config.groundResolutionM,
      description: config.inputDescription,
      radiometry: trainingRadiometry(train, config.features.bands),
    },
  };
  const classifier = Classifier.fromModel(meta, model);
  const evaluation =
    val.length > 0
      ? evaluateClassifier(classifier, val, (d, t) => hooks.onStage?.("evaluating", d, t))
      : null;
  return {
    classifier,
    config,
    trainIds: train.map((i) => i.id),
    validationIds: val.map((i) => i.id),
    history,
    evaluation,
    trainSamples: sampled.count,
    seconds: (performance.now() - t0) / 1000,
    augmentation: augmented ? summarise(augmented, sampled.boosted ?? 0) : null,
  };
}
