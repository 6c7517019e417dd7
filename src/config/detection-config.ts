/**
 * The detection config: one strict schema, parsed once at the edge. Every field has a default and
 * a one-line note on its trade-off (`.describe`), which `patrol config defaults` prints; `.prefault({})`
 * fills a missing section by parsing an empty object, so section defaults live in one place. Unknown
 * keys are errors. The resolved config is written into every run's summary.
 */
import { readFile } from "node:fs/promises";
import YAML from "yaml";
import { z } from "zod";
import type { ChangeTypeId } from "../core/change-types.js";
import { ConfigError } from "../core/errors.js";

interface RuleDefaults {
  threshold: number;
  minAreaM2: number;
  openingPx: number;
  closingPx: number;
  /** Note on `threshold` where it does not mean an after-image probability. */
  thresholdNote?: string;
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
          d.thresholdNote ??
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
  abandonment: changeRule({
    threshold: 0.4,
    minAreaM2: 2000,
    openingPx: 1,
    closingPx: 1,
    thresholdNote:
      "Abandonment only: minimum share of the season's months so far that observed the pixel (its evidence); higher needs more clear looks before flagging, lower flags on thinner evidence.",
  }),
} satisfies Record<ChangeTypeId, unknown>;

/*
 * Spectral cloud test, for sensor profiles without a quality band (or always, on request).
 * Thresholds follow Fmask (Zhu & Woodcock 2012, RSE 118:83-94, "potential cloud pixel" tests on
 * TOA reflectance): whiteness Σ|b − mean|/mean < 0.7 over the visible bands, HOT = blue −
 * 0.5·red − 0.08 > 0 (haze-optimised transform, Zhang et al. 2002), SWIR2 > 0.03 and NDVI < 0.8
 * where the bands exist; cirrus (Sentinel-2 B10) > 0.01 as Fmask 3.3's cirrus test; 3-pixel
 * dilation as Fmask's default. 8-bit true colour without calibration (GID, the demo) is stretched,
 * so its defaults are stricter on brightness (mean visible DN/255 ≥ 0.6) and whiteness (≤ 0.25);
 * see README "Clouds and coverage" for the measured rates.
 */
const cloudSchema = z
  .strictObject({
    mode: z
      .enum(["auto", "always", "off"])
      .default("auto")
      .describe(
        "auto: spectral test only where the sensor profile has no quality band; always: also on top of it; off: trust nodata/quality only (clouds then look like changes).",
      ),
    brightnessMin: z
      .number()
      .min(0)
      .max(1)
      .default(0.75)
      .describe(
        "8-bit display imagery (DN/255): a cloud's minimum mean visible value; lower catches thin cloud and also bright bare fields, roofs and salt crust (NAIP: 0.6 flags 0.04–19% of cloud-free scenes, 0.75 0.01–0.7%).",
      ),
    reflectanceBrightnessMin: z
      .number()
      .min(0)
      .max(1)
      .default(0.25)
      .describe(
        "Calibrated reflectance (Sentinel-2 and other DN/10000 profiles): a cloud's minimum mean visible reflectance (Sen2Cor step 1: red > 0.25); lower catches thin cloud and bright soil.",
      ),
    textureMax: z
      .number()
      .min(0)
      .default(0.03)
      .describe(
        "Maximum standard deviation of brightness over 5×5 pixels of a cloud (clouds are smooth); lower spares more textured roofs and villages, and misses clouds with structure.",
      ),
    edgeBrightnessShare: z
      .number()
      .min(0)
      .max(1)
      .default(0.6)
      .describe(
        "Cloud edges: share of the brightness threshold into which cloud cores grow; lower catches more of the soft edges, and bright land next to clouds.",
      ),
    edgeGrowPx: z
      .int()
      .min(0)
      .max(64)
      .default(24)
      .describe("How far, pixels, cloud cores grow into their soft edges; limited by the window halo."),
    openingPx: z
      .int()
      .min(0)
      .max(5)
      .default(2)
      .describe(
        "Opening radius, pixels, removing cloud specks before the buffer; larger drops more bright roofs and salt crust, and small clouds.",
      ),
    whitenessMax: z
      .number()
      .min(0)
      .default(0.25)
      .describe(
        "Maximum Σ|b − mean|/mean over the visible bands (Fmask uses 0.7 on TOA); lower keeps coloured bright surfaces (roofs, sand) out, higher catches tinted haze.",
      ),
    hotMin: z
      .number()
      .default(0)
      .describe(
        "Minimum haze-optimised transform blue − 0.5·red − 0.08 (Fmask: > 0); higher drops bright soil and concrete, lower catches thin haze.",
      ),
    swir2Min: z
      .number()
      .default(0.03)
      .describe("Where a SWIR2 band exists, a cloud's minimum SWIR2 reflectance (Fmask basic test 0.03)."),
    ndviMax: z
      .number()
      .default(0.8)
      .describe("Where NIR exists, a cloud's maximum NDVI (Fmask 0.8); vegetation above it is never cloud."),
    cirrusMin: z
      .number()
      .default(0.01)
      .describe(
        "Where a cirrus band (Sentinel-2 B10) exists, TOA reflectance above which a pixel is cirrus (Fmask 3.3: 0.01).",
      ),
    bufferPx: z
      .int()
      .min(0)
      .max(10)
      .default(3)
      .describe(
        "Cloud dilation, pixels (Fmask default 3); covers soft cloud edges at the cost of clear pixels.",
      ),
    shadowDarknessMax: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe(
        "Maximum mean visible reflectance of a cloud shadow; higher catches lighter shadows and also dark fields and water near clouds.",
      ),
    shadowRelativeMax: z
      .number()
      .min(0)
      .max(1)
      .default(0.6)
      .describe(
        "Maximum brightness of a shadow relative to the mean of cloud-free pixels within 15 px; higher catches faint shadows and also dark land (cities, water) near clouds.",
      ),
    shadowSearchPx: z
      .int()
      .min(0)
      .max(64)
      .default(40)
      .describe(
        "How far from a cloud, pixels, a dark pixel counts as its shadow (no sun geometry in the metadata); limited by the window halo.",
      ),
  })
  .prefault({});

/*
 * Abandonment (撂荒) from a per-pixel season history. A baseline-cropland pixel is flagged when,
 * at a month from `decideFromMonth` on: the season's observed share reaches rules.abandonment
 * .threshold, the vegetation index never reached `cropPeakMin`, and no observed month showed
 * tillage-like bare soil (index ≤ `bareSoilMax`). NDVI thresholds: Sobrino et al. 2004 (RSE
 * 90:434-440) take NDVI < 0.2 as bare soil and > 0.5 as full vegetation cover. RGB imagery uses
 * the excess-green index on chromatic coordinates (Woebbecke et al. 1995), thresholds measured on
 * GID Gaofen-2 swatches (README).
 */
const abandonmentSchema = z
  .strictObject({
    seasonStartMonth: z
      .int()
      .min(1)
      .max(12)
      .default(4)
      .describe(
        "First month of the growing season (4 = April, single-cropping North China); the history resets then. Earlier catches spring tillage, but adds snowy months.",
      ),
    seasonEndMonth: z
      .int()
      .min(1)
      .max(12)
      .default(10)
      .describe("Last month of the growing season; months after it do not update the history."),
    decideFromMonth: z
      .int()
      .min(1)
      .max(12)
      .default(8)
      .describe(
        "First month abandonment may be flagged (8 = August, after most crops' peak); earlier reports sooner but may flag late-sown fields.",
      ),
    ndvi: z
      .strictObject({
        cropPeakMin: z
          .number()
          .default(0.5)
          .describe(
            "Peak NDVI a cultivated crop exceeds (full cover, Sobrino 2004); higher flags sparse crops, lower misses weedy abandoned land.",
          ),
        bareSoilMax: z
          .number()
          .default(0.2)
          .describe(
            "NDVI at or below which a month shows tillage-like bare soil (Sobrino 2004: < 0.2); higher counts sparse weeds as tillage.",
          ),
      })
      .prefault({}),
    exg: z
      .strictObject({
        cropPeakMin: z
          .number()
          .default(0.1)
          .describe(
            "Peak excess-green 2g−r−b (chromatic) a crop exceeds, RGB imagery without NIR; higher flags pale crops.",
          ),
        bareSoilMax: z
          .number()
          .default(0.0)
          .describe("Excess green at or below which a month shows bare soil (soil is ≤ 0 on GID swatches)."),
      })
      .prefault({}),
  })
  .prefault({});

export const detectionConfigSchema = z.strictObject({
  beforeCroplandThreshold: z
    .number()
    .min(0)
    .max(1)
    .default(0.5)
    .describe(
      "Minimum before-image probability of cropland; lower admits land that was already not farmed, higher drops changes seen through a poor before image.",
    ),
  minSpectralChange: z
    .number()
    .min(0)
    .max(1)
    .default(0.05)
    .describe(
      "Minimum relative colour change of a pixel's own 3×3 patch between the dates (Σ|after − before| / mean level, visible bands) for it to be a change: keeps out fields whose class moved only because a change beside them shifted the classifier's ~250 m context; 0 turns the gate off, higher also drops real changes of similar colour.",
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
  clouds: cloudSchema.describe("Spectral cloud and shadow test; see the notes on each field."),
  abandonment: abandonmentSchema.describe(
    "Abandonment from the per-pixel season history (needs previousRun for more than one month).",
  ),
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
  const a = result.data.abandonment;
  if (!(a.seasonStartMonth <= a.decideFromMonth && a.decideFromMonth <= a.seasonEndMonth)) {
    throw new ConfigError(
      source,
      `abandonment: need seasonStartMonth ≤ decideFromMonth ≤ seasonEndMonth (a season within one calendar year), got ${a.seasonStartMonth}, ${a.decideFromMonth}, ${a.seasonEndMonth}`,
    );
  }
  if (result.data.tiers.provisionalDetections > result.data.tiers.confirmedDetections) {
    throw new ConfigError(source, "tiers.provisionalDetections must not exceed tiers.confirmedDetections");
  }
  return result.data;
}

/**
 * Reads a detection config file (JSON, or YAML by its .yml/.yaml extension) and resolves it with
 * {@link parseDetectionConfig}. An unreadable or unparsable file is a {@link ConfigError} naming it.
 */
export async function loadDetectionConfigFile(file: string): Promise<DetectionConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new ConfigError(file, "cannot read the detection config", { cause });
  }
  let data: unknown;
  try {
    data = /\.ya?ml$/i.test(file) ? YAML.parse(text) : JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(file, `not valid JSON/YAML: ${(cause as Error).message}`, { cause });
  }
  return parseDetectionConfig(data, file);
}

/** One line per problem: "rules.pond.threshold: Too big: expected number to be <=1". */
export function formatZodIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length > 0 ? i.path.join(".") : "(root)"}: ${i.message}`)
    .join("; ");
}
