/**
 * `patrol train --out DIR --model-id ID (--gid DIR | --pairs DIR | --image FILE --polygons FILE)`:
 * trains a land-cover classifier and writes model.json + weights.bin + model card into DIR.
 */
import { readFile } from "node:fs/promises";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { useBackend } from "../../classify/backend.js";
import { ConfigError } from "../../core/errors.js";
import {
  RGB_FEATURE_SPEC,
  featureSpecSchema,
  pyramidCell,
  type FeatureSpec,
} from "../../classify/features.js";
import { loadGidImages } from "../../classify/gid-dataset.js";
import { readCardNotes, type CardNotes } from "../../classify/model-card.js";
import { loadPolygonTraining, loadRasterPairs, readClassMapping } from "../../classify/training-sources.js";
import { runTraining } from "../../classify/train-run.js";
import { trainConfigSchema, type TrainConfigInput } from "../../classify/train.js";
import type { LabelledImage } from "../../classify/labelled-image.js";

interface TrainOptions {
  out: string;
  modelId: string;
  gid?: string;
  pairs?: string;
  image?: string;
  polygons?: string;
  classField?: string;
  classMap?: string;
  labelMap?: string;
  profile: string;
  config?: string;
  cardNotes?: string;
  epochs?: string;
  samples?: string;
  seed?: string;
  hidden?: string;
  backend?: string;
}

function defaultNotes(o: TrainOptions, source: string): CardNotes {
  return {
    title: `Land-cover classifier ${o.modelId}`,
    trainingData: source,
    licence: "as the training data's licence",
    intendedUse:
      "Per-pixel land cover for the cropland patrol; a patch is a lead for field verification, never a verdict.",
    experiments: [],
    limitations: [],
  };
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    throw new ConfigError(file, "cannot read as JSON", { cause: e });
  }
}

export function registerTrainCommand(program: Command): void {
  program
    .command("train")
    .description("train a land-cover classifier; writes model.json, weights.bin and a model card")
    .requiredOption("--out <dir>", "output model folder, e.g. models/my-model")
    .requiredOption("--model-id <id>", "model id (lower-case, digits, . _ -)")
    .option("--gid <dir>", "GID folder holding gid-mtl15/ and gid-mtl5/ (PNG image + label pairs)")
    .option("--pairs <dir>", "folder of GeoTIFF pairs NAME.tif + NAME_label.tif (needs --label-map)")
    .option("--label-map <file>", 'JSON {"<label value>": "<class>" | ["<class>", …] | "ignore"} for --pairs')
    .option("--image <file>", "GeoTIFF image whose pixels the --polygons label")
    .option("--polygons <file>", "GeoJSON label polygons with a class-code field (e.g. a DLTB layer)")
    .option("--class-field <name>", "polygon property holding the class code", "DLBM")
    .option(
      "--class-map <file>",
      'JSON {"<code>": "<class>"}; default maps GB/T 21010 codes (DLBM) to classes',
    )
    .option("--profile <name>", "sensor profile of GeoTIFF inputs", "rgb")
    .option("--config <file>", "JSON training config (see src/classify/train.ts); flags below override it")
    .option(
      "--card-notes <file>",
      "JSON hand-written model-card parts (title, data, licence, experiments, limits)",
    )
    .option("--epochs <n>", "training epochs")
    .option("--samples <n>", "training pixels sampled (class-balanced)")
    .option("--seed <n>", "seed of the split, sampling and initialisation")
    .option("--hidden <widths>", "hidden layer widths, e.g. 32,24")
    .option("--backend <name>", "tfjs backend: wasm (default), cpu or node; or set PATROL_TF_BACKEND")
    .action(async (o: TrainOptions) => {
      await useBackend(o.backend);
      const fileConfig = o.config ? ((await readJson(o.config)) as Partial<TrainConfigInput>) : {};
      const features: FeatureSpec = fileConfig.features
        ? featureSpecSchema.parse(fileConfig.features)
        : RGB_FEATURE_SPEC;
      const config: TrainConfigInput = {
        groundResolutionM: 4,
        inputDescription: "Reflectance per the sensor profile (8-bit DN / 255 for the rgb profile).",
        ...fileConfig,
        features,
        modelId: o.modelId,
        ...(o.epochs ? { epochs: Number(o.epochs) } : {}),
        ...(o.samples ? { samples: Number(o.samples) } : {}),
        ...(o.seed ? { seed: Number(o.seed) } : {}),
        ...(o.hidden ? { hidden: o.hidden.split(",").map(Number) } : {}),
      };
      const parsed = trainConfigSchema.safeParse(config);
      if (!parsed.success) throw new ConfigError(o.config ?? "train options", parsed.error.message);
      const classes = parsed.data.classes;
      const cell = pyramidCell(features);

      // Bars on a terminal; plain lines per epoch when stderr is a file or pipe.
      const tty = process.stderr.isTTY === true;
      const bars = new cliProgress.MultiBar(
        {
          format: " {stage} |{bar}| {value}/{total} {info}",
          hideCursor: true,
          clearOnComplete: false,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      );
      let images: LabelledImage[];
      let source: string;
      const quiet = {
        setTotal: (_t: number): void => undefined,
        update: (_v: number, _p?: object): void => undefined,
      };
      const bar = (total: number, stage: string): typeof quiet =>
        tty ? bars.create(total, 0, { stage, info: "" }) : quiet;
      const loadBar = bar(1, "loading   ");
      const onLoad = (d: number, t: number): void => {
        loadBar.setTotal(t);
        loadBar.update(d);
      };
      if (o.gid) {
        images = await loadGidImages(o.gid, classes, cell, {
          resampling: { factor: parsed.data.resampleFactor, minLabelShare: parsed.data.minLabelShare },
          onTile: onLoad,
        });
        source = `GID tiles from ${o.gid}`;
      } else if (parsed.data.resampleFactor > 1) {
        throw new ConfigError(o.config ?? "train options", "resampleFactor applies to --gid tiles only");
      } else if (o.pairs) {
        if (!o.labelMap) throw new ConfigError("train", "--pairs needs --label-map");
        const mapping = readClassMapping(await readJson(o.labelMap), o.labelMap);
        images = await loadRasterPairs(o.pairs, o.profile, features, mapping, classes, onLoad);
        source = `GeoTIFF pairs from ${o.pairs}`;
      } else if (o.image && o.polygons) {
        const codeMap = o.classMap ? readClassMapping(await readJson(o.classMap), o.classMap) : null;
        images = await loadPolygonTraining(
          {
            image: o.image,
            polygons: o.polygons,
            classField: o.classField ?? "DLBM",
            codeMap,
            profile: o.profile,
          },
          features,
          classes,
          onLoad,
        );
        source = `${o.image} labelled by ${o.polygons} (${o.classField})`;
      } else {
        throw new ConfigError("train", "give --gid DIR, --pairs DIR, or --image FILE with --polygons FILE");
      }
      const notes = o.cardNotes ? await readCardNotes(o.cardNotes) : defaultNotes(o, source);
      const sampleBar = bar(images.length, "sampling  ");
      const trainBar = bar(1, "training  ");
      const evalBar = bar(1, "evaluating");
      let lastVal = NaN;
      const result = await runTraining(images, parsed.data, o.out, notes, {
        onStage: (stage, done, total) => {
          if (stage === "sampling") {
            sampleBar.setTotal(total);
            sampleBar.update(done);
          }
          if (stage === "evaluating") {
            evalBar.setTotal(total);
            evalBar.update(done);
          }
        },
        onEpoch: (r) => {
          if (Number.isFinite(r.valAccuracy)) lastVal = r.valAccuracy;
          const info = `epoch ${r.epoch}/${r.epochs} loss ${r.loss.toFixed(3)} val acc ${Number.isFinite(lastVal) ? (100 * lastVal).toFixed(1) + "%" : "–"}`;
          trainBar.setTotal(r.epochs * r.batches);
          trainBar.update((r.epoch - 1) * r.batches + r.batch, { info });
          if (!tty && Number.isFinite(r.valAccuracy)) process.stderr.write(`training ${info}\n`);
        },
      });
      if (tty) bars.stop();
      const ev = result.evaluation;
      process.stdout.write(
        `wrote ${o.out}: ${result.trainIds.length} training / ${result.validationIds.length} validation images, ` +
          `${result.trainSamples} samples, ${result.seconds.toFixed(0)} s\n` +
          (ev
            ? `validation (grouped classes): OA ${(100 * ev.grouped.overallAccuracy).toFixed(2)}%, ` +
              ev.grouped.perClass
                .filter((c) => c.support > 0)
                .map((c) => `${c.name} F1 ${c.f1.toFixed(3)}`)
                .join(", ") +
              "\n"
            : "no validation images (validation fraction 0)\n") +
          (result.augmentation
            ? `copy-paste: ${result.augmentation.parcels} parcels in ${result.augmentation.augmentedImages} of ` +
              `${result.augmentation.eligibleImages} mostly-cropland training images, ` +
              `${result.augmentation.pastedSamples} pasted training pixels\n`
            : ""),
      );
      result.classifier.dispose();
    });
}
