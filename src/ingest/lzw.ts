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
  // Slack for one more string past the end (strings are at most MAX_CODES bytes long), so the
  // copy loop needs no bounds check per byte.
  const out = new Uint8Array(expectedBytes + MAX_CODES + 1);
  const offset = new Int32Array(MAX_CODES);
  const length = new Int32Array(MAX_CODES);
  let nextCode = FIRST_FREE;
  let width = 9;
  let mask = 511;
  /** Next code number at which the code width grows (libtiff's early change). */
  let widen = 511;
  let bits = 0;
  let bitCount = 0;
  let inPos = 0;
  let outPos = 0;
  /** Output position and length of the previous code's string; -1 after CLEAR. */
  let prevPos = -1;
  let prevLen = 0;
  const inLen = input.length;

  while (outPos < expectedBytes) {
    if (bitCount < width) {
      if (inPos + 1 < inLen) {
        bits = ((bits << 16) | (input[inPos]! << 8) | input[inPos + 1]!) & 0xfffffff;
        inPos += 2;
        bitCount += 16;
      } else if (inPos < inLen) {
        bits = ((bits << 8) | input[inPos++]!) & 0xfffffff;
        bitCount += 8;
        if (bitCount < width) break; // ran out: no EOI (libtiff warns too)
      } else {
        break;
      }
    }
    bitCount -= width;
    const code = (bits >>> bitCount) & mask;

    if (code === EOI) break;
    if (code === CLEAR) {
      nextCode = FIRST_FREE;
      width = 9;
      mask = 511;
      widen = 511;
      prevPos = -1;
      continue;
    }
    const start = outPos;
    let len: number;
    if (code < CLEAR) {
      out[outPos++] = code;
      len = 1;
    } else {
      let from: number;
      if (code < nextCode) {
        from = offset[code]!;
        len = length[code]!;
      } else if (code === nextCode && prevPos >= 0) {
        // KwKwK: the entry about to be made, previous string + its first byte, i.e. the bytes
        // at prevPos..prevPos+prevLen, which this forward copy produces.
        from = prevPos;
        len = prevLen + 1;
      } else {
        throw new LzwStreamError(`LZW code ${code} refers past the table (next free code ${nextCode})`);
      }
      for (let k = 0; k < len; k++) out[outPos + k] = out[from + k]!;
      outPos += len;
    }
    if (prevPos >= 0 && nextCode < MAX_CODES) {
      offset[nextCode] = prevPos;
      length[nextCode] = prevLen + 1;
      if (++nextCode === widen && width < 12) {
        width++;
        mask = (1 << width) - 1;
        widen = mask;
      }
    }
    prevPos = start;
    prevLen = len;
  }
  return out.subarray(0, Math.min(outPos, expectedBytes));
}
