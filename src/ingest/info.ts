/**
 * What `patrol info` reports about a raster: size, type, nodata, CRS, geotransform, bounds in
 * the file's CRS and in lon/lat, block layout, compression, overviews, band descriptions.
 * Field meanings follow `gdalinfo` so the two can be compared line by line.
 */
import { UnknownCrsError } from "../core/errors.js";
import {
  affineToGdal,
  pixelToMap,
  type Affine,
  type MapBBox,
  type SampleType,
} from "../core/raster-types.js";
import { coordinateTransform, epsgNumber } from "./crs.js";
import type { OverviewInfo, RasterSource } from "./raster-source-types.js";
import { GeoTiffRasterSource } from "./raster-source.js";

export interface RasterInfo {
  readonly source: string;
  /** Size in pixels. */
  readonly width: number;
  readonly height: number;
  readonly bandCount: number;
  readonly sampleType: SampleType;
  /** Nodata value (may be NaN), or null when the file declares none. */
  readonly nodata: number | null;
  /** "EPSG:nnnn", or null. */
  readonly crs: string | null;
  readonly epsg: number | null;
  /** Why a CRS in the file could not be named (user-defined…), else null. */
  readonly crsProblem: string | null;
  /** False when the file has no geotransform; `affine` is then GDAL's identity default. */
  readonly georeferenced: boolean;
  /** Pixel-corner affine (already shifted for PixelIsPoint files). */
  readonly affine: Affine;
  /** The same affine in GDAL order: [originX, pixelWidth, rowRotation, originY, colRotation, pixelHeight]. */
  readonly geoTransform: readonly [number, number, number, number, number, number];
  readonly pixelIsPoint: boolean;
  /** Extent of the pixel corners in map units of `crs`; null without georeferencing or CRS. */
  readonly bounds: MapBBox | null;
  /** The same extent in EPSG:4326 (longitude, latitude degrees), edges densified; null when unknown. */
  readonly lonLatBounds: MapBBox | null;
  /** Why `lonLatBounds` is null, else null. */
  readonly lonLatProblem: string | null;
  readonly block: { readonly width: number; readonly height: number; readonly tiled: boolean };
  /** GDAL's compression name: NONE, DEFLATE, LZW, ZSTD, PACKBITS, JPEG, LERC… */
  readonly compression: string;
  /** "PIXEL" or "BAND", or null when the source does not say. */
  readonly interleave: "PIXEL" | "BAND" | null;
  /** TIFF predictor (1 none, 2 horizontal, 3 floating point), or null when unknown. */
  readonly predictor: number | null;
  readonly overviews: readonly OverviewInfo[];
  /** One per band; empty strings where the file has none. */
  readonly bandDescriptions: readonly string[];
  /** Dataset-level metadata items. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** Points along the raster outline, in pixel-corner coordinates, `perEdge` per side. */
function outline(width: number, height: number, perEdge: number): { col: number; row: number }[] {
  const pts: { col: number; row: number }[] = [];
  for (let i = 0; i < perEdge; i++) {
    const t = i / perEdge;
    pts.push({ col: t * width, row: 0 });
    pts.push({ col: width, row: t * height });
    pts.push({ col: width - t * width, row: height });
    pts.push({ col: 0, row: height - t * height });
  }
  return pts;
}

function bboxOf(points: readonly { x: number; y: number }[], crs: string): MapBBox {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    minX = Math.min(minX, p.x);
    minY = Math.min(minY, p.y);
    maxX = Math.max(maxX, p.x);
    maxY = Math.max(maxY, p.y);
  }
  return { minX, minY, maxX, maxY, crs };
}

/**
 * Describes an opened raster. Bounds are of pixel corners; lon/lat bounds transform 32 points
 * per edge to EPSG:4326 with ./crs.ts (so a CRS that module cannot resolve leaves them null,
 * with the reason in `lonLatProblem`).
 */
export function describeRaster(source: RasterSource): RasterInfo {
  const extra = source instanceof GeoTiffRasterSource ? source : null;
  const georeferenced = extra ? extra.georeferenced : true;
  const { width, height, affine, crs } = source;
  let bounds: MapBBox | null = null;
  let lonLatBounds: MapBBox | null = null;
  let lonLatProblem: string | null = null;
  if (!georeferenced) {
    lonLatProblem = "the file has no georeferencing";
  } else if (crs === null) {
    lonLatProblem = extra?.crsProblem ?? "the file has no CRS";
  } else {
    const corners = [
      pixelToMap(affine, 0, 0),
      pixelToMap(affine, width, 0),
      pixelToMap(affine, width, height),
      pixelToMap(affine, 0, height),
    ];
    bounds = bboxOf(corners, crs);
    try {
      const t = coordinateTransform(crs, "EPSG:4326");
      const pts = outline(width, height, 32).map((p) => {
        const m = pixelToMap(affine, p.col, p.row);
        return t.forward(m.x, m.y);
      });
      if (pts.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y))) {
        lonLatBounds = bboxOf(pts, "EPSG:4326");
      } else {
        lonLatProblem = `the outline does not transform from ${crs} to EPSG:4326`;
      }
    } catch (e) {
      if (!(e instanceof UnknownCrsError)) throw e;
      lonLatProblem = e.message;
    }
  }
  return {
    source: source.source,
    width,
    height,
    bandCount: source.bandCount,
    sampleType: source.sampleType,
    nodata: source.nodata,
    crs,
    epsg: crs === null ? null : epsgNumber(crs),
    crsProblem: extra?.crsProblem ?? null,
    georeferenced,
    affine,
    geoTransform: affineToGdal(affine),
    pixelIsPoint: extra?.pixelIsPoint ?? false,
    bounds,
    lonLatBounds,
    lonLatProblem,
    block: { width: source.blockWidth, height: source.blockHeight, tiled: source.tiled },
    compression: source.compression,
    interleave: extra?.interleave ?? null,
    predictor: extra?.predictor ?? null,
    overviews: source.overviews.map((o) => ({ width: o.width, height: o.height })),
    bandDescriptions: [...source.bandDescriptions],
    metadata: extra?.metadata ?? {},
  };
}

/** Nodata as JSON can carry it: NaN and infinities as the strings gdalinfo -json uses. */
export type JsonNodata = number | "NaN" | "Infinity" | "-Infinity" | null;

/** A nodata value for JSON output: NaN → "NaN", ±∞ → "Infinity"/"-Infinity", as gdalinfo -json. */
export function nodataToJson(v: number | null): JsonNodata {
  if (v === null) return null;
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "Infinity";
  if (v === Number.NEGATIVE_INFINITY) return "-Infinity";
  return v;
}

/** {@link RasterInfo} as a JSON-safe object (for `patrol info --json`). */
export function rasterInfoToJson(info: RasterInfo): Omit<RasterInfo, "nodata"> & { nodata: JsonNodata } {
  return { ...info, nodata: nodataToJson(info.nodata) };
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(12).replace(/\.?0+$/, "");
}

function bboxText(b: MapBBox, axes: [string, string] = ["x", "y"]): string {
  return `${axes[0]} ${num(b.minX)} .. ${num(b.maxX)}, ${axes[1]} ${num(b.minY)} .. ${num(b.maxY)} (${b.crs})`;
}

/** A human-readable multi-line description, for `patrol info` without --json. */
export function formatRasterInfo(info: RasterInfo): string {
  const lines: string[] = [];
  const add = (k: string, v: string) => lines.push(`${`${k}:`.padEnd(14)}${v}`);
  add("File", info.source);
  add("Size", `${info.width} × ${info.height} pixels, ${info.bandCount} band(s) of ${info.sampleType}`);
  add("Nodata", info.nodata === null ? "none" : String(nodataToJson(info.nodata)));
  add("CRS", info.crs ?? (info.crsProblem ? `unknown: ${info.crsProblem}` : "none"));
  if (info.georeferenced) {
    add("Geotransform", `[${info.geoTransform.map(num).join(", ")}]`);
    add(
      "Pixel size",
      `${num(info.affine.pixelWidth)} × ${num(info.affine.pixelHeight)} (map units per pixel)`,
    );
    if (info.pixelIsPoint) add("Raster type", "PixelIsPoint (origin shifted half a pixel, as GDAL does)");
  } else {
    add("Geotransform", "none (pixel coordinates)");
  }
  if (info.bounds) add("Bounds", bboxText(info.bounds));
  add(
    "Lon/lat",
    info.lonLatBounds ? bboxText(info.lonLatBounds, ["lon", "lat"]) : `unknown: ${info.lonLatProblem ?? ""}`,
  );
  const layout = info.block.tiled ? "tiles" : "strips";
  const parts = [`${info.block.width} × ${info.block.height} ${layout}`, info.compression];
  if (info.predictor !== null && info.predictor !== 1) parts.push(`predictor ${info.predictor}`);
  if (info.interleave && info.bandCount > 1) parts.push(`${info.interleave.toLowerCase()}-interleaved`);
  add("Layout", parts.join(", "));
  add(
    "Overviews",
    info.overviews.length === 0 ? "none" : info.overviews.map((o) => `${o.width}×${o.height}`).join(", "),
  );
  const described = info.bandDescriptions.some((d) => d !== "");
  if (described) {
    lines.push("Bands:");
    info.bandDescriptions.forEach((d, i) => lines.push(`  ${String(i + 1).padStart(3)}  ${d}`));
  }
  const keys = Object.keys(info.metadata);
  if (keys.length > 0) {
    lines.push("Metadata:");
    for (const k of keys) lines.push(`  ${k}=${info.metadata[k]}`);
  }
  return `${lines.join("\n")}\n`;
}
