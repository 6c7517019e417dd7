/**
 * The demo month sequence with the cloudy month's clouds PAINTED into the after image (opaque
 * white/grey, as `patrol demo-series --clouds painted` writes them), not written as nodata: the
 * spectral cloud test (ingest/cloud-mask.ts, `detection.clouds`, on by default for a profile with
 * no quality band) must find them. Checked against the generator's truth cloud mask
 * (`truth/clouds-2026-12.tif`) and images, never against the pipeline's own counts:
 *  1. no issue is detected on a pixel under the truth clouds;
 *  2. the county coverage layers cover (almost) all cropland under the truth clouds, and the
 *     county summaries' unobserved cropland area is at least the cropland under the truth clouds
 *     or at nodata on either date, and at most 35% more: the mask is conservative by design
 *     (cloud-edge growth and a 3-pixel buffer as in Fmask, and a shadow search), which around
 *     the demo's hard-edged, shadowless clouds costs about 24% (measured: with edge growth and
 *     buffer at 0 the excess is 0.3%), and a dark tree planting near a cloud passes for its
 *     shadow (7% more);
 *  3. no tracked issue under the clouds is resolved: what was resolved is at most
 *     1 − history.minObservedShare under cloud, and the tracked patches the clouds cover more
 *     than that are carried over, sighted "unobserved".
 * And with `clouds.edgeGrowPx` 0 the month's unobserved cropland crosses a county boundary where
 * polygon clipping once failed ("Unable to complete output ring"): the run completes, and the
 * clipped county layers add up to the windows' pixel tally.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FeatureCollection } from "geojson";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/classify/backend.js";
import { silentLogger } from "../../src/core/logger.js";
import { writeDemoSeries, type WrittenDemoSeries } from "../../src/demo/write-series.js";
import type { SeriesState } from "../../src/history/index.js";
import { openRaster } from "../../src/ingest/raster-source.js";
import { rasterizeLayer } from "../../src/ingest/rasterize.js";
import type { VectorLayer } from "../../src/ingest/vector-layer.js";
import type { RunSummary } from "../../src/report/assemble.js";
import type { IssueFeature } from "../../src/report/issues.js";
import { runDetect } from "../../src/report/run-detect.js";

const SIZE = 512;
const CLOUDY = 2; // 2026-12, the third month

let dir: string;
let w: WrittenDemoSeries;
let truthClouds: Uint8Array;
const summaries: RunSummary[] = [];
const states: Array<SeriesState<IssueFeature>> = [];

/** Burns GeoJSON (lon/lat) features onto the scene grid: index + 1 of the feature, or 0. */
function burn(features: FeatureCollection["features"]): Uint32Array {
  const scene = w.series.scene;
  const layer: VectorLayer<Record<string, never>> = {
    source: "test",
    crs: "EPSG:4326",
    features: features.map((f, index) => ({
      index,
      geometry: f.geometry as never,
      properties: {},
      extent: { minX: 0, minY: 0, maxX: 0, maxY: 0 },
    })),
    extent: null,
  };
  return rasterizeLayer(
    layer,
    { affine: scene.affine, width: scene.width, height: scene.height, crs: scene.crs },
    { burn: (f) => f.index + 1, sampleType: "uint32" },
  ) as Uint32Array;
}

/** Pixels of a lon/lat feature on the scene grid, and how many are under the truth clouds. */
function cloudPixels(f: IssueFeature): { pixels: number; clouded: number } {
  const burnt = burn([f]);
  let pixels = 0;
  let clouded = 0;
  for (let i = 0; i < burnt.length; i++) {
    if (!burnt[i]) continue;
    pixels++;
    if (truthClouds[i]) clouded++;
  }
  return { pixels, clouded };
}

beforeAll(async () => {
  await useBackend("wasm");
  dir = mkdtempSync(path.join(tmpdir(), "demo-series-painted-"));
  w = await writeDemoSeries(dir, { size: SIZE, windowSize: SIZE, months: 3, clouds: "painted" });
  for (let k = 0; k <= CLOUDY; k++) {
    summaries.push(await runDetect(w.manifests[k]!, { logger: silentLogger() }));
    states.push(JSON.parse(readFileSync(path.join(w.outputs[k]!, "state", "issues.json"), "utf8")));
  }
  const r = await openRaster(path.join(dir, "truth", "clouds-2026-12.tif"));
  truthClouds = (await r.read({ x0: 0, y0: 0, x1: r.width, y1: r.height })).bands[0] as Uint8Array;
  await r.close();
}, 120_000);

describe("painted clouds in the demo's cloudy month", () => {
  it("the truth mask is the generator's, and the clouds really are painted (not nodata)", () => {
    const month = w.series.months[CLOUDY]!;
    expect(Array.from(truthClouds)).toEqual(Array.from(month.cloudMask!));
    let clouded = 0;
    for (let i = 0; i < truthClouds.length; i++) {
      if (!truthClouds[i]) continue;
      clouded++;
      expect(month.after.bands[0][i]).toBeGreaterThan(150);
    }
    expect(clouded).toBeGreaterThan(1000);
  });

  it("raises no issue on a pixel under the clouds", () => {
    const detected = states[CLOUDY]!.issues.filter((t) => t.sighting === "detected");
    expect(detected.length).toBeGreaterThan(0);
    for (const t of detected) expect(cloudPixels(t.feature).clouded, t.id).toBe(0);
  });

  it("reports as unobserved all cropland under the clouds or at nodata, and at most 35% more", () => {
    const scene = w.series.scene;
    const cropland = burn(scene.baseline.features.filter((f) => /^01/.test(String(f.properties?.DLBM))));
    const county = burn(scene.counties.features);
    const after = w.series.months[CLOUDY]!.after.bands;
    const before = scene.before.bands;
    const nodata = (b: typeof after, i: number): boolean => b[0][i] === 0 && b[1][i] === 0 && b[2][i] === 0;
    let underCloud = 0;
    let unobserved = 0;
    for (let i = 0; i < cropland.length; i++) {
      if (!cropland[i] || !county[i]) continue;
      const cloud = truthClouds[i] === 1;
      if (cloud) underCloud++;
      if (cloud || nodata(after, i) || nodata(before, i)) unobserved++;
    }
    const pixelM2 = Math.abs(scene.affine.pixelWidth * scene.affine.pixelHeight);
    const expected = unobserved * pixelM2;
    const reported = summaries[CLOUDY]!.counties.reduce((s, c) => s + c.unobservedAreaM2, 0);
    // The clear month before it: the same nodata, no clouds.
    const clear = summaries[1]!.counties.reduce((s, c) => s + c.unobservedAreaM2, 0);
    console.log(
      `unobserved cropland 2026-12: reported ${reported.toFixed(0)} m², truth (cloud or nodata) ${expected.toFixed(0)} m² ` +
        `(of which under cloud ${(underCloud * pixelM2).toFixed(0)} m²), ratio ${(reported / expected).toFixed(4)}; ` +
        `clear 2026-11 reported ${clear.toFixed(0)} m²`,
    );
    expect(underCloud).toBeGreaterThan(0);
    // Never under-reports a gap (1% for soft cloud edges the test misses and ellipsoidal vs grid
    // areas); over-reports by the conservative margins, and by dark land near a cloud taken for
    // its shadow: measured 1.24 until the demo's injected changes got their own calibrated colours
    // (2026-11-23), 1.31 since, the extra being 1164 px of a new, dark tree planting (a GID tree
    // colour) within the shadow search distance of a cloud, all flagged as shadow.
    expect(reported / expected).toBeGreaterThanOrEqual(0.99);
    expect(reported / expected).toBeLessThanOrEqual(1.35);
  });

  it("puts the cropland under the clouds in the county coverage layers", () => {
    const scene = w.series.scene;
    const cropland = burn(scene.baseline.features.filter((f) => /^01/.test(String(f.properties?.DLBM))));
    const county = burn(scene.counties.features);
    const layers = summaries[CLOUDY]!.counties.flatMap((c) =>
      c.unobservedFile
        ? (
            JSON.parse(
              readFileSync(path.join(w.outputs[CLOUDY]!, c.unobservedFile), "utf8"),
            ) as FeatureCollection
          ).features
        : [],
    );
    const covered = burn(layers);
    let under = 0;
    let hit = 0;
    for (let i = 0; i < cropland.length; i++) {
      if (!cropland[i] || !county[i] || truthClouds[i] !== 1) continue;
      under++;
      if (covered[i]) hit++;
    }
    console.log(
      `cropland under the truth clouds: ${under} px, in the coverage layers ${hit} (${((100 * hit) / under).toFixed(2)}%)`,
    );
    expect(under).toBeGreaterThan(0);
    expect(hit / under).toBeGreaterThanOrEqual(0.99);
  });

  it("resolves no tracked issue under the clouds; those it covers are carried over unobserved", () => {
    const state = states[CLOUDY]!;
    const maxClouded = 1 - summaries[CLOUDY]!.config.history.minObservedShare;
    const runId = state.runId;
    const resolved = state.issues.filter((t) => t.status === "resolved" && t.resolved_run === runId);
    for (const t of resolved) {
      const c = cloudPixels(t.feature);
      expect(c.clouded / c.pixels, t.id).toBeLessThanOrEqual(maxClouded);
    }
    let carried = 0;
    for (const prev of states[CLOUDY - 1]!.issues) {
      if (prev.status === "resolved") continue;
      const c = cloudPixels(prev.feature);
      if (c.clouded / c.pixels <= maxClouded) continue;
      carried++;
      const now = state.issues.find((t) => t.id === prev.id)!;
      expect(now.status, prev.id).not.toBe("resolved");
      expect(now.sighting, prev.id).toBe("unobserved");
    }
    expect(carried).toBeGreaterThanOrEqual(1);
  });

  it("cuts unobserved cropland at county boundaries without losing area (edgeGrowPx 0)", async () => {
    const manifest = JSON.parse(readFileSync(w.manifests[CLOUDY]!, "utf8")) as Record<string, unknown>;
    const file = path.join(dir, "manifest-2026-12-edge0.json");
    writeFileSync(
      file,
      JSON.stringify({
        ...manifest,
        runId: "demo-2026-12-edge0",
        output: "runs/2026-12-edge0",
        detection: { clouds: { edgeGrowPx: 0 } },
      }),
    );
    const s = await runDetect(file, { logger: silentLogger() });
    const pixelM2 = Math.abs(w.series.scene.affine.pixelWidth * w.series.scene.affine.pixelHeight);
    const tallied = s.counties.reduce((a, c) => a + c.croplandPixels - c.observedCroplandPixels, 0) * pixelM2;
    const layered = s.counties.reduce((a, c) => a + c.unobservedAreaM2, 0);
    expect(s.counties.filter((c) => c.unobservedAreaM2 > 0).length).toBeGreaterThanOrEqual(2);
    expect(Math.abs(layered - tallied) / tallied).toBeLessThan(0.01);
  }, 60_000);
});
