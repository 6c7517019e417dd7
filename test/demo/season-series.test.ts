/**
 * The demo growing season (src/demo/season-series.ts): April to October 2027 on the demo grid,
 * cultivated parcels following the crop calendar, one abandoned parcel, a cloudy June. Checked on
 * the painted pixels with the same excess-green index and thresholds the season history uses.
 */
import { createHash } from "node:crypto";
import type { Feature } from "geojson";
import { describe, expect, it } from "vitest";
import { parseDetectionConfig } from "../../src/config/detection-config.js";
import { calibratedSwatches } from "../../src/demo/paint.js";
import { generateDemoScene } from "../../src/demo/scene.js";
import { CROP_CALENDAR, generateDemoSeasonSeries, phaseSwatches } from "../../src/demo/season-series.js";
import { rasterizeLayer } from "../../src/ingest/rasterize.js";
import { excessGreen } from "../../src/season/vegetation-index.js";

const SIZE = 384;
const series = generateDemoSeasonSeries({ size: SIZE });
const exg = parseDetectionConfig({}).abandonment.exg;

function digest(bands: readonly Uint8Array[]): string {
  const h = createHash("sha256");
  for (const b of bands) h.update(b);
  return h.digest("hex");
}

/** Pixels (scene grid) whose centre lies in any of the features. */
function burn(features: readonly Feature[]): Uint8Array {
  const scene = series.scene;
  return rasterizeLayer(
    {
      source: "test",
      crs: "EPSG:4326",
      features: features.map((f, index) => ({
        index,
        geometry: f.geometry as never,
        properties: {},
        extent: { minX: 0, minY: 0, maxX: 0, maxY: 0 },
      })),
      extent: null,
    },
    { affine: scene.affine, width: scene.width, height: scene.height, crs: scene.crs },
    { burn: 1 },
  ) as Uint8Array;
}

/** Per pixel: was it bare soil (ExG ≤ bareSoilMax) in some observed month, and its peak ExG. */
function history(): { bare: Uint8Array; peak: Float32Array; observed: Uint8Array } {
  const n = SIZE * SIZE;
  const bare = new Uint8Array(n);
  const observed = new Uint8Array(n);
  const peak = new Float32Array(n).fill(-Infinity);
  for (const m of series.months) {
    const [r, g, b] = m.after.bands.map((band) => Float32Array.from(band));
    const index = excessGreen(r!, g!, b!);
    for (let i = 0; i < n; i++) {
      if (m.after.bands[0][i] === 0 || m.cloudMask?.[i]) continue;
      observed[i] = 1;
      if (index[i]! <= exg.bareSoilMax) bare[i] = 1;
      if (index[i]! > peak[i]!) peak[i] = index[i]!;
    }
  }
  return { bare, peak, observed };
}

describe("demo growing season", () => {
  it("runs April to October 2027 on the demo grid, deterministically", () => {
    expect(series.months.map((m) => [m.month, m.runDate, m.after.date])).toEqual(
      [4, 5, 6, 7, 8, 9, 10].map((mo) => {
        const mm = String(mo).padStart(2, "0");
        return [`2027-${mm}`, `2027-${mm}-20`, `2027-${mm}-16`];
      }),
    );
    const scene = generateDemoScene({ size: SIZE });
    expect(digest(series.scene.before.bands)).toBe(digest(scene.before.bands));
    const again = generateDemoSeasonSeries({ size: SIZE, months: 3 });
    for (let k = 0; k < 3; k++)
      expect(digest(again.months[k]!.after.bands)).toBe(digest(series.months[k]!.after.bands));
    expect(() => generateDemoSeasonSeries({ size: SIZE, months: 8 })).toThrow(RangeError);
    expect(() => generateDemoSeasonSeries({ size: SIZE, months: 0 })).toThrow(RangeError);
  });

  it("paints each crop phase only in colours calibrated as cropland", () => {
    for (const phase of new Set(Object.values(CROP_CALENDAR))) {
      const swatches = phaseSwatches(phase);
      expect(swatches.length, phase).toBeGreaterThan(0);
      const calibrated = new Set(calibratedSwatches(phase === "canopy" ? "paddy" : "dry-cropland"));
      for (const k of swatches) expect(calibrated.has(k), `${phase} ${k}`).toBe(true);
    }
  });

  it("shows cultivated parcels tilled or green, and the abandoned parcel neither", () => {
    const { bare, peak, observed } = history();
    const changes = burn(series.months[0]!.truth.features);
    const abandoned = burn(series.abandonedTruth.features);
    const cultivated = burn(series.cultivatedTruth!.features);
    let cultivatedPixels = 0;
    let cultivatedLikeAbandoned = 0;
    let abandonedPixels = 0;
    let abandonedTilledOrGreen = 0;
    for (let i = 0; i < SIZE * SIZE; i++) {
      if (!observed[i] || changes[i]) continue;
      const cropLike = bare[i] === 1 || peak[i]! >= exg.cropPeakMin;
      if (cultivated[i]) {
        cultivatedPixels++;
        if (!cropLike) cultivatedLikeAbandoned++;
      }
      if (abandoned[i]) {
        abandonedPixels++;
        if (cropLike) abandonedTilledOrGreen++;
      }
    }
    expect(cultivatedPixels).toBeGreaterThan(20_000);
    expect(abandonedPixels).toBeGreaterThan(300);
    // Per pixel, after sensor noise and texture: almost every cultivated pixel shows tillage or a
    // crop peak, almost no abandoned pixel does.
    expect(cultivatedLikeAbandoned / cultivatedPixels).toBeLessThan(0.001);
    expect(abandonedTilledOrGreen / abandonedPixels).toBeLessThan(0.05);
  });

  it("clouds June only, over part of the abandoned parcel", () => {
    expect(series.months.map((m) => m.cloudMask !== null)).toEqual([
      false,
      false,
      true,
      false,
      false,
      false,
      false,
    ]);
    const mask = series.months[2]!.cloudMask!;
    const abandoned = burn(series.abandonedTruth.features);
    let inParcel = 0;
    let clouded = 0;
    for (let i = 0; i < mask.length; i++)
      if (abandoned[i]) {
        inParcel++;
        clouded += mask[i]!;
      }
    expect(clouded).toBeGreaterThan(0);
    expect(clouded).toBeLessThan(inParcel);
  });
});
