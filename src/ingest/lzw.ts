/**
 * TIFF LZW decoding (TIFF 6.0 section 13, with libtiff's "early change" code widths).
 *
 * geotiff.js ships an LZW decoder, but it reads each code through several Math calls and grows
 * a plain array per string; on a 7000×5000×4 uint16 image it ran at ~0.4 Mpx/s, 25× slower
 * than GDAL (bench/decode.bench.ts). This one writes straight into a preallocated output of the
 * block's decoded size, following prefix links backwards, and is proven against GDAL by the
 * LZW fixtures in test/ingest/raster-fixtures.test.ts.
 */

const CLEAR = 256;
const EOI = 257;
const FIRST_FREE = 258;
const MAX_CODES = 4096;

/** Thrown for a code stream that refers to a table entry that does not exist. */
export class LzwStreamError extends RangeError {
  override readonly name = "LzwStreamError";
}

/**
 * Decodes one LZW-compressed strip or tile. Stops at the EOI code, at the end of the input or
 * when `expectedBytes` are written (the block's decoded size), whichever comes first; a short
 * result means the data is truncated, and the caller reports it.
 *
 * Every table entry past the literals is "the string of the previous code plus one byte", and
 * that string already sits in the output, where the previous code was written. So an entry is
 * kept as (offset, length) into the output and emitting it is a forward copy, with no prefix
 * chains to follow.
 */
export function decodeLzw(input: Uint8Array, expectedBytes: number): Uint8Array {
  const out = new Uint8Array(expectedBytes);
  const offset = new Int32Array(MAX_CODES);
  const length = new Int32Array(MAX_CODES);
  let nextCode = FIRST_FREE;
  let width = 9;
  let bits = 0;
  let bitCount = 0;
  let inPos = 0;
  let outPos = 0;
  /** Output position and length of the previous code's string; -1 after CLEAR. */
  let prevPos = -1;
  let prevLen = 0;
  const inLen = input.length;

  while (outPos < expectedBytes) {
    while (bitCount < width) {
      if (inPos >= inLen) return out.subarray(0, outPos); // ran out: no EOI (libtiff warns too)
      bits = (bits << 8) | input[inPos++]!;
      bitCount += 8;
    }
    bitCount -= width;
    const code = (bits >>> bitCount) & ((1 << width) - 1);
    bits &= (1 << bitCount) - 1;

    if (code === EOI) break;
    if (code === CLEAR) {
      nextCode = FIRST_FREE;
      width = 9;
      prevPos = -1;
      continue;
    }
    const start = outPos;
    let len: number;
    if (code < CLEAR) {
      out[outPos++] = code;
      len = 1;
    } else if (code < nextCode || (code === nextCode && prevPos >= 0)) {
      // For code === nextCode (KwKwK) the entry is about to be: previous string + its first
      // byte, i.e. the bytes at prevPos..prevPos+prevLen, which the forward copy produces.
      const from = code < nextCode ? offset[code]! : prevPos;
      len = code < nextCode ? length[code]! : prevLen + 1;
      const n = Math.min(len, expectedBytes - outPos);
      for (let k = 0; k < n; k++) out[outPos + k] = out[from + k]!;
      outPos += n;
    } else {
      throw new LzwStreamError(`LZW code ${code} refers past the table (next free code ${nextCode})`);
    }
    if (prevPos >= 0 && nextCode < MAX_CODES) {
      offset[nextCode] = prevPos;
      length[nextCode] = prevLen + 1;
      nextCode++;
      width = nextCode >= 2047 ? 12 : nextCode >= 1023 ? 11 : nextCode >= 511 ? 10 : 9;
    }
    prevPos = start;
    prevLen = len;
  }
  return outPos === expectedBytes ? out : out.subarray(0, outPos);
}
