/**
 * What `patrol review` opens for an existing run's output: its summary.json, the manifest it names
 * (or one given), and the after imagery only (no model, baseline or checksums), so the pages of a
 * finished run can be rewritten in seconds.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { formatZodIssues, parseDetectionConfig } from "../config/detection-config.js";
import { insideOutput, loadManifest, resolveSource } from "../config/manifest.js";
import { ConfigError, PatrolError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { registerCrs } from "../ingest/crs.js";
import { buildMosaic } from "../ingest/mosaic.js";
import { openRaster } from "../ingest/raster-source.js";
import type { RasterSource } from "../ingest/raster-source-types.js";
import { checkBandCount, profileFromSpec, type SensorProfile } from "../ingest/sensor-profile.js";
import type { ReviewRun, ReviewSummary } from "./write-review-pages.js";

const summarySchema = z.looseObject({
  runId: z.string(),
  month: z.string(),
  status: z.string().optional(),
  manifest: z.string(),
  config: z.unknown(),
  counties: z.array(
    z.looseObject({
      adcode: z.string(),
      name: z.string(),
      prefectureAdcode: z.string(),
      issues: z.number(),
      approved: z.number(),
      areaM2: z.number(),
      byType: z.record(z.string(), z.looseObject({ count: z.number() })),
      file: z.string().nullable(),
    }),
  ),
});

export interface OpenedReviewRun {
  readonly run: ReviewRun;
  readonly summary: ReviewSummary;
  readonly manifestFile: string;
  /** Closes the after rasters. */
  close(): Promise<void>;
}

export interface OpenReviewOptions {
  /** The run's output folder (holding summary.json); default the manifest's `output`. */
  readonly outDir?: string;
  /** The run's manifest; default the one summary.json names. */
  readonly manifestFile?: string;
  readonly logger: Logger;
}

async function readSummary(outDir: string): Promise<z.infer<typeof summarySchema>> {
  const file = insideOutput(outDir, "summary.json");
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, "utf8"));
  } catch (cause) {
    throw new ConfigError(file, `cannot read the run's summary (is this a finished run's output folder?)`, {
      cause,
    });
  }
  const parsed = summarySchema.safeParse(data);
  if (!parsed.success) throw new ConfigError(file, `not a run summary: ${formatZodIssues(parsed.error)}`);
  return parsed.data;
}

/**
 * Opens a finished run for the review stage. Give the output folder, the manifest, or both (the
 * output folder then overrides the manifest's, as `patrol detect --out` does). Tiles that cannot be
 * opened are left out with a warning (their area is black on the overview).
 */
export async function openReviewRun(options: OpenReviewOptions): Promise<OpenedReviewRun> {
  let manifestFile = options.manifestFile;
  let outDir = options.outDir ? path.resolve(options.outDir) : undefined;
  let summary: z.infer<typeof summarySchema> | undefined;
  if (!manifestFile) {
    if (!outDir)
      throw new ConfigError("patrol review", "give the run's output folder (--run) or its manifest");
    summary = await readSummary(outDir);
    manifestFile = path.resolve(summary.manifest);
  }
  const { manifest, baseDir } = await loadManifest(manifestFile).catch((e: unknown) => {
    if (options.manifestFile || !(e instanceof ConfigError)) throw e;
    throw new ConfigError(
      manifestFile!,
      `${e.problem}; summary.json names this manifest (relative to where the run was started): pass --manifest`,
      { cause: e },
    );
  });
  outDir ??= path.resolve(baseDir, manifest.output);
  summary ??= await readSummary(outDir);
  if (summary.runId !== manifest.runId)
    throw new ConfigError(
      insideOutput(outDir, "summary.json"),
      `written by run ${summary.runId}, but the manifest is run ${manifest.runId}`,
    );
  const config = parseDetectionConfig(summary.config, `${insideOutput(outDir, "summary.json")} config`);

  for (const [code, def] of Object.entries(manifest.crsDefinitions)) registerCrs(code, def);
  const rasters: RasterSource[] = [];
  let profile: SensorProfile | null = null;
  for (const tile of manifest.tiles) {
    let raster: RasterSource | null = null;
    try {
      const p = profileFromSpec(tile.after.profile, manifest.profile, manifestFile);
      raster = await openRaster(resolveSource(baseDir, tile.after.source));
      checkBandCount(p, raster);
      rasters.push(raster);
      profile ??= p;
    } catch (e) {
      if (!(e instanceof PatrolError)) throw e;
      await raster?.close();
      options.logger.warn({ tileId: tile.id, err: e.message }, "tile left out of the review overview");
    }
  }
  if (rasters.length === 0 || !profile)
    throw new ConfigError(manifestFile, "no after image of the run could be opened");
  const after = buildMosaic(rasters);
  return {
    run: { outDir, after, afterProfile: profile, config },
    summary,
    manifestFile,
    close: async () => {
      await Promise.all(rasters.map((r) => r.close()));
    },
  };
}
