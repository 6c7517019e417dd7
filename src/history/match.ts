/**
 * Matching this month's patches to tracked ones by geometry overlap.
 *
 * The rule: a patch and a tracked patch match when their change types are of the same family
 * ({@link CHANGE_FAMILIES}: a model that calls the same planting "orchard" one month and "trees"
 * the next still tracks it) and their intersection covers at least `minOverlap` of the smaller of
 * the two (so a patch that grows or shrinks keeps its id). Pairs are assigned one to one, best
 * share first (ties: larger intersection, then tracked id, then patch order), so the result does
 * not depend on input order.
 * When a patch splits, the part overlapping most keeps the id; when patches merge, the merged
 * patch keeps the id of its best match and the others are marked merged into it.
 */
import * as turf from "@turf/turf";
import type { Feature, MultiPolygon, Polygon } from "geojson";

/** Change-type families within which a patch keeps its id when its type changes. */
export const CHANGE_FAMILIES: Readonly<Record<string, string>> = {
  construction: "built",
  facility: "built",
  pond: "water",
  orchard: "woody-or-turf",
  trees: "woody-or-turf",
  turf: "woody-or-turf",
  abandonment: "abandonment",
};

export function changeFamily(changeType: string): string {
  return CHANGE_FAMILIES[changeType] ?? changeType;
}

type Area = Feature<Polygon | MultiPolygon, { change_type: string }>;

interface Prepared {
  family: string;
  bbox: [number, number, number, number];
  area: number;
  feature: Area;
}

function prepare(f: Area): Prepared {
  const bbox = turf.bbox(f) as [number, number, number, number];
  return { family: changeFamily(f.properties.change_type), bbox, area: turf.area(f), feature: f };
}

/** Intersection area over the smaller area (spherical areas of lon/lat polygons), 0..1. */
export function overlapShare(a: Area, b: Area): number {
  const pa = prepare(a);
  const pb = prepare(b);
  return sharePrepared(pa, pb);
}

function sharePrepared(a: Prepared, b: Prepared): number {
  return overlapPrepared(a, b).share;
}

/** Intersection area (m²) and its share of the smaller patch. */
function overlapPrepared(a: Prepared, b: Prepared): { share: number; areaM2: number } {
  if (a.bbox[0] > b.bbox[2] || b.bbox[0] > a.bbox[2] || a.bbox[1] > b.bbox[3] || b.bbox[1] > a.bbox[3])
    return { share: 0, areaM2: 0 };
  const smaller = Math.min(a.area, b.area);
  if (smaller <= 0) return { share: 0, areaM2: 0 };
  const inter = turf.intersect(turf.featureCollection([a.feature, b.feature]));
  const areaM2 = inter ? turf.area(inter) : 0;
  return { share: Math.min(1, areaM2 / smaller), areaM2 };
}

export interface PatchMatch {
  /** Index into `current`. */
  readonly current: number;
  /** Index into `tracked`. */
  readonly tracked: number;
  readonly share: number;
  /** Intersection area, m² (breaks ties of `share`: a patch split in parts fully inside keeps the id on the largest). */
  readonly areaM2: number;
}

export interface MatchResult {
  /** One-to-one matches. */
  readonly matches: readonly PatchMatch[];
  /** Tracked patches left unmatched that overlap a matched or new patch enough: index → current index. */
  readonly mergedInto: ReadonlyMap<number, number>;
}

/**
 * Matches `current` patches to `tracked` ones (lon/lat geometries). `trackedIds` break ties.
 */
export function matchPatches(
  current: readonly Area[],
  tracked: readonly Area[],
  trackedIds: readonly string[],
  minOverlap: number,
): MatchResult {
  const pc = current.map(prepare);
  const pt = tracked.map(prepare);
  const candidates: PatchMatch[] = [];
  pc.forEach((c, i) =>
    pt.forEach((t, j) => {
      if (c.family !== t.family) return;
      const { share, areaM2 } = overlapPrepared(c, t);
      if (share >= minOverlap && share > 0) candidates.push({ current: i, tracked: j, share, areaM2 });
    }),
  );
  candidates.sort(
    (a, b) =>
      b.share - a.share ||
      b.areaM2 - a.areaM2 ||
      (trackedIds[a.tracked]! < trackedIds[b.tracked]!
        ? -1
        : trackedIds[a.tracked]! > trackedIds[b.tracked]!
          ? 1
          : 0) ||
      a.current - b.current,
  );
  const usedC = new Set<number>();
  const usedT = new Set<number>();
  const matches: PatchMatch[] = [];
  const mergedInto = new Map<number, number>();
  for (const m of candidates) {
    if (usedC.has(m.current) || usedT.has(m.tracked)) continue;
    usedC.add(m.current);
    usedT.add(m.tracked);
    matches.push(m);
  }
  for (const m of candidates)
    if (!usedT.has(m.tracked) && !mergedInto.has(m.tracked)) mergedInto.set(m.tracked, m.current);
  return { matches, mergedInto };
}
