/**
 * Polygon geometry as the pipeline holds it: GeoJSON-shaped (so it passes straight to Turf and
 * back out to GeoJSON), validated on load, always closed rings. Coordinates are map
 * coordinates of the owning layer's CRS, easting/longitude first.
 */
import type { Point } from "./crs.js";

/** [x, y] (extra ordinates such as z are carried but ignored). */
export type Position = number[];

/** A ring: closed (first position equals last), at least 4 positions. */
export type Ring = Position[];

export interface PolygonGeometry {
  type: "Polygon";
  /** Exterior ring first, then holes. */
  coordinates: Ring[];
}

export interface MultiPolygonGeometry {
  type: "MultiPolygon";
  coordinates: Ring[][];
}

/** The geometry types an area layer may hold. */
export type AreaGeometry = PolygonGeometry | MultiPolygonGeometry;

/** A bounding box in the map units of an implied CRS. */
export interface Extent {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/** The polygons of a geometry, each an array of rings (exterior first), without copying. */
export function polygonsOf(g: AreaGeometry): Ring[][] {
  return g.type === "Polygon" ? [g.coordinates] : g.coordinates;
}

/** An extent that contains nothing; grows with {@link extendExtent}. */
export function emptyExtent(): Extent {
  return { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
}

/** Grows `e` (in place) to include `other`. */
export function extendExtent(e: Extent, other: Extent): Extent {
  if (other.minX < e.minX) e.minX = other.minX;
  if (other.minY < e.minY) e.minY = other.minY;
  if (other.maxX > e.maxX) e.maxX = other.maxX;
  if (other.maxY > e.maxY) e.maxY = other.maxY;
  return e;
}

/** Extent of a geometry's exterior rings (holes lie inside them). */
export function geometryExtent(g: AreaGeometry): Extent {
  const e = emptyExtent();
  for (const polygon of polygonsOf(g)) {
    const ring = polygon[0];
    if (!ring) continue;
    for (const p of ring) {
      const x = p[0] as number;
      const y = p[1] as number;
      if (x < e.minX) e.minX = x;
      if (x > e.maxX) e.maxX = x;
      if (y < e.minY) e.minY = y;
      if (y > e.maxY) e.maxY = y;
    }
  }
  return e;
}

/** True when two extents overlap or touch. */
export function extentsIntersect(a: Extent, b: Extent): boolean {
  return a.minX <= b.maxX && b.minX <= a.maxX && a.minY <= b.maxY && b.minY <= a.maxY;
}

/**
 * A copy of `g` with every position passed through `fn` (x, y in, x, y out). Extra ordinates are
 * dropped. Ring closure is kept exactly: the closing position is the transformed first one.
 */
export function mapPositions(g: AreaGeometry, fn: (x: number, y: number) => Point): AreaGeometry {
  const mapRing = (ring: Ring): Ring => {
    const out: Ring = new Array<Position>(ring.length);
    for (let i = 0; i < ring.length - 1; i++) {
      const p = ring[i] as Position;
      const q = fn(p[0] as number, p[1] as number);
      out[i] = [q.x, q.y];
    }
    out[ring.length - 1] = [...(out[0] as Position)];
    return out;
  };
  if (g.type === "Polygon") return { type: "Polygon", coordinates: g.coordinates.map(mapRing) };
  return { type: "MultiPolygon", coordinates: g.coordinates.map((poly) => poly.map(mapRing)) };
}

/** Number of positions in a geometry (closing positions included). */
export function positionCount(g: AreaGeometry): number {
  let n = 0;
  for (const polygon of polygonsOf(g)) for (const ring of polygon) n += ring.length;
  return n;
}
