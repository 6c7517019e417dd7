import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fromFile } from "geotiff";
import { afterAll, describe, expect, it } from "vitest";
import type { Affine, SampleType, TypedSamples } from "../../src/core/raster-types.js";
import {
  openGeoTiffWriter,
  RasterWriteError,
  writeGeoTiff,
  type GeoTiffWriteOptions,
} from "../../src/ingest/geotiff-writer.js";
import { noTools } from "../support/environment.js";

const dir = mkdtempSync(path.join(tmpdir(), "geotiff-writer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const utm: Affine = {
  originX: 500000,
  pixelWidth: 10,
  rowRotation: 0,
  originY: 4000000,
  colRotation: 0,
  pixelHeight: -10,
};

/** Deterministic generator (mulberry32) so failures are reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAKERS: Record<SampleType, (n: number) => TypedSamples> = {
  uint8: (n) => new Uint8Array(n),
  int8: (n) => new Int8Array(n),
  uint16: (n) => new Uint16Array(n),
  int16: (n) => new Int16Array(n),
  uint32: (n) => new Uint32Array(n),
  int32: (n) => new Int32Array(n),
  float32: (n) => new Float32Array(n),
  float64: (n) => new Float64Array(n),
};

const RANGES: Record<SampleType, [number, number]> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
  float32: [-1e6, 1e6],
  float64: [-1e12, 1e12],
};

/** A band mixing a smooth ramp (what the predictor helps) with noise and the type's extremes. */
function band(type: SampleType, width: number, height: number, seed: number): TypedSamples {
  const rnd = seeded(seed);
  const [lo, hi] = RANGES[type];
  const a = MAKERS[type](width * height);
  const float = type.startsWith("float");
  for (let i = 0; i < a.length; i++) {
    const x = i % width;
    const v = rnd() < 0.3 ? lo + rnd() * (hi - lo) : lo + ((x * 37 + Math.floor(i / width) * 11) % 200);
    a[i] = float ? v : Math.round(v);
  }
  a[0] = lo;
  a[a.length - 1] = hi;
  if (float) a[5] = NaN;
  return a;
}

function bytesOf(arrays: readonly TypedSamples[]): Buffer {
  return Buffer.concat(arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
}

function run(cmd: string, args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

interface GdalInfoBand {
  type: string;
  description?: string;
  noDataValue?: number | string;
  checksum?: number;
  colorInterpretation?: string;
  colorTable?: { count: number; entries: number[][] };
  metadata?: Record<string, Record<string, string>>;
}

interface GdalInfo {
  size: [number, number];
  geoTransform?: number[];
  coordinateSystem?: { wkt: string };
  metadata?: Record<string, Record<string, string>>;
  bands: GdalInfoBand[];
}

function gdalinfo(file: string, ...extra: string[]): { info: GdalInfo; stderr: string } {
  const r = run("gdalinfo", ["-json", ...extra, file]);
  return { info: JSON.parse(r.stdout) as GdalInfo, stderr: r.stderr };
}

function epsgOf(info: GdalInfo): number | null {
  const m = /ID\["EPSG",(\d+)\]\]\s*$/.exec(info.coordinateSystem?.wkt ?? "");
  return m ? Number(m[1]) : null;
}

const TYPES: SampleType[] = ["uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64"];
const GDAL_TYPE: Record<SampleType, string> = {
  uint8: "Byte",
  int8: "Byte", // GDAL 3.6 reads SampleFormat=int, 8 bits as Byte with PIXELTYPE=SIGNEDBYTE
  uint16: "UInt16",
  int16: "Int16",
  uint32: "UInt32",
  int32: "Int32",
  float32: "Float32",
  float64: "Float64",
};

describe("writeGeoTiff read back with geotiff.js (hermetic)", () => {
  it.each(TYPES.flatMap((t) => [false, true].map((p) => [t, p] as const)))(
    "%s, predictor %s: pixels and georeference survive",
    async (type, predictor) => {
      const width = 70;
      const height = 45;
      const bands = [band(type, width, height, 1), band(type, width, height, 2)];
      const file = path.join(dir, `gtjs-${type}-${predictor}.tif`);
      await writeGeoTiff(
        file,
        {
          width,
          height,
          bandCount: 2,
          sampleType: type,
          affine: utm,
          crs: "EPSG:32651",
          predictor,
          tileSize: 32,
        },
        bands,
      );
      const tiff = await fromFile(file);
      const image = await tiff.getImage();
      expect([image.getWidth(), image.getHeight(), image.getSamplesPerPixel()]).toEqual([width, height, 2]);
      expect(image.getOrigin()).toEqual([500000, 4000000, 0]);
      expect(image.getResolution()).toEqual([10, -10, 0]);
      expect(image.getGeoKeys()).toMatchObject({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32651 });
      const read = (await image.readRasters({ interleave: false })) as unknown as TypedSamples[];
      expect(bytesOf(read.slice(0, 2))).toEqual(bytesOf(bands));
      await tiff.close();
    },
  );
});

describe.skipIf(noTools("gdalinfo", "gdal_translate"))("writeGeoTiff read back with GDAL", () => {
  it.each(TYPES.flatMap((t) => [false, true].map((p) => [t, p] as const)))(
    "%s, predictor %s: gdal_translate to raw gives identical pixels, checksum without warnings",
    (type, predictor) => {
      const width = 300; // not a multiple of the tile size: edge tiles are padded
      const height = 200;
      const bands = [0, 1, 2].map((b) => band(type, width, height, 10 + b));
      const file = path.join(dir, `gdal-${type}-${predictor}.tif`);
      return writeGeoTiff(
        file,
        {
          width,
          height,
          bandCount: 3,
          sampleType: type,
          affine: utm,
          crs: "EPSG:32651",
          predictor,
          tileSize: 128,
        },
        bands,
      ).then(() => {
        const raw = path.join(dir, `gdal-${type}-${predictor}.bin`);
        run("gdal_translate", ["-q", "-of", "ENVI", file, raw]); // band-sequential, little-endian
        expect(readFileSync(raw).equals(bytesOf(bands))).toBe(true);
        const { info, stderr } = gdalinfo(file, "-checksum");
        expect(stderr).toBe("");
        expect(info.size).toEqual([width, height]);
        expect(info.bands.map((b) => b.type)).toEqual([GDAL_TYPE[type], GDAL_TYPE[type], GDAL_TYPE[type]]);
        expect(info.bands.every((b) => typeof b.checksum === "number")).toBe(true);
        if (type === "int8") expect(info.bands[0]?.metadata?.IMAGE_STRUCTURE?.PIXELTYPE).toBe("SIGNEDBYTE");
      });
    },
  );

  it("writes EPSG, geotransform, nodata, band descriptions and metadata that gdalinfo reports", async () => {
    const file = path.join(dir, "probabilities.tif");
    const width = 33;
    const height = 20;
    const bands = [0, 1, 2].map((b) => band("uint8", width, height, 20 + b));
    await writeGeoTiff(
      file,
      {
        width,
        height,
        bandCount: 3,
        sampleType: "uint8",
        affine: utm,
        crs: "EPSG:32651",
        nodata: 255,
        bandDescriptions: ["耕地 cropland", "built-up & bare <excavation>", 'water "ponds"'],
        bandMetadata: [{ CLASS_ID: "1" }, { CLASS_ID: "2" }, {}],
        metadata: { RUN_ID: "2024-05", MODEL_ID: "tiny-unet@3" },
      },
      bands,
    );
    const { info, stderr } = gdalinfo(file, "-checksum");
    expect(stderr).toBe("");
    expect(info.size).toEqual([33, 20]);
    expect(epsgOf(info)).toBe(32651);
    expect(info.geoTransform).toEqual([500000, 10, 0, 4000000, 0, -10]);
    expect(info.bands.map((b) => b.noDataValue)).toEqual([255, 255, 255]);
    expect(info.bands.map((b) => b.description)).toEqual([
      "耕地 cropland",
      "built-up & bare <excavation>",
      'water "ponds"',
    ]);
    expect(info.metadata?.[""]).toMatchObject({
      RUN_ID: "2024-05",
      MODEL_ID: "tiny-unet@3",
      AREA_OR_POINT: "Area",
    });
    expect(info.bands[1]?.metadata?.[""]).toMatchObject({ CLASS_ID: "2" });
  });

  it("writes a geographic CRS (CGCS2000) and a NaN nodata for float32", async () => {
    const file = path.join(dir, "geographic.tif");
    const affine: Affine = {
      originX: 111.5,
      pixelWidth: 0.0001,
      rowRotation: 0,
      originY: 40.25,
      colRotation: 0,
      pixelHeight: -0.0001,
    };
    const data = band("float32", 40, 30, 5);
    await writeGeoTiff(
      file,
      { width: 40, height: 30, bandCount: 1, sampleType: "float32", affine, crs: "EPSG:4490", nodata: NaN },
      [data],
    );
    const { info, stderr } = gdalinfo(file, "-checksum");
    expect(stderr).toBe("");
    expect(epsgOf(info)).toBe(4490);
    expect(info.geoTransform).toEqual([111.5, 0.0001, 0, 40.25, 0, -0.0001]);
    expect(info.bands[0]?.noDataValue).toBe("NaN");
  });

  it("writes rotated and south-up affines as ModelTransformation", async () => {
    for (const [name, affine] of [
      [
        "rotated",
        {
          originX: 500000,
          pixelWidth: 10,
          rowRotation: 2,
          originY: 4000000,
          colRotation: -1.5,
          pixelHeight: -10,
        },
      ],
      [
        "south-up",
        {
          originX: 500000,
          pixelWidth: 10,
          rowRotation: 0,
          originY: 3990000,
          colRotation: 0,
          pixelHeight: 10,
        },
      ],
    ] as const) {
      const file = path.join(dir, `${name}.tif`);
      await writeGeoTiff(
        file,
        { width: 20, height: 10, bandCount: 1, sampleType: "uint16", affine, crs: "EPSG:32651" },
        [band("uint16", 20, 10, 3)],
      );
      const { info, stderr } = gdalinfo(file, "-checksum");
      expect(stderr).toBe("");
      expect(info.geoTransform).toEqual([
        affine.originX,
        affine.pixelWidth,
        affine.rowRotation,
        affine.originY,
        affine.colRotation,
        affine.pixelHeight,
      ]);
      expect(epsgOf(info)).toBe(32651);
    }
  });

  it("writes a colour table for a class map that QGIS shows as paletted", async () => {
    const file = path.join(dir, "classes.tif");
    const classes = new Uint8Array(64 * 64).map((_, i) => i % 4);
    await writeGeoTiff(
      file,
      {
        width: 64,
        height: 64,
        bandCount: 1,
        sampleType: "uint8",
        affine: utm,
        crs: "EPSG:32651",
        nodata: 0,
        colorTable: [
          { r: 0, g: 0, b: 0 },
          { r: 255, g: 255, b: 0 },
          { r: 200, g: 0, b: 0 },
          { r: 0, g: 0, b: 255 },
        ],
      },
      [classes],
    );
    const { info, stderr } = gdalinfo(file, "-checksum");
    expect(stderr).toBe("");
    expect(info.bands[0]?.colorInterpretation).toBe("Palette");
    expect(info.bands[0]?.colorTable?.count).toBe(256);
    // GDAL makes the nodata entry (0) transparent.
    expect(info.bands[0]?.colorTable?.entries.slice(0, 4)).toEqual([
      [0, 0, 0, 0],
      [255, 255, 0, 255],
      [200, 0, 0, 255],
      [0, 0, 255, 255],
    ]);
  });

  it("a raster written in irregular row chunks equals one written at once", async () => {
    const width = 150;
    const height = 140;
    const bands = [band("int16", width, height, 7), band("int16", width, height, 8)];
    const options: GeoTiffWriteOptions = {
      width,
      height,
      bandCount: 2,
      sampleType: "int16",
      affine: utm,
      crs: "EPSG:32651",
      nodata: -9999,
      tileSize: 64,
      predictor: true,
    };
    const file = path.join(dir, "chunked.tif");
    const writer = await openGeoTiffWriter(file, options);
    let y = 0;
    for (const rows of [1, 37, 64, 2, 36]) {
      await writer.writeRows(
        y,
        bands.map((b) => b.subarray(y * width, (y + rows) * width)),
      );
      y += rows;
    }
    expect(existsSync(file)).toBe(false); // nothing at the target path until finish()
    await writer.finish();
    expect(readdirSync(dir).filter((f) => f.startsWith("chunked.tif."))).toEqual([]);
    const raw = path.join(dir, "chunked.bin");
    execFileSync("gdal_translate", ["-q", "-of", "ENVI", file, raw]);
    expect(readFileSync(raw).equals(bytesOf(bands))).toBe(true);
    expect(gdalinfo(file, "-checksum").stderr).toBe("");
  });
});

describe("GeoTiffWriter refuses bad input with RasterWriteError", () => {
  const base: GeoTiffWriteOptions = {
    width: 10,
    height: 10,
    bandCount: 1,
    sampleType: "uint8",
    affine: utm,
    crs: "EPSG:32651",
  };

  it("refuses a raster that could exceed 4 GiB before creating any file", async () => {
    const file = path.join(dir, "huge.tif");
    const err = await openGeoTiffWriter(file, { ...base, width: 40000, height: 40000, bandCount: 3 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RasterWriteError);
    expect((err as RasterWriteError).permanent).toBe(true);
    expect((err as RasterWriteError).problem).toMatch(/4 GiB/);
    expect(readdirSync(dir).filter((f) => f.startsWith("huge.tif"))).toEqual([]);
  });

  it("refuses rows out of order, wrong array types, non-EPSG CRSs and unrepresentable nodata", async () => {
    const file = path.join(dir, "bad.tif");
    const writer = await openGeoTiffWriter(file, base);
    await expect(writer.writeRows(3, [new Uint8Array(10)])).rejects.toBeInstanceOf(RasterWriteError);
    await expect(writer.writeRows(0, [new Uint16Array(10)])).rejects.toBeInstanceOf(RasterWriteError);
    await expect(writer.finish()).rejects.toBeInstanceOf(RasterWriteError); // rows missing
    await writer.abort();
    expect(readdirSync(dir).filter((f) => f.startsWith("bad.tif"))).toEqual([]);
    await expect(openGeoTiffWriter(file, { ...base, crs: "+proj=longlat" })).rejects.toBeInstanceOf(
      RasterWriteError,
    );
    await expect(openGeoTiffWriter(file, { ...base, nodata: -1 })).rejects.toBeInstanceOf(RasterWriteError);
    await expect(
      openGeoTiffWriter(file, { ...base, bandCount: 2, colorTable: [{ r: 1, g: 2, b: 3 }] }),
    ).rejects.toBeInstanceOf(RasterWriteError);
  });
});
