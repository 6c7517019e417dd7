/**
 * Exact OGC-validity checks for polygons on integer pixel-corner coordinates (as traced, or
 * simplified to a subset of traced vertices). Integer coordinates keep every orientation test
 * exact in doubles (products stay far below 2^53), so there is no tolerance to tune.
 *
 * Checked: each ring has at least three distinct vertices and non-zero area with the expected
 * orientation; no two segments meet except consecutive segments of one ring at their shared
 * vertex and segments of different rings at an allowed touch vertex (a point where the rings
 * already touched before simplification); consecutive segments do not fold back on each other;
 * every hole lies inside the exterior and outside every other hole. With touches confined to
 * the original touch points and their incident segments unchanged, the interior stays connected.
 */

/** Key of an integer vertex for sets and maps. */
export function vertexKey(x: number, y: number): number {
  return (x + 33554432) * 67108864 + (y + 33554432);
}

function orient(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  const v = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

function onSegment(ax: number, ay: number, bx: number, by: number, px: number, py: number): boolean {
  return Math.min(ax, bx) <= px && px <= Math.max(ax, bx) && Math.min(ay, by) <= py && py <= Math.max(ay, by);
}

/** True when closed segments a–b and c–d share at least one point. */
function segmentsMeet(
  ax: number,
  ay: number,
  bx: number,
  by: number,
  cx: number,
  cy: number,
  dx: number,
  dy: number,
): boolean {
  const o1 = orient(ax, ay, bx, by, cx, cy);
  const o2 = orient(ax, ay, bx, by, dx, dy);
  const o3 = orient(cx, cy, dx, dy, ax, ay);
  const o4 = orient(cx, cy, dx, dy, bx, by);
  if (o1 !== o2 && o3 !== o4) return true;
  if (o1 === 0 && onSegment(ax, ay, bx, by, cx, cy)) return true;
  if (o2 === 0 && onSegment(ax, ay, bx, by, dx, dy)) return true;
  if (o3 === 0 && onSegment(cx, cy, dx, dy, ax, ay)) return true;
  if (o4 === 0 && onSegment(cx, cy, dx, dy, bx, by)) return true;
  return false;
}

/**
 * For two segments known to share endpoint s (with far ends p and q), true when they overlap
 * beyond s (collinear and pointing the same way).
 */
function foldsBack(sx: number, sy: number, px: number, py: number, qx: number, qy: number): boolean {
  if (orient(sx, sy, px, py, qx, qy) !== 0) return false;
  return (px - sx) * (qx - sx) + (py - sy) * (qy - sy) > 0;
}

/** Signed shoelace area ×2 of a closed integer ring (exact). */
export function ringArea2(ring: Int32Array): number {
  let sum = 0;
  for (let i = 0; i + 3 < ring.length; i += 2) {
    sum += (ring[i] as number) * (ring[i + 3] as number) - (ring[i + 2] as number) * (ring[i + 1] as number);
  }
  return sum;
}

/**
 * Crossing-number point-in-ring for all rings of a polygon at once: the rings' non-horizontal
 * edges are bucketed by pixel row, so a query scans only the edges spanning its row and yields
 * the parity (inside or not) for every ring. Used for polygons with thousands of vertices and
 * holes.
 */
class RowIndex {
  private readonly y0: number;
  private readonly start: Int32Array;
  /** Ring and flat vertex index of each bucketed edge. */
  private readonly edgeRing: Int32Array;
  private readonly edgeAt: Int32Array;
  private readonly parity: Uint8Array;
  private readonly touched: Int32Array;

  constructor(private readonly rings: readonly Int32Array[]) {
    let y0 = Infinity;
    let y1 = -Infinity;
    for (const ring of rings) {
      for (let i = 1; i < ring.length; i += 2) {
        const y = ring[i] as number;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
    this.y0 = y0;
    const rows = Math.max(0, y1 - y0);
    const start = new Int32Array(rows + 1);
    for (const ring of rings) {
      for (let i = 0; i + 3 < ring.length; i += 2) {
        const a = ring[i + 1] as number;
        const b = ring[i + 3] as number;
        for (let y = Math.min(a, b); y < Math.max(a, b); y++)
          start[y - y0 + 1] = (start[y - y0 + 1] as number) + 1;
      }
    }
    for (let k = 1; k <= rows; k++) start[k] = (start[k] as number) + (start[k - 1] as number);
    const total = start[rows] as number;
    const edgeRing = new Int32Array(total);
    const edgeAt = new Int32Array(total);
    const fill = start.slice(0, rows);
    rings.forEach((ring, r) => {
      for (let i = 0; i + 3 < ring.length; i += 2) {
        const a = ring[i + 1] as number;
        const b = ring[i + 3] as number;
        for (let y = Math.min(a, b); y < Math.max(a, b); y++) {
          const at = fill[y - y0] as number;
          edgeRing[at] = r;
          edgeAt[at] = i;
          fill[y - y0] = at + 1;
        }
      }
    });
    this.start = start;
    this.edgeRing = edgeRing;
    this.edgeAt = edgeAt;
    this.parity = new Uint8Array(rings.length);
    this.touched = new Int32Array(rings.length);
  }

  /**
   * Calls `inside(ring)` for every ring that contains the point (px2/2, py2/2), which must not
   * lie on any ring.
   */
  forEachContaining(px2: number, py2: number, inside: (ring: number) => void): void {
    const row = Math.floor(py2 / 2) - this.y0;
    if (row < 0 || row >= this.start.length - 1) return;
    let touched = 0;
    for (let k = this.start[row] as number; k < (this.start[row + 1] as number); k++) {
      const r = this.edgeRing[k] as number;
      const ring = this.rings[r] as Int32Array;
      const i = this.edgeAt[k] as number;
      const ax = 2 * (ring[i] as number);
      const ay = 2 * (ring[i + 1] as number);
      const bx = 2 * (ring[i + 2] as number);
      const by = 2 * (ring[i + 3] as number);
      if (ay > py2 !== by > py2) {
        const lhs = (px2 - ax) * (by - ay);
        const rhs = (py2 - ay) * (bx - ax);
        if (by > ay ? lhs < rhs : lhs > rhs) {
          if (this.parity[r] === 0 && !this.isTouched(r, touched)) this.touched[touched++] = r;
          this.parity[r] = (this.parity[r] as number) ^ 1;
        }
      }
    }
    for (let t = 0; t < touched; t++) {
      const r = this.touched[t] as number;
      if (this.parity[r] === 1) inside(r);
      this.parity[r] = 0;
    }
  }

  private isTouched(r: number, touched: number): boolean {
    for (let t = 0; t < touched; t++) if (this.touched[t] === r) return true;
    return false;
  }
}

/**
 * Returns the indices of the rings involved in validity problems (empty when the polygon is
 * valid). `rings[0]` is the exterior; `expectedSigns[i]` is the sign its {@link ringArea2} must
 * have (traced polygons: -1 for the exterior, +1 for holes); `allowedTouches` holds the
 * {@link vertexKey}s where different rings may meet.
 */
export function findInvalidRings(
  rings: readonly Int32Array[],
  expectedSigns: readonly number[],
  allowedTouches: ReadonlySet<number>,
): Set<number> {
  const bad = new Set<number>();
  let segCount = 0;
  rings.forEach((ring, r) => {
    const n = ring.length / 2 - 1;
    const area = ringArea2(ring);
    if (n < 3 || area === 0 || Math.sign(area) !== expectedSigns[r]) bad.add(r);
    segCount += Math.max(n, 0);
  });
  if (bad.size > 0) return bad;

  // Segments: ring, index within ring, endpoints; swept by minX.
  const segRing = new Int32Array(segCount);
  const segIndex = new Int32Array(segCount);
  const coords = new Float64Array(segCount * 4);
  let s = 0;
  rings.forEach((ring, r) => {
    for (let i = 0; i + 3 < ring.length; i += 2, s++) {
      segRing[s] = r;
      segIndex[s] = i / 2;
      coords[s * 4] = ring[i] as number;
      coords[s * 4 + 1] = ring[i + 1] as number;
      coords[s * 4 + 2] = ring[i + 2] as number;
      coords[s * 4 + 3] = ring[i + 3] as number;
    }
  });
  /** Tests segments a and b; records both rings when they meet where they may not. */
  const testPair = (a: number, b: number): void => {
    const ax = coords[a * 4] as number;
    const ay = coords[a * 4 + 1] as number;
    const bx = coords[a * 4 + 2] as number;
    const by = coords[a * 4 + 3] as number;
    const cx = coords[b * 4] as number;
    const cy = coords[b * 4 + 1] as number;
    const dx = coords[b * 4 + 2] as number;
    const dy = coords[b * 4 + 3] as number;
    if (Math.max(cx, dx) < Math.min(ax, bx) || Math.min(cx, dx) > Math.max(ax, bx)) return;
    if (Math.max(cy, dy) < Math.min(ay, by) || Math.min(cy, dy) > Math.max(ay, by)) return;
    if (!segmentsMeet(ax, ay, bx, by, cx, cy, dx, dy)) return;
    const ra = segRing[a] as number;
    const rb = segRing[b] as number;
    // A shared endpoint (s) is fine between consecutive segments of a ring, or at an allowed
    // touch vertex between rings, unless the two segments overlap beyond it (fold back).
    let sx: number;
    let sy: number;
    let fold: boolean;
    if (ax === cx && ay === cy) {
      sx = ax;
      sy = ay;
      fold = foldsBack(ax, ay, bx, by, dx, dy);
    } else if (ax === dx && ay === dy) {
      sx = ax;
      sy = ay;
      fold = foldsBack(ax, ay, bx, by, cx, cy);
    } else if (bx === cx && by === cy) {
      sx = bx;
      sy = by;
      fold = foldsBack(bx, by, ax, ay, dx, dy);
    } else if (bx === dx && by === dy) {
      sx = bx;
      sy = by;
      fold = foldsBack(bx, by, ax, ay, cx, cy);
    } else {
      bad.add(ra);
      bad.add(rb);
      return;
    }
    let ok = false;
    if (!fold) {
      if (ra === rb) {
        const n = (rings[ra] as Int32Array).length / 2 - 1;
        const gap = Math.abs((segIndex[a] as number) - (segIndex[b] as number));
        ok = gap === 1 || gap === n - 1;
      } else {
        ok = allowedTouches.has(vertexKey(sx, sy));
      }
    }
    if (!ok) {
      bad.add(ra);
      bad.add(rb);
    }
  };

  if (segCount <= 64) {
    // Small polygons (most of them): all pairs, no index.
    for (let a = 0; a < segCount; a++) for (let b = a + 1; b < segCount; b++) testPair(a, b);
    return nestingProblems(rings, allowedTouches, bad);
  }
  // Uniform grid over the segments' bounding boxes, about one cell per segment; each pair is
  // tested once, in the first cell (lowest column, then row) that both boxes reach.
  let gx0 = Infinity;
  let gy0 = Infinity;
  let gx1 = -Infinity;
  let gy1 = -Infinity;
  for (let k = 0; k < segCount * 4; k += 2) {
    const x = coords[k] as number;
    const y = coords[k + 1] as number;
    if (x < gx0) gx0 = x;
    if (x > gx1) gx1 = x;
    if (y < gy0) gy0 = y;
    if (y > gy1) gy1 = y;
  }
  const cell = Math.max(1, Math.ceil(Math.sqrt(((gx1 - gx0 + 1) * (gy1 - gy0 + 1)) / Math.max(segCount, 1))));
  const cols = Math.floor((gx1 - gx0) / cell) + 1;
  const rows = Math.floor((gy1 - gy0) / cell) + 1;
  const cellRange = new Int32Array(segCount * 4); // c0, r0, c1, r1 per segment
  const cellCount = new Int32Array(cols * rows + 1);
  for (let k = 0; k < segCount; k++) {
    const ax = coords[k * 4] as number;
    const ay = coords[k * 4 + 1] as number;
    const bx = coords[k * 4 + 2] as number;
    const by = coords[k * 4 + 3] as number;
    const c0 = Math.floor((Math.min(ax, bx) - gx0) / cell);
    const c1 = Math.floor((Math.max(ax, bx) - gx0) / cell);
    const r0 = Math.floor((Math.min(ay, by) - gy0) / cell);
    const r1 = Math.floor((Math.max(ay, by) - gy0) / cell);
    cellRange[k * 4] = c0;
    cellRange[k * 4 + 1] = r0;
    cellRange[k * 4 + 2] = c1;
    cellRange[k * 4 + 3] = r1;
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++)
        cellCount[r * cols + c + 1] = (cellCount[r * cols + c + 1] as number) + 1;
    }
  }
  for (let k = 1; k < cellCount.length; k++)
    cellCount[k] = (cellCount[k] as number) + (cellCount[k - 1] as number);
  const members = new Int32Array(cellCount[cols * rows] as number);
  const fill = cellCount.slice(0, cols * rows);
  for (let k = 0; k < segCount; k++) {
    for (let r = cellRange[k * 4 + 1] as number; r <= (cellRange[k * 4 + 3] as number); r++) {
      for (let c = cellRange[k * 4] as number; c <= (cellRange[k * 4 + 2] as number); c++) {
        const at = fill[r * cols + c] as number;
        members[at] = k;
        fill[r * cols + c] = at + 1;
      }
    }
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const from = cellCount[r * cols + c] as number;
      const to = cellCount[r * cols + c + 1] as number;
      for (let u = from; u < to; u++) {
        const a = members[u] as number;
        for (let v = u + 1; v < to; v++) {
          const b = members[v] as number;
          // Only in the first cell both reach, so each pair is tested once.
          if (
            Math.max(cellRange[a * 4] as number, cellRange[b * 4] as number) !== c ||
            Math.max(cellRange[a * 4 + 1] as number, cellRange[b * 4 + 1] as number) !== r
          ) {
            continue;
          }
          testPair(a, b);
        }
      }
    }
  }
  return nestingProblems(rings, allowedTouches, bad);
}

/**
 * Nesting: each hole inside the exterior and outside the other holes. Called when no segments
 * cross, so one point per hole that is not on another ring decides: a vertex that is not a touch
 * point, or else the midpoint of a segment (at double scale, to stay on integers).
 */
function nestingProblems(
  rings: readonly Int32Array[],
  allowedTouches: ReadonlySet<number>,
  bad: Set<number>,
): Set<number> {
  if (bad.size > 0 || rings.length === 1) return bad;
  const index = new RowIndex(rings);
  for (let h = 1; h < rings.length; h++) {
    const ring = rings[h] as Int32Array;
    // Probe: a vertex that is not a touch point, else the midpoint of the first segment.
    let px2 = (ring[0] as number) + (ring[2] as number);
    let py2 = (ring[1] as number) + (ring[3] as number);
    for (let i = 0; i + 1 < ring.length; i += 2) {
      if (!allowedTouches.has(vertexKey(ring[i] as number, ring[i + 1] as number))) {
        px2 = 2 * (ring[i] as number);
        py2 = 2 * (ring[i + 1] as number);
        break;
      }
    }
    let inExterior = false;
    index.forEachContaining(px2, py2, (g) => {
      if (g === 0) {
        inExterior = true;
      } else if (g !== h) {
        bad.add(g);
        bad.add(h);
      }
    });
    if (!inExterior) {
      bad.add(0);
      bad.add(h);
    }
  }
  return bad;
}

/** Vertices shared by two or more rings of a polygon (where a hole touches the exterior or another hole). */
export function touchVertices(rings: readonly Int32Array[]): Set<number> {
  const touches = new Set<number>();
  if (rings.length < 2) return touches;
  const owner = new Map<number, number>();
  rings.forEach((ring, r) => {
    for (let i = 0; i + 3 < ring.length; i += 2) {
      const k = vertexKey(ring[i] as number, ring[i + 1] as number);
      const o = owner.get(k);
      if (o === undefined) owner.set(k, r);
      else if (o !== r) touches.add(k);
    }
  });
  return touches;
}

/** True when a pixel-space polygon (exterior first, traced orientation) is valid in the OGC sense. */
export function isValidPixelPolygon(rings: readonly Int32Array[]): boolean {
  const signs = rings.map((_, i) => (i === 0 ? -1 : 1));
  return findInvalidRings(rings, signs, touchVertices(rings)).size === 0;
}
