/**
 * Polygon layers from GeoJSON FeatureCollections: strict validation, CRS, GCJ-02 correction and
 * reprojection. The typed layers built on this (cropland baseline, county boundaries, exclusion
 * layers) live in their own files.
 *
 * CRS rules, in order: an explicit `crs` option wins; otherwise an old-style (GeoJSON 2008) `crs`
 * member naming an EPSG code or CRS84 is honoured; otherwise RFC 7946 applies and coordinates are
 * WGS 84 longitude/latitude (EPSG:4326). Coordinates are always read easting/longitude first.
 */
import { readFile } from "node:fs/promises";
import type { MapBBox } from "../core/raster-types.js";
import { UnknownCrsError, VectorLayerError } from "../core/errors.js";
import { coordinateTransform, crsDefinition, isGeographic, normaliseCrsCode } from "./crs.js";
import { gcj02ToWgs84 } from "./gcj02.js";
import {
  emptyExtent,
  extendExtent,
  geometryExtent,
  mapPositions,
  polygonsOf,
  type AreaGeometry,
  type Extent,
  type Position,
  type Ring,
} from "./vector-geometry.js";

/** One polygon feature of a layer. */
export interface VectorFeature<P> {
  /** 0-based index of the feature in its source file (stable, for error messages and IDs). */
  readonly index: number;
  /** Map coordinates in the layer's CRS. */
  readonly geometry: AreaGeometry;
  readonly properties: P;
  /** Extent of `geometry`, map units of the layer's CRS. */
  readonly extent: Extent;
}

/** A validated polygon layer, all features in one CRS. */
export interface VectorLayer<P> {
  /** Path (or label) the layer was read from. */
  readonly source: string;
  /** "EPSG:nnnn" (or a registered name) of every coordinate in the layer. */
  readonly crs: string;
  readonly features: readonly VectorFeature<P>[];
  /** Extent of all features, or null for an empty layer. */
  readonly extent: MapBBox | null;
}

/** Raw GeoJSON properties: whatever the file carried. */
export type RawProperties = Readonly<Record<string, unknown>>;

export interface VectorLayerOptions {
  /**
   * CRS of the coordinates in the file ("EPSG:4527", 4490…). Overrides the file's own `crs`
   * member. Default: the file's `crs` member, else EPSG:4326 (RFC 7946).
   */
  readonly crs?: string | number;
  /**
   * The coordinates are GCJ-02-shifted lon/lat (web map vendors' boundary exports); convert them
   * to WGS 84 on load. Only valid for a geographic CRS. Default false.
   */
  readonly gcj02?: boolean;
  /** Property names every feature must carry with a non-null value. */
  readonly requiredProperties?: readonly string[];
}

const DEFAULT_CRS = "EPSG:4326";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads an old-style GeoJSON `crs` member; null when absent. */
function crsFromMember(member: unknown, source: string): string | null {
  if (member === undefined || member === null) return null;
  const fail = (why: string): never => {
    throw new VectorLayerError(source, `its "crs" member ${why}: ${JSON.stringify(member).slice(0, 200)}`);
  };
  if (!isObject(member)) return fail("is not an object");
  const props = member.properties;
  if (member.type === "name" && isObject(props) && typeof props.name === "string") {
    const name = props.name.trim();
    if (/^urn:ogc:def:crs:OGC:(1\.3)?:CRS84$/i.test(name) || /^CRS84$/i.test(name)) return "EPSG:4326";
    const urn = /^urn:ogc:def:crs:EPSG:[\d.]*:(\d+)$/i.exec(name);
    if (urn) return `EPSG:${urn[1]}`;
    const plain = /^EPSG:{1,2}(\d+)$/i.exec(name);
    if (plain) return `EPSG:${plain[1]}`;
    const url = /opengis\.net\/def\/crs\/EPSG\/[\d.]+\/(\d+)$/i.exec(name);
    if (url) return `EPSG:${url[1]}`;
    return fail("names a CRS that is not an EPSG code or CRS84");
  }
  if (member.type === "EPSG" && isObject(props) && Number.isInteger(Number(props.code))) {
    return `EPSG:${Number(props.code)}`;
  }
  return fail('is neither {"type":"name"} nor {"type":"EPSG"}');
}

function checkPosition(
  p: unknown,
  where: () => string,
  source: string,
  index: number,
): asserts p is Position {
  if (!Array.isArray(p) || p.length < 2) {
    throw new VectorLayerError(source, `${where()} is not a position [x, y]: ${JSON.stringify(p)}`, {
      featureIndex: index,
    });
  }
  for (const v of p) {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new VectorLayerError(source, `${where()} has a non-finite coordinate: ${JSON.stringify(p)}`, {
        featureIndex: index,
      });
    }
  }
}

function checkRing(ring: unknown, label: string, source: string, index: number): asserts ring is Ring {
  if (!Array.isArray(ring)) {
    throw new VectorLayerError(source, `${label} is not an array of positions`, { featureIndex: index });
  }
  for (let k = 0; k < ring.length; k++) {
    checkPosition(ring[k], () => `position ${k} of ${label}`, source, index);
  }
  if (ring.length < 4) {
    throw new VectorLayerError(
      source,
      `${label} has ${ring.length} positions; a closed ring needs at least 4 (first = last)`,
      { featureIndex: index },
    );
  }
  const first = ring[0] as Position;
  const last = ring[ring.length - 1] as Position;
  if (first[0] !== last[0] || first[1] !== last[1]) {
    throw new VectorLayerError(
      source,
      `${label} is not closed: first position ${JSON.stringify(first)} differs from last ${JSON.stringify(last)}`,
      { featureIndex: index },
    );
  }
}

function checkPolygon(rings: unknown, label: string, source: string, index: number): asserts rings is Ring[] {
  if (!Array.isArray(rings) || rings.length === 0) {
    throw new VectorLayerError(source, `${label} has no rings`, { featureIndex: index });
  }
  rings.forEach((ring, r) =>
    checkRing(ring, r === 0 ? `exterior ring of ${label}` : `hole ${r} of ${label}`, source, index),
  );
}

function checkGeometry(g: unknown, source: string, index: number): AreaGeometry {
  if (g === null || g === undefined) {
    throw new VectorLayerError(source, "has no geometry (null)", { featureIndex: index });
  }
  if (!isObject(g)) throw new VectorLayerError(source, "geometry is not an object", { featureIndex: index });
  if (g.type === "Polygon") {
    checkPolygon(g.coordinates, "the polygon", source, index);
    return { type: "Polygon", coordinates: g.coordinates };
  }
  if (g.type === "MultiPolygon") {
    const polys = g.coordinates;
    if (!Array.isArray(polys) || polys.length === 0) {
      throw new VectorLayerError(source, "MultiPolygon has no polygons", { featureIndex: index });
    }
    polys.forEach((rings, k) => checkPolygon(rings, `polygon ${k}`, source, index));
    return { type: "MultiPolygon", coordinates: polys as Ring[][] };
  }
  throw new VectorLayerError(
    source,
    `unsupported geometry type ${JSON.stringify(g.type)}; an area layer holds Polygon or MultiPolygon only`,
    { featureIndex: index },
  );
}

function resolveCrs(declared: string, source: string, how: string): string {
  try {
    crsDefinition(declared);
  } catch (cause) {
    if (cause instanceof UnknownCrsError) {
      throw new VectorLayerError(source, `${how} CRS ${declared}, which is not known: ${cause.hint}`, {
        cause,
      });
    }
    throw cause;
  }
  return declared;
}

/** Converts a geographic layer's positions from GCJ-02 to WGS 84 in place. */
function convertGcj02InPlace(geometry: AreaGeometry): void {
  for (const polygon of polygonsOf(geometry)) {
    for (const ring of polygon) {
      for (let i = 0; i < ring.length - 1; i++) {
        const p = ring[i] as Position;
        const q = gcj02ToWgs84(p[0] as number, p[1] as number);
        p[0] = q.lon;
        p[1] = q.lat;
      }
      // Keep the ring closed exactly.
      const first = ring[0] as Position;
      const last = ring[ring.length - 1] as Position;
      last[0] = first[0] as number;
      last[1] = first[1] as number;
    }
  }
}

function layerExtent(features: readonly VectorFeature<unknown>[], crs: string): MapBBox | null {
  if (features.length === 0) return null;
  const e = emptyExtent();
  for (const f of features) extendExtent(e, f.extent);
  return { ...e, crs };
}

/**
 * Parses and validates a GeoJSON FeatureCollection of polygons held in memory. `source` names
 * it in errors. Throws {@link VectorLayerError} (with `featureIndex` where one feature is at
 * fault) for: not JSON, not a FeatureCollection, a feature that is not a Feature, a null or
 * unsupported geometry, a ring with fewer than 4 positions, an unclosed ring, a non-finite
 * coordinate, a missing required property, an unknown or unusable CRS.
 */
export function parseVectorLayer(
  text: string,
  source: string,
  options: VectorLayerOptions = {},
): VectorLayer<RawProperties> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new VectorLayerError(source, `is not JSON (${(cause as Error).message})`, { cause });
  }
  if (!isObject(doc) || doc.type !== "FeatureCollection" || !Array.isArray(doc.features)) {
    const what = isObject(doc)
      ? `a GeoJSON object of type ${JSON.stringify(doc.type)}`
      : `a JSON ${typeof doc}`;
    throw new VectorLayerError(source, `is not a GeoJSON FeatureCollection (found ${what})`);
  }
  const crs =
    options.crs !== undefined
      ? resolveCrs(normaliseCrsCode(options.crs), source, "was declared in")
      : resolveCrs(crsFromMember(doc.crs, source) ?? DEFAULT_CRS, source, "says it is in");
  if (options.gcj02 && !isGeographic(crs)) {
    throw new VectorLayerError(
      source,
      `GCJ-02 conversion needs lon/lat coordinates, but the layer is in ${crs}`,
    );
  }
  const required = options.requiredProperties ?? [];
  const features: VectorFeature<RawProperties>[] = [];
  doc.features.forEach((f: unknown, index: number) => {
    if (!isObject(f) || f.type !== "Feature") {
      throw new VectorLayerError(source, "is not a GeoJSON Feature", { featureIndex: index });
    }
    const geometry = checkGeometry(f.geometry, source, index);
    const properties = f.properties ?? {};
    if (!isObject(properties)) {
      throw new VectorLayerError(source, "properties is not an object", { featureIndex: index });
    }
    for (const name of required) {
      if (properties[name] === undefined || properties[name] === null) {
        throw new VectorLayerError(source, `is missing required property "${name}"`, { featureIndex: index });
      }
    }
    if (options.gcj02) convertGcj02InPlace(geometry);
    features.push({ index, geometry, properties, extent: geometryExtent(geometry) });
  });
  return { source, crs, features, extent: layerExtent(features, crs) };
}

/** Reads a GeoJSON file and validates it as {@link parseVectorLayer} does. */
export async function loadVectorLayer(
  path: string,
  options: VectorLayerOptions = {},
): Promise<VectorLayer<RawProperties>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new VectorLayerError(path, `cannot be read (${(cause as Error).message})`, { cause });
  }
  return parseVectorLayer(text, path, options);
}

/**
 * The layer with every coordinate transformed to `toCrs` (a new layer; the input is untouched).
 * Throws {@link VectorLayerError} naming the feature when a position does not transform to
 * finite coordinates (outside the target projection's domain).
 */
export function reprojectLayer<P>(layer: VectorLayer<P>, toCrs: string | number): VectorLayer<P> {
  const target = normaliseCrsCode(toCrs);
  const t = coordinateTransform(layer.crs, target);
  if (t.isIdentity)
    return { ...layer, crs: target, extent: layer.extent && { ...layer.extent, crs: target } };
  const features = layer.features.map((f) => {
    const geometry = mapPositions(f.geometry, (x, y) => {
      const q = t.forward(x, y);
      if (!Number.isFinite(q.x) || !Number.isFinite(q.y)) {
        throw new VectorLayerError(
          layer.source,
          `position (${x}, ${y}) in ${layer.crs} has no finite coordinates in ${target}`,
          { featureIndex: f.index },
        );
      }
      return q;
    });
    return { ...f, geometry, extent: geometryExtent(geometry) };
  });
  return { source: layer.source, crs: target, features, extent: layerExtent(features, target) };
}

/**
 * A layer with each feature's properties replaced by `fn(properties, featureIndex)`; typed
 * layer loaders use it to validate and convert attributes.
 */
export function mapLayerProperties<P, Q>(
  layer: VectorLayer<P>,
  fn: (properties: P, featureIndex: number) => Q,
): VectorLayer<Q> {
  return { ...layer, features: layer.features.map((f) => ({ ...f, properties: fn(f.properties, f.index) })) };
}
