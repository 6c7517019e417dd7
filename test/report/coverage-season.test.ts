/**
 * Clouds, coverage and abandonment through `patrol detect` on the demo scene:
 *  - synthetic clouds and shadows painted on the after image are masked by the spectral test:
 *    the per-county unobserved-cropland layer covers the opaque clouds on cropland and the
 *    scene's nodata strip, its area matches the summary's, and no issue lies under a cloud;
 *  - a season history handed over through `previousRun` (a parcel with no crop peak and no
 *    tillage from April to September) becomes abandonment issues (change type 7) on that parcel
 *    in October, the October history is written under state/pixels/, and re-running the month
 *    gives the same history and issues (idempotent), and `patrol tune` re-derives that issue list,
 *    abandonment included, from the run's cache and the history it wrote;
 *  - a mistyped previousRun fails the run at once, and a window job on its own, naming the
 *    previous run's state file, rather than restarting the season.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readCountyLayers } from "../support/county-layers.js";
import * as turf from "@turf/turf";
import type { Feature, MultiPolygon, Polygon } from "geojson";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/classify/backend.js";
import { silentLogger } from "../../src/core/logger.js";
import { addSyntheticClouds } from "../../src/demo/clouds.js";
import { writeDemoScene } from "../../src/demo/write-scene.js";
import type { DemoScene } from "../../src/demo/scene.js";
import { coordinateTransform } from "../../src/ingest/crs.js";
import { writeGeoTiff } from "../../src/ingest/geotiff-writer.js";
import { openRaster } from "../../src/ingest/raster-source.js";
import { buildMosaic, readMosaicWindow } from "../../src/ingest/mosaic.js";
import type { RunSummary } from "../../src/report/assemble.js";
import type { UnobservedProperties } from "../../src/report/coverage.js";
import type { IssueProperties } from "../../src/report/issues.js";
import { runDetect } from "../../src/report/run-detect.js";
import { emptySeason, readSeasonState, writeSeasonState } from "../../src/season/index.js";
import { SeriesStateError, STATE_VERSION, writeSeriesState } from "../../src/history/index.js";
import { closeRun, openRun } from "../../src/detect/run-inputs.js";
import { processWindow } from "../../src/report/window-job.js";
import { issueListFiles, issueObjects, runGrid } from "../../src/evaluate/index.js";
import { closeCachedRun, openCachedRun, retuneIssues } from "../../src/tune/index.js";
import { rewriteDemoAfterImage } from "../support/demo-after-image.js";

const SIZE = 512;

function readLayers<P>(root: string, suffix: string): Feature<Polygon | MultiPolygon, P>[] {
  return readCountyLayers<Feature<Polygon | MultiPolygon, P>>(root, suffix);
}

describe("clouds and coverage through patrol detect", () => {
  let dir: string;
  let summary: RunSummary;
  let opacity: Uint8Array;
  let shadow: Uint8Array;
  let nodata: Uint8Array;
  let cropland: Uint8Array;
  const toLonLat = coordinateTransform("EPSG:4546", "EPSG:4326");
  let pixelLonLat: (i: number) => [number, number];

  let oneWindowDir: string;

  async function cloudyRun(
    windowSize: number,
  ): Promise<{ dir: string; summary: RunSummary; scene: DemoScene }> {
    const dir = mkdtempSync(path.join(tmpdir(), "cloudy-demo-"));
    const { manifestPath, scene } = await writeDemoScene(dir, { size: SIZE, windowSize });
    const bands = scene.after.bands.map((b) => b.slice()) as [Uint8Array, Uint8Array, Uint8Array];
    // Same seed on every call: both runs get the same clouds, and the truth below is theirs.
    ({ opacity, shadow } = addSyntheticClouds(bands, SIZE, SIZE, {
      seed: 11,
      count: 3,
      radius: [10, 28],
      shadowOffset: [9, -7],
    }));
    nodata = Uint8Array.from(scene.after.bands[0], (v) => (v === 0 ? 1 : 0));
    await rewriteDemoAfterImage(dir, manifestPath, scene, bands);
    return { dir, scene, summary: await runDetect(manifestPath, { logger: silentLogger() }) };
  }

  beforeAll(async () => {
    await useBackend("wasm");
    const run = await cloudyRun(256);
    ({ dir, summary } = run);
    const scene = run.scene;
    oneWindowDir = (await cloudyRun(512)).dir;
    // Baseline cropland per pixel, from the baseline polygons (pixel centres), independently of the run.
    cropland = new Uint8Array(SIZE * SIZE);
    pixelLonLat = (i: number): [number, number] => {
      const x = scene.affine.originX + ((i % SIZE) + 0.5) * scene.affine.pixelWidth;
      const y = scene.affine.originY + (Math.floor(i / SIZE) + 0.5) * scene.affine.pixelHeight;
      const ll = toLonLat.forward(x, y);
      return [ll.x, ll.y];
    };
    const crops = scene.baseline.features.filter((f) => /^01/.test(String(f.properties?.DLBM)));
    const fromPoint = coordinateTransform("EPSG:4326", "EPSG:4546");
    for (const f of crops) {
      // Baseline parcels are pixel-aligned rectangles: fill them by their corners.
      const xs = f.geometry.coordinates[0]!.map(([lon, lat]) => fromPoint.forward(lon!, lat!));
      const c0 = Math.round((Math.min(...xs.map((p) => p.x)) - scene.affine.originX) / 4);
      const c1 = Math.round((Math.max(...xs.map((p) => p.x)) - scene.affine.originX) / 4);
      const r0 = Math.round((scene.affine.originY - Math.max(...xs.map((p) => p.y))) / 4);
      const r1 = Math.round((scene.affine.originY - Math.min(...xs.map((p) => p.y))) / 4);
      for (let r = r0; r < r1; r++) cropland.fill(1, r * SIZE + c0, r * SIZE + c1);
    }
  }, 300_000);

  it("lists unobserved cropland per county: opaque clouds and the nodata strip on cropland", () => {
    const gaps = readLayers<UnobservedProperties>(path.join(dir, "out", "coverage"), "-unobserved.geojson");
    expect(gaps.length).toBeGreaterThan(0);
    const inGap = (p: [number, number]): boolean => gaps.some((g) => turf.booleanPointInPolygon(p, g));
    let cloudy = 0;
    let cloudyInGap = 0;
    let strip = 0;
    let stripInGap = 0;
    for (let i = 0; i < SIZE * SIZE; i += 3) {
      if (!cropland[i]) continue;
      if (opacity[i]! >= 128 && !nodata[i]) {
        cloudy++;
        if (inGap(pixelLonLat(i))) cloudyInGap++;
      } else if (nodata[i]) {
        strip++;
        if (inGap(pixelLonLat(i))) stripInGap++;
      }
    }
    expect(cloudy).toBeGreaterThan(100);
    expect(strip).toBeGreaterThan(100);
    expect(cloudyInGap / cloudy).toBeGreaterThan(0.99);
    expect(stripInGap).toBe(strip);
    for (const g of gaps) expect(["after", "before", "both"]).toContain(g.properties.unobserved_on);
  });

  it("reports coverage in m² that matches the layer and the injected clouds", () => {
    const gaps = readLayers<UnobservedProperties>(path.join(dir, "out", "coverage"), "-unobserved.geojson");
    for (const c of summary.counties) {
      const mine = gaps.filter((g) => g.properties.county_adcode === c.adcode);
      const layerM2 = mine.reduce((s, g) => s + g.properties.area_m2, 0);
      expect(c.unobservedAreaM2).toBeCloseTo(layerM2, 1);
      // The layer's area (polygons) is the cropland the summary counts (pixel areas) as not
      // observed on both dates, up to the pixels the county line cuts (polygons are clipped at the
      // line, pixels counted whole): 1.05e-4 of the layer in the scene painted for gid-rgb-v4.
      expect(Math.abs(layerM2 - (c.croplandAreaM2 - c.observedCroplandAreaM2)) / layerM2).toBeLessThan(2e-4);
      expect(c.observedShare!).toBeCloseTo(c.observedCroplandPixels / c.croplandPixels, 4);
    }
    // Truth: cropland under cloud (any opacity), shadow or the nodata strip; the mask adds a
    // buffer and dark land near clouds, and may miss the faintest rims.
    let truth = 0;
    let total = 0;
    for (let i = 0; i < SIZE * SIZE; i++) {
      if (!cropland[i]) continue;
      total++;
      if (opacity[i]! > 0 || shadow[i]! >= 128 || nodata[i]) truth++;
    }
    const unobserved = summary.counties.reduce(
      (s, c) => s + (c.croplandPixels - c.observedCroplandPixels),
      0,
    );
    const cropPixels = summary.counties.reduce((s, c) => s + c.croplandPixels, 0);
    expect(Math.abs(cropPixels - total) / total).toBeLessThan(0.001);
    expect(unobserved / truth).toBeGreaterThan(0.9);
    expect(unobserved / truth).toBeLessThan(1.6);
  });

  it("gives the same unobserved-cropland layer in one window as in four (joined across seams)", () => {
    const four = readLayers<UnobservedProperties>(path.join(dir, "out", "coverage"), "-unobserved.geojson");
    const one = readLayers<UnobservedProperties>(
      path.join(oneWindowDir, "out", "coverage"),
      "-unobserved.geojson",
    );
    const key = (f: Feature<Polygon | MultiPolygon, UnobservedProperties>): string =>
      `${f.properties.county_adcode}|${f.properties.unobserved_on}|${f.properties.area_m2.toFixed(1)}`;
    expect(four.map(key).sort()).toEqual(one.map(key).sort());
    const crossing = one.filter((f) => {
      const b = turf.bbox(f);
      const seam = toLonLat.forward(552000 + 256 * 4, 4490000 - 256 * 4);
      return (b[0] < seam.x && b[2] > seam.x) || (b[1] < seam.y && b[3] > seam.y);
    });
    expect(crossing.length).toBeGreaterThan(0);
  });

  it("raises no issue under a cloud", () => {
    const issues = readLayers<IssueProperties>(path.join(dir, "out", "issues"), ".geojson");
    for (let i = 0; i < SIZE * SIZE; i += 2) {
      if (opacity[i]! < 128) continue;
      const p = pixelLonLat(i);
      for (const f of issues) expect(turf.booleanPointInPolygon(p, f), f.properties.id).toBe(false);
    }
  });
});

describe("abandonment from a season history through patrol detect", () => {
  let dir: string;
  let parcel: Feature<Polygon>;
  let first: RunSummary;
  let issues: Feature<Polygon | MultiPolygon, IssueProperties>[];
  let parcelRect: { c0: number; c1: number; r0: number; r1: number };
  let changeCodes: Uint8Array;

  async function stateBytes(): Promise<Buffer[]> {
    const d = path.join(dir, "out", "state", "pixels");
    return readdirSync(d)
      .sort()
      .map((f) => readFileSync(path.join(d, f)));
  }

  beforeAll(async () => {
    await useBackend("wasm");
    dir = mkdtempSync(path.join(tmpdir(), "abandon-demo-"));
    const { manifestPath, scene } = await writeDemoScene(dir, { size: SIZE, windowSize: 256 });
    // A cropland parcel away from injected changes and the nodata strip.
    const changed = scene.truth.features;
    const fromLonLat = coordinateTransform("EPSG:4326", "EPSG:4546");
    const rect = (f: Feature<Polygon>): { c0: number; c1: number; r0: number; r1: number } => {
      const xs = f.geometry.coordinates[0]!.map(([lon, lat]) => fromLonLat.forward(lon!, lat!));
      return {
        c0: Math.round((Math.min(...xs.map((p) => p.x)) - scene.affine.originX) / 4),
        c1: Math.round((Math.max(...xs.map((p) => p.x)) - scene.affine.originX) / 4),
        r0: Math.round((scene.affine.originY - Math.max(...xs.map((p) => p.y))) / 4),
        r1: Math.round((scene.affine.originY - Math.min(...xs.map((p) => p.y))) / 4),
      };
    };
    parcel = scene.baseline.features.find((f) => {
      if (!/^01/.test(String(f.properties?.DLBM))) return false;
      const r = rect(f);
      if (r.c1 - r.c0 < 30 || r.r1 - r.r0 < 15 || r.c1 > SIZE - 120) return false;
      return !changed.some((c) => turf.booleanIntersects(c, f));
    })!;
    expect(parcel).toBeDefined();
    // The previous month's history: April–September observed everywhere; the parcel never rose
    // above ExG 0.05 and was never bare (any October value keeps it so), everything else peaked at 0.6 and was tilled in April.
    const affine = scene.affine;
    const state = emptySeason(SIZE, SIZE, "exg", 2026, "2026-09");
    const r = rect(parcel);
    parcelRect = r;
    const months = 0b111111000; // bits 3..8 = April..September
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++) {
        const i = y * SIZE + x;
        const inParcel = x >= r.c0 && x < r.c1 && y >= r.r0 && y < r.r1;
        state.observedMonths[i] = months;
        state.bareMonths[i] = inParcel ? 0 : 1 << 3;
        state.peak[i] = inParcel ? 0.05 : 0.6;
        state.peakMonth[i] = 7;
        state.minimum[i] = inParcel ? 0.0 : -0.1;
      }
    await writeSeasonState(path.join(dir, "prev", "state", "pixels", "all.tif"), state, {
      affine,
      crs: "EPSG:4546",
      window: { x0: 0, y0: 0, x1: SIZE, y1: SIZE },
    });
    // A previous run's folder also holds its issue series (none tracked here).
    await writeSeriesState(path.join(dir, "prev"), {
      version: STATE_VERSION,
      runId: "demo-2026-09",
      month: "2026-09",
      runDate: "2026-09-30",
      previousRunId: null,
      issues: [],
    });
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Record<string, unknown>;
    // October's look must neither count as tillage nor reach the crop peak, whatever the demo's
    // colours: the history alone decides here.
    manifest.previousRun = "prev";
    manifest.detection = { abandonment: { exg: { cropPeakMin: 2.5, bareSoilMax: -2 } } }; // ExG lies in −1…2
    writeFileSync(manifestPath, JSON.stringify(manifest));
    first = await runDetect(manifestPath, { logger: silentLogger() });
    issues = readLayers<IssueProperties>(path.join(dir, "out", "issues"), ".geojson");
    const windows = readdirSync(path.join(dir, "out", "windows")).sort();
    const rasters = await Promise.all(
      windows.map((w) => openRaster(path.join(dir, "out", "windows", w, "change.tif"))),
    );
    const block = await readMosaicWindow(
      buildMosaic(rasters),
      { x0: 0, y0: 0, x1: SIZE, y1: SIZE },
      { bands: [0] },
    );
    changeCodes = block.bands[0] as Uint8Array;
    await Promise.all(rasters.map((x) => x.close()));
  }, 300_000);

  it("reports the parcel as abandonment, and nothing else as abandonment", () => {
    expect(first.undetectableChangeTypes).not.toContain("abandonment");
    const abandoned = issues.filter((f) => f.properties.change_type === "abandonment");
    expect(abandoned.length).toBeGreaterThan(0);
    const covered = abandoned.reduce((s, f) => {
      const x = turf.intersect(turf.featureCollection([f, parcel]));
      return s + (x ? turf.area(x) : 0);
    }, 0);
    // Other change types take precedence where the model sees them (and opening erodes corners):
    // of the parcel's pixels no other change claims, abandonment takes nearly all.
    expect(covered / turf.area(parcel)).toBeGreaterThan(0.5);
    let free = 0;
    let seven = 0;
    for (let y = parcelRect.r0; y < parcelRect.r1; y++)
      for (let x = parcelRect.c0; x < parcelRect.c1; x++) {
        const v = changeCodes[y * SIZE + x]!;
        if (v === 0 || v === 7) free++;
        if (v === 7) seven++;
      }
    expect(seven / free).toBeGreaterThan(0.9);
    for (const f of abandoned) {
      const x = turf.intersect(turf.featureCollection([f, parcel]));
      expect((x ? turf.area(x) : 0) / turf.area(f)).toBeGreaterThan(0.999);
      expect(f.properties.change_type_zh).toBe("撂荒");
    }
  });

  it("is re-derived by tune from the cache and the written history, abandonment included", async () => {
    const out = path.join(dir, "out");
    const run = await openCachedRun(out);
    try {
      const [again] = await retuneIssues(run, [run.config]);
      const listed = await issueObjects(await issueListFiles(out), await runGrid(out));
      expect(listed.objects.some((o) => o.changeType === "abandonment")).toBe(true);
      const key = (o: { id: string; changeType: string | null; areaM2: number }) =>
        `${o.id}|${o.changeType}|${o.areaM2}`;
      expect(again!.objects.map(key).sort()).toEqual(listed.objects.map(key).sort());
      let differ = 0;
      for (let i = 0; i < listed.labels.length; i++)
        if (listed.labels[i]! > 0 !== again!.labels[i]! > 0) differ++;
      expect(differ).toBe(0);
    } finally {
      await closeCachedRun(run);
    }
  });

  it("writes October's history: October observed where the after image saw the ground", async () => {
    const r = await openRaster(path.join(dir, "out", "windows", "r0c0", "masks.tif"));
    const masks = (await r.read({ x0: 0, y0: 0, x1: r.width, y1: r.height }, { bands: [0] })).bands[0]!;
    await r.close();
    const s = (await readSeasonState(path.join(dir, "out"), {
      affine: {
        originX: 552000,
        pixelWidth: 4,
        rowRotation: 0,
        originY: 4490000,
        colRotation: 0,
        pixelHeight: -4,
      },
      crs: "EPSG:4546",
      window: { x0: 0, y0: 0, x1: r.width, y1: r.height },
    }))!;
    expect(s.month).toBe("2026-10");
    for (let i = 0; i < masks.length; i += 5) {
      const october = (s.observedMonths[i]! >> 9) & 1;
      expect(october).toBe(masks[i] === 0 ? 1 : 0);
      expect(s.observedMonths[i]! & 0b111111000).toBe(0b111111000);
    }
  });

  it("gives the same history and issues when the month is run again", async () => {
    const before = await stateBytes();
    const again = await runDetect(path.join(dir, "manifest.json"), { logger: silentLogger() });
    expect(await stateBytes()).toEqual(before);
    const issues2 = readLayers<IssueProperties>(path.join(dir, "out", "issues"), ".geojson");
    expect(issues2.map((f) => f.properties.id)).toEqual(issues.map((f) => f.properties.id));
    expect(again.totals.byType.abandonment).toEqual(first.totals.byType.abandonment);
  });
});

describe("a sensor profile's quality band through patrol detect", () => {
  let dir: string;
  const rect = { x0: 20, y0: 20, x1: 140, y1: 120 };
  let baselineCrop: Feature<Polygon>[];
  let afterMask: Uint8Array;
  let width: number;

  beforeAll(async () => {
    await useBackend("wasm");
    dir = mkdtempSync(path.join(tmpdir(), "quality-demo-"));
    const { manifestPath, scene } = await writeDemoScene(dir, { size: SIZE, windowSize: 512 });
    baselineCrop = scene.baseline.features.filter((f) => /^01/.test(String(f.properties?.DLBM)));
    // The after image gains a fourth band, a quality band: 1 clear, 9 cloudy inside `rect`.
    const quality = new Uint8Array(SIZE * SIZE).fill(1);
    for (let y = rect.y0; y < rect.y1; y++) quality.fill(9, y * SIZE + rect.x0, y * SIZE + rect.x1);
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
      tiles: Array<{ after: { source: string; profile?: unknown } }>;
    };
    const tile = manifest.tiles[0]!;
    await writeGeoTiff(
      path.join(dir, tile.after.source),
      {
        width: SIZE,
        height: SIZE,
        bandCount: 4,
        sampleType: "uint8",
        affine: scene.affine,
        crs: scene.crs,
        nodata: 0,
        bandDescriptions: ["red", "green", "blue", "quality"],
      },
      [...scene.after.bands, quality],
    );
    tile.after.profile = {
      id: "rgb-quality",
      bandCount: 4,
      bands: [
        { name: "red", index: 0, scale: 1 / 255 },
        { name: "green", index: 1, scale: 1 / 255 },
        { name: "blue", index: 2, scale: 1 / 255 },
      ],
      quality: { index: 3, clear: [1] },
    };
    writeFileSync(manifestPath, JSON.stringify(manifest));
    await runDetect(manifestPath, { logger: silentLogger() });
    const r = await openRaster(path.join(dir, "out", "windows", "r0c0", "masks.tif"));
    width = r.width;
    afterMask = (await r.read({ x0: 0, y0: 0, x1: r.width, y1: r.height }, { bands: [0] }))
      .bands[0] as Uint8Array;
    await r.close();
  }, 300_000);

  it("masks exactly what the quality band marks, and runs no spectral test beside it", () => {
    for (let y = rect.y0; y < rect.y1; y++)
      for (let x = rect.x0; x < rect.x1; x++) expect(afterMask[y * width + x]).toBe(2);
    let spectral = 0;
    for (const v of afterMask) if (v === 3 || v === 4) spectral++;
    expect(spectral).toBe(0);
  });

  it("lists the masked cropland as not observed on the after date, and raises no issue there", () => {
    const gaps = readLayers<UnobservedProperties>(path.join(dir, "out", "coverage"), "-unobserved.geojson");
    const issues = readLayers<IssueProperties>(path.join(dir, "out", "issues"), ".geojson");
    const toLonLat = coordinateTransform("EPSG:4546", "EPSG:4326");
    let checked = 0;
    for (let y = rect.y0 + 1; y < rect.y1; y += 7)
      for (let x = rect.x0 + 1; x < rect.x1; x += 7) {
        const ll = toLonLat.forward(552000 + (x + 0.5) * 4, 4490000 - (y + 0.5) * 4);
        const p: [number, number] = [ll.x, ll.y];
        for (const f of issues) expect(turf.booleanPointInPolygon(p, f)).toBe(false);
        if (!baselineCrop.some((f) => turf.booleanPointInPolygon(p, f))) continue;
        checked++;
        const gap = gaps.find((g) => turf.booleanPointInPolygon(p, g));
        expect(gap?.properties.unobserved_on).toBe("after");
      }
    expect(checked).toBeGreaterThan(50);
  });
});

describe("a mistyped previousRun", () => {
  it("fails the run at once, and a window job on its own, naming the state it lacks", async () => {
    await useBackend("wasm");
    const dir = mkdtempSync(path.join(tmpdir(), "no-previous-"));
    const { manifestPath } = await writeDemoScene(dir, { size: 256, windowSize: 256 });
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Record<string, unknown>;
    manifest.previousRun = "out-2026-09-typo";
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const expected = path.join(dir, "out-2026-09-typo", "state", "issues.json");
    const err = await runDetect(manifestPath, { logger: silentLogger() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SeriesStateError);
    expect((err as SeriesStateError).file).toBe(expected);
    // A window job (as a queue worker runs it) checks too, before writing any season history.
    const run = await openRun(manifestPath, { logger: silentLogger() });
    try {
      const windowErr = await processWindow(run, run.windows[0]!, { logger: silentLogger() }).catch(
        (e: unknown) => e,
      );
      expect(windowErr).toBeInstanceOf(SeriesStateError);
      expect((windowErr as SeriesStateError).file).toBe(expected);
    } finally {
      await closeRun(run);
    }
  }, 120_000);
});
