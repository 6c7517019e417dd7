/**
 * The run manifest: what one monthly run processes. JSON or YAML, one strict schema, parsed once.
 * Relative paths resolve against the manifest's folder. Tile ids and the run id become parts of
 * output paths, so they are restricted to a safe alphabet and can never escape the output folder.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import YAML from "yaml";
import { z } from "zod";
import { ConfigError } from "../core/errors.js";
import { detectionConfigSchema, formatZodIssues } from "./detection-config.js";

/** Letters, digits, '.', '_' and '-', starting with a letter or digit; no '/', no '..', no ':'. */
/** Processing window side when a manifest names none (pixels). */
export const DEFAULT_WINDOW_SIZE = 1024;

export const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;
const safeId = z
  .string()
  .regex(SAFE_ID, "must be 1–80 of A–Z a–z 0–9 . _ - starting with a letter or digit (it names output files)")
  .refine((s) => !s.includes(".."), "must not contain '..'");

const isoDate = z.iso.date();

/** A raster: local path (relative to the manifest) or http(s) URL, with its acquisition date. */
const imageSchema = z.strictObject({
  source: z.string().min(1).describe("Path or http(s) URL of a GeoTIFF/COG."),
  date: isoDate.describe("Acquisition date, yyyy-mm-dd."),
  profile: z
    .union([z.string(), z.record(z.string(), z.unknown())])
    .optional()
    .describe("Sensor profile name or inline definition; default: the manifest's `profile`."),
});

const tileSchema = z.strictObject({
  id: safeId.describe("Tile id; names the tile's output folder."),
  after: imageSchema.describe("This month's image."),
  before: imageSchema.describe("The previous image of the same ground (前时相)."),
});

const layerBase = {
  path: z.string().min(1).describe("GeoJSON FeatureCollection, relative to the manifest."),
  crs: z
    .union([z.string(), z.int()])
    .optional()
    .describe("CRS of the coordinates; default the file's, else EPSG:4326."),
};

export const manifestSchema = z.strictObject({
  runId: safeId.describe("Run id; names the output folder and keys the queue jobs."),
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "must be yyyy-mm")
    .describe("Patrol month."),
  runDate: isoDate.optional().describe("Date the run's deadlines count from; default today (UTC)."),
  output: z.string().min(1).describe("Output folder, relative to the manifest; every worker must see it."),
  previousRun: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Output folder of the previous month's run, relative to the manifest; its state/ (tracked issues, per-pixel season history) carries the series on. Absent: the first month of a series.",
    ),
  model: z.string().optional().describe("Model folder; default the shipped model."),
  profile: z
    .union([z.string(), z.record(z.string(), z.unknown())])
    .default("rgb")
    .describe("Default sensor profile of the tiles."),
  radiometricMatch: z
    .boolean()
    .default(false)
    .describe(
      "Map each date's imagery onto the model's training radiometry (per band, the 2nd and 98th percentiles of the date's mosaic onto the model's; see src/ingest/radiometric-match.ts). For sensors unlike the model's, e.g. Landsat DN with a model trained on stretched true colour. Needs a model that records its radiometry.",
    ),
  tiles: z.array(tileSchema).min(1),
  baseline: z.strictObject({
    ...layerBase,
    classField: z.string().default("DLBM"),
    pbfField: z.string().nullable().default("YJJBNT"),
  }),
  counties: z.strictObject({
    ...layerBase,
    adcodeField: z.string().default("adcode"),
    nameField: z.string().default("name"),
    gcj02: z
      .boolean()
      .default(false)
      .describe("The boundaries are GCJ-02-shifted (web map vendors); convert to WGS 84."),
  }),
  exclusions: z
    .array(
      z.strictObject({
        ...layerBase,
        kind: z.string().optional(),
        kindField: z.string().optional(),
        idField: z.string().optional(),
      }),
    )
    .default([]),
  detection: z
    .union([z.string(), detectionConfigSchema])
    .optional()
    .describe("Detection config, inline or a path."),
  windowSize: z
    .int()
    .min(64)
    .max(8192)
    .default(DEFAULT_WINDOW_SIZE)
    .describe(
      "Processing window side, pixels; one queue job per window. Rounded to the model's pyramid cell.",
    ),
  csvHeaders: z
    .enum(["en", "zh"])
    .default("en")
    .describe("Column headers of the issue-list CSV: English field names or Chinese (中文表头)."),
  crsDefinitions: z
    .record(z.string(), z.string())
    .default({})
    .describe("Extra CRS: code → proj4 definition."),
});

export type Manifest = z.infer<typeof manifestSchema>;

/** A parsed manifest plus the folder its relative paths resolve against. */
export interface LoadedManifest {
  readonly manifest: Manifest;
  readonly file: string;
  readonly baseDir: string;
}

/** Parses a manifest object; `file` names it in errors. Also checks tile ids are unique. */
export function parseManifest(input: unknown, file: string): Manifest {
  const result = manifestSchema.safeParse(input);
  if (!result.success) throw new ConfigError(file, formatZodIssues(result.error));
  const seen = new Set<string>();
  for (const t of result.data.tiles) {
    if (seen.has(t.id)) throw new ConfigError(file, `tiles: duplicate tile id ${t.id}`);
    seen.add(t.id);
  }
  return result.data;
}

/** Reads a JSON or YAML manifest from disk. */
export async function loadManifest(file: string): Promise<LoadedManifest> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new ConfigError(
      file,
      `cannot read the manifest (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`,
      { cause },
    );
  }
  let data: unknown;
  try {
    data = /\.ya?ml$/i.test(file) ? YAML.parse(text) : JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(
      file,
      `not valid ${/\.ya?ml$/i.test(file) ? "YAML" : "JSON"}: ${(cause as Error).message}`,
      { cause },
    );
  }
  return { manifest: parseManifest(data, file), file, baseDir: path.dirname(path.resolve(file)) };
}

/** Resolves a manifest-relative path or leaves a URL as it is. */
export function resolveSource(baseDir: string, source: string): string {
  return /^https?:\/\//i.test(source) ? source : path.resolve(baseDir, source);
}

/**
 * Joins path parts under `root` and refuses any result outside it. Every output path built from
 * manifest values goes through here.
 */
export function insideOutput(root: string, ...parts: string[]): string {
  const base = path.resolve(root);
  const full = path.resolve(base, ...parts);
  if (full !== base && !full.startsWith(base + path.sep)) {
    throw new ConfigError(parts.join("/"), `resolves outside the output folder ${base}`);
  }
  return full;
}
