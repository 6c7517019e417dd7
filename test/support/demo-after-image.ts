/**
 * Replaces a written demo scene's after image (its first tile) with other bands, e.g. the same
 * bands with synthetic clouds painted in, keeping the scene's grid, CRS and nodata.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { DemoScene } from "../../src/demo/scene.js";
import { writeGeoTiff } from "../../src/ingest/geotiff-writer.js";

export async function rewriteDemoAfterImage(
  dir: string,
  manifestPath: string,
  scene: Pick<DemoScene, "width" | "height" | "affine" | "crs">,
  bands: readonly [Uint8Array, Uint8Array, Uint8Array],
): Promise<void> {
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
    tiles: Array<{ after: { source: string } }>;
  };
  await writeGeoTiff(
    path.join(dir, manifest.tiles[0]!.after.source),
    {
      width: scene.width,
      height: scene.height,
      bandCount: 3,
      sampleType: "uint8",
      affine: scene.affine,
      crs: scene.crs,
      nodata: 0,
      bandDescriptions: ["red", "green", "blue"],
    },
    [...bands],
  );
}
