/**
 * Coordinate reference systems by EPSG code, resolved to proj4 definitions.
 *
 * Built in: WGS 84 (4326), CGCS2000 geographic (4490), Web Mercator (3857), WGS 84 / UTM
 * (32601–32660 north, 32701–32760 south), NAD83 / UTM (26901–26923), and CGCS2000 3-degree
 * Gauss-Krüger (4513–4533 with the zone number in the false easting, 4534–4554 without).
 * Anything else needs a proj4 definition from the user ({@link registerCrs} or the
 * `crsDefinitions` config entry); an unresolvable code is an {@link UnknownCrsError}.
 *
 * Axis order is always easting/longitude first, as in GeoTIFF and GeoJSON.
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
export function epsgNumber(code: string): number | null {
  const m = /^EPSG:(\d+)$/.exec(normaliseCrsCode(code));
  return m ? Number(m[1]) : null;
}

function builtinDefinition(epsg: number): string | null {
  if (epsg === 4326) return "+proj=longlat +datum=WGS84 +no_defs";
  // CGCS2000 uses the GRS80 ellipsoid and is within a metre of WGS 84 (no datum shift in EPSG).
  if (epsg === 4490) return "+proj=longlat +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +no_defs";
  if (epsg === 3857)
    return "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs";
  if (epsg >= 32601 && epsg <= 32660) return `+proj=utm +zone=${epsg - 32600} +datum=WGS84 +units=m +no_defs`;
  if (epsg >= 32701 && epsg <= 32760)
    return `+proj=utm +zone=${epsg - 32700} +south +datum=WGS84 +units=m +no_defs`;
  if (epsg >= 26901 && epsg <= 26923) return `+proj=utm +zone=${epsg - 26900} +datum=NAD83 +units=m +no_defs`;
  if (epsg >= 4513 && epsg <= 4533) {
    const zone = epsg - 4513 + 25; // zone 25 is centred on 75°E, zone 45 on 135°E
    return `+proj=tmerc +lat_0=0 +lon_0=${zone * 3} +k=1 +x_0=${zone}500000 +y_0=0 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs`;
  }
  if (epsg >= 4534 && epsg <= 4554) {
    const centralMeridian = 75 + (epsg - 4534) * 3;
    return `+proj=tmerc +lat_0=0 +lon_0=${centralMeridian} +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs`;
  }
  return null;
}

/** Registers (or overrides) the proj4 definition for a CRS code, e.g. from the run config. */
export function registerCrs(code: string | number, proj4Definition: string): void {
  const name = normaliseCrsCode(code);
  try {
    proj4(proj4Definition, "EPSG:4326");
  } catch (cause) {
    throw new UnknownCrsError(name, `the proj4 definition given for it does not parse (${String(cause)})`);
  }
  userDefinitions.set(name, proj4Definition);
}

/** The proj4 definition of a CRS code; throws {@link UnknownCrsError} naming the code when there is none. */
export function crsDefinition(code: string | number): string {
  const name = normaliseCrsCode(code);
  const user = userDefinitions.get(name);
  if (user) return user;
  const epsg = epsgNumber(name);
  const builtin = epsg === null ? null : builtinDefinition(epsg);
  if (builtin) return builtin;
  if (name.startsWith("+proj=")) return name;
  throw new UnknownCrsError(
    name,
    'not built in; pass its proj4 definition with --crs-def "EPSG:NNNN=+proj=..." or the crsDefinitions config entry',
  );
}

export function isGeographic(code: string | number): boolean {
  return /\+proj=longlat\b/.test(crsDefinition(code));
}

export interface Point {
  x: number;
  y: number;
}

/** A reusable coordinate transform between two CRS codes (easting/longitude first on both sides). */
export interface CoordinateTransform {
  readonly from: string;
  readonly to: string;
  forward(x: number, y: number): Point;
  inverse(x: number, y: number): Point;
}

const transformCache = new Map<string, CoordinateTransform>();

export function coordinateTransform(from: string | number, to: string | number): CoordinateTransform {
  const a = normaliseCrsCode(from);
  const b = normaliseCrsCode(to);
  const key = `${a}|${b}`;
  const cached = transformCache.get(key);
  if (cached && !userDefinitions.has(a) && !userDefinitions.has(b)) return cached;
  const defA = crsDefinition(a);
  const defB = crsDefinition(b);
  let t: CoordinateTransform;
  if (defA === defB) {
    t = { from: a, to: b, forward: (x, y) => ({ x, y }), inverse: (x, y) => ({ x, y }) };
  } else {
    const conv = proj4(defA, defB);
    t = {
      from: a,
      to: b,
      forward: (x, y) => {
        const [px, py] = conv.forward([x, y]) as [number, number];
        return { x: px, y: py };
      },
      inverse: (x, y) => {
        const [px, py] = conv.inverse([x, y]) as [number, number];
        return { x: px, y: py };
      },
    };
  }
  transformCache.set(key, t);
  return t;
}
