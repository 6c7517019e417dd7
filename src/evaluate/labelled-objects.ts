/**
 * Objects on a raster grid, as evaluation compares them: a label raster (which object covers
 * each pixel) and what each object is. Predicted objects are issues (or re-tuned patches);
 * reference objects are reference polygons, or connected regions of a reference change raster.
 */

/** One object: its change type (null for an untyped reference) and area. */
export interface ObjectInfo {
  /** Issue id, reference feature id, or `region-N` for a raster reference's connected region. */
  readonly id: string;
  /** Change type id (see `core/change-types.ts`), or null when the source carries no type. */
  readonly changeType: string | null;
  /** Area in m² (ellipsoidal for issues; pixel count × pixel area for a reference raster). */
  readonly areaM2: number;
}

/** Objects burned onto one grid. Objects do not overlap: each pixel belongs to at most one. */
export interface LabelledObjects {
  readonly width: number;
  readonly height: number;
  /** Object number per pixel, row-major: index + 1 into `objects`, 0 for none. */
  readonly labels: Int32Array;
  readonly objects: readonly ObjectInfo[];
  /**
   * 1 where the pixel is left out of the evaluation (a reference raster's unlabelled value), or
   * null when every pixel counts.
   */
  readonly ignore: Uint8Array | null;
}
