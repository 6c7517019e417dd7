/**
 * Named raster geometry types. Never pass bare tuples whose order a reader must guess.
 */

/** A half-open pixel window: columns x0..x1-1, rows y0..y1-1, in pixel coordinates of one raster. */
export interface PixelWindow {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** A bounding box in map units of `crs` (e.g. "EPSG:4490"). */
export interface MapBBox {
  readonly minX: number;
  readonly minY: number;
  readonly maxX: number;
  readonly maxY: number;
  readonly crs: string;
}

/**
 * GDAL-order affine geotransform: map X = originX + col * pixelWidth + row * rowRotation,
 * map Y = originY + col * colRotation + row * pixelHeight, where (col, row) are pixel-corner
 * coordinates (0,0 is the outer corner of the top-left pixel). pixelHeight is negative for north-up.
 */
export interface Affine {
  readonly originX: number;
  readonly pixelWidth: number;
  readonly rowRotation: number;
  readonly originY: number;
  readonly colRotation: number;
  readonly pixelHeight: number;
}

export type SampleType = "uint8" | "int8" | "uint16" | "int16" | "uint32" | "int32" | "float32" | "float64";

export type TypedSamples =
  Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

export function windowWidth(w: PixelWindow): number {
  return w.x1 - w.x0;
}

export function windowHeight(w: PixelWindow): number {
  return w.y1 - w.y0;
}

export function windowPixelCount(w: PixelWindow): number {
  return windowWidth(w) * windowHeight(w);
}

/** Map coordinates of pixel-corner position (col, row). */
export function pixelToMap(a: Affine, col: number, row: number): { x: number; y: number } {
  return {
    x: a.originX + col * a.pixelWidth + row * a.rowRotation,
    y: a.originY + col * a.colRotation + row * a.pixelHeight,
  };
}

/** Inverse of {@link pixelToMap}: fractional pixel-corner position of a map coordinate. */
export function mapToPixel(a: Affine, x: number, y: number): { col: number; row: number } {
  const det = a.pixelWidth * a.pixelHeight - a.rowRotation * a.colRotation;
  const dx = x - a.originX;
  const dy = y - a.originY;
  return {
    col: (a.pixelHeight * dx - a.rowRotation * dy) / det,
    row: (-a.colRotation * dx + a.pixelWidth * dy) / det,
  };
}

/** The affine of a sub-window of a raster whose full-grid affine is `a`. */
export function windowAffine(a: Affine, w: PixelWindow): Affine {
  const o = pixelToMap(a, w.x0, w.y0);
  return { ...a, originX: o.x, originY: o.y };
}

/** Affine as GDAL's 6-element geotransform array, for comparison with gdalinfo. */
export function affineToGdal(a: Affine): [number, number, number, number, number, number] {
  return [a.originX, a.pixelWidth, a.rowRotation, a.originY, a.colRotation, a.pixelHeight];
}
