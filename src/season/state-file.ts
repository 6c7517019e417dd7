/**
 * Season histories on disk: `state/pixels/<windowId>.tif` under a run's output folder, one
 * float32 GeoTIFF per processing window on the run's grid, bands
 *   1 observed months (bit m−1 = month m), 2 bare-soil months (same bits), 3 peak index (NaN:
 *   never observed), 4 month of the peak (0: none), 5 minimum index (NaN: never observed),
 * with metadata SEASON (start year), MONTH (yyyy-mm of the run that wrote it) and INDEX (ndvi or
 * exg). The next month reads the previous run's files as one mosaic, so the window size may change
 * between months; the grid (CRS, pixel size, lattice) may not.
 */
import { mkdir, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../core/errors.js";
import { windowAffine, type Affine, type PixelWindow } from "../core/raster-types.js";
import { writeGeoTiff } from "../ingest/geotiff-writer.js";
import { buildMosaic, readMosaicWindow, type Mosaic } from "../ingest/mosaic.js";
import { openRaster } from "../ingest/raster-source.js";
import type { GeoTiffRasterSource } from "../ingest/raster-source.js";
import type { SeasonState } from "./season-state.js";
import type { VegetationIndexKind } from "./vegetation-index.js";

/** Output-relative folder of the per-pixel state. */
export const PIXEL_STATE_DIR = "state/pixels";

const BANDS = [
  "observed months (bit m-1)",
  "bare-soil months (bit m-1)",
  "peak index",
  "peak month",
  "minimum index",
];

/** Writes one window's history (atomically, via the GeoTIFF writer; folders made). `affine` is the full grid's. */
export async function writeSeasonState(
  file: string,
  state: SeasonState,
  grid: { affine: Affine; crs: string; window: PixelWindow },
): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeGeoTiff(
    file,
    {
      width: state.width,
      height: state.height,
      bandCount: 5,
      sampleType: "float32",
      affine: windowAffine(grid.affine, grid.window),
      crs: grid.crs,
      bandDescriptions: BANDS,
      metadata: { SEASON: String(state.season), MONTH: state.month, INDEX: state.index },
      predictor: true,
      // Rewritten for every window every month: zlib level 1 takes about half of level 6's CPU
      // here for files under 1% larger (GDAL's ZLEVEL 1 vs 6 on a demo window: 1.487 vs 1.480 MB).
      deflateLevel: 1,
    },
    [
      Float32Array.from(state.observedMonths),
      Float32Array.from(state.bareMonths),
      state.peak,
      Float32Array.from(state.peakMonth),
      state.minimum,
    ],
  );
}

/**
 * Reads the histories a previous run left under `<runDir>/state/pixels/` over `window` of the
 * current grid (`affine`, `crs`). Pixels no file covers are unobserved (empty history). Returns
 * null when the folder holds no history. Throws {@link ConfigError} when the files are on another
 * grid or disagree on season, month or index.
 */
export async function readSeasonState(
  runDir: string,
  grid: { affine: Affine; crs: string; window: PixelWindow },
): Promise<SeasonState | null> {
  const dir = path.join(runDir, PIXEL_STATE_DIR);
  const opened = await openStateMosaic(dir);
  if (!opened) return null;
  const { mosaic, meta, index } = opened;
  const a = grid.affine;
  const dx = (mosaic.affine.originX - a.originX) / a.pixelWidth;
  const dy = (mosaic.affine.originY - a.originY) / a.pixelHeight;
  if (
    mosaic.crs !== grid.crs ||
    Math.abs(mosaic.affine.pixelWidth - a.pixelWidth) > 1e-9 * Math.abs(a.pixelWidth) ||
    Math.abs(mosaic.affine.pixelHeight - a.pixelHeight) > 1e-9 * Math.abs(a.pixelHeight) ||
    Math.abs(dx - Math.round(dx)) > 1e-6 ||
    Math.abs(dy - Math.round(dy)) > 1e-6
  ) {
    throw new ConfigError(
      dir,
      `the previous run's pixel history is on another grid (${mosaic.crs}, ${mosaic.affine.pixelWidth} m) than this run's (${grid.crs}, ${a.pixelWidth} m)`,
    );
  }
  const w = grid.window;
  const ox = Math.round(dx);
  const oy = Math.round(dy);
  const block = await readMosaicWindow(mosaic, {
    x0: w.x0 - ox,
    y0: w.y0 - oy,
    x1: w.x1 - ox,
    y1: w.y1 - oy,
  });
  const n = block.width * block.height;
  const [obs, bare, peak, peakMonth, minimum] = block.bands as Float32Array[];
  // No nodata is declared, so a pixel is "observed" exactly where some state file covers it.
  const covered = block.observed;
  const state: SeasonState = {
    width: block.width,
    height: block.height,
    index,
    season: Number(meta.SEASON),
    month: meta.MONTH ?? "",
    observedMonths: new Uint16Array(n),
    bareMonths: new Uint16Array(n),
    peak: new Float32Array(n).fill(NaN),
    peakMonth: new Uint8Array(n),
    minimum: new Float32Array(n).fill(NaN),
  };
  for (let i = 0; i < n; i++) {
    if (covered[i] === 0) continue;
    state.observedMonths[i] = obs![i]!;
    state.bareMonths[i] = bare![i]!;
    state.peak[i] = peak![i]!;
    state.peakMonth[i] = peakMonth![i]!;
    state.minimum[i] = minimum![i]!;
  }
  return state;
}

interface OpenedState {
  readonly mosaic: Mosaic;
  readonly meta: Readonly<Record<string, string>>;
  readonly index: VegetationIndexKind;
}

/**
 * The previous run's state files, opened once per process and kept while they are unchanged
 * (same names, sizes and modification times): every window of a run reads from the same folder,
 * and opening every file's header for every window would cost windows × files opens. The two
 * most recent folders stay open; older ones are closed.
 */
const stateCache = new Map<string, { signature: string; opened: Promise<OpenedState | null> }>();
const STATE_CACHE_SIZE = 2;

async function openStateMosaic(dir: string): Promise<OpenedState | null> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((f) => f.endsWith(".tif")).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  if (names.length === 0) return null;
  const stats = await Promise.all(names.map((f) => stat(path.join(dir, f))));
  const signature = names.map((f, i) => `${f}:${stats[i]!.size}:${stats[i]!.mtimeMs}`).join("|");
  const cached = stateCache.get(dir);
  if (cached && cached.signature === signature) return cached.opened;
  if (cached) stateCache.delete(dir);
  const opened = openStateFiles(dir, names);
  stateCache.set(dir, { signature, opened });
  if (cached) void closeOpened(cached.opened);
  while (stateCache.size > STATE_CACHE_SIZE) {
    const [oldest, entry] = stateCache.entries().next().value as [
      string,
      { opened: Promise<OpenedState | null> },
    ];
    stateCache.delete(oldest);
    void closeOpened(entry.opened);
  }
  try {
    return await opened;
  } catch (e) {
    stateCache.delete(dir);
    throw e;
  }
}

async function closeOpened(p: Promise<OpenedState | null>): Promise<void> {
  const o = await p.catch(() => null);
  if (o) await Promise.all(o.mosaic.parts.map((part) => part.raster.close()));
}

async function openStateFiles(dir: string, names: readonly string[]): Promise<OpenedState> {
  const rasters: GeoTiffRasterSource[] = [];
  try {
    for (const f of names) rasters.push(await openRaster(path.join(dir, f)));
    const meta = rasters[0]!.metadata;
    for (const r of rasters) {
      for (const k of ["SEASON", "MONTH", "INDEX"] as const) {
        if (r.metadata[k] !== meta[k])
          throw new ConfigError(
            r.source,
            `pixel history ${k} ${r.metadata[k]} differs from ${rasters[0]!.source}'s ${meta[k]}`,
          );
      }
    }
    const index = meta.INDEX;
    if (index !== "ndvi" && index !== "exg")
      throw new ConfigError(rasters[0]!.source, `unknown INDEX ${index}`);
    return { mosaic: buildMosaic(rasters), meta, index };
  } catch (e) {
    await Promise.all(rasters.map((r) => r.close()));
    throw e;
  }
}
