/**
 * The window stage borrows its layers and temporaries from the process's scratch pool
 * (core/scratch-pool.ts): a window's rasters must not depend on what the pool's arrays held from
 * the windows before it. On a cloudy demo scene (so the cloud mask's summed-area tables, erosion
 * and dilation run), each window's files after two other windows are byte-identical to the same
 * window processed with an empty pool.
 */
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/classify/backend.js";
import { silentLogger } from "../../src/core/logger.js";
import { scratchPool } from "../../src/core/scratch-pool.js";
import { addSyntheticClouds } from "../../src/demo/clouds.js";
import { writeDemoScene } from "../../src/demo/write-scene.js";
import { closeRun, openRun, type RunInputs } from "../../src/detect/run-inputs.js";
import { processWindow } from "../../src/report/window-job.js";
import { rewriteDemoAfterImage } from "../support/demo-after-image.js";

const SIZE = 512;

/** Every file a window job writes, by path under the output folder. */
function windowFiles(outDir: string, windowId: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const dir = path.join(outDir, "windows", windowId);
  for (const name of readdirSync(dir))
    files.set(`windows/${windowId}/${name}`, readFileSync(path.join(dir, name)));
  const state = path.join(outDir, "state", "pixels", `${windowId}.tif`);
  files.set(`state/pixels/${windowId}.tif`, readFileSync(state));
  return files;
}

describe("window stage with a reused scratch pool", () => {
  let manifestPath: string;
  let dir: string;

  beforeAll(async () => {
    await useBackend("wasm");
    dir = mkdtempSync(path.join(tmpdir(), "window-scratch-"));
    const written = await writeDemoScene(dir, { size: SIZE, windowSize: 256 });
    manifestPath = written.manifestPath;
    const scene = written.scene;
    const bands = scene.after.bands.map((b) => b.slice()) as [Uint8Array, Uint8Array, Uint8Array];
    addSyntheticClouds(bands, SIZE, SIZE, { seed: 11, count: 4, radius: [10, 28], shadowOffset: [9, -7] });
    await rewriteDemoAfterImage(dir, manifestPath, scene, bands);
  });

  async function withRun<T>(outDir: string, use: (run: RunInputs) => Promise<T>): Promise<T> {
    const run = await openRun(manifestPath, { logger: silentLogger(), outDir });
    try {
      return await use(run);
    } finally {
      await closeRun(run);
    }
  }

  it("gives each window the same files after other windows as with an empty pool", async () => {
    const logger = silentLogger();
    const ids = await withRun(path.join(dir, "ids"), async (run) => run.windows.map((w) => w.id));
    expect(ids.length).toBe(4);
    const [first, second, third] = ids as [string, string, string];

    // Each of the three windows alone, with an empty pool.
    const alone = new Map<string, Buffer>();
    for (const id of [first, second, third]) {
      const out = path.join(dir, `alone-${id}`);
      scratchPool.clear();
      await withRun(out, async (run) =>
        processWindow(
          run,
          run.windows.find((w) => w.id === id)!,
          { logger },
        ),
      );
      for (const [k, v] of windowFiles(out, id)) alone.set(k, v);
    }

    // In sequence (other orders than the plan's too): the pool now holds earlier windows' arrays.
    scratchPool.clear();
    const sequence = path.join(dir, "sequence");
    await withRun(sequence, async (run) => {
      for (const id of [third, first, second]) {
        await processWindow(
          run,
          run.windows.find((w) => w.id === id)!,
          { logger },
        );
      }
    });
    expect(scratchPool.heldBytes).toBeGreaterThan(0);
    let compared = 0;
    for (const id of [first, second, third]) {
      const files = windowFiles(sequence, id);
      expect(files.size).toBeGreaterThanOrEqual(5);
      for (const [k, v] of files) {
        expect(v.equals(alone.get(k)!), k).toBe(true);
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(15);
  }, 120_000);
});
