/**
 * The pixels of a traced pixel-edge polygon, as horizontal spans. Rings from the tracer run along
 * pixel edges, so a pixel (x, y) is inside exactly when an odd number of the polygon's vertical
 * edges cross row y to its left (even-odd over exterior and holes together). Cost is the
 * polygon's perimeter plus its row count, independent of its area.
 */
import type { PixelPolygon } from "./polygon-types.js";

/**
 * Calls `visit(y, x0, x1)` for every span of pixels [x0, x1) in row y covered by the polygon, in
 * grid pixel coordinates (the polygon's own coordinates).
 */
export function forEachSpan(
  polygon: Pick<PixelPolygon, "rings" | "bbox">,
  visit: (y: number, x0: number, x1: number) => void,
): void {
  const { y0, y1 } = polygon.bbox;
  const rows: number[][] = Array.from({ length: y1 - y0 }, () => []);
  for (const ring of polygon.rings) {
    for (let i = 0; i + 3 < ring.length; i += 2) {
      const ax = ring[i]!;
      const ay = ring[i + 1]!;
      const bx = ring[i + 2]!;
      const by = ring[i + 3]!;
      if (ax !== bx) continue; // horizontal edges never cross a row's centre line
      const lo = Math.min(ay, by);
      const hi = Math.max(ay, by);
      for (let y = lo; y < hi; y++) rows[y - y0]!.push(ax);
    }
  }
  rows.forEach((xs, k) => {
    xs.sort((a, b) => a - b);
    for (let j = 0; j + 1 < xs.length; j += 2) {
      if (xs[j]! < xs[j + 1]!) visit(y0 + k, xs[j]!, xs[j + 1]!);
    }
  });
}
