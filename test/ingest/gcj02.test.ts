import { describe, expect, it } from "vitest";
import { gcj02ToWgs84, isInsideGcj02Area, wgs84ToGcj02 } from "../../src/ingest/gcj02.js";
import { seededRandom } from "./seeded-random.js";

/** Ground distance in metres between two nearby lon/lat points (equirectangular; fine below 10 km). */
function metres(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const k = 111_320;
  return Math.hypot((lon2 - lon1) * k * Math.cos((((lat1 + lat2) / 2) * Math.PI) / 180), (lat2 - lat1) * k);
}

describe("GCJ-02", () => {
  it("shifts points in China by a few hundred metres", () => {
    const rand = seededRandom(11);
    for (let i = 0; i < 500; i++) {
      const lon = 75 + rand() * 58;
      const lat = 18 + rand() * 35;
      const g = wgs84ToGcj02(lon, lat);
      const d = metres(lon, lat, g.lon, g.lat);
      expect(d).toBeGreaterThan(20);
      expect(d).toBeLessThan(1200);
    }
  });

  it("inverts exactly: forward(inverse(p)) = p and inverse(forward(p)) = p to well under 1 cm", () => {
    const rand = seededRandom(12);
    let worst = 0;
    for (let i = 0; i < 2000; i++) {
      const lon = 73 + rand() * 62;
      const lat = 4 + rand() * 50;
      const g = wgs84ToGcj02(lon, lat);
      const w = gcj02ToWgs84(g.lon, g.lat);
      worst = Math.max(worst, metres(lon, lat, w.lon, w.lat));
      const w2 = gcj02ToWgs84(lon, lat);
      const g2 = wgs84ToGcj02(w2.lon, w2.lat);
      worst = Math.max(worst, metres(lon, lat, g2.lon, g2.lat));
    }
    // 1e-11 degrees is about 1 µm.
    expect(worst).toBeLessThan(1e-4);
  });

  it("leaves points outside China unchanged both ways", () => {
    for (const [lon, lat] of [
      [2.35, 48.85], // Paris
      [-74.0, 40.7], // New York
      [151.2, -33.9], // Sydney
      [60, 40],
      [140, 30],
    ] as const) {
      expect(isInsideGcj02Area(lon, lat)).toBe(false);
      expect(wgs84ToGcj02(lon, lat)).toEqual({ lon, lat });
      expect(gcj02ToWgs84(lon, lat)).toEqual({ lon, lat });
    }
  });
});
