/**
 * `patrol classify IMAGE --out DIR [--model DIR] [--profile NAME] [--radiometric-match] [--backend wasm|cpu|node]`:
 * writes IMAGE's land-cover class map and per-class probabilities as GeoTIFFs on its grid. Warns,
 * as `patrol detect` does, when the image's pixels are far from the model's ground resolution.
 */
import { mkdir } from "node:fs/promises";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { useBackend } from "../../classify/backend.js";
import { Classifier } from "../../classify/classifier.js";
import { classifyRaster } from "../../classify/classify-raster.js";
import { landCoverByCode } from "../../core/land-cover.js";
import { openRaster } from "../../ingest/raster-source.js";
import { resolveSensorProfile } from "../../ingest/sensor-profile.js";
import { matchImagery, requireRadiometry, warnOnResolutionMismatch } from "../../detect/run-inputs.js";
import { createLogger } from "../../core/logger.js";

import { DEFAULT_MODEL_DIR } from "../../classify/default-model.js";

interface ClassifyOptions {
  out: string;
  model: string;
  profile: string;
  backend?: string;
  stripRows?: string;
  windowColumns?: string;
  radiometricMatch?: boolean;
}

export function registerClassifyCommand(program: Command): void {
  program
    .command("classify")
    .description("classify a GeoTIFF: class map and per-class probabilities (uint8) on its grid")
    .argument("<image>", "GeoTIFF/COG path or http(s) URL")
    .requiredOption("--out <dir>", "output folder")
    .option("--model <dir>", "model folder (model.json + weights.bin)", DEFAULT_MODEL_DIR)
    .option("--profile <name>", "sensor profile of the image (rgb, rgbn, sentinel2-l1c-13, …)", "rgb")
    .option(
      "--radiometric-match",
      "map the image's band percentiles onto the model's training radiometry (as a manifest's radiometricMatch)",
    )
    .option("--backend <name>", "tfjs backend: wasm (default), cpu or node; or set PATROL_TF_BACKEND")
    .option("--strip-rows <n>", "rows per strip (memory vs halo overhead)")
    .option("--window-columns <n>", "columns per window")
    .action(async (image: string, o: ClassifyOptions) => {
      const backend = await useBackend(o.backend);
      const profile = resolveSensorProfile(o.profile);
      const classifier = await Classifier.load(o.model);
      try {
        const source = await openRaster(image);
        try {
          const logger = createLogger();
          if (source.crs)
            warnOnResolutionMismatch(classifier, { affine: source.affine, crs: source.crs }, logger);
          let readAs = profile;
          if (o.radiometricMatch) {
            const reference = requireRadiometry(classifier, o.model, "--radiometric-match");
            readAs = await matchImagery(reference, [source], profile, "the image", image, logger);
          }
          await mkdir(o.out, { recursive: true });
          const bar = new cliProgress.SingleBar(
            { format: " classifying |{bar}| {value}/{total} rows", stream: process.stderr, hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          bar.start(source.height, 0);
          const r = await classifyRaster(classifier, source, {
            profile: readAs,
            outDir: o.out,
            ...(o.stripRows ? { stripRows: Number(o.stripRows) } : {}),
            ...(o.windowColumns ? { windowColumns: Number(o.windowColumns) } : {}),
            onProgress: (d) => bar.update(d),
          });
          bar.stop();
          const shares = Object.entries(r.classCounts)
            .sort((a, b) => b[1] - a[1])
            .map(
              ([code, n]) =>
                `${landCoverByCode(Number(code))?.id ?? code} ${((100 * n) / r.pixels).toFixed(1)}%`,
            )
            .join(", ");
          process.stdout.write(
            `${r.classMapPath}\n${r.probabilitiesPath}\n` +
              `${r.pixels} pixels in ${r.seconds.toFixed(1)} s (${(r.pixels / r.seconds / 1e6).toFixed(2)} Mpx/s, ` +
              `backend ${backend}, model ${classifier.meta.modelId}): ${shares}\n`,
          );
        } finally {
          await source.close();
        }
      } finally {
        classifier.dispose();
      }
    });
}
