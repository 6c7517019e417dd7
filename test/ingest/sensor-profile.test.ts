import { fromFile } from "geotiff";
import { describe, expect, it } from "vitest";
import { ConfigError, RangeRequestError, RasterFormatError } from "../../src/core/errors.js";
import type { TypedSamples } from "../../src/core/raster-types.js";
import type { RasterBlock } from "../../src/ingest/raster-source-types.js";
import {
  BUILTIN_SENSOR_PROFILES,
  checkBandCount,
  parseSensorProfile,
  profileBandIndices,
  requireBand,
  resolveSensorProfile,
  rgbnProfile,
  toReflectance,
  type SensorProfile,
} from "../../src/ingest/sensor-profile.js";
import { noSharedData, sharedData } from "../support/environment.js";

function block(
  bands: TypedSamples[],
  width: number,
  height: number,
  nodata: number | null,
  bandIndices?: number[],
): RasterBlock {
  return {
    window: { x0: 0, y0: 0, x1: width, y1: height },
    width,
    height,
    bandIndices: bandIndices ?? bands.map((_, i) => i),
    bands,
    sampleType: "uint16",
    nodata,
  };
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("built-in sensor profiles", () => {
  it("have the documented band layouts", () => {
    const s2 = resolveSensorProfile("sentinel2-l1c-13");
    expect(s2.bandCount).toBe(13);
    expect(s2.bands.map((b) => b.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(s2.bands.find((b) => b.name === "nir")?.index).toBe(7);
    expect(s2.bands.find((b) => b.name === "nir-narrow")?.index).toBe(8);
    expect(s2.bands.find((b) => b.name === "swir2")?.index).toBe(12);
    expect(s2.bands.every((b) => b.scale === 1e-4 && b.offset === 0)).toBe(true);
    const s10 = resolveSensorProfile("sentinel2-10");
    expect(s10.bands.map((b) => b.name)).toEqual([
      "blue",
      "green",
      "red",
      "red-edge-1",
      "red-edge-2",
      "red-edge-3",
      "nir",
      "nir-narrow",
      "swir1",
      "swir2",
    ]);
    for (const id of ["landsat-etm-6", "landsat-tm-6"]) {
      const l = resolveSensorProfile(id);
      expect(l.bands.map((b) => b.name)).toEqual(["blue", "green", "red", "nir", "swir1", "swir2"]);
      expect(l.bands[0]!.scale).toBeCloseTo(1 / 255, 12);
    }
    expect(resolveSensorProfile("rgbn").bands.map((b) => [b.name, b.scale])).toEqual([
      ["red", 1 / 255],
      ["green", 1 / 255],
      ["blue", 1 / 255],
      ["nir", 1 / 255],
    ]);
    expect(rgbnProfile(16).bands[3]).toEqual({ name: "nir", index: 3, scale: 1e-4, offset: 0 });
    expect(resolveSensorProfile("rgbn-16").id).toBe("rgbn-16");
    expect(resolveSensorProfile("rgb").bandCount).toBe(3);
    // Every built-in passes its own schema.
    for (const p of Object.values(BUILTIN_SENSOR_PROFILES))
      expect(parseSensorProfile(p, "builtin")).toEqual(p);
  });

  it("names what exists when a profile is unknown", () => {
    const e = configError(() => resolveSensorProfile("sentinel3", [], "manifest.yaml"));
    expect(e.message).toMatch(
      /manifest\.yaml: unknown sensor profile "sentinel3"; known: .*sentinel2-l1c-13/,
    );
    expect(() => resolveSensorProfile("constructor")).toThrow(ConfigError);
  });

  it("checks a raster's band count against the profile", () => {
    const s2 = resolveSensorProfile("sentinel2-l1c-13");
    expect(() => checkBandCount(s2, { source: "t.tif", bandCount: 13 })).not.toThrow();
    try {
      checkBandCount(s2, { source: "naip.tif", bandCount: 4 });
      throw new Error("expected a RasterFormatError");
    } catch (e) {
      expect(e).toBeInstanceOf(RasterFormatError);
      expect((e as RasterFormatError).message).toMatch(
        /^naip\.tif: has 4 bands, but sensor profile "sentinel2-l1c-13" expects 13/,
      );
    }
  });
});

describe("custom sensor profiles from config", () => {
  const good = {
    id: "gf1-wfv",
    description: "Gaofen-1 WFV with a cloud mask band",
    bandCount: 5,
    bands: [
      { name: "blue", index: 0, scale: 0.0001 },
      { name: "green", index: 1, scale: 0.0001 },
      { name: "red", index: 2, scale: 0.0001 },
      { name: "nir", index: 3, scale: 0.0001, offset: -0.01 },
    ],
    nodata: 0,
    quality: { index: 4, clear: [0] },
  };

  it("parses a valid profile, filling defaults", () => {
    const p = parseSensorProfile(good, "config.yaml");
    expect(p.bands[0]).toEqual({ name: "blue", index: 0, scale: 0.0001, offset: 0 });
    expect(p.bands[3]!.offset).toBe(-0.01);
    const minimal = parseSensorProfile({ id: "x", bandCount: 1, bands: [{ name: "pan", index: 0 }] }, "c");
    expect(minimal).toEqual({
      id: "x",
      description: "",
      bandCount: 1,
      bands: [{ name: "pan", index: 0, scale: 1, offset: 0 }],
      nodata: null,
      quality: null,
    });
  });

  it("rejects unknown keys with their path", () => {
    const e = configError(() =>
      parseSensorProfile(
        { ...good, bands: [{ name: "blue", index: 0, scael: 2 }], colour: "red" },
        "config.yaml",
        "sensorProfiles[1]",
      ),
    );
    expect(e.source).toBe("config.yaml");
    expect(e.message).toMatch(/sensorProfiles\[1\]\.bands\[0\]: unknown key "scael"/);
    expect(e.message).toMatch(/sensorProfiles\[1\]: unknown key "colour"/);
  });

  it("rejects bad values with their path", () => {
    const cases: [unknown, RegExp][] = [
      [{ ...good, bands: [{ name: "infrared", index: 0 }] }, /bands\[0\]\.name:/],
      [{ ...good, bands: [{ name: "red", index: 5 }] }, /bands\[0\]\.index: must be below bandCount \(5\)/],
      [
        {
          ...good,
          bands: [
            { name: "red", index: 0 },
            { name: "red", index: 1 },
          ],
        },
        /bands\[1\]\.name: "red" is used twice/,
      ],
      [
        {
          ...good,
          bands: [
            { name: "red", index: 1 },
            { name: "nir", index: 1 },
          ],
        },
        /bands\[1\]\.index: band 1 is used twice/,
      ],
      [{ ...good, quality: { index: 3, clear: [0] } }, /quality\.index: is also a spectral band/],
      [{ ...good, bands: [{ name: "red", index: 0, scale: 0 }] }, /bands\[0\]\.scale:/],
      [{ ...good, id: "Bad Id" }, /id: must be lower-case/],
      [{ ...good, bandCount: undefined }, /bandCount:/],
    ];
    for (const [input, message] of cases)
      expect(configError(() => parseSensorProfile(input, "c")).message).toMatch(message);
  });
});

describe("toReflectance", () => {
  const profile: SensorProfile = parseSensorProfile(
    {
      id: "t",
      bandCount: 3,
      bands: [
        { name: "red", index: 0, scale: 1e-4 },
        { name: "nir", index: 2, scale: 1e-4, offset: 0.01 },
      ],
      nodata: 65535,
      quality: null,
    },
    "test",
  );

  it("scales DN to reflectance and turns nodata into NaN", () => {
    const red = new Uint16Array([1000, 0, 2000, 65535]);
    const unused = new Uint16Array(4);
    const nir = new Uint16Array([3000, 4000, 0, 5000]);
    const r = toReflectance(profile, block([red, unused, nir], 2, 2, 0), "t.tif", { propagateNodata: false });
    expect(Array.from(r.red!)).toEqual([Math.fround(0.1), NaN, Math.fround(0.2), NaN]);
    expect(Array.from(r.nir!)).toEqual([Math.fround(0.31), Math.fround(0.41), NaN, Math.fround(0.51)]);
    const p = toReflectance(profile, block([red, unused, nir], 2, 2, 0), "t.tif");
    expect(Array.from(p.red!)).toEqual([Math.fround(0.1), NaN, NaN, NaN]);
    expect(Array.from(p.nir!)).toEqual([Math.fround(0.31), NaN, NaN, NaN]);
  });

  it("treats NaN samples and a NaN nodata as no data, and never takes 0 as 'no nodata'", () => {
    const f = new Float32Array([0, NaN, 0.5, 1]);
    const noNodata: SensorProfile = {
      ...profile,
      nodata: null,
      bands: [{ name: "red", index: 0, scale: 1, offset: 0 }],
    };
    const r = toReflectance(noNodata, { ...block([f], 2, 2, null), sampleType: "float32" }, "f.tif");
    expect(Array.from(r.red!)).toEqual([0, NaN, 0.5, 1]);
    const n = toReflectance(noNodata, { ...block([f], 2, 2, NaN), sampleType: "float32" }, "f.tif");
    expect(Array.from(n.red!)).toEqual([0, NaN, 0.5, 1]);
  });

  it("masks pixels the quality band does not mark clear", () => {
    const q: SensorProfile = { ...profile, nodata: null, quality: { index: 1, clear: [4, 5] } };
    const r = toReflectance(
      q,
      block(
        [new Uint16Array([1, 2, 3, 4]), new Uint16Array([4, 9, 5, 0]), new Uint16Array([5, 6, 7, 8])],
        2,
        2,
        null,
      ),
      "q.tif",
    );
    expect(Array.from(r.red!).map((v) => (Number.isNaN(v) ? "x" : Math.round(v * 1e4)))).toEqual([
      1,
      "x",
      3,
      "x",
    ]);
    expect(profileBandIndices(q)).toEqual([0, 2, 1]);
  });

  it("reuses the arrays it is given and reads bands by file index from a partial block", () => {
    const out = { red: new Float32Array(4), nir: new Float32Array(4) };
    // The block holds file bands 2 and 0 only, in that order.
    const b = block([new Uint16Array([10, 20, 30, 40]), new Uint16Array([1, 2, 3, 4])], 2, 2, null, [2, 0]);
    const r = toReflectance(profile, b, "p.tif", { out });
    expect(r.red).toBe(out.red);
    expect(r.nir).toBe(out.nir);
    expect(Array.from(out.red).map((v) => Math.round(v * 1e4))).toEqual([1, 2, 3, 4]);
    expect(requireBand(r, "nir", profile)).toBe(out.nir);
    expect(() => requireBand(r, "swir1", profile)).toThrow(ConfigError);
    expect(() => toReflectance(profile, block([new Uint16Array(4)], 2, 2, null, [0]), "p.tif")).toThrow(
      RangeRequestError,
    );
  });
});

describe.skipIf(noSharedData())("profiles against the real rasters in ../shared/data", () => {
  async function readAll(file: string): Promise<{ block: RasterBlock; bandCount: number }> {
    const tiff = await fromFile(file);
    try {
      const image = await tiff.getImage();
      const width = image.getWidth();
      const height = image.getHeight();
      const rasters = (await image.readRasters({ interleave: false })) as unknown as TypedSamples[];
      const bandCount = image.getSamplesPerPixel();
      const nd = image.getGDALNoData();
      return { block: block(Array.from(rasters), width, height, nd), bandCount };
    } finally {
      tiff.close();
    }
  }
  const mean = (a: Float32Array): number => {
    let s = 0;
    let n = 0;
    for (const v of a) {
      if (Number.isNaN(v)) continue;
      s += v;
      n++;
    }
    return s / n;
  };

  it("OSCD Sentinel-2 stacks fit sentinel2-l1c-13 and give TOA reflectance in 0–1", async () => {
    const s2 = resolveSensorProfile("sentinel2-l1c-13");
    const { block: b, bandCount } = await readAll(sharedData("oscd", "bercy_t1.tif"));
    checkBandCount(s2, { source: "bercy_t1.tif", bandCount });
    const r = toReflectance(s2, b, "bercy_t1.tif");
    for (const name of ["blue", "red", "nir", "swir1"] as const) {
      const m = mean(requireBand(r, name, s2));
      expect(m).toBeGreaterThan(0.02);
      expect(m).toBeLessThan(0.5);
    }
    expect(() =>
      checkBandCount(resolveSensorProfile("sentinel2-10"), { source: "bercy_t1.tif", bandCount }),
    ).toThrow(RasterFormatError);
  });

  it("the Taizhou ETM+ scene fits landsat-etm-6 and the NAIP quad fits rgbn (vegetation: NIR above red)", async () => {
    const etm = resolveSensorProfile("landsat-etm-6");
    const l = await readAll(sharedData("landsat", "taizhou_2000_etm.tif"));
    checkBandCount(etm, { source: "taizhou_2000_etm.tif", bandCount: l.bandCount });
    const lr = toReflectance(etm, l.block, "taizhou");
    expect(mean(lr.nir!)).toBeGreaterThan(0);
    expect(mean(lr.nir!)).toBeLessThan(1);
    const rgbn = resolveSensorProfile("rgbn");
    const n = await readAll(sharedData("naip", "m_4709963_se_14_1_20160816.tif"));
    checkBandCount(rgbn, { source: "naip", bandCount: n.bandCount });
    const nr = toReflectance(rgbn, n.block, "naip");
    expect(mean(nr.nir!)).toBeGreaterThan(mean(nr.red!));
  });
});
