/**
 * Ellipsoidal (geodesic) areas of lon/lat polygons on the CGCS2000 ellipsoid (GRS80), the
 * official basis for Chinese land areas. GeographicLib computes the area of the polygon whose
 * edges are geodesics; for patches a few hundred metres across the difference from rhumb or
 * projected edges is far below a square metre.
 */
import geodesicModule from "geographiclib-geodesic";
import { pixelToMap, type Affine } from "./raster-types.js";

const { Geodesic } = geodesicModule;

/** GRS80: a = 6378137 m, f = 1/298.257222101 (CGCS2000 uses GRS80). */
const CGCS2000 = new Geodesic.Geodesic(6378137, 1 / 298.257222101);

/** Square metres in one mu (亩). */
export const SQUARE_METRES_PER_MU = 10000 / 15;

/** Area of one ring of [lon, lat] positions (closed or not), m², always positive. */
export function ringAreaM2(ring: readonly (readonly number[])[]): number {
  const poly = CGCS2000.Polygon(false);
  const n =
    ring.length > 1 && ring[0]![0] === ring[ring.length - 1]![0] && ring[0]![1] === ring[ring.length - 1]![1]
      ? ring.length - 1
      : ring.length;
  for (let i = 0; i < n; i++) poly.AddPoint(ring[i]![1]!, ring[i]![0]!);
  const { area } = poly.Compute(false, true);
  return Math.abs(area ?? 0);
}

/** Area of a Polygon's rings (exterior minus holes), m². */
export function polygonAreaM2(rings: readonly (readonly (readonly number[])[])[]): number {
  let area = 0;
  rings.forEach((ring, i) => {
    area += i === 0 ? ringAreaM2(ring) : -ringAreaM2(ring);
  });
  return area;
}

/**
 * Ellipsoidal area of the pixel at column `x`, row `y` of a grid, m²: its four corners mapped by
 * `affine` into the grid's CRS and by `toLonLat` to longitude/latitude, as a geodesic ring.
 */
export function pixelAreaM2(
  affine: Affine,
  toLonLat: (x: number, y: number) => { x: number; y: number },
  x: number,
  y: number,
): number {
  const ring = [
    [x, y],
    [x, y + 1],
    [x + 1, y + 1],
    [x + 1, y],
  ].map(([c, r]) => {
    const m = pixelToMap(affine, c!, r!);
    const ll = toLonLat(m.x, m.y);
    return [ll.x, ll.y];
  });
  return ringAreaM2(ring);
}

/** Area of a GeoJSON Polygon or MultiPolygon in lon/lat, m². */
export function geometryAreaM2(
  geometry:
    { type: "Polygon"; coordinates: number[][][] } | { type: "MultiPolygon"; coordinates: number[][][][] },
): number {
  if (geometry.type === "Polygon") return polygonAreaM2(geometry.coordinates);
  return geometry.coordinates.reduce((s, p) => s + polygonAreaM2(p), 0);
}

export function squareMetresToMu(m2: number): number {
  return m2 / SQUARE_METRES_PER_MU;
}
