/**
 * Validity-preserving simplification of traced polygons (Douglas-Peucker per ring, in pixel
 * space).
 *
 * Each ring keeps a subset of its traced vertices, so coordinates stay on the pixel grid and the
 * validity check ({@link findInvalidRings}) is exact. Vertices where rings touch (a hole meeting
 * the exterior at a pixel corner) are kept together with their two neighbours, so the rings meet
 * there exactly as before. After simplifying, the polygon is checked; any ring involved in a
 * problem (self-intersection, crossing another ring, a hole escaping the exterior or swallowed by
 * another hole, a collapsed ring) is put back to its traced form, and the check repeats until
 * the polygon is valid, which at worst is the traced polygon itself.
 *
 * Simplification is per polygon: neighbouring polygons of different values no longer share
 * their boundary exactly (small gaps or overlaps of up to the tolerance). That is harmless for
 * change patches, which are separate regions of one value.
 */
import { findInvalidRings, ringArea2, touchVertices, vertexKey } from "./polygon-validity.js";
import type { PixelPolygon } from "./polygon-types.js";

/** Squared distance from (px, py) to segment (ax, ay)–(bx, by). */
function segmentDistance2(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 === 0 ? 0 : ((px - ax) * dx + (py - ay) * dy) / len2;
  if (t < 0) t = 0;
  else if (t > 1) t = 1;
  const ex = ax + t * dx - px;
  const ey = ay + t * dy - py;
  return ex * ex + ey * ey;
}

/**
 * Douglas-Peucker on one closed ring, keeping the vertices whose {@link vertexKey} is in `pinned`
 * and their neighbours. Returns the ring unchanged when fewer than three vertices would remain.
 */
function simplifyRing(ring: Int32Array, tolerance: number, pinned: ReadonlySet<number>): Int32Array {
  const n = ring.length / 2 - 1; // distinct vertices
  if (n <= 4) return ring;
  const keep = new Uint8Array(n);
  const x = (i: number): number => ring[2 * i] as number;
  const y = (i: number): number => ring[2 * i + 1] as number;
  let anchors = 0;
  if (pinned.size > 0) {
    for (let i = 0; i < n; i++) {
      if (pinned.has(vertexKey(x(i), y(i)))) {
        keep[(i + n - 1) % n] = 1;
        keep[i] = 1;
        keep[(i + 1) % n] = 1;
      }
    }
    for (let i = 0; i < n; i++) anchors += keep[i] as number;
  }
  if (anchors < 2) {
    // Anchor on vertex 0 (or the one pinned vertex) and the vertex farthest from it.
    let first = 0;
    for (let i = 0; i < n; i++) if (keep[i] === 1) first = i;
    keep[first] = 1;
    let far = first;
    let best = -1;
    for (let i = 0; i < n; i++) {
      const d = (x(i) - x(first)) ** 2 + (y(i) - y(first)) ** 2;
      if (d > best) {
        best = d;
        far = i;
      }
    }
    keep[far] = 1;
  }
  const tol2 = tolerance * tolerance;
  const stack: number[] = [];
  const start = keep.indexOf(1);
  // Walk the spans between consecutive kept vertices (cyclically); indices may run past n.
  let a = start;
  do {
    let b = a + 1;
    while (keep[b % n] !== 1) b++;
    stack.push(a, b);
    while (stack.length > 0) {
      const j = stack.pop() as number;
      const i = stack.pop() as number;
      let worst = -1;
      let worstD = tol2;
      for (let k = i + 1; k < j; k++) {
        const d = segmentDistance2(x(k % n), y(k % n), x(i % n), y(i % n), x(j % n), y(j % n));
        if (d > worstD) {
          worstD = d;
          worst = k;
        }
      }
      if (worst >= 0) {
        keep[worst % n] = 1;
        stack.push(i, worst, worst, j);
      }
    }
    a = b % n;
  } while (a !== start);

  let kept = 0;
  for (let i = 0; i < n; i++) kept += keep[i] as number;
  if (kept < 3 || kept === n) return ring;
  const out = new Int32Array(2 * kept + 2);
  let o = 0;
  for (let i = 0; i < n; i++) {
    if (keep[i] === 1) {
      out[o++] = x(i);
      out[o++] = y(i);
    }
  }
  out[o++] = out[0] as number;
  out[o] = out[1] as number;
  return out;
}

/**
 * Simplifies a traced polygon with Douglas-Peucker at `tolerance` pixels (distance from the kept
 * outline to each dropped vertex), keeping it valid as described in the module comment. Returns
 * the polygon itself when the tolerance is not positive. `pixelCount` and `bbox` are kept
 * (they describe the region's pixels, not the outline).
 */
export function simplifyPixelPolygon(polygon: PixelPolygon, tolerance: number): PixelPolygon {
  if (!(tolerance > 0)) return polygon;
  const original = polygon.rings;
  const touches = touchVertices(original);
  const rings = original.map((ring) => simplifyRing(ring, tolerance, touches));
  if (rings.every((r, i) => r === original[i])) return polygon;
  const signs = original.map((ring) => Math.sign(ringArea2(ring)));
  for (;;) {
    const bad = findInvalidRings(rings, signs, touches);
    if (bad.size === 0) break;
    let reverted = false;
    for (const r of bad) {
      if (rings[r] !== original[r]) {
        rings[r] = original[r] as Int32Array;
        reverted = true;
      }
    }
    if (!reverted) return polygon; // only traced rings involved: keep the traced polygon
  }
  return { ...polygon, rings };
}
