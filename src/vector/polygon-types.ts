/**
 * Polygon types shared by the vectorising modules: pixel-space polygons straight from the
 * tracer and map-space polygons for output.
 */
import { PatrolError } from "../core/errors.js";
import type { PixelWindow } from "../core/raster-types.js";

/** Bad input to polygonisation (sizes, windows, options): permanent. */
export class PolygonizeError extends PatrolError {
  readonly permanent = true;
  constructor(readonly problem: string) {
    super(problem);
  }
}

/**
 * One polygon in pixel-corner coordinates of its grid: (0,0) is the outer corner of the top-left
 * pixel, x grows to the right (columns), y grows down (rows).
 */
export interface PixelPolygon {
  /** The value shared by all of the polygon's pixels. */
  readonly value: number;
  /**
   * 1-based id of the connected region, in raster order of its first pixel. With 4-connectivity
   * every region is exactly one polygon and this is its index + 1. With 8-connectivity a region
   * whose pixels join only at corners cannot be one valid polygon; it comes as its 4-connected
   * parts, each a polygon with this same id, together a valid MultiPolygon (where
   * gdal_polygonize writes one polygon with a self-touching, invalid outline).
   */
  readonly region: number;
  /** Number of pixels of the polygon (equals its area in pixels before simplification). */
  readonly pixelCount: number;
  /** The pixels the region covers, as a half-open window on the grid. */
  readonly bbox: PixelWindow;
  /**
   * Ring 0 is the exterior, the others are holes. Each ring is closed (last vertex equals the
   * first) and flat: [x0, y0, x1, y1, …]. Only corners are stored (no collinear vertices). The
   * exterior runs counter-clockwise as seen on screen (rows going down), the holes clockwise, so
   * the exterior has negative shoelace area in these y-down coordinates and becomes
   * counter-clockwise in map coordinates under a north-up affine (RFC 7946).
   */
  readonly rings: readonly Int32Array[];
}

/**
 * One polygon in map coordinates (the grid's CRS), e.g. from `pixelPolygonToMap`.
 */
export interface MapPolygon {
  /** The value shared by all of the polygon's pixels. */
  readonly value: number;
  /** Connected region id (see {@link PixelPolygon.region}). */
  readonly region: number;
  /** Number of pixels of the polygon (not changed by simplification). */
  readonly pixelCount: number;
  /** The pixels the region covers, as a half-open window on the grid (pixel coordinates). */
  readonly bbox: PixelWindow;
  /**
   * Ring 0 is the exterior, the others are holes; each closed and flat [x0, y0, x1, y1, …] in map
   * units. Oriented per RFC 7946: the exterior counter-clockwise (positive shoelace area with x
   * east and y north), holes clockwise.
   */
  readonly rings: readonly Float64Array[];
}

/** A GeoJSON Polygon geometry (structurally the `geojson` package's Polygon). */
export interface GeoJsonPolygon {
  type: "Polygon";
  coordinates: number[][][];
}
