import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { geometryAreaM2, squareMetresToMu } from "../../src/core/geodesic-area.js";
import { SeededRandom } from "../../src/demo/rng.js";
import { noTools } from "../support/environment.js";

/** Star-shaped polygons (with a hole) of assorted sizes across China. */
function polygons(): Array<{ type: "Polygon"; coordinates: number[][][] }> {
  const rng = new SeededRandom(2490);
  const out: Array<{ type: "Polygon"; coordinates: number[][][] }> = [];
  for (let k = 0; k < 12; k++) {
    const lon = rng.range(75, 134);
    const lat = rng.range(18, 52);
    const radius = 10 ** rng.range(-4, -1); // ~10 m to ~10 km
    const ring = (r: number, ccw: boolean): number[][] => {
      const pts: number[][] = [];
      for (let i = 0; i < 9; i++) {
        const a = ((ccw ? 1 : -1) * 2 * Math.PI * i) / 9;
        const rr = r * rng.range(0.6, 1);
        pts.push([lon + rr * Math.cos(a), lat + rr * Math.sin(a)]);
      }
      pts.push(pts[0]!);
      return pts;
    };
    out.push({ type: "Polygon", coordinates: [ring(radius, true), ring(radius * 0.3, false)] });
  }
  return out;
}

describe.skipIf(noTools("ogrinfo"))("ellipsoidal area", () => {
  it("agrees with SpatiaLite's ellipsoidal ST_Area (PROJ's geodesic polygon area) within 0.01%", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "area-"));
    const polys = polygons();
    const file = path.join(dir, "polys.geojson");
    writeFileSync(
      file,
      JSON.stringify({
        type: "FeatureCollection",
        features: polys.map((g, i) => ({ type: "Feature", properties: { i }, geometry: g })),
      }),
    );
    const out = execFileSync(
      "ogrinfo",
      [file, "-q", "-dialect", "SQLite", "-sql", "SELECT i, ST_Area(geometry, 1) AS a FROM polys"],
      {
        encoding: "utf8",
      },
    );
    const reference = [...out.matchAll(/a \(Real\) = ([\d.e+-]+)/g)].map((m) => Number(m[1]));
    expect(reference).toHaveLength(polys.length);
    polys.forEach((g, i) => {
      const ours = geometryAreaM2(g);
      expect(Math.abs(ours - reference[i]!) / reference[i]!).toBeLessThan(1e-4);
    });
  });

  it("converts square metres to mu (1 mu = 10000/15 m²)", () => {
    expect(squareMetresToMu(10000)).toBeCloseTo(15, 12);
  });
});
