/**
 * `patrol review --run OUT_DIR` (or `--manifest FILE [--out DIR]`): (re)writes the review pages of
 * a finished run — `review/<prefecture>/<county>.html` per county with issues, and
 * `review/index.html` — from its issue lists, summary.json and after imagery. No model is loaded.
 */
import path from "node:path";
import type { Command } from "commander";
import { createLogger } from "../../core/logger.js";
import { openReviewRun, writeReviewPages } from "../../review/index.js";

interface ReviewCliOptions {
  run?: string;
  manifest?: string;
  out?: string;
}

export function registerReviewCommand(program: Command): void {
  program
    .command("review")
    .description("write the static review pages (one HTML page per county) of a finished run")
    .option("--run <dir>", "the run's output folder (holding summary.json)")
    .option("--manifest <file>", "the run's manifest (default: the one summary.json names)")
    .option("--out <dir>", "with --manifest: the output folder, when not the manifest's `output`")
    .action(async (o: ReviewCliOptions) => {
      const logger = createLogger();
      const opened = await openReviewRun({
        logger,
        ...((o.run ?? o.out) ? { outDir: path.resolve((o.run ?? o.out)!) } : {}),
        ...(o.manifest ? { manifestFile: path.resolve(o.manifest) } : {}),
      });
      try {
        const result = await writeReviewPages(opened.run, opened.summary, { logger });
        const lines = [
          ...result.pages.map(
            (p) => `  ${p.adcode}: ${p.issues} issues → ${path.join(opened.run.outDir, p.file)}`,
          ),
          ...result.failed.map((f) => `  FAILED ${f.adcode}: ${f.reason}`),
        ];
        process.stdout.write(
          `review pages of run ${opened.summary.runId}: ${result.pages.length} counties, ${result.ms} ms\n` +
            (lines.length > 0 ? lines.join("\n") + "\n" : "") +
            `  index: ${path.join(opened.run.outDir, result.index)}\n`,
        );
        if (result.failed.length > 0) process.exitCode = 3;
      } finally {
        await opened.close();
      }
    });
}
