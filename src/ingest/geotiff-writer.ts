/**
 * Georeferenced GeoTIFF writer for typed arrays: class maps, per-class probability rasters and
 * cached per-tile probabilities that analysts open in QGIS.
 *
 * The file is tiled (default 256×256), DEFLATE-compressed through node:zlib with an optional
 * predictor (horizontal differencing for integers, the floating-point predictor for floats),
 * band-separate (PlanarConfiguration 2: each band is its own set of tiles, which suits per-class
 * bands), little-endian classic TIFF. Georeference is written as GeoKeys with an EPSG code plus
 * ModelPixelScale/ModelTiepoint, or ModelTransformation for rotated or south-up affines. GDAL's
 * private tags carry nodata (GDAL_NODATA) and band descriptions / metadata (GDAL_METADATA).
 *
 * Streaming: {@link openGeoTiffWriter} takes the size, band count and type; the caller then hands
 * over full-width rows in order with {@link GeoTiffWriter.writeRows} (any number of rows per call),
 * and the writer compresses and appends each row of tiles as soon as it is complete, so only one
 * row of tiles is held in memory. {@link GeoTiffWriter.finish} writes the directory at the end of
 * the file and renames the temporary file onto the target path, so readers never see a partial
 * file and a retried job simply overwrites its output.
 *
 * BigTIFF is not written: a raster whose uncompressed size could exceed 4 GiB is refused up front
 * with a {@link RasterWriteError}.
 */
import { randomBytes } from "node:crypto";
import { endianness } from "node:os";
import { open, rename, rm, type FileHandle } from "node:fs/promises";
import { promisify } from "node:util";
import { deflate as deflateCb } from "node:zlib";
import { PatrolError } from "../core/errors.js";
import { ScratchScope, type ScratchConstructor } from "../core/scratch-pool.js";
import type { Affine, SampleType, TypedSamples } from "../core/raster-types.js";
import { epsgNumber, isGeographic } from "./crs.js";

const deflate = promisify(deflateCb);

/** Writing a raster failed: bad arguments (permanent) or file-system trouble (transient). */
export class RasterWriteError extends PatrolError {
  constructor(
    readonly target: string,
    readonly problem: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(`${target}: ${problem}`, options);
  }
}

/** One colour-table entry, each channel 0–255. */
export interface PaletteColor {
  readonly r: number;
  readonly g: number;
  readonly b: number;
}

export interface GeoTiffWriteOptions {
  /** Raster width in pixels. */
  readonly width: number;
  /** Raster height in pixels. */
  readonly height: number;
  readonly bandCount: number;
  readonly sampleType: SampleType;
  /** Pixel-corner affine of the full raster (GDAL convention), or null for an ungeoreferenced file. */
  readonly affine: Affine | null;
  /** "EPSG:nnnn" (projected or geographic), or null for no CRS. Other CRS names are refused. */
  readonly crs: string | null;
  /** Nodata value written as GDAL_NODATA (NaN allowed for floats); null or omitted for none. */
  readonly nodata?: number | null;
  /** Tile edge in pixels, a multiple of 16 (TIFF requirement). Default 256. */
  readonly tileSize?: number;
  /** Default "deflate". */
  readonly compression?: "deflate" | "none";
  /** zlib level 1–9; default 6. Lower is faster, higher is smaller. */
  readonly deflateLevel?: number;
  /**
   * Apply the TIFF predictor before compressing: horizontal differencing (2) for integer types,
   * the floating-point predictor (3) for float types. Default false. Smooth rasters such as
   * probabilities compress better with it; class maps usually do not need it.
   */
  readonly predictor?: boolean;
  /** One description per band (GDAL band description, shown by QGIS), e.g. class names. */
  readonly bandDescriptions?: readonly string[];
  /** Dataset-level metadata items written into GDAL_METADATA. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Per-band metadata items written into GDAL_METADATA, indexed by 0-based band. */
  readonly bandMetadata?: readonly Readonly<Record<string, string>>[];
  /**
   * Colour table for a single-band uint8/uint16 class map (Photometric = Palette); entry i is the
   * colour of value i, missing entries are black.
   */
  readonly colorTable?: readonly PaletteColor[];
}

interface SampleInfo {
  readonly bytes: number;
  /** TIFF SampleFormat: 1 unsigned int, 2 signed int, 3 IEEE float. */
  readonly format: 1 | 2 | 3;
  /** The samples' array type (borrowed from the scratch pool for the writer's buffers). */
  readonly type: ScratchConstructor;
}

const SAMPLE_INFO: Record<SampleType, SampleInfo> = {
  uint8: { bytes: 1, format: 1, type: Uint8Array },
  int8: { bytes: 1, format: 2, type: Int8Array },
  uint16: { bytes: 2, format: 1, type: Uint16Array },
  int16: { bytes: 2, format: 2, type: Int16Array },
  uint32: { bytes: 4, format: 1, type: Uint32Array },
  int32: { bytes: 4, format: 2, type: Int32Array },
  float32: { bytes: 4, format: 3, type: Float32Array },
  float64: { bytes: 8, format: 3, type: Float64Array },
};

/** Largest offset a classic (non-Big) TIFF can address. */
const CLASSIC_TIFF_LIMIT = 2 ** 32;

// TIFF field types
const ASCII = 2;
const SHORT = 3;
const LONG = 4;
const DOUBLE = 12;

interface IfdEntry {
  readonly tag: number;
  readonly type: number;
  readonly count: number;
  readonly data: Buffer;
}

function shorts(tag: number, values: readonly number[]): IfdEntry {
  const data = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => data.writeUInt16LE(v, i * 2));
  return { tag, type: SHORT, count: values.length, data };
}

function longs(tag: number, values: ArrayLike<number>): IfdEntry {
  const data = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) data.writeUInt32LE(values[i] ?? 0, i * 4);
  return { tag, type: LONG, count: values.length, data };
}

function doubles(tag: number, values: readonly number[]): IfdEntry {
  const data = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => data.writeDoubleLE(v, i * 8));
  return { tag, type: DOUBLE, count: values.length, data };
}

function ascii(tag: number, text: string): IfdEntry {
  // GDAL writes and reads UTF-8 in its private ASCII tags (e.g. Chinese class names).
  const data = Buffer.concat([Buffer.from(text, "utf8"), Buffer.from([0])]);
  return { tag, type: ASCII, count: data.length, data };
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** GDAL formats nodata with "%.18g"; any round-tripping decimal form is read back the same. */
function formatNodata(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  return String(v);
}

function nodataFitsType(v: number, t: SampleType): boolean {
  if (t === "float32" || t === "float64") return true;
  if (!Number.isInteger(v)) return false;
  const bits = SAMPLE_INFO[t].bytes * 8;
  return SAMPLE_INFO[t].format === 1
    ? v >= 0 && v < 2 ** bits
    : v >= -(2 ** (bits - 1)) && v < 2 ** (bits - 1);
}

/** Horizontal differencing (TIFF predictor 2) of one tile, row by row, in place. */
function horizontalDiff(tile: TypedSamples, size: number): void {
  for (let r = 0; r < size; r++) {
    const base = r * size;
    for (let c = size - 1; c > 0; c--)
      tile[base + c] = (tile[base + c] as number) - (tile[base + c - 1] as number);
  }
}

/**
 * TIFF floating-point predictor (3) of one tile into `out` (as long as `bytes`): per row, bytes
 * split into planes MSB first, then differenced.
 */
function floatingPointDiff(
  bytes: Uint8Array,
  size: number,
  sampleBytes: number,
  out: Uint8Array,
): Uint8Array {
  const rowBytes = size * sampleBytes;
  for (let r = 0; r < size; r++) {
    const base = r * rowBytes;
    for (let i = 0; i < size; i++) {
      for (let b = 0; b < sampleBytes; b++) {
        // little-endian source: byte b of the sample goes to plane (sampleBytes - 1 - b)
        out[base + (sampleBytes - 1 - b) * size + i] = bytes[base + i * sampleBytes + b] as number;
      }
    }
    for (let k = rowBytes - 1; k > 0; k--) {
      out[base + k] = ((out[base + k] as number) - (out[base + k - 1] as number)) & 0xff;
    }
  }
  return out;
}

function geoKeyDirectory(crs: string | null, target: string): IfdEntry | null {
  if (crs === null) return null;
  const epsg = epsgNumber(crs);
  if (epsg === null) {
    throw new RasterWriteError(target, `CRS ${crs} has no EPSG code; only EPSG codes can be written`, true);
  }
  const keys: Array<[number, number]> = [];
  if (isGeographic(crs)) {
    keys.push([1024, 2], [1025, 1], [2048, epsg], [2054, 9102]);
  } else {
    keys.push([1024, 1], [1025, 1], [3072, epsg]);
  }
  const values = [1, 1, 0, keys.length];
  for (const [key, value] of keys) values.push(key, 0, 1, value);
  return shorts(34735, values);
}

function georeferenceEntries(a: Affine): IfdEntry[] {
  const northUp = a.rowRotation === 0 && a.colRotation === 0 && a.pixelHeight < 0 && a.pixelWidth > 0;
  if (northUp) {
    return [
      doubles(33550, [a.pixelWidth, -a.pixelHeight, 0]),
      doubles(33922, [0, 0, 0, a.originX, a.originY, 0]),
    ];
  }
  return [
    doubles(34264, [
      a.pixelWidth,
      a.rowRotation,
      0,
      a.originX,
      a.colRotation,
      a.pixelHeight,
      0,
      a.originY,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      1,
    ]),
  ];
}

/**
 * GDAL escapes item values twice in GDAL_METADATA (CPLEscapeString, then the XML serialiser) and
 * unescapes twice when reading, so a value escaped once loses everything after its first "&".
 */
function metadataValue(s: string): string {
  return xmlEscape(xmlEscape(s));
}

function gdalMetadataXml(o: GeoTiffWriteOptions): string | null {
  const items: string[] = [];
  for (const [k, v] of Object.entries(o.metadata ?? {})) {
    items.push(`  <Item name="${xmlEscape(k)}">${metadataValue(v)}</Item>`);
  }
  (o.bandMetadata ?? []).forEach((md, band) => {
    for (const [k, v] of Object.entries(md)) {
      items.push(`  <Item name="${xmlEscape(k)}" sample="${band}">${metadataValue(v)}</Item>`);
    }
  });
  (o.bandDescriptions ?? []).forEach((d, band) => {
    if (d !== "") {
      items.push(`  <Item name="DESCRIPTION" sample="${band}" role="description">${metadataValue(d)}</Item>`);
    }
  });
  return items.length === 0 ? null : `<GDALMetadata>\n${items.join("\n")}\n</GDALMetadata>\n`;
}

/**
 * A GeoTIFF being written row by row. Obtain one from {@link openGeoTiffWriter}; always end with
 * {@link finish} (success) or {@link abort} (failure), which close the file handle.
 */
export class GeoTiffWriter {
  readonly tileSize: number;
  readonly tilesAcross: number;
  readonly tilesDown: number;
  private readonly info: SampleInfo;
  private readonly rowBuffers: TypedSamples[];
  /**
   * The row buffers' scope, given back by {@link finish} (not by {@link abort}, which may run while
   * a writeRows call still copies into them: those buffers are simply left to the collector).
   */
  private readonly rowScratch = new ScratchScope();
  private readonly offsets: Float64Array;
  private readonly byteCounts: Float64Array;
  private readonly fill: number;
  private nextRow = 0;
  private bufferedRows = 0;
  private fileOffset = 8;
  private state: "open" | "finished" | "aborted" = "open";

  private constructor(
    /** The final path; the data go to {@link tempPath} until {@link finish}. */
    readonly path: string,
    readonly tempPath: string,
    readonly options: GeoTiffWriteOptions,
    private readonly handle: FileHandle,
  ) {
    this.info = SAMPLE_INFO[options.sampleType];
    this.tileSize = options.tileSize ?? 256;
    this.tilesAcross = Math.ceil(options.width / this.tileSize);
    this.tilesDown = Math.ceil(options.height / this.tileSize);
    const tileCount = this.tilesAcross * this.tilesDown * options.bandCount;
    this.offsets = new Float64Array(tileCount);
    this.byteCounts = new Float64Array(tileCount);
    this.rowBuffers = Array.from({ length: options.bandCount }, () =>
      this.rowScratch.take(this.info.type, this.tileSize * options.width),
    );
    const nodata = options.nodata ?? null;
    this.fill = nodata !== null && nodataFitsType(nodata, options.sampleType) ? nodata : 0;
  }

  /** @internal Use {@link openGeoTiffWriter}. */
  static async create(path: string, options: GeoTiffWriteOptions): Promise<GeoTiffWriter> {
    validate(path, options);
    const tempPath = `${path}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
    let handle: FileHandle;
    try {
      handle = await open(tempPath, "w");
    } catch (cause) {
      throw new RasterWriteError(path, `cannot create ${tempPath}`, false, { cause });
    }
    const w = new GeoTiffWriter(path, tempPath, options, handle);
    // Header: "II", 42, first IFD offset patched in finish().
    const header = Buffer.alloc(8);
    header.write("II", 0, "latin1");
    header.writeUInt16LE(42, 2);
    await w.writeAt(header, 0);
    return w;
  }

  /** Rows handed over so far; the next {@link writeRows} call must start here. */
  get rowsWritten(): number {
    return this.nextRow;
  }

  /**
   * Appends full-width rows starting at pixel row `y0` (which must equal {@link rowsWritten}).
   * `bands` holds one array per band, row-major, `width × rowCount` samples each, of the
   * writer's sample type. Complete rows of tiles are compressed and written before returning.
   */
  async writeRows(y0: number, bands: readonly TypedSamples[]): Promise<void> {
    const { width, height, bandCount } = this.options;
    this.assertOpen();
    if (y0 !== this.nextRow) {
      throw new RasterWriteError(
        this.path,
        `rows must be written in order: expected row ${this.nextRow}, got ${y0}`,
        true,
      );
    }
    if (bands.length !== bandCount) {
      throw new RasterWriteError(this.path, `expected ${bandCount} band arrays, got ${bands.length}`, true);
    }
    const first = bands[0] as TypedSamples;
    if (first.length % width !== 0) {
      throw new RasterWriteError(
        this.path,
        `band length ${first.length} is not a multiple of the width ${width}`,
        true,
      );
    }
    const rows = first.length / width;
    if (y0 + rows > height) {
      throw new RasterWriteError(
        this.path,
        `rows ${y0}..${y0 + rows - 1} run past the height ${height}`,
        true,
      );
    }
    for (const b of bands) {
      if (!(b instanceof this.info.type) || b.length !== first.length) {
        throw new RasterWriteError(
          this.path,
          `each band must be a ${this.options.sampleType} typed array of ${first.length} samples`,
          true,
        );
      }
    }
    let done = 0;
    while (done < rows) {
      const take = Math.min(rows - done, this.tileSize - this.bufferedRows);
      for (let b = 0; b < bandCount; b++) {
        const src = (bands[b] as TypedSamples).subarray(done * width, (done + take) * width);
        (this.rowBuffers[b] as TypedSamples).set(src as ArrayLike<number>, this.bufferedRows * width);
      }
      done += take;
      this.bufferedRows += take;
      this.nextRow += take;
      if (this.bufferedRows === this.tileSize || this.nextRow === height) await this.flushTileRow();
    }
  }

  /** Writes the directory, closes the file and renames it onto {@link path}. */
  async finish(): Promise<void> {
    this.assertOpen();
    if (this.nextRow !== this.options.height) {
      throw new RasterWriteError(
        this.path,
        `finish() after ${this.nextRow} of ${this.options.height} rows; write every row first`,
        true,
      );
    }
    try {
      const ifdOffset = this.fileOffset + (this.fileOffset % 2);
      const ifd = this.buildIfd(ifdOffset);
      await this.writeAt(ifd, ifdOffset);
      const pointer = Buffer.alloc(4);
      pointer.writeUInt32LE(ifdOffset, 0);
      await this.writeAt(pointer, 4);
      await this.handle.sync();
      await this.handle.close();
      this.state = "finished";
      this.rowScratch.release();
      await rename(this.tempPath, this.path);
    } catch (cause) {
      if (this.state === "open") await this.abort();
      else await rm(this.tempPath, { force: true });
      if (cause instanceof RasterWriteError) throw cause;
      throw new RasterWriteError(this.path, "could not complete the file", false, { cause });
    }
  }

  /** Closes and deletes the temporary file; the target path is left untouched. Safe to call twice. */
  async abort(): Promise<void> {
    if (this.state !== "open") return;
    this.state = "aborted";
    await this.handle.close().catch(() => undefined);
    await rm(this.tempPath, { force: true });
  }

  private assertOpen(): void {
    if (this.state !== "open") throw new RasterWriteError(this.path, `writer is already ${this.state}`, true);
  }

  private async writeAt(buf: Uint8Array, position: number): Promise<void> {
    if (position + buf.length > CLASSIC_TIFF_LIMIT) {
      throw new RasterWriteError(this.path, "file grew past 4 GiB; BigTIFF is not supported", true);
    }
    try {
      await this.handle.write(buf, 0, buf.length, position);
    } catch (cause) {
      throw new RasterWriteError(this.path, `write to ${this.tempPath} failed`, false, { cause });
    }
  }

  private async flushTileRow(): Promise<void> {
    const { width, bandCount } = this.options;
    const size = this.tileSize;
    const ty = Math.floor((this.nextRow - 1) / size);
    const rows = this.bufferedRows;
    const jobs: Array<{ index: number; data: Promise<Uint8Array> }> = [];
    // Tiles (and their predictor output) are borrowed until written. After a failure they are not
    // given back: other tiles' deflate may still be reading them on libuv's threads.
    const scratch = new ScratchScope();
    for (let b = 0; b < bandCount; b++) {
      const buf = this.rowBuffers[b] as TypedSamples;
      for (let tx = 0; tx < this.tilesAcross; tx++) {
        const tile = scratch.take(this.info.type, size * size);
        if (this.fill !== 0) tile.fill(this.fill);
        const x0 = tx * size;
        const cols = Math.min(size, width - x0);
        for (let r = 0; r < rows; r++) {
          tile.set(buf.subarray(r * width + x0, r * width + x0 + cols) as ArrayLike<number>, r * size);
        }
        const index = b * this.tilesAcross * this.tilesDown + ty * this.tilesAcross + tx;
        jobs.push({ index, data: this.encodeTile(tile, scratch) });
      }
    }
    for (const job of jobs) {
      const data = await job.data;
      this.offsets[job.index] = this.fileOffset;
      this.byteCounts[job.index] = data.length;
      await this.writeAt(data, this.fileOffset);
      this.fileOffset += data.length;
    }
    scratch.release();
    this.bufferedRows = 0;
  }

  private async encodeTile(tile: TypedSamples, scratch: ScratchScope): Promise<Uint8Array> {
    const size = this.tileSize;
    const predictor = this.options.predictor ?? false;
    let bytes: Uint8Array;
    if (predictor && this.info.format !== 3) {
      horizontalDiff(tile, size);
      bytes = new Uint8Array(tile.buffer, tile.byteOffset, tile.byteLength);
    } else if (predictor) {
      bytes = floatingPointDiff(
        new Uint8Array(tile.buffer, tile.byteOffset, tile.byteLength),
        size,
        this.info.bytes,
        scratch.take(Uint8Array, tile.byteLength),
      );
    } else {
      bytes = new Uint8Array(tile.buffer, tile.byteOffset, tile.byteLength);
    }
    if ((this.options.compression ?? "deflate") === "none") return bytes;
    return deflate(bytes, { level: this.options.deflateLevel ?? 6 });
  }

  private buildIfd(ifdOffset: number): Buffer {
    const o = this.options;
    const n = o.bandCount;
    const palette = o.colorTable !== undefined;
    const compressed = (o.compression ?? "deflate") === "deflate";
    const entries: IfdEntry[] = [
      longs(256, [o.width]),
      longs(257, [o.height]),
      shorts(258, new Array<number>(n).fill(this.info.bytes * 8)),
      shorts(259, [compressed ? 8 : 1]),
      shorts(262, [palette ? 3 : 1]),
      shorts(277, [n]),
      shorts(284, [n > 1 ? 2 : 1]),
      ascii(305, "cropland-patrol"),
    ];
    if (o.predictor) entries.push(shorts(317, [this.info.format === 3 ? 3 : 2]));
    if (palette) {
      const entriesCount = 2 ** (this.info.bytes * 8);
      const map = new Array<number>(3 * entriesCount).fill(0);
      (o.colorTable ?? []).forEach((c, i) => {
        map[i] = c.r * 257;
        map[entriesCount + i] = c.g * 257;
        map[2 * entriesCount + i] = c.b * 257;
      });
      entries.push(shorts(320, map));
    }
    entries.push(
      longs(322, [this.tileSize]),
      longs(323, [this.tileSize]),
      longs(324, this.offsets),
      longs(325, this.byteCounts),
    );
    if (n > 1) entries.push(shorts(338, new Array<number>(n - 1).fill(0)));
    entries.push(shorts(339, new Array<number>(n).fill(this.info.format)));
    if (o.affine) entries.push(...georeferenceEntries(o.affine));
    const geoKeys = geoKeyDirectory(o.crs, this.path);
    if (geoKeys) entries.push(geoKeys);
    const xml = gdalMetadataXml(o);
    if (xml) entries.push(ascii(42112, xml));
    if (o.nodata !== undefined && o.nodata !== null) entries.push(ascii(42113, formatNodata(o.nodata)));
    entries.sort((a, b) => a.tag - b.tag);

    const typeSize = (t: number): number => (t === SHORT ? 2 : t === LONG ? 4 : t === DOUBLE ? 8 : 1);
    const dirBytes = 2 + entries.length * 12 + 4;
    let extra = 0;
    for (const e of entries) {
      const len = e.count * typeSize(e.type);
      if (len > 4) extra += len + (len % 2);
    }
    const out = Buffer.alloc(dirBytes + extra);
    out.writeUInt16LE(entries.length, 0);
    let valuePos = dirBytes;
    entries.forEach((e, i) => {
      const p = 2 + i * 12;
      out.writeUInt16LE(e.tag, p);
      out.writeUInt16LE(e.type, p + 2);
      out.writeUInt32LE(e.count, p + 4);
      if (e.data.length <= 4) {
        e.data.copy(out, p + 8);
      } else {
        out.writeUInt32LE(ifdOffset + valuePos, p + 8);
        e.data.copy(out, valuePos);
        valuePos += e.data.length + (e.data.length % 2);
      }
    });
    out.writeUInt32LE(0, 2 + entries.length * 12);
    return out;
  }
}

function validate(path: string, o: GeoTiffWriteOptions): void {
  const bad = (problem: string): never => {
    throw new RasterWriteError(path, problem, true);
  };
  if (endianness() !== "LE") bad("only little-endian hosts are supported");
  for (const [name, v] of [
    ["width", o.width],
    ["height", o.height],
    ["bandCount", o.bandCount],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) bad(`${name} must be a positive integer, got ${v}`);
  }
  if (o.bandCount > 65535) bad(`too many bands (${o.bandCount})`);
  if (!(o.sampleType in SAMPLE_INFO)) bad(`unsupported sample type ${String(o.sampleType)}`);
  const tileSize = o.tileSize ?? 256;
  if (!Number.isInteger(tileSize) || tileSize < 16 || tileSize % 16 !== 0) {
    bad(`tileSize must be a positive multiple of 16, got ${tileSize}`);
  }
  const level = o.deflateLevel ?? 6;
  if (!Number.isInteger(level) || level < 1 || level > 9) bad(`deflateLevel must be 1–9, got ${level}`);
  if (o.bandDescriptions && o.bandDescriptions.length > o.bandCount) {
    bad(`${o.bandDescriptions.length} band descriptions for ${o.bandCount} bands`);
  }
  if (o.bandMetadata && o.bandMetadata.length > o.bandCount) {
    bad(`${o.bandMetadata.length} band metadata entries for ${o.bandCount} bands`);
  }
  if (o.colorTable) {
    if (o.bandCount !== 1 || (o.sampleType !== "uint8" && o.sampleType !== "uint16")) {
      bad("a colour table needs a single uint8 or uint16 band");
    }
    if (o.colorTable.length > 2 ** (SAMPLE_INFO[o.sampleType].bytes * 8))
      bad("colour table has too many entries");
    for (const c of o.colorTable) {
      for (const v of [c.r, c.g, c.b]) {
        if (!Number.isInteger(v) || v < 0 || v > 255)
          bad(`colour table channel ${v} is not an integer 0–255`);
      }
    }
  }
  if (o.nodata !== undefined && o.nodata !== null && !nodataFitsType(o.nodata, o.sampleType)) {
    bad(`nodata ${o.nodata} is not representable as ${o.sampleType}`);
  }
  if (o.affine) {
    const a = o.affine;
    const values = [a.originX, a.originY, a.pixelWidth, a.pixelHeight, a.rowRotation, a.colRotation];
    if (!values.every(Number.isFinite)) bad("affine has non-finite terms");
    if (a.pixelWidth * a.pixelHeight - a.rowRotation * a.colRotation === 0) bad("affine is singular");
  }
  // Refuse anything that could need BigTIFF: uncompressed tiles plus deflate's worst-case growth.
  const tiles = Math.ceil(o.width / tileSize) * Math.ceil(o.height / tileSize) * o.bandCount;
  const raw = tiles * tileSize * tileSize * SAMPLE_INFO[o.sampleType].bytes;
  const bound = raw * 1.001 + tiles * 64 + 16 * tiles + 1024 * 1024;
  if (bound >= CLASSIC_TIFF_LIMIT) {
    bad(
      `a ${o.width}×${o.height}×${o.bandCount} ${o.sampleType} raster may exceed 4 GiB ` +
        `(${(raw / 2 ** 30).toFixed(2)} GiB uncompressed); BigTIFF is not supported, write smaller windows`,
    );
  }
  // Resolve the CRS now so a bad code fails before any pixel is written.
  geoKeyDirectory(o.crs, path);
}

/**
 * Opens a streaming GeoTIFF writer for `path` (written to a temporary file beside it until
 * {@link GeoTiffWriter.finish}). Validates every option up front; throws {@link RasterWriteError}
 * for bad options or a raster that could exceed 4 GiB, and the CRS module's UnknownCrsError for
 * an EPSG code it cannot classify as projected or geographic.
 */
export async function openGeoTiffWriter(path: string, options: GeoTiffWriteOptions): Promise<GeoTiffWriter> {
  return GeoTiffWriter.create(path, options);
}

/**
 * Writes a whole raster held in memory: `bands` holds one row-major array of `width × height`
 * samples per band. The file appears at `path` atomically, or not at all on failure.
 */
export async function writeGeoTiff(
  path: string,
  options: GeoTiffWriteOptions,
  bands: readonly TypedSamples[],
): Promise<void> {
  const writer = await openGeoTiffWriter(path, options);
  try {
    await writer.writeRows(0, bands);
    await writer.finish();
  } catch (e) {
    await writer.abort();
    throw e;
  }
}
