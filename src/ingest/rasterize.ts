/**
 * Burning polygon layers onto a raster grid (a tile window, a whole scene), into a typed array.
 *
 * Pixel for pixel the same as GDAL 3.6's `gdal_rasterize` (GDALRasterizeLayers, replace mode),
 * including its tie rules, which this module reproduces operation for operation:
 *
 * - Map coordinates become pixel coordinates through GDAL's inverse geotransform
 *   (`col = -x0/w + x * (1/w)` for a north-up grid, not `(x - x0) / w`), so that rounding
 *   matches.
 * - Each ring is first turned clockwise, with OGR's `isClockwise` test on its map coordinates.
 * - Default rule: a pixel is burned when its centre is inside the polygon (even-odd over all
 *   rings, so holes are holes). On the scanline through the row's centre, every non-horizontal
 *   edge with `yTop <= yc < yBottom` crosses at `x`, rounded to the pixel boundary
 *   `floor(x + 0.5)`; columns between pairs of sorted crossings are burned. So a centre exactly
 *   on a left edge is outside and one exactly on a right edge is inside; a horizontal edge lying
 *   exactly on a centre row is burned on its own when it runs right to left in the clockwise
 *   ring (GDAL's "bottom horizontal edge" rule).
 * - `allTouched`: the same fill, plus every pixel an edge passes through (GDAL's
 *   `GDALdllImageLineAllTouched` with `bIntersectOnly`): edges within 0.01 px of a pixel boundary
 *   at both ends burn nothing, edges within one column/row (or 0.01 px of vertical/horizontal)
 *   burn a straight run, others are walked cell by cell.
 * - Each polygon of a MultiPolygon is burned separately (their union is burned), and features are
 *   burned in order, a later one overwriting an earlier one.
 * - Values are converted to the sample type as GDAL does: rounded half away from zero, clamped to
 *   the type's range, NaN to 0 for integer types.
 *
 * The fill is a scanline fill over an edge table sorted by top row, not a point-in-polygon test
 * per pixel: cost grows with (rows spanned × active edges), not with pixels × vertices.
 */
import { VectorLayerError } from "../core/errors.js";
import type { Affine, SampleType, TypedSamples } from "../core/raster-types.js";
import { coordinateTransform, normaliseCrsCode, type CoordinateTransform } from "./crs.js";
import { polygonsOf, type AreaGeometry, type Ring } from "./vector-geometry.js";
import type { VectorFeature, VectorLayer } from "./vector-layer.js";

/** The target raster: its affine (map coordinates of pixel corners), size in pixels and CRS. */
export interface RasterGrid {
  readonly affine: Affine;
  readonly width: number;
  readonly height: number;
  /** CRS of the affine's map coordinates, e.g. "EPSG:4527". */
  readonly crs: string;
}

/**
 * What to burn for each feature: a constant, a property name (its value must be a finite number
 * or a numeric string, as GDAL's `-a` reads it), or a function of the feature.
 */
export type BurnValue<P> = number | { readonly property: string } | ((feature: VectorFeature<P>) => number);

export interface RasterizeOptions<P> {
  readonly burn: BurnValue<P>;
  /** Burn every pixel the polygon touches, not only those whose centre is inside. Default false. */
  readonly allTouched?: boolean;
  /** Sample type of the array created when `out` is not given. Default "uint8". */
  readonly sampleType?: SampleType;
  /** Value of pixels no feature covers, when the array is created here. Default 0. */
  readonly init?: number;
  /** Burn into this array (row-major, `width * height`) instead of a new one; its contents are kept where nothing is burned. */
  readonly out?: TypedSamples;
}

/** GDAL's 6-element inverse geotransform: pixel (col, row) = (c0 + x*c1 + y*c2, r0 + x*r1 + y*r2). */
interface InverseAffine {
  c0: number;
  c1: number;
  c2: number;
  r0: number;
  r1: number;
  r2: number;
}

/** GDALInvGeoTransform, operation for operation (including its no-rotation special case). */
export function invertAffine(a: Affine): InverseAffine {
  const g0 = a.originX;
  const g1 = a.pixelWidth;
  const g2 = a.rowRotation;
  const g3 = a.originY;
  const g4 = a.colRotation;
  const g5 = a.pixelHeight;
  if (g2 === 0 && g4 === 0 && g1 !== 0 && g5 !== 0) {
    return { c0: -g0 / g1, c1: 1.0 / g1, c2: 0, r0: -g3 / g5, r1: 0, r2: 1.0 / g5 };
  }
  const det = g1 * g5 - g2 * g4;
  const magnitude = Math.max(Math.abs(g1), Math.abs(g2), Math.abs(g4), Math.abs(g5));
  if (!(Math.abs(det) > 1e-10 * magnitude * magnitude)) {
    throw new RangeError(`affine ${JSON.stringify(a)} is singular and cannot be inverted`);
  }
  const inv = 1.0 / det;
  return {
    c1: g5 * inv,
    r1: -g4 * inv,
    c2: -g2 * inv,
    r2: g1 * inv,
    c0: (g2 * g3 - g0 * g5) * inv,
    r0: (-g1 * g3 + g0 * g4) * inv,
  };
}

const INTEGER_LIMITS: Partial<Record<SampleType, [number, number]>> = {
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 4294967295],
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};

/** Converts a burn value to what GDAL stores in a band of `type` (GDALCopyWord from double). */
export function castBurnValue(value: number, type: SampleType): number {
  const limits = INTEGER_LIMITS[type];
  if (!limits) return type === "float32" ? Math.fround(value) : value;
  if (Number.isNaN(value)) return 0;
  const [min, max] = limits;
  const shifted = min === 0 ? value + 0.5 : value >= 0 ? value + 0.5 : value - 0.5;
  return Math.trunc(Math.min(max, Math.max(min, shifted)));
}

/** A new zeroed (or `init`-filled) array of `type` for `count` pixels. */
export function allocateSamples(type: SampleType, count: number, init = 0): TypedSamples {
  const arrays: Record<SampleType, new (n: number) => TypedSamples> = {
    uint8: Uint8Array,
    int8: Int8Array,
    uint16: Uint16Array,
    int16: Int16Array,
    uint32: Uint32Array,
    int32: Int32Array,
    float32: Float32Array,
    float64: Float64Array,
  };
  const out = new arrays[type](count);
  if (init !== 0) out.fill(castBurnValue(init, type));
  return out;
}

function sampleTypeOf(a: TypedSamples): SampleType {
  if (a instanceof Uint8Array) return "uint8";
  if (a instanceof Int8Array) return "int8";
  if (a instanceof Uint16Array) return "uint16";
  if (a instanceof Int16Array) return "int16";
  if (a instanceof Uint32Array) return "uint32";
  if (a instanceof Int32Array) return "int32";
  if (a instanceof Float32Array) return "float32";
  return "float64";
}

/**
 * OGRLineString::isClockwise on a closed ring given as flat x/y arrays [start, end), in map
 * coordinates with y up: the turn at the lowest-rightmost vertex, falling back to the shoelace
 * sum when that vertex is doubled or has a neighbour within 1e-5 map units.
 */
function isClockwise(xs: Float64Array, ys: Float64Array, start: number, n: number): boolean {
  if (n < 2) return true;
  const EPS = 1e-5;
  let useFallback = false;
  let v = 0;
  for (let i = 1; i < n - 1; i++) {
    const yi = ys[start + i] as number;
    const yv = ys[start + v] as number;
    const xi = xs[start + i] as number;
    const xv = xs[start + v] as number;
    if (yi < yv || (yi === yv && xi > xv)) {
      v = i;
      useFallback = false;
    } else if (yi === yv && xi === xv) {
      useFallback = true;
    }
  }
  const vx = xs[start + v] as number;
  const vy = ys[start + v] as number;
  let next = v - 1;
  if (next < 0) next = n - 1 - 1;
  if (
    Math.abs((xs[start + next] as number) - vx) < EPS &&
    Math.abs((ys[start + next] as number) - vy) < EPS
  ) {
    useFallback = true;
  }
  const dx0 = (xs[start + next] as number) - vx;
  const dy0 = (ys[start + next] as number) - vy;
  next = v + 1;
  if (next >= n - 1) next = 0;
  if (
    Math.abs((xs[start + next] as number) - vx) < EPS &&
    Math.abs((ys[start + next] as number) - vy) < EPS
  ) {
    useFallback = true;
  }
  const dx1 = (xs[start + next] as number) - vx;
  const dy1 = (ys[start + next] as number) - vy;
  const cross = dx1 * dy0 - dx0 * dy1;
  if (!useFallback) {
    if (cross > 0) return false;
    if (cross < 0) return true;
  }
  let sum = (xs[start] as number) * ((ys[start + 1] as number) - (ys[start + n - 1] as number));
  for (let i = 1; i < n - 1; i++) {
    sum += (xs[start + i] as number) * ((ys[start + i + 1] as number) - (ys[start + i - 1] as number));
  }
  sum += (xs[start + n - 1] as number) * ((ys[start] as number) - (ys[start + n - 2] as number));
  return sum < 0;
}

/** Clamps a double to the int32 range before it is used as a pixel index (C's cast is undefined outside it). */
function toInt(v: number): number {
  return v >= 2147483647 ? 2147483647 : v <= -2147483648 ? -2147483648 : Math.trunc(v);
}

/**
 * A reusable burner for one grid and one output array. Buffers grow to the largest polygon seen
 * and are reused, so burning a layer allocates nothing per feature.
 */
export class PolygonBurner {
  readonly width: number;
  readonly height: number;
  readonly out: TypedSamples;
  readonly sampleType: SampleType;
  private readonly inv: InverseAffine;
  private xs: Float64Array = new Float64Array(1024);
  private ys: Float64Array = new Float64Array(1024);
  private partSizes: number[] = [];
  private count = 0;
  // Edge table (fill): top y, bottom y, x at top, x at bottom, sorted by top y via `order`.
  private eyTop = new Float64Array(1024);
  private eyBot = new Float64Array(1024);
  private exTop = new Float64Array(1024);
  private exBot = new Float64Array(1024);
  private order = new Int32Array(1024);
  private active = new Int32Array(1024);
  private crossings = new Int32Array(1024);

  constructor(
    readonly grid: RasterGrid,
    out: TypedSamples,
  ) {
    if (
      !Number.isInteger(grid.width) ||
      !Number.isInteger(grid.height) ||
      grid.width < 1 ||
      grid.height < 1
    ) {
      throw new RangeError(`grid size ${grid.width}x${grid.height} is not a positive whole number of pixels`);
    }
    if (out.length !== grid.width * grid.height) {
      throw new RangeError(`output has ${out.length} samples, the grid ${grid.width}x${grid.height}`);
    }
    this.width = grid.width;
    this.height = grid.height;
    this.out = out;
    this.sampleType = sampleTypeOf(out);
    this.inv = invertAffine(grid.affine);
  }

  private ensure(n: number): void {
    if (this.xs.length >= n) return;
    let size = this.xs.length;
    while (size < n) size *= 2;
    const grow = (a: Float64Array): Float64Array => {
      const b = new Float64Array(size);
      b.set(a);
      return b;
    };
    this.xs = grow(this.xs);
    this.ys = grow(this.ys);
    this.eyTop = new Float64Array(size);
    this.eyBot = new Float64Array(size);
    this.exTop = new Float64Array(size);
    this.exBot = new Float64Array(size);
    this.order = new Int32Array(size);
    this.active = new Int32Array(size);
    this.crossings = new Int32Array(size);
  }

  /**
   * Burns one geometry (map coordinates; `toGrid` transforms them to the grid's CRS when the
   * layer is in another one). Returns false when a vertex has no finite pixel position (the
   * geometry is then skipped, as GDAL skips it).
   */
  burnGeometry(
    geometry: AreaGeometry,
    value: number,
    allTouched: boolean,
    toGrid?: CoordinateTransform,
  ): boolean {
    const v = castBurnValue(value, this.sampleType);
    let ok = true;
    for (const polygon of polygonsOf(geometry)) {
      if (!this.loadPolygon(polygon, toGrid)) {
        ok = false;
        continue;
      }
      if (this.outside()) continue;
      this.fill(v);
      if (allTouched) this.walkEdges(v);
    }
    return ok;
  }

  /** Loads a polygon's rings, turned clockwise (in the source map coordinates), as pixel coordinates. */
  private loadPolygon(rings: Ring[], toGrid?: CoordinateTransform): boolean {
    let total = 0;
    for (const r of rings) total += r.length;
    this.ensure(total);
    const { xs, ys, inv } = this;
    this.partSizes.length = 0;
    let k = 0;
    for (const ring of rings) {
      const n = ring.length;
      const start = k;
      for (let i = 0; i < n; i++) {
        const p = ring[i] as number[];
        xs[k] = p[0] as number;
        ys[k] = p[1] as number;
        k++;
      }
      const clockwise = isClockwise(xs, ys, start, n);
      if (!clockwise) {
        for (let i = start, j = start + n - 1; i < j; i++, j--) {
          const tx = xs[i] as number;
          xs[i] = xs[j] as number;
          xs[j] = tx;
          const ty = ys[i] as number;
          ys[i] = ys[j] as number;
          ys[j] = ty;
        }
      }
      this.partSizes.push(n);
    }
    this.count = k;
    for (let i = 0; i < k; i++) {
      let x = xs[i] as number;
      let y = ys[i] as number;
      if (toGrid) {
        const q = toGrid.forward(x, y);
        x = q.x;
        y = q.y;
      }
      // GDALGenImgProjTransform: identity source geotransform, then the destination inverse.
      const px = inv.c0 + x * inv.c1 + y * inv.c2;
      const py = inv.r0 + x * inv.r1 + y * inv.r2;
      if (!Number.isFinite(px) || !Number.isFinite(py)) return false;
      xs[i] = px;
      ys[i] = py;
    }
    return true;
  }

  /** True when the loaded polygon cannot burn any pixel (its pixel bbox misses the grid). */
  private outside(): boolean {
    let minX = Infinity;
    let maxX = -Infinity;
    let minY = Infinity;
    let maxY = -Infinity;
    const { xs, ys } = this;
    for (let i = 0; i < this.count; i++) {
      const x = xs[i] as number;
      const y = ys[i] as number;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
    return maxX < 0 || minX > this.width || maxY < 0 || minY > this.height;
  }

  private span(row: number, x0: number, x1: number, v: number): void {
    const start = x0 < 0 ? 0 : x0;
    const end = x1 >= this.width ? this.width - 1 : x1;
    if (start > end) return;
    const base = row * this.width;
    this.out.fill(v, base + start, base + end + 1);
  }

  /** GDALdllImageFilledPolygon, with an edge table instead of a scan over every vertex per row. */
  private fill(v: number): void {
    const { xs, ys, eyTop, eyBot, exTop, exBot, order, active, crossings } = this;
    const n = this.count;
    let dminy = ys[0] as number;
    let dmaxy = dminy;
    for (let i = 1; i < n; i++) {
      const y = ys[i] as number;
      if (y < dminy) dminy = y;
      if (y > dmaxy) dmaxy = y;
    }
    let miny = toInt(dminy);
    let maxy = toInt(dmaxy);
    if (miny < 0) miny = 0;
    if (maxy >= this.height) maxy = this.height - 1;
    if (miny > maxy) return;
    const maxx = this.width - 1;

    // Edges as GDAL walks them: for each part, (last→first), then (i-1→i).
    let ne = 0;
    let offset = 0;
    for (const size of this.partSizes) {
      for (let i = offset; i < offset + size; i++) {
        const i1 = i === offset ? offset + size - 1 : i - 1;
        const i2 = i;
        const y1 = ys[i1] as number;
        const y2 = ys[i2] as number;
        const x1 = xs[i1] as number;
        const x2 = xs[i2] as number;
        if (y1 < y2) {
          eyTop[ne] = y1;
          eyBot[ne] = y2;
          exTop[ne] = x1;
          exBot[ne] = x2;
          ne++;
        } else if (y1 > y2) {
          eyTop[ne] = y2;
          eyBot[ne] = y1;
          exTop[ne] = x2;
          exBot[ne] = x1;
          ne++;
        } else if (x1 > x2) {
          // Horizontal edge running right to left: burned alone when it lies exactly on a centre row.
          const row = y1 - 0.5;
          if (!Number.isInteger(row) || row + 0.5 !== y1 || row < miny || row > maxy) continue;
          const hx1 = toInt(Math.floor(x2 + 0.5));
          const hx2 = toInt(Math.floor(x1 + 0.5));
          if (hx1 > maxx || hx2 <= 0) continue;
          this.span(row, hx1, hx2 - 1, v);
        }
      }
      offset += size;
    }
    if (ne === 0) return;
    for (let i = 0; i < ne; i++) order[i] = i;
    const ord = order.subarray(0, ne);
    ord.sort((a, b) => (eyTop[a] as number) - (eyTop[b] as number));

    let next = 0;
    let nActive = 0;
    for (let y = miny; y <= maxy; y++) {
      const dy = y + 0.5;
      while (next < ne && (eyTop[ord[next] as number] as number) <= dy)
        active[nActive++] = ord[next++] as number;
      let ints = 0;
      let keep = 0;
      for (let a = 0; a < nActive; a++) {
        const e = active[a] as number;
        const dy2 = eyBot[e] as number;
        if (!(dy < dy2)) continue; // edge ended above this centre line: drop it
        active[keep++] = e;
        const dy1 = eyTop[e] as number;
        const dx1 = exTop[e] as number;
        const dx2 = exBot[e] as number;
        const intersect = ((dy - dy1) * (dx2 - dx1)) / (dy2 - dy1) + dx1;
        crossings[ints++] = toInt(Math.floor(intersect + 0.5));
      }
      nActive = keep;
      if (ints < 2) {
        if (nActive === 0 && next >= ne) break;
        continue;
      }
      // Insertion sort: a handful of crossings per row.
      for (let i = 1; i < ints; i++) {
        const c = crossings[i] as number;
        let j = i - 1;
        while (j >= 0 && (crossings[j] as number) > c) {
          crossings[j + 1] = crossings[j] as number;
          j--;
        }
        crossings[j + 1] = c;
      }
      for (let i = 0; i + 1 < ints; i += 2) {
        const left = crossings[i] as number;
        const right = crossings[i + 1] as number;
        if (left <= maxx && right > 0) this.span(y, left, right - 1, v);
      }
    }
  }

  private point(row: number, col: number, v: number): void {
    if (row >= 0 && row < this.height && col >= 0 && col < this.width) this.out[row * this.width + col] = v;
  }

  /** GDALdllImageLineAllTouched(bAvoidBurningSamePoints = false, bIntersectOnly = true) over every ring. */
  private walkEdges(v: number): void {
    const { xs, ys } = this;
    const W = this.width;
    const H = this.height;
    let n = 0;
    for (const size of this.partSizes) {
      for (let j = 1; j < size; j++) {
        let dfX = xs[n + j - 1] as number;
        let dfY = ys[n + j - 1] as number;
        let dfXEnd = xs[n + j] as number;
        let dfYEnd = ys[n + j] as number;
        if (
          (dfY < 0 && dfYEnd < 0) ||
          (dfY > H && dfYEnd > H) ||
          (dfX < 0 && dfXEnd < 0) ||
          (dfX > W && dfXEnd > W)
        ) {
          continue;
        }
        if (dfX > dfXEnd) {
          let t = dfX;
          dfX = dfXEnd;
          dfXEnd = t;
          t = dfY;
          dfY = dfYEnd;
          dfYEnd = t;
        }
        // Vertical, or within one column.
        if (Math.floor(dfX) === Math.floor(dfXEnd) || Math.abs(dfX - dfXEnd) < 0.01) {
          if (Math.abs(dfX - Math.round(dfX)) < 0.01 && Math.abs(dfXEnd - Math.round(dfXEnd)) < 0.01)
            continue;
          if (dfYEnd < dfY) {
            const t = dfY;
            dfY = dfYEnd;
            dfYEnd = t;
          }
          const iX = toInt(Math.floor(dfXEnd));
          let iY = toInt(Math.floor(dfY));
          let iYEnd = toInt(Math.floor(dfYEnd));
          if (iX < 0 || iX >= W) continue;
          if (iY < 0) iY = 0;
          if (iYEnd >= H) iYEnd = H - 1;
          for (; iY <= iYEnd; iY++) this.out[iY * W + iX] = v;
          continue;
        }
        // Horizontal, or within one row.
        if (Math.floor(dfY) === Math.floor(dfYEnd) || Math.abs(dfY - dfYEnd) < 0.01) {
          if (Math.abs(dfY - Math.round(dfY)) < 0.01 && Math.abs(dfYEnd - Math.round(dfYEnd)) < 0.01)
            continue;
          let iX = toInt(Math.floor(dfX));
          const iY = toInt(Math.floor(dfY));
          let iXEnd = toInt(Math.floor(dfXEnd));
          if (iY < 0 || iY >= H) continue;
          if (iX < 0) iX = 0;
          if (iXEnd >= W) iXEnd = W - 1;
          if (iX <= iXEnd) this.out.fill(v, iY * W + iX, iY * W + iXEnd + 1);
          continue;
        }
        // General case: left to right, sloped.
        const dfSlope = (dfYEnd - dfY) / (dfXEnd - dfX);
        if (dfXEnd > W) {
          dfYEnd -= (dfXEnd - W) * dfSlope;
          dfXEnd = W;
        }
        if (dfX < 0) {
          dfY += (0 - dfX) * dfSlope;
          dfX = 0;
        }
        if (dfYEnd > dfY) {
          if (dfY < 0) {
            dfX += (0 - dfY) / dfSlope;
            dfY = 0;
          }
          if (dfYEnd >= H) {
            dfXEnd += (dfYEnd - H) / dfSlope;
            if (dfXEnd > W) dfXEnd = W;
          }
        } else {
          if (dfY >= H) {
            dfX += (H - dfY) / dfSlope;
            dfY = H;
          }
          if (dfYEnd < 0) dfXEnd -= (dfYEnd - 0) / dfSlope;
        }
        while (dfX >= 0 && dfX < dfXEnd) {
          const iX = toInt(Math.floor(dfX));
          const iY = toInt(Math.floor(dfY));
          if (iY >= 0 && iY < H) this.point(iY, iX, v);
          let dfStepX = Math.floor(dfX + 1.0) - dfX;
          let dfStepY = dfStepX * dfSlope;
          if (toInt(Math.floor(dfY + dfStepY)) === iY) {
            dfX += dfStepX;
            dfY += dfStepY;
          } else if (dfSlope < 0) {
            dfStepY = iY - dfY;
            if (dfStepY > -0.000000001) dfStepY = -0.000000001;
            dfStepX = dfStepY / dfSlope;
            dfX += dfStepX;
            dfY += dfStepY;
          } else {
            dfStepY = iY + 1 - dfY;
            if (dfStepY < 0.000000001) dfStepY = 0.000000001;
            dfStepX = dfStepY / dfSlope;
            dfX += dfStepX;
            dfY += dfStepY;
          }
        }
      }
      n += size;
    }
  }
}

function burnValueOf<P>(burn: BurnValue<P>, f: VectorFeature<P>, source: string): number {
  if (typeof burn === "number") return burn;
  if (typeof burn === "function") return burn(f);
  const raw = (f.properties as Record<string, unknown>)[burn.property];
  const value =
    typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
  if (!Number.isFinite(value)) {
    throw new VectorLayerError(
      source,
      `property "${burn.property}" is ${JSON.stringify(raw)}, not a number to burn`,
      { featureIndex: f.index },
    );
  }
  return value;
}

/**
 * Burns every feature of `layer` onto `grid` (pixel coordinates of `grid.affine`), in order, and
 * returns the array (row-major, `grid.width * grid.height`). A layer in another CRS than the grid
 * is transformed vertex by vertex on the way; to burn one layer onto many tiles, reproject it
 * once with `reprojectLayer` first.
 */
export function rasterizeLayer<P>(
  layer: VectorLayer<P>,
  grid: RasterGrid,
  options: RasterizeOptions<P>,
): TypedSamples {
  const out =
    options.out ??
    allocateSamples(options.sampleType ?? "uint8", grid.width * grid.height, options.init ?? 0);
  const burner = new PolygonBurner(grid, out);
  const t = coordinateTransform(layer.crs, normaliseCrsCode(grid.crs));
  const toGrid = t.isIdentity ? undefined : t;
  const allTouched = options.allTouched ?? false;
  for (const f of layer.features) {
    burner.burnGeometry(f.geometry, burnValueOf(options.burn, f, layer.source), allTouched, toGrid);
  }
  return out;
}
