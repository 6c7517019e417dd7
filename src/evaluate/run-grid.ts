/** The pixel grid a run worked on, read back from its windows' change rasters. */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { buildMosaic } from "../ingest/mosaic.js";
import { openRaster } from "../ingest/raster-source.js";
import type { RasterGrid } from "../ingest/rasterize.js";
import { EvaluationInputError } from "./errors.js";

/**
 * The grid covered by `<out>/windows/<id>/change.tif` (the union of the processed windows): CRS,
 * affine and size. Throws {@link EvaluationInputError} when the folder holds no processed window.
 */
export async function runGrid(outDir: string): Promise<RasterGrid> {
  const root = path.join(outDir, "windows");
  const ids = await readdir(root).catch(() => [] as string[]);
  const rasters = [];
  for (const id of ids.sort()) {
    try {
      rasters.push(await openRaster(path.join(root, id, "change.tif")));
    } catch {
      // a window without its change raster was not processed; it is not part of the grid
    }
  }
  if (rasters.length === 0)
    throw new EvaluationInputError(
      outDir,
      "no windows/*/change.tif: not a run's output folder, or no window was processed",
    );
  try {
    const mosaic = buildMosaic(rasters);
    return { affine: mosaic.affine, width: mosaic.width, height: mosaic.height, crs: mosaic.crs };
  } finally {
    await Promise.all(rasters.map((r) => r.close()));
  }
}
