/**
 * GCJ-02 ("Mars coordinates"), the obfuscated lon/lat that Chinese web map vendors (AMap/Gaode,
 * Tencent, DataV GeoAtlas exports) publish, and its conversion to WGS 84 / CGCS2000.
 *
 * The forward transform (WGS 84 → GCJ-02) is the widely published reimplementation on the
 * Krasovsky ellipsoid; it shifts points in mainland China by a few hundred metres. Its exact
 * inverse has no closed form, so {@link gcj02ToWgs84} iterates (Newton steps on a numerical
 * Jacobian) until the forward transform of its answer reproduces the input to 1e-11 degrees
 * (about 1 µm), far below the 1 cm the pipeline needs. Hand-written rather than taken from
 * `gcoord`: that package stops its inverse iteration at 1e-6 degrees (about 0.1 m).
 *
 * Points outside mainland China are returned unchanged in both directions (as the vendors do);
 * the test is the usual coarse rectangle, 72.004–137.8347°E, 0.8293–55.8271°N.
 */

const KRASOVSKY_A = 6378245.0;
const KRASOVSKY_EE = 0.006693421622965943;

/** True when (lon, lat) (degrees) is inside the rectangle where GCJ-02 differs from WGS 84. */
export function isInsideGcj02Area(lon: number, lat: number): boolean {
  return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
}

function shiftLat(x: number, y: number): number {
  let ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  ret += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  ret += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
  ret += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
  return ret;
}

function shiftLon(x: number, y: number): number {
  let ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  ret += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  ret += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
  ret += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
  return ret;
}

/** GCJ-02 offset (degrees) at a WGS 84 position; zero outside the GCJ-02 area. */
function offset(lon: number, lat: number, out: { dLon: number; dLat: number }): void {
  if (!isInsideGcj02Area(lon, lat)) {
    out.dLon = 0;
    out.dLat = 0;
    return;
  }
  let dLat = shiftLat(lon - 105.0, lat - 35.0);
  let dLon = shiftLon(lon - 105.0, lat - 35.0);
  const radLat = (lat / 180.0) * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - KRASOVSKY_EE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180.0) / (((KRASOVSKY_A * (1 - KRASOVSKY_EE)) / (magic * sqrtMagic)) * Math.PI);
  dLon = (dLon * 180.0) / ((KRASOVSKY_A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  out.dLon = dLon;
  out.dLat = dLat;
}

/** A lon/lat pair in degrees. */
export interface LonLat {
  lon: number;
  lat: number;
}

/** WGS 84 (or CGCS2000) lon/lat in degrees to GCJ-02 lon/lat in degrees. */
export function wgs84ToGcj02(lon: number, lat: number): LonLat {
  const o = { dLon: 0, dLat: 0 };
  offset(lon, lat, o);
  return { lon: lon + o.dLon, lat: lat + o.dLat };
}

/** Convergence target of the inverse, in degrees (about 1 µm on the ground). */
const INVERSE_TOLERANCE_DEG = 1e-11;
const INVERSE_MAX_ITERATIONS = 30;

/**
 * GCJ-02 lon/lat in degrees to WGS 84 lon/lat in degrees: the point whose forward transform is
 * the input, to {@link INVERSE_TOLERANCE_DEG}. Input outside the GCJ-02 area is returned as is.
 */
export function gcj02ToWgs84(lon: number, lat: number): LonLat {
  if (!isInsideGcj02Area(lon, lat)) return { lon, lat };
  const o = { dLon: 0, dLat: 0 };
  // Fixed-point start: subtract the offset at the GCJ-02 point (good to ~1 m), then Newton steps.
  offset(lon, lat, o);
  let x = lon - o.dLon;
  let y = lat - o.dLat;
  const h = 1e-6;
  for (let i = 0; i < INVERSE_MAX_ITERATIONS; i++) {
    offset(x, y, o);
    const rx = x + o.dLon - lon;
    const ry = y + o.dLat - lat;
    if (Math.abs(rx) < INVERSE_TOLERANCE_DEG && Math.abs(ry) < INVERSE_TOLERANCE_DEG) break;
    // Jacobian of the forward transform by central differences (the offset is smooth).
    offset(x + h, y, o);
    const fxp = o.dLon;
    const gxp = o.dLat;
    offset(x - h, y, o);
    const a11 = 1 + (fxp - o.dLon) / (2 * h);
    const a21 = (gxp - o.dLat) / (2 * h);
    offset(x, y + h, o);
    const fyp = o.dLon;
    const gyp = o.dLat;
    offset(x, y - h, o);
    const a12 = (fyp - o.dLon) / (2 * h);
    const a22 = 1 + (gyp - o.dLat) / (2 * h);
    const det = a11 * a22 - a12 * a21;
    x -= (a22 * rx - a12 * ry) / det;
    y -= (-a21 * rx + a11 * ry) / det;
  }
  return { lon: x, lat: y };
}
