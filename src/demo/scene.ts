/**
 * A deterministic demo scene: a plausible rural landscape near Hohhot (field parcels with ridges,
 * villages, roads with tree belts, ponds, orchards, a wood), imaged on a previous date and on the
 * patrol date, with injected changes of every type the shipped model supports, their ground-truth
 * polygons, the cropland baseline (DLTB-style, with DLBM codes and the PBF flag), two counties and
 * an approval (exclusion) layer. It is the built-in default input of the README's main command and
 * of the end-to-end tests; the repository holds this generator, never the generated files.
 *
 * Grid: CGCS2000 3-degree Gauss-Krüger, central meridian 111°E (EPSG:4546), 4 m pixels, north up.
 */
import type { Feature, FeatureCollection, Polygon } from "geojson";
import type { Affine } from "../core/raster-types.js";
import { coordinateTransform } from "../ingest/crs.js";
import { paintRegions, type PaintClass, type PaintRegion } from "./paint.js";
import { SeededRandom } from "./rng.js";

/** Change types the demo injects; facility farmland and abandonment are not in the shipped model. */
export type DemoChangeType = "construction" | "pond" | "orchard" | "trees" | "turf";

export interface DemoSceneOptions {
  /** Scene width and height in pixels (default 1024, i.e. 4.1 km at 4 m). */
  readonly size?: number;
  readonly seed?: number;
}

export interface DemoImage {
  /** Acquisition date, ISO yyyy-mm-dd. */
  readonly date: string;
  /** Red, green, blue; 0 is nodata. */
  readonly bands: readonly [Uint8Array, Uint8Array, Uint8Array];
}

export interface DemoScene {
  readonly width: number;
  readonly height: number;
  readonly crs: "EPSG:4546";
  readonly affine: Affine;
  readonly nodata: 0;
  readonly before: DemoImage;
  readonly after: DemoImage;
  /** Cropland baseline (all DLTB parcels): properties DLBM, YJJBNT (1 = permanent basic farmland), TBBH. */
  readonly baseline: FeatureCollection<Polygon>;
  /** Two counties: properties adcode, name, parent_adcode. */
  readonly counties: FeatureCollection<Polygon>;
  /** Approved land use that must suppress the patches it covers: properties kind, approval_no. */
  readonly exclusions: FeatureCollection<Polygon>;
  /** Injected changes: properties truth_id, change_type, approved (covered by an exclusion). */
  readonly truth: FeatureCollection<Polygon>;
  /** Baseline cropland that is not cropland on either date (a baseline mismatch, not an issue). */
  readonly mismatchTruth: FeatureCollection<Polygon>;
}

/** A half-open pixel rectangle [x0, x1) × [y0, y1). */
export interface PixelRect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** One field parcel of the scene (a DLTB polygon). */
export interface Parcel {
  rect: PixelRect;
  cls: PaintClass;
  region: number;
  pbf: boolean;
}

const PIXEL_SIZE_M = 4;
const ORIGIN = { x: 552_000, y: 4_490_000 };
const DLBM: Partial<Record<PaintClass, string>> = {
  paddy: "0101",
  irrigated: "0102",
  "dry-cropland": "0103",
  orchard: "0201",
  trees: "0301",
  grass: "0404",
  industrial: "0601",
  "rural-residential": "0702",
  road: "1003",
  pond: "1104",
};
export const CROPLAND = new Set<PaintClass>(["paddy", "irrigated", "dry-cropland"]);
export const CHANGE_PAINT: Record<DemoChangeType, PaintClass> = {
  construction: "industrial",
  pond: "pond",
  orchard: "orchard",
  trees: "trees",
  turf: "turf",
};

/**
 * What the generator knows beyond the scene it returns, so later months can be generated on the
 * same grid (src/demo/series.ts): the region maps (indices into `regions`) of the previous date
 * and of the patrol date before painting, the parcels, which parcels already carry a change, and
 * the strip the satellite did not see.
 */
export interface DemoWorld {
  readonly size: number;
  readonly regions: PaintRegion[];
  readonly parcels: readonly Parcel[];
  readonly used: Set<Parcel>;
  readonly cover: Int32Array;
  readonly afterMap: Int32Array;
  readonly unobserved: (x: number, y: number) => boolean;
  readonly rectPolygon: (r: PixelRect) => Polygon;
  /** Pixel rectangles of the injected changes, in `scene.truth` order. */
  readonly changeRects: readonly PixelRect[];
}

/** Generates the demo scene. Same options, same scene, byte for byte. */
export function generateDemoScene(options: DemoSceneOptions = {}): DemoScene {
  return generateDemoWorld(options).scene;
}

/** The demo scene and the generator's internals ({@link DemoWorld}). */
export function generateDemoWorld(options: DemoSceneOptions = {}): { scene: DemoScene; world: DemoWorld } {
  const size = options.size ?? 1024;
  const rng = new SeededRandom(options.seed ?? 20261016);
  const scale = size / 1024;
  const px = (v: number): number => Math.round(v * scale);
  const affine: Affine = {
    originX: ORIGIN.x,
    pixelWidth: PIXEL_SIZE_M,
    rowRotation: 0,
    originY: ORIGIN.y,
    colRotation: 0,
    pixelHeight: -PIXEL_SIZE_M,
  };
  const toLonLat = coordinateTransform("EPSG:4546", "EPSG:4326");
  const ring = (points: Array<[number, number]>): Array<[number, number]> => {
    // Pixel corners → lon/lat, counter-clockwise exterior as RFC 7946 asks (pixel y grows south).
    const mapped = points.map(([c, r]) => {
      const p = toLonLat.forward(ORIGIN.x + c * PIXEL_SIZE_M, ORIGIN.y - r * PIXEL_SIZE_M);
      return [p.x, p.y] as [number, number];
    });
    mapped.push(mapped[0]!);
    return mapped;
  };
  const rectPolygon = (r: PixelRect): Polygon => ({
    type: "Polygon",
    coordinates: [
      ring([
        [r.x0, r.y1],
        [r.x1, r.y1],
        [r.x1, r.y0],
        [r.x0, r.y0],
      ]),
    ],
  });

  // ---- land cover of the previous date -------------------------------------------------------
  const regions: PaintRegion[] = [];
  const addRegion = (cls: PaintClass, change = false): number => {
    regions.push({
      cls,
      seed: rng.int(1, 2 ** 30),
      angle: rng.pick([0, Math.PI / 2, 0.35, -0.35]),
      ...(change ? { change } : {}),
    });
    return regions.length - 1;
  };
  const cover = new Int32Array(size * size).fill(addRegion("grass"));
  const fill = (r: PixelRect, region: number): void => {
    for (let y = Math.max(0, r.y0); y < Math.min(size, r.y1); y++) {
      cover.fill(region, y * size + Math.max(0, r.x0), y * size + Math.min(size, r.x1));
    }
  };

  const mainRoadY = px(594);
  const mainRoadX = px(297);
  const trackY = px(256);
  const trackX = px(778);
  const roads: PixelRect[] = [
    { x0: 0, y0: mainRoadY, x1: size, y1: mainRoadY + 4 },
    { x0: mainRoadX, y0: 0, x1: mainRoadX + 3, y1: size },
    { x0: 0, y0: trackY, x1: size, y1: trackY + 2 },
    { x0: trackX, y0: 0, x1: trackX + 2, y1: size },
  ];
  const belts: PixelRect[] = [
    { x0: 0, y0: mainRoadY - 3, x1: size, y1: mainRoadY },
    { x0: 0, y0: mainRoadY + 4, x1: size, y1: mainRoadY + 7 },
  ];

  const xCuts: Array<[number, number]> = [
    [0, mainRoadX],
    [mainRoadX + 3, trackX],
    [trackX + 2, size],
  ];
  const yCuts: Array<[number, number]> = [
    [0, trackY],
    [trackY + 2, mainRoadY - 3],
    [mainRoadY + 7, size],
  ];
  // What each block between roads is used for: (column, row) → landscape.
  const landscape = (bx: number, by: number): PaintClass[] => {
    if (bx === 0 && by === 2) return ["trees"];
    if (bx === 2 && by === 0) return ["pond", "pond", "dry-cropland"];
    if (bx === 1 && by === 2) return ["rural-residential", "rural-residential", "dry-cropland"];
    if (bx === 2 && by === 2) return ["orchard", "irrigated", "irrigated"];
    if (bx === 0) return ["paddy", "irrigated", "paddy"];
    return ["dry-cropland", "irrigated", "dry-cropland", "paddy"];
  };

  const parcels: Parcel[] = [];
  const pbfLine = px(430);
  xCuts.forEach(([bx0, bx1], bx) => {
    yCuts.forEach(([by0, by1], by) => {
      const uses = landscape(bx, by);
      let y = by0 + 2;
      while (y < by1 - 14) {
        let h = rng.int(px(22), px(56));
        if (by1 - 2 - (y + h) < px(20)) h = by1 - 2 - y;
        let x = bx0 + 2;
        while (x < bx1 - 20) {
          let w = rng.int(px(60), px(190));
          if (bx1 - 2 - (x + w) < px(40)) w = bx1 - 2 - x;
          const rect = { x0: x, y0: y, x1: x + w, y1: y + h };
          const cls = rng.pick(uses);
          const region = addRegion(cls);
          fill(rect, region);
          parcels.push({ rect, cls, region, pbf: CROPLAND.has(cls) && (rect.x0 + rect.x1) / 2 < pbfLine });
          x += w + 2;
        }
        y += h + 2;
      }
    });
  });
  const roadRegion = addRegion("road");
  for (const r of roads) fill(r, roadRegion);
  const beltRegion = addRegion("trees");
  for (const r of belts) fill(r, beltRegion);

  // ---- a baseline mismatch: cropland on paper, a yard on both dates --------------------------
  const village = parcels.filter((p) => p.cls === "rural-residential");
  const mismatch = parcels.find(
    (p) =>
      CROPLAND.has(p.cls) &&
      village.some((v) => v.rect.y0 === p.rect.y0 && Math.abs(v.rect.x1 - p.rect.x0) <= 2),
  );
  const mismatchFeatures: Feature<Polygon>[] = [];
  if (mismatch) {
    fill(mismatch.rect, addRegion("rural-residential"));
    mismatchFeatures.push({
      type: "Feature",
      properties: { truth_id: "mismatch-1" },
      geometry: rectPolygon(mismatch.rect),
    });
  }

  // ---- the patrol date: same land, injected changes, a strip the satellite did not see --------
  const after = Int32Array.from(cover);
  const unobserved = (x: number, y: number): boolean => y < px(500) && x > size - px(150) + y * 0.3;
  const truth: Feature<Polygon>[] = [];
  const changeRects: PixelRect[] = [];
  const exclusions: Feature<Polygon>[] = [];
  const used = new Set<Parcel>([...(mismatch ? [mismatch] : [])]);
  const seamX = [Math.round(size / 2), Math.round(size / 3), Math.round((2 * size) / 3)];
  const seamY = [Math.round(size / 2), Math.round(size / 3)];
  const countyLine = (y: number): number =>
    y < px(200) ? px(650) : y < px(420) ? px(650) - ((y - px(200)) / px(220)) * px(40) : px(610);

  const plan: Array<{ type: DemoChangeType; where: "any" | "seam" | "county" | "approved" }> = [
    { type: "construction", where: "seam" },
    { type: "construction", where: "county" },
    { type: "construction", where: "any" },
    { type: "construction", where: "approved" },
    { type: "pond", where: "seam" },
    { type: "pond", where: "any" },
    { type: "orchard", where: "any" },
    { type: "orchard", where: "seam" },
    { type: "trees", where: "any" },
    { type: "trees", where: "any" },
    { type: "turf", where: "any" },
    { type: "turf", where: "seam" },
  ];
  plan.forEach(({ type, where }, k) => {
    const local = rng.fork(k + 1);
    const candidates = parcels.filter((p) => {
      if (!CROPLAND.has(p.cls) || used.has(p)) return false;
      const { x0, x1, y0, y1 } = p.rect;
      if (x1 - x0 < 24 || y1 - y0 < 14) return false;
      if ([x0, x1 - 1].some((x) => [y0, y1 - 1].some((y) => unobserved(x, y)))) return false;
      if (where === "seam")
        return seamX.some((s) => s > x0 + 6 && s < x1 - 6) || seamY.some((s) => s > y0 + 6 && s < y1 - 6);
      if (where === "county") return countyLine(y0) > x0 + 8 && countyLine(y1) < x1 - 8;
      return true;
    });
    if (candidates.length === 0) return;
    const parcel = local.pick(candidates);
    used.add(parcel);
    const p = parcel.rect;
    // Building plots and ponds take part of a parcel; orchards, tree planting and turf usually
    // take the whole parcel: 0.1 to 3 ha.
    const whole = type === "orchard" || type === "trees" || type === "turf";
    const w = whole
      ? p.x1 - p.x0
      : Math.min(p.x1 - p.x0, Math.max(16, Math.round((p.x1 - p.x0) * local.range(0.45, 0.9))), 90);
    const h = whole
      ? p.y1 - p.y0
      : Math.min(p.y1 - p.y0, Math.max(14, Math.round((p.y1 - p.y0) * local.range(0.6, 1))));
    let x0 = local.int(p.x0, p.x1 - w);
    let y0 = local.int(p.y0, p.y1 - h);
    if (where === "seam") {
      const sx = seamX.find((s) => s > p.x0 + 6 && s < p.x1 - 6);
      const sy = seamY.find((s) => s > p.y0 + 6 && s < p.y1 - 6);
      if (sx !== undefined) x0 = Math.min(Math.max(p.x0, sx - Math.floor(w / 2)), p.x1 - w);
      if (sy !== undefined) y0 = Math.min(Math.max(p.y0, sy - Math.floor(h / 2)), p.y1 - h);
    }
    if (where === "county") {
      const cx = Math.round(countyLine(p.y0));
      x0 = Math.min(Math.max(p.x0, cx - Math.floor(w / 3)), p.x1 - w);
    }
    const rect = { x0, y0, x1: x0 + w, y1: y0 + h };
    for (let y = rect.y0; y < rect.y1; y++) for (let x = rect.x0; x < rect.x1; x++) after[y * size + x] = -1;
    const changeRegion = addRegion(CHANGE_PAINT[type], true);
    for (let i = 0; i < after.length; i++) if (after[i] === -1) after[i] = changeRegion;
    changeRects.push(rect);
    truth.push({
      type: "Feature",
      properties: { truth_id: `change-${k + 1}`, change_type: type, approved: where === "approved" },
      geometry: rectPolygon(rect),
    });
    if (where === "approved") {
      const margin = 6;
      exclusions.push({
        type: "Feature",
        properties: { kind: "approved-construction", approval_no: "DEMO-2026-017" },
        geometry: rectPolygon({ x0: x0 - margin, y0: y0 - margin, x1: x0 + w + margin, y1: y0 + h + margin }),
      });
    }
  });

  const beforeBands = paintRegions(cover, regions, size, size, 9_14);
  const afterBands = paintRegions(after, regions, size, size, 10_16);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (!unobserved(x, y)) continue;
      for (const band of afterBands) band[y * size + x] = 0;
    }
  }

  // ---- vector layers ------------------------------------------------------------------------
  const baseline: Feature<Polygon>[] = parcels
    .filter((p) => DLBM[p.cls] !== undefined)
    .map((p, i) => ({
      type: "Feature",
      properties: {
        TBBH: `DEMO-${String(i + 1).padStart(4, "0")}`,
        DLBM: DLBM[p.cls]!,
        YJJBNT: p.pbf ? 1 : 0,
      },
      geometry: rectPolygon(p.rect),
    }));

  const far = size * 2;
  const boundary: Array<[number, number]> = [
    [px(650), -far],
    [px(650), px(200)],
    [px(610), px(420)],
    [px(610), far],
  ];
  const counties: Feature<Polygon>[] = [
    {
      type: "Feature",
      properties: { adcode: "150121", name: "土默特左旗", parent_adcode: "150100" },
      geometry: {
        type: "Polygon",
        coordinates: [ring([[-far, far], ...boundary.slice().reverse(), [-far, -far]])],
      },
    },
    {
      type: "Feature",
      properties: { adcode: "150122", name: "托克托县", parent_adcode: "150100" },
      geometry: {
        type: "Polygon",
        coordinates: [ring([[far + size, far], [far + size, -far], ...boundary])],
      },
    },
  ];

  const scene: DemoScene = {
    width: size,
    height: size,
    crs: "EPSG:4546",
    affine,
    nodata: 0,
    before: { date: "2026-09-14", bands: beforeBands },
    after: { date: "2026-10-16", bands: afterBands },
    baseline: { type: "FeatureCollection", features: baseline },
    counties: { type: "FeatureCollection", features: counties },
    exclusions: { type: "FeatureCollection", features: exclusions },
    truth: { type: "FeatureCollection", features: truth },
    mismatchTruth: { type: "FeatureCollection", features: mismatchFeatures },
  };
  const world: DemoWorld = {
    size,
    regions,
    parcels,
    used,
    cover,
    afterMap: after,
    unobserved,
    rectPolygon,
    changeRects,
  };
  return { scene, world };
}
