/**
 * A demo month sequence on one grid: the demo scene's patrol month (2026-10, byte for byte the
 * single-month demo) followed by later months of the same landscape, for run history, tiers,
 * cloud handling and abandonment.
 *
 * What happens, month by month (month 1 is the single-month demo):
 *  - month 1 (2026-10): the demo scene's twelve injected changes ("set A").
 *  - month 2 (2026-11): set A persists; three new changes appear ("set B": construction, pond,
 *    trees); one cropland parcel is left abandoned (painted as weedy grass from now on). The
 *    abandonment rules never flag it: the sequence starts in October, the growing season's last
 *    month, so it observes no season (and grass is as green as a crop in true colour). The demo
 *    growing season (season-series.ts) shows abandonment.
 *  - month 3 (2026-12): a cloudy month. Opaque white/grey clouds cover one change of set A, one of
 *    set B and a new construction ("change-C1") that appears this month under the cloud; another
 *    change of set A, outside the clouds, is reverted to cropland (restored).
 *  - month 4 (2027-01) and later: clear; everything still in place is visible, change-C1 included.
 *
 * Every month is compared with the same before image (the scene's 2026-09 image, the reference
 * date of the baseline), as provinces compare each month with the baseline-period image, so a
 * change that persists is seen again every month.
 */
import type { Feature, FeatureCollection, Polygon } from "geojson";
import type { DemoChangeType, DemoImage, DemoScene, DemoSceneOptions, Parcel, PixelRect } from "./scene.js";
import { CHANGE_PAINT, CROPLAND, generateDemoWorld } from "./scene.js";
import { paintRegions, smoothNoise, type PaintClass } from "./paint.js";
import { SeededRandom } from "./rng.js";

export interface DemoSeriesOptions extends DemoSceneOptions {
  /**
   * Number of months, 1 to 6 (default 4); month 1 is the single-month demo. The season series
   * (season-series.ts): 1 to 7 from April (default 7).
   */
  readonly months?: number;
}

/** Properties of a change in a month's truth. */
export interface DemoSeriesChange {
  truth_id: string;
  change_type: DemoChangeType;
  /** Covered by the approval layer. */
  approved: boolean;
  /** Month (yyyy-mm) the change was first painted. */
  appeared: string;
  /** On the ground this month (false once reverted to cropland). */
  present: boolean;
  /** Month (yyyy-mm) it was reverted to cropland, or null. */
  reverted: string | null;
  /** Share of its pixels under cloud this month, 0..1. */
  cloud_share: number;
}

export interface DemoMonth {
  /** yyyy-mm. */
  readonly month: string;
  /** Date deadlines count from (yyyy-mm-dd): four days after the acquisition. */
  readonly runDate: string;
  /** This month's image, clouds painted in (opaque white/grey) where `cloudMask` is 1. */
  readonly after: DemoImage;
  /** 1 where a cloud covers the pixel (row-major, scene size); null in a clear month. */
  readonly cloudMask: Uint8Array | null;
  /** Every change injected so far: geometry and {@link DemoSeriesChange} properties. */
  readonly truth: FeatureCollection<Polygon, DemoSeriesChange>;
}

export interface DemoSeries {
  /** Month 1's scene: grid, before image, baseline, counties, approvals, mismatch truth. */
  readonly scene: DemoScene;
  readonly months: readonly DemoMonth[];
  /** The abandoned parcel (from month 2 on): properties truth_id, DLBM, from (yyyy-mm). */
  readonly abandonedTruth: FeatureCollection<Polygon>;
  /**
   * Season series only (season-series.ts): the cropland parcels that follow the crop calendar,
   * whole parcel rectangles (an injected change may take part of one); properties truth_id, DLBM.
   */
  readonly cultivatedTruth?: FeatureCollection<Polygon>;
}

interface Injected {
  id: string;
  type: DemoChangeType;
  rect: PixelRect;
  approved: boolean;
  appeared: number;
  reverted: number | null;
}

const MONTH1 = { year: 2026, month: 10, day: 16 };

function monthDate(k: number, day: number): string {
  const d = new Date(Date.UTC(MONTH1.year, MONTH1.month - 1 + (k - 1), day));
  return d.toISOString().slice(0, 10);
}

/**
 * A blob-shaped cloud mask: the union of noisy discs around the given centres (pixel coordinates),
 * each of radius `r` pixels. Deterministic.
 */
export function cloudMask(
  size: number,
  centres: ReadonlyArray<{ x: number; y: number; r: number }>,
  rng: SeededRandom,
): Uint8Array {
  const noise = smoothNoise(size, size, Math.max(4, size / 40), rng);
  const mask = new Uint8Array(size * size);
  for (const c of centres) {
    const y0 = Math.max(0, Math.floor(c.y - c.r * 1.3));
    const y1 = Math.min(size, Math.ceil(c.y + c.r * 1.3));
    const x0 = Math.max(0, Math.floor(c.x - c.r * 1.3));
    const x1 = Math.min(size, Math.ceil(c.x + c.r * 1.3));
    for (let y = y0; y < y1; y++)
      for (let x = x0; x < x1; x++) {
        const d = Math.hypot(x + 0.5 - c.x, y + 0.5 - c.y) / c.r;
        if (d + 0.2 * noise[y * size + x]! < 1) mask[y * size + x] = 1;
      }
  }
  return mask;
}

/** Paints opaque white/grey cloud over the masked pixels (valid values stay 1..255). */
export function paintClouds(
  bands: DemoImage["bands"],
  mask: Uint8Array,
  size: number,
  rng: SeededRandom,
): void {
  const texture = smoothNoise(size, size, Math.max(3, size / 60), rng);
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const v = 228 + 22 * texture[i]!;
    bands[0][i] = Math.min(255, Math.max(1, Math.round(v - 4)));
    bands[1][i] = Math.min(255, Math.max(1, Math.round(v - 2)));
    bands[2][i] = Math.min(255, Math.max(1, Math.round(v + 3)));
  }
}

/** Generates the month sequence. Same options, same months, byte for byte. */
export function generateDemoSeries(options: DemoSeriesOptions = {}): DemoSeries {
  const months = options.months ?? 4;
  if (!Number.isInteger(months) || months < 1 || months > 6)
    throw new RangeError(`months must be an integer from 1 to 6, not ${months}`);
  const { scene, world } = generateDemoWorld(options);
  const { size, regions, parcels, used } = world;
  const rng = new SeededRandom((options.seed ?? 20261016) ^ 0x5e41e5);
  const addRegion = (cls: PaintClass): number => {
    regions.push({ cls, seed: rng.int(1, 2 ** 30), angle: rng.pick([0, Math.PI / 2, 0.35, -0.35]) });
    return regions.length - 1;
  };
  const injected: Injected[] = scene.truth.features.map((f, k) => ({
    id: String(f.properties?.truth_id),
    type: f.properties?.change_type as DemoChangeType,
    rect: world.changeRects[k]!,
    approved: Boolean(f.properties?.approved),
    appeared: 1,
    reverted: null,
  }));
  const inStrip = (r: PixelRect): boolean =>
    [r.x0, r.x1 - 1].some((x) => [r.y0, r.y1 - 1].some((y) => world.unobserved(x, y)));
  const freeParcels = (): Parcel[] =>
    parcels.filter(
      (p) =>
        CROPLAND.has(p.cls) &&
        !used.has(p) &&
        p.rect.x1 - p.rect.x0 >= 24 &&
        p.rect.y1 - p.rect.y0 >= 14 &&
        !inStrip(p.rect),
    );
  /** Injects a change of `type` in a free parcel picked by `local`; returns its rectangle. */
  const inject = (
    map: Int32Array,
    type: DemoChangeType,
    local: SeededRandom,
    pool: Parcel[],
  ): PixelRect | null => {
    if (pool.length === 0) return null;
    const parcel = local.pick(pool);
    used.add(parcel);
    const p = parcel.rect;
    const whole = type === "orchard" || type === "trees" || type === "turf";
    const w = whole ? p.x1 - p.x0 : Math.min(p.x1 - p.x0, Math.max(16, Math.round((p.x1 - p.x0) * 0.7)), 90);
    const h = whole ? p.y1 - p.y0 : Math.min(p.y1 - p.y0, Math.max(14, Math.round((p.y1 - p.y0) * 0.8)));
    const x0 = local.int(p.x0, p.x1 - w);
    const y0 = local.int(p.y0, p.y1 - h);
    const rect = { x0, y0, x1: x0 + w, y1: y0 + h };
    const region = addRegion(CHANGE_PAINT[type]);
    for (let y = rect.y0; y < rect.y1; y++) map.fill(region, y * size + rect.x0, y * size + rect.x1);
    return rect;
  };

  // Month 2 events: set B and the abandoned parcel.
  const map2 = Int32Array.from(world.afterMap);
  (["construction", "pond", "trees"] as const).forEach((type, k) => {
    const rect = inject(map2, type, rng.fork(200 + k), freeParcels());
    if (rect)
      injected.push({ id: `change-B${k + 1}`, type, rect, approved: false, appeared: 2, reverted: null });
  });
  const abandonPool = freeParcels().filter((p) => p.cls === "dry-cropland" || p.cls === "irrigated");
  const abandoned = abandonPool.length > 0 ? rng.fork(250).pick(abandonPool) : null;
  if (abandoned) {
    used.add(abandoned);
    const region = addRegion("grass");
    const r = abandoned.rect;
    for (let y = r.y0; y < r.y1; y++) map2.fill(region, y * size + r.x0, y * size + r.x1);
  }

  // Month 3 events: change-C1 (under a cloud), one set-A change reverted, clouds.
  const map3 = Int32Array.from(map2);
  const c1 = inject(map3, "construction", rng.fork(300), freeParcels());
  if (c1)
    injected.push({
      id: "change-C1",
      type: "construction",
      rect: c1,
      approved: false,
      appeared: 3,
      reverted: null,
    });
  const setA = injected.filter((c) => c.appeared === 1 && !c.approved);
  const centre = (r: PixelRect): { x: number; y: number } => ({ x: (r.x0 + r.x1) / 2, y: (r.y0 + r.y1) / 2 });
  const radius = (r: PixelRect): number => Math.hypot(r.x1 - r.x0, r.y1 - r.y0) / 2 / 0.8 + 4;
  const cloudA = setA.find((c) => c.type === "construction") ?? setA[0];
  const cloudB = injected.find((c) => c.appeared === 2);
  const clouded = [cloudA, cloudB, injected.find((c) => c.id === "change-C1")].filter(
    (c): c is Injected => c !== undefined,
  );
  const mask3 = cloudMask(
    size,
    clouded.map((c) => ({ ...centre(c.rect), r: radius(c.rect) })),
    rng.fork(310),
  );
  const cloudShare = (r: PixelRect, mask: Uint8Array | null): number => {
    if (!mask) return 0;
    let n = 0;
    for (let y = r.y0; y < r.y1; y++) for (let x = r.x0; x < r.x1; x++) n += mask[y * size + x]!;
    return n / ((r.x1 - r.x0) * (r.y1 - r.y0));
  };
  // Revert a whole-parcel change outside the clouds (turf first: the shipped model sees it best).
  const revertable = setA.filter((c) => c !== cloudA && cloudShare(c.rect, mask3) === 0);
  const revert = (["turf", "orchard", "pond", "trees"] as const)
    .map((t) => revertable.find((c) => c.type === t))
    .find((c) => c !== undefined);
  if (revert) {
    revert.reverted = 3;
    const r = revert.rect;
    for (let y = r.y0; y < r.y1; y++)
      for (let x = r.x0; x < r.x1; x++) map3[y * size + x] = world.cover[y * size + x]!;
  }

  const out: DemoMonth[] = [];
  for (let k = 1; k <= months; k++) {
    const date = monthDate(k, MONTH1.day);
    const month = date.slice(0, 7);
    let after: DemoImage;
    let mask: Uint8Array | null = null;
    if (k === 1) after = scene.after;
    else {
      const map = k === 2 ? map2 : map3;
      const bands = paintRegions(map, regions, size, size, 10_16 + k * 1000);
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++) {
          if (!world.unobserved(x, y)) continue;
          for (const band of bands) band[y * size + x] = 0;
        }
      if (k === 3) {
        mask = mask3;
        paintClouds(bands, mask3, size, rng.fork(320));
      }
      after = { date, bands };
    }
    const features: Feature<Polygon, DemoSeriesChange>[] = injected
      .filter((c) => c.appeared <= k)
      .map((c) => ({
        type: "Feature",
        properties: {
          truth_id: c.id,
          change_type: c.type,
          approved: c.approved,
          appeared: monthDate(c.appeared, 1).slice(0, 7),
          present: c.reverted === null || c.reverted > k,
          reverted: c.reverted !== null && c.reverted <= k ? monthDate(c.reverted, 1).slice(0, 7) : null,
          cloud_share: Number(cloudShare(c.rect, mask).toFixed(4)),
        },
        geometry: world.rectPolygon(c.rect),
      }));
    out.push({
      month,
      runDate: monthDate(k, MONTH1.day + 4),
      after,
      cloudMask: mask,
      truth: { type: "FeatureCollection", features },
    });
  }
  const abandonedTruth: FeatureCollection<Polygon> = {
    type: "FeatureCollection",
    features: abandoned
      ? [
          {
            type: "Feature",
            properties: {
              truth_id: "abandoned-1",
              DLBM: abandoned.cls === "irrigated" ? "0102" : "0103",
              from: monthDate(2, 1).slice(0, 7),
            },
            geometry: world.rectPolygon(abandoned.rect),
          },
        ]
      : [],
  };
  return { scene, months: out, abandonedTruth };
}
