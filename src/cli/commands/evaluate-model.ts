/**
 * `patrol evaluate-model --model DIR --gid DIR`: recomputes the model card's validation figures
 * from the committed weights and says whether they are reproduced within the tolerance.
 */
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { DEFAULT_MODEL_DIR } from "../../classify/default-model.js";
import { useBackend } from "../../classify/backend.js";
import { DEFAULT_REPRODUCE_TOLERANCE, reproduceModelCard } from "../../classify/reproduce.js";
import { ModelFileError } from "../../classify/errors.js";

interface EvaluateOptions {
  model: string;
  gid: string;
  tolerance: string;
  json?: boolean;
  backend?: string;
}

export function registerEvaluateModelCommand(program: Command): void {
  program
    .command("evaluate-model")
    .description("recompute a model card's validation figures from the committed weights")
    .option("--model <dir>", "model folder", DEFAULT_MODEL_DIR)
    .option("--gid <dir>", "GID folder holding gid-mtl15/ and gid-mtl5/", "../shared/data/gid")
    .option(
      "--tolerance <x>",
      "largest accepted absolute difference in OA or F1",
      String(DEFAULT_REPRODUCE_TOLERANCE),
    )
    .option("--json", "print the recomputed figures as JSON")
    .option("--backend <name>", "tfjs backend: wasm (default), cpu or node; or set PATROL_TF_BACKEND")
    .action(async (o: EvaluateOptions) => {
      const backend = await useBackend(o.backend);
      const bar = new cliProgress.SingleBar(
        { format: " evaluating |{bar}| {value}/{total} tiles", stream: process.stderr, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(1, 0);
      const r = await reproduceModelCard(o.model, o.gid, Number(o.tolerance), (d, t) => {
        bar.setTotal(t);
        bar.update(d);
      });
      bar.stop();
      if (o.json) {
        process.stdout.write(
          `${JSON.stringify({ backend, ...r, card: undefined, modelId: r.card.modelId }, null, 1)}\n`,
        );
      } else {
        const g = r.evaluation.grouped;
        const lines = [
          `model ${r.card.modelId} on ${r.evaluation.images} validation tiles (${g.pixels} labelled pixels), backend ${backend}`,
          `grouped OA ${(100 * g.overallAccuracy).toFixed(2)}%, kappa ${g.kappa.toFixed(3)}`,
          ...g.perClass
            .filter((c) => c.support > 0)
            .map(
              (c) =>
                `  ${c.name.padEnd(9)} precision ${c.precision.toFixed(3)} recall ${c.recall.toFixed(3)} F1 ${c.f1.toFixed(3)}`,
            ),
          `fine OA ${(100 * r.evaluation.fine.overallAccuracy).toFixed(2)}%`,
          "figure              card   recomputed  difference",
          ...r.differences.map(
            (d) =>
              `  ${d.figure.padEnd(16)} ${d.card.toFixed(4)}  ${d.recomputed.toFixed(4)}  ${d.difference >= 0 ? "+" : ""}${d.difference.toFixed(4)}`,
          ),
          r.reproduced
            ? `reproduced within ${r.tolerance}`
            : `NOT reproduced: some figure differs by more than ${r.tolerance}`,
        ];
        process.stdout.write(`${lines.join("\n")}\n`);
      }
      if (!r.reproduced) {
        throw new ModelFileError(o.model, `the card's figures are not reproduced within ${r.tolerance}`);
      }
    });
}
