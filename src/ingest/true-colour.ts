/**
 * True-colour display of imagery, shared by the issue chips and the review page's overview: which
 * bands are red, green and blue, and a 2–98 % percentile stretch of a band to bytes.
 */
import type { SensorProfile } from "./sensor-profile.js";

/** Indices (in the file) of the red, green and blue bands, or else the first three bands. */
export function trueColourBands(profile: SensorProfile): number[] {
  const pick = (name: string): number | undefined => profile.bands.find((b) => b.name === name)?.index;
  const rgb = [pick("red"), pick("green"), pick("blue")];
  if (rgb.every((i) => i !== undefined)) return rgb as number[];
  return profile.bands.slice(0, 3).map((b) => b.index);
}

/**
 * Stretches one band to 0–255 between its 2nd and 98th percentile over the observed pixels
 * (`observed[i]` non-zero); unobserved pixels become 0 (black). Values are the band's raw
 * samples (DN), so the stretch is per image, not a calibrated reflectance scale.
 */
export function stretchToBytes(band: ArrayLike<number>, observed: Uint8Array): Uint8Array {
  let n = 0;
  for (let i = 0; i < band.length; i++) if (observed[i]) n++;
  const values = new Float64Array(n);
  for (let i = 0, k = 0; i < band.length; i++) if (observed[i]) values[k++] = band[i]!;
  values.sort();
  const lo = values[Math.floor(n * 0.02)] ?? 0;
  const hi = values[Math.floor(n * 0.98)] ?? 1;
  const span = hi > lo ? hi - lo : 1;
  const out = new Uint8Array(band.length);
  for (let i = 0; i < band.length; i++)
    out[i] = observed[i] ? Math.max(0, Math.min(255, Math.round(((band[i]! - lo) / span) * 255))) : 0;
  return out;
}
