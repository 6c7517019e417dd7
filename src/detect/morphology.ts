/**
 * Binary morphology on 0/1 masks (row-major Uint8Array), with a square structuring element of
 * side 2r+1. Separable: a row pass then a column pass, each O(pixels × r).
 *
 * Pixels outside the mask are treated as "unknown" rather than background: erosion ignores them
 * and dilation does not spread from them, so a patch cut by a window edge is not eaten away at
 * the edge. Callers who need seam-free results give the window a halo of at least 2r pixels.
 */

function pass(
  src: Uint8Array,
  dst: Uint8Array,
  width: number,
  height: number,
  r: number,
  horizontal: boolean,
  take: "min" | "max",
): void {
  const outer = horizontal ? height : width;
  const inner = horizontal ? width : height;
  const stride = horizontal ? 1 : width;
  const lineStep = horizontal ? width : 1;
  // Prefix counts of set pixels along the line: each output is one subtraction, whatever r.
  const prefix = new Int32Array(inner + 1);
  for (let o = 0; o < outer; o++) {
    const base = o * lineStep;
    for (let i = 0; i < inner; i++) prefix[i + 1] = prefix[i]! + (src[base + i * stride] !== 0 ? 1 : 0);
    if (prefix[inner] === 0) {
      // An empty line stays empty under both erosion and dilation.
      for (let i = 0; i < inner; i++) dst[base + i * stride] = 0;
      continue;
    }
    for (let i = 0; i < inner; i++) {
      const lo = i - r > 0 ? i - r : 0;
      const hi = i + r < inner - 1 ? i + r : inner - 1;
      const set = prefix[hi + 1]! - prefix[lo]!;
      dst[base + i * stride] = take === "min" ? (set === hi - lo + 1 ? 1 : 0) : set > 0 ? 1 : 0;
    }
  }
}

/** Erosion (r ≥ 0); returns a new mask. */
export function erode(mask: Uint8Array, width: number, height: number, r: number): Uint8Array {
  if (r === 0) return mask.slice();
  const tmp = new Uint8Array(mask.length);
  const out = new Uint8Array(mask.length);
  pass(mask, tmp, width, height, r, true, "min");
  pass(tmp, out, width, height, r, false, "min");
  return out;
}

/** Dilation (r ≥ 0); returns a new mask. */
export function dilate(mask: Uint8Array, width: number, height: number, r: number): Uint8Array {
  if (r === 0) return mask.slice();
  const tmp = new Uint8Array(mask.length);
  const out = new Uint8Array(mask.length);
  pass(mask, tmp, width, height, r, true, "max");
  pass(tmp, out, width, height, r, false, "max");
  return out;
}

/** Opening (erode then dilate): removes specks and slivers narrower than 2r+1 pixels. */
export function open(mask: Uint8Array, width: number, height: number, r: number): Uint8Array {
  return dilate(erode(mask, width, height, r), width, height, r);
}

/** Closing (dilate then erode): fills gaps narrower than 2r+1 pixels. */
export function close(mask: Uint8Array, width: number, height: number, r: number): Uint8Array {
  return erode(dilate(mask, width, height, r), width, height, r);
}
