/**
 * `patrol demo-series [--dir DIR] [--season]`: writes the demo month sequence (src/demo/series.ts,
 * from October 2026) or the demo growing season (src/demo/season-series.ts, April to October
 * 2027, where abandonment can be flagged), one run manifest per month chained by `previousRun`,
 * to run one after another with `patrol detect`.
 */
import path from "node:path";
import type { Command } from "commander";
import { ConfigError } from "../../core/errors.js";
import { MAX_SEASON_MONTHS } from "../../demo/season-series.js";
import { writeDemoSeries } from "../../demo/write-series.js";

interface DemoSeriesCliOptions {
  dir: string;
  size: string;
  months?: string;
  clouds: string;
  season?: boolean;
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
    .description(
      "write the demo month sequence (four months on one grid; --season: a growing season) and a manifest per month",
    )
    .option("--dir <dir>", "where to write it", "patrol-demo-series")
    .option("--size <pixels>", "scene side in pixels", "1024")
    .option("--season", "the growing season from April 2027 (crop calendar, an abandoned parcel) instead")
    .option(
      "--months <n>",
      `number of months (1-6, default 4; --season: 1-${MAX_SEASON_MONTHS}, default ${MAX_SEASON_MONTHS})`,
    )
    .option("--clouds <how>", "clouds of the cloudy month: painted (white/grey) or nodata", "painted")
    .option("--window-size <pixels>", "processing window side written into the manifests")
    .action(async (o: DemoSeriesCliOptions) => {
      if (o.clouds !== "painted" && o.clouds !== "nodata")
        throw new ConfigError("--clouds", `must be painted or nodata, not ${JSON.stringify(o.clouds)}`);
      const w = await writeDemoSeries(path.resolve(o.dir), {
        size: intOption("--size", o.size, 128, 4096),
        season: o.season === true,
        months: o.season
          ? intOption("--months", o.months ?? String(MAX_SEASON_MONTHS), 1, MAX_SEASON_MONTHS)
          : intOption("--months", o.months ?? "4", 1, 6),
        clouds: o.clouds,
        ...(o.windowSize ? { windowSize: intOption("--window-size", o.windowSize, 64, 8192) } : {}),
      });
      process.stdout.write(
        `demo month sequence in ${path.resolve(o.dir)}; run the months in order:\n` +
          w.manifests.map((m) => `  npx patrol detect --manifest ${m}\n`).join(""),
      );
    });
}
