/**
 * Decoding one TIFF strip or tile: decompression, predictor, byte order.
 *
 * DEFLATE uses Node's native zlib asynchronously, which runs on libuv's thread pool, so blocks
 * of one window inflate in parallel without worker start-up or copies. LZW uses ./lzw.ts.
 * The other codecs are geotiff.js's (PackBits, JPEG, LERC, ZSTD), on the main thread or on
 * geotiff's worker {@link Pool} when one is given. The predictor, byte swapping and JPEG YCbCr
 * conversion are done here, after decompression, so they are right for big-endian files too.
 */
import { inflate } from "node:zlib";
import { promisify } from "node:util";
import { endianness } from "node:os";
import { getDecoder, type Pool } from "geotiff";
import { decodeLzw } from "./lzw.js";

const inflateAsync = promisify(inflate);

/** TIFF compression codes and the names GDAL reports for them. */
const COMPRESSION_NAMES: Record<number, string> = {
  1: "NONE",
  2: "CCITTRLE",
  3: "CCITTFAX3",
  4: "CCITTFAX4",
  5: "LZW",
  6: "OJPEG",
  7: "JPEG",
  8: "DEFLATE",
  32773: "PACKBITS",
  32946: "DEFLATE",
  34676: "SGILOG",
  34677: "SGILOG24",
  34712: "JPEG2000",
  34887: "LERC",
  34925: "LZMA",
  50000: "ZSTD",
  50001: "WEBP",
  50002: "JXL",
};

/** Compression codes this reader decodes. */
const SUPPORTED = new Set([1, 5, 7, 8, 32773, 32946, 34887, 50000]);

/** GDAL's name for a TIFF compression code ("DEFLATE", "LZW"…, or "code N" when unknown). */
export function compressionName(code: number): string {
  return COMPRESSION_NAMES[code] ?? `code ${code}`;
}

export function isSupportedCompression(code: number): boolean {
  return SUPPORTED.has(code);
}

/** What a block decoder needs to know about the image it decodes for. */
export interface BlockCodecParameters {
  readonly compression: number;
  readonly predictor: number;
  readonly littleEndian: boolean;
  /** Bytes per sample: 1, 2, 4 or 8. */
  readonly bytesPerSample: number;
  readonly isFloat: boolean;
  /** Samples interleaved in one block: samplesPerPixel for PlanarConfiguration 1, else 1. */
  readonly samplesPerBlockPixel: number;
  readonly samplesPerPixel: number;
  readonly planarConfiguration: 1 | 2;
  /** Block width in pixels (full tile width, or image width for strips). */
  readonly blockWidth: number;
  readonly blockHeight: number;
  readonly bitsPerSample: readonly number[];
  readonly jpegTables?: Uint8Array | null;
  /** JPEG with PhotometricInterpretation YCbCr: convert the decoded samples to RGB, as libtiff does. */
  readonly ycbcrToRgb?: boolean;
  readonly lercParameters?: ArrayLike<number> | null;
}

/** Decodes compressed strips/tiles of one image to native-order sample bytes. */
export interface BlockCodec {
  /**
   * Decoded bytes of one block with `rows` rows. May be longer than asked (callers use the
   * first rows × rowBytes); shorter means the block is corrupt. The result is 8-byte aligned.
   */
  decode(compressed: Uint8Array, rows: number): Promise<Uint8Array>;
}

function ownBuffer(b: Uint8Array): ArrayBuffer {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer) {
    return b.buffer;
  }
  return b.slice().buffer as ArrayBuffer;
}

function aligned(b: Uint8Array, bytesPerSample: number): Uint8Array {
  return b.byteOffset % bytesPerSample === 0 ? b : b.slice();
}

/** Swaps the byte order of every sample in place. */
function swapBytes(b: Uint8Array, bytesPerSample: number): void {
  const n = b.length - (b.length % bytesPerSample);
  const buf = Buffer.from(b.buffer, b.byteOffset, n);
  if (bytesPerSample === 2) buf.swap16();
  else if (bytesPerSample === 4) buf.swap32();
  else if (bytesPerSample === 8) buf.swap64();
}

const FIX = (x: number): number => Math.floor(x * 65536 + 0.5);
const ONE_HALF = 1 << 15;
const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = (FIX(1.402) * x + ONE_HALF) >> 16;
  CB_B[i] = (FIX(1.772) * x + ONE_HALF) >> 16;
  CR_G[i] = -FIX(0.71414) * x;
  CB_G[i] = -FIX(0.34414) * x + ONE_HALF;
}

/**
 * YCbCr to RGB in place for 3-sample pixel-interleaved 8-bit data, with libjpeg's fixed-point
 * tables (jdcolor.c), so unsubsampled data converts exactly as libtiff/GDAL convert it.
 */
function ycbcrToRgb(b: Uint8Array): void {
  const n = b.length - (b.length % 3);
  for (let i = 0; i < n; i += 3) {
    const y = b[i]!;
    const cb = b[i + 1]!;
    const cr = b[i + 2]!;
    const r = y + CR_R[cr]!;
    const g = y + ((CB_G[cb]! + CR_G[cr]!) >> 16);
    const bl = y + CB_B[cb]!;
    b[i] = r < 0 ? 0 : r > 255 ? 255 : r;
    b[i + 1] = g < 0 ? 0 : g > 255 ? 255 : g;
    b[i + 2] = bl < 0 ? 0 : bl > 255 ? 255 : bl;
  }
}

/** TIFF predictor 2 (horizontal differencing) undone in place, on native-order samples. */
function undoHorizontalPredictor(b: Uint8Array, p: BlockCodecParameters, rows: number): void {
  const stride = p.samplesPerBlockPixel;
  const rowSamples = p.blockWidth * stride;
  const a =
    p.bytesPerSample === 1
      ? b
      : p.bytesPerSample === 2
        ? new Uint16Array(b.buffer, b.byteOffset, b.length >> 1)
        : new Uint32Array(b.buffer, b.byteOffset, b.length >> 2);
  const maxRows = Math.min(rows, Math.floor(a.length / rowSamples));
  for (let r = 0; r < maxRows; r++) {
    const start = r * rowSamples;
    const end = start + rowSamples;
    for (let i = start + stride; i < end; i++) a[i] = a[i]! + a[i - stride]!;
  }
}

/**
 * TIFF predictor 3 (floating point) undone in place: per row, byte-wise accumulation then the
 * byte planes (most significant first) are put back together in little-endian order.
 */
function undoFloatPredictor(b: Uint8Array, p: BlockCodecParameters, rows: number): void {
  const stride = p.samplesPerBlockPixel;
  const bps = p.bytesPerSample;
  const rowBytes = p.blockWidth * stride * bps;
  const wc = rowBytes / bps;
  const tmp = new Uint8Array(rowBytes);
  const maxRows = Math.min(rows, Math.floor(b.length / rowBytes));
  for (let r = 0; r < maxRows; r++) {
    const row = b.subarray(r * rowBytes, (r + 1) * rowBytes);
    for (let i = stride; i < rowBytes; i++) row[i] = (row[i]! + row[i - stride]!) & 0xff;
    tmp.set(row);
    for (let i = 0; i < wc; i++) {
      for (let k = 0; k < bps; k++) row[bps * i + k] = tmp[(bps - k - 1) * wc + i]!;
    }
  }
}

/**
 * A codec for one image. DEFLATE uses Node's zlib unless `nativeDeflate` is false, LZW always
 * ours; the rest (and DEFLATE without `nativeDeflate`) run on `pool`'s workers when given,
 * otherwise on the main thread.
 */
export async function createBlockCodec(
  p: BlockCodecParameters,
  options: { readonly pool: Pool | null; readonly nativeDeflate: boolean },
): Promise<BlockCodec> {
  const { pool } = options;
  if (endianness() !== "LE") throw new RangeError("the GeoTIFF reader assumes a little-endian host");
  const { compression } = p;
  const geotiffParams = {
    tileWidth: p.blockWidth,
    tileHeight: p.blockHeight,
    planarConfiguration: p.planarConfiguration,
    bitsPerSample: [...p.bitsPerSample],
    predictor: 1, // undone below, with the right byte order
    samplesPerPixel: p.samplesPerPixel,
    ...(p.jpegTables ? { JPEGTables: p.jpegTables } : {}),
    ...(p.lercParameters ? { LercParameters: p.lercParameters } : {}),
  };
  const bps = p.bytesPerSample;
  const swap = !p.littleEndian && bps > 1 && compression !== 34887 && compression !== 7;
  const rowBytes = p.blockWidth * p.samplesPerBlockPixel * bps;
  let decompress: (b: Uint8Array, rows: number) => Promise<Uint8Array>;
  if (compression === 1) {
    // The bytes may be a view into a read shared with other blocks: copy before changing them.
    const inPlace = swap || p.predictor !== 1;
    decompress = async (b) => (inPlace ? b.slice() : b);
  } else if (compression === 5) {
    // Ours, not geotiff's: ~10× faster (see ./lzw.ts), so it is used with or without a pool.
    decompress = async (b, rows) => decodeLzw(b, rows * rowBytes);
  } else if ((compression === 8 || compression === 32946) && options.nativeDeflate) {
    decompress = async (b, rows) => {
      // One output chunk of the decoded size: no growing and concatenating of 16 KiB chunks.
      const out = await inflateAsync(b, { chunkSize: Math.max(1024, rows * rowBytes) });
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    };
  } else if (pool) {
    const worker = pool.bindParameters(compression, geotiffParams as never);
    decompress = async (b) => new Uint8Array(await worker.decode(ownBuffer(b)));
  } else {
    const decoder = await getDecoder(compression, geotiffParams as never);
    decompress = async (b) => new Uint8Array(await decoder.decodeBlock(ownBuffer(b)));
  }
  return {
    async decode(compressed, rows) {
      const out = aligned(await decompress(compressed, rows), Math.max(bps, 1));
      if (p.ycbcrToRgb) ycbcrToRgb(out);
      if (p.predictor === 3) {
        undoFloatPredictor(out, p, rows);
        return out;
      }
      if (swap) swapBytes(out, bps);
      if (p.predictor === 2) undoHorizontalPredictor(out, p, rows);
      return out;
    },
  };
}
