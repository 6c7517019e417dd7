/**
 * `patrol tune` at county size: the demo scene at 2048 × 2048 pixels (8.2 km × 8.2 km at 4 m,
 * 4 windows of 1024), detected once, then swept over 14 thresholds × 10 minimum areas from the
 * cache. The sweep's wall-clock and CPU times are printed; the bound asserted is loose (the test
 * machine is shared), the figure to read is the printed one.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/classify/backend.js";
import { silentLogger } from "../../src/core/logger.js";
import { writeDemoScene } from "../../src/demo/write-scene.js";
import { runDetect } from "../../src/report/run-detect.js";
import { formatTuneResult, tuneRun, type TuneResult } from "../../src/tune/index.js";

describe("patrol tune on a county-sized run", () => {
  let result: TuneResult;
  let detectMs: number;
  let cpuMs: number;

  beforeAll(async () => {
    await useBackend("wasm");
    const dir = mkdtempSync(path.join(tmpdir(), "tune-county-"));
    const written = await writeDemoScene(dir, { size: 2048 });
    const t0 = Date.now();
    await runDetect(written.manifestPath, { logger: silentLogger() });
    detectMs = Date.now() - t0;
    const cpu0 = process.cpuUsage();
    result = await tuneRun(path.join(dir, "out"), {
      reference: written.truthPath,
      target: { measure: "precision", value: 0.8 },
    });
    const cpu = process.cpuUsage(cpu0);
    cpuMs = (cpu.user + cpu.system) / 1000;
    console.log(formatTuneResult(result));
    console.log(
      `2048² demo: detect ${(detectMs / 1000).toFixed(1)} s; tune ${(result.timings.totalMs / 1000).toFixed(1)} s wall, ${(cpuMs / 1000).toFixed(1)} s CPU`,
    );
  }, 600_000);

  it("sweeps every threshold and minimum area from the cache, far faster than detection", () => {
    expect(result.sweep.thresholds).toHaveLength(14);
    expect(result.sweep.points.length).toBe(14 * 10 * (result.sweep.changeTypes.length + 1));
    expect(result.timings.totalMs).toBeLessThan(detectMs);
    expect(cpuMs).toBeLessThan(60_000);
  });
});
