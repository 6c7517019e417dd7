/**
 * A virtual mosaic of rasters on one pixel grid (same CRS, same pixel size, origins on the same
 * lattice), read window by window. Processing windows are defined on the mosaic rather than on
 * the files, so the result of a run does not depend on how the imagery was cut into tiles.
 */
import { RasterFormatError } from "../core/errors.js";
import type { Affine, PixelWindow, SampleType } from "../core/raster-types.js";
import type { RasterBlock, RasterSource } from "./raster-source-types.js";
import { allocateSamples } from "./rasterize.js";

/** Where one source sits in the mosaic, in mosaic pixel coordinates. */
export interface MosaicPart {
  readonly raster: RasterSource;
  readonly offsetX: number;
  readonly offsetY: number;
}

export interface Mosaic {
  readonly crs: string;
  /** Affine of the mosaic's top-left pixel corner. */
  readonly affine: Affine;
  readonly width: number;
  readonly height: number;
  readonly bandCount: number;
  readonly sampleType: SampleType;
  readonly parts: readonly MosaicPart[];
  /** The first source's nodata (null when it declares none). */
  readonly nodata: number | null;
}

/**
 * Pixels of a mosaic window: a RasterBlock (so sensor profiles apply to it as to a file's block)
 * plus a mask of pixels some source observed. Pixels no source covers hold the nodata value
 * (0 when the sources declare none) and are unobserved.
 */
export interface MosaicBlock extends RasterBlock {
  /**
   * 1 where a source covers the pixel and at least one band holds data, else 0. A pixel is
   * unobserved only when every band is nodata (as at a scene edge); a single band at the nodata
   * value is a legitimate dark reading (deep water, shadow), not a gap.
   */
  readonly observed: Uint8Array;
}

const GRID_TOLERANCE = 1e-6; // of a pixel

function sameNumber(a: number, b: number, scale: number): boolean {
  return Math.abs(a - b) <= GRID_TOLERANCE * Math.abs(scale);
}

/**
 * Assembles rasters into a mosaic; throws RasterFormatError naming the first raster that is not
 * on the grid of the first (different CRS, pixel size, rotation, band count or sample type, or an
 * origin off the pixel lattice).
 */
export function buildMosaic(rasters: readonly RasterSource[]): Mosaic {
  const first = rasters[0];
  if (!first) throw new RangeError("buildMosaic needs at least one raster");
  const a = first.affine;
  if (a.rowRotation !== 0 || a.colRotation !== 0) {
    throw new RasterFormatError(first.source, "rotated grids are not supported in a mosaic");
  }
  if (!first.crs)
    throw new RasterFormatError(first.source, "has no CRS; a mosaic needs georeferenced rasters");
  let minCol = 0;
  let minRow = 0;
  let maxCol = first.width;
  let maxRow = first.height;
  const offsets: Array<{ col: number; row: number }> = [];
  for (const r of rasters) {
    const b = r.affine;
    const problems: string[] = [];
    if (r.crs !== first.crs) problems.push(`CRS ${r.crs ?? "none"} differs from ${first.crs}`);
    if (
      !sameNumber(b.pixelWidth, a.pixelWidth, a.pixelWidth) ||
      !sameNumber(b.pixelHeight, a.pixelHeight, a.pixelHeight)
    ) {
      problems.push(
        `pixel size ${b.pixelWidth}×${b.pixelHeight} differs from ${a.pixelWidth}×${a.pixelHeight}`,
      );
    }
    if (b.rowRotation !== 0 || b.colRotation !== 0) problems.push("grid is rotated");
    if (r.bandCount !== first.bandCount)
      problems.push(`${r.bandCount} bands, ${first.source} has ${first.bandCount}`);
    if (r.sampleType !== first.sampleType)
      problems.push(`sample type ${r.sampleType} differs from ${first.sampleType}`);
    const col = (b.originX - a.originX) / a.pixelWidth;
    const row = (b.originY - a.originY) / a.pixelHeight;
    if (Math.abs(col - Math.round(col)) > 1e-3 || Math.abs(row - Math.round(row)) > 1e-3) {
      problems.push(`origin is ${col.toFixed(4)}, ${row.toFixed(4)} pixels from ${first.source}'s lattice`);
    }
    if (problems.length > 0) {
      throw new RasterFormatError(
        r.source,
        `not on the mosaic grid: ${problems.join("; ")} (resample it onto the grid first)`,
      );
    }
    const c = Math.round(col);
    const rr = Math.round(row);
    offsets.push({ col: c, row: rr });
    minCol = Math.min(minCol, c);
    minRow = Math.min(minRow, rr);
    maxCol = Math.max(maxCol, c + r.width);
    maxRow = Math.max(maxRow, rr + r.height);
  }
  return {
    crs: first.crs,
    affine: { ...a, originX: a.originX + minCol * a.pixelWidth, originY: a.originY + minRow * a.pixelHeight },
    width: maxCol - minCol,
    height: maxRow - minRow,
    bandCount: first.bandCount,
    sampleType: first.sampleType,
    nodata: first.nodata,
    parts: rasters.map((raster, i) => ({
      raster,
      offsetX: offsets[i]!.col - minCol,
      offsetY: offsets[i]!.row - minRow,
    })),
  };
}

function isNodata(v: number, nodata: number | null): boolean {
  if (nodata === null) return false;
  return Number.isNaN(nodata) ? Number.isNaN(v) : v === nodata;
}

/**
 * 1 in `observed` (rows `stride` apart from `offset`) where any of the block's bands (`bw × bh`)
 * holds data. A function of its own so that V8 compiles its loop once per process.
 */
function markObserved(
  bands: readonly ArrayLike<number>[],
  nodata: number | null,
  bw: number,
  bh: number,
  observed: Uint8Array,
  offset: number,
  stride: number,
): void {
  for (let y = 0; y < bh; y++) {
    const src = y * bw;
    const dst = offset + y * stride;
    for (let x = 0; x < bw; x++) {
      let seen = 0;
      for (let b = 0; b < bands.length; b++) {
        if (!isNodata(bands[b]![src + x]!, nodata)) {
          seen = 1;
          break;
        }
      }
      observed[dst + x] = seen;
    }
  }
}

/**
 * Reads a window of the mosaic (which may extend past the mosaic's edges: such pixels are
 * unobserved). Where parts overlap, the later part in the list wins.
 */
export async function readMosaicWindow(
  mosaic: Mosaic,
  window: PixelWindow,
  options: { bands?: readonly number[]; signal?: AbortSignal } = {},
): Promise<MosaicBlock> {
  const width = window.x1 - window.x0;
  const height = window.y1 - window.y0;
  const bandIndices = options.bands ?? Array.from({ length: mosaic.bandCount }, (_, i) => i);
  const bands = bandIndices.map(() => allocateSamples(mosaic.sampleType, width * height, mosaic.nodata ?? 0));
  const observed = new Uint8Array(width * height);
  for (const part of mosaic.parts) {
    const r = part.raster;
    const x0 = Math.max(window.x0, part.offsetX);
    const y0 = Math.max(window.y0, part.offsetY);
    const x1 = Math.min(window.x1, part.offsetX + r.width);
    const y1 = Math.min(window.y1, part.offsetY + r.height);
    if (x0 >= x1 || y0 >= y1) continue;
    const block = await r.read(
      { x0: x0 - part.offsetX, y0: y0 - part.offsetY, x1: x1 - part.offsetX, y1: y1 - part.offsetY },
      { bands: bandIndices, ...(options.signal ? { signal: options.signal } : {}) },
    );
    const bw = x1 - x0;
    for (let y = y0; y < y1; y++) {
      const src = (y - y0) * bw;
      const dst = (y - window.y0) * width + (x0 - window.x0);
      for (let b = 0; b < bands.length; b++) bands[b]!.set(block.bands[b]!.subarray(src, src + bw), dst);
    }
    markObserved(
      block.bands,
      block.nodata,
      bw,
      y1 - y0,
      observed,
      (y0 - window.y0) * width + (x0 - window.x0),
      width,
    );
  }
  return {
    window,
    width,
    height,
    bands,
    observed,
    bandIndices,
    sampleType: mosaic.sampleType,
    nodata: mosaic.nodata,
  };
}
