/**
 * Writes the demo month sequence ({@link generateDemoSeries}) as a series of run manifests on one
 * grid:
 *
 * ```
 * <dir>/manifest-<yyyy-mm>.json     one run per month; runId demo-<yyyy-mm>, output runs/<yyyy-mm>,
 *                                   previousRun runs/<previous month> from month 2 on
 * <dir>/imagery/<tile>-<date>.tif   the shared before image and each month's after image
 * <dir>/baseline.geojson, counties.geojson, exclusions.geojson, mismatch-truth.geojson
 * <dir>/truth/<yyyy-mm>.geojson     every change injected so far (DemoSeriesChange properties)
 * <dir>/truth/clouds-<yyyy-mm>.tif  cloudy months: uint8, 1 = cloud, 0 = clear, on the imagery grid
 * <dir>/truth/abandoned.geojson     the parcel left abandoned from month 2 on (season: all season)
 * <dir>/truth/cultivated.geojson    season series only: the parcels following the crop calendar
 * ```
 *
 * `season: true` writes the season series (season-series.ts, April to October 2027) instead of
 * the default one (series.ts, from October 2026).
 *
 * Clouds: `clouds: "painted"` (default) leaves the opaque white/grey clouds in the after image, for
 * a cloud test to find; `clouds: "nodata"` writes the clouded pixels as nodata (0), so the run's
 * observed mask alone hides them. Either way the truth mask is `truth/clouds-<yyyy-mm>.tif`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { writeGeoTiff } from "../ingest/geotiff-writer.js";
import { generateDemoSeasonSeries } from "./season-series.js";
import { generateDemoSeries, type DemoSeries, type DemoSeriesOptions } from "./series.js";
import { demoManifest, writeDemoTiles } from "./write-scene.js";

export interface WriteDemoSeriesOptions extends DemoSeriesOptions {
  readonly tilesPerSide?: 1 | 2 | 3;
  readonly windowSize?: number;
  /** How clouds reach the after image: painted in (default) or as nodata. */
  readonly clouds?: "painted" | "nodata";
  /** Write the growing-season series (from April) instead of the default series (from October). */
  readonly season?: boolean;
}

export interface WrittenDemoSeries {
  readonly series: DemoSeries;
  /** Absolute manifest paths, month by month. */
  readonly manifests: readonly string[];
  /** Absolute output folders, month by month. */
  readonly outputs: readonly string[];
}

/** Generates the month sequence and writes it under `dir`. */
export async function writeDemoSeries(
  dir: string,
  options: WriteDemoSeriesOptions = {},
): Promise<WrittenDemoSeries> {
  const series = options.season ? generateDemoSeasonSeries(options) : generateDemoSeries(options);
  const { scene } = series;
  const n = options.tilesPerSide ?? 1;
  await mkdir(path.join(dir, "truth"), { recursive: true });
  const layers = {
    "baseline.geojson": scene.baseline,
    "counties.geojson": scene.counties,
    "exclusions.geojson": scene.exclusions,
    "mismatch-truth.geojson": scene.mismatchTruth,
    "truth/abandoned.geojson": series.abandonedTruth,
    ...(series.cultivatedTruth ? { "truth/cultivated.geojson": series.cultivatedTruth } : {}),
  };
  for (const [name, fc] of Object.entries(layers)) await writeFile(path.join(dir, name), JSON.stringify(fc));
  const manifests: string[] = [];
  const outputs: string[] = [];
  let previous: string | null = null;
  for (const m of series.months) {
    let bands = m.after.bands;
    if (m.cloudMask && options.clouds === "nodata") {
      const mask = m.cloudMask;
      bands = bands.map((b) => b.map((v, i) => (mask[i] ? 0 : v))) as unknown as typeof bands;
    }
    const tiles = await writeDemoTiles(dir, scene, { before: scene.before, after: { ...m.after, bands } }, n);
    await writeFile(path.join(dir, "truth", `${m.month}.geojson`), JSON.stringify(m.truth));
    if (m.cloudMask)
      await writeGeoTiff(
        path.join(dir, "truth", `clouds-${m.month}.tif`),
        {
          width: scene.width,
          height: scene.height,
          bandCount: 1,
          sampleType: "uint8",
          affine: scene.affine,
          crs: scene.crs,
          nodata: null,
          bandDescriptions: ["cloud (1) or clear (0)"],
        },
        [m.cloudMask],
      );
    const output = `runs/${m.month}`;
    const manifest = demoManifest({
      runId: `demo-${m.month}`,
      month: m.month,
      runDate: m.runDate,
      output,
      previousRun: previous ?? undefined,
      tiles,
      windowSize: options.windowSize,
    });
    const file = path.join(dir, `manifest-${m.month}.json`);
    await writeFile(file, JSON.stringify(manifest, null, 2) + "\n");
    manifests.push(path.resolve(file));
    outputs.push(path.resolve(dir, output));
    previous = output;
  }
  return { series, manifests, outputs };
}
