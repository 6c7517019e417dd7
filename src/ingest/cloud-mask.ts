/**
 * Cloud and cloud-shadow masks from a spectral test, for imagery whose sensor profile has no
 * quality band (a profile's quality band is applied by {@link toReflectance}). Pure typed-array
 * code over reflectance bands (NaN = unobserved).
 *
 * The test follows Fmask's "potential cloud pixel" rules (Zhu & Woodcock 2012, RSE 118:83-94),
 * restricted to the bands a profile has:
 *   - bright: mean visible reflectance ≥ `brightnessMin`;
 *   - flat ("whiteness"): Σ|b − mean| / mean over the visible bands ≤ `whitenessMax`;
 *   - hazy: HOT = blue − 0.5·red − 0.08 ≥ `hotMin` (haze-optimised transform, Zhang et al. 2002);
 *   - with NIR: NDVI ≤ `ndviMax`; with SWIR2: SWIR2 ≥ `swir2Min`;
 *   - smooth: the standard deviation of the mean visible value over the 5×5 pixels around it is
 *     at most `textureMax` (a texture test as in s2cloudless-era detectors use band contrast:
 *     clouds are smooth at 1–10 m, villages and roofs are not);
 *   - with a cirrus band (Sentinel-2 B10): cirrus > `cirrusMin` is cloud on its own.
 * Pixels passing every test are cloud cores; cores then grow, up to `edgeGrowPx` pixels, into
 * connected pixels that pass the looser edge test (brightness ≥ `edgeBrightnessShare` × the
 * threshold, whiteness ≤ 2 × `whitenessMax`, HOT, no texture test): a hysteresis threshold, as
 * Fmask grows clouds from its potential-cloud layer, catching the soft, half-transparent edges.
 * Brightness is judged against `brightnessMin` on 8-bit display imagery (stretched, so clouds are
 * near saturation) and against `reflectanceBrightnessMin` on calibrated reflectance (Sen2Cor's
 * step-1 threshold T2 = 0.25 on red). Specks are removed by an opening of `openingPx` (clouds are
 * large objects at 1–10 m; single bright roofs and salt crust are not), and what remains is
 * dilated by `bufferPx` (Fmask's default 3). A shadow is a dark, unmasked pixel (mean visible
 * ≤ `shadowDarknessMax`, and ≤ `shadowRelativeMax` × the mean of the cloud-free pixels within 15
 * pixels: a shadow darkens whatever lies under it, so dark land such as a city or water is not a
 * shadow by darkness alone) within `shadowSearchPx` of a cloud: without the sun's
 * geometry in the metadata, Fmask's projection of the cloud along the sun direction becomes a
 * search radius.
 */
import { ScratchScope, withScratch } from "../core/scratch-pool.js";
import type { ReflectanceBands } from "./sensor-profile.js";

/** The test's parameters (the detection config's `clouds` section). */
export interface CloudTestParams {
  /** Minimum mean visible value of a cloud on 8-bit display imagery (DN/255). */
  readonly brightnessMin: number;
  /** The same on calibrated reflectance (Sentinel-2 DN/10000 and the like). */
  readonly reflectanceBrightnessMin: number;
  /** Opening radius removing cloud specks (bright roofs, salt crust) before the buffer. */
  readonly openingPx: number;
  /** Maximum local standard deviation of brightness (5×5 pixels) of a cloud: clouds are smooth. */
  readonly textureMax: number;
  /** Looser brightness (as a share of the strict one) into which cloud cores grow (soft edges). */
  readonly edgeBrightnessShare: number;
  /** How far, pixels, cloud cores grow into the looser test. */
  readonly edgeGrowPx: number;
  readonly whitenessMax: number;
  readonly hotMin: number;
  readonly swir2Min: number;
  readonly ndviMax: number;
  readonly cirrusMin: number;
  readonly bufferPx: number;
  readonly shadowDarknessMax: number;
  /** Maximum brightness of a shadow relative to the local mean of cloud-free pixels. */
  readonly shadowRelativeMax: number;
  readonly shadowSearchPx: number;
}

/** Mask codes: per pixel, why it is not observed (0 = clear). */
export const MASK_CLEAR = 0;
export const MASK_NODATA = 1;
/** Masked by the profile's quality band, or one band at its nodata value. */
export const MASK_QUALITY = 2;
export const MASK_CLOUD = 3;
export const MASK_SHADOW = 4;

/**
 * Standard deviation of `v` over the (2r+1)² pixels around each pixel (clipped at the edges; NaN
 * pixels left out), via summed-area tables.
 */
export function localStd(v: Float32Array, width: number, height: number, r: number): Float32Array {
  const std = new Float32Array(width * height);
  boxStats(v, width, height, r, null, std);
  return std;
}

/** Mean and standard deviation of `v` over the (2r+1)² pixels around each pixel (NaN left out). */
export function localStats(
  v: Float32Array,
  width: number,
  height: number,
  r: number,
): { mean: Float32Array; std: Float32Array } {
  const mean = new Float32Array(width * height);
  const std = new Float32Array(width * height);
  boxStats(v, width, height, r, mean, std);
  return { mean, std };
}

/**
 * Box mean and/or standard deviation (NaN where the box holds no value) into `meanOut` and
 * `stdOut` (either may be null). The summed-area tables are float64 (float32 sums of a 704²
 * window would round) and borrowed from the scratch pool: they are a window's largest temporaries.
 */
function boxStats(
  v: Float32Array,
  width: number,
  height: number,
  r: number,
  meanOut: Float32Array | null,
  stdOut: Float32Array | null,
): void {
  const size = (width + 1) * (height + 1);
  const scratch = new ScratchScope();
  try {
    // Row 0 and column 0 of each table stay 0 (taken zero-filled).
    const s1 = scratch.take(Float64Array, size);
    const s2 = scratch.take(Float64Array, size);
    const counts = scratch.take(Float64Array, size);
    boxStatsFromTables(v, width, height, r, meanOut, stdOut, s1, s2, counts);
  } finally {
    scratch.release();
  }
}

/** {@link boxStats} with its summed-area tables of values, squares and counts (zero-filled). */
function boxStatsFromTables(
  v: Float32Array,
  width: number,
  height: number,
  r: number,
  meanOut: Float32Array | null,
  stdOut: Float32Array | null,
  s1: Float64Array,
  s2: Float64Array,
  c: Float64Array,
): void {
  const w1 = width + 1;
  for (let y = 0; y < height; y++) {
    let a = 0;
    let b = 0;
    let k = 0;
    for (let x = 0; x < width; x++) {
      const val = v[y * width + x]!;
      if (val === val) {
        a += val;
        b += val * val;
        k++;
      }
      const o = (y + 1) * w1 + x + 1;
      s1[o] = s1[o - w1]! + a;
      s2[o] = s2[o - w1]! + b;
      c[o] = c[o - w1]! + k;
    }
  }
  for (let y = 0; y < height; y++) {
    const y0 = Math.max(0, y - r);
    const y1 = Math.min(height, y + r + 1);
    for (let x = 0; x < width; x++) {
      const x0 = Math.max(0, x - r);
      const x1 = Math.min(width, x + r + 1);
      const k = boxSum(c, w1, x0, y0, x1, y1);
      if (k === 0) {
        if (stdOut) stdOut[y * width + x] = NaN;
        if (meanOut) meanOut[y * width + x] = NaN;
        continue;
      }
      const m = boxSum(s1, w1, x0, y0, x1, y1) / k;
      if (meanOut) meanOut[y * width + x] = m;
      if (stdOut) stdOut[y * width + x] = Math.sqrt(Math.max(0, boxSum(s2, w1, x0, y0, x1, y1) / k - m * m));
    }
  }
}

/** Sum over the box [x0, x1) × [y0, y1) from a summed-area table `w1` wide. */
function boxSum(t: Float64Array, w1: number, x0: number, y0: number, x1: number, y1: number): number {
  return t[y1 * w1 + x1]! - t[y0 * w1 + x1]! - t[y1 * w1 + x0]! + t[y0 * w1 + x0]!;
}

/** Chebyshev-distance erosion of a 0/1 mask by `r` pixels (pixels beyond the edge count as set). */
export function erodeMask(mask: Uint8Array, width: number, height: number, r: number): Uint8Array {
  if (r <= 0) return mask.slice();
  const scratch = new ScratchScope();
  let grown: Uint8Array;
  try {
    const inv = scratch.take(Uint8Array, mask.length);
    for (let i = 0; i < mask.length; i++) inv[i] = mask[i] === 0 ? 1 : 0;
    grown = dilateMask(inv, width, height, r);
  } finally {
    scratch.release();
  }
  for (let i = 0; i < grown.length; i++) grown[i] = grown[i] === 0 ? 1 : 0;
  return grown;
}

/**
 * Chebyshev-distance dilation of a 0/1 mask by `r` pixels: a separable max filter, each pass
 * linear in the pixel count whatever `r` (the nearest set pixel before and after each position
 * is tracked in one forward and one backward sweep), so wide buffers such as the shadow search
 * cost no more than narrow ones.
 */
export function dilateMask(mask: Uint8Array, width: number, height: number, r: number): Uint8Array {
  if (r <= 0) return mask.slice();
  const out = new Uint8Array(mask.length);
  withScratch((scratch) => dilateInto(mask, width, height, r, scratch.take(Uint8Array, mask.length), out));
  return out;
}

/** {@link dilateMask} into `out` (zero-filled), `tmp` (zero-filled) holding the horizontal pass. */
function dilateInto(
  mask: Uint8Array,
  width: number,
  height: number,
  r: number,
  tmp: Uint8Array,
  out: Uint8Array,
): void {
  const far = -(r + 1); // "no set pixel within reach"
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let last = far;
    for (let x = 0; x < width; x++) {
      if (mask[row + x] !== 0) last = x;
      if (x - last <= r) tmp[row + x] = 1;
    }
    let next = width + r + 1;
    for (let x = width - 1; x >= 0; x--) {
      if (mask[row + x] !== 0) next = x;
      if (next - x <= r) tmp[row + x] = 1;
    }
  }
  // Vertical pass row by row (cache-friendly): the last and next set row per column.
  const lastRow = new Int32Array(width).fill(far);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (tmp[row + x] !== 0) lastRow[x] = y;
      if (y - lastRow[x]! <= r) out[row + x] = 1;
    }
  }
  const nextRow = new Int32Array(width).fill(height + r + 1);
  for (let y = height - 1; y >= 0; y--) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (tmp[row + x] !== 0) nextRow[x] = y;
      if (nextRow[x]! - y <= r) out[row + x] = 1;
    }
  }
}

/**
 * True when a profile's bands are calibrated reflectance rather than 8-bit display values: every
 * band's DN scale is finer than 1/255 (Sentinel-2 and 16-bit products use 1e-4).
 */
export function isCalibrated(profile: { bands: readonly { scale: number }[] }): boolean {
  return profile.bands.every((b) => b.scale < 1 / 256);
}

/**
 * Cloud (code {@link MASK_CLOUD}) and shadow ({@link MASK_SHADOW}) per pixel, 0 elsewhere.
 * `bands` are reflectance (0–1) on a `width × height` grid; pixels that are NaN in a visible band
 * are left 0 (they are unobserved already). Needs red, green and blue; returns all zeros without.
 */
export function spectralCloudMask(
  bands: ReflectanceBands,
  width: number,
  height: number,
  p: CloudTestParams,
  options: { calibrated?: boolean } = {},
): Uint8Array {
  const brightnessMin = options.calibrated ? p.reflectanceBrightnessMin : p.brightnessMin;
  const n = width * height;
  const out = new Uint8Array(n);
  const { red, green, blue } = bands;
  if (!red || !green || !blue) return out;
  // The per-pixel layers below are temporaries; only `out` leaves.
  withScratch((scratch) => cloudAndShadow(bands, width, height, p, brightnessMin, out, scratch));
  return out;
}

/** The body of {@link spectralCloudMask}: writes its codes into `out` (all 0 on entry). */
function cloudAndShadow(
  bands: ReflectanceBands,
  width: number,
  height: number,
  p: CloudTestParams,
  brightnessMin: number,
  out: Uint8Array,
  scratch: ScratchScope,
): void {
  const n = width * height;
  const { red, green, blue, nir, swir2, cirrus } = bands;
  if (!red || !green || !blue) return;
  const cloud = scratch.take(Uint8Array, n);
  const edge = scratch.take(Uint8Array, n);
  const brightness = scratch.take(Float32Array, n);
  for (let i = 0; i < n; i++) brightness[i] = (red[i]! + green[i]! + blue[i]!) / 3;
  // Candidate cores pass every test but texture; the texture (a 5×5 standard deviation) is only
  // computed when there is one, and nothing further when no core survives: clear scenes are cheap.
  const candidate = scratch.take(Uint8Array, n);
  let candidates = 0;
  for (let i = 0; i < n; i++) {
    const r = red[i]!;
    const g = green[i]!;
    const b = blue[i]!;
    const mean = brightness[i]!;
    if (mean !== mean) continue;
    if (cirrus && cirrus[i]! > p.cirrusMin) {
      cloud[i] = 1;
      continue;
    }
    if (mean < brightnessMin * p.edgeBrightnessShare) continue;
    const whiteness =
      mean > 0 ? (Math.abs(r - mean) + Math.abs(g - mean) + Math.abs(b - mean)) / mean : Infinity;
    if (whiteness > 2 * p.whitenessMax) continue;
    if (b - 0.5 * r - 0.08 < p.hotMin) continue;
    if (nir) {
      const v = nir[i]!;
      const ndvi = (v - r) / (v + r);
      if (ndvi > p.ndviMax) continue;
    }
    if (swir2 && swir2[i]! < p.swir2Min) continue;
    edge[i] = 1;
    if (mean >= brightnessMin && whiteness <= p.whitenessMax) {
      candidate[i] = 1;
      candidates++;
    }
  }
  if (candidates > 0) {
    const texture = scratch.take(Float32Array, n);
    boxStats(brightness, width, height, 2, null, texture);
    for (let i = 0; i < n; i++) if (candidate[i] === 1 && texture[i]! <= p.textureMax) cloud[i] = 1;
  }
  // Grow the cores into the edge layer (geodesic dilation, one pixel per step).
  // Specks (single bright roofs, salt crust) are removed from the cores before they grow.
  let grown: Uint8Array = dilateMask(
    erodeMask(cloud, width, height, p.openingPx),
    width,
    height,
    p.openingPx,
  );
  for (let step = 0; step < p.edgeGrowPx; step++) {
    const next = dilateMask(grown, width, height, 1);
    let changed = false;
    for (let i = 0; i < n; i++) {
      if (next[i] === 1 && grown[i] === 0) {
        if (edge[i] === 1) changed = true;
        else next[i] = 0;
      }
    }
    grown = next;
    if (!changed) break;
  }
  const opened = grown;
  // Cirrus pixels are kept even when isolated: thin cirrus is patchy.
  if (cirrus) for (let i = 0; i < n; i++) if (cirrus[i]! > p.cirrusMin) opened[i] = 1;
  if (!opened.includes(1)) return;
  const buffered = dilateMask(opened, width, height, p.bufferPx);
  const near = p.shadowSearchPx > 0 ? dilateMask(buffered, width, height, p.shadowSearchPx) : null;
  let localMean: Float32Array | null = null;
  if (near) {
    const clearBrightness = scratch.take(Float32Array, n);
    for (let i = 0; i < n; i++) clearBrightness[i] = buffered[i] === 1 ? NaN : brightness[i]!;
    localMean = scratch.take(Float32Array, n);
    boxStats(clearBrightness, width, height, 15, localMean, null);
  }
  for (let i = 0; i < n; i++) {
    if (brightness[i] !== brightness[i]) continue;
    if (buffered[i] === 1) out[i] = MASK_CLOUD;
    else if (
      near &&
      localMean &&
      near[i] === 1 &&
      brightness[i]! <= p.shadowDarknessMax &&
      brightness[i]! <= p.shadowRelativeMax * localMean[i]!
    )
      out[i] = MASK_SHADOW;
  }
}
