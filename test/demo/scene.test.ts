import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CHANGE_TYPE_IDS } from "../../src/core/change-types.js";
import { coordinateTransform } from "../../src/ingest/crs.js";
import { generateDemoScene } from "../../src/demo/scene.js";

const scene = generateDemoScene();
const toGrid = coordinateTransform("EPSG:4326", scene.crs);

/** Pixel-corner bounds of a lon/lat rectangle drawn by the generator. */
function pixelBounds(ring: number[][]): { x0: number; y0: number; x1: number; y1: number } {
  const pts = ring.map(([lon, lat]) => {
    const p = toGrid.forward(lon!, lat!);
    return {
      col: (p.x - scene.affine.originX) / scene.affine.pixelWidth,
      row: (p.y - scene.affine.originY) / scene.affine.pixelHeight,
    };
  });
  return {
    x0: Math.round(Math.min(...pts.map((p) => p.col))),
    x1: Math.round(Math.max(...pts.map((p) => p.col))),
    y0: Math.round(Math.min(...pts.map((p) => p.row))),
    y1: Math.round(Math.max(...pts.map((p) => p.row))),
  };
}

function digest(bands: readonly Uint8Array[]): string {
  const h = createHash("sha256");
  for (const b of bands) h.update(b);
  return h.digest("hex");
}

describe("demo scene generator", () => {
  it("is deterministic: the same options give the same pixels and layers", () => {
    const again = generateDemoScene();
    expect(digest(again.after.bands)).toBe(digest(scene.after.bands));
    expect(digest(again.before.bands)).toBe(digest(scene.before.bands));
    expect(JSON.stringify(again.truth)).toBe(JSON.stringify(scene.truth));
    expect(digest(generateDemoScene({ seed: 7 }).after.bands)).not.toBe(digest(scene.after.bands));
  });

  it("injects every change type the shipped model can see, each on baseline cropland", () => {
    const types = new Set(scene.truth.features.map((f) => f.properties?.change_type));
    for (const t of ["construction", "pond", "orchard", "trees", "turf"]) expect(types).toContain(t);
    for (const t of types) expect(CHANGE_TYPE_IDS).toContain(t);
    const cropland = scene.baseline.features
      .filter((f) => ["0101", "0102", "0103"].includes(String(f.properties?.DLBM)))
      .map((f) => pixelBounds(f.geometry.coordinates[0]!));
    for (const change of scene.truth.features) {
      const c = pixelBounds(change.geometry.coordinates[0]!);
      const inside = cropland.some((p) => c.x0 >= p.x0 && c.x1 <= p.x1 && c.y0 >= p.y0 && c.y1 <= p.y1);
      expect(inside, `${change.properties?.truth_id} lies inside one cropland parcel`).toBe(true);
    }
  });

  it("changes the after image only inside injected changes and the unobserved strip", () => {
    const { width } = scene;
    const inChange = new Uint8Array(scene.width * scene.height);
    for (const f of scene.truth.features) {
      const c = pixelBounds(f.geometry.coordinates[0]!);
      for (let y = c.y0; y < c.y1; y++) for (let x = c.x0; x < c.x1; x++) inChange[y * width + x] = 1;
    }
    let nodata = 0;
    let unchangedMeanDiff = 0;
    let unchangedCount = 0;
    let changedMeanDiff = 0;
    let changedCount = 0;
    for (let i = 0; i < inChange.length; i++) {
      if (scene.after.bands[0][i] === 0) {
        nodata++;
        continue;
      }
      const d = Math.abs(scene.after.bands[1][i]! - scene.before.bands[1][i]!);
      if (inChange[i]) {
        changedMeanDiff += d;
        changedCount++;
      } else {
        unchangedMeanDiff += d;
        unchangedCount++;
      }
    }
    expect(nodata).toBeGreaterThan(1000);
    // Unchanged land differs only by sensor noise; injected changes differ by colour and texture.
    expect(unchangedMeanDiff / unchangedCount).toBeLessThan(12);
    expect(changedMeanDiff / changedCount).toBeGreaterThan(2 * (unchangedMeanDiff / unchangedCount));
  });

  it("places patches across the 4- and 9-tile seams, across the county line and under an approval", () => {
    const seams = [scene.width / 2, Math.round(scene.width / 3), Math.round((2 * scene.width) / 3)];
    const bounds = scene.truth.features.map((f) => pixelBounds(f.geometry.coordinates[0]!));
    expect(
      bounds.some((b) => seams.some((s) => b.x0 < s && b.x1 > s) || seams.some((s) => b.y0 < s && b.y1 > s)),
    ).toBe(true);
    expect(scene.exclusions.features).toHaveLength(1);
    expect(scene.truth.features.filter((f) => f.properties?.approved)).toHaveLength(1);
    expect(scene.counties.features.map((f) => f.properties?.adcode)).toEqual(["150121", "150122"]);
    expect(scene.mismatchTruth.features.length).toBeGreaterThan(0);
  });

  it("writes exterior rings counter-clockwise (RFC 7946)", () => {
    const signedArea = (ring: number[][]): number =>
      ring.slice(0, -1).reduce((s, p, i) => s + p[0]! * ring[i + 1]![1]! - ring[i + 1]![0]! * p[1]!, 0) / 2;
    for (const layer of [scene.baseline, scene.counties, scene.truth, scene.exclusions]) {
      for (const f of layer.features) expect(signedArea(f.geometry.coordinates[0]!)).toBeGreaterThan(0);
    }
  });
});
