/**
 * The demo growing season: the demo landscape month by month from April 2027, the first month of
 * the default growing season (`abandonment.seasonStartMonth` 4), so a run series observes a whole
 * season and the abandonment rules (season/abandonment.ts) can decide from August
 * (`decideFromMonth` 8). The default demo series (series.ts) starts in October, the season's last
 * month, and so never observes a season.
 *
 * What happens:
 *  - every cultivated cropland parcel follows a single-cropping crop calendar ({@link CROP_CALENDAR}):
 *    tilled and sown (bare soil) in April and May, green crop canopy from June to August,
 *    harvested and ploughed (bare soil) in September and October;
 *  - one cropland parcel is abandoned (撂荒) since the last harvest: never tilled (no furrows), in
 *    straw-coloured dead weeds in spring and autumn and olive weeds in summer, never as green as a
 *    crop canopy (`truth/abandoned.geojson`);
 *  - the demo scene's injected changes (set A of the default series) stay on the ground;
 *  - month 3 (June) is cloudy: opaque clouds over part of the abandoned parcel and over one change.
 * Every month is compared with the demo scene's before image (2026-09), as the default series.
 *
 * Colours: each phase is painted in GID Gaofen-2 colours that the shipped model recognises as
 * cropland (demo-swatches.json), chosen by the excess-green index of the palette entry, the index
 * an RGB season history tracks: bare soil (ExG ≤ −0.1) and crop canopy (≥ 0.2). The classifier
 * calls (almost all of) every phase and the abandoned parcel cropland, so only the season history
 * tells them apart. README "Demo sequence" gives the false image-based patches that remain.
 */
import type { Feature, Polygon } from "geojson";
import {
  calibratedSwatches,
  paintRegions,
  swatchExcessGreen,
  swatchMeanDn,
  type PaintClass,
  type PaintRegion,
} from "./paint.js";
import { CROPLAND, generateDemoWorld, type Parcel, type PixelRect } from "./scene.js";
import {
  cloudMask,
  paintClouds,
  type DemoMonth,
  type DemoSeries,
  type DemoSeriesChange,
  type DemoSeriesOptions,
} from "./series.js";
import { SeededRandom } from "./rng.js";
import type { DemoChangeType } from "./scene.js";

/** First month of the season series: April 2027, acquisitions on the 16th. */
const SEASON_START = { year: 2027, month: 4, day: 16 };
/** April to October: the default growing season. */
export const MAX_SEASON_MONTHS = 7;

/** What a cultivated field shows from above in a month. */
export type CropPhase = "bare" | "canopy";

/**
 * Single-cropping calendar of the Hohhot plain (spring maize, wheat): month (1–12) → phase.
 * Colours the demo leaves out because the shipped model misreads them among neighbouring fields
 * (measured on the 512² series): GID's partial-canopy colours (irrigated entries with ExG ≥ 0.1)
 * for a June green-up, 1–2% of such fields pond or built-up, nine false patches; straw-coloured
 * stubble (dry-cropland entries with ExG 0 to 0.1) for September, 31 false construction patches.
 * So the crop is green from June and harvested fields are shown ploughed.
 */
export const CROP_CALENDAR: Readonly<Record<number, CropPhase>> = {
  4: "bare", // tilled, sown
  5: "bare", // seedlings too small to see at 4 m
  6: "canopy",
  7: "canopy",
  8: "canopy",
  9: "bare", // harvested, stubble ploughed in
  10: "bare",
};

/**
 * Which GID palette a phase is painted from, and the excess-green range (of the entry's mean
 * colour) an entry must fall in: soil, crop canopy.
 */
const PHASE_PALETTE: Readonly<Record<CropPhase, { palette: PaintClass; exgMin: number; exgMax: number }>> = {
  bare: { palette: "dry-cropland", exgMin: -Infinity, exgMax: -0.1 },
  canopy: { palette: "paddy", exgMin: 0.2, exgMax: Infinity },
};

/**
 * The abandoned parcel's colours: straw of dead weeds and last year's stubble (GID dry-cropland
 * entry 34, 131/122/93, ExG 0.06) outside summer, sparse olive weeds (GID irrigated entry 34,
 * 140/125/84, ExG 0.08) in June to August. Both lie between bare soil and a crop canopy, and the
 * shipped model calls both cropland.
 */
const ABANDONED_SWATCH = {
  dormant: { palette: "dry-cropland", swatch: 34 },
  weeds: { palette: "irrigated", swatch: 34 },
} as const satisfies Record<string, { palette: PaintClass; swatch: number }>;

/**
 * Darkest mean DN (of R, G, B) a phase colour may have. Calibration paints a colour alone; among
 * neighbouring fields the model calls the darker cropland entries something else (measured on the
 * 512² season series: dark olive paddy entry 18 is 12% trees in July, dark dry-cropland entry 1
 * 9% pond in April; with mean DN ≥ 80, no false patch on a cultivated parcel in April or July).
 */
const MIN_MEAN_DN = 80;

/** Palette entries a phase may be painted in: calibrated as cropland, in the phase's ExG range, not dark. */
export function phaseSwatches(phase: CropPhase): readonly number[] {
  const { palette, exgMin, exgMax } = PHASE_PALETTE[phase];
  return calibratedSwatches(palette).filter((k) => {
    const e = swatchExcessGreen(palette, k);
    return e >= exgMin && e <= exgMax && swatchMeanDn(palette, k) >= MIN_MEAN_DN;
  });
}

function isoDate(k: number, day: number): string {
  return new Date(Date.UTC(SEASON_START.year, SEASON_START.month - 1 + (k - 1), day))
    .toISOString()
    .slice(0, 10);
}

/**
 * Generates the season series (`months` from April 2027, 1 to 7, default 7). Same options, same
 * months, byte for byte. Returns the months, the abandoned parcel and the cultivated parcels.
 */
export function generateDemoSeasonSeries(options: DemoSeriesOptions = {}): DemoSeries {
  const months = options.months ?? MAX_SEASON_MONTHS;
  if (!Number.isInteger(months) || months < 1 || months > MAX_SEASON_MONTHS)
    throw new RangeError(`season months must be an integer from 1 to ${MAX_SEASON_MONTHS}, not ${months}`);
  const { scene, world } = generateDemoWorld(options);
  const { size, regions, parcels, used } = world;
  const rng = new SeededRandom((options.seed ?? 20261016) ^ 0x5ea5011);
  const inStrip = (r: PixelRect): boolean =>
    [r.x0, r.x1 - 1].some((x) => [r.y0, r.y1 - 1].some((y) => world.unobserved(x, y)));

  // The abandoned parcel: a free dry or irrigated parcel, large enough to pass the minimum area.
  const pool = parcels.filter(
    (p) =>
      (p.cls === "dry-cropland" || p.cls === "irrigated") &&
      !used.has(p) &&
      p.rect.x1 - p.rect.x0 >= 24 &&
      p.rect.y1 - p.rect.y0 >= 14 &&
      !inStrip(p.rect),
  );
  const abandoned: Parcel | null = pool.length > 0 ? rng.fork(250).pick(pool) : null;
  const addRegion = (region: PaintRegion): number => regions.push(region) - 1;
  const untilled = (swatch: { palette: PaintClass; swatch: number }, salt: number): number =>
    addRegion({
      cls: "grass", // no furrows: nobody tilled it
      seed: rng.fork(salt).int(1, 2 ** 30),
      angle: 0,
      swatch: swatch.swatch,
      swatchClass: swatch.palette,
    });
  const abandonedRegion = {
    dormant: untilled(ABANDONED_SWATCH.dormant, 260),
    weeds: untilled(ABANDONED_SWATCH.weeds, 261),
  };

  // The cultivated parcels: every cropland parcel still painted as itself on the patrol date
  // (the mismatch parcel is a yard; injected changes take part of a parcel or all of it).
  const painted = new Set(world.afterMap);
  const cultivated = parcels.filter((p) => CROPLAND.has(p.cls) && p !== abandoned && painted.has(p.region));
  // One region per parcel and phase: the parcel's furrows, a phase colour picked per parcel.
  const phaseRegion = new Map<CropPhase, Map<number, number>>();
  for (const phase of Object.keys(PHASE_PALETTE) as CropPhase[]) {
    const swatches = phaseSwatches(phase);
    if (swatches.length === 0)
      throw new RangeError(
        `no palette entry calibrated as cropland (demo-swatches.json) fits the ${phase} phase`,
      );
    const byRegion = new Map<number, number>();
    cultivated.forEach((p, k) => {
      const local = rng.fork(1000 * (Object.keys(PHASE_PALETTE).indexOf(phase) + 1) + k);
      byRegion.set(
        p.region,
        addRegion({
          cls: p.cls,
          seed: local.int(1, 2 ** 30),
          angle: regions[p.region]!.angle,
          swatch: local.pick(swatches),
          swatchClass: PHASE_PALETTE[phase].palette,
        }),
      );
    });
    phaseRegion.set(phase, byRegion);
  }

  // Month 3 (June): clouds over a corner of the abandoned parcel and over one injected change.
  const changes = scene.truth.features.map((f, k) => ({
    id: String(f.properties?.truth_id),
    type: f.properties?.change_type as DemoChangeType,
    approved: Boolean(f.properties?.approved),
    rect: world.changeRects[k]!,
  }));
  const cloudy = changes.find((c) => c.type === "construction" && !c.approved) ?? changes[0];
  const centres: Array<{ x: number; y: number; r: number }> = [];
  if (abandoned) {
    const r = abandoned.rect;
    centres.push({ x: r.x0, y: r.y0, r: Math.min(r.x1 - r.x0, r.y1 - r.y0) * 0.6 });
  }
  if (cloudy) {
    const r = cloudy.rect;
    centres.push({
      x: (r.x0 + r.x1) / 2,
      y: (r.y0 + r.y1) / 2,
      r: Math.hypot(r.x1 - r.x0, r.y1 - r.y0) / 2 / 0.8 + 4,
    });
  }
  const mask3 = cloudMask(size, centres, rng.fork(310));
  const cloudShare = (r: PixelRect, mask: Uint8Array | null): number => {
    if (!mask) return 0;
    let n = 0;
    for (let y = r.y0; y < r.y1; y++) for (let x = r.x0; x < r.x1; x++) n += mask[y * size + x]!;
    return n / ((r.x1 - r.x0) * (r.y1 - r.y0));
  };

  const out: DemoMonth[] = [];
  for (let k = 1; k <= months; k++) {
    const date = isoDate(k, SEASON_START.day);
    const month = date.slice(0, 7);
    const calendarMonth = Number(month.slice(5, 7));
    const phase = CROP_CALENDAR[calendarMonth]!;
    const remap = phaseRegion.get(phase)!;
    const weedy = calendarMonth >= 6 && calendarMonth <= 8;
    const map = Int32Array.from(world.afterMap, (id) => remap.get(id) ?? id);
    if (abandoned) {
      const region = weedy ? abandonedRegion.weeds : abandonedRegion.dormant;
      const r = abandoned.rect;
      for (let y = r.y0; y < r.y1; y++) map.fill(region, y * size + r.x0, y * size + r.x1);
    }
    const bands = paintRegions(map, regions, size, size, 40_16 + k * 1000);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        if (!world.unobserved(x, y)) continue;
        for (const band of bands) band[y * size + x] = 0;
      }
    const mask = k === 3 ? mask3 : null;
    if (mask) paintClouds(bands, mask, size, rng.fork(320));
    const features: Feature<Polygon, DemoSeriesChange>[] = changes.map((c) => ({
      type: "Feature",
      properties: {
        truth_id: c.id,
        change_type: c.type,
        approved: c.approved,
        appeared: scene.after.date.slice(0, 7),
        present: true,
        reverted: null,
        cloud_share: Number(cloudShare(c.rect, mask).toFixed(4)),
      },
      geometry: world.rectPolygon(c.rect),
    }));
    out.push({
      month,
      runDate: isoDate(k, SEASON_START.day + 4),
      after: { date, bands },
      cloudMask: mask,
      truth: { type: "FeatureCollection", features },
    });
  }
  const dlbm = (p: Parcel): string => (p.cls === "paddy" ? "0101" : p.cls === "irrigated" ? "0102" : "0103");
  return {
    scene,
    months: out,
    abandonedTruth: {
      type: "FeatureCollection",
      features: abandoned
        ? [
            {
              type: "Feature",
              properties: { truth_id: "abandoned-1", DLBM: dlbm(abandoned), from: isoDate(1, 1).slice(0, 7) },
              geometry: world.rectPolygon(abandoned.rect),
            },
          ]
        : [],
    },
    cultivatedTruth: {
      type: "FeatureCollection",
      features: cultivated.map((p, k) => ({
        type: "Feature",
        properties: { truth_id: `cultivated-${k + 1}`, DLBM: dlbm(p) },
        geometry: world.rectPolygon(p.rect),
      })),
    },
  };
}
