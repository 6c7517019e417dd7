/**
 * A county's overview image: the after mosaic over the overview grid, true colour, each band
 * stretched 2–98 % as the chips are, as a PNG. Large extents are read in strips and averaged over
 * `factor`×`factor` blocks of observed pixels, so memory stays bounded by one strip whatever the
 * county's size.
 */
import sharp from "sharp";
import { PatrolError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { readMosaicWindow, type Mosaic } from "../ingest/mosaic.js";
import type { SensorProfile } from "../ingest/sensor-profile.js";
import { stretchToBytes, trueColourBands } from "../ingest/true-colour.js";
import type { OverviewGrid } from "./overview-grid.js";

/** Mosaic pixels read per strip (per band), about 4 M: 32 MB of float64 sums at most. */
const STRIP_PIXELS = 4_000_000;

export interface OverviewPixels {
  /** Block means of the red, green and blue bands (raw samples), `width × height` each. */
  readonly bands: readonly Float64Array[];
  /** 1 where at least one mosaic pixel of the block was observed. */
  readonly observed: Uint8Array;
  /** Mosaic rows that could not be read (bad input under them); they stay unobserved. */
  readonly unreadRows: number;
}

/**
 * Reads `bands` of `mosaic` over `grid`, averaging observed pixels over each `factor`² block. A
 * strip whose read fails with a PatrolError (a corrupt tile) is left unobserved and counted in
 * `unreadRows`; anything else is thrown.
 */
export async function readOverviewPixels(
  mosaic: Mosaic,
  grid: OverviewGrid,
  bands: readonly number[],
  logger: Logger,
): Promise<OverviewPixels> {
  const { window, factor, width, height } = grid;
  const sourceWidth = window.x1 - window.x0;
  const sums = bands.map(() => new Float64Array(width * height));
  const counts = new Uint32Array(width * height);
  const stripRows = factor * Math.max(1, Math.floor(STRIP_PIXELS / (sourceWidth * factor)));
  let unreadRows = 0;
  for (let y0 = window.y0; y0 < window.y1; y0 += stripRows) {
    const y1 = Math.min(window.y1, y0 + stripRows);
    let block;
    try {
      block = await readMosaicWindow(mosaic, { x0: window.x0, y0, x1: window.x1, y1 }, { bands });
    } catch (e) {
      if (!(e instanceof PatrolError)) throw e;
      unreadRows += y1 - y0;
      logger.warn({ rows: [y0, y1], err: e.message }, "overview strip unreadable; left black");
      continue;
    }
    addStrip(block.bands, block.observed, y1 - y0, y0 - window.y0, sourceWidth, factor, width, sums, counts);
  }
  const observed = new Uint8Array(width * height);
  meansOf(sums, counts, observed);
  return { bands: sums, observed, unreadRows };
}

/*
 * The per-pixel loops of the overview are functions of their own, over typed arrays, so that V8
 * compiles them once rather than on the stack of each county's read.
 */

/**
 * Adds a strip of `rows` mosaic rows (`sourceWidth` wide, its first row `firstRow` rows into the
 * grid's window) to the block sums and counts of observed pixels.
 */
function addStrip(
  bands: readonly ArrayLike<number>[],
  observed: Uint8Array,
  rows: number,
  firstRow: number,
  sourceWidth: number,
  factor: number,
  width: number,
  sums: readonly Float64Array[],
  counts: Uint32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const outRow = Math.floor((firstRow + r) / factor) * width;
    const src = r * sourceWidth;
    for (let x = 0; x < sourceWidth; x++) {
      if (!observed[src + x]) continue;
      const o = outRow + Math.floor(x / factor);
      counts[o]!++;
      for (let b = 0; b < bands.length; b++) sums[b]![o]! += bands[b]![src + x]!;
    }
  }
}

/** Sums to means where a block saw any pixel (marked in `observed`). */
function meansOf(sums: readonly Float64Array[], counts: Uint32Array, observed: Uint8Array): void {
  for (let i = 0; i < counts.length; i++) {
    if (counts[i]! === 0) continue;
    observed[i] = 1;
    for (let b = 0; b < sums.length; b++) sums[b]![i]! /= counts[i]!;
  }
}

/** Renders the overview of `mosaic` over `grid` as PNG bytes (unobserved pixels black). */
export async function renderOverview(
  mosaic: Mosaic,
  profile: SensorProfile,
  grid: OverviewGrid,
  logger: Logger,
): Promise<{ png: Buffer; unreadRows: number }> {
  const pixels = await readOverviewPixels(mosaic, grid, trueColourBands(profile), logger);
  const rgb = pixels.bands.map((b) => stretchToBytes(b, pixels.observed));
  const n = grid.width * grid.height;
  const interleaved = Buffer.alloc(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) interleaved[i * 3 + c] = rgb[c]![i]!;
  const png = await sharp(interleaved, { raw: { width: grid.width, height: grid.height, channels: 3 } })
    .png()
    .toBuffer();
  return { png, unreadRows: pixels.unreadRows };
}
