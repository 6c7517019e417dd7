/**
 * GDAL as the reference for the raster-reader tests: pixels via `gdal_translate -of ENVI`
 * (raw, band-sequential, native byte order), metadata via `gdalinfo -json`, and a small
 * writer of raw ENVI files so fixtures can be made from seeded data and then converted to any
 * GeoTIFF layout with `gdal_translate -co …`. Everything is written under os.tmpdir().
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "vitest";
import type { PixelWindow, SampleType, TypedSamples } from "../../src/core/raster-types.js";
import type { rasterInfoToJson } from "../../src/ingest/info.js";

export function makeTempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `patrol-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function run(cmd: string, args: readonly string[], env: Record<string, string> = {}): string {
  return execFileSync(cmd, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, GDAL_NUM_THREADS: "1", ...env },
    maxBuffer: 256 * 1024 * 1024,
  });
}

const CTORS = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

export function typedArrayFor(
  type: SampleType,
  buffer: ArrayBuffer,
  byteOffset: number,
  length: number,
): TypedSamples {
  return new CTORS[type](buffer, byteOffset, length) as TypedSamples;
}

export interface GdalPixels {
  readonly width: number;
  readonly height: number;
  readonly bands: TypedSamples[];
}

let counter = 0;

/**
 * Pixels as GDAL reads them: `gdal_translate -of ENVI [-srcwin] [-b …] [-ovr n]`.
 * `bands` are 0-based; `overview` is ours (1 = first overview), mapped to GDAL's -ovr (0-based).
 */
export function gdalRead(
  file: string,
  type: SampleType,
  tmp: string,
  options: { window?: PixelWindow; bands?: readonly number[]; overview?: number } = {},
): GdalPixels {
  const out = path.join(tmp, `gdal-${process.pid}-${counter++}.bin`);
  const args = ["-q", "-of", "ENVI", "-co", "INTERLEAVE=BSQ"];
  if (options.window) {
    const w = options.window;
    args.push("-srcwin", String(w.x0), String(w.y0), String(w.x1 - w.x0), String(w.y1 - w.y0));
  }
  for (const b of options.bands ?? []) args.push("-b", String(b + 1));
  if (options.overview) args.push("-ovr", String(options.overview - 1));
  run("gdal_translate", [...args, file, out]);
  const hdr = readFileSync(out.replace(/\.bin$/, ".hdr"), "utf8");
  const width = Number(/samples\s*=\s*(\d+)/.exec(hdr)![1]);
  const height = Number(/lines\s*=\s*(\d+)/.exec(hdr)![1]);
  const nb = Number(/bands\s*=\s*(\d+)/.exec(hdr)![1]);
  const raw = readFileSync(out);
  rmSync(out, { force: true });
  rmSync(out.replace(/\.bin$/, ".hdr"), { force: true });
  rmSync(`${out}.aux.xml`, { force: true });
  const bytes = new Uint8Array(raw.byteLength);
  bytes.set(raw);
  const per = width * height;
  const size = CTORS[type].BYTES_PER_ELEMENT;
  const bands = Array.from({ length: nb }, (_, i) => typedArrayFor(type, bytes.buffer, i * per * size, per));
  return { width, height, bands };
}

/** Index of the first sample whose bytes differ (so NaN equals NaN), or -1. */
export function firstDifference(a: TypedSamples, b: TypedSamples): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (Buffer.compare(x, y) === 0) return -1;
  for (let i = 0; i < a.length; i++) {
    const p = a[i]!;
    const q = b[i]!;
    if (!(p === q || (Number.isNaN(p) && Number.isNaN(q)))) return i;
  }
  return -1;
}

export interface GdalInfoJson {
  size: [number, number];
  geoTransform?: number[];
  coordinateSystem?: { wkt: string };
  metadata?: Record<string, Record<string, string>>;
  bands: {
    band: number;
    block: [number, number];
    type: string;
    description?: string;
    noDataValue?: number | string;
    overviews?: { size: [number, number] }[];
    metadata?: Record<string, Record<string, string>>;
  }[];
}

export function gdalInfo(file: string): GdalInfoJson {
  return JSON.parse(run("gdalinfo", ["-json", file])) as GdalInfoJson;
}

/** The top-level EPSG code of a WKT2 CRS (its last ID["EPSG",n]), or null. */
export function epsgFromWkt(wkt: string | undefined): number | null {
  if (!wkt) return null;
  const ids = [...wkt.matchAll(/ID\["EPSG",(\d+)\]\]\s*$/g)];
  const last = ids[ids.length - 1];
  return last ? Number(last[1]) : null;
}

/** Our sample type as GDAL 3.6 names it (int8 is "Byte" with PIXELTYPE=SIGNEDBYTE there). */
export function gdalTypeName(t: SampleType): string {
  return {
    uint8: "Byte",
    int8: "Byte",
    uint16: "UInt16",
    int16: "Int16",
    uint32: "UInt32",
    int32: "Int32",
    float32: "Float32",
    float64: "Float64",
  }[t];
}

const ENVI_TYPES: Record<SampleType, number> = {
  uint8: 1,
  int8: 1,
  int16: 2,
  int32: 3,
  float32: 4,
  float64: 5,
  uint16: 12,
  uint32: 13,
};

/**
 * Writes band-sequential samples as a raw ENVI file (`file`.bin + .hdr) that gdal_translate
 * can turn into any GeoTIFF layout. `mapInfo` is an ENVI "map info" string or omitted.
 */
export function writeEnvi(
  file: string,
  width: number,
  height: number,
  type: SampleType,
  bands: readonly TypedSamples[],
  mapInfo?: string,
): string {
  const per = width * height;
  const size = CTORS[type].BYTES_PER_ELEMENT;
  const buf = Buffer.alloc(per * size * bands.length);
  bands.forEach((b, i) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).copy(buf, i * per * size));
  writeFileSync(file, buf);
  const hdr = [
    "ENVI",
    `samples = ${width}`,
    `lines = ${height}`,
    `bands = ${bands.length}`,
    "header offset = 0",
    "file type = ENVI Standard",
    `data type = ${ENVI_TYPES[type]}`,
    "interleave = bsq",
    "byte order = 0",
  ];
  if (mapInfo) hdr.push(`map info = {${mapInfo}}`);
  writeFileSync(file.replace(/\.[^.]+$/, ".hdr"), `${hdr.join("\n")}\n`);
  return file;
}

/** mulberry32: a small seeded generator, so failures reproduce. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random window of at least 1×1 inside width × height. */
export function randomWindow(rand: () => number, width: number, height: number): PixelWindow {
  const x0 = Math.floor(rand() * width);
  const y0 = Math.floor(rand() * height);
  const x1 = x0 + 1 + Math.floor(rand() * (width - x0));
  const y1 = y0 + 1 + Math.floor(rand() * (height - y0));
  return { x0, y0, x1, y1 };
}

/** A random non-empty subset of 0..n-1, in random order (duplicates possible only if n is 1). */
export function randomBands(rand: () => number, n: number): number[] {
  const k = 1 + Math.floor(rand() * Math.min(n, 5));
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, k);
}

/** Slices one band of a full-image array to a window. */
export function sliceWindow(full: TypedSamples, width: number, w: PixelWindow): TypedSamples {
  const ww = w.x1 - w.x0;
  const out = new (full.constructor as new (n: number) => TypedSamples)(ww * (w.y1 - w.y0));
  for (let y = w.y0; y < w.y1; y++)
    out.set(full.subarray(y * width + w.x0, y * width + w.x1), (y - w.y0) * ww);
  return out;
}

/** The min/max of gdalinfo's wgs84Extent polygon, or null. */
export function gdalLonLatBounds(info: GdalInfoJson & { wgs84Extent?: { coordinates: number[][][] } }) {
  const ring = info.wgs84Extent?.coordinates[0];
  if (!ring) return null;
  const xs = ring.map((p) => p[0]!);
  const ys = ring.map((p) => p[1]!);
  return { minX: Math.min(...xs), minY: Math.min(...ys), maxX: Math.max(...xs), maxY: Math.max(...ys) };
}

/** Checks every field `patrol info --json` shares with `gdalinfo -json`. */
export function expectInfoMatchesGdal(ours: ReturnType<typeof rasterInfoToJson>, gdal: GdalInfoJson): void {
  const band0 = gdal.bands[0]!;
  const structure = gdal.metadata?.IMAGE_STRUCTURE ?? {};
  expect([ours.width, ours.height]).toEqual(gdal.size);
  expect(ours.bandCount).toBe(gdal.bands.length);
  for (const b of gdal.bands) expect(gdalTypeName(ours.sampleType)).toBe(b.type);
  const signed = band0.metadata?.IMAGE_STRUCTURE?.PIXELTYPE === "SIGNEDBYTE";
  expect(ours.sampleType === "int8").toBe(signed);
  expect(ours.nodata).toEqual(band0.noDataValue ?? null);
  if (gdal.geoTransform) {
    expect(ours.georeferenced).toBe(true);
    gdal.geoTransform.forEach((v, i) => expect(ours.geoTransform[i]).toBeCloseTo(v, 9));
  } else {
    expect(ours.georeferenced).toBe(false);
  }
  const epsg = epsgFromWkt(gdal.coordinateSystem?.wkt);
  expect(ours.epsg).toBe(epsg);
  for (const b of gdal.bands) expect([ours.block.width, ours.block.height]).toEqual(b.block);
  expect(ours.compression).toBe(structure.COMPRESSION ?? "NONE");
  expect(ours.interleave).toBe(structure.INTERLEAVE ?? "BAND");
  if (structure.PREDICTOR) expect(String(ours.predictor)).toBe(structure.PREDICTOR);
  expect(ours.overviews.map((o) => [o.width, o.height])).toEqual((band0.overviews ?? []).map((o) => o.size));
  expect(ours.bandDescriptions).toEqual(gdal.bands.map((b) => b.description ?? ""));
  const ll = gdalLonLatBounds(gdal);
  if (ll && ours.lonLatBounds) {
    // gdalinfo uses the four corners; we densify the edges: equal to ~1 m here.
    expect(ours.lonLatBounds.minX).toBeCloseTo(ll.minX, 5);
    expect(ours.lonLatBounds.minY).toBeCloseTo(ll.minY, 5);
    expect(ours.lonLatBounds.maxX).toBeCloseTo(ll.maxX, 5);
    expect(ours.lonLatBounds.maxY).toBeCloseTo(ll.maxY, 5);
  } else {
    expect(ours.lonLatBounds).toBeNull();
  }
}
