/**
 * Coverage: per county, the baseline cropland this month's patrol could not see, as a GeoJSON
 * layer `coverage/<prefecture>/<county>-unobserved.geojson`, so the gaps can be patrolled by
 * other means (field visits, drones, another satellite). The polygons come from the windows'
 * "unobserved cropland" raster band (1 not seen on the after date, 2 not on the before date,
 * 3 neither), polygonised per window and joined across seams like change patches; a polygon
 * that spans counties is cut along the county boundary (planar, in the imagery's CRS).
 *
 * Every county with baseline cropland in the processed windows gets a file, an empty
 * FeatureCollection when all of its cropland was observed, so a re-run never leaves a stale one.
 */
import { intersect as turfIntersect, rewind } from "@turf/turf";
import type { Feature, FeatureCollection, MultiPolygon, Polygon } from "geojson";
import { writeFileAtomic } from "../core/atomic-write.js";
import { polygonAreaM2, squareMetresToMu } from "../core/geodesic-area.js";
import { pixelToMap, type Affine } from "../core/raster-types.js";
import { insideOutput } from "../config/manifest.js";
import { coordinateTransform } from "../ingest/crs.js";
import type { CountyProperties } from "../ingest/county-layer.js";
import type { VectorLayer } from "../ingest/vector-layer.js";
import type { JoinedPatch } from "../vector/merge-seams.js";
import { emptyCoverageTally, type CoverageTally } from "../vector/window-patches.js";

/** Sums two coverage tallies (either may be missing). */
export function addCoverage(
  a: CoverageTally | undefined,
  b: Partial<CoverageTally> | undefined,
): CoverageTally {
  const out = emptyCoverageTally();
  for (const k of Object.keys(out) as (keyof CoverageTally)[]) out[k] = (a?.[k] ?? 0) + (b?.[k] ?? 0);
  return out;
}

/** Which date did not see the cropland. */
export type UnobservedOn = "after" | "before" | "both";

const ON: Record<number, UnobservedOn> = { 1: "after", 2: "before", 3: "both" };

export interface UnobservedProperties {
  county_adcode: string;
  county_name: string;
  prefecture_adcode: string;
  /** The date(s) on which this cropland was not observed (cloud, shadow, nodata, quality mask). */
  unobserved_on: UnobservedOn;
  area_m2: number;
  area_mu: number;
  before_date: string;
  after_date: string;
  run_id: string;
}

export type UnobservedFeature = Feature<Polygon | MultiPolygon, UnobservedProperties>;

export interface CoverageContext {
  readonly runId: string;
  readonly crs: string;
  readonly affine: Affine;
  readonly counties: VectorLayer<CountyProperties>;
  readonly beforeDate: string;
  readonly afterDate: string;
}

/** Output-relative path of a county's unobserved-cropland layer. */
export function unobservedFile(c: { adcode: string; prefectureAdcode: string }): string {
  return `coverage/${c.prefectureAdcode}/${c.adcode}-unobserved.geojson`;
}

type MapPolygons = number[][][][];

/** A coordinate rounded to a micrometre. */
const snap = (v: number): number => Math.round(v * 1e6) / 1e6;

function toMap(patch: JoinedPatch, affine: Affine): MapPolygons {
  return patch.polygons.map((rings) =>
    rings.map((ring) => {
      const out: number[][] = [];
      for (let i = 0; i + 1 < ring.length; i += 2) {
        const m = pixelToMap(affine, ring[i]!, ring[i + 1]!);
        out.push([m.x, m.y]);
      }
      return out;
    }),
  );
}

/** Unobserved-cropland features per county adcode, from the joined "unobserved" patches. */
export function unobservedFeatures(
  patches: readonly JoinedPatch[],
  ctx: CoverageContext,
): Map<string, UnobservedFeature[]> {
  const t = coordinateTransform(ctx.crs, "EPSG:4326");
  const out = new Map<string, UnobservedFeature[]>();
  const round = (v: number, d: number): number => Number(v.toFixed(d));
  for (const patch of patches) {
    if (patch.kind !== "unobserved") continue;
    const on = ON[patch.value];
    if (!on) continue;
    const polygons = toMap(patch, ctx.affine);
    const keys = Object.keys(patch.counties).map(Number);
    for (const key of keys) {
      const county = ctx.counties.features[key - 1];
      if (!county) continue;
      let parts: MapPolygons;
      if (keys.length === 1) parts = polygons;
      else {
        // Clipped about the grid's origin with vertices snapped to a micrometre: polygon clipping
        // (polyclip-ts) fails ("Unable to complete output ring") where a county vertex lies on a
        // pixel corner but for float noise (1299.9999999998836 against 1300).
        const ox = ctx.affine.originX;
        const oy = ctx.affine.originY;
        const shift = (rings: number[][][], dx: number, dy: number): number[][][] =>
          rings.map((ring) => ring.map(([x, y]) => [snap(x! + dx), snap(y! + dy)]));
        const countyRings =
          county.geometry.type === "Polygon" ? [county.geometry.coordinates] : county.geometry.coordinates;
        const cut = turfIntersect({
          type: "FeatureCollection",
          features: [
            {
              type: "Feature",
              properties: {},
              geometry: { type: "MultiPolygon", coordinates: polygons.map((p) => shift(p, -ox, -oy)) },
            },
            {
              type: "Feature",
              properties: {},
              geometry: { type: "MultiPolygon", coordinates: countyRings.map((p) => shift(p, -ox, -oy)) },
            },
          ],
        });
        if (!cut) continue;
        const g = (rewind(cut) as typeof cut).geometry; // RFC 7946 winding (exterior counter-clockwise)
        const local = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
        parts = local.map((p) => shift(p, ox, oy));
      }
      const lonLat = parts.map((rings) =>
        rings.map((ring) =>
          ring.map(([x, y]) => {
            const ll = t.forward(x!, y!);
            return [round(ll.x, 9), round(ll.y, 9)];
          }),
        ),
      );
      const area = lonLat.reduce((s, p) => s + polygonAreaM2(p), 0);
      if (area <= 0) continue;
      const p = county.properties;
      const feature: UnobservedFeature = {
        type: "Feature",
        geometry:
          lonLat.length === 1
            ? { type: "Polygon", coordinates: lonLat[0]! }
            : { type: "MultiPolygon", coordinates: lonLat },
        properties: {
          county_adcode: p.adcode,
          county_name: p.name,
          prefecture_adcode: p.prefectureAdcode,
          unobserved_on: on,
          area_m2: round(area, 2),
          area_mu: round(squareMetresToMu(area), 3),
          before_date: ctx.beforeDate,
          after_date: ctx.afterDate,
          run_id: ctx.runId,
        },
      };
      const list = out.get(p.adcode) ?? [];
      list.push(feature);
      out.set(p.adcode, list);
    }
  }
  return out;
}

/**
 * Writes one unobserved-cropland layer per county in `countiesWithCropland` (empty when fully
 * observed). Returns per adcode the output-relative file and the unobserved area, m².
 */
export async function writeCoverageLayers(
  outDir: string,
  countiesWithCropland: readonly CountyProperties[],
  features: ReadonlyMap<string, readonly UnobservedFeature[]>,
): Promise<Record<string, { file: string; unobservedM2: number }>> {
  const result: Record<string, { file: string; unobservedM2: number }> = {};
  for (const c of countiesWithCropland) {
    const mine = features.get(c.adcode) ?? [];
    const file = unobservedFile(c);
    const fc: FeatureCollection<Polygon | MultiPolygon, UnobservedProperties> = {
      type: "FeatureCollection",
      features: [...mine],
    };
    await writeFileAtomic(insideOutput(outDir, file), JSON.stringify(fc) + "\n");
    result[c.adcode] = {
      file,
      unobservedM2: Number(mine.reduce((s, f) => s + f.properties.area_m2, 0).toFixed(2)),
    };
  }
  return result;
}
