/**
 * The grid of a county's overview image: the window of the after mosaic that holds all the
 * county's issues plus a margin, and the whole-pixel decimation factor that keeps its longest side
 * within a limit. Issue outlines are drawn on the page in this grid's pixel coordinates.
 */
import type { PixelWindow } from "../core/raster-types.js";
import { mapToPixel } from "../core/raster-types.js";
import { coordinateTransform, isGeographic } from "../ingest/crs.js";
import type { Mosaic } from "../ingest/mosaic.js";
import { issuePolygons, type ReviewIssue } from "./review-issues.js";

/**
 * Pixels: how far a projected vertex may stray from the pixel edge it was computed from. Issue
 * GeoJSON keeps 9 decimals of a degree (about 0.1 mm), so a vertex read back strays up to about
 * 3e-5 of a 4 m pixel (3e-4 of a 0.3 m one); 1e-6 was too tight and widened the window by a pixel.
 */
const EDGE_TOLERANCE = 1e-3;

export interface OverviewGrid {
  /** Window of the mosaic (mosaic pixels) the overview covers; width and height are multiples of `factor`. */
  readonly window: PixelWindow;
  /** Mosaic pixels per overview pixel along each axis (1 = full resolution). */
  readonly factor: number;
  /** Size of the overview image, pixels. */
  readonly width: number;
  readonly height: number;
}

export interface OverviewOptions {
  /** Margin around the issues, metres (converted with the mosaic's pixel width). */
  readonly contextM: number;
  /** Longest side of the overview image, pixels. */
  readonly maxPx: number;
}

/** Metres per mosaic pixel, N–S (for a geographic CRS, 111.32 km per degree of latitude). */
export function pixelSizeM(mosaic: Mosaic): number {
  const size = Math.abs(mosaic.affine.pixelHeight);
  return isGeographic(mosaic.crs) ? size * 111_320 : size;
}

/** (lon, lat) in EPSG:4326 → fractional mosaic pixel (col, row) of `mosaic`'s top-left corner. */
export function lonLatToMosaicPixel(
  mosaic: Mosaic,
): (lon: number, lat: number) => { col: number; row: number } {
  const t = coordinateTransform("EPSG:4326", mosaic.crs);
  return (lon, lat) => {
    const m = t.forward(lon, lat);
    return mapToPixel(mosaic.affine, m.x, m.y);
  };
}

/**
 * The overview grid for `issues` (at least one) on `mosaic`: their bounding box in mosaic pixels,
 * widened by `contextM`, clamped to the mosaic, then decimated by the smallest whole factor that
 * brings the longest side to `maxPx` or less.
 */
export function overviewGrid(
  issues: readonly Pick<ReviewIssue, "geometry">[],
  mosaic: Mosaic,
  options: OverviewOptions,
): OverviewGrid {
  const toPixel = lonLatToMosaicPixel(mosaic);
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const issue of issues)
    for (const polygon of issuePolygons(issue))
      for (const [lon, lat] of polygon[0]!) {
        const p = toPixel(lon!, lat!);
        x0 = Math.min(x0, p.col);
        y0 = Math.min(y0, p.row);
        x1 = Math.max(x1, p.col);
        y1 = Math.max(y1, p.row);
      }
  if (!Number.isFinite(x0)) throw new RangeError("overviewGrid needs at least one issue");
  const margin = Math.ceil(options.contextM / pixelSizeM(mosaic));
  // Outlines run along pixel edges; allow for the lon/lat round trip before rounding outwards.
  x0 = Math.floor(x0 + EDGE_TOLERANCE) - margin;
  y0 = Math.floor(y0 + EDGE_TOLERANCE) - margin;
  x1 = Math.ceil(x1 - EDGE_TOLERANCE) + margin;
  y1 = Math.ceil(y1 - EDGE_TOLERANCE) + margin;
  let wx0 = Math.max(0, x0);
  let wy0 = Math.max(0, y0);
  let wx1 = Math.min(mosaic.width, x1);
  let wy1 = Math.min(mosaic.height, y1);
  if (wx1 <= wx0 || wy1 <= wy0) {
    // Issues off the mosaic (cannot happen for a run's own issues): keep their own extent.
    [wx0, wy0, wx1, wy1] = [x0, y0, x1, y1];
  }
  const factor = Math.max(1, Math.ceil(Math.max(wx1 - wx0, wy1 - wy0) / options.maxPx));
  const width = Math.ceil((wx1 - wx0) / factor);
  const height = Math.ceil((wy1 - wy0) / factor);
  return {
    window: { x0: wx0, y0: wy0, x1: wx0 + width * factor, y1: wy0 + height * factor },
    factor,
    width,
    height,
  };
}
