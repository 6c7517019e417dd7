/**
 * A cheap structural pass over a TIFF before geotiff.js parses it: checks the signature, walks
 * the IFD chain and checks that every tag's values fit inside the file, so a corrupt or hostile
 * header (a tag claiming 10^9 values) is refused before anything is allocated for it. It also
 * reads the strip/tile offset and byte-count arrays itself, with the file's byte order
 * (geotiff.js 3.0 reads lazily-loaded arrays as little-endian regardless of the file).
 */
import { RasterFormatError } from "../core/errors.js";
import type { ByteSource } from "./byte-source.js";

/** TIFF tag numbers used by the reader. */
export const Tag = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  PlanarConfiguration: 284,
  Predictor: 317,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  SampleFormat: 339,
} as const;

const TYPE_SIZES: Record<number, number> = {
  1: 1, // BYTE
  2: 1, // ASCII
  3: 2, // SHORT
  4: 4, // LONG
  5: 8, // RATIONAL
  6: 1, // SBYTE
  7: 1, // UNDEFINED
  8: 2, // SSHORT
  9: 4, // SLONG
  10: 8, // SRATIONAL
  11: 4, // FLOAT
  12: 8, // DOUBLE
  13: 4, // IFD
  16: 8, // LONG8
  17: 8, // SLONG8
  18: 8, // IFD8
};

export interface TiffEntry {
  readonly tag: number;
  readonly type: number;
  readonly count: number;
  /** File offset of the values (inside the IFD entry itself when they fit there). */
  readonly valueOffset: number;
}

export interface TiffDirectory {
  /** File offset of this IFD. */
  readonly offset: number;
  readonly entries: ReadonlyMap<number, TiffEntry>;
}

export interface TiffStructure {
  readonly littleEndian: boolean;
  readonly bigTiff: boolean;
  readonly directories: readonly TiffDirectory[];
}

const MAX_DIRECTORIES = 1000;
const MAX_ENTRIES = 4096;

function describeSignature(b: Uint8Array): string {
  const hex = Array.from(b.subarray(0, 8), (x) => x.toString(16).padStart(2, "0")).join(" ");
  const text = new TextDecoder("latin1").decode(b.subarray(0, 64)).trimStart().toLowerCase();
  let guess = "";
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) guess = " (a PNG image)";
  else if (b[0] === 0xff && b[1] === 0xd8) guess = " (a JPEG image)";
  else if (text.startsWith("<!doctype html") || text.startsWith("<html")) guess = " (an HTML page)";
  else if (text.startsWith("{") || text.startsWith("[")) guess = " (JSON text)";
  else if (b[0] === 0x50 && b[1] === 0x4b) guess = " (a ZIP archive)";
  return b.length === 0 ? "the file is empty" : `it starts with bytes ${hex}${guess}`;
}

class Reader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly base: number,
    readonly le: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  has(offset: number, n: number): boolean {
    return offset >= this.base && offset + n <= this.base + this.bytes.length;
  }
  u16(o: number): number {
    return this.view.getUint16(o - this.base, this.le);
  }
  u32(o: number): number {
    return this.view.getUint32(o - this.base, this.le);
  }
  u64(o: number): number {
    const v = this.view.getBigUint64(o - this.base, this.le);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) return Number.POSITIVE_INFINITY;
    return Number(v);
  }
}

/**
 * Reads the TIFF header and every IFD's entry table. Throws {@link RasterFormatError} when the
 * source is not a TIFF, an IFD lies outside the file, or a tag's values cannot fit in the file.
 */
export async function scanTiffStructure(src: ByteSource, signal?: AbortSignal): Promise<TiffStructure> {
  const head = await src.read(0, 16, signal);
  const b0 = head[0];
  const b1 = head[1];
  const le = b0 === 0x49 && b1 === 0x49;
  const be = b0 === 0x4d && b1 === 0x4d;
  if (head.length < 8 || (!le && !be)) {
    throw new RasterFormatError(src.name, `not a TIFF file: ${describeSignature(head)}`);
  }
  const h = new Reader(head, 0, le);
  const magic = h.u16(2);
  let bigTiff: boolean;
  let next: number;
  if (magic === 42) {
    bigTiff = false;
    next = h.u32(4);
  } else if (magic === 43 && head.length >= 16 && h.u16(4) === 8) {
    bigTiff = true;
    next = h.u64(8);
  } else {
    throw new RasterFormatError(
      src.name,
      `not a TIFF file: bad version number ${magic} after the byte-order mark`,
    );
  }
  const size = src.size;
  const entrySize = bigTiff ? 20 : 12;
  const countSize = bigTiff ? 8 : 2;
  const offsetSize = bigTiff ? 8 : 4;
  const directories: TiffDirectory[] = [];
  const seen = new Set<number>();
  while (next !== 0) {
    if (seen.has(next)) throw new RasterFormatError(src.name, `IFD chain loops back to byte ${next}`);
    if (directories.length >= MAX_DIRECTORIES) {
      throw new RasterFormatError(src.name, `more than ${MAX_DIRECTORIES} IFDs; refusing to walk further`);
    }
    seen.add(next);
    const where = directories.length === 0 ? "the first IFD" : `IFD ${directories.length}`;
    if (size !== null && next + countSize > size) {
      throw new RasterFormatError(
        src.name,
        `${where} is at byte ${next}, past the end of the ${size}-byte file (truncated or corrupt)`,
      );
    }
    const countBytes = await src.read(next, countSize, signal);
    if (countBytes.length < countSize) {
      throw new RasterFormatError(src.name, `${where} at byte ${next} is cut off (truncated file)`);
    }
    const cr = new Reader(countBytes, next, le);
    const n = bigTiff ? cr.u64(next) : cr.u16(next);
    if (n === 0 || n > MAX_ENTRIES) {
      throw new RasterFormatError(src.name, `${where} at byte ${next} claims ${n} entries (corrupt header)`);
    }
    const tableLength = countSize + n * entrySize + offsetSize;
    const table = await src.read(next, tableLength, signal);
    if (table.length < tableLength) {
      throw new RasterFormatError(src.name, `${where} at byte ${next} is cut off (truncated file)`);
    }
    const r = new Reader(table, next, le);
    const entries = new Map<number, TiffEntry>();
    for (let i = 0; i < n; i++) {
      const e = next + countSize + i * entrySize;
      const tag = r.u16(e);
      const type = r.u16(e + 2);
      const count = bigTiff ? r.u64(e + 4) : r.u32(e + 4);
      const typeSize = TYPE_SIZES[type];
      if (typeSize === undefined) continue; // unknown field type: libtiff ignores such tags too
      const bytes = typeSize * count;
      const inline = bytes <= offsetSize;
      const valueOffset = inline ? e + 4 + (bigTiff ? 8 : 4) : bigTiff ? r.u64(e + 12) : r.u32(e + 8);
      if (!Number.isFinite(bytes) || (size !== null && !inline && valueOffset + bytes > size)) {
        throw new RasterFormatError(
          src.name,
          `${where}: tag ${tag} declares ${count} values (${bytes} bytes at byte ${valueOffset}) that do not fit ` +
            `in the ${size ?? "?"}-byte file (corrupt or truncated header)`,
        );
      }
      entries.set(tag, { tag, type, count, valueOffset });
    }
    directories.push({ offset: next, entries });
    next = bigTiff ? r.u64(next + countSize + n * entrySize) : r.u32(next + countSize + n * entrySize);
  }
  if (directories.length === 0)
    throw new RasterFormatError(src.name, "TIFF header points to no image (IFD offset 0)");
  return { littleEndian: le, bigTiff, directories };
}

/**
 * Reads the unsigned integer values of one tag (SHORT, LONG, LONG8 or IFD types) as a
 * Float64Array, honouring the file's byte order. Counts were checked by {@link scanTiffStructure}.
 */
export async function readUnsignedArray(
  src: ByteSource,
  tiff: TiffStructure,
  entry: TiffEntry,
  signal?: AbortSignal,
): Promise<Float64Array> {
  const size = TYPE_SIZES[entry.type] ?? 0;
  if (![3, 4, 13, 16, 18].includes(entry.type)) {
    throw new RasterFormatError(
      src.name,
      `tag ${entry.tag} has field type ${entry.type}, expected an unsigned integer`,
    );
  }
  const bytes = await src.read(entry.valueOffset, size * entry.count, signal);
  if (bytes.length < size * entry.count) {
    throw new RasterFormatError(src.name, `tag ${entry.tag} values are cut off (truncated file)`);
  }
  const r = new Reader(bytes, entry.valueOffset, tiff.littleEndian);
  const out = new Float64Array(entry.count);
  for (let i = 0; i < entry.count; i++) {
    const o = entry.valueOffset + i * size;
    out[i] = size === 2 ? r.u16(o) : size === 4 ? r.u32(o) : r.u64(o);
  }
  return out;
}
