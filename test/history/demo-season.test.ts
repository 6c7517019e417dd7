/**
 * Abandonment end to end on the demo growing season (`patrol demo-series --season`, 384² scene,
 * April to August 2027, clouds painted into June): every cultivated parcel is tilled in spring and
 * green in summer, one parcel is abandoned (never tilled, never as green as a crop). Each month
 * runs through the real pipeline (runDetect, reading the previous month's state), and is checked
 * against the generator's truth (abandoned parcel, cultivated parcels, cloud mask), never against
 * counts the pipeline produced:
 *  1. no month before `abandonment.decideFromMonth` flags abandonment;
 *  2. in that month the abandoned parcel is an `abandonment` issue lying inside the parcel and
 *     covering at least half of it;
 *  3. no abandonment issue reaches into a cultivated parcel;
 *  4. the cloudy month detects nothing under the truth clouds, and its clouded pixels never enter
 *     the season history.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readCountyLayers } from "../support/county-layers.js";
import * as turf from "@turf/turf";
import type { Feature, Polygon } from "geojson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/classify/backend.js";
import { parseDetectionConfig } from "../../src/config/detection-config.js";
import { silentLogger } from "../../src/core/logger.js";
import { writeDemoSeries, type WrittenDemoSeries } from "../../src/demo/write-series.js";
import type { SeriesState } from "../../src/history/index.js";
import { openRaster } from "../../src/ingest/raster-source.js";
import { rasterizeLayer } from "../../src/ingest/rasterize.js";
import type { IssueFeature } from "../../src/report/issues.js";
import { runDetect } from "../../src/report/run-detect.js";

const SIZE = 384;
const MONTHS = ["2027-04", "2027-05", "2027-06", "2027-07", "2027-08"] as const;
const CLOUDY = 2; // 2027-06
const DECIDE_FROM = parseDetectionConfig({}).abandonment.decideFromMonth;

let dir: string;
let w: WrittenDemoSeries;
let cpuSeconds = 0;
const issues: IssueFeature[][] = [];

function listed(k: number): IssueFeature[] {
  return readCountyLayers<IssueFeature>(path.join(w.outputs[k]!, "issues"), ".geojson", {
    allowMissing: true,
  });
}

function intersectionM2(a: Feature, b: Feature): number {
  const i = turf.intersect(turf.featureCollection([a as Feature<Polygon>, b as Feature<Polygon>]));
  return i ? turf.area(i) : 0;
}

/** 1 on the scene grid where a lon/lat feature covers the pixel centre. */
function burn(f: Feature): Uint8Array {
  const scene = w.series.scene;
  return rasterizeLayer(
    {
      source: "test",
      crs: "EPSG:4326",
      features: [
        {
          index: 0,
          geometry: f.geometry as never,
          properties: {},
          extent: { minX: 0, minY: 0, maxX: 0, maxY: 0 },
        },
      ],
      extent: null,
    },
    { affine: scene.affine, width: scene.width, height: scene.height, crs: scene.crs },
    { burn: 1 },
  ) as Uint8Array;
}

const abandonment = (k: number): IssueFeature[] =>
  issues[k]!.filter((f) => f.properties.change_type === "abandonment");

beforeAll(async () => {
  await useBackend("wasm");
  dir = mkdtempSync(path.join(tmpdir(), "demo-season-"));
  w = await writeDemoSeries(dir, { size: SIZE, windowSize: SIZE, season: true, months: MONTHS.length });
  const t0 = process.cpuUsage();
  for (const manifest of w.manifests) {
    await runDetect(manifest, { logger: silentLogger() });
    issues.push(listed(issues.length));
  }
  const cpu = process.cpuUsage(t0);
  cpuSeconds = (cpu.user + cpu.system) / 1e6;
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("abandonment on the demo growing season", () => {
  it("writes the season months with one abandoned parcel and the cultivated ones", () => {
    expect(w.series.months.map((m) => m.month)).toEqual([...MONTHS]);
    expect(w.series.abandonedTruth.features).toHaveLength(1);
    expect(w.series.cultivatedTruth!.features.length).toBeGreaterThan(20);
    expect(w.series.months[CLOUDY]!.cloudMask).not.toBeNull();
  });

  it("flags nothing as abandonment before decideFromMonth", () => {
    MONTHS.forEach((m, k) => {
      if (Number(m.slice(5)) < DECIDE_FROM) expect(abandonment(k), m).toEqual([]);
    });
  });

  it("flags the abandoned parcel in decideFromMonth, inside the parcel", () => {
    const k = MONTHS.findIndex((m) => Number(m.slice(5)) === DECIDE_FROM);
    const truth = w.series.abandonedTruth.features[0]!;
    const truthArea = turf.area(truth);
    const flagged = abandonment(k);
    expect(flagged.length).toBeGreaterThan(0);
    let inside = 0;
    for (const f of flagged) {
      const overlap = intersectionM2(f, truth);
      // Each issue lies (almost) wholly in the parcel: at least half of it, as the brief asks.
      expect(overlap / turf.area(f), f.properties.id).toBeGreaterThanOrEqual(0.5);
      inside += overlap;
    }
    // And together they cover at least half the parcel (measured: 96% at 384², 96% at 512²).
    expect(inside / truthArea).toBeGreaterThanOrEqual(0.5);
    process.stdout.write(
      `demo season ${SIZE}²: abandonment ${inside.toFixed(0)} of ${truthArea.toFixed(0)} m² flagged in ${MONTHS[k]}; ${MONTHS.length} runs ${cpuSeconds.toFixed(1)} s CPU\n`,
    );
  });

  it("flags no cultivated parcel as abandoned in any month", () => {
    const cultivated = w.series.cultivatedTruth!.features;
    MONTHS.forEach((m, k) => {
      let onCultivated = 0;
      for (const f of abandonment(k)) for (const c of cultivated) onCultivated += intersectionM2(f, c);
      // Polygon slivers along a shared edge only: less than one 4 m pixel.
      expect(onCultivated, m).toBeLessThan(16);
    });
  });

  it("detects nothing under the cloudy month's clouds and keeps clouded pixels out of the history", async () => {
    const mask = w.series.months[CLOUDY]!.cloudMask!;
    // Patches detected this month (a tracked patch under the cloud is carried over, not detected).
    const state = JSON.parse(
      readFileSync(path.join(w.outputs[CLOUDY]!, "state", "issues.json"), "utf8"),
    ) as SeriesState<IssueFeature>;
    const detected = state.issues.filter((t) => t.sighting === "detected");
    expect(detected.length).toBeGreaterThan(0);
    for (const t of detected) {
      const burnt = burn(t.feature);
      let clouded = 0;
      for (let i = 0; i < burnt.length; i++) if (burnt[i] && mask[i]) clouded++;
      expect(clouded, `${t.id} ${t.feature.properties.change_type}`).toBe(0);
    }
    // The last month's history: June's bit (bit 5) is unset on every truth-cloud pixel.
    const dir = path.join(w.outputs.at(-1)!, "state", "pixels");
    const files = readdirSync(dir).filter((f) => f.endsWith(".tif"));
    expect(files).toHaveLength(1); // one window: the history is on the scene grid
    const raster = await openRaster(path.join(dir, files[0]!));
    try {
      const block = await raster.read({ x0: 0, y0: 0, x1: SIZE, y1: SIZE }, { bands: [0] });
      const observed = block.bands[0]!;
      const june = 1 << (6 - 1);
      let cloudPixels = 0;
      let inHistory = 0;
      for (let i = 0; i < mask.length; i++) {
        if (!mask[i]) continue;
        cloudPixels++;
        if (observed[i]! & june) inHistory++;
      }
      expect(cloudPixels).toBeGreaterThan(500);
      expect(inHistory).toBe(0);
    } finally {
      await raster.close();
    }
  });
});
