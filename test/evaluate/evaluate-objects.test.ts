/**
 * Evaluation on hand-made objects whose scores are worked out by hand in the comments, the
 * matching rule at its edges, and the reference and issue loaders on small rasters and lists.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  EvaluationInputError,
  evaluateObjects,
  issueObjects,
  loadReference,
  overlapTable,
  pairMatches,
  type LabelledObjects,
  type ObjectInfo,
} from "../../src/evaluate/index.js";
import { writeGeoTiff } from "../../src/ingest/geotiff-writer.js";
import type { RasterGrid } from "../../src/ingest/rasterize.js";

const W = 10;

/** Objects from rectangles [x0, y0, x1, y1) on a 10×10 grid. */
function objects(
  list: Array<{ rect: [number, number, number, number]; type: string | null }>,
): LabelledObjects {
  const labels = new Int32Array(W * W);
  const infos: ObjectInfo[] = list.map((o, k) => {
    const [x0, y0, x1, y1] = o.rect;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) labels[y * W + x] = k + 1;
    return { id: `o${k}`, changeType: o.type, areaM2: (x1 - x0) * (y1 - y0) * 16 };
  });
  return { width: W, height: W, labels, objects: infos, ignore: null };
}

// Reference: A construction 4×4 (16 px), B pond 2×5 (10 px), C trees 3×3 (9 px).
const ref = objects([
  { rect: [0, 0, 4, 4], type: "construction" },
  { rect: [6, 0, 8, 5], type: "pond" },
  { rect: [6, 6, 9, 9], type: "trees" },
]);
// Predicted: p1 construction 4×4 shifted by (1,1): 9 px on A (56 % of p1); p2 construction 2 px
// on nothing; p3 pond 2 px inside B (a speck); p4 orchard on all of C plus 3 px beside it (12 px).
const pred = objects([
  { rect: [1, 1, 5, 5], type: "construction" },
  { rect: [8, 9, 10, 10], type: "construction" },
  { rect: [6, 0, 7, 2], type: "pond" },
  { rect: [5, 6, 9, 9], type: "orchard" },
]);

describe("evaluateObjects", () => {
  const e = evaluateObjects(overlapTable(pred, ref), pred.objects, ref.objects);
  const row = (t: string) => e.rows.find((r) => r.changeType === t)!;

  it("scores each type against the reference of that type, pixels and objects", () => {
    expect(e.referenceTyped).toBe(true);
    expect(e.rows.map((r) => r.changeType)).toEqual(["construction", "pond", "orchard", "trees", "all"]);
    // construction: tp 9; fp 7 (rest of p1) + 2 (p2); fn 7 (rest of A).
    expect(row("construction").pixel).toMatchObject({ tp: 9, fp: 9, fn: 7, precision: 0.5, recall: 9 / 16 });
    expect(row("construction").pixel.iou).toBeCloseTo(9 / 25, 12);
    // objects: p1 matches A (56 % of p1 on A), p2 matches nothing; A found; IoU(A, p1) = 9/23.
    expect(row("construction").object).toMatchObject({
      predicted: 2,
      matchedPredicted: 1,
      reference: 1,
      foundReference: 1,
      precision: 0.5,
      recall: 1,
    });
    expect(row("construction").object.iou).toBeCloseTo(9 / 23, 12);
    expect(row("construction").object.f1).toBeCloseTo(2 / 3, 12);
    // pond: the 2-pixel speck lies wholly on B, so it is a hit and B is found, but the pixel
    // recall (0.2) and the object IoU (2/10) show how little of B it covers.
    expect(row("pond").pixel).toMatchObject({ tp: 2, fp: 0, fn: 8, precision: 1, recall: 0.2 });
    expect(row("pond").object).toMatchObject({ precision: 1, recall: 1 });
    expect(row("pond").object.iou).toBeCloseTo(0.2, 12);
    // orchard: predicted where the reference says trees; no orchard in the reference.
    expect(row("orchard").pixel).toMatchObject({
      tp: 0,
      fp: 12,
      fn: 0,
      precision: 0,
      recall: null,
      f1: null,
    });
    expect(row("orchard").object).toMatchObject({
      predicted: 1,
      matchedPredicted: 0,
      precision: 0,
      recall: null,
    });
    // trees: nothing predicted as trees.
    expect(row("trees").pixel).toMatchObject({ tp: 0, fp: 0, fn: 9, precision: null, recall: 0 });
    expect(row("trees").object).toMatchObject({ predicted: 0, precision: null, recall: 0 });
  });

  it("ignores types in the row 'all'", () => {
    // tp 9 + 2 + 9; predicted 16 + 2 + 2 + 12 = 32 px; reference 35 px.
    expect(row("all").pixel).toMatchObject({ tp: 20, fp: 12, fn: 15 });
    expect(row("all").object).toMatchObject({
      predicted: 4,
      matchedPredicted: 3,
      reference: 3,
      foundReference: 3,
    });
  });

  it("tallies the confusion between types in pixels and objects", () => {
    const c = e.confusion!;
    expect(c.labels).toEqual(["construction", "pond", "orchard", "trees", "none"]);
    expect(c.pixels).toEqual([
      [9, 0, 0, 0, 7],
      [0, 2, 0, 0, 8],
      [0, 0, 0, 0, 0],
      [0, 0, 9, 0, 0],
      [9, 0, 3, 0, 0],
    ]);
    expect(c.objects).toEqual([
      [1, 0, 0, 0, 0],
      [0, 1, 0, 0, 0],
      [0, 0, 0, 0, 0],
      [0, 0, 1, 0, 0],
      [1, 0, 0, 0, 0],
    ]);
  });

  it("leaves out predicted objects below the minimum area of their type", () => {
    // p2 is 2 px = 32 m²; a 33 m² minimum for construction drops it and nothing else.
    const f = evaluateObjects(overlapTable(pred, ref), pred.objects, ref.objects, {
      minAreaM2: { construction: 33 },
    });
    const c = f.rows.find((r) => r.changeType === "construction")!;
    expect(c.object).toMatchObject({ predicted: 1, matchedPredicted: 1, precision: 1 });
    expect(c.pixel).toMatchObject({ tp: 9, fp: 7 });
  });

  it("compares every type with all reference change when the reference has no types", () => {
    const untyped = { ...ref, objects: ref.objects.map((o) => ({ ...o, changeType: null })) };
    const f = evaluateObjects(overlapTable(pred, untyped), pred.objects, untyped.objects);
    expect(f.referenceTyped).toBe(false);
    expect(f.confusion).toBeNull();
    const orchard = f.rows.find((r) => r.changeType === "orchard")!;
    expect(orchard.object).toMatchObject({
      predicted: 1,
      matchedPredicted: 1,
      reference: 3,
      foundReference: 1,
    });
  });
});

describe("the matching rule", () => {
  it("matches when the reference covers half the predicted object, or IoU ≥ 0.25", () => {
    expect(pairMatches(8, 16, 100)).toBe(true); // exactly 50 % of the predicted object
    expect(pairMatches(7, 16, 100)).toBe(false); // 44 %, IoU 7/109
    expect(pairMatches(7, 16, 16)).toBe(true); // 44 %, but IoU 7/25 = 0.28
    expect(pairMatches(6, 16, 14)).toBe(true); // 37.5 %, IoU 6/24 = 0.25 exactly
    expect(pairMatches(5, 16, 14)).toBe(false); // 31 %, IoU 5/25 = 0.2
    expect(pairMatches(0, 1, 1)).toBe(false);
  });
});

const dir = mkdtempSync(path.join(tmpdir(), "evaluate-"));
const grid: RasterGrid = {
  affine: {
    originX: 500_000,
    pixelWidth: 10,
    rowRotation: 0,
    originY: 4_000_000,
    colRotation: 0,
    pixelHeight: -10,
  },
  width: 8,
  height: 6,
  crs: "EPSG:32650",
};

describe("loadReference from a change raster", () => {
  it("takes each 8-connected change region as one object and leaves unlabelled pixels out", async () => {
    // 6×4 raster placed at grid column 2, row 1: 0 unlabelled, 1 no change, 2 change.
    const values = Uint8Array.from([2, 1, 1, 1, 1, 0, 1, 2, 1, 1, 2, 2, 1, 1, 1, 1, 1, 2, 0, 0, 1, 1, 1, 1]);
    const file = path.join(dir, "cm.tif");
    await writeGeoTiff(
      file,
      {
        width: 6,
        height: 4,
        bandCount: 1,
        sampleType: "uint8",
        affine: { ...grid.affine, originX: 500_020, originY: 3_999_990 },
        crs: "EPSG:32650",
      },
      [values],
    );
    const r = await loadReference(file, grid, { ignoreValues: [0] });
    // Two regions: the diagonal pair at the top left (8-connected), and the three at the right.
    expect(r.objects.map((o) => o.id)).toEqual(["region-1", "region-2"]);
    const at = (x: number, y: number): number => r.labels[y * grid.width + x]!;
    expect([at(2, 1), at(3, 2)]).toEqual([1, 1]);
    expect([at(6, 2), at(7, 2), at(7, 3)]).toEqual([2, 2, 2]);
    expect(r.labels.reduce((s, v) => s + (v > 0 ? 1 : 0), 0)).toBe(5);
    // Ignored: the 3 zeros, and every grid pixel the raster does not cover (48 − 24).
    expect(r.ignore!.reduce((s, v) => s + v, 0)).toBe(3 + 24);
    expect(r.objects[1]!.areaM2).toBeCloseTo(300, 0);
  });

  it("refuses a raster on another pixel size", async () => {
    const file = path.join(dir, "coarse.tif");
    await writeGeoTiff(
      file,
      {
        width: 2,
        height: 2,
        bandCount: 1,
        sampleType: "uint8",
        affine: { ...grid.affine, pixelWidth: 20, pixelHeight: -20 },
        crs: "EPSG:32650",
      },
      [new Uint8Array(4)],
    );
    await expect(loadReference(file, grid)).rejects.toBeInstanceOf(EvaluationInputError);
  });
});

describe("loadReference from polygons and issueObjects", () => {
  const square = (x0: number, y0: number, x1: number, y1: number) => [
    [
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
      [x0, y0],
    ],
  ];
  const lonLatGrid: RasterGrid = {
    affine: {
      originX: 111,
      pixelWidth: 0.001,
      rowRotation: 0,
      originY: 41,
      colRotation: 0,
      pixelHeight: -0.001,
    },
    width: 10,
    height: 10,
    crs: "EPSG:4326",
  };

  it("burns each reference feature as an object with its change type", async () => {
    const file = path.join(dir, "truth.geojson");
    writeFileSync(
      file,
      JSON.stringify({
        type: "FeatureCollection",
        features: [
          {
            type: "Feature",
            properties: { change_type: "pond" },
            geometry: { type: "Polygon", coordinates: square(111.001, 40.999, 111.004, 40.997) },
          },
          {
            type: "Feature",
            properties: {},
            geometry: { type: "Polygon", coordinates: square(111.005, 40.995, 111.006, 40.994) },
          },
        ],
      }),
    );
    const r = await loadReference(file, lonLatGrid);
    expect(r.objects.map((o) => o.changeType)).toEqual(["pond", null]);
    const count = (k: number): number => r.labels.reduce((s, v) => s + (v === k ? 1 : 0), 0);
    expect([count(1), count(2)]).toEqual([6, 1]);
  });

  it("refuses an unknown change type", async () => {
    const file = path.join(dir, "bad-type.geojson");
    writeFileSync(
      file,
      JSON.stringify({
        type: "FeatureCollection",
        features: [
          {
            type: "Feature",
            properties: { change_type: "volcano" },
            geometry: { type: "Polygon", coordinates: square(111.001, 40.999, 111.002, 40.998) },
          },
        ],
      }),
    );
    await expect(loadReference(file, lonLatGrid)).rejects.toBeInstanceOf(EvaluationInputError);
  });

  it("reads issue lists as predicted objects with their type and area", async () => {
    const file = path.join(dir, "150121.geojson");
    writeFileSync(
      file,
      JSON.stringify({
        type: "FeatureCollection",
        features: [
          {
            type: "Feature",
            properties: { id: "150121-a", change_type: "construction", area_m2: 512.5 },
            geometry: { type: "Polygon", coordinates: square(111.002, 40.998, 111.004, 40.996) },
          },
        ],
      }),
    );
    const p = await issueObjects([file], lonLatGrid);
    expect(p.objects).toEqual([{ id: "150121-a", changeType: "construction", areaM2: 512.5 }]);
    expect(p.labels.reduce((s, v) => s + (v === 1 ? 1 : 0), 0)).toBe(4);
    expect(p.labels[2 * 10 + 2]).toBe(1);
    expect(p.labels[4 * 10 + 4]).toBe(0);
  });
});
