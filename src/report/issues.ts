/**
 * From joined patches to issue-list features (the contract in DESIGN.md): lon/lat geometry,
 * ellipsoidal areas, county and prefecture by largest overlap, PBF overlap, confidence, approvals,
 * deadlines and a stable id.
 */
import { createHash } from "node:crypto";
import type { Feature, MultiPolygon, Polygon } from "geojson";
import type { DetectionConfig } from "../config/detection-config.js";
import { changeTypeByCode, type ChangeTypeId } from "../core/change-types.js";
import { polygonAreaM2, squareMetresToMu } from "../core/geodesic-area.js";
import { pixelToMap, type Affine } from "../core/raster-types.js";
import { coordinateTransform } from "../ingest/crs.js";
import type { BaselineProperties } from "../ingest/baseline-layer.js";
import type { CountyProperties } from "../ingest/county-layer.js";
import type { ExclusionProperties } from "../ingest/exclusion-layer.js";
import type { VectorLayer } from "../ingest/vector-layer.js";
import type { JoinedPatch } from "../vector/merge-seams.js";
import { ANY_CHANGE, type PatchLonLat, type WindowPatch } from "../vector/window-patches.js";
import { unreportedMismatch } from "./patch-area-bound.js";
import { simplifyPixelPolygon } from "../vector/simplify.js";
import type { IssueStatus } from "../history/statuses.js";
import type { Tier } from "../history/tiers.js";

export type ConfidenceLevel = "high" | "medium" | "low";
export type { IssueStatus };

/** Properties of one issue (one GeoJSON Feature of an issue list). */
export interface IssueProperties {
  id: string;
  county_adcode: string;
  county_name: string;
  prefecture_adcode: string;
  change_type: ChangeTypeId;
  change_type_zh: string;
  baseline_class: string;
  area_m2: number;
  area_mu: number;
  pbf_area_m2: number;
  confidence: number;
  confidence_level: ConfidenceLevel;
  before_date: string;
  after_date: string;
  centroid: [number, number];
  first_seen: string;
  status: IssueStatus;
  /** Confirmation tier: `first` when first seen, climbing as later months see it again. */
  tier: Tier;
  approvals: string[];
  due_prefecture: string;
  due_county: string;
  before_chip: string | null;
  after_chip: string | null;
  tile_id: string;
  run_id: string;
  model_id: string;
}

export type IssueFeature = Feature<Polygon | MultiPolygon, IssueProperties>;

/** A baseline-mismatch patch: cropland on paper, not cropland on either date. */
export interface MismatchProperties {
  id: string;
  county_adcode: string;
  county_name: string;
  prefecture_adcode: string;
  baseline_class: string;
  area_m2: number;
  area_mu: number;
  pbf_area_m2: number;
  after_date: string;
  run_id: string;
}

export type MismatchFeature = Feature<Polygon | MultiPolygon, MismatchProperties>;

export interface IssueContext {
  readonly runId: string;
  readonly modelId: string;
  /** Date deadlines count from (yyyy-mm-dd). */
  readonly runDate: string;
  readonly crs: string;
  readonly affine: Affine;
  readonly config: DetectionConfig;
  readonly baseline: VectorLayer<BaselineProperties>;
  readonly counties: VectorLayer<CountyProperties>;
  readonly exclusions: VectorLayer<ExclusionProperties>;
  /** Tile id and acquisition dates of the imagery at a mosaic pixel. */
  readonly tileAt: (x: number, y: number) => { tileId: string; beforeDate: string; afterDate: string };
}

/** Why a patch did not become an issue. */
export type DropReason = "below-min-area" | "suppressed-by-approval" | "outside-counties";

export interface BuiltIssues {
  readonly issues: IssueFeature[];
  readonly mismatches: MismatchFeature[];
  readonly dropped: Array<{ reason: DropReason; changeType: string; areaM2: number }>;
}

function addDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function argmaxKey(counts: Readonly<Record<string, number>>): number | null {
  let best: number | null = null;
  let bestCount = -1;
  for (const [k, v] of Object.entries(counts)) {
    const key = Number(k);
    if (v > bestCount || (v === bestCount && best !== null && key < best)) {
      best = key;
      bestCount = v;
    }
  }
  return best;
}

const round = (v: number, digits: number): number => Number(v.toFixed(digits));

/** Stable id: the same patch (same type, same anchor pixel on the same grid) gets the same id. */
export function patchId(
  prefix: string,
  crs: string,
  kind: string,
  value: number,
  anchor: { x: number; y: number },
): string {
  const key = `${crs}|${kind}|${value}|${anchor.x.toFixed(3)}|${anchor.y.toFixed(3)}`;
  return `${prefix}-${createHash("sha256").update(key).digest("hex").slice(0, 12)}`;
}

/**
 * A patch's issue-list geometry: its pixel polygons simplified by `toleranceM`, in lon/lat, with
 * their ellipsoidal area and centroid. Window jobs compute it for the patches that reach no
 * window edge (final there, so in parallel); the join for the patches it merges across seams.
 */
export function patchLonLat(
  patch: Pick<WindowPatch, "value" | "pixelCount" | "bbox" | "polygons">,
  crs: string,
  affine: Affine,
  toleranceM: number,
): PatchLonLat {
  const t = coordinateTransform(crs, "EPSG:4326");
  const tolerancePx = toleranceM / Math.abs(affine.pixelWidth);
  const polygons = patch.polygons.map((rings) => {
    const pixelPolygon = {
      value: patch.value,
      region: 1,
      pixelCount: patch.pixelCount,
      bbox: patch.bbox,
      rings: rings.map((r) => Int32Array.from(r)),
    };
    const simplified = tolerancePx > 0 ? simplifyPixelPolygon(pixelPolygon, tolerancePx) : pixelPolygon;
    return simplified.rings.map((ring) => {
      const out: number[][] = [];
      for (let i = 0; i + 1 < ring.length; i += 2) {
        const m = pixelToMap(affine, ring[i]!, ring[i + 1]!);
        const ll = t.forward(m.x, m.y);
        out.push([round(ll.x, 9), round(ll.y, 9)]);
      }
      return out;
    });
  });
  let areaM2 = 0;
  let cx = 0;
  let cy = 0;
  let planar = 0;
  for (const rings of polygons) {
    areaM2 += polygonAreaM2(rings);
    rings.forEach((ring, k) => {
      const sign = k === 0 ? 1 : -1;
      for (let i = 0; i + 1 < ring.length; i++) {
        const [x0, y0] = ring[i] as [number, number];
        const [x1, y1] = ring[i + 1] as [number, number];
        const cross = x0 * y1 - x1 * y0;
        planar += (sign * cross) / 2;
        cx += (sign * (x0 + x1) * cross) / 6;
        cy += (sign * (y0 + y1) * cross) / 6;
      }
    });
  }
  const centroid: [number, number] = planar !== 0 ? [round(cx / planar, 7), round(cy / planar, 7)] : [0, 0];
  const geometry: Polygon | MultiPolygon =
    polygons.length === 1
      ? { type: "Polygon", coordinates: polygons[0]! }
      : { type: "MultiPolygon", coordinates: polygons };
  return { geometry, areaM2, centroid };
}

function countyOf(patch: JoinedPatch, ctx: IssueContext): CountyProperties | null {
  const key = argmaxKey(patch.counties);
  return key === null ? null : (ctx.counties.features[key - 1]?.properties ?? null);
}

function baselineClassOf(patch: JoinedPatch, ctx: IssueContext): string {
  const key = argmaxKey(patch.baselineFeatures);
  return key === null ? "" : (ctx.baseline.features[key - 1]?.properties.classCode ?? "");
}

function confidenceLevel(c: number, config: DetectionConfig): ConfidenceLevel {
  if (c >= config.confidenceLevels.high) return "high";
  if (c >= config.confidenceLevels.medium) return "medium";
  return "low";
}

/**
 * The change type covering most of a patch (pixel counts by code); ties go to the lower code,
 * i.e. the type listed first in src/core/change-types.ts.
 */
export function dominantType(types: Readonly<Record<string, number>>): number {
  return argmaxKey(types) ?? 0;
}

/** Turns joined patches into issues and mismatch features, applying areas, approvals and counties. */
export function buildIssues(patches: readonly JoinedPatch[], ctx: IssueContext): BuiltIssues {
  const issues: IssueFeature[] = [];
  const mismatches: MismatchFeature[] = [];
  const dropped: BuiltIssues["dropped"] = [];
  const unreported = unreportedMismatch(ctx.affine, ctx.crs, ctx.config.baselineMismatch);
  for (const patch of patches) {
    // Baseline mismatches come by the ten thousand, mostly a few pixels each; those that cannot
    // reach the minimum area are dropped before their geometry is traced (as they would be after).
    if (unreported(patch.kind, patch.bbox, patch.polygons)) continue;
    const anchor = pixelToMap(ctx.affine, patch.firstPixel[0], patch.firstPixel[1]);
    const tile = ctx.tileAt(patch.firstPixel[0], patch.firstPixel[1]);
    const county = countyOf(patch, ctx);
    const geo = patch.lonLat ?? patchLonLat(patch, ctx.crs, ctx.affine, ctx.config.simplifyToleranceM);
    const pbfAreaM2 = round((geo.areaM2 * patch.pbfPixels) / patch.pixelCount, 2);
    if (patch.kind === "mismatch") {
      if (!ctx.config.baselineMismatch.enabled || geo.areaM2 < ctx.config.baselineMismatch.minAreaM2)
        continue;
      mismatches.push({
        type: "Feature",
        geometry: geo.geometry,
        properties: {
          id: patchId("BM", ctx.crs, patch.kind, patch.value, anchor),
          county_adcode: county?.adcode ?? "",
          county_name: county?.name ?? "",
          prefecture_adcode: county?.prefectureAdcode ?? "",
          baseline_class: baselineClassOf(patch, ctx),
          area_m2: round(geo.areaM2, 2),
          area_mu: round(squareMetresToMu(geo.areaM2), 3),
          pbf_area_m2: pbfAreaM2,
          after_date: tile.afterDate,
          run_id: ctx.runId,
        },
      });
      continue;
    }
    const type = changeTypeByCode(patch.value === ANY_CHANGE ? dominantType(patch.types) : patch.value);
    if (!type) continue;
    const rule = ctx.config.rules[type.id];
    if (geo.areaM2 < rule.minAreaM2 || patch.pixelCount < ctx.config.minPatchPixels) {
      dropped.push({ reason: "below-min-area", changeType: type.id, areaM2: geo.areaM2 });
      continue;
    }
    if (!county) {
      dropped.push({ reason: "outside-counties", changeType: type.id, areaM2: geo.areaM2 });
      continue;
    }
    const coveredPixels = Object.values(patch.exclusions).reduce((s, v) => s + v, 0);
    const approved = coveredPixels / patch.pixelCount >= ctx.config.exclusions.minCoveredShare;
    if (approved && ctx.config.exclusions.mode === "suppress") {
      dropped.push({ reason: "suppressed-by-approval", changeType: type.id, areaM2: geo.areaM2 });
      continue;
    }
    const approvals = approved
      ? Object.keys(patch.exclusions)
          .map((k) => ctx.exclusions.features[Number(k) - 1]?.properties)
          .map((p) => (p ? `${p.kind}:${p.id ?? "?"}` : "?"))
          .sort()
      : [];
    const confidence = round(patch.confidenceSum / patch.pixelCount / 255, 3);
    issues.push({
      type: "Feature",
      geometry: geo.geometry,
      properties: {
        id: patchId(county.adcode, ctx.crs, patch.kind, patch.value, anchor),
        county_adcode: county.adcode,
        county_name: county.name,
        prefecture_adcode: county.prefectureAdcode,
        change_type: type.id,
        change_type_zh: type.nameZh,
        baseline_class: baselineClassOf(patch, ctx),
        area_m2: round(geo.areaM2, 2),
        area_mu: round(squareMetresToMu(geo.areaM2), 3),
        pbf_area_m2: pbfAreaM2,
        confidence,
        confidence_level: confidenceLevel(confidence, ctx.config),
        before_date: tile.beforeDate,
        after_date: tile.afterDate,
        centroid: geo.centroid,
        first_seen: tile.afterDate,
        status: approved ? "approved" : "new",
        tier: "first",
        approvals,
        due_prefecture: addDays(ctx.runDate, ctx.config.deadlines.prefectureDays),
        due_county: addDays(ctx.runDate, ctx.config.deadlines.countyDays),
        before_chip: null,
        after_chip: null,
        tile_id: tile.tileId,
        run_id: ctx.runId,
        model_id: ctx.modelId,
      },
    });
  }
  return { issues, mismatches, dropped };
}
