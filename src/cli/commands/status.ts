/**
 * `patrol status RUN_ID [--out DIR] [--json]`: where a queued run stands — its window jobs by
 * state and their failures (from Redis, REDIS_URL/PATROL_QUEUE_PREFIX) and whether summary.json
 * is in its output folder. Redis remembers the output folder of every submitted run; --out is
 * for runs Redis no longer holds (or when REDIS_URL is unset).
 */
import { access } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { RunQueues, queueConfigFromEnv, runStatus, type RunStatus } from "../../queue/index.js";

interface StatusCliOptions {
  out?: string;
  json?: boolean;
}

function formatStatus(s: RunStatus): string {
  const lines: string[] = [];
  if (s.assembly === null) lines.push(`run ${s.runId}: not in the queue`);
  else {
    const states = Object.entries(s.windows)
      .map(([k, v]) => `${v} ${k}`)
      .join(", ");
    lines.push(`run ${s.runId}: assembly ${s.assembly}; ${s.totalWindows} windows: ${states || "none"}`);
  }
  for (const f of s.failures) lines.push(`  FAILED window ${f.windowId}: ${f.reason}`);
  if (s.summaryFile) lines.push(`  summary ${s.summaryFile}: ${s.summaryExists ? "written" : "not yet"}`);
  else lines.push("  output folder unknown (pass --out DIR)");
  return lines.join("\n") + "\n";
}

export function registerStatusCommand(program: Command): void {
  program
    .command("status")
    .description("where a queued run stands: its jobs in Redis, and whether summary.json is written")
    .argument("<runId>", "the manifest's runId")
    .option("--out <dir>", "the run's output folder, when Redis no longer holds the run")
    .option("--json", "print the status as JSON")
    .action(async (runId: string, o: StatusCliOptions) => {
      const config = queueConfigFromEnv();
      let status: RunStatus;
      if (config) {
        const queues = new RunQueues(config, { failFast: true });
        try {
          status = await runStatus(queues, runId, o.out ? { outDir: o.out } : {});
        } finally {
          await queues.close();
        }
      } else {
        const summaryFile = o.out ? path.join(path.resolve(o.out), "summary.json") : null;
        status = {
          runId,
          assembly: null,
          outDir: o.out ? path.resolve(o.out) : null,
          windows: {},
          totalWindows: 0,
          failures: [],
          summaryFile,
          summaryExists: summaryFile
            ? await access(summaryFile).then(
                () => true,
                () => false,
              )
            : false,
        };
      }
      process.stdout.write(o.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
      if (status.assembly === null && !status.summaryExists) process.exitCode = 1;
    });
}
