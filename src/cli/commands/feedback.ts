/**
 * `patrol feedback import FILE --run OUT_DIR`: stores the counties' field-verification results
 * (CSV or GeoJSON) in a run's state, for the next month's run to read.
 */
import path from "node:path";
import type { Command } from "commander";
import { importFeedback } from "../../history/feedback.js";

export function registerFeedbackCommand(program: Command): void {
  const feedback = program.command("feedback").description("county field-verification results");
  feedback
    .command("import <file>")
    .description(
      "import results per issue id (illegal, legal/approved, false positive; notes; date) from CSV or GeoJSON into a run's state",
    )
    .requiredOption("--run <dir>", "output folder of the run that listed the issues")
    .action(async (file: string, o: { run: string }) => {
      const r = await importFeedback(path.resolve(file), path.resolve(o.run));
      process.stdout.write(
        `imported ${r.imported} results into ${path.resolve(o.run)}/state/feedback.json` +
          (r.replaced.length > 0 ? ` (replacing earlier results for ${r.replaced.length})` : "") +
          `; ${r.total} stored\n`,
      );
    });
}
