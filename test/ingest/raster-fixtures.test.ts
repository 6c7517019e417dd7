/**
 * Generated GeoTIFFs in every layout the reader claims to handle (strips/tiles, pixel/band
 * interleave, NONE/DEFLATE/LZW/PACKBITS/ZSTD/LERC/JPEG, predictors 2 and 3, big-endian, BigTIFF,
 * all eight sample types, NaN nodata, sparse blocks, internal overviews), each built in the test
 * from a seeded generator with gdal_translate and read back against GDAL. Georeferencing edge
 * cases (PixelIsPoint, ModelTransformation, negative ScaleY, no georeferencing, user-defined
 * CRS) are checked against gdalinfo.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RasterFormatError } from "../../src/core/errors.js";
import type { SampleType, TypedSamples } from "../../src/core/raster-types.js";
import { describeRaster, rasterInfoToJson } from "../../src/ingest/info.js";
import { LocalFileSource } from "../../src/ingest/byte-source.js";
import { openRaster } from "../../src/ingest/raster-source.js";
import { scanTiffStructure } from "../../src/ingest/tiff-structure.js";
import { noSharedData, noTools, sharedData } from "../support/environment.js";
import {
  expectInfoMatchesGdal,
  firstDifference,
  gdalInfo,
  gdalRead,
  makeTempDir,
  randomBands,
  randomWindow,
  run,
  seededRandom,
  sliceWindow,
  writeEnvi,
} from "./raster-gdal.js";

const WIDTH = 301;
const HEIGHT = 203;

const CTORS: Record<SampleType, new (n: number) => TypedSamples> = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};

/**
 * Smooth fields plus seeded noise, scaled to the type's range (negative values for signed
 * types, fractions for floats). With `hole`, a rectangle is set to `holeValue` (nodata/NaN),
 * covering whole 64×64 blocks so sparse writing can skip them.
 */
function synth(type: SampleType, bands: number, seed: number, hole?: number): TypedSamples[] {
  const rand = seededRandom(seed);
  const scale: Record<SampleType, [number, number]> = {
    uint8: [255, 0],
    int8: [250, -125],
    uint16: [65000, 0],
    int16: [64000, -32000],
    uint32: [4.2e9, 0],
    int32: [4.2e9, -2.1e9],
    float32: [2000, -1000],
    float64: [2e6, -1e6],
  };
  const [mul, add] = scale[type];
  return Array.from({ length: bands }, (_, b) => {
    const out = new CTORS[type](WIDTH * HEIGHT);
    for (let y = 0; y < HEIGHT; y++) {
      for (let x = 0; x < WIDTH; x++) {
        const v = 0.5 + 0.3 * Math.sin(x / 17 + b) * Math.cos(y / 23 - b) + 0.19 * (rand() - 0.5);
        const inHole = hole !== undefined && x >= 64 && x < 192 && y >= 64 && y < 128;
        out[y * WIDTH + x] = inHole
          ? hole
          : type.startsWith("float")
            ? v * mul + add
            : Math.round(v * mul + add);
      }
    }
    return out;
  });
}

const skip = noTools("gdal_translate", "gdalinfo", "gdaladdo");
const tmp = makeTempDir("raster-fixtures");
afterAll(() => tmp.remove());

interface Fixture {
  readonly name: string;
  readonly type: SampleType;
  readonly bands: number;
  readonly args: readonly string[];
  readonly hole?: number;
  readonly overviews?: readonly string[];
}

const GEO = ["-a_srs", "EPSG:32650", "-a_ullr", "500000", "4000000", "503010", "3997970"];

const FIXTURES: readonly Fixture[] = [
  { name: "uint8-1band-strips7-none", type: "uint8", bands: 1, args: ["-co", "BLOCKYSIZE=7"] },
  { name: "uint8-3band-strips5-none-pixel", type: "uint8", bands: 3, args: ["-co", "BLOCKYSIZE=5"] },
  {
    name: "uint16-3band-tiled64-deflate-pred2",
    type: "uint16",
    bands: 3,
    args: [
      "-co",
      "TILED=YES",
      "-co",
      "BLOCKXSIZE=64",
      "-co",
      "BLOCKYSIZE=64",
      "-co",
      "COMPRESS=DEFLATE",
      "-co",
      "PREDICTOR=2",
    ],
  },
  {
    name: "int16-4band-tiled32x48-lzw-band",
    type: "int16",
    bands: 4,
    args: [
      "-co",
      "TILED=YES",
      "-co",
      "BLOCKXSIZE=32",
      "-co",
      "BLOCKYSIZE=48",
      "-co",
      "COMPRESS=LZW",
      "-co",
      "INTERLEAVE=BAND",
    ],
  },
  {
    name: "uint8-3band-strips-lzw-pred2",
    type: "uint8",
    bands: 3,
    args: ["-co", "COMPRESS=LZW", "-co", "PREDICTOR=2", "-co", "BLOCKYSIZE=9"],
  },
  {
    name: "uint16-2band-tiled-lzw",
    type: "uint16",
    bands: 2,
    args: ["-co", "TILED=YES", "-co", "BLOCKXSIZE=48", "-co", "BLOCKYSIZE=32", "-co", "COMPRESS=LZW"],
  },
  {
    name: "int8-2band-strips-packbits",
    type: "int8",
    bands: 2,
    args: ["-co", "PIXELTYPE=SIGNEDBYTE", "-co", "COMPRESS=PACKBITS", "-co", "BLOCKYSIZE=16"],
  },
  {
    name: "uint32-2band-tiled-zstd-pred2",
    type: "uint32",
    bands: 2,
    args: ["-co", "TILED=YES", "-co", "COMPRESS=ZSTD", "-co", "PREDICTOR=2"],
  },
  {
    name: "int32-3band-strips-deflate-pred2-bigendian",
    type: "int32",
    bands: 3,
    args: ["-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=2", "-co", "ENDIANNESS=BIG", "-co", "BLOCKYSIZE=10"],
  },
  {
    name: "float32-2band-tiled-deflate-pred3-nan-nodata",
    type: "float32",
    bands: 2,
    hole: Number.NaN,
    args: [
      "-a_nodata",
      "nan",
      "-co",
      "TILED=YES",
      "-co",
      "BLOCKXSIZE=64",
      "-co",
      "BLOCKYSIZE=64",
      "-co",
      "COMPRESS=DEFLATE",
      "-co",
      "PREDICTOR=3",
    ],
  },
  {
    name: "float64-2band-strips-lzw-pred3-bigendian",
    type: "float64",
    bands: 2,
    args: ["-co", "COMPRESS=LZW", "-co", "PREDICTOR=3", "-co", "ENDIANNESS=BIG"],
  },
  {
    name: "float32-1band-tiled-lerc-lossless",
    type: "float32",
    bands: 1,
    args: ["-co", "TILED=YES", "-co", "COMPRESS=LERC", "-co", "MAX_Z_ERROR=0"],
  },
  {
    name: "float32-3band-tiled-lerc-deflate-pixel",
    type: "float32",
    bands: 3,
    args: ["-co", "TILED=YES", "-co", "COMPRESS=LERC_DEFLATE", "-co", "MAX_Z_ERROR=0"],
  },
  {
    name: "uint16-3band-bigtiff-tiled-deflate-band-bigendian",
    type: "uint16",
    bands: 3,
    args: [
      "-co",
      "BIGTIFF=YES",
      "-co",
      "TILED=YES",
      "-co",
      "COMPRESS=DEFLATE",
      "-co",
      "INTERLEAVE=BAND",
      "-co",
      "ENDIANNESS=BIG",
    ],
  },
  {
    name: "uint16-2band-tiled-deflate-sparse-nodata7",
    type: "uint16",
    bands: 2,
    hole: 7,
    args: [
      "-a_nodata",
      "7",
      "-co",
      "TILED=YES",
      "-co",
      "BLOCKXSIZE=64",
      "-co",
      "BLOCKYSIZE=64",
      "-co",
      "COMPRESS=DEFLATE",
      "-co",
      "SPARSE_OK=TRUE",
    ],
  },
  {
    name: "uint16-4band-tiled-deflate-overviews",
    type: "uint16",
    bands: 4,
    args: ["-co", "TILED=YES", "-co", "BLOCKXSIZE=64", "-co", "BLOCKYSIZE=64", "-co", "COMPRESS=DEFLATE"],
    overviews: ["-r", "average", "2", "4", "8"],
  },
  {
    name: "float32-1band-strips-none-overviews-nearest",
    type: "float32",
    bands: 1,
    args: [],
    overviews: ["-r", "nearest", "2", "3"],
  },
];

function build(f: Fixture, extraArgs: readonly string[] = GEO): string {
  const raw = writeEnvi(
    path.join(tmp.dir, `${f.name}.bin`),
    WIDTH,
    HEIGHT,
    f.type,
    synth(f.type, f.bands, f.name.length * 31 + f.bands, f.hole),
  );
  const out = path.join(tmp.dir, `${f.name}.tif`);
  run("gdal_translate", ["-q", ...extraArgs, ...f.args, raw, out]);
  if (f.overviews) run("gdaladdo", ["-q", ...f.overviews.slice(0, 2), out, ...f.overviews.slice(2)]);
  return out;
}

async function expectSameAsGdal(file: string, seed: number): Promise<void> {
  const src = await openRaster(file);
  try {
    const ref = gdalRead(file, src.sampleType, tmp.dir);
    const full = await src.read({ x0: 0, y0: 0, x1: src.width, y1: src.height });
    full.bands.forEach((b, i) => expect(firstDifference(b, ref.bands[i]!), `band ${i}`).toBe(-1));
    const rand = seededRandom(seed);
    for (let k = 0; k < 25; k++) {
      const w = randomWindow(rand, src.width, src.height);
      const bands = randomBands(rand, src.bandCount);
      const got = await src.read(w, { bands });
      got.bands.forEach((b, i) =>
        expect(
          firstDifference(b, sliceWindow(ref.bands[bands[i]!]!, src.width, w)),
          `${JSON.stringify(w)} b${bands[i]}`,
        ).toBe(-1),
      );
    }
    for (let o = 1; o <= src.overviews.length; o++) {
      const ov = src.overviews[o - 1]!;
      const theirs = gdalRead(file, src.sampleType, tmp.dir, { overview: o });
      const ours = await src.read({ x0: 0, y0: 0, x1: ov.width, y1: ov.height }, { overview: o });
      ours.bands.forEach((b, i) =>
        expect(firstDifference(b, theirs.bands[i]!), `overview ${o} band ${i}`).toBe(-1),
      );
      const w = randomWindow(rand, ov.width, ov.height);
      const part = await src.read(w, { overview: o, bands: [src.bandCount - 1] });
      expect(
        firstDifference(part.bands[0]!, sliceWindow(theirs.bands[src.bandCount - 1]!, ov.width, w)),
      ).toBe(-1);
    }
    expectInfoMatchesGdal(rasterInfoToJson(describeRaster(src)), gdalInfo(file));
  } finally {
    await src.close();
  }
}

describe.skipIf(skip)("generated GeoTIFF fixtures read the same as GDAL", () => {
  it.each(FIXTURES.map((f) => [f.name, f] as const))("%s", async (_name, f) => {
    const file = build(f);
    await expectSameAsGdal(file, f.name.length);
  });

  it("reads the same values from the worker pool and from geotiff's pako as from native zlib", async () => {
    const f = FIXTURES.find((x) => x.name === "int16-4band-tiled32x48-lzw-band")!;
    const g = FIXTURES.find((x) => x.name === "uint16-3band-tiled64-deflate-pred2")!;
    for (const file of [build(f), build(g)]) {
      const a = await openRaster(file);
      const b = await openRaster(file, { decodeWorkers: 2 });
      const c = await openRaster(file, { nativeDeflate: false });
      const w = { x0: 13, y0: 7, x1: 250, y1: 190 };
      const [ra, rb, rc] = await Promise.all([a.read(w), b.read(w), c.read(w)]);
      ra.bands.forEach((band, i) => {
        expect(firstDifference(band, rb.bands[i]!)).toBe(-1);
        expect(firstDifference(band, rc.bands[i]!)).toBe(-1);
      });
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it.skipIf(noSharedData())(
    "decodes YCbCr JPEG of a real NAIP quad to RGB close to libjpeg (chroma upsampling differs at colour edges)",
    async () => {
      const file = path.join(tmp.dir, "naip-ycbcr-jpeg.tif");
      const naip = sharedData("naip", "m_4709963_se_14_1_20090818.tif");
      run("gdal_translate", [
        "-q",
        "-b",
        "1",
        "-b",
        "2",
        "-b",
        "3",
        "-co",
        "TILED=YES",
        "-co",
        "COMPRESS=JPEG",
        "-co",
        "PHOTOMETRIC=YCBCR",
        naip,
        file,
      ]);
      const src = await openRaster(file);
      const ours = await src.read({ x0: 0, y0: 0, x1: src.width, y1: src.height });
      await src.close();
      const ref = gdalRead(file, "uint8", tmp.dir);
      const diffs = new Uint32Array(256);
      let total = 0;
      ours.bands.forEach((b, i) => {
        for (let k = 0; k < b.length; k++) {
          const d = Math.abs(b[k]! - ref.bands[i]![k]!);
          diffs[d]!++;
          total += d;
        }
      });
      const n = ours.bands.length * ours.width * ours.height;
      let below = 0;
      let p99 = 0;
      while (below + diffs[p99]! < 0.99 * n) below += diffs[p99++]!;
      expect(total / n).toBeLessThan(0.6);
      expect(p99).toBeLessThanOrEqual(3);
      expect(diffs.findLastIndex((c) => c > 0)).toBeLessThanOrEqual(16);
    },
  );

  it("decodes JPEG-compressed RGB within 1 grey level of libjpeg", async () => {
    const f: Fixture = {
      name: "uint8-3band-tiled-jpeg",
      type: "uint8",
      bands: 3,
      args: ["-co", "TILED=YES", "-co", "COMPRESS=JPEG", "-co", "PHOTOMETRIC=RGB", "-co", "JPEG_QUALITY=90"],
    };
    const file = build(f);
    const src = await openRaster(file);
    const ours = await src.read({ x0: 0, y0: 0, x1: WIDTH, y1: HEIGHT });
    await src.close();
    const ref = gdalRead(file, "uint8", tmp.dir);
    ours.bands.forEach((b, i) => {
      let worst = 0;
      for (let k = 0; k < b.length; k++) worst = Math.max(worst, Math.abs(b[k]! - ref.bands[i]![k]!));
      expect(worst, `band ${i}`).toBeLessThanOrEqual(1);
    });
  });
});

describe.skipIf(skip)("georeferencing edge cases match gdalinfo", () => {
  const base: Fixture = { name: "geo-base", type: "uint8", bands: 1, args: [] };

  it("PixelIsPoint: the origin moves half a pixel up-left, as in GDAL", async () => {
    const file = build({ ...base, name: "geo-pixel-is-point" }, [...GEO, "-mo", "AREA_OR_POINT=Point"]);
    const src = await openRaster(file);
    await src.close();
    expect(src.pixelIsPoint).toBe(true);
    const gt = gdalInfo(file).geoTransform!;
    expect(src.affine.originX).toBeCloseTo(gt[0]!, 9);
    expect(src.affine.originY).toBeCloseTo(gt[3]!, 9);
    expectInfoMatchesGdal(rasterInfoToJson(describeRaster(src)), gdalInfo(file));
  });

  it("a rotated grid (ModelTransformation) gives GDAL's six coefficients", async () => {
    const raw = writeEnvi(path.join(tmp.dir, "rot.bin"), WIDTH, HEIGHT, "uint8", synth("uint8", 1, 5));
    const vrt = path.join(tmp.dir, "rot.vrt");
    writeFileSync(
      vrt,
      `<VRTDataset rasterXSize="${WIDTH}" rasterYSize="${HEIGHT}">
  <SRS>EPSG:32650</SRS>
  <GeoTransform>500000, 9.8, 1.7, 4000000, 1.3, -9.9</GeoTransform>
  <VRTRasterBand dataType="Byte" band="1"><SimpleSource><SourceFilename relativeToVRT="0">${raw}</SourceFilename><SourceBand>1</SourceBand></SimpleSource></VRTRasterBand>
</VRTDataset>`,
    );
    const file = path.join(tmp.dir, "rot.tif");
    run("gdal_translate", ["-q", vrt, file]);
    const src = await openRaster(file);
    await src.close();
    expect(src.affine).toEqual({
      originX: 500000,
      pixelWidth: 9.8,
      rowRotation: 1.7,
      originY: 4000000,
      colRotation: 1.3,
      pixelHeight: -9.9,
    });
    expectInfoMatchesGdal(rasterInfoToJson(describeRaster(src)), gdalInfo(file));
  });

  it("a negative ScaleY is read as north-up, as GDAL does (the sign is never assumed)", async () => {
    const file = build({ ...base, name: "geo-negative-scale-y" });
    const bytes = await LocalFileSource.open(file);
    const tiff = await scanTiffStructure(bytes);
    await bytes.close();
    const scale = tiff.directories[0]!.entries.get(33550)!;
    const buf = readFileSync(file);
    const y = buf.readDoubleLE(scale.valueOffset + 8);
    buf.writeDoubleLE(-y, scale.valueOffset + 8);
    writeFileSync(file, buf);
    const src = await openRaster(file);
    await src.close();
    const gt = gdalInfo(file).geoTransform!;
    expect(src.affine.pixelHeight).toBe(gt[5]);
    expect(src.affine.pixelHeight).toBeLessThan(0);
    expect(src.affine.originY).toBe(gt[3]);
  });

  it("a file without georeferencing gets GDAL's identity transform and no CRS", async () => {
    const file = build({ ...base, name: "geo-none" }, []);
    const src = await openRaster(file);
    await src.close();
    expect(src.georeferenced).toBe(false);
    expect(src.crs).toBeNull();
    const info = describeRaster(src);
    expect(info.lonLatBounds).toBeNull();
    expectInfoMatchesGdal(rasterInfoToJson(info), gdalInfo(file));
  });

  it("CGCS2000 (EPSG:4490) is named by its code", async () => {
    const file = build({ ...base, name: "geo-4490" }, [
      "-a_srs",
      "EPSG:4490",
      "-a_ullr",
      "111",
      "41",
      "111.3",
      "40.8",
    ]);
    const src = await openRaster(file);
    await src.close();
    expect(src.crs).toBe("EPSG:4490");
    expectInfoMatchesGdal(rasterInfoToJson(describeRaster(src)), gdalInfo(file));
  });

  it("a user-defined CRS is refused with a message that says so and how to fix it", async () => {
    const srs = "+proj=tmerc +lat_0=0 +lon_0=117 +k=1 +x_0=500000 +y_0=0 +ellps=krass +units=m +no_defs";
    const file = build({ ...base, name: "geo-user-defined" }, [
      "-a_srs",
      srs,
      "-a_ullr",
      "500000",
      "4000000",
      "503010",
      "3997970",
    ]);
    const err = await openRaster(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RasterFormatError);
    expect((err as RasterFormatError).name).toBe("RasterFormatError");
    expect((err as RasterFormatError).message).toContain(file);
    expect((err as RasterFormatError).message).toMatch(/user-defined projected CRS.*gdalwarp -t_srs EPSG/);
    const lenient = await openRaster(file, { allowUnknownCrs: true });
    await lenient.close();
    expect(lenient.crs).toBeNull();
    expect(lenient.crsProblem).toMatch(/user-defined/);
    expect(describeRaster(lenient).lonLatProblem).toMatch(/user-defined/);
  });
});
