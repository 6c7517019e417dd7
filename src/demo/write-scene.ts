/**
 * Writes the demo scene as a run's inputs: before/after GeoTIFFs (optionally cut into a 2×2 or
 * 3×3 grid of tiles, to show that tiling does not change the result), the baseline, county and
 * approval layers, the ground truth, and a manifest that `patrol detect` / `patrol run` accept.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PixelWindow } from "../core/raster-types.js";
import { writeGeoTiff } from "../ingest/geotiff-writer.js";
import { generateDemoScene, type DemoImage, type DemoScene, type DemoSceneOptions } from "./scene.js";

export interface WriteDemoOptions extends DemoSceneOptions {
  /** Tiles per side: 1 (one file per date), 2 (4 tiles) or 3 (9 tiles). */
  readonly tilesPerSide?: 1 | 2 | 3;
  /** Run id written into the manifest. */
  readonly runId?: string;
  /** Output folder named in the manifest, relative to the manifest. */
  readonly output?: string;
  /** Processing window side written into the manifest (default: the manifest default). */
  readonly windowSize?: number;
}

export interface WrittenDemo {
  readonly scene: DemoScene;
  readonly manifestPath: string;
  readonly truthPath: string;
}

function crop(bands: DemoImage["bands"], width: number, w: PixelWindow): Uint8Array[] {
  const cw = w.x1 - w.x0;
  return bands.map((band) => {
    const out = new Uint8Array(cw * (w.y1 - w.y0));
    for (let y = w.y0; y < w.y1; y++)
      out.set(band.subarray(y * width + w.x0, y * width + w.x1), (y - w.y0) * cw);
    return out;
  });
}

/** A tile of the manifest: id and its after/before images (manifest-relative path and date). */
export interface DemoTileEntry {
  id: string;
  after: { source: string; date: string };
  before: { source: string; date: string };
}

/**
 * Writes a before and an after image of the demo grid as `n`×`n` GeoTIFF tiles under
 * `dir/imagery/` (`<tile>-<date>.tif`; an existing file of the same name is rewritten with the
 * same bytes) and returns the manifest's tile entries.
 */
export async function writeDemoTiles(
  dir: string,
  scene: Pick<DemoScene, "width" | "height" | "affine" | "crs" | "nodata">,
  images: { before: DemoImage; after: DemoImage },
  n: 1 | 2 | 3,
): Promise<DemoTileEntry[]> {
  await mkdir(path.join(dir, "imagery"), { recursive: true });
  const cuts = Array.from({ length: n + 1 }, (_, i) => Math.round((i * scene.width) / n));
  const tiles: DemoTileEntry[] = [];
  for (let ty = 0; ty < n; ty++) {
    for (let tx = 0; tx < n; tx++) {
      const w: PixelWindow = { x0: cuts[tx]!, y0: cuts[ty]!, x1: cuts[tx + 1]!, y1: cuts[ty + 1]! };
      const id = n === 1 ? "demo" : `demo-r${ty}c${tx}`;
      const entry: Record<string, { source: string; date: string }> = {};
      for (const [key, image] of [
        ["before", images.before],
        ["after", images.after],
      ] as const) {
        const file = `imagery/${id}-${image.date}.tif`;
        await writeGeoTiff(
          path.join(dir, file),
          {
            width: w.x1 - w.x0,
            height: w.y1 - w.y0,
            bandCount: 3,
            sampleType: "uint8",
            affine: {
              ...scene.affine,
              originX: scene.affine.originX + w.x0 * scene.affine.pixelWidth,
              originY: scene.affine.originY + w.y0 * scene.affine.pixelHeight,
            },
            crs: scene.crs,
            nodata: scene.nodata,
            bandDescriptions: ["red", "green", "blue"],
          },
          crop(image.bands, scene.width, w),
        );
        entry[key] = { source: file, date: image.date };
      }
      tiles.push({ id, after: entry.after!, before: entry.before! });
    }
  }
  return tiles;
}

/**
 * A demo run's manifest (the layers as {@link writeDemoScene} writes them); `previousRun` links a
 * month of the demo series to the one before.
 */
export function demoManifest(m: {
  runId: string;
  month: string;
  runDate: string;
  output: string;
  previousRun?: string | undefined;
  tiles: readonly DemoTileEntry[];
  windowSize?: number | undefined;
}): Record<string, unknown> {
  return {
    runId: m.runId,
    month: m.month,
    runDate: m.runDate,
    output: m.output,
    ...(m.previousRun !== undefined ? { previousRun: m.previousRun } : {}),
    profile: "rgb",
    tiles: m.tiles,
    baseline: { path: "baseline.geojson", classField: "DLBM", pbfField: "YJJBNT" },
    counties: { path: "counties.geojson" },
    exclusions: [{ path: "exclusions.geojson", kindField: "kind", idField: "approval_no" }],
    ...(m.windowSize !== undefined ? { windowSize: m.windowSize } : {}),
  };
}

/** Generates the demo scene and writes it under `dir`. Returns the manifest's path. */
export async function writeDemoScene(dir: string, options: WriteDemoOptions = {}): Promise<WrittenDemo> {
  const scene = generateDemoScene(options);
  const tiles = await writeDemoTiles(dir, scene, scene, options.tilesPerSide ?? 1);
  const layers = {
    "baseline.geojson": scene.baseline,
    "counties.geojson": scene.counties,
    "exclusions.geojson": scene.exclusions,
    "truth.geojson": scene.truth,
    "mismatch-truth.geojson": scene.mismatchTruth,
  };
  for (const [name, fc] of Object.entries(layers)) await writeFile(path.join(dir, name), JSON.stringify(fc));
  const manifest = demoManifest({
    runId: options.runId ?? "demo-2026-10",
    month: scene.after.date.slice(0, 7),
    runDate: "2026-10-20",
    output: options.output ?? "out",
    tiles,
    windowSize: options.windowSize,
  });
  const manifestPath = path.join(dir, "manifest.json");
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
  return { scene, manifestPath, truthPath: path.join(dir, "truth.geojson") };
}
