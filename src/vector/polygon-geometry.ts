/**
 * Geometry helpers for traced polygons: pixel-to-map conversion with RFC 7946 ring orientation,
 * planar areas in map units, and GeoJSON output.
 */
import type { Affine } from "../core/raster-types.js";
import type { GeoJsonPolygon, MapPolygon, PixelPolygon } from "./polygon-types.js";

/**
 * Signed shoelace area of a closed flat ring [x0, y0, …, x0, y0], in squared coordinate units:
 * positive for counter-clockwise with y up. Computed relative to the first vertex so that large
 * map offsets (UTM northings of millions of metres) do not cost precision.
 */
export function ringSignedArea(ring: ArrayLike<number>): number {
  const n = ring.length;
  if (n < 8) return 0;
  const x0 = ring[0] as number;
  const y0 = ring[1] as number;
  let sum = 0;
  let px = 0;
  let py = 0;
  for (let i = 2; i < n; i += 2) {
    const x = (ring[i] as number) - x0;
    const y = (ring[i + 1] as number) - y0;
    sum += px * y - x * py;
    px = x;
    py = y;
  }
  return sum / 2;
}

/**
 * Planar area of a polygon (exterior minus holes) in squared units of its coordinates: m² for a
 * projected CRS in metres, pixels for pixel coordinates, square degrees for lon/lat (use an
 * ellipsoidal area for those). Independent of ring orientation.
 */
export function polygonArea(rings: readonly ArrayLike<number>[]): number {
  let area = 0;
  rings.forEach((ring, i) => {
    const a = Math.abs(ringSignedArea(ring));
    area += i === 0 ? a : -a;
  });
  return area;
}

/** Total planar area of several polygons, in squared map units (see {@link polygonArea}). */
export function totalArea(polygons: readonly { rings: readonly ArrayLike<number>[] }[]): number {
  let sum = 0;
  for (const p of polygons) sum += polygonArea(p.rings);
  return sum;
}

/**
 * Converts a pixel-space polygon to map coordinates with the grid's affine (pixel corners, GDAL
 * convention), computing each vertex as GDAL does (originX + col·pixelWidth + row·rowRotation, …)
 * so coordinates agree with gdal_polygonize bit for bit. Rings are reversed when needed so the
 * exterior is counter-clockwise in map coordinates whatever the affine's handedness.
 */
export function pixelPolygonToMap(polygon: PixelPolygon, affine: Affine): MapPolygon {
  const { originX, pixelWidth, rowRotation, originY, colRotation, pixelHeight } = affine;
  // Traced exteriors are clockwise in raw (x right, y down) coordinates; an affine with negative
  // determinant (north-up) flips that to counter-clockwise, a positive one keeps it.
  const reverse = pixelWidth * pixelHeight - rowRotation * colRotation > 0;
  const rings = polygon.rings.map((ring) => {
    const n = ring.length;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i += 2) {
      const col = ring[i] as number;
      const row = ring[i + 1] as number;
      const j = reverse ? n - 2 - i : i;
      out[j] = originX + col * pixelWidth + row * rowRotation;
      out[j + 1] = originY + col * colRotation + row * pixelHeight;
    }
    return out;
  });
  return {
    value: polygon.value,
    region: polygon.region,
    pixelCount: polygon.pixelCount,
    bbox: polygon.bbox,
    rings,
  };
}

/** A GeoJSON Polygon geometry of a map polygon (coordinates copied into position arrays). */
export function toGeoJsonPolygon(polygon: MapPolygon): GeoJsonPolygon {
  return {
    type: "Polygon",
    coordinates: polygon.rings.map((ring) => {
      const positions: number[][] = new Array<number[]>(ring.length / 2);
      for (let i = 0; i < ring.length; i += 2) positions[i / 2] = [ring[i] as number, ring[i + 1] as number];
      return positions;
    }),
  };
}
