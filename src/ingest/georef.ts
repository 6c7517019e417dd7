/**
 * GeoTIFF georeferencing and GDAL's private tags, interpreted the way GDAL (3.x, default
 * configuration) interprets them, so that our affine, CRS and nodata equal what `gdalinfo`
 * reports for the same file.
 */
import type { Affine } from "../core/raster-types.js";

/** GDAL's geotransform for a file without georeferencing: pixel coordinates, y down. */
export const IDENTITY_AFFINE: Affine = {
  originX: 0,
  pixelWidth: 1,
  rowRotation: 0,
  originY: 0,
  colRotation: 0,
  pixelHeight: 1,
};

export interface GeoTiffTransformTags {
  /** ModelPixelScaleTag (33550): scaleX, scaleY, scaleZ. */
  readonly pixelScale?: ArrayLike<number> | null;
  /** ModelTiepointTag (33922): (i, j, k, x, y, z) per tiepoint. */
  readonly tiepoint?: ArrayLike<number> | null;
  /** ModelTransformationTag (34264): 4×4 row-major matrix. */
  readonly transformation?: ArrayLike<number> | null;
  /** GTRasterTypeGeoKey is RasterPixelIsPoint (2). */
  readonly pixelIsPoint: boolean;
}

/**
 * The pixel-corner affine (GDAL geotransform) of a GeoTIFF image, or null when the tags give
 * none (no tags, or several tiepoints without a scale, which GDAL treats as GCPs).
 *
 * Rules, as in GDAL's GTiff driver:
 * - ModelPixelScale + ModelTiepoint win over ModelTransformation; the first tiepoint is used.
 * - A negative ScaleY is read as north-up (pixelHeight = -|ScaleY|), GDAL's default unless
 *   GTIFF_HONOUR_NEGATIVE_SCALEY is set. Never assume the sign: read it from the result.
 * - PixelIsPoint files have their origin moved half a pixel up-left so the affine maps pixel
 *   corners (GDAL's default, GTIFF_POINT_GEO_IGNORE=NO).
 */
export function affineFromTags(tags: GeoTiffTransformTags): Affine | null {
  const { pixelScale: s, tiepoint: t, transformation: m } = tags;
  let gt: [number, number, number, number, number, number] | null = null;
  if (s && s.length >= 2 && s[0] !== 0 && s[1] !== 0) {
    if (!t || t.length < 6) return null;
    const sx = s[0]!;
    const sy = -Math.abs(s[1]!);
    gt = [t[3]! - t[0]! * sx, sx, 0, t[4]! - t[1]! * sy, 0, sy];
  } else if (m && m.length === 16) {
    gt = [m[3]!, m[0]!, m[1]!, m[7]!, m[4]!, m[5]!];
  }
  if (!gt) return null;
  if (tags.pixelIsPoint) {
    gt[0] -= gt[1] * 0.5 + gt[2] * 0.5;
    gt[3] -= gt[4] * 0.5 + gt[5] * 0.5;
  }
  return {
    originX: gt[0],
    pixelWidth: gt[1],
    rowRotation: gt[2],
    originY: gt[3],
    colRotation: gt[4],
    pixelHeight: gt[5],
  };
}

/** The parts of a parsed GeoKeyDirectory this module reads (names as geotiff.js gives them). */
export interface GeoKeys {
  readonly GTModelTypeGeoKey?: number;
  readonly GTRasterTypeGeoKey?: number;
  readonly ProjectedCSTypeGeoKey?: number;
  readonly GeographicTypeGeoKey?: number;
  readonly GTCitationGeoKey?: string;
  readonly PCSCitationGeoKey?: string;
  readonly GeogCitationGeoKey?: string;
}

export interface CrsResolution {
  /** "EPSG:nnnn", or null when the file has no CRS or one we cannot name. */
  readonly crs: string | null;
  /** Why a CRS present in the file could not be named (user-defined, geocentric…), else null. */
  readonly problem: string | null;
}

const USER_DEFINED = 32767;

function validCode(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v > 0 && v < USER_DEFINED;
}

/**
 * The CRS of a GeoTIFF from its GeoKeys: ProjectedCSTypeGeoKey for projected models,
 * GeographicTypeGeoKey for geographic ones. A user-defined CRS (code 32767, or a model type
 * without a code) yields `crs: null` and a `problem` that says so and how to fix the file.
 */
export function crsFromGeoKeys(keys: GeoKeys | null | undefined): CrsResolution {
  if (!keys) return { crs: null, problem: null };
  const model = keys.GTModelTypeGeoKey;
  const citation = keys.PCSCitationGeoKey ?? keys.GTCitationGeoKey ?? keys.GeogCitationGeoKey;
  const named = citation ? ` ("${citation}")` : "";
  const fix = "re-project it to an EPSG CRS first, e.g. gdalwarp -t_srs EPSG:4490 in.tif out.tif";
  if (model === 3) {
    return { crs: null, problem: `geocentric model type is not a map CRS; ${fix}` };
  }
  const projected = keys.ProjectedCSTypeGeoKey;
  const geographic = keys.GeographicTypeGeoKey;
  if (model === 1 || (model === undefined && projected !== undefined)) {
    if (validCode(projected)) return { crs: `EPSG:${projected}`, problem: null };
    return {
      crs: null,
      problem: `user-defined projected CRS${named} (ProjectedCSTypeGeoKey ${projected ?? "absent"}); only EPSG-coded CRSs are supported; ${fix}`,
    };
  }
  if (model === 2 || (model === undefined && geographic !== undefined)) {
    if (validCode(geographic)) return { crs: `EPSG:${geographic}`, problem: null };
    return {
      crs: null,
      problem: `user-defined geographic CRS${named} (GeographicTypeGeoKey ${geographic ?? "absent"}); only EPSG-coded CRSs are supported; ${fix}`,
    };
  }
  if (model === undefined) return { crs: null, problem: null };
  return { crs: null, problem: `unknown GTModelTypeGeoKey ${model}; ${fix}` };
}

/**
 * The GDAL_NODATA tag (ASCII, e.g. "0", "-9999", "nan", "-inf") as a number, NaN included.
 * Returns undefined when the text is not a number (the caller reports it); null for no tag.
 */
export function parseGdalNodata(text: string | null | undefined): number | null | undefined {
  if (text === null || text === undefined) return null;
  // eslint-disable-next-line no-control-regex
  const s = text.replace(/\u0000+$/, "").trim();
  if (s === "") return null;
  const lower = s.toLowerCase();
  if (lower === "nan" || lower === "-nan" || lower === "+nan") return Number.NaN;
  if (lower === "inf" || lower === "+inf" || lower === "infinity") return Number.POSITIVE_INFINITY;
  if (lower === "-inf" || lower === "-infinity") return Number.NEGATIVE_INFINITY;
  const v = Number(s);
  return Number.isNaN(v) ? undefined : v;
}

export interface GdalMetadata {
  /** Dataset-level items of the default domain (name → value). */
  readonly dataset: Readonly<Record<string, string>>;
  /** Per-band items by 0-based sample index (name → value); role="description" is under "DESCRIPTION". */
  readonly bands: ReadonlyMap<number, Readonly<Record<string, string>>>;
}

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot|apos);/gi, (_, e: string) => {
    const k = e.toLowerCase();
    if (k === "lt") return "<";
    if (k === "gt") return ">";
    if (k === "amp") return "&";
    if (k === "quot") return '"';
    if (k === "apos") return "'";
    return String.fromCodePoint(k.startsWith("#x") ? parseInt(k.slice(2), 16) : parseInt(k.slice(1), 10));
  });
}

/**
 * Parses GDAL's GDAL_METADATA tag (42112), an XML list of
 * `<Item name=".." [sample="n"] [role=".."] [domain=".."]>value</Item>`. Only the default
 * domain is kept; band descriptions (role="description") come back as "DESCRIPTION".
 */
export function parseGdalMetadata(xml: string | null | undefined): GdalMetadata {
  const dataset: Record<string, string> = {};
  const bands = new Map<number, Record<string, string>>();
  if (!xml) return { dataset, bands };
  for (const m of xml.matchAll(/<Item\b([^>]*?)(?:\/>|>([\s\S]*?)<\/Item>)/g)) {
    const attrs: Record<string, string> = {};
    for (const a of (m[1] ?? "").matchAll(/([\w:-]+)\s*=\s*"([^"]*)"/g)) attrs[a[1]!] = unescapeXml(a[2]!);
    if (attrs.domain) continue;
    const value = unescapeXml(m[2] ?? "");
    const name = attrs.role === "description" ? "DESCRIPTION" : attrs.name;
    if (!name) continue;
    if (attrs.sample !== undefined) {
      const i = Number(attrs.sample);
      if (!Number.isInteger(i) || i < 0) continue;
      const band = bands.get(i) ?? {};
      band[attrs.role && attrs.role !== "description" ? attrs.role.toUpperCase() : name] = value;
      bands.set(i, band);
    } else {
      dataset[name] = value;
    }
  }
  return { dataset, bands };
}
