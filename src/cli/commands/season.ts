/**
 * `patrol season`: the per-pixel season history and the abandonment rules over a time series of
 * one grid, month by month (see report/season-series.ts for the outputs).
 *
 *   patrol season --ndvi STACK.tif [--valid V.tif] [--cloud C.tif] [--dates DATES.json] \
 *                 [--cropland CLASSES.tif --cropland-values 1] [--config DETECTION.json] --out DIR
 *   patrol season --image 2016-08-16=a.tif --image 2017-08-27=b.tif --profile rgbn … --out DIR
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import YAML from "yaml";
import { loadDetectionConfigFile, parseDetectionConfig } from "../../config/detection-config.js";
import { ConfigError } from "../../core/errors.js";
import { createLogger } from "../../core/logger.js";
import { resolveSensorProfile } from "../../ingest/sensor-profile.js";
import {
  loadCropland,
  loadImageLooks,
  loadIndexStack,
  runSeasonSeries,
  type SeriesReport,
} from "../../report/season-series.js";

interface SeasonCliOptions {
  ndvi?: string;
  valid?: string;
  cloud?: string;
  dates?: string;
  image: string[];
  profile: string;
  cropland?: string;
  croplandValues?: string;
  classes?: string;
  align: string;
  config?: string;
  out: string;
}

/** Reads a JSON or YAML file (by extension), e.g. the --dates list. */
async function readJsonOrYaml(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new ConfigError(file, "cannot read the file", { cause });
  }
  try {
    return /\.ya?ml$/i.test(file) ? YAML.parse(text) : JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(file, `not valid JSON/YAML: ${(cause as Error).message}`, { cause });
  }
}

/** One line per month: looks, coverage, the rules' verdict and what was reported. */
export function formatSeasonReport(r: SeriesReport): string {
  const lines = [`index ${r.index}, grid ${r.grid.width}×${r.grid.height} ${r.grid.crs}`];
  for (const m of r.months) {
    const cov =
      m.croplandPixels > 0 ? ((100 * m.observedCroplandPixels) / m.croplandPixels).toFixed(1) : "n/a";
    lines.push(
      `  ${m.month} season ${m.season}: ${m.looks} look(s), cropland observed ${cov}%` +
        (m.deciding
          ? `, abandoned by the rules ${m.verdictPixels} px, reported ${m.reportedPixels} px in ${m.patches} patch(es), ${m.reportedAreaM2.toFixed(0)} m²`
          : ", not deciding yet"),
    );
  }
  return lines.join("\n") + "\n";
}

export function registerSeasonCommand(program: Command): void {
  program
    .command("season")
    .description("per-pixel season history and abandonment (撂荒) rules over a time series, month by month")
    .option(
      "--ndvi <file>",
      "stacked vegetation-index series, one band per date (dates in band descriptions)",
    )
    .option("--valid <file>", "validity stack for --ndvi (0 = invalid), same bands")
    .option("--cloud <file>", "cloud-mask stack for --ndvi (non-zero = cloud), same bands")
    .option("--dates <file>", "JSON array of dates (yyyy-mm-dd…) for the --ndvi bands")
    .option(
      "--image <date=file>",
      "a dated image (repeatable): yyyy-mm-dd=path; uses --profile and the spectral cloud test",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option("--profile <name>", "sensor profile of --image files (rgb, rgbn, sentinel2-10, …)", "rgbn")
    .option(
      "--align <mode>",
      "strict: --image files must share one pixel lattice; nearest: resample onto the first",
      "strict",
    )
    .option("--cropland <file>", "cropland raster on the same grid (default: every pixel is cropland)")
    .option(
      "--cropland-values <list>",
      "comma-separated values of --cropland that are cropland (default: non-zero)",
    )
    .option(
      "--classes <file>",
      "class raster on the same grid to break the figures down by (default: --cropland)",
    )
    .option(
      "--config <file>",
      "detection config (JSON/YAML): its abandonment, clouds and rules.abandonment apply",
    )
    .requiredOption("--out <dir>", "output folder")
    .action(async (o: SeasonCliOptions) => {
      const logger = createLogger();
      const config = o.config ? await loadDetectionConfigFile(o.config) : parseDetectionConfig({});
      if ((o.ndvi ? 1 : 0) + (o.image.length > 0 ? 1 : 0) !== 1)
        throw new ConfigError("patrol season", "give either --ndvi or --image (one or more), not both");
      let loaded;
      if (o.ndvi) {
        const dates = o.dates ? ((await readJsonOrYaml(o.dates)) as unknown) : undefined;
        if (dates !== undefined && !(Array.isArray(dates) && dates.every((d) => typeof d === "string")))
          throw new ConfigError(o.dates ?? "--dates", "must be a JSON array of date strings");
        const stack = await loadIndexStack({
          indexFile: o.ndvi,
          ...(o.valid ? { validFile: o.valid } : {}),
          ...(o.cloud ? { cloudFile: o.cloud } : {}),
          ...(dates ? { dates: dates as string[] } : {}),
        });
        loaded = { ...stack, indexKind: "ndvi" as const };
      } else {
        const images = o.image.map((spec) => {
          const m = /^(\d{4}-\d{2}-\d{2})=(.+)$/.exec(spec);
          if (!m) throw new ConfigError(spec, "--image must be yyyy-mm-dd=path");
          return { date: m[1]!, file: m[2]! };
        });
        if (o.align !== "strict" && o.align !== "nearest")
          throw new ConfigError("--align", `must be strict or nearest, got ${o.align}`);
        loaded = await loadImageLooks(images, resolveSensorProfile(o.profile), config, { align: o.align });
      }
      const values = (o.croplandValues ?? "")
        .split(",")
        .filter((s) => s.trim() !== "")
        .map(Number);
      const crop = o.cropland ? await loadCropland(o.cropland, loaded.grid, values) : null;
      const classes = o.classes ? (await loadCropland(o.classes, loaded.grid, [])).classes : null;
      const report = await runSeasonSeries(
        {
          grid: loaded.grid,
          indexKind: loaded.indexKind,
          looks: loaded.looks,
          cropland: crop?.cropland ?? null,
          classes: classes ?? crop?.classes ?? null,
        },
        config,
        o.out,
        logger,
      );
      process.stdout.write(formatSeasonReport(report));
    });
}
