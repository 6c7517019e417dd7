/**
 * Issue outlines as SVG path data in overview-image pixels, for the overlay drawn over the
 * county's overview on the review page (the page's SVG has `viewBox="0 0 width height"`).
 */
import type { Mosaic } from "../ingest/mosaic.js";
import { lonLatToMosaicPixel, type OverviewGrid } from "./overview-grid.js";
import { issuePolygons, type ReviewIssue } from "./review-issues.js";

/**
 * SVG path data (`M…L…Z` per ring, outer rings and holes; draw with `fill-rule="evenodd"`) of an
 * issue's polygons in the overview grid's pixel coordinates, two decimals.
 */
export function overlayPath(issue: ReviewIssue, mosaic: Mosaic, grid: OverviewGrid): string {
  const toPixel = lonLatToMosaicPixel(mosaic);
  const parts: string[] = [];
  for (const polygon of issuePolygons(issue))
    for (const ring of polygon) {
      const pts = ring.map(([lon, lat]) => {
        const p = toPixel(lon!, lat!);
        const x = (p.col - grid.window.x0) / grid.factor;
        const y = (p.row - grid.window.y0) / grid.factor;
        return `${x.toFixed(2)},${y.toFixed(2)}`;
      });
      parts.push(`M${pts.join("L")}Z`);
    }
  return parts.join("");
}
