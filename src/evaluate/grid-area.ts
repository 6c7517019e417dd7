/** Ground area of a grid's pixels, for reporting object areas of rasters. */
import { polygonAreaM2 } from "../core/geodesic-area.js";
import { pixelToMap } from "../core/raster-types.js";
import { coordinateTransform } from "../ingest/crs.js";
import type { RasterGrid } from "../ingest/rasterize.js";

/**
 * Ellipsoidal area (m²) of the grid's centre pixel. On a projected grid every pixel is within a
 * fraction of a percent of it over a county; on a lon/lat grid (OSCD) it varies with latitude by
 * about 1 % per 100 km north–south, which is fine for reporting reference object sizes.
 */
export function centrePixelAreaM2(grid: RasterGrid): number {
  const t = coordinateTransform(grid.crs, "EPSG:4326");
  const cx = Math.floor(grid.width / 2);
  const cy = Math.floor(grid.height / 2);
  const corners = [
    [cx, cy],
    [cx, cy + 1],
    [cx + 1, cy + 1],
    [cx + 1, cy],
    [cx, cy],
  ].map(([c, r]) => {
    const m = pixelToMap(grid.affine, c!, r!);
    const ll = t.forward(m.x, m.y);
    return [ll.x, ll.y];
  });
  return Math.abs(polygonAreaM2([corners]));
}
