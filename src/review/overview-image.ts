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
    for (let y = y0; y < y1; y++) {
      const outRow = Math.floor((y - window.y0) / factor) * width;
      const src = (y - y0) * sourceWidth;
      for (let x = 0; x < sourceWidth; x++) {
        if (!block.observed[src + x]) continue;
        const o = outRow + Math.floor(x / factor);
        counts[o]!++;
        for (let b = 0; b < bands.length; b++) sums[b]![o]! += block.bands[b]![src + x]!;
      }
    }
  }
  const observed = new Uint8Array(width * height);
  for (let i = 0; i < counts.length; i++) {
    if (counts[i]! === 0) continue;
    observed[i] = 1;
    for (const s of sums) s[i]! /= counts[i]!;
  }
  return { bands: sums, observed, unreadRows };
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
