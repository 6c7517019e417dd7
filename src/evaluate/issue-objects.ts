/**
 * A run's issues as predicted objects on the run's grid: every county issue list under
 * `<out>/issues/` (or one given list) read and burned onto the grid, one object per issue.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parseVectorLayer, type VectorLayer, type RawProperties } from "../ingest/vector-layer.js";
import { rasterizeLayer, type RasterGrid } from "../ingest/rasterize.js";
import { EvaluationInputError } from "./errors.js";
import type { LabelledObjects } from "./labelled-objects.js";

/** Paths of every `issues/<prefecture>/<county>.geojson` under a run's output folder, sorted. */
export async function issueListFiles(outDir: string): Promise<string[]> {
  const root = path.join(outDir, "issues");
  let prefectures: string[];
  try {
    prefectures = await readdir(root);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw cause;
  }
  const files: string[] = [];
  for (const p of prefectures.sort()) {
    const names = await readdir(path.join(root, p)).catch(() => [] as string[]);
    for (const n of names.sort()) if (n.endsWith(".geojson")) files.push(path.join(root, p, n));
  }
  return files;
}

/**
 * Reads issue lists (RFC 7946 lon/lat) and burns each issue onto `grid` (later issues win a pixel
 * two share, which issue lists of one run never do). `keep` selects issues (e.g. by type).
 */
export async function issueObjects(
  files: readonly string[],
  grid: RasterGrid,
  keep: (properties: RawProperties) => boolean = () => true,
): Promise<LabelledObjects> {
  const features: VectorLayer<RawProperties>["features"][number][] = [];
  for (const file of files) {
    const layer = parseVectorLayer(await readFile(file, "utf8"), file);
    for (const f of layer.features) {
      if (typeof f.properties.change_type !== "string" || typeof f.properties.area_m2 !== "number")
        throw new EvaluationInputError(file, `feature ${f.index} is not an issue (no change_type / area_m2)`);
      if (keep(f.properties)) features.push({ ...f, index: features.length });
    }
  }
  const layer: VectorLayer<RawProperties> = { source: "issues", crs: "EPSG:4326", features, extent: null };
  const labels = rasterizeLayer(layer, grid, { burn: (f) => f.index + 1, sampleType: "int32" }) as Int32Array;
  return {
    width: grid.width,
    height: grid.height,
    labels,
    objects: features.map((f) => ({
      id: String(f.properties.id ?? `issue-${f.index}`),
      changeType: f.properties.change_type as string,
      areaM2: f.properties.area_m2 as number,
    })),
    ignore: null,
  };
}
