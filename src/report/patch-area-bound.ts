/**
 * A cheap upper bound of a patch's ground area, for leaving out patches that cannot reach a
 * minimum area before their geometry is traced to longitude/latitude (baseline mismatches come by
 * the ten thousand per county, mostly a few pixels each).
 */
import type { DetectionConfig } from "../config/detection-config.js";
import { pixelAreaM2 } from "../core/geodesic-area.js";
import type { Affine, PixelWindow } from "../core/raster-types.js";
import { coordinateTransform } from "../ingest/crs.js";

/**
 * An upper bound of a patch's area, m², without tracing its geometry. Each polygon of a patch
 * lies within its exterior ring's bounding box in pixels (simplifying keeps a subset of the traced
 * vertices), so the patch is at most the sum of those boxes times the largest ground area of a
 * pixel over the patch. A pixel's ground area changes smoothly across a grid: it is taken at the
 * corner of the 64-pixel cell at each corner of the patch's box, with a 1% margin (over 64
 * pixels it changes by far less); a rotated grid gets no bound (Infinity).
 */
export class PatchAreaBound {
  private readonly cells = new Map<number, number>();
  private readonly toLonLat: ((x: number, y: number) => { x: number; y: number }) | null;

  constructor(
    private readonly affine: Affine,
    crs: string,
  ) {
    const t = coordinateTransform(crs, "EPSG:4326");
    const rotated = affine.rowRotation !== 0 || affine.colRotation !== 0;
    this.toLonLat = rotated ? null : (x, y) => t.forward(x, y);
  }

  /** The bound for a patch with box `bbox` (mosaic pixels) and polygons `polygons` (flat x, y rings). */
  maxAreaM2(bbox: PixelWindow, polygons: readonly (readonly ArrayLike<number>[])[]): number {
    if (!this.toLonLat) return Infinity;
    let boxes = 0;
    for (const rings of polygons) {
      const exterior = rings[0];
      if (!exterior) continue;
      let x0 = Infinity;
      let y0 = Infinity;
      let x1 = -Infinity;
      let y1 = -Infinity;
      for (let i = 0; i + 1 < exterior.length; i += 2) {
        x0 = Math.min(x0, exterior[i]!);
        x1 = Math.max(x1, exterior[i]!);
        y0 = Math.min(y0, exterior[i + 1]!);
        y1 = Math.max(y1, exterior[i + 1]!);
      }
      if (x1 > x0 && y1 > y0) boxes += (x1 - x0) * (y1 - y0);
    }
    const { x0, y0, x1, y1 } = bbox;
    const pixel = Math.max(
      this.cellArea(x0, y0),
      this.cellArea(x1 - 1, y0),
      this.cellArea(x0, y1 - 1),
      this.cellArea(x1 - 1, y1 - 1),
    );
    return boxes * pixel * 1.01;
  }

  private cellArea(x: number, y: number): number {
    const cx = Math.floor(x / 64);
    const cy = Math.floor(y / 64);
    const key = cy * 1_000_003 + cx;
    let area = this.cells.get(key);
    if (area === undefined) {
      area = pixelAreaM2(this.affine, this.toLonLat!, cx * 64, cy * 64);
      this.cells.set(key, area);
    }
    return area;
  }
}

/**
 * A test for patches the run will not report as baseline mismatches: mismatch patches when the
 * layer is off, or when their area bound on `affine`/`crs` is below its minimum area. The window
 * jobs and the join stage drop the same patches with it.
 */
export function unreportedMismatch(
  affine: Affine,
  crs: string,
  layer: DetectionConfig["baselineMismatch"],
): (kind: string, bbox: PixelWindow, polygons: readonly (readonly ArrayLike<number>[])[]) => boolean {
  const bound = new PatchAreaBound(affine, crs);
  return (kind, bbox, polygons) =>
    kind === "mismatch" && (!layer.enabled || bound.maxAreaM2(bbox, polygons) < layer.minAreaM2);
}
