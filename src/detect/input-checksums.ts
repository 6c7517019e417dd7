/**
 * SHA-256 of a run's local input files, for summary.json. Hashing is spread over the window jobs
 * so that no process reads every tile: each tile is hashed by the one window that holds its
 * after image's top-left pixel (windows tile the mosaic, so exactly one does), and the join stage
 * hashes the vector layers and gathers the rest. URLs are not hashed (they are not ours to read
 * twice).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import path from "node:path";
import type { RunInputs, WindowPlan } from "./run-inputs.js";

const isUrl = (s: string): boolean => /^https?:\/\//i.test(s);

/** SHA-256 of a file, hex. */
export async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

type ChecksumInputs = Pick<RunInputs, "manifest" | "baseDir" | "after" | "tileOfSource" | "failedTiles">;

/**
 * Checksums of the tiles this window is responsible for: those whose after image starts (top-left
 * pixel, mosaic coordinates) inside `plan.window`. Keys are the sources as the manifest writes them.
 */
export async function windowTileChecksums(
  run: ChecksumInputs,
  plan: Pick<WindowPlan, "window">,
): Promise<Record<string, string>> {
  const w = plan.window;
  const mine = new Set<string>();
  for (const part of run.after.parts) {
    if (part.offsetX < w.x0 || part.offsetX >= w.x1 || part.offsetY < w.y0 || part.offsetY >= w.y1) continue;
    const tileId = run.tileOfSource.get(part.raster.source);
    if (tileId !== undefined) mine.add(tileId);
  }
  const out: Record<string, string> = {};
  for (const tile of run.manifest.tiles) {
    if (!mine.has(tile.id)) continue;
    for (const source of [tile.after.source, tile.before.source]) {
      if (!isUrl(source)) out[source] = await sha256File(path.resolve(run.baseDir, source));
    }
  }
  return out;
}

/**
 * All checksums of the run in manifest order (tiles' after and before images, baseline, counties,
 * exclusions): the vector layers hashed here, the tiles taken from `tileChecksums` (gathered from
 * the windows). Tiles that failed to open, and tiles no window reported, are left out.
 */
export async function runChecksums(
  run: ChecksumInputs,
  tileChecksums: Readonly<Record<string, string>>,
): Promise<Record<string, string>> {
  const m = run.manifest;
  const failed = new Set(run.failedTiles.map((t) => t.tileId));
  const out: Record<string, string> = {};
  for (const tile of m.tiles) {
    if (failed.has(tile.id)) continue;
    for (const source of [tile.after.source, tile.before.source]) {
      const sum = tileChecksums[source];
      if (sum !== undefined) out[source] = sum;
    }
  }
  for (const layer of [m.baseline.path, m.counties.path, ...m.exclusions.map((e) => e.path)]) {
    if (!isUrl(layer)) out[layer] = await sha256File(path.resolve(run.baseDir, layer));
  }
  return out;
}
