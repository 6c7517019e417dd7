/**
 * A county's issue list as the review page reads it: the published GeoJSON
 * (`issues/<prefecture>/<county>.geojson`, the contract in DESIGN.md), validated for the fields
 * the page shows. Other properties are allowed (an issue list may carry more than the page shows);
 * `tier` is shown when present (confirmation tiers across months).
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { VectorLayerError } from "../core/errors.js";
import { formatZodIssues } from "../config/detection-config.js";

const position = z.array(z.number()).min(2);
const polygon = z.array(z.array(position).min(4)).min(1);

const geometrySchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("Polygon"), coordinates: polygon }),
  z.object({ type: z.literal("MultiPolygon"), coordinates: z.array(polygon).min(1) }),
]);

const propertiesSchema = z.looseObject({
  id: z.string().min(1),
  county_adcode: z.string(),
  county_name: z.string(),
  prefecture_adcode: z.string(),
  change_type: z.string(),
  change_type_zh: z.string().optional(),
  baseline_class: z.string().optional(),
  area_m2: z.number(),
  area_mu: z.number(),
  pbf_area_m2: z.number(),
  confidence: z.number(),
  confidence_level: z.string(),
  status: z.string(),
  tier: z.union([z.string(), z.number()]).nullable().optional(),
  before_date: z.string().optional(),
  after_date: z.string().optional(),
  before_chip: z.string().nullable().optional(),
  after_chip: z.string().nullable().optional(),
});

const featureSchema = z.object({
  type: z.literal("Feature"),
  geometry: geometrySchema,
  properties: propertiesSchema,
});

/** The properties of one issue that the review page shows. */
export type ReviewIssueProperties = z.infer<typeof propertiesSchema>;

/** One issue as the review page reads it: lon/lat (RFC 7946) geometry and its properties. */
export interface ReviewIssue {
  readonly geometry: z.infer<typeof geometrySchema>;
  readonly properties: ReviewIssueProperties;
}

/** Outer rings and holes of an issue's polygons, lon/lat. */
export function issuePolygons(issue: Pick<ReviewIssue, "geometry">): number[][][][] {
  return issue.geometry.type === "Polygon" ? [issue.geometry.coordinates] : issue.geometry.coordinates;
}

/**
 * Reads and validates a county's issue list; throws VectorLayerError naming the file (and the
 * feature) when it is not a FeatureCollection of issues.
 */
export async function readCountyIssues(file: string): Promise<ReviewIssue[]> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, "utf8"));
  } catch (cause) {
    throw new VectorLayerError(file, `cannot read the issue list: ${(cause as Error).message}`, { cause });
  }
  if (
    typeof data !== "object" ||
    data === null ||
    (data as { type?: unknown }).type !== "FeatureCollection" ||
    !Array.isArray((data as { features?: unknown }).features)
  )
    throw new VectorLayerError(file, "not a GeoJSON FeatureCollection");
  const features = (data as { features: unknown[] }).features;
  return features.map((f, featureIndex) => {
    const parsed = featureSchema.safeParse(f);
    if (!parsed.success)
      throw new VectorLayerError(file, `not an issue: ${formatZodIssues(parsed.error)}`, { featureIndex });
    return { geometry: parsed.data.geometry, properties: parsed.data.properties };
  });
}
