/**
 * The vegetation index a season history tracks: NDVI where the imagery has NIR, otherwise the
 * excess-green index on chromatic coordinates, ExG = 2g − r − b with r = R/(R+G+B) etc.
 * (Woebbecke et al. 1995, Trans. ASAE 38:259-269), which needs only true colour and is bounded
 * (−1…2) where VARI's denominator can vanish. Pure typed-array code over reflectance bands
 * (NaN = unobserved).
 */
import type { ReflectanceBands } from "../ingest/sensor-profile.js";

export type VegetationIndexKind = "ndvi" | "exg";

/** The index a set of bands supports: NDVI with red and NIR, ExG with red, green and blue; else null. */
export function indexKindOf(bands: ReflectanceBands): VegetationIndexKind | null {
  if (bands.red && bands.nir) return "ndvi";
  if (bands.red && bands.green && bands.blue) return "exg";
  return null;
}

/** NDVI = (NIR − red) / (NIR + red) per pixel; NaN where either is NaN or both are 0. */
export function ndvi(red: Float32Array, nir: Float32Array): Float32Array {
  const out = new Float32Array(red.length);
  for (let i = 0; i < out.length; i++) {
    const r = red[i]!;
    const n = nir[i]!;
    const s = n + r;
    out[i] = s > 0 ? (n - r) / s : NaN;
  }
  return out;
}

/** Excess green 2g − r − b on chromatic coordinates; NaN where any band is NaN or R+G+B is 0. */
export function excessGreen(red: Float32Array, green: Float32Array, blue: Float32Array): Float32Array {
  const out = new Float32Array(red.length);
  for (let i = 0; i < out.length; i++) {
    const r = red[i]!;
    const g = green[i]!;
    const b = blue[i]!;
    const s = r + g + b;
    out[i] = s > 0 ? (2 * g - r - b) / s : NaN;
  }
  return out;
}

/** The index of `kind` from reflectance bands; throws RangeError when the bands lack what it needs. */
export function vegetationIndex(bands: ReflectanceBands, kind: VegetationIndexKind): Float32Array {
  if (kind === "ndvi") {
    if (!bands.red || !bands.nir) throw new RangeError("NDVI needs red and NIR bands");
    return ndvi(bands.red, bands.nir);
  }
  if (!bands.red || !bands.green || !bands.blue) throw new RangeError("ExG needs red, green and blue bands");
  return excessGreen(bands.red, bands.green, bands.blue);
}

/** Sets `index` to NaN wherever `observed` is 0 (clouds, shadows, nodata never enter a history). */
export function maskIndex(index: Float32Array, observed: Uint8Array): Float32Array {
  const out = index.slice();
  for (let i = 0; i < out.length; i++) if (observed[i] === 0) out[i] = NaN;
  return out;
}
