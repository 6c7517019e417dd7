import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { VectorLayerError } from "../../src/core/errors.js";
import { mapToPixel, pixelToMap, windowAffine, type Affine } from "../../src/core/raster-types.js";
import { loadCountyBoundaries } from "../../src/ingest/county-layer.js";
import { castBurnValue, invertAffine, rasterizeLayer, type RasterGrid } from "../../src/ingest/rasterize.js";
import type { AreaGeometry, Ring } from "../../src/ingest/vector-geometry.js";
import {
  parseVectorLayer,
  reprojectLayer,
  type RawProperties,
  type VectorLayer,
} from "../../src/ingest/vector-layer.js";
import { noSharedData, noTools, sharedData } from "../support/environment.js";
import { gdalRasterize, pixelDifferences } from "./gdal-rasterize.js";
import { seededRandom } from "./seeded-random.js";

const tmp = mkdtempSync(path.join(tmpdir(), "rasterize-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A north-up grid whose map x = col * res + x0 and map y = y0 - row * res (y0 is the top edge). */
function northUp(
  x0: number,
  top: number,
  res: number,
  width: number,
  height: number,
  crs: string,
): RasterGrid {
  return {
    affine: { originX: x0, pixelWidth: res, rowRotation: 0, originY: top, colRotation: 0, pixelHeight: -res },
    width,
    height,
    crs,
  };
}

function layerOf(
  features: { geometry: AreaGeometry; v: number }[],
  crs = "EPSG:4326",
): VectorLayer<RawProperties> {
  const doc = {
    type: "FeatureCollection",
    ...(crs === "EPSG:4326"
      ? {}
      : { crs: { type: "name", properties: { name: `urn:ogc:def:crs:EPSG::${crs.slice(5)}` } } }),
    features: features.map((f) => ({ type: "Feature", properties: { v: f.v }, geometry: f.geometry })),
  };
  return parseVectorLayer(JSON.stringify(doc), "mem.geojson");
}

const rect = (x0: number, y0: number, x1: number, y1: number): Ring => [
  [x0, y0],
  [x1, y0],
  [x1, y1],
  [x0, y1],
  [x0, y0],
];

/** Rows of a burned array, top row first, for readable expectations. */
function rows(a: ArrayLike<number>, width: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.length; i += width)
    out.push(Array.from({ length: width }, (_, k) => a[i + k] as number));
  return out;
}

describe("rasterizeLayer basics", () => {
  // 6x4 pixels of 1 map unit, top-left corner at (0, 4): pixel (col,row) covers x col..col+1, y 3-row..4-row.
  const grid = northUp(0, 4, 1, 6, 4, "EPSG:4326");

  it("burns pixels whose centres are inside, holes excluded", () => {
    const layer = layerOf([
      {
        geometry: { type: "Polygon", coordinates: [rect(0.2, 0.2, 4.8, 3.8), rect(1.2, 1.2, 2.8, 2.8)] },
        v: 7,
      },
    ]);
    expect(rows(rasterizeLayer(layer, grid, { burn: { property: "v" } }), 6)).toEqual([
      [7, 7, 7, 7, 7, 0],
      [7, 0, 0, 7, 7, 0],
      [7, 0, 0, 7, 7, 0],
      [7, 7, 7, 7, 7, 0],
    ]);
  });

  it("with allTouched also burns every pixel the boundary touches", () => {
    // Map y 1.4..2.4 is pixel rows 1.6..2.6: only row 2's centre line (2.5) crosses it.
    const layer = layerOf([{ geometry: { type: "Polygon", coordinates: [rect(1.6, 1.4, 3.4, 2.4)] }, v: 1 }]);
    const centre = rasterizeLayer(layer, grid, { burn: 1 });
    const touched = rasterizeLayer(layer, grid, { burn: 1, allTouched: true });
    expect(rows(centre, 6)).toEqual([
      [0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
      [0, 0, 1, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
    ]);
    expect(rows(touched, 6)).toEqual([
      [0, 0, 0, 0, 0, 0],
      [0, 1, 1, 1, 0, 0],
      [0, 1, 1, 1, 0, 0],
      [0, 0, 0, 0, 0, 0],
    ]);
  });

  it("lets later features overwrite earlier ones and keeps what `out` held elsewhere", () => {
    const layer = layerOf([
      { geometry: { type: "Polygon", coordinates: [rect(0, 0, 4, 4)] }, v: 1 },
      { geometry: { type: "MultiPolygon", coordinates: [[rect(2, 2, 4, 4)], [rect(3, 1, 6, 3)]] }, v: 2 },
    ]);
    const out = new Uint8Array(24).fill(9);
    rasterizeLayer(layer, grid, { burn: { property: "v" }, out });
    expect(rows(out, 6)).toEqual([
      [1, 1, 2, 2, 9, 9],
      [1, 1, 2, 2, 2, 2],
      [1, 1, 1, 2, 2, 2],
      [1, 1, 1, 1, 9, 9],
    ]);
  });

  it("burns nothing for a polygon off the grid, and accepts a constant or a function", () => {
    const layer = layerOf([{ geometry: { type: "Polygon", coordinates: [rect(10, 10, 12, 12)] }, v: 3 }]);
    expect(rasterizeLayer(layer, grid, { burn: 5, init: 4 }).every((v) => v === 4)).toBe(true);
    const inside = layerOf([{ geometry: { type: "Polygon", coordinates: [rect(0, 0, 6, 4)] }, v: 3 }]);
    const burned = rasterizeLayer(inside, grid, { burn: (f) => f.index + 40, sampleType: "float32" });
    expect(burned).toBeInstanceOf(Float32Array);
    expect(burned.every((v) => v === 40)).toBe(true);
  });

  it("rejects a burn property that is not a number, naming the feature", () => {
    const layer = layerOf([
      { geometry: { type: "Polygon", coordinates: [rect(0, 0, 1, 1)] }, v: 1 },
      { geometry: { type: "Polygon", coordinates: [rect(0, 0, 1, 1)] }, v: "x" as unknown as number },
    ]);
    expect(() => rasterizeLayer(layer, grid, { burn: { property: "v" } })).toThrow(VectorLayerError);
    try {
      rasterizeLayer(layer, grid, { burn: { property: "v" } });
    } catch (e) {
      expect((e as VectorLayerError).featureIndex).toBe(1);
    }
  });

  it("converts values as GDAL stores them in the band type", () => {
    expect(castBurnValue(300, "uint8")).toBe(255);
    expect(castBurnValue(-1, "uint8")).toBe(0);
    expect(castBurnValue(2.5, "uint8")).toBe(3);
    expect(castBurnValue(2.49, "uint16")).toBe(2);
    expect(castBurnValue(-2.5, "int16")).toBe(-3);
    expect(castBurnValue(-2.4, "int32")).toBe(-2);
    expect(castBurnValue(Number.NaN, "int32")).toBe(0);
    expect(castBurnValue(152921, "uint32")).toBe(152921);
    expect(castBurnValue(0.1, "float32")).toBe(Math.fround(0.1));
  });

  it("inverts rotated affines as well as north-up ones", () => {
    const rotated: Affine = {
      originX: 500000,
      pixelWidth: 8.66,
      rowRotation: 5,
      originY: 4400000,
      colRotation: 5,
      pixelHeight: -8.66,
    };
    const inv = invertAffine(rotated);
    for (const [col, row] of [
      [0, 0],
      [10.5, 3.25],
      [-4, 700],
    ] as const) {
      const m = pixelToMap(rotated, col, row);
      expect(inv.c0 + m.x * inv.c1 + m.y * inv.c2).toBeCloseTo(col, 6);
      expect(inv.r0 + m.x * inv.r1 + m.y * inv.r2).toBeCloseTo(row, 6);
      expect(mapToPixel(rotated, m.x, m.y).col).toBeCloseTo(col, 6);
    }
    expect(() => invertAffine({ ...rotated, pixelWidth: 0, rowRotation: 0 })).toThrow(RangeError);
  });

  it("transforms a layer in another CRS on the fly, the same as reprojecting it first", () => {
    const ll = layerOf([
      {
        geometry: {
          type: "Polygon",
          coordinates: [rect(116.9, 39.9, 117.1, 40.05), rect(116.95, 39.95, 117.0, 40.0)],
        },
        v: 1,
      },
    ]);
    const gk = northUp(39_489_000, 4_441_000, 30, 700, 700, "EPSG:4527");
    const direct = rasterizeLayer(ll, gk, { burn: 1 });
    const first = rasterizeLayer(reprojectLayer(ll, "EPSG:4527"), gk, { burn: 1 });
    expect(pixelDifferences(new Uint32Array(first), direct, 700).count).toBe(0);
    let burned = 0;
    for (let i = 0; i < direct.length; i++) burned += direct[i] as number;
    expect(burned).toBeGreaterThan(10_000);
  });
});

/**
 * Seeded polygons built to hit GDAL's tie rules: vertices on a half-pixel lattice (so pixel
 * centres fall exactly on edges and vertices), pixel-aligned rectangles, horizontal and vertical
 * edges on centre lines and boundaries, holes, overlapping multipolygon parts, both ring
 * orientations, parts outside the grid.
 */
function tiePolygons(seed: number, width: number, height: number): { geometry: AreaGeometry; v: number }[] {
  const rand = seededRandom(seed);
  const snap = (v: number): number => Math.round(v * 2) / 2;
  const star = (cx: number, cy: number, r: number): Ring => {
    const n = 3 + Math.floor(rand() * 7);
    const angles = Array.from({ length: n }, () => rand() * 2 * Math.PI).sort((a, b) => a - b);
    const ring: Ring = angles.map((a) => {
      const rr = r * (0.3 + 0.7 * rand());
      return [snap(cx + rr * Math.cos(a)), snap(cy + rr * Math.sin(a))];
    });
    if (rand() < 0.5) ring.reverse();
    ring.push([...ring[0]!]);
    return ring;
  };
  const out: { geometry: AreaGeometry; v: number }[] = [];
  for (let i = 0; i < 14; i++) {
    const cx = -3 + rand() * (width + 6);
    const cy = -3 + rand() * (height + 6);
    const r = 2 + rand() * 8;
    const kind = rand();
    let geometry: AreaGeometry;
    if (kind < 0.25) {
      const half = rand() < 0.5 ? 1 : 2;
      const q = (v: number): number => Math.round(v * half) / half;
      const ring = rect(q(cx - r), q(cy - r / 2), q(cx + r), q(cy + r / 2));
      if (rand() < 0.5) ring.reverse();
      geometry = { type: "Polygon", coordinates: [ring] };
    } else if (kind < 0.5) {
      geometry = {
        type: "Polygon",
        coordinates: [rect(snap(cx - r), snap(cy - r), snap(cx + r), snap(cy + r)), star(cx, cy, r / 2)],
      };
    } else if (kind < 0.7) {
      geometry = { type: "MultiPolygon", coordinates: [[star(cx, cy, r)], [star(cx + r / 2, cy, r)]] };
    } else {
      geometry = { type: "Polygon", coordinates: [star(cx, cy, r)] };
    }
    out.push({ geometry, v: 1 + Math.floor(rand() * 250) });
  }
  return out;
}

/** Scales a geometry: map = offset + lattice * scale (per axis). */
function scaleGeometry(g: AreaGeometry, ox: number, oy: number, s: number): AreaGeometry {
  const f = (ring: Ring): Ring => ring.map((p) => [ox + p[0]! * s, oy + p[1]! * s]);
  return g.type === "Polygon"
    ? { type: "Polygon", coordinates: g.coordinates.map(f) }
    : { type: "MultiPolygon", coordinates: g.coordinates.map((p) => p.map(f)) };
}

describe.skipIf(noTools("gdal_rasterize"))("rasterizeLayer equals gdal_rasterize on tie cases", () => {
  const W = 40;
  const H = 30;
  const cases = [
    // Lattice = pixel coordinates: map x = col, map y = row from the bottom.
    { name: "unit pixels", crs: "EPSG:4326", ox: 0, oy: 0, scale: 1 },
    // 30 m pixels at a GK origin: 1/30 is inexact, so ties are decided by rounding, as in GDAL.
    { name: "30 m GK pixels", crs: "EPSG:4527", ox: 39_512_345, oy: 4_432_110, scale: 30 },
    // 0.0003° pixels: inexact lon/lat steps.
    { name: "0.0003° pixels", crs: "EPSG:4326", ox: 111.7, oy: 40.3, scale: 0.0003 },
  ];
  for (const c of cases) {
    for (const seed of [1, 2, 3]) {
      it(`${c.name}, seed ${seed}, centre rule and all-touched`, () => {
        const features = tiePolygons(seed, W, H).map((f) => ({
          ...f,
          geometry: scaleGeometry(f.geometry, c.ox, c.oy, c.scale),
        }));
        const layer = layerOf(features, c.crs);
        const file = path.join(tmp, `ties-${c.crs.slice(5)}-${seed}.geojson`);
        const doc = {
          type: "FeatureCollection",
          ...(c.crs === "EPSG:4326"
            ? {}
            : { crs: { type: "name", properties: { name: `urn:ogc:def:crs:EPSG::${c.crs.slice(5)}` } } }),
          features: features.map((f) => ({ type: "Feature", properties: { v: f.v }, geometry: f.geometry })),
        };
        writeFileSync(file, JSON.stringify(doc));
        const te = [c.ox, c.oy, c.ox + W * c.scale, c.oy + H * c.scale] as const;
        for (const allTouched of [false, true]) {
          const ref = gdalRasterize({
            input: file,
            output: path.join(tmp, `ties-${seed}.bin`),
            field: "v",
            te,
            res: c.scale,
            allTouched,
          });
          expect([ref.width, ref.height]).toEqual([W, H]);
          const grid = northUp(te[0], te[3], c.scale, W, H, c.crs);
          const ours = rasterizeLayer(layer, grid, {
            burn: { property: "v" },
            sampleType: "uint32",
            allTouched,
          });
          const diff = pixelDifferences(ref.data, ours, W);
          expect(diff.examples, `allTouched=${allTouched}`).toEqual([]);
        }
      });
    }
  }
});

describe.skipIf(noSharedData() || noTools("gdal_rasterize"))(
  "rasterizing the Inner Mongolia counties (adcode) equals gdal_rasterize pixel for pixel",
  () => {
    const source = sharedData("counties", "inner-mongolia-counties.geojson");

    async function check<P>(
      layer: VectorLayer<P>,
      file: string,
      te: readonly [number, number, number, number],
      res: number,
    ): Promise<void> {
      for (const allTouched of [false, true]) {
        const ref = gdalRasterize({
          input: file,
          output: path.join(tmp, "counties.bin"),
          field: "adcode",
          te,
          res,
          allTouched,
        });
        const grid = northUp(te[0], te[3], res, ref.width, ref.height, layer.crs);
        const t0 = performance.now();
        const ours = rasterizeLayer(layer, grid, {
          burn: { property: "adcode" },
          sampleType: "uint32",
          allTouched,
        });
        const ms = performance.now() - t0;
        const diff = pixelDifferences(ref.data, ours, ref.width);
        const codes = new Set(ref.data);
        console.info(
          `${ref.width}x${ref.height} ${layer.crs} allTouched=${allTouched}: ${codes.size - 1} counties, ` +
            `gdal_rasterize ${ref.milliseconds.toFixed(0)} ms (process, incl. writing), ours ${ms.toFixed(0)} ms`,
        );
        expect(codes.size).toBeGreaterThan(6);
        expect(diff.examples, `allTouched=${allTouched}`).toEqual([]);
        expect(diff.count).toBe(0);
      }
    }

    it("on a lon/lat grid: the whole province at 0.01°", async () => {
      const layer = await loadCountyBoundaries(source);
      await check(layer, source, [97.1, 37.4, 126.1, 53.4], 0.01);
    });

    it("on a lon/lat grid: a 3000x2000 window at 0.0005° around Hohhot", async () => {
      const layer = await loadCountyBoundaries(source);
      await check(layer, source, [110.9, 40.2, 112.4, 41.2], 0.0005);
    });

    it("on a 30 m CGCS2000 3° GK grid (EPSG:4525): a 4000x4000 window over Hohhot and Baotou, and tiles of it", async () => {
      // Both sides start from the same geometry: the layer reprojected here, written with full precision.
      const gk = reprojectLayer(await loadCountyBoundaries(source), "EPSG:4525");
      const file = path.join(tmp, "counties-4525.geojson");
      writeFileSync(
        file,
        JSON.stringify({
          type: "FeatureCollection",
          crs: { type: "name", properties: { name: "urn:ogc:def:crs:EPSG::4525" } },
          features: gk.features.map((f) => ({
            type: "Feature",
            properties: { adcode: f.properties.adcode },
            geometry: f.geometry,
          })),
        }),
      );
      await check(gk, file, [37_440_000, 4_440_000, 37_560_000, 4_560_000], 30);

      // Tiles are windows of a scene grid: burning a window directly equals cropping the full burn.
      const full = northUp(37_440_000, 4_560_000, 30, 4000, 4000, "EPSG:4525");
      for (const allTouched of [false, true]) {
        const whole = rasterizeLayer(gk, full, {
          burn: { property: "adcode" },
          sampleType: "uint32",
          allTouched,
        });
        for (const w of [
          { x0: 1234, y0: 567, x1: 2234, y1: 1267 },
          { x0: 3001, y0: 17, x1: 4000, y1: 4000 },
        ]) {
          const width = w.x1 - w.x0;
          const height = w.y1 - w.y0;
          const tile = rasterizeLayer(
            gk,
            { affine: windowAffine(full.affine, w), width, height, crs: "EPSG:4525" },
            { burn: { property: "adcode" }, sampleType: "uint32", allTouched },
          );
          let differing = 0;
          for (let r = 0; r < height; r++) {
            for (let c = 0; c < width; c++) {
              if (tile[r * width + c] !== whole[(r + w.y0) * 4000 + c + w.x0]) differing++;
            }
          }
          expect(differing, `window ${JSON.stringify(w)} allTouched=${allTouched}`).toBe(0);
        }
      }
    });
  },
);
