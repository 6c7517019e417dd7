/**
 * `patrol demo-series [--dir DIR]`: writes the demo month sequence (src/demo/series.ts), one run
 * manifest per month chained by `previousRun`, to run one after another with `patrol detect`.
 */
import path from "node:path";
import type { Command } from "commander";
import { ConfigError } from "../../core/errors.js";
import { writeDemoSeries } from "../../demo/write-series.js";

interface DemoSeriesCliOptions {
  dir: string;
  size: string;
  months: string;
  clouds: string;
  windowSize?: string;
}

function intOption(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(name, `must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`);
  return n;
}

export function registerDemoSeriesCommand(program: Command): void {
  program
    .command("demo-series")
    .description("write the demo month sequence (four months on one grid) and a manifest per month")
    .option("--dir <dir>", "where to write it", "patrol-demo-series")
    .option("--size <pixels>", "scene side in pixels", "1024")
    .option("--months <n>", "number of months (1-6)", "4")
    .option("--clouds <how>", "clouds of the cloudy month: painted (white/grey) or nodata", "painted")
    .option("--window-size <pixels>", "processing window side written into the manifests")
    .action(async (o: DemoSeriesCliOptions) => {
      if (o.clouds !== "painted" && o.clouds !== "nodata")
        throw new ConfigError("--clouds", `must be painted or nodata, not ${JSON.stringify(o.clouds)}`);
      const w = await writeDemoSeries(path.resolve(o.dir), {
        size: intOption("--size", o.size, 128, 4096),
        months: intOption("--months", o.months, 1, 6),
        clouds: o.clouds,
        ...(o.windowSize ? { windowSize: intOption("--window-size", o.windowSize, 64, 8192) } : {}),
      });
      process.stdout.write(
        `demo month sequence in ${path.resolve(o.dir)}; run the months in order:\n` +
          w.manifests.map((m) => `  npx patrol detect --manifest ${m}\n`).join(""),
      );
    });
}
