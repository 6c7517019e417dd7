/**
 * The detection config: one strict schema, parsed once at the edge. Every field has a default and
 * a one-line note on its trade-off (`.describe`), which `patrol config defaults` prints; `.prefault({})`
 * fills a missing section by parsing an empty object, so section defaults live in one place. Unknown
 * keys are errors. The resolved config is written into every run's summary.
 */
import { z } from "zod";
import type { ChangeTypeId } from "../core/change-types.js";
import { ConfigError } from "../core/errors.js";

interface RuleDefaults {
  threshold: number;
  minAreaM2: number;
  openingPx: number;
  closingPx: number;
}

function changeRule(d: RuleDefaults) {
  return z
    .strictObject({
      enabled: z.boolean().default(true).describe("Report this change type at all."),
      threshold: z
        .number()
        .min(0)
        .max(1)
        .default(d.threshold)
        .describe(
          "Minimum after-image probability of the type's classes for a pixel to count; higher cuts false alarms and misses faint changes.",
        ),
      minAreaM2: z
        .number()
        .min(0)
        .default(d.minAreaM2)
        .describe(
          "Smallest patch reported, m² (1 mu = 666.7 m²); smaller finds more but costs field visits.",
        ),
      openingPx: z
        .int()
        .min(0)
        .max(5)
        .default(d.openingPx)
        .describe(
          "Morphological opening radius in pixels; removes specks and thin slivers along field edges.",
        ),
      closingPx: z
        .int()
        .min(0)
        .max(5)
        .default(d.closingPx)
        .describe(
          "Morphological closing radius in pixels; joins a patch broken by a few misclassified pixels.",
        ),
    })
    .prefault({});
}

/*
 * Default areas from evidence: forest-loss and land-change alert systems publish from about
 * 0.2–0.4 ha, but Chinese cropland issue lists routinely carry patches under 1 mu (667 m²), and a
 * rural house is 100–200 m². At 4 m (Gaofen-2 class) 200 m² is 12.5 pixels.
 */
const ruleSchemas = {
  construction: changeRule({ threshold: 0.6, minAreaM2: 200, openingPx: 1, closingPx: 1 }),
  pond: changeRule({ threshold: 0.6, minAreaM2: 400, openingPx: 1, closingPx: 1 }),
  orchard: changeRule({ threshold: 0.6, minAreaM2: 667, openingPx: 1, closingPx: 1 }),
  trees: changeRule({ threshold: 0.6, minAreaM2: 667, openingPx: 1, closingPx: 1 }),
  turf: changeRule({ threshold: 0.6, minAreaM2: 667, openingPx: 1, closingPx: 1 }),
  facility: changeRule({ threshold: 0.6, minAreaM2: 400, openingPx: 1, closingPx: 1 }),
  abandonment: changeRule({ threshold: 0.6, minAreaM2: 2000, openingPx: 1, closingPx: 1 }),
} satisfies Record<ChangeTypeId, unknown>;

export const detectionConfigSchema = z.strictObject({
  beforeCroplandThreshold: z
    .number()
    .min(0)
    .max(1)
    .default(0.5)
    .describe(
      "Minimum before-image probability of cropland; lower admits land that was already not farmed, higher drops changes seen through a poor before image.",
    ),
  rules: z
    .strictObject(ruleSchemas)
    .prefault({})
    .describe("Per change type: probability threshold, minimum area, morphology."),
  minPatchPixels: z
    .int()
    .min(1)
    .default(25)
    .describe(
      "Smallest patch reported, in image pixels, whatever minAreaM2 says: below about 5×5 pixels a per-pixel classifier's patches are mostly noise (25 px is 400 m² at 4 m, 2500 m² at 10 m, 2.25 ha at 30 m); lower finds smaller changes on sharp imagery and raises false alarms.",
    ),
  patchTyping: z
    .enum(["dominant", "per-type"])
    .default("dominant")
    .describe(
      "dominant: one patch per connected changed area, typed by the change type covering most of it (one 图斑 for one field visit); per-type: a patch per change type, so a mixed area becomes several adjacent patches.",
    ),
  connectivity: z
    .union([z.literal(4), z.literal(8)])
    .default(4)
    .describe(
      "Pixel connectivity of a patch; 4 matches gdal_polygonize and never yields self-touching rings.",
    ),
  simplifyToleranceM: z
    .number()
    .min(0)
    .default(0)
    .describe(
      "Douglas-Peucker tolerance for outlines, metres; 0 keeps exact pixel edges (areas equal pixel counts), larger gives lighter, smoother outlines.",
    ),
  confidenceLevels: z
    .strictObject({
      high: z
        .number()
        .min(0)
        .max(1)
        .default(0.85)
        .describe("Mean probability at or above which a patch is 'high'."),
      medium: z
        .number()
        .min(0)
        .max(1)
        .default(0.7)
        .describe("Mean probability at or above which a patch is 'medium'."),
    })
    .prefault({}),
  exclusions: z
    .strictObject({
      mode: z
        .enum(["suppress", "mark-approved"])
        .default("mark-approved")
        .describe(
          "What approval layers do to a patch they cover: drop it, or keep it with status 'approved' (auditable).",
        ),
      minCoveredShare: z
        .number()
        .min(0)
        .max(1)
        .default(0.5)
        .describe(
          "Share of a patch's area an approval must cover to apply; lower lets a small approval excuse a large patch.",
        ),
    })
    .prefault({}),
  baselineMismatch: z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe("Write the baseline-mismatch layer (cropland on paper, not on either date)."),
      minAreaM2: z.number().min(0).default(400).describe("Smallest mismatch patch written, m²."),
    })
    .prefault({}),
  deadlines: z
    .strictObject({
      prefectureDays: z
        .int()
        .min(0)
        .default(5)
        .describe("Days after the run date the list is due at the prefecture."),
      countyDays: z
        .int()
        .min(0)
        .default(10)
        .describe("Days after the run date the list is due at the county."),
    })
    .prefault({}),
  history: z
    .strictObject({
      matchMinOverlap: z
        .number()
        .gt(0)
        .max(1)
        .default(0.3)
        .describe(
          "Share of the smaller patch a tracked patch of the same change family must overlap to keep its id; lower links neighbours, higher gives a drifting outline a new id.",
        ),
      minObservedShare: z
        .number()
        .min(0)
        .max(1)
        .default(0.8)
        .describe(
          "Share of a tracked patch that must be observed this month to judge it; below it the patch is carried over unchanged, never resolved. High because the classifier is unreliable next to a cloud edge.",
        ),
      cloudBufferPx: z
        .int()
        .min(0)
        .max(512)
        .default(16)
        .describe(
          "Observed pixels within this many pixels of an unobserved one (cloud, nodata) do not count when judging a tracked patch: the classifier misjudges them (on the demo up to ~16 px from a cloud); larger carries more patches over.",
        ),
      stillAlteredShare: z
        .number()
        .min(0)
        .max(1)
        .default(0.3)
        .describe(
          "Share of a tracked patch's observed pixels still changed or not cropland that keeps it open when no patch matched; lower resolves fewer, higher resolves shrinking patches.",
        ),
      keepResolvedDays: z
        .int()
        .min(0)
        .default(365)
        .describe(
          "Days a resolved patch stays in the state so a patch that comes back gets its old id; longer grows the state.",
        ),
    })
    .prefault({}),
  tiers: z
    .strictObject({
      windowDays: z
        .int()
        .min(1)
        .default(100)
        .describe(
          "Confirmation window: detections within this many days of the latest count; 100 spans three monthly looks with acquisition-date slack, longer confirms flickering patches.",
        ),
      provisionalDetections: z
        .int()
        .min(1)
        .default(2)
        .describe(
          "Detections (months seen changed) within the window for tier 'provisional'; 1 would skip 'first'.",
        ),
      confirmedDetections: z
        .int()
        .min(1)
        .default(3)
        .describe(
          "Detections within the window for tier 'confirmed'; more means fewer false confirmations and a slower list.",
        ),
      publishMinTier: z
        .enum(["first", "provisional", "confirmed"])
        .default("first")
        .describe(
          "Lowest tier put on the county lists; higher spares field visits to one-month flickers but reports a month or two later.",
        ),
    })
    .prefault({}),
  feedback: z
    .strictObject({
      reissueAreaGrowth: z
        .number()
        .min(0)
        .default(0.5)
        .describe(
          "Growth of a patch closed as legal or false positive, as a share of its area when checked, beyond which it is listed again (reopened); lower re-sends more for outline jitter.",
        ),
    })
    .prefault({}),
  chips: z
    .strictObject({
      enabled: z.boolean().default(true).describe("Write before/after image chips per issue."),
      contextM: z.number().min(0).default(40).describe("Context around the patch's bounding box, metres."),
      maxSizePx: z.int().min(64).max(2048).default(384).describe("Longest side of a chip, pixels."),
    })
    .prefault({}),
  review: z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe(
          "Write review/<prefecture>/<county>.html per county at the end of a run; costs one overview read of the after image per county.",
        ),
      overviewMaxPx: z
        .int()
        .min(256)
        .max(8192)
        .default(2048)
        .describe(
          "Longest side of a county's overview image, pixels; larger keeps small patches visible over a wide county, at a heavier page.",
        ),
      overviewContextM: z
        .number()
        .min(0)
        .default(100)
        .describe("Margin around the county's patches in the overview image, metres."),
    })
    .prefault({}),
});

export type DetectionConfig = z.infer<typeof detectionConfigSchema>;
export type ChangeRule = DetectionConfig["rules"][ChangeTypeId];

/** Parses and resolves a detection config; `source` names the file for error messages. */
export function parseDetectionConfig(input: unknown, source = "detection config"): DetectionConfig {
  const result = detectionConfigSchema.safeParse(input ?? {});
  if (!result.success) {
    throw new ConfigError(source, formatZodIssues(result.error));
  }
  if (result.data.confidenceLevels.medium > result.data.confidenceLevels.high) {
    throw new ConfigError(source, "confidenceLevels.medium must not exceed confidenceLevels.high");
  }
  if (result.data.tiers.provisionalDetections > result.data.tiers.confirmedDetections) {
    throw new ConfigError(source, "tiers.provisionalDetections must not exceed tiers.confirmedDetections");
  }
  return result.data;
}

/** One line per problem: "rules.pond.threshold: Too big: expected number to be <=1". */
export function formatZodIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length > 0 ? i.path.join(".") : "(root)"}: ${i.message}`)
    .join("; ");
}
