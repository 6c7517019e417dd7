/**
 * A loaded classifier: the feature spec and class list from model.json's metadata, the dense head
 * from its weights, and the fast inference path (first layer as convolution + pyramid, the rest
 * as fused matmuls).
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { LAND_COVER_IDS, landCoverClass, type LandCoverId } from "../core/land-cover.js";
import { ModelFileError } from "./errors.js";
import {
  BAND_ROLES,
  disposeSplitFirstLayer,
  featureCount,
  featureSpecSchema,
  firstLayerPreActivation,
  splitFirstLayer,
  type InnerRegion,
  type SplitFirstLayer,
} from "./features.js";
import { fileLoader, fileSaver, MODEL_JSON } from "./model-io.js";

export const CLASSIFIER_FORMAT = "cropland-patrol/classifier@1";

export const classifierMetaSchema = z
  .object({
    format: z.literal(CLASSIFIER_FORMAT),
    modelId: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    /** Output classes in probability-channel order. */
    classes: z.array(z.enum(LAND_COVER_IDS)).min(2),
    features: featureSpecSchema,
    /**
     * The model reads reflectance as the sensor profile defines it (DN × scale + offset); the
     * shipped GID model was trained on 8-bit Gaofen-2 true colour as DN / 255 (the "rgb" profile).
     */
    input: z
      .object({
        /** Ground resolution of the training imagery in metres. */
        groundResolutionM: z.number().positive(),
        /** What the input values mean, for people. */
        description: z.string(),
        /**
         * Low and high percentiles of each band's reflectance over the training images: the
         * target of radiometric matching (ingest/radiometric-match.ts), which maps another
         * sensor's image onto them. Absent in models trained before it was recorded.
         */
        radiometry: z
          .object({
            percentiles: z.tuple([z.number().min(0).max(100), z.number().min(0).max(100)]),
            bands: z.partialRecord(z.enum(BAND_ROLES), z.tuple([z.number(), z.number()])),
          })
          .strict()
          .optional(),
      })
      .strict(),
  })
  .strict();

export type ClassifierMeta = z.infer<typeof classifierMetaSchema>;

/** Reads the classifier metadata of model.json's userDefinedMetadata.patrol. */
export function parseClassifierMeta(source: string, userDefined: unknown): ClassifierMeta {
  const raw = (userDefined as { patrol?: unknown } | undefined)?.patrol;
  const parsed = classifierMetaSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ModelFileError(source, `model.json has no valid classifier metadata: ${parsed.error.message}`);
  }
  return parsed.data;
}

/**
 * A classifier ready for inference. Owns tensors: call {@link Classifier.dispose} when done.
 */
export class Classifier {
  private readonly first: SplitFirstLayer;
  private readonly rest: ReadonlyArray<{ kernel: tf.Tensor2D; bias: tf.Tensor1D }>;

  private constructor(
    readonly meta: ClassifierMeta,
    readonly model: tf.LayersModel,
  ) {
    const weights = model.layers.map((l) => l.getWeights() as [tf.Tensor2D, tf.Tensor1D]);
    const [firstW, ...restW] = weights;
    if (!firstW || restW.length === 0)
      throw new ModelFileError(meta.modelId, "the head needs at least two layers");
    this.first = splitFirstLayer(firstW[0], firstW[1], meta.features);
    this.rest = restW.map(([kernel, bias]) => ({ kernel: tf.clone(kernel), bias: tf.clone(bias) }));
    const last = this.rest[this.rest.length - 1];
    if (last && last.kernel.shape[1] !== meta.classes.length) {
      throw new ModelFileError(
        meta.modelId,
        `the head has ${last.kernel.shape[1]} outputs but the metadata lists ${meta.classes.length} classes`,
      );
    }
  }

  /** Wraps a trained head (LayersModel of dense layers on the explicit features). */
  static fromModel(meta: ClassifierMeta, model: tf.LayersModel): Classifier {
    const inputs = (model.layers[0]?.getWeights()[0]?.shape ?? [])[0];
    if (inputs !== featureCount(meta.features)) {
      throw new ModelFileError(
        meta.modelId,
        `the head reads ${String(inputs)} features but the feature spec makes ${featureCount(meta.features)}`,
      );
    }
    return new Classifier(meta, model);
  }

  /** Loads model.json + weights from `dir`. Missing or corrupt files are a {@link ModelFileError}. */
  static async load(dir: string): Promise<Classifier> {
    const jsonPath = path.join(dir, MODEL_JSON);
    await stat(jsonPath).catch((e: unknown) => {
      throw new ModelFileError(jsonPath, "no model here", { cause: e });
    });
    const handler = fileLoader(dir);
    const artifacts = await (handler.load as () => Promise<tf.io.ModelArtifacts>)();
    const meta = parseClassifierMeta(jsonPath, artifacts.userDefinedMetadata);
    let model: tf.LayersModel;
    try {
      model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    } catch (e) {
      throw new ModelFileError(jsonPath, "tfjs could not build the model from model.json", { cause: e });
    }
    try {
      return Classifier.fromModel(meta, model);
    } catch (e) {
      model.dispose();
      throw e;
    }
  }

  /** Saves model.json (with the metadata) and weights.bin into `dir`. */
  async save(dir: string): Promise<void> {
    this.model.setUserDefinedMetadata({ patrol: this.meta });
    await this.model.save(fileSaver(dir));
  }

  get classes(): readonly LandCoverId[] {
    return this.meta.classes;
  }

  /** Class codes (land-cover codes, see src/core/land-cover.ts) in probability-channel order. */
  get classCodes(): number[] {
    return this.meta.classes.map((c) => landCoverClass(c).code);
  }

  /**
   * Class probabilities of every pixel of an image.
   *
   * @param planar [bands, H, W] reflectance per the sensor profile, bands in meta.features.bands
   *   order; H and W multiples of the pyramid cell.
   * @param inner optional: compute only this region of the window (its own planar cut from the
   *   window, origin and size on the grid of features.innerRegionGeometry); pixels within the
   *   geometry's margin of its border are approximate, the rest equal the whole window's values.
   * @returns [H·W, classes] softmax probabilities, pixels row-major (H × W of the inner region
   *   when given). Tidy: the caller owns the result.
   */
  probabilities(planar: tf.Tensor3D, inner?: InnerRegion): tf.Tensor2D {
    return tf.tidy(() => {
      const pre = firstLayerPreActivation(planar, this.meta.features, this.first, inner);
      const [, h, w] = pre.shape;
      let a = tf.relu(pre).reshape([h * w, this.first.units]) as tf.Tensor2D;
      this.rest.forEach((l, i) => {
        const hidden = i < this.rest.length - 1;
        a = tf.fused.matMul({
          a,
          b: l.kernel,
          bias: l.bias,
          activation: hidden ? "relu" : "linear",
        }) as tf.Tensor2D;
      });
      return tf.softmax(a);
    });
  }

  dispose(): void {
    disposeSplitFirstLayer(this.first);
    for (const l of this.rest) tf.dispose([l.kernel, l.bias]);
    this.model.dispose();
  }
}
