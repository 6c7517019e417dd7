import type { Affine, PixelWindow, SampleType, TypedSamples } from "../core/raster-types.js";

/** Pixels of one window, band-separate (one typed array per requested band, row-major). */
export interface RasterBlock {
  readonly window: PixelWindow;
  readonly width: number;
  readonly height: number;
  /** Band indices (0-based, in the file) that `bands` holds, in the same order. */
  readonly bandIndices: readonly number[];
  readonly bands: readonly TypedSamples[];
  readonly sampleType: SampleType;
  /** Nodata value, or null when the file declares none. May be NaN. */
  readonly nodata: number | null;
}

export interface OverviewInfo {
  readonly width: number;
  readonly height: number;
}

export interface ReadOptions {
  /** 0-based band indices to read; all bands when omitted. */
  readonly bands?: readonly number[];
  /** Overview level: 0 is full resolution, 1 the first overview, … */
  readonly overview?: number;
  readonly signal?: AbortSignal;
}

/**
 * An opened GeoTIFF/COG, local or remote. Opening reads only the header; pixels are read
 * window by window, so a whole scene is never held in memory.
 */
export interface RasterSource {
  /** The path or URL it was opened from (URLs with credentials are redacted). */
  readonly source: string;
  readonly width: number;
  readonly height: number;
  readonly bandCount: number;
  readonly sampleType: SampleType;
  readonly nodata: number | null;
  /** Affine of pixel corners (GDAL convention), already shifted for PixelIsPoint files. */
  readonly affine: Affine;
  /** "EPSG:nnnn", or null when the file carries no CRS. */
  readonly crs: string | null;
  readonly blockWidth: number;
  readonly blockHeight: number;
  readonly tiled: boolean;
  readonly compression: string;
  readonly overviews: readonly OverviewInfo[];
  /** Per-band descriptions (e.g. dates), empty strings where absent. */
  readonly bandDescriptions: readonly string[];
  read(window: PixelWindow, options?: ReadOptions): Promise<RasterBlock>;
  close(): Promise<void>;
}
