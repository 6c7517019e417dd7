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
  if (band instanceof Uint8Array) return stretchLevels(band, observed, 256);
  if (band instanceof Uint16Array) return stretchLevels(band, observed, 65536);
  let n = 0;
  for (let i = 0; i < band.length; i++) if (observed[i]) n++;
  const values = new Float64Array(n);
  for (let i = 0, k = 0; i < band.length; i++) if (observed[i]) values[k++] = band[i]!;
  // The 2nd and 98th percentiles as the sorted values would give them (NaN sorting last), found
  // by selection in linear time: sorting a county's overview took most of its rendering.
  const kLo = Math.floor(n * 0.02);
  const kHi = Math.floor(n * 0.98);
  const finite = moveNaNToEnd(values);
  const lo = kLo < finite ? selectKth(values, kLo, 0, finite - 1) : kLo < n ? NaN : 0;
  const hi = kHi < finite ? selectKth(values, kHi, kLo < finite ? kLo : 0, finite - 1) : kHi < n ? NaN : 1;
  const span = hi > lo ? hi - lo : 1;
  const out = new Uint8Array(band.length);
  for (let i = 0; i < band.length; i++) out[i] = observed[i] ? stretchedByte(band[i]!, lo, span) : 0;
  return out;
}

/** A value's byte in a stretch from `lo` over `span` (clamped to 0–255). */
function stretchedByte(v: number, lo: number, span: number): number {
  return Math.max(0, Math.min(255, Math.round(((v - lo) / span) * 255)));
}

/**
 * {@link stretchToBytes} for integer samples below `levels`: the percentiles from a histogram and
 * each value's byte from a table, with the same formula as for any other band (chips are drawn
 * by the dozen per county, and this is several times faster than selecting and converting).
 */
function stretchLevels(band: Uint8Array | Uint16Array, observed: Uint8Array, levels: number): Uint8Array {
  const counts = new Float64Array(levels);
  let n = 0;
  for (let i = 0; i < band.length; i++) {
    if (observed[i]) {
      counts[band[i]!]!++;
      n++;
    }
  }
  const lo = n > 0 ? valueAtRank(counts, Math.floor(n * 0.02)) : 0;
  const hi = n > 0 ? valueAtRank(counts, Math.floor(n * 0.98)) : 1;
  const span = hi > lo ? hi - lo : 1;
  const table = new Uint8Array(levels);
  for (let v = 0; v < levels; v++) table[v] = stretchedByte(v, lo, span);
  const out = new Uint8Array(band.length);
  for (let i = 0; i < band.length; i++) out[i] = observed[i] ? table[band[i]!]! : 0;
  return out;
}

/** The value at index `k` (0-based) of the sorted values a histogram `counts` describes. */
function valueAtRank(counts: Float64Array, k: number): number {
  let seen = 0;
  for (let v = 0; v < counts.length; v++) {
    seen += counts[v]!;
    if (seen > k) return v;
  }
  return counts.length - 1;
}

/** Moves NaN values to the end of `a` (as a typed-array sort puts them); returns how many are not NaN. */
function moveNaNToEnd(a: Float64Array): number {
  let end = a.length;
  for (let i = 0; i < end;) {
    if (a[i] !== a[i]) {
      end--;
      a[i] = a[end]!;
      a[end] = NaN;
    } else i++;
  }
  return end;
}

/**
 * The value at index `k` of `a[left..right]` once sorted (no NaN in that range), rearranging it so
 * that a[left..k-1] ≤ a[k] ≤ a[k+1..right] (Hoare's selection, middle-of-three pivot).
 */
function selectKth(a: Float64Array, k: number, left: number, right: number): number {
  while (right > left) {
    const mid = (left + right) >>> 1;
    // Order a[left], a[mid], a[right] and use the middle one as the pivot.
    if (a[mid]! < a[left]!) swap(a, mid, left);
    if (a[right]! < a[left]!) swap(a, right, left);
    if (a[right]! < a[mid]!) swap(a, right, mid);
    const pivot = a[mid]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k]!;
  }
  return a[k]!;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
