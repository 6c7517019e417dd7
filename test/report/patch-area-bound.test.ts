import { describe, expect, it } from "vitest";
import { polygonAreaM2 } from "../../src/core/geodesic-area.js";
import { pixelToMap, type Affine } from "../../src/core/raster-types.js";
import { coordinateTransform } from "../../src/ingest/crs.js";
import { PatchAreaBound } from "../../src/report/patch-area-bound.js";
import { polygonizePixels } from "../../src/vector/polygonize.js";
import { simplifyPixelPolygon } from "../../src/vector/simplify.js";
import { seededRandom } from "../ingest/seeded-random.js";

/** Random blobs of 1–60 pixels, some with holes and corner-touching parts, on a `size²` grid. */
function blobs(size: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const data = new Uint8Array(size * size);
  for (let b = 0; b < 40; b++) {
    let x = Math.floor(random() * size);
    let y = Math.floor(random() * size);
    const steps = 1 + Math.floor(random() * 60);
    for (let s = 0; s < steps; s++) {
      data[y * size + x] = 1;
      x = Math.min(size - 1, Math.max(0, x + Math.floor(random() * 3) - 1));
      y = Math.min(size - 1, Math.max(0, y + Math.floor(random() * 3) - 1));
    }
  }
  return data;
}

/** The patch's area as the issue list computes it: rings to lon/lat, ellipsoidal area. */
function areaM2(rings: readonly Int32Array[], affine: Affine, crs: string): number {
  const t = coordinateTransform(crs, "EPSG:4326");
  const lonLat = rings.map((ring) => {
    const out: number[][] = [];
    for (let i = 0; i + 1 < ring.length; i += 2) {
      const m = pixelToMap(affine, ring[i]!, ring[i + 1]!);
      const ll = t.forward(m.x, m.y);
      out.push([ll.x, ll.y]);
    }
    return out;
  });
  return polygonAreaM2(lonLat);
}

describe("PatchAreaBound", () => {
  const grids: Array<[string, Affine]> = [
    // CGCS2000 3° Gauss-Krüger zone 37 (111°E), 4 m pixels, 150 km east of the central meridian
    [
      "EPSG:4525",
      {
        originX: 37_650_000,
        pixelWidth: 4,
        rowRotation: 0,
        originY: 4_520_000,
        colRotation: 0,
        pixelHeight: -4,
      },
    ],
    // UTM 49N near a zone edge, 10 m pixels
    [
      "EPSG:32649",
      {
        originX: 180_000,
        pixelWidth: 10,
        rowRotation: 0,
        originY: 5_000_000,
        colRotation: 0,
        pixelHeight: -10,
      },
    ],
    // geographic, ~3 m pixels at 52°N
    [
      "EPSG:4490",
      {
        originX: 120,
        pixelWidth: 0.00003,
        rowRotation: 0,
        originY: 52,
        colRotation: 0,
        pixelHeight: -0.00003,
      },
    ],
  ];
  for (const [crs, affine] of grids) {
    it(`is never below the area of a traced or simplified patch (${crs})`, () => {
      const size = 200;
      const bound = new PatchAreaBound(affine, crs);
      const polygons = polygonizePixels(blobs(size, 3), size, size, { values: [1] });
      expect(polygons.length).toBeGreaterThan(20);
      let tightest = Infinity;
      for (const p of polygons) {
        const b = bound.maxAreaM2(p.bbox, [p.rings]);
        for (const tolerance of [0, 1.5, 4]) {
          const shape = tolerance > 0 ? simplifyPixelPolygon(p, tolerance) : p;
          const area = areaM2(shape.rings, affine, crs);
          expect(b, `${crs} patch of ${p.pixelCount} px, tolerance ${tolerance}`).toBeGreaterThanOrEqual(
            area,
          );
          if (tolerance === 0 && p.pixelCount > 1) tightest = Math.min(tightest, b / area);
        }
      }
      // A bound is only useful if it is near the area for compact patches (a 1×1 box is exact).
      const single = polygons.find((p) => p.pixelCount === 1);
      if (single)
        expect(bound.maxAreaM2(single.bbox, [single.rings]) / areaM2(single.rings, affine, crs)).toBeLessThan(
          1.011,
        );
      expect(tightest).toBeLessThan(1.5);
    });
  }

  it("gives no bound on a rotated grid", () => {
    const bound = new PatchAreaBound(
      { originX: 0, pixelWidth: 4, rowRotation: 1, originY: 0, colRotation: 1, pixelHeight: -4 },
      "EPSG:32649",
    );
    expect(
      bound.maxAreaM2({ x0: 0, y0: 0, x1: 1, y1: 1 }, [[Int32Array.from([0, 0, 0, 1, 1, 1, 1, 0, 0, 0])]]),
    ).toBe(Infinity);
  });
});
