/**
 * The demo month sequence: month 1 is the single-month demo, later months keep the grid, add the
 * planned events, and the cloudy month's clouds match its truth mask (painted, or as nodata).
 */
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generateDemoScene } from "../../src/demo/scene.js";
import { generateDemoSeries } from "../../src/demo/series.js";
import { writeDemoSeries } from "../../src/demo/write-series.js";
import { loadManifest } from "../../src/config/manifest.js";
import { openRaster } from "../../src/ingest/raster-source.js";
import { coordinateTransform } from "../../src/ingest/crs.js";

const SIZE = 384;
const series = generateDemoSeries({ size: SIZE });
const scene = generateDemoScene({ size: SIZE });
const toGrid = coordinateTransform("EPSG:4326", "EPSG:4546");

function digest(bands: readonly Uint8Array[]): string {
  const h = createHash("sha256");
  for (const b of bands) h.update(b);
  return h.digest("hex");
}

/** Pixel rectangle of a generator rectangle polygon. */
function rect(ring: number[][]): { x0: number; y0: number; x1: number; y1: number } {
  const pts = ring.map(([lon, lat]) => {
    const p = toGrid.forward(lon!, lat!);
    return {
      c: Math.round((p.x - scene.affine.originX) / 4),
      r: Math.round((scene.affine.originY - p.y) / 4),
    };
  });
  return {
    x0: Math.min(...pts.map((p) => p.c)),
    x1: Math.max(...pts.map((p) => p.c)),
    y0: Math.min(...pts.map((p) => p.r)),
    y1: Math.max(...pts.map((p) => p.r)),
  };
}

describe("demo month sequence", () => {
  it("starts with the single-month demo, byte for byte, and is deterministic", () => {
    const m1 = series.months[0]!;
    expect(digest(m1.after.bands)).toBe(digest(scene.after.bands));
    expect(digest(series.scene.before.bands)).toBe(digest(scene.before.bands));
    expect(m1.truth.features.map((f) => f.geometry)).toEqual(scene.truth.features.map((f) => f.geometry));
    const again = generateDemoSeries({ size: SIZE });
    for (let k = 0; k < 4; k++)
      expect(digest(again.months[k]!.after.bands)).toBe(digest(series.months[k]!.after.bands));
    expect(series.months.map((m) => [m.month, m.runDate, m.after.date])).toEqual([
      ["2026-10", "2026-10-20", "2026-10-16"],
      ["2026-11", "2026-11-20", "2026-11-16"],
      ["2026-12", "2026-12-20", "2026-12-16"],
      ["2027-01", "2027-01-20", "2027-01-16"],
    ]);
  });

  it("adds set B in month 2 and change-C1 in month 3, keeps them, restores one change", () => {
    const ids = series.months.map((m) => m.truth.features.map((f) => f.properties.truth_id));
    expect(ids[0]).toHaveLength(12);
    expect(ids[1]).toEqual([...ids[0]!, "change-B1", "change-B2", "change-B3"]);
    expect(ids[2]).toEqual([...ids[1]!, "change-C1"]);
    expect(ids[3]).toEqual(ids[2]);
    const restored = series.months[2]!.truth.features.filter((f) => !f.properties.present);
    expect(restored.map((f) => f.properties.reverted)).toEqual(["2026-12"]);
    // The restored change looks like month 1's before image there again (same region colours):
    // its mean absolute green difference to the before image drops well below month 2's.
    const r = rect(restored[0]!.geometry.coordinates[0]!);
    const diff = (k: number): number => {
      let s = 0;
      let n = 0;
      for (let y = r.y0; y < r.y1; y++)
        for (let x = r.x0; x < r.x1; x++) {
          const i = y * SIZE + x;
          s += Math.abs(series.months[k]!.after.bands[1][i]! - series.scene.before.bands[1][i]!);
          n++;
        }
      return s / n;
    };
    expect(diff(2)).toBeLessThan(diff(1) / 2);
  });

  it("paints opaque white/grey clouds exactly where the month-3 truth mask says, covering change-C1", () => {
    const m3 = series.months[2]!;
    const mask = m3.cloudMask!;
    expect(series.months.filter((m) => m.cloudMask !== null).map((m) => m.month)).toEqual(["2026-12"]);
    let clouded = 0;
    for (let i = 0; i < mask.length; i++) {
      if (!mask[i]) continue;
      clouded++;
      for (const b of m3.after.bands) expect(b[i]!).toBeGreaterThanOrEqual(200);
    }
    expect(clouded / mask.length).toBeGreaterThan(0.01);
    expect(clouded / mask.length).toBeLessThan(0.3);
    const c1 = m3.truth.features.find((f) => f.properties.truth_id === "change-C1")!;
    const r = rect(c1.geometry.coordinates[0]!);
    for (let y = r.y0; y < r.y1; y++) for (let x = r.x0; x < r.x1; x++) expect(mask[y * SIZE + x]).toBe(1);
    expect(c1.properties.cloud_share).toBe(1);
  });

  it("abandons one cropland parcel from month 2 on, apart from every injected change", () => {
    const [a] = series.abandonedTruth.features;
    expect(a).toBeDefined();
    expect(["0102", "0103"]).toContain(a!.properties?.DLBM);
    expect(
      scene.baseline.features.some((f) => JSON.stringify(f.geometry) === JSON.stringify(a!.geometry)),
    ).toBe(true);
    const ra = rect(a!.geometry.coordinates[0]!);
    for (const f of series.months[3]!.truth.features) {
      const r = rect(f.geometry.coordinates[0]!);
      expect(r.x1 <= ra.x0 || r.x0 >= ra.x1 || r.y1 <= ra.y0 || r.y0 >= ra.y1, f.properties.truth_id).toBe(
        true,
      );
    }
  });

  it("writes a manifest per month chained by previousRun, and clouds as nodata on request", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "demo-series-write-"));
    const w = await writeDemoSeries(dir, { size: SIZE, clouds: "nodata", months: 3 });
    const loaded = await Promise.all(w.manifests.map((m) => loadManifest(m)));
    expect(loaded.map((l) => [l.manifest.output, l.manifest.previousRun])).toEqual([
      ["runs/2026-10", undefined],
      ["runs/2026-11", "runs/2026-10"],
      ["runs/2026-12", "runs/2026-11"],
    ]);
    const after = await openRaster(path.join(dir, loaded[2]!.manifest.tiles[0]!.after.source));
    const truthMask = await openRaster(path.join(dir, "truth", "clouds-2026-12.tif"));
    const win = { x0: 0, y0: 0, x1: SIZE, y1: SIZE };
    const img = await after.read(win);
    const m = await truthMask.read(win);
    const mask = series.months[2]!.cloudMask!;
    for (let i = 0; i < mask.length; i++) {
      expect(m.bands[0]![i]).toBe(mask[i]);
      if (mask[i]) expect(img.bands[0]![i]).toBe(0);
    }
    await after.close();
    await truthMask.close();
  });
});
