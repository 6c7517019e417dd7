/**
 * A run that cannot open gives back what it took: with every tile's before image unreadable (its
 * after image opens first), `openRun` fails with the reason of each tile, and the model's tensors
 * and the after images' file handles are released.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/classify/backend.js";
import { ConfigError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/logger.js";
import { writeDemoScene } from "../../src/demo/write-scene.js";
import { openRun } from "../../src/detect/run-inputs.js";

interface ManifestTiles {
  tiles: Array<{ id: string; before: { source: string } }>;
}

const openFiles = (): number => readdirSync("/proc/self/fd").length;

describe("openRun when no tile opens", () => {
  let manifestPath: string;
  let tileIds: string[];

  beforeAll(async () => {
    await useBackend("wasm");
    const dir = mkdtempSync(path.join(tmpdir(), "open-run-"));
    manifestPath = (await writeDemoScene(dir, { size: 256, windowSize: 128, tilesPerSide: 2 })).manifestPath;
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as ManifestTiles;
    tileIds = manifest.tiles.map((t) => t.id);
    for (const t of manifest.tiles) writeFileSync(path.join(dir, t.before.source), "not a TIFF at all");
  });

  it("names every tile's reason and frees the model and the opened images", async () => {
    // One open and failure first, so lazily created state (backend kernels, caches) is in place.
    await expect(openRun(manifestPath, { logger: silentLogger() })).rejects.toThrow(ConfigError);
    const tensors = tf.memory().numTensors;
    const files = openFiles();
    const error = await openRun(manifestPath, { logger: silentLogger() }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/no tile could be opened/);
    for (const id of tileIds) expect((error as Error).message).toContain(`${id}:`);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(openFiles()).toBe(files);
  });
});
