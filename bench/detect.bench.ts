/**
 * End-to-end throughput of `patrol detect` (one process, wasm backend) on the demo scene:
 * megapixels of imagery per second, counting the after image's pixels (each is also read and
 * classified on the before date, so two images are classified per pixel), with the stage's
 * peak RSS. Also times the stages inside the run (windows vs assembly) from the summary.
 */
import path from "node:path";
import { useBackend } from "../src/classify/backend.js";
import { silentLogger } from "../src/core/logger.js";
import { writeDemoScene } from "../src/demo/write-scene.js";
import { runDetect } from "../src/report/run-detect.js";
import { spreadOf, throughput, type BenchContext, type BenchModule, type StageResult } from "./harness.js";

const DEMO = "detect-demo";

export const benchmarks: BenchModule = {
  async prepare(ctx: BenchContext) {
    await writeDemoScene(path.join(ctx.tmpDir, DEMO), { windowSize: 512 });
  },
  stages: [
    {
      name: "detect/demo-end-to-end",
      description: "patrol detect on the 1024×1024 demo scene, 4 windows of 512 (wasm, one process)",
      async run(ctx: BenchContext): Promise<StageResult> {
        await useBackend("wasm");
        const manifest = path.join(ctx.tmpDir, DEMO, "manifest.json");
        const repeats = ctx.quick ? 1 : 3;
        const times: number[] = [];
        const windowShare: number[] = [];
        let pixels = 0;
        for (let i = 0; i < repeats; i++) {
          const t = Date.now();
          const s = await runDetect(manifest, {
            logger: silentLogger(),
            outDir: path.join(ctx.tmpDir, DEMO, `out-${i}`),
          });
          times.push(Date.now() - t);
          pixels = s.timings.pixels ?? 0;
          windowShare.push((s.timings.windowsMs ?? 0) / (s.timings.totalMs ?? 1));
          ctx.log(`run ${i + 1}: ${times[i]} ms, ${s.totals.issues} issues`);
        }
        return {
          metrics: [
            throughput("end-to-end", "Mpx/s", pixels / 1e6, times),
            {
              name: "share of time in window jobs",
              unit: "",
              spread: spreadOf(windowShare),
              higherIsBetter: false,
            },
          ],
          notes: [
            `${pixels} pixels per date; each run classifies two dates, joins seams, draws chips and writes the lists`,
          ],
        };
      },
    },
  ],
};
