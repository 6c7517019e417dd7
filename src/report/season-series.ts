/**
 * `patrol season`: the per-pixel season history and the abandonment rules run over a time series
 * of looks at one grid (a stacked NDVI series with validity and cloud masks, as eo-learn ships, or
 * a list of dated multiband images with a sensor profile and the spectral cloud test), month by
 * month, exactly as monthly runs chain through `previousRun`: month k reads month k−1's
 * `state/pixels/` and writes its own.
 *
 * Output, under `outDir`:
 *   <yyyy-mm>/state/pixels/series.tif   the history after that month (see season/state-file.ts)
 *   <yyyy-mm>/abandonment.tif           uint8: 1 rule verdict, 2 change code (7 where reported),
 *                                       3 evidence (observed share × 255), 4 observed this month
 *   <yyyy-mm>/abandonment.geojson       reported abandonment patches, lon/lat, with area_m2
 *   season-report.json                  per month: looks, coverage, flags (by class if given)
 * Only months with at least one look are run; a month without looks would observe nothing.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Feature, FeatureCollection, Polygon } from "geojson";
import { writeFileAtomic } from "../core/atomic-write.js";
import { changeType } from "../core/change-types.js";
import { ConfigError } from "../core/errors.js";
import { polygonAreaM2, squareMetresToMu } from "../core/geodesic-area.js";
import type { Logger } from "../core/logger.js";
import type { Affine } from "../core/raster-types.js";
import type { DetectionConfig } from "../config/detection-config.js";
import { close, open } from "../detect/morphology.js";
import { isCalibrated, spectralCloudMask } from "../ingest/cloud-mask.js";
import { coordinateTransform } from "../ingest/crs.js";
import { writeGeoTiff } from "../ingest/geotiff-writer.js";
import { openRaster } from "../ingest/raster-source.js";
import { profileBandIndices, toReflectance, type SensorProfile } from "../ingest/sensor-profile.js";
import {
  abandonmentParams,
  flagAbandonment,
  indexKindOf,
  readSeasonState,
  seasonParams,
  updateSeason,
  vegetationIndex,
  writeSeasonState,
  PIXEL_STATE_DIR,
  type VegetationIndexKind,
} from "../season/index.js";
import { polygonize } from "../vector/polygonize.js";

/** The pixel grid of a series. */
export interface SeriesGrid {
  readonly width: number;
  readonly height: number;
  readonly affine: Affine;
  readonly crs: string;
}

/** One dated look: the vegetation index per pixel, NaN where unobserved (nodata, invalid, cloud, shadow). */
export interface SeriesLook {
  /** yyyy-mm-dd. */
  readonly date: string;
  readonly index: Float32Array;
  /** Pixels masked as cloud or shadow (for the report). */
  readonly cloudPixels: number;
}

export interface SeriesInputs {
  readonly grid: SeriesGrid;
  readonly indexKind: VegetationIndexKind;
  readonly looks: readonly SeriesLook[];
  /** 1 on (baseline) cropland; null: every pixel. */
  readonly cropland: Uint8Array | null;
  /** A class raster to break the figures down by (e.g. eo-learn's lulc), or null. */
  readonly classes: Uint8Array | null;
}

export interface MonthFigures {
  readonly month: string;
  readonly season: number;
  readonly looks: number;
  /** Whether the rules decide in this month (from decideFromMonth on). */
  readonly deciding: boolean;
  readonly monthsElapsed: number;
  readonly croplandPixels: number;
  readonly observedCroplandPixels: number;
  /** Cropland pixels the rules call abandoned on the season's evidence (observed this month or not). */
  readonly verdictPixels: number;
  /** Cropland pixels reported as the abandonment change (verdict, observed this month, cleaned). */
  readonly reportedPixels: number;
  readonly patches: number;
  readonly reportedAreaM2: number;
  /** Per class value: pixels, cropland pixels with the verdict. */
  readonly byClass: Readonly<Record<string, { pixels: number; verdict: number }>>;
}

export interface SeriesReport {
  readonly index: VegetationIndexKind;
  readonly grid: { width: number; height: number; crs: string };
  readonly config: DetectionConfig["abandonment"] & { minObservedShare: number };
  readonly months: MonthFigures[];
}

const dayMonth = (date: string): string => date.slice(0, 7);

/** Runs the season history and abandonment rules month by month; writes under `outDir`. */
export async function runSeasonSeries(
  inputs: SeriesInputs,
  config: DetectionConfig,
  outDir: string,
  logger?: Logger,
): Promise<SeriesReport> {
  const { grid, looks, indexKind } = inputs;
  const n = grid.width * grid.height;
  for (const l of looks) {
    if (!/^\d{4}-\d{2}-\d{2}/.test(l.date)) throw new ConfigError(l.date, "look date must be yyyy-mm-dd");
    if (l.index.length !== n) throw new RangeError(`look ${l.date} has ${l.index.length} pixels, grid ${n}`);
  }
  const months = [...new Set(looks.map((l) => dayMonth(l.date)))].sort();
  const sp = seasonParams(config, indexKind);
  const ap = abandonmentParams(config, indexKind);
  const rule = config.rules.abandonment;
  const window = { x0: 0, y0: 0, x1: grid.width, y1: grid.height };
  const toLonLat = coordinateTransform(grid.crs, "EPSG:4326");
  const figures: MonthFigures[] = [];
  let previousDir: string | null = null;
  for (const month of months) {
    const mine = looks.filter((l) => dayMonth(l.date) === month);
    // Monthly composite: the highest and lowest clear index of the month's looks.
    const max = new Float32Array(n).fill(NaN);
    const min = new Float32Array(n).fill(NaN);
    for (const l of mine) {
      for (let i = 0; i < n; i++) {
        const v = l.index[i]!;
        if (v !== v) continue;
        if (!(max[i]! >= v)) max[i] = v;
        if (!(min[i]! <= v)) min[i] = v;
      }
    }
    const previous = previousDir ? await readSeasonState(previousDir, { ...grid, window }) : null;
    const state = updateSeason(previous, { month, index: indexKind, max, min }, grid.width, grid.height, sp);
    const dir = path.join(outDir, month);
    await mkdir(path.join(dir, PIXEL_STATE_DIR), { recursive: true });
    await writeSeasonState(path.join(dir, PIXEL_STATE_DIR, "series.tif"), state, { ...grid, window });

    const verdict = flagAbandonment(state, ap);
    const observed = new Uint8Array(n);
    const candidate = new Uint8Array(n);
    let croplandPixels = 0;
    let observedCropland = 0;
    let verdictPixels = 0;
    const byClass: Record<string, { pixels: number; verdict: number }> = {};
    for (let i = 0; i < n; i++) {
      observed[i] = max[i] === max[i] ? 1 : 0;
      const crop = inputs.cropland ? inputs.cropland[i]! : 1;
      if (inputs.classes) {
        const e = (byClass[String(inputs.classes[i])] ??= { pixels: 0, verdict: 0 });
        e.pixels++;
        if (crop && verdict.flagged[i]) e.verdict++;
      }
      if (!crop) continue;
      croplandPixels++;
      observedCropland += observed[i]!;
      verdictPixels += verdict.flagged[i]!;
      // Masked pixels never produce a change: the change needs this month's observation.
      candidate[i] = verdict.flagged[i]! & observed[i]!;
    }
    // The same cleaning the change rules apply to every type, confined to candidate-possible pixels.
    const cleaned = close(
      open(candidate, grid.width, grid.height, rule.openingPx),
      grid.width,
      grid.height,
      rule.closingPx,
    );
    const code = new Uint8Array(n);
    const abandonment = changeType("abandonment");
    for (let i = 0; i < n; i++) {
      // Closing may fill gaps, but only with pixels the verdict allows (as the change rules do).
      if (cleaned[i] && candidate[i] && rule.enabled) code[i] = abandonment.code;
    }
    const features: Feature<Polygon>[] = [];
    let reportedPixels = 0;
    let reportedAreaM2 = 0;
    for (const poly of polygonize(code, grid.width, grid.height, {
      affine: grid.affine,
      values: [abandonment.code],
      connectivity: config.connectivity,
    })) {
      const rings = poly.rings.map((r) => {
        const out: number[][] = [];
        for (let k = 0; k + 1 < r.length; k += 2) {
          const ll = toLonLat.forward(r[k]!, r[k + 1]!);
          out.push([Number(ll.x.toFixed(9)), Number(ll.y.toFixed(9))]);
        }
        return out;
      });
      const area = polygonAreaM2(rings);
      if (area < rule.minAreaM2) continue;
      reportedPixels += poly.pixelCount;
      reportedAreaM2 += area;
      features.push({
        type: "Feature",
        geometry: { type: "Polygon", coordinates: rings },
        properties: {
          change_type: abandonment.id,
          change_type_zh: abandonment.nameZh,
          month,
          area_m2: Number(area.toFixed(2)),
          area_mu: Number(squareMetresToMu(area).toFixed(3)),
          pixels: poly.pixelCount,
        },
      });
    }
    const fc: FeatureCollection<Polygon> = { type: "FeatureCollection", features };
    await writeFileAtomic(path.join(dir, "abandonment.geojson"), JSON.stringify(fc) + "\n");
    await writeGeoTiff(
      path.join(dir, "abandonment.tif"),
      {
        width: grid.width,
        height: grid.height,
        bandCount: 4,
        sampleType: "uint8",
        affine: grid.affine,
        crs: grid.crs,
        bandDescriptions: [
          "abandonment verdict",
          "change type code",
          "evidence (observed share x 255)",
          "observed this month",
        ],
        metadata: { MONTH: month, INDEX: indexKind },
      },
      [verdict.flagged, code, verdict.evidence, observed],
    );
    const f: MonthFigures = {
      month,
      season: state.season,
      looks: mine.length,
      deciding: verdict.deciding,
      monthsElapsed: verdict.monthsElapsed,
      croplandPixels,
      observedCroplandPixels: observedCropland,
      verdictPixels,
      reportedPixels,
      patches: features.length,
      reportedAreaM2: Number(reportedAreaM2.toFixed(2)),
      byClass,
    };
    figures.push(f);
    logger?.info({ month, verdict: verdictPixels, reported: reportedPixels }, "season month");
    previousDir = dir;
  }
  const report: SeriesReport = {
    index: indexKind,
    grid: { width: grid.width, height: grid.height, crs: grid.crs },
    config: { ...config.abandonment, minObservedShare: rule.threshold },
    months: figures,
  };
  await writeFileAtomic(path.join(outDir, "season-report.json"), JSON.stringify(report, null, 2) + "\n");
  return report;
}

function gridOf(r: {
  width: number;
  height: number;
  affine: Affine;
  crs: string | null;
  source: string;
}): SeriesGrid {
  if (!r.crs) throw new ConfigError(r.source, "has no CRS; a season series needs a georeferenced grid");
  return { width: r.width, height: r.height, affine: r.affine, crs: r.crs };
}

function sameGrid(a: SeriesGrid, b: SeriesGrid, source: string): void {
  if (
    a.width !== b.width ||
    a.height !== b.height ||
    a.crs !== b.crs ||
    Math.abs(a.affine.originX - b.affine.originX) > 1e-6 * Math.abs(a.affine.pixelWidth) ||
    Math.abs(a.affine.originY - b.affine.originY) > 1e-6 * Math.abs(a.affine.pixelHeight) ||
    Math.abs(a.affine.pixelWidth - b.affine.pixelWidth) > 1e-9 * Math.abs(a.affine.pixelWidth)
  ) {
    throw new ConfigError(source, `is not on the series grid (${a.width}×${a.height} ${a.crs})`);
  }
}

/** A whole single-band raster as numbers, checked to be on `grid`. */
async function readMask(
  file: string,
  grid: SeriesGrid | null,
  band = 0,
): Promise<{ data: ArrayLike<number>; grid: SeriesGrid }> {
  const r = await openRaster(file);
  try {
    const g = gridOf(r);
    if (grid) sameGrid(grid, g, file);
    const block = await r.read({ x0: 0, y0: 0, x1: r.width, y1: r.height }, { bands: [band] });
    return { data: block.bands[0]!, grid: g };
  } finally {
    await r.close();
  }
}

/**
 * Looks from a stacked vegetation-index series (one band per date, dates from the band
 * descriptions or `dates`), masked where `validFile` is 0 or `cloudFile` is non-zero (same band
 * layout). NaN index values are unobserved too.
 */
export async function loadIndexStack(options: {
  indexFile: string;
  validFile?: string;
  cloudFile?: string;
  dates?: readonly string[];
}): Promise<{ grid: SeriesGrid; looks: SeriesLook[] }> {
  const open = async (f: string) => {
    const r = await openRaster(f);
    try {
      return { r, block: await r.read({ x0: 0, y0: 0, x1: r.width, y1: r.height }) };
    } finally {
      await r.close();
    }
  };
  const idx = await open(options.indexFile);
  const grid = gridOf(idx.r);
  const bandCount = idx.r.bandCount;
  const dates = (options.dates ?? idx.r.bandDescriptions).map((d) => d.slice(0, 10));
  if (dates.length !== bandCount || dates.some((d) => !/^\d{4}-\d{2}-\d{2}$/.test(d)))
    throw new ConfigError(
      options.indexFile,
      `needs one yyyy-mm-dd date per band (${bandCount} bands; got ${dates.length} dates from ${options.dates ? "--dates" : "the band descriptions"})`,
    );
  const masks: Array<{ block: typeof idx.block; isBad: (v: number) => boolean }> = [];
  for (const [file, isBad] of [
    [options.validFile, (v: number) => v === 0],
    [options.cloudFile, (v: number) => v !== 0],
  ] as const) {
    if (!file) continue;
    const m = await open(file);
    sameGrid(grid, gridOf(m.r), file);
    if (m.r.bandCount !== bandCount)
      throw new ConfigError(file, `has ${m.r.bandCount} bands, the index series ${bandCount}`);
    masks.push({ block: m.block, isBad });
  }
  const n = grid.width * grid.height;
  const looks: SeriesLook[] = dates.map((date, b) => {
    const src = idx.block.bands[b]!;
    const index = new Float32Array(n);
    let cloudPixels = 0;
    for (let i = 0; i < n; i++) {
      let v = src[i]!;
      if (v === idx.block.nodata) v = NaN;
      for (const m of masks) {
        if (m.isBad(m.block.bands[b]![i]!)) {
          if (v === v) cloudPixels++;
          v = NaN;
        }
      }
      index[i] = v;
    }
    return { date, index, cloudPixels };
  });
  return { grid, looks };
}

/**
 * Resamples a per-pixel array from grid `from` onto grid `to` (same CRS and pixel size, origins
 * possibly off-lattice) by nearest pixel centre; pixels outside `from` become NaN.
 */
export function resampleNearest(values: Float32Array, from: SeriesGrid, to: SeriesGrid): Float32Array {
  const out = new Float32Array(to.width * to.height).fill(NaN);
  const fa = from.affine;
  const ta = to.affine;
  const cols = new Int32Array(to.width);
  for (let c = 0; c < to.width; c++) {
    const x = ta.originX + (c + 0.5) * ta.pixelWidth;
    cols[c] = Math.floor((x - fa.originX) / fa.pixelWidth);
  }
  for (let r = 0; r < to.height; r++) {
    const y = ta.originY + (r + 0.5) * ta.pixelHeight;
    const sr = Math.floor((y - fa.originY) / fa.pixelHeight);
    if (sr < 0 || sr >= from.height) continue;
    for (let c = 0; c < to.width; c++) {
      const sc = cols[c]!;
      if (sc >= 0 && sc < from.width) out[r * to.width + c] = values[sr * from.width + sc]!;
    }
  }
  return out;
}

/**
 * Looks from dated multiband images of one sensor profile: reflectance (nodata and the profile's
 * quality band masked), the spectral cloud/shadow test unless `config.clouds.mode` is "off" (or
 * "auto" with a quality band), and the vegetation index the bands support. With `align:
 * "nearest"` images on the same CRS and pixel size but shifted origins (NAIP years differ by a
 * metre or two) are resampled onto the first image's grid by nearest pixel centre (≤ half a pixel
 * of shift); with "strict" (default) such an image is refused.
 */
export async function loadImageLooks(
  images: ReadonlyArray<{ date: string; file: string }>,
  profile: SensorProfile,
  config: DetectionConfig,
  options: { align?: "strict" | "nearest" } = {},
): Promise<{ grid: SeriesGrid; looks: SeriesLook[]; indexKind: VegetationIndexKind }> {
  let grid: SeriesGrid | null = null;
  let kind: VegetationIndexKind | null = null;
  const looks: SeriesLook[] = [];
  for (const { date, file } of [...images].sort((a, b) => (a.date < b.date ? -1 : 1))) {
    const r = await openRaster(file);
    try {
      const g = gridOf(r);
      if (grid && options.align !== "nearest") sameGrid(grid, g, file);
      if (
        grid &&
        (g.crs !== grid.crs ||
          Math.abs(g.affine.pixelWidth - grid.affine.pixelWidth) > 1e-9 * Math.abs(grid.affine.pixelWidth) ||
          Math.abs(g.affine.pixelHeight - grid.affine.pixelHeight) > 1e-9 * Math.abs(grid.affine.pixelHeight))
      )
        throw new ConfigError(
          file,
          `is not in ${grid.crs} at ${grid.affine.pixelWidth} m like the first image`,
        );
      grid ??= g;
      const block = await r.read(
        { x0: 0, y0: 0, x1: r.width, y1: r.height },
        { bands: profileBandIndices(profile) },
      );
      const bands = toReflectance(profile, block, file);
      kind ??= indexKindOf(bands);
      if (!kind)
        throw new ConfigError(file, `sensor profile ${profile.id} has neither red+NIR nor red+green+blue`);
      const index = vegetationIndex(bands, kind);
      let cloudPixels = 0;
      const useTest = config.clouds.mode === "always" || (config.clouds.mode === "auto" && !profile.quality);
      if (useTest) {
        const mask = spectralCloudMask(bands, g.width, g.height, config.clouds, {
          calibrated: isCalibrated(profile),
        });
        for (let i = 0; i < index.length; i++) {
          if (mask[i] !== 0) {
            cloudPixels++;
            index[i] = NaN;
          }
        }
      }
      looks.push({ date, index: grid === g ? index : resampleNearest(index, g, grid), cloudPixels });
    } finally {
      await r.close();
    }
  }
  if (!grid || !kind) throw new ConfigError("images", "no image given");
  return { grid, looks, indexKind: kind };
}

/** A cropland mask (value in `values`, or any non-zero when empty) and the class raster, on `grid`. */
export async function loadCropland(
  file: string,
  grid: SeriesGrid,
  values: readonly number[],
): Promise<{ cropland: Uint8Array; classes: Uint8Array }> {
  const { data } = await readMask(file, grid);
  const n = grid.width * grid.height;
  const cropland = new Uint8Array(n);
  const classes = new Uint8Array(n);
  const set = new Set(values);
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    classes[i] = v;
    cropland[i] = (set.size === 0 ? v !== 0 : set.has(v)) ? 1 : 0;
  }
  return { cropland, classes };
}
