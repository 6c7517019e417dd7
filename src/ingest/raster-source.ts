/**
 * GeoTIFF/COG reading: {@link openRaster} opens a local path or http(s) URL and returns a
 * {@link RasterSource} that reads any pixel window of any subset of bands, at full resolution
 * or from an internal overview, without touching the rest of the file.
 *
 * geotiff.js parses the IFDs and GeoKeys and provides the codecs (and an optional worker pool);
 * this module plans which strips/tiles a window needs, fetches their bytes in coalesced reads,
 * decodes them (see ./block-decode.ts) and copies the window out with typed-array copies rather
 * than per-pixel DataView calls. A structural pre-scan (./tiff-structure.ts) refuses corrupt
 * or hostile headers before anything is allocated for them.
 */
import { availableParallelism } from "node:os";
import { GeoTIFF, Pool, type GeoTIFFImage } from "geotiff";
import { RangeRequestError, RasterFormatError, RemoteSourceError, TileReadError } from "../core/errors.js";
import type { Affine, PixelWindow, SampleType, TypedSamples } from "../core/raster-types.js";
import { coalesceRanges, LocalFileSource, type ByteSource } from "./byte-source.js";
import {
  compressionName,
  createBlockCodec,
  isSupportedCompression,
  type BlockCodec,
  type BlockCodecParameters,
} from "./block-decode.js";
import {
  affineFromTags,
  crsFromGeoKeys,
  IDENTITY_AFFINE,
  parseGdalMetadata,
  parseGdalNodata,
  type GeoKeys,
} from "./georef.js";
import { HttpSource, isHttpUrl, redactUrl, type HttpSourceOptions } from "./http-source.js";
import type { OverviewInfo, RasterBlock, RasterSource, ReadOptions } from "./raster-source-types.js";
import {
  readUnsignedArray,
  scanTiffStructure,
  Tag,
  type TiffDirectory,
  type TiffStructure,
} from "./tiff-structure.js";
import { runLimited } from "../core/run-limited.js";

/** Default per-read limit: window pixels × bands (134 M samples, 268 MB of uint16). */
export const DEFAULT_MAX_PIXELS = 2 ** 27;

/** Largest decoded strip or tile accepted (uncompressed strips are read row by row instead). */
const MAX_BLOCK_BYTES = 2 ** 30;

export interface OpenRasterOptions {
  readonly signal?: AbortSignal;
  /**
   * Per-read guard: a read of more than `maxPixels` samples (window width × height × bands) is
   * refused with a {@link RangeRequestError} before anything is allocated. Default
   * {@link DEFAULT_MAX_PIXELS}.
   */
  readonly maxPixels?: number;
  /**
   * 0 (default): geotiff.js codecs (PackBits, JPEG, LERC, ZSTD) decode on the main thread.
   * n > 0: they decode on a geotiff.js worker Pool of n workers (see bench/decode.bench.ts for
   * when that pays on 2 cores). DEFLATE (Node's zlib, already off the main thread) and LZW
   * (./lzw.ts) never use the pool.
   */
  readonly decodeWorkers?: number;
  /**
   * Use Node's zlib for DEFLATE (default true); false uses geotiff's pako decoder instead (on
   * the pool when `decodeWorkers` > 0). Only for comparison: zlib is 3–5× faster.
   */
  readonly nativeDeflate?: boolean;
  /**
   * Budget in bytes for recently decoded blocks, so windows that share a strip or tile (halos,
   * unaligned windows, band-by-band reads) decode it once. Default 32 MiB; 0 disables.
   */
  readonly blockCacheBytes?: number;
  /**
   * Open files whose CRS is user-defined (not an EPSG code) with `crs: null` instead of
   * refusing them; `crsProblem` then says what was found. For `patrol info`.
   */
  readonly allowUnknownCrs?: boolean;
  /** Headers and timeout for http(s) sources. */
  readonly http?: Omit<HttpSourceOptions, "signal">;
}

/** One image of the file: full resolution (level 0) or an internal overview. */
interface Level {
  readonly ifd: number;
  readonly width: number;
  readonly height: number;
  readonly blockWidth: number;
  readonly blockHeight: number;
  readonly tiled: boolean;
  readonly blocksAcross: number;
  readonly blocksDown: number;
  readonly compression: number;
  readonly offsets: Float64Array;
  readonly byteCounts: Float64Array;
  readonly codec: BlockCodec;
  readonly params: BlockCodecParameters;
}

interface LevelHeader {
  readonly ifd: number;
  readonly dir: TiffDirectory;
  readonly image: GeoTIFFImage;
  readonly width: number;
  readonly height: number;
  readonly samplesPerPixel: number;
  readonly sampleType: SampleType;
  readonly bitsPerSample: number[];
  readonly compression: number;
  readonly planar: 1 | 2;
  readonly predictor: number;
  readonly tiled: boolean;
  readonly blockWidth: number;
  readonly blockHeight: number;
  /** PhotometricInterpretation (1 BlackIsZero, 2 RGB, 6 YCbCr…). */
  readonly photometric: number;
}

type TypedCtor = new (n: number | ArrayBufferLike, byteOffset?: number, length?: number) => TypedSamples;

const CTORS: Record<SampleType, TypedCtor> = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as Record<SampleType, TypedCtor>;

const BYTES: Record<SampleType, number> = {
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  float64: 8,
};

/** "x0=0 y0=0 x1=256 y1=256", for messages. */
export function formatWindow(w: PixelWindow): string {
  return `x0=${w.x0} y0=${w.y0} x1=${w.x1} y1=${w.y1}`;
}

function sampleTypeOf(format: number, bits: number): SampleType | null {
  if (format === 1 && bits === 8) return "uint8";
  if (format === 2 && bits === 8) return "int8";
  if (format === 1 && bits === 16) return "uint16";
  if (format === 2 && bits === 16) return "int16";
  if (format === 1 && bits === 32) return "uint32";
  if (format === 2 && bits === 32) return "int32";
  if (format === 3 && bits === 32) return "float32";
  if (format === 3 && bits === 64) return "float64";
  return null;
}

function perSample(v: unknown, n: number, fallback: number): number[] {
  const arr =
    typeof v === "number"
      ? [v]
      : v && typeof v === "object" && "length" in v
        ? Array.from(v as ArrayLike<number>)
        : [];
  if (arr.length === 0) arr.push(fallback);
  return Array.from({ length: n }, (_, i) => arr[i] ?? arr[0]!);
}

async function tag<T>(image: GeoTIFFImage, name: string): Promise<T | undefined> {
  return (await image.fileDirectory.loadValue(name as never)) as T | undefined;
}

function ownArrayBuffer(b: Uint8Array): ArrayBuffer {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer)
    return b.buffer;
  return b.slice().buffer as ArrayBuffer;
}

/** A block (strip or tile, of one plane) needed by a read, and the rows of it that are read. */
interface BlockJob {
  readonly bx: number;
  readonly by: number;
  readonly plane: number;
  /** First row of the block held by the fetched bytes (non-zero for partial uncompressed strips). */
  readonly firstRow: number;
  readonly rows: number;
  readonly offset: number;
  readonly length: number;
  readonly sparse: boolean;
  /** True when the job holds the whole block (so it can be cached and reused). */
  readonly whole: boolean;
}

/** Everything {@link openRaster} found in the header, handed to the source in one piece. */
interface SourceParts {
  readonly source: string;
  readonly bytes: ByteSource;
  readonly structure: TiffStructure;
  /** Full resolution first, then the overviews in file order. */
  readonly headers: readonly LevelHeader[];
  readonly nodata: number | null;
  readonly affine: Affine;
  readonly georeferenced: boolean;
  readonly crs: string | null;
  readonly crsProblem: string | null;
  readonly pixelIsPoint: boolean;
  readonly metadata: Readonly<Record<string, string>>;
  readonly bandMetadata: readonly Readonly<Record<string, string>>[];
  readonly lercParameters: ArrayLike<number> | null;
  readonly maxPixels: number;
  readonly pool: Pool | null;
  readonly nativeDeflate: boolean;
  readonly cacheBudget: number;
}

/**
 * An opened GeoTIFF. Besides {@link RasterSource} it exposes what `patrol info` reports
 * (georeferenced, pixelIsPoint, interleave, predictor, metadata…).
 */
export class GeoTiffRasterSource implements RasterSource {
  readonly width: number;
  readonly height: number;
  readonly bandCount: number;
  readonly sampleType: SampleType;
  readonly blockWidth: number;
  readonly blockHeight: number;
  readonly tiled: boolean;
  readonly compression: string;
  readonly overviews: readonly OverviewInfo[];
  /** "PIXEL" (samples interleaved, PlanarConfiguration 1) or "BAND", as gdalinfo says. */
  readonly interleave: "PIXEL" | "BAND";
  readonly predictor: number;
  readonly littleEndian: boolean;
  readonly bigTiff: boolean;
  /** Dataset-level GDAL metadata items (default domain). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Per-band GDAL metadata items (DESCRIPTION, wavelength, SCALE, OFFSET…), one record per band. */
  readonly bandMetadata: readonly Readonly<Record<string, string>>[];
  private readonly levels = new Map<number, Promise<Level>>();
  private readonly cache = new Map<string, Uint8Array>();
  private cacheBytes = 0;
  private closed = false;

  readonly source: string;
  readonly nodata: number | null;
  readonly affine: Affine;
  /** False when the file has no geotransform (affine is then GDAL's identity default). */
  readonly georeferenced: boolean;
  readonly crs: string | null;
  /** Why the file's CRS could not be named as "EPSG:n" (user-defined…), else null. */
  readonly crsProblem: string | null;
  readonly pixelIsPoint: boolean;
  readonly bandDescriptions: readonly string[];
  private readonly bytes: ByteSource;
  private readonly structure: TiffStructure;
  private readonly headers: readonly LevelHeader[];
  private readonly maxPixels: number;
  private readonly pool: Pool | null;
  private readonly nativeDeflate: boolean;
  private readonly cacheBudget: number;

  /** @internal use {@link openRaster} */
  constructor(parts: SourceParts) {
    this.source = parts.source;
    this.bytes = parts.bytes;
    this.structure = parts.structure;
    this.headers = parts.headers;
    this.nodata = parts.nodata;
    this.affine = parts.affine;
    this.georeferenced = parts.georeferenced;
    this.crs = parts.crs;
    this.crsProblem = parts.crsProblem;
    this.pixelIsPoint = parts.pixelIsPoint;
    this.maxPixels = parts.maxPixels;
    this.pool = parts.pool;
    this.nativeDeflate = parts.nativeDeflate;
    this.cacheBudget = parts.cacheBudget;
    const main = parts.headers[0]!;
    this.width = main.width;
    this.height = main.height;
    this.bandCount = main.samplesPerPixel;
    this.sampleType = main.sampleType;
    this.blockWidth = main.blockWidth;
    this.blockHeight = main.blockHeight;
    this.tiled = main.tiled;
    this.predictor = main.predictor;
    this.compression = GeoTiffRasterSource.compressionLabel(main, parts.lercParameters);
    this.interleave = main.planar === 1 && main.samplesPerPixel > 1 ? "PIXEL" : "BAND";
    this.overviews = parts.headers.slice(1).map((h) => ({ width: h.width, height: h.height }));
    this.littleEndian = parts.structure.littleEndian;
    this.bigTiff = parts.structure.bigTiff;
    this.metadata = parts.metadata;
    this.bandMetadata = parts.bandMetadata;
    this.bandDescriptions = parts.bandMetadata.map((m) => m.DESCRIPTION ?? "");
  }

  /** The compression as gdalinfo names it (LERC_DEFLATE, "YCbCr JPEG"…). */
  private static compressionLabel(h: LevelHeader, lerc: ArrayLike<number> | null): string {
    if (h.compression === 34887 && lerc && lerc.length >= 2) {
      if (lerc[1] === 1) return "LERC_DEFLATE";
      if (lerc[1] === 2) return "LERC_ZSTD";
    }
    if (h.compression === 7 && h.photometric === 6) return "YCbCr JPEG";
    return compressionName(h.compression);
  }

  /** Reads a window; see {@link RasterSource.read}. Window in pixels of the chosen level. */
  async read(window: PixelWindow, options: ReadOptions = {}): Promise<RasterBlock> {
    if (this.closed) throw new RangeRequestError(this.source, "read after close()");
    const { signal } = options;
    signal?.throwIfAborted();
    const overview = options.overview ?? 0;
    if (!Number.isInteger(overview) || overview < 0 || overview >= this.headers.length) {
      throw new RangeRequestError(
        this.source,
        `overview ${overview} does not exist (the file has ${this.headers.length - 1} overview(s); 0 is full resolution)`,
      );
    }
    const header = this.headers[overview]!;
    const { x0, y0, x1, y1 } = window;
    const where = overview === 0 ? "" : ` at overview ${overview}`;
    if (![x0, y0, x1, y1].every(Number.isInteger)) {
      throw new RangeRequestError(
        this.source,
        `window ${formatWindow(window)} must have integer pixel bounds`,
      );
    }
    if (x0 < 0 || y0 < 0 || x1 > header.width || y1 > header.height || x0 >= x1 || y0 >= y1) {
      throw new RangeRequestError(
        this.source,
        `window ${formatWindow(window)} is empty or outside the ${header.width}×${header.height} raster${where}`,
      );
    }
    const bands = options.bands ?? Array.from({ length: this.bandCount }, (_, i) => i);
    if (bands.length === 0) throw new RangeRequestError(this.source, "no bands requested");
    for (const b of bands) {
      if (!Number.isInteger(b) || b < 0 || b >= this.bandCount) {
        throw new RangeRequestError(
          this.source,
          `band index ${b} is out of range: the raster has ${this.bandCount} band(s), indices 0..${this.bandCount - 1}`,
        );
      }
    }
    const w = x1 - x0;
    const h = y1 - y0;
    const samples = w * h * bands.length;
    if (samples > this.maxPixels) {
      throw new RangeRequestError(
        this.source,
        `read of ${w}×${h} pixels × ${bands.length} band(s) = ${samples} samples exceeds maxPixels ${this.maxPixels}; read smaller windows`,
      );
    }
    const level = await this.level(overview);
    signal?.throwIfAborted();
    const Ctor = CTORS[this.sampleType];
    const out = bands.map(() => new Ctor(w * h));
    await this.fill(level, header, window, bands, out, signal);
    return {
      window: { x0, y0, x1, y1 },
      width: w,
      height: h,
      bandIndices: [...bands],
      bands: out,
      sampleType: this.sampleType,
      nodata: this.nodata,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cache.clear();
    this.cacheBytes = 0;
    await this.pool?.destroy();
    await this.bytes.close();
  }

  /**
   * @internal Reads the full-resolution strip/tile offset tables; {@link openRaster} calls it
   * so that header problems surface at open rather than at the first read.
   */
  async loadOffsetTables(): Promise<void> {
    await this.level(0);
  }

  private cached(key: string): Uint8Array | undefined {
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
    }
    return hit;
  }

  private remember(key: string, block: Uint8Array): void {
    if (block.byteLength > this.cacheBudget / 4 || this.cache.has(key)) return;
    this.cache.set(key, block);
    this.cacheBytes += block.byteLength;
    for (const [k, v] of this.cache) {
      if (this.cacheBytes <= this.cacheBudget) break;
      this.cache.delete(k);
      this.cacheBytes -= v.byteLength;
    }
  }

  private level(index: number): Promise<Level> {
    let p = this.levels.get(index);
    if (!p) {
      p = this.buildLevel(this.headers[index]!);
      p.catch(() => this.levels.delete(index));
      this.levels.set(index, p);
    }
    return p;
  }

  private async buildLevel(h: LevelHeader): Promise<Level> {
    const { dir, image } = h;
    const blocksAcross = Math.ceil(h.width / h.blockWidth);
    const blocksDown = Math.ceil(h.height / h.blockHeight);
    const planes = h.planar === 2 ? h.samplesPerPixel : 1;
    const offsetsEntry = dir.entries.get(h.tiled ? Tag.TileOffsets : Tag.StripOffsets)!;
    const countsEntry = dir.entries.get(h.tiled ? Tag.TileByteCounts : Tag.StripByteCounts)!;
    const [offsets, byteCounts] = await Promise.all([
      readUnsignedArray(this.bytes, this.structure, offsetsEntry),
      readUnsignedArray(this.bytes, this.structure, countsEntry),
    ]);
    const bytesPerSample = BYTES[h.sampleType];
    const params: BlockCodecParameters = {
      compression: h.compression,
      predictor: h.predictor,
      littleEndian: this.structure.littleEndian,
      bytesPerSample,
      isFloat: h.sampleType.startsWith("float"),
      samplesPerBlockPixel: h.planar === 1 ? h.samplesPerPixel : 1,
      samplesPerPixel: h.samplesPerPixel,
      planarConfiguration: h.planar,
      blockWidth: h.blockWidth,
      blockHeight: h.blockHeight,
      bitsPerSample: h.bitsPerSample,
      jpegTables: h.compression === 7 ? ((await tag<Uint8Array>(image, "JPEGTables")) ?? null) : null,
      ycbcrToRgb: h.compression === 7 && h.photometric === 6,
      lercParameters:
        h.compression === 34887 ? ((await tag<ArrayLike<number>>(image, "LercParameters")) ?? null) : null,
    };
    const codec = await createBlockCodec(params, { pool: this.pool, nativeDeflate: this.nativeDeflate });
    return {
      ifd: h.ifd,
      width: h.width,
      height: h.height,
      blockWidth: h.blockWidth,
      blockHeight: h.blockHeight,
      tiled: h.tiled,
      blocksAcross,
      blocksDown,
      compression: h.compression,
      offsets: offsets.subarray(0, blocksAcross * blocksDown * planes),
      byteCounts: byteCounts.subarray(0, blocksAcross * blocksDown * planes),
      codec,
      params,
    };
  }

  private planJobs(level: Level, win: PixelWindow, planes: readonly number[]): BlockJob[] {
    const { blockWidth: bw, blockHeight: bh, blocksAcross, blocksDown } = level;
    const rowBytes = bw * level.params.samplesPerBlockPixel * level.params.bytesPerSample;
    const partialRows = level.compression === 1 && !level.tiled;
    const jobs: BlockJob[] = [];
    const bx0 = Math.floor(win.x0 / bw);
    const bx1 = Math.ceil(win.x1 / bw);
    const by0 = Math.floor(win.y0 / bh);
    const by1 = Math.ceil(win.y1 / bh);
    for (const plane of planes) {
      for (let by = by0; by < by1; by++) {
        const rowsInBlock = level.tiled ? bh : Math.min(bh, level.height - by * bh);
        for (let bx = bx0; bx < bx1; bx++) {
          const index = plane * blocksAcross * blocksDown + by * blocksAcross + bx;
          const offset = level.offsets[index]!;
          const count = level.byteCounts[index]!;
          const sparse = offset === 0 || count === 0;
          if (partialRows && !sparse) {
            const r0 = Math.max(win.y0 - by * bh, 0);
            const r1 = Math.min(win.y1 - by * bh, rowsInBlock);
            jobs.push({
              bx,
              by,
              plane,
              firstRow: r0,
              rows: r1 - r0,
              offset: offset + r0 * rowBytes,
              length: (r1 - r0) * rowBytes,
              sparse,
              whole: r0 === 0 && r1 === rowsInBlock,
            });
          } else {
            jobs.push({
              bx,
              by,
              plane,
              firstRow: 0,
              rows: rowsInBlock,
              offset,
              length: count,
              sparse,
              whole: true,
            });
          }
        }
      }
    }
    return jobs;
  }

  private async fill(
    level: Level,
    header: LevelHeader,
    win: PixelWindow,
    bands: readonly number[],
    out: TypedSamples[],
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const planar = header.planar;
    const planes = planar === 2 ? [...new Set(bands)].sort((a, b) => a - b) : [0];
    const jobs = this.planJobs(level, win, planes);
    const cacheKey = (job: BlockJob) => `${level.ifd}:${job.plane}:${job.by}:${job.bx}`;
    // Cache a block only when a later read is likely to want it again: the window covers it
    // partly (a neighbouring window needs the rest), or not all its interleaved bands were read.
    const allBands = planar === 2 || new Set(bands).size === header.samplesPerPixel;
    const cacheable = (job: BlockJob) => {
      if (this.cacheBudget <= 0 || job.sparse || !job.whole) return false;
      const x = job.bx * level.blockWidth;
      const y = job.by * level.blockHeight;
      const inside =
        win.x0 <= x &&
        win.y0 <= y &&
        win.x1 >= Math.min(x + level.blockWidth, level.width) &&
        win.y1 >= Math.min(y + level.blockHeight, level.height);
      return !inside || !allBands;
    };
    const hits = new Map<BlockJob, Uint8Array>();
    for (const job of jobs) {
      const hit = this.cacheBudget > 0 && !job.sparse && job.whole ? this.cached(cacheKey(job)) : undefined;
      if (hit) hits.set(job, hit);
    }
    const real = jobs.filter((j) => !j.sparse && !hits.has(j)).sort((a, b) => a.offset - b.offset);
    const remote = this.bytes.remote;
    const ranges = coalesceRanges(real, remote ? 256 * 1024 : 32 * 1024, 16 * 1024 * 1024);
    const pending = ranges.map(() => 0);
    const rangeOf = new Map<BlockJob, number>();
    let r = 0;
    for (const job of real) {
      while (ranges[r]!.offset + ranges[r]!.length < job.offset + job.length) r++;
      rangeOf.set(job, r);
      pending[r]!++;
    }
    const reads = new Map<number, Promise<Uint8Array>>();
    const size = this.bytes.size;
    const fetchRange = (i: number): Promise<Uint8Array> => {
      let p = reads.get(i);
      if (!p) {
        const range = ranges[i]!;
        p = this.bytes.read(range.offset, range.length, signal);
        reads.set(i, p);
      }
      return p;
    };
    const describe = (job: BlockJob): string => {
      const kind = level.tiled ? `tile (col ${job.bx}, row ${job.by})` : `strip ${job.by}`;
      const plane = planar === 2 ? ` of band ${job.plane}` : "";
      const lvl = header.ifd === this.headers[0]!.ifd ? "" : ` of overview IFD ${header.ifd}`;
      return `${kind}${plane}${lvl}`;
    };
    const whileReading = `while reading window ${formatWindow(win)}`;
    const tasks = jobs.map((job) => async () => {
      signal?.throwIfAborted();
      if (job.sparse) {
        this.copySparse(level, job, win, bands, out);
        return;
      }
      const hit = hits.get(job);
      if (hit) {
        this.copyBlock(level, job, hit, win, bands, out);
        return;
      }
      const i = rangeOf.get(job)!;
      const range = ranges[i]!;
      const blockEnd = job.offset + job.length;
      if (size !== null && blockEnd > size) {
        throw new TileReadError(
          this.source,
          `truncated file: ${describe(job)} needs bytes ${job.offset}..${blockEnd} but the file ends at byte ${size}, ${whileReading}`,
          true,
          { window: win },
        );
      }
      const maxCompressed = MAX_BLOCK_BYTES;
      if (job.length > maxCompressed) {
        throw new TileReadError(
          this.source,
          `corrupt file: ${describe(job)} claims ${job.length} bytes, ${whileReading}`,
          true,
          { window: win },
        );
      }
      let data: Uint8Array;
      try {
        data = await fetchRange(i);
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        const permanent = e instanceof RemoteSourceError ? e.permanent : false;
        throw new TileReadError(
          this.source,
          `could not read ${describe(job)} (bytes ${job.offset}..${blockEnd}) ${whileReading}: ${e instanceof Error ? e.message : String(e)}`,
          permanent,
          { cause: e, window: win },
        );
      } finally {
        if (--pending[i]! === 0) reads.delete(i);
      }
      const start = job.offset - range.offset;
      const compressed = data.subarray(start, start + job.length);
      if (compressed.length < job.length) {
        throw new TileReadError(
          this.source,
          `truncated file: ${describe(job)} needs bytes ${job.offset}..${blockEnd} but the file ends at byte ${range.offset + data.length}, ${whileReading}`,
          true,
          { window: win },
        );
      }
      let decoded: Uint8Array;
      try {
        decoded = await level.codec.decode(compressed, job.rows);
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        throw new TileReadError(
          this.source,
          `${describe(job)} could not be decoded (${compressionName(level.compression)}, ${job.length} bytes at byte ${job.offset}) ${whileReading}: ${e instanceof Error ? e.message : String(e)}`,
          true,
          { cause: e, window: win },
        );
      }
      const need =
        job.rows * level.blockWidth * level.params.samplesPerBlockPixel * level.params.bytesPerSample;
      if (decoded.length < need) {
        throw new TileReadError(
          this.source,
          `${describe(job)} decodes to ${decoded.length} bytes, expected ${need} (corrupt or truncated block) ${whileReading}`,
          true,
          { window: win },
        );
      }
      this.copyBlock(level, job, decoded, win, bands, out);
      if (cacheable(job)) {
        // A view into a larger read (uncompressed data) is copied so the cache holds only the block.
        const block = decoded.subarray(0, need);
        this.remember(cacheKey(job), block.byteLength * 2 < block.buffer.byteLength ? block.slice() : block);
      }
    });
    const limit = remote ? 8 : Math.max(4, availableParallelism() * 2);
    await runLimited(tasks, limit);
  }

  /** Intersection of a job's rows/columns with the window, in image pixel coordinates. */
  private span(level: Level, job: BlockJob, win: PixelWindow) {
    const colStart = job.bx * level.blockWidth;
    const rowStart = job.by * level.blockHeight + job.firstRow;
    return {
      colStart,
      rowStart,
      cx0: Math.max(win.x0, colStart),
      cx1: Math.min(win.x1, colStart + level.blockWidth, level.width),
      ry0: Math.max(win.y0, rowStart),
      ry1: Math.min(win.y1, rowStart + job.rows, level.height),
    };
  }

  private copySparse(
    level: Level,
    job: BlockJob,
    win: PixelWindow,
    bands: readonly number[],
    out: TypedSamples[],
  ) {
    const { cx0, cx1, ry0, ry1 } = this.span(level, job, win);
    const fillValue = this.nodata ?? 0;
    const ww = win.x1 - win.x0;
    bands.forEach((b, k) => {
      if (level.params.planarConfiguration === 2 && b !== job.plane) return;
      const dst = out[k]!;
      for (let y = ry0; y < ry1; y++) {
        const d = (y - win.y0) * ww + (cx0 - win.x0);
        dst.fill(fillValue, d, d + (cx1 - cx0));
      }
    });
  }

  private copyBlock(
    level: Level,
    job: BlockJob,
    decoded: Uint8Array,
    win: PixelWindow,
    bands: readonly number[],
    out: TypedSamples[],
  ): void {
    const { colStart, rowStart, cx0, cx1, ry0, ry1 } = this.span(level, job, win);
    const stride = level.params.samplesPerBlockPixel;
    const bw = level.blockWidth;
    const Ctor = CTORS[this.sampleType];
    const src = new Ctor(
      decoded.buffer,
      decoded.byteOffset,
      Math.floor(decoded.length / level.params.bytesPerSample),
    );
    const ww = win.x1 - win.x0;
    const n = cx1 - cx0;
    const planar2 = level.params.planarConfiguration === 2;
    for (let k = 0; k < bands.length; k++) {
      const b = bands[k]!;
      if (planar2 && b !== job.plane) continue;
      const dst = out[k]!;
      const sampleOffset = stride === 1 ? 0 : b;
      for (let y = ry0; y < ry1; y++) {
        const s = ((y - rowStart) * bw + (cx0 - colStart)) * stride + sampleOffset;
        const d = (y - win.y0) * ww + (cx0 - win.x0);
        if (stride === 1) dst.set(src.subarray(s, s + n), d);
        else copyStrided(dst, d, src, s, stride, n);
      }
    }
  }
}

/** dst[d + i] = src[s + i * stride] for i < n (one band out of pixel-interleaved samples). */
function copyStrided(
  dst: TypedSamples,
  d: number,
  src: TypedSamples,
  s: number,
  stride: number,
  n: number,
): void {
  const end = d + n;
  for (let i = d, j = s; i < end; i++, j += stride) dst[i] = src[j]!;
}

async function readHeader(
  name: string,
  ifd: number,
  dir: TiffDirectory,
  image: GeoTIFFImage,
  fileSize: number | null,
): Promise<LevelHeader> {
  const width = Number((await tag<number>(image, "ImageWidth")) ?? 0);
  const height = Number((await tag<number>(image, "ImageLength")) ?? 0);
  const label = ifd === 0 ? "" : `IFD ${ifd}: `;
  if (!(width >= 1 && height >= 1)) {
    throw new RasterFormatError(name, `${label}image size ${width}×${height} is not valid`);
  }
  const spp = Number((await tag<number>(image, "SamplesPerPixel")) ?? 1);
  if (!(spp >= 1 && spp <= 65535))
    throw new RasterFormatError(name, `${label}SamplesPerPixel ${spp} is not valid`);
  const bits = perSample(await tag(image, "BitsPerSample"), spp, 1);
  const formats = perSample(await tag(image, "SampleFormat"), spp, 1);
  const types = new Set(bits.map((b, i) => `${formats[i]}:${b}`));
  if (types.size > 1) {
    throw new RasterFormatError(
      name,
      `${label}bands have different sample types (${[...types].join(", ")}); not supported`,
    );
  }
  const sampleType = sampleTypeOf(formats[0]!, bits[0]!);
  if (!sampleType) {
    const what =
      formats[0] === 3
        ? "float"
        : formats[0] === 2
          ? "signed"
          : formats[0] === 1
            ? "unsigned"
            : `format ${formats[0]}`;
    throw new RasterFormatError(
      name,
      `${label}${bits[0]}-bit ${what} samples are not supported (uint8/int8/uint16/int16/uint32/int32/float32/float64 are)`,
    );
  }
  const compression = Number((await tag<number>(image, "Compression")) ?? 1);
  if (!isSupportedCompression(compression)) {
    throw new RasterFormatError(
      name,
      `${label}unsupported compression ${compressionName(compression)} (TIFF code ${compression}); ` +
        "re-encode with gdal_translate -co COMPRESS=DEFLATE (or LZW, ZSTD)",
    );
  }
  if (compression === 7 && sampleType !== "uint8") {
    throw new RasterFormatError(name, `${label}JPEG compression of ${sampleType} samples is not supported`);
  }
  const photometric = Number((await tag<number>(image, "PhotometricInterpretation")) ?? 1);
  const planarRaw = Number((await tag<number>(image, "PlanarConfiguration")) ?? 1);
  if (planarRaw !== 1 && planarRaw !== 2) {
    throw new RasterFormatError(name, `${label}PlanarConfiguration ${planarRaw} is not valid`);
  }
  const planar = planarRaw as 1 | 2;
  if (photometric === 6 && compression !== 7) {
    throw new RasterFormatError(
      name,
      `${label}YCbCr photometric interpretation is only supported with JPEG compression`,
    );
  }
  if (photometric === 6 && (spp !== 3 || planar !== 1)) {
    throw new RasterFormatError(
      name,
      `${label}YCbCr JPEG needs 3 pixel-interleaved samples, found ${spp} (planar ${planar})`,
    );
  }
  const predictor = Number((await tag<number>(image, "Predictor")) ?? 1);
  const bytesPerSample = BYTES[sampleType];
  if (
    predictor !== 1 &&
    !(predictor === 2 && bytesPerSample <= 4 && !sampleType.startsWith("float")) &&
    !(predictor === 3 && sampleType.startsWith("float"))
  ) {
    throw new RasterFormatError(
      name,
      `${label}predictor ${predictor} with ${sampleType} samples is not supported`,
    );
  }
  const tiled = dir.entries.has(Tag.TileOffsets) && dir.entries.has(Tag.TileWidth);
  let blockWidth: number;
  let blockHeight: number;
  if (tiled) {
    blockWidth = Number((await tag<number>(image, "TileWidth")) ?? 0);
    blockHeight = Number((await tag<number>(image, "TileLength")) ?? 0);
  } else {
    blockWidth = width;
    const rps = Number((await tag<number>(image, "RowsPerStrip")) ?? height);
    blockHeight = Math.min(rps >= 1 ? rps : height, height);
  }
  if (!(blockWidth >= 1 && blockHeight >= 1)) {
    throw new RasterFormatError(name, `${label}block size ${blockWidth}×${blockHeight} is not valid`);
  }
  const offsetsTag = tiled ? Tag.TileOffsets : Tag.StripOffsets;
  const countsTag = tiled ? Tag.TileByteCounts : Tag.StripByteCounts;
  const offsets = dir.entries.get(offsetsTag);
  const counts = dir.entries.get(countsTag);
  const kind = tiled ? "tile" : "strip";
  if (!offsets || !counts) {
    throw new RasterFormatError(name, `${label}no ${kind} offsets or byte counts (corrupt header)`);
  }
  const planes = planar === 2 ? spp : 1;
  const expected = Math.ceil(width / blockWidth) * Math.ceil(height / blockHeight) * planes;
  const dims = `${width}×${height} pixels × ${spp} band(s) in ${blockWidth}×${blockHeight} ${kind}s`;
  if (offsets.count < expected || counts.count < expected) {
    throw new RasterFormatError(
      name,
      `${label}header declares ${dims}, i.e. ${expected} ${kind}s, but its ${kind} tables have ${Math.min(offsets.count, counts.count)} entries (corrupt or absurd header)`,
    );
  }
  const decodedBlockBytes = blockWidth * blockHeight * (planar === 1 ? spp : 1) * bytesPerSample;
  const rowReadable = compression === 1 && !tiled;
  if (decodedBlockBytes > MAX_BLOCK_BYTES && !rowReadable) {
    throw new RasterFormatError(
      name,
      `${label}header declares ${dims}; one ${kind} would decode to ${decodedBlockBytes} bytes, more than the ${MAX_BLOCK_BYTES}-byte limit (absurd or corrupt header)`,
    );
  }
  if (rowReadable && fileSize !== null && width * spp * bytesPerSample > fileSize) {
    throw new RasterFormatError(
      name,
      `${label}header declares ${dims}, but one uncompressed row (${width * spp * bytesPerSample} bytes) is larger than the ${fileSize}-byte file (absurd or truncated)`,
    );
  }
  return {
    ifd,
    dir,
    image,
    width,
    height,
    samplesPerPixel: spp,
    sampleType,
    bitsPerSample: bits,
    compression,
    planar,
    predictor,
    tiled,
    blockWidth,
    blockHeight,
    photometric,
  };
}

async function openBytes(pathOrUrl: string, options: OpenRasterOptions): Promise<ByteSource> {
  if (isHttpUrl(pathOrUrl)) {
    return HttpSource.open(pathOrUrl, {
      ...options.http,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(pathOrUrl)) {
    throw new RasterFormatError(redactUrl(pathOrUrl), "only local paths and http(s) URLs are supported");
  }
  return LocalFileSource.open(pathOrUrl);
}

/**
 * Opens a GeoTIFF or COG at a local path or http(s) URL. Reads only the header (IFDs,
 * GeoKeys, the offset table of the full-resolution image); pixels are read per window with
 * {@link RasterSource.read}. Close the source when done.
 *
 * Throws {@link RasterFormatError} for anything that is not a readable GeoTIFF (not a TIFF,
 * corrupt or absurd header, unsupported compression or sample type, user-defined CRS unless
 * `allowUnknownCrs`), {@link RemoteSourceError} when a URL cannot be fetched.
 */
export async function openRaster(
  pathOrUrl: string,
  options: OpenRasterOptions = {},
): Promise<GeoTiffRasterSource> {
  const { signal } = options;
  signal?.throwIfAborted();
  const bytes = await openBytes(pathOrUrl, options);
  const name = bytes.name;
  let pool: Pool | null = null;
  try {
    const structure = await scanTiffStructure(bytes, signal);
    const adapter = {
      get fileSize() {
        return bytes.size;
      },
      async fetch(slices: { offset: number; length: number }[], s?: AbortSignal): Promise<ArrayBuffer[]> {
        return Promise.all(slices.map(async (x) => ownArrayBuffer(await bytes.read(x.offset, x.length, s))));
      },
      async fetchSlice(): Promise<never> {
        throw new RangeError("not used");
      },
      async close(): Promise<void> {},
    };
    let tiff: GeoTIFF;
    const images: GeoTIFFImage[] = [];
    try {
      tiff = await GeoTIFF.fromSource(
        adapter as unknown as Parameters<typeof GeoTIFF.fromSource>[0],
        {},
        signal,
      );
      for (let i = 0; i < structure.directories.length; i++) images.push(await tiff.getImage(i));
    } catch (cause) {
      if (signal?.aborted) throw signal.reason;
      throw new RasterFormatError(
        name,
        `corrupt TIFF header: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    }
    const main = await readHeader(name, 0, structure.directories[0]!, images[0]!, bytes.size);
    const headers: LevelHeader[] = [main];
    for (let i = 1; i < images.length; i++) {
      const image = images[i]!;
      const subfile = Number((await tag<number>(image, "NewSubfileType")) ?? 0);
      if ((subfile & 1) === 0 || (subfile & 4) !== 0) continue; // other pages, masks
      const h = await readHeader(name, i, structure.directories[i]!, image, bytes.size);
      if (h.samplesPerPixel !== main.samplesPerPixel || h.sampleType !== main.sampleType) continue;
      headers.push(h);
    }
    const image = images[0]!;
    const nodataText = await tag<string>(image, "GDAL_NODATA");
    const nodata = parseGdalNodata(nodataText);
    if (nodata === undefined) {
      throw new RasterFormatError(
        name,
        `GDAL_NODATA tag "${String(nodataText).replace(/\0/g, "")}" is not a number`,
      );
    }
    let geoKeys: GeoKeys | null;
    try {
      geoKeys = image.getGeoKeys() as GeoKeys | null;
    } catch (cause) {
      throw new RasterFormatError(
        name,
        `corrupt GeoKeyDirectory: ${cause instanceof Error ? cause.message : String(cause)}`,
        {
          cause,
        },
      );
    }
    const pixelIsPoint = geoKeys?.GTRasterTypeGeoKey === 2;
    const affine = affineFromTags({
      pixelScale: (await tag<ArrayLike<number>>(image, "ModelPixelScale")) ?? null,
      tiepoint: (await tag<ArrayLike<number>>(image, "ModelTiepoint")) ?? null,
      transformation: (await tag<ArrayLike<number>>(image, "ModelTransformation")) ?? null,
      pixelIsPoint,
    });
    const { crs, problem } = crsFromGeoKeys(geoKeys);
    if (problem && !options.allowUnknownCrs) throw new RasterFormatError(name, problem);
    const md = parseGdalMetadata((await tag<string>(image, "GDAL_METADATA")) ?? null);
    const bandMd = Array.from({ length: main.samplesPerPixel }, (_, i) => md.bands.get(i) ?? {});
    const lerc =
      main.compression === 34887 ? ((await tag<ArrayLike<number>>(image, "LercParameters")) ?? null) : null;
    const workers = options.decodeWorkers ?? 0;
    pool = workers > 0 ? new Pool(workers) : null;
    const src = new GeoTiffRasterSource({
      source: name,
      bytes,
      structure,
      headers,
      nodata,
      affine: affine ?? IDENTITY_AFFINE,
      georeferenced: affine !== null,
      crs,
      crsProblem: problem,
      pixelIsPoint,
      metadata: md.dataset,
      bandMetadata: bandMd,
      lercParameters: lerc,
      maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS,
      pool,
      nativeDeflate: options.nativeDeflate ?? true,
      cacheBudget: options.blockCacheBytes ?? 32 * 1024 * 1024,
    });
    await src.loadOffsetTables();
    return src;
  } catch (e) {
    await pool?.destroy();
    await bytes.close();
    throw e;
  }
}
