/**
 * Coordinate reference systems by EPSG code, resolved to proj4 definitions.
 *
 * Built in: WGS 84 (4326), CGCS2000 geographic (4490), NAD83 geographic (4269), Web Mercator
 * (3857), WGS 84 / UTM (32601–32660 north, 32701–32760 south), NAD83 / UTM (26901–26923), and
 * CGCS2000 3-degree Gauss-Krüger (4513–4533 with the zone number in the false easting,
 * 4534–4554 without). Anything else needs a proj4 definition from the user ({@link registerCrs}
 * or the `crsDefinitions` config entry); an unresolvable code is an {@link UnknownCrsError}.
 *
 * Axis order is always easting/longitude first, as in GeoTIFF and GeoJSON, whatever the EPSG
 * database says (EPSG:4326 is latitude-first there, EPSG:4513–4554 northing-first).
 *
 * Accuracy: checked against PROJ's `cs2cs` to well under 1 mm over each zone's area of use
 * (test/ingest/crs.test.ts).
 */
import proj4 from "proj4";
import { UnknownCrsError } from "../core/errors.js";

const userDefinitions = new Map<string, string>();

/** Normalises "epsg:4326", "EPSG:4326", "4326" or 4326 to "EPSG:4326". Non-EPSG names pass through. */
export function normaliseCrsCode(code: string | number): string {
  const s = String(code).trim();
  if (/^\d+$/.test(s)) return `EPSG:${s}`;
  const m = /^epsg:(\d+)$/i.exec(s);
  return m ? `EPSG:${m[1]}` : s;
}

/** The numeric EPSG code of a normalised name, or null for non-EPSG names. */
export function epsgNumber(code: string | number): number | null {
  const m = /^EPSG:(\d+)$/.exec(normaliseCrsCode(code));
  return m ? Number(m[1]) : null;
}

/** CGCS2000 uses the GRS80 ellipsoid; EPSG treats it as coincident with WGS 84 (no datum shift). */
const CGCS2000 = "+ellps=GRS80 +towgs84=0,0,0,0,0,0,0";

/** Central meridian (degrees east) of a CGCS2000 3-degree Gauss-Krüger CRS, or null if `epsg` is not one. */
export function cgcs2000GkCentralMeridian(epsg: number): number | null {
  if (epsg >= 4513 && epsg <= 4533) return (epsg - 4513 + 25) * 3; // zone 25 is centred on 75°E
  if (epsg >= 4534 && epsg <= 4554) return 75 + (epsg - 4534) * 3;
  return null;
}

function builtinDefinition(epsg: number): string | null {
  if (epsg === 4326) return "+proj=longlat +datum=WGS84 +no_defs";
  if (epsg === 4490) return `+proj=longlat ${CGCS2000} +no_defs`;
  if (epsg === 4269) return "+proj=longlat +datum=NAD83 +no_defs";
  if (epsg === 3857)
    return "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs";
  if (epsg >= 32601 && epsg <= 32660) return `+proj=utm +zone=${epsg - 32600} +datum=WGS84 +units=m +no_defs`;
  if (epsg >= 32701 && epsg <= 32760)
    return `+proj=utm +zone=${epsg - 32700} +south +datum=WGS84 +units=m +no_defs`;
  if (epsg >= 26901 && epsg <= 26923) return `+proj=utm +zone=${epsg - 26900} +datum=NAD83 +units=m +no_defs`;
  const cm = cgcs2000GkCentralMeridian(epsg);
  if (cm !== null) {
    // 4513–4533 put the zone number (cm / 3) in front of the 500 km false easting.
    const falseEasting = epsg <= 4533 ? (cm / 3) * 1_000_000 + 500_000 : 500_000;
    return `+proj=tmerc +lat_0=0 +lon_0=${cm} +k=1 +x_0=${falseEasting} +y_0=0 ${CGCS2000} +units=m +no_defs`;
  }
  return null;
}

/** True when `code` resolves without a user definition. */
export function isBuiltinCrs(code: string | number): boolean {
  const epsg = epsgNumber(code);
  return epsg !== null && builtinDefinition(epsg) !== null;
}

function validateDefinition(name: string, definition: string): void {
  const def = definition.trim();
  if (!def.startsWith("+proj=")) {
    throw new UnknownCrsError(
      name,
      `a CRS definition must be a proj4 string starting with "+proj=", got "${def}"`,
    );
  }
  let conv: proj4.Converter;
  try {
    conv = proj4(def, "+proj=longlat +datum=WGS84 +no_defs");
  } catch (cause) {
    throw new UnknownCrsError(name, `the proj4 definition given for it does not parse (${String(cause)})`);
  }
  // A definition that parses can still be nonsense (proj4 reads "+lon_0=abc" as NaN): round-trip
  // a point near the projection's own centre and insist on finite, consistent numbers.
  const lon0 = Number(/\+lon_0=(\S+)/.exec(def)?.[1] ?? 0);
  const lat0 = Number(/\+lat_0=(\S+)/.exec(def)?.[1] ?? 0);
  const probe: [number, number] = [
    Number.isFinite(lon0) ? lon0 + 0.1 : Number.NaN,
    Number.isFinite(lat0) ? Math.max(-80, Math.min(80, lat0 + 0.1)) : Number.NaN,
  ];
  let ok = false;
  try {
    const projected = conv.inverse(probe) as number[];
    const back = conv.forward(projected) as number[];
    ok =
      projected.every(Number.isFinite) &&
      back.every(Number.isFinite) &&
      Math.abs((back[0] ?? Number.NaN) - probe[0]) < 1e-6 &&
      Math.abs((back[1] ?? Number.NaN) - probe[1]) < 1e-6;
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new UnknownCrsError(
      name,
      `the proj4 definition given for it parses but does not transform a test point (${def})`,
    );
  }
}

/**
 * Registers (or overrides) the proj4 definition for a CRS code, e.g. from the run config.
 * Throws {@link UnknownCrsError} naming the code when the definition does not parse or does
 * not transform a test point near its own origin.
 */
export function registerCrs(code: string | number, proj4Definition: string): void {
  const name = normaliseCrsCode(code);
  validateDefinition(name, proj4Definition);
  userDefinitions.set(name, proj4Definition.trim());
  for (const key of [...transformCache.keys()]) {
    const [a, b] = key.split("|");
    if (a === name || b === name) transformCache.delete(key);
  }
}

/** Removes a user definition registered with {@link registerCrs} (mainly for tests). */
export function unregisterCrs(code: string | number): void {
  const name = normaliseCrsCode(code);
  userDefinitions.delete(name);
  for (const key of [...transformCache.keys()]) {
    const [a, b] = key.split("|");
    if (a === name || b === name) transformCache.delete(key);
  }
}

/** The proj4 definition of a CRS code; throws {@link UnknownCrsError} naming the code when there is none. */
export function crsDefinition(code: string | number): string {
  const name = normaliseCrsCode(code);
  const user = userDefinitions.get(name);
  if (user) return user;
  const epsg = epsgNumber(name);
  const builtin = epsg === null ? null : builtinDefinition(epsg);
  if (builtin) return builtin;
  if (name.startsWith("+proj=")) {
    validateDefinition(name, name);
    return name;
  }
  throw new UnknownCrsError(
    name,
    'not built in; pass its proj4 definition with --crs-def "EPSG:NNNN=+proj=..." or the crsDefinitions config entry',
  );
}

/** True for a longitude/latitude CRS (units: degrees). */
export function isGeographic(code: string | number): boolean {
  return /\+proj=longlat\b/.test(crsDefinition(code));
}

/** A map position: x is easting or longitude, y is northing or latitude. */
export interface Point {
  x: number;
  y: number;
}

/** A reusable coordinate transform between two CRS codes (easting/longitude first on both sides). */
export interface CoordinateTransform {
  readonly from: string;
  readonly to: string;
  /** True when both sides have the same definition and points pass through unchanged. */
  readonly isIdentity: boolean;
  /** Map coordinates in `from` to map coordinates in `to`. Non-finite when outside the projection's domain. */
  forward(x: number, y: number): Point;
  /** Map coordinates in `to` to map coordinates in `from`. */
  inverse(x: number, y: number): Point;
}

const transformCache = new Map<string, CoordinateTransform>();

/**
 * A transform between two CRS codes (EPSG names, bare numbers or `+proj` strings). Cached per
 * pair; throws {@link UnknownCrsError} for either side that cannot be resolved.
 */
export function coordinateTransform(from: string | number, to: string | number): CoordinateTransform {
  const a = normaliseCrsCode(from);
  const b = normaliseCrsCode(to);
  const key = `${a}|${b}`;
  const cached = transformCache.get(key);
  if (cached) return cached;
  const defA = crsDefinition(a);
  const defB = crsDefinition(b);
  let t: CoordinateTransform;
  if (defA === defB) {
    t = { from: a, to: b, isIdentity: true, forward: (x, y) => ({ x, y }), inverse: (x, y) => ({ x, y }) };
  } else {
    const conv = proj4(defA, defB);
    const buf: [number, number] = [0, 0];
    t = {
      from: a,
      to: b,
      isIdentity: false,
      forward: (x, y) => {
        buf[0] = x;
        buf[1] = y;
        const [px, py] = conv.forward(buf) as [number, number];
        return { x: px, y: py };
      },
      inverse: (x, y) => {
        buf[0] = x;
        buf[1] = y;
        const [px, py] = conv.inverse(buf) as [number, number];
        return { x: px, y: py };
      },
    };
  }
  transformCache.set(key, t);
  return t;
}
