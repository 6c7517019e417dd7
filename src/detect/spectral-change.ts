/**
 * Spectral change between the two dates, the gate that keeps context bleed out of the change
 * rules. Pure typed-array code.
 *
 * Why: the shipped classifier reads a pixel's own 3×3 patch and a context pyramid of about 250 m
 * around it. A new construction site or pond therefore pulls the class probabilities of the
 * unchanged fields beside it toward its own class on the after image, and comparing the two
 * dates' classes alone (post-classification comparison) reports those fields as changes. A land
 * cover change changes the pixel itself, so, as in hybrid change detection (change vector
 * analysis gating the class comparison, e.g. Xian, Homer & Fry 2009 for the NLCD 2001–2006
 * update), a pixel is a candidate change only where its own 3×3 patch, the part of the input the
 * classifier does not share with its neighbours, changed colour between the dates.
 *
 * The measure is relative, so that 8-bit display imagery and calibrated reflectance read alike:
 * for the 3×3 means ā (after) and b̄ (before) of the visible bands (red, green, blue; every band
 * when a profile has none of them), Σ|ā − b̄| / Σ(ā + b̄)/2. Unobserved pixels (NaN) are left
 * out of the means; a pixel with no observed neighbour on either date gets 0.
 */
import { ScratchScope } from "../core/scratch-pool.js";
import type { BandName, ReflectanceBands } from "../ingest/sensor-profile.js";

/** Bands the measure uses when the profile has them. */
const VISIBLE: readonly BandName[] = ["red", "green", "blue"];

/** Scale of the stored measure: value / 255 is the relative change, capped at 1. */
export const SPECTRAL_CHANGE_SCALE = 255;

/**
 * 3×3 mean of `src` (`width` × `height`) into `out`, skipping NaN; NaN where all nine are NaN.
 * Separable: a horizontal pass of sums and counts, then a vertical one (edges take the neighbours
 * they have). The passes' rows are borrowed from the scratch pool.
 */
function mean3x3(src: Float32Array, width: number, height: number, out: Float32Array): Float32Array {
  const n = width * height;
  const scratch = new ScratchScope();
  try {
    return mean3x3Passes(src, width, height, out, scratch.take(Float32Array, n), scratch.take(Uint8Array, n));
  } finally {
    scratch.release();
  }
}

/** {@link mean3x3}'s passes, the horizontal one into `rowSum` and `rowCount`. */
function mean3x3Passes(
  src: Float32Array,
  width: number,
  height: number,
  out: Float32Array,
  rowSum: Float32Array,
  rowCount: Uint8Array,
): Float32Array {
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let sum = 0;
      let count = 0;
      for (let xx = Math.max(0, x - 1); xx <= Math.min(width - 1, x + 1); xx++) {
        const v = src[row + xx]!;
        if (v === v) {
          sum += v;
          count++;
        }
      }
      rowSum[row + x] = sum;
      rowCount[row + x] = count;
    }
  }
  for (let y = 0; y < height; y++) {
    const up = y > 0 ? -width : 0;
    const down = y < height - 1 ? width : 0;
    for (let x = 0, i = y * width; x < width; x++, i++) {
      let sum = rowSum[i]!;
      let count = rowCount[i]!;
      if (up !== 0) {
        sum += rowSum[i + up]!;
        count += rowCount[i + up]!;
      }
      if (down !== 0) {
        sum += rowSum[i + down]!;
        count += rowCount[i + down]!;
      }
      out[i] = count > 0 ? sum / count : NaN;
    }
  }
  return out;
}

/**
 * Relative spectral change of each pixel's 3×3 patch between `before` and `after` (same bands,
 * `width` × `height`, reflectance), as uint8: round(255 × min(1, Σ|ā − b̄| / Σ(ā + b̄)/2)).
 */
export function relativeSpectralChange(
  before: ReflectanceBands,
  after: ReflectanceBands,
  width: number,
  height: number,
): Uint8Array {
  const shared = (Object.keys(after) as BandName[]).filter(
    (b) => after[b] !== undefined && before[b] !== undefined,
  );
  const visible = VISIBLE.filter((b) => shared.includes(b));
  const bands = visible.length > 0 ? visible : shared;
  if (bands.length === 0)
    throw new RangeError("relativeSpectralChange: the two dates share no band to compare");
  const n = width * height;
  const out = new Uint8Array(n);
  const scratch = new ScratchScope();
  try {
    const diff = scratch.take(Float64Array, n);
    const level = scratch.take(Float64Array, n);
    // One pair of mean planes and one set of pass rows serve every band in turn.
    const a = scratch.take(Float32Array, n);
    const b = scratch.take(Float32Array, n);
    for (const name of bands) {
      mean3x3(after[name]!, width, height, a);
      mean3x3(before[name]!, width, height, b);
      for (let i = 0; i < n; i++) {
        diff[i]! += Math.abs(a[i]! - b[i]!);
        level[i]! += (a[i]! + b[i]!) / 2;
      }
    }
    for (let i = 0; i < n; i++) {
      const d = diff[i]!;
      const l = level[i]!;
      // NaN (a date with no observed neighbour) fails both comparisons and leaves 0.
      if (l > 0) out[i] = Math.round(SPECTRAL_CHANGE_SCALE * Math.min(1, d / l));
      else if (d > 0) out[i] = SPECTRAL_CHANGE_SCALE;
    }
  } finally {
    scratch.release();
  }
  return out;
}
