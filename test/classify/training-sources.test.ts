import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackendUnavailableError, UnknownClassCodeError } from "../../src/classify/errors.js";
import { requestedBackend, useBackend } from "../../src/classify/backend.js";
import {
  gbt21010Meaning,
  loadPolygonTraining,
  loadRasterPairs,
  readClassMapping,
} from "../../src/classify/training-sources.js";
import { ConfigError } from "../../src/core/errors.js";
import type { Affine } from "../../src/core/raster-types.js";
import { writeGeoTiff } from "../../src/ingest/geotiff-writer.js";
import { SMALL_CLASSES, SMALL_SPEC } from "./helpers.js";

// 64×64 px of 4 m in UTM 50N; polygons below cover the left and right halves.
const AFFINE: Affine = {
  originX: 500000,
  pixelWidth: 4,
  rowRotation: 0,
  originY: 3600000,
  colRotation: 0,
  pixelHeight: -4,
};
let dir: string;
let image: string;

function square(x0: number, x1: number, code: string): object {
  const [a, b] = [500000 + 4 * x0, 500000 + 4 * x1];
  return {
    type: "Feature",
    properties: { DLBM: code },
    geometry: {
      type: "Polygon",
      coordinates: [
        [
          [a, 3600000],
          [b, 3600000],
          [b, 3599744],
          [a, 3599744],
          [a, 3600000],
        ],
      ],
    },
  };
}

async function layer(name: string, codes: [string, string]): Promise<string> {
  const file = path.join(dir, name);
  const fc = {
    type: "FeatureCollection",
    crs: { type: "name", properties: { name: "urn:ogc:def:crs:EPSG::32650" } },
    features: [square(0, 32, codes[0]), square(32, 64, codes[1])],
  };
  await writeFile(file, JSON.stringify(fc));
  return file;
}

beforeAll(async () => {
  await useBackend("wasm");
  dir = await mkdtemp(path.join(tmpdir(), "patrol-train-src-"));
  image = path.join(dir, "rgb-64x64.tif");
  const band = new Uint8Array(64 * 64).fill(120);
  await writeGeoTiff(
    image,
    { width: 64, height: 64, bandCount: 3, sampleType: "uint8", affine: AFFINE, crs: "EPSG:32650" },
    [band, band, band],
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("training from polygons", () => {
  it("maps GB/T 21010 codes exactly, then by first-level prefix", () => {
    expect(gbt21010Meaning("0101")).toEqual(["cropland"]);
    expect(gbt21010Meaning("0702")).toEqual(["built_up"]);
    expect(gbt21010Meaning("1104")).toEqual(["pond"]);
    expect(gbt21010Meaning("0201")).toEqual(["orchard"]);
    expect(gbt21010Meaning("9999")).toBeUndefined();
  });

  it("burns class codes onto the image grid as labels", async () => {
    const file = await layer("ok.geojson", ["0103", "0702"]);
    const images = await loadPolygonTraining(
      { image, polygons: file, classField: "DLBM", codeMap: null, profile: "rgb" },
      SMALL_SPEC,
      SMALL_CLASSES,
    );
    expect(images).toHaveLength(1);
    const img = images[0]!;
    const cropland = 1 << SMALL_CLASSES.indexOf("cropland");
    const builtUp = 1 << SMALL_CLASSES.indexOf("built_up");
    expect(img.allowed[10 * 64 + 5]).toBe(cropland);
    expect(img.allowed[10 * 64 + 60]).toBe(builtUp);
    expect(img.pixels[0]).toBeCloseTo(120 / 255, 6);
  });

  it("refuses an unknown class code with the feature, field and code", async () => {
    const file = await layer("bad.geojson", ["0101", "9999"]);
    const err = await loadPolygonTraining(
      { image, polygons: file, classField: "DLBM", codeMap: null, profile: "rgb" },
      SMALL_SPEC,
      SMALL_CLASSES,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownClassCodeError);
    expect(err).toMatchObject({ field: "DLBM", code: "9999", featureIndex: 1, permanent: true });
    // With an explicit map, codes outside it are unknown too.
    const mapped = readClassMapping({ "0101": "cropland" }, "map.json");
    await expect(
      loadPolygonTraining(
        { image, polygons: file, classField: "DLBM", codeMap: mapped, profile: "rgb" },
        SMALL_SPEC,
        SMALL_CLASSES,
      ),
    ).rejects.toBeInstanceOf(UnknownClassCodeError);
  });

  it("refuses class mappings naming classes that do not exist", () => {
    expect(() => readClassMapping({ "1": "wheat" }, "map.json")).toThrow(ConfigError);
    expect(readClassMapping({ "2": ["trees", "orchard"], "5": "ignore" }, "m").get("2")).toEqual([
      "trees",
      "orchard",
    ]);
  });
});

describe("training from label rasters", () => {
  it("reads NAME.tif + NAME_label.tif pairs through the label mapping, nodata ignored", async () => {
    const pairs = path.join(dir, "pairs");
    await mkdir(pairs, { recursive: true });
    const band = Uint8Array.from({ length: 64 * 64 }, (_, i) => (i < 64 ? 0 : 100));
    const grid = { width: 64, height: 64, affine: AFFINE, crs: "EPSG:32650" };
    await writeGeoTiff(
      path.join(pairs, "scene.tif"),
      { ...grid, bandCount: 3, sampleType: "uint8", nodata: 0 },
      [band, band, band],
    );
    const labels = Uint8Array.from({ length: 64 * 64 }, (_, i) => (i % 64 < 32 ? 1 : 2));
    await writeGeoTiff(path.join(pairs, "scene_label.tif"), { ...grid, bandCount: 1, sampleType: "uint8" }, [
      labels,
    ]);
    const mapping = readClassMapping({ "1": "cropland", "2": ["trees", "orchard"] }, "map");
    const images = await loadRasterPairs(pairs, "rgb", SMALL_SPEC, mapping, SMALL_CLASSES);
    expect(images.map((i) => i.id)).toEqual(["scene/0_0"]);
    const img = images[0]!;
    expect(img.allowed[0]).toBe(0); // first row is nodata in the image
    expect(img.allowed[64 + 3]).toBe(1 << SMALL_CLASSES.indexOf("cropland"));
    expect(img.allowed[64 + 40]).toBe(1 << SMALL_CLASSES.indexOf("trees")); // orchard is not a model class here
    await expect(
      loadRasterPairs(pairs, "rgb", SMALL_SPEC, readClassMapping({ "1": "cropland" }, "map"), SMALL_CLASSES),
    ).rejects.toThrow(/label value 2 .* not in the class mapping/);
  });
});

describe("backend selection", () => {
  it("defaults to wasm, reads PATROL_TF_BACKEND, and rejects unknown names", () => {
    const saved = process.env.PATROL_TF_BACKEND;
    try {
      delete process.env.PATROL_TF_BACKEND;
      expect(requestedBackend()).toBe("wasm");
      process.env.PATROL_TF_BACKEND = "cpu";
      expect(requestedBackend()).toBe("cpu");
      expect(requestedBackend("wasm")).toBe("wasm");
      expect(() => requestedBackend("gpu")).toThrow(BackendUnavailableError);
    } finally {
      if (saved === undefined) delete process.env.PATROL_TF_BACKEND;
      else process.env.PATROL_TF_BACKEND = saved;
    }
  });

  it("says clearly when tfjs-node is asked for but not installed", async () => {
    let installed = true;
    try {
      await import("@tensorflow/tfjs-node" as string);
    } catch {
      installed = false;
    }
    if (installed) return;
    await expect(useBackend("node")).rejects.toThrow(/tfjs-node is not installed/);
  });
});
