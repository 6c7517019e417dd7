/**
 * `patrol run [--manifest FILE] [--inline]`: one month's run on the queue. It submits the run
 * as a BullMQ flow (see src/queue), follows it with a progress bar on stderr and prints the
 * same summary as `patrol detect`. With --inline, or when REDIS_URL is not set, the same stage
 * functions run in this process. Without --manifest it runs the built-in demo scene.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { useBackend } from "../../classify/backend.js";
import { loadManifest } from "../../config/manifest.js";
import { createLogger, type Logger } from "../../core/logger.js";
import { writeDemoScene } from "../../demo/write-scene.js";
import type { RunSummary } from "../../report/assemble.js";
import { runDetect } from "../../report/run-detect.js";
import { RunQueues, followRun, queueConfigFromEnv, redactRedisUrl, submitRun } from "../../queue/index.js";
import { formatRunSummary } from "./detect.js";

interface RunCliOptions {
  manifest?: string;
  inline?: boolean;
  demoDir: string;
  out?: string;
  model?: string;
  backend?: string;
  quiet?: boolean;
}

interface Bar {
  update(stage: string, done: number, total: number, failed: number): void;
  stop(): void;
}

/** Windows done/total, failures, elapsed and ETA on stderr (only on a terminal, unless quiet). */
function progressBar(quiet: boolean | undefined): Bar {
  if (quiet || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      format:
        " {stage} |{bar}| {value}/{total} windows, {failed} failed, {duration_formatted} elapsed, ETA {eta_formatted}",
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(stage, done, total, failed) {
      if (!started) {
        bar.start(total, done, { stage, failed });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, { stage, failed });
      }
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

async function inline(manifest: string, o: RunCliOptions, logger: Logger): Promise<RunSummary> {
  await useBackend(o.backend);
  const bar = progressBar(o.quiet);
  try {
    return await runDetect(manifest, {
      logger,
      ...(o.out ? { outDir: path.resolve(o.out) } : {}),
      ...(o.model ? { modelDir: path.resolve(o.model) } : {}),
      onProgress: (p) => {
        if (p.stage === "windows" || p.stage === "assemble")
          bar.update(p.stage === "windows" ? "detecting" : "assembling", p.done, p.total, p.failed);
      },
    });
  } finally {
    bar.stop();
  }
}

export function registerRunCommand(program: Command): void {
  program
    .command("run")
    .description(
      "run one month on the queue (REDIS_URL; workers: `patrol worker`), or in this process with --inline or when REDIS_URL is unset; without --manifest, the built-in demo scene",
    )
    .option("--manifest <file>", "run manifest (JSON or YAML)")
    .option("--inline", "run in this process, without Redis")
    .option("--demo-dir <dir>", "where the demo scene is generated when no manifest is given", "patrol-demo")
    .option(
      "--out <dir>",
      "output folder (default: the manifest's `output`); must be shared with the workers",
    )
    .option("--model <dir>", "model folder (default: the manifest's, else the shipped model)")
    .option("--backend <name>", "tfjs backend: wasm (default), cpu or node; or set PATROL_TF_BACKEND")
    .option("--quiet", "no progress bar")
    .action(async (o: RunCliOptions) => {
      const logger = createLogger();
      let manifest = o.manifest;
      if (!manifest) {
        process.stderr.write(`no --manifest: generating the demo scene in ${o.demoDir}\n`);
        manifest = (await writeDemoScene(o.demoDir)).manifestPath;
      }
      manifest = path.resolve(manifest);
      const { manifest: m, baseDir } = await loadManifest(manifest);
      const outDir = path.resolve(o.out ?? path.resolve(baseDir, m.output));
      const config = o.inline ? null : queueConfigFromEnv();
      let summary: RunSummary;
      if (!config) {
        if (!o.inline) process.stderr.write("REDIS_URL is not set: running in this process\n");
        summary = await inline(manifest, o, logger);
      } else {
        process.stderr.write(
          `submitting run ${m.runId} to ${redactRedisUrl(config.redisUrl)} (prefix ${config.prefix})\n`,
        );
        await useBackend(o.backend);
        const queues = new RunQueues(config);
        const bar = progressBar(o.quiet);
        try {
          const submitOptions = {
            logger,
            ...(o.out ? { outDir } : {}),
            ...(o.model ? { modelDir: path.resolve(o.model) } : {}),
          };
          const submitted = await submitRun(queues, manifest, submitOptions);
          if (!submitted.added)
            process.stderr.write(`run ${submitted.runId} is already queued; following it\n`);
          const result = await followRun(queues, submitted.runId, {
            onProgress: (p) =>
              bar.update(p.done < p.total ? "detecting" : "assembling", p.done, p.total, p.failed),
            resubmit: async () => {
              logger.warn({ runId: submitted.runId }, "run vanished from Redis; submitting it again");
              await submitRun(queues, manifest, submitOptions);
            },
          });
          bar.stop();
          summary = JSON.parse(await readFile(result.summaryFile, "utf8")) as RunSummary;
        } finally {
          bar.stop();
          await queues.close();
        }
      }
      process.stdout.write(formatRunSummary(summary, outDir));
      if (summary.status !== "complete") process.exitCode = 3;
    });
}
