/**
 * The BullMQ processors: thin wrappers that parse job data, call a stage function, and record
 * the result. A window job runs {@link processWindow}; the assembly job (parent of the run's
 * window jobs) collects its children's failures and runs {@link assembleRun}.
 */
import path from "node:path";
import type { Job } from "bullmq";
import { ConfigError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { assembleRun, type FailedWindow } from "../report/assemble.js";
import { processWindow } from "../report/window-job.js";
import { parseFailedReason, toJobError } from "./errors.js";
import {
  jobIdOfKey,
  windowJobId,
  type AssemblyJobData,
  type AssemblyJobResult,
  type WindowJobData,
  type WindowJobResult,
} from "./names.js";
import type { RunCache } from "./run-cache.js";

export type WindowProcessor = (
  job: Job<WindowJobData, WindowJobResult>,
  token?: string,
  signal?: AbortSignal,
) => Promise<WindowJobResult>;

export type AssemblyProcessor = (
  job: Job<AssemblyJobData, AssemblyJobResult>,
  token?: string,
  signal?: AbortSignal,
) => Promise<AssemblyJobResult>;

export function windowProcessor(cache: RunCache, logger: Logger): WindowProcessor {
  return async (job, _token, signal) => {
    const d = job.data;
    const log = logger.child({ runId: d.runId, jobId: job.id, windowId: d.windowId });
    const t0 = Date.now();
    log.info({ attempt: job.attemptsStarted }, "window started");
    try {
      return await cache.use(d, async (run) => {
        const plan = run.windows.find((w) => w.id === d.windowId);
        if (!plan) throw new ConfigError(d.manifestFile, `window ${d.windowId} is not in the run's plan`);
        const out = await processWindow(run, plan, { logger: log, ...(signal ? { signal } : {}) });
        const result = { windowId: d.windowId, patches: out.patches.length, ms: Date.now() - t0 };
        log.info({ patches: result.patches, ms: result.ms }, "window done");
        return result;
      });
    } catch (e) {
      log.warn({ err: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }, "window failed");
      throw toJobError(e);
    }
  };
}

export function assemblyProcessor(cache: RunCache, logger: Logger): AssemblyProcessor {
  return async (job) => {
    const d = job.data;
    const log = logger.child({ runId: d.runId, jobId: job.id });
    const tStart = Date.now();
    try {
      return await cache.use(d, async (run) => {
        const reasons = new Map(
          Object.entries(await job.getIgnoredChildrenFailures()).map(([key, r]) => [jobIdOfKey(key), r]),
        );
        const failed: FailedWindow[] = [];
        for (const plan of run.windows) {
          const reason = reasons.get(windowJobId(d.runId, plan.id));
          if (reason !== undefined)
            failed.push({ windowId: plan.id, tileIds: plan.tileIds, ...parseFailedReason(reason) });
        }
        const times = Object.values(await job.getChildrenValues<WindowJobResult | null>())
          .map((v) => v?.ms ?? 0)
          .sort((a, b) => a - b);
        const summary = await assembleRun(run, failed, {
          logger: log,
          timings: {
            windowsMs: tStart - d.submittedAt,
            windowMedianMs: times[Math.floor(times.length / 2)] ?? 0,
            pixels: run.windows.reduce(
              (s, w) => s + (w.window.x1 - w.window.x0) * (w.window.y1 - w.window.y0),
              0,
            ),
          },
        });
        log.info({ issues: summary.totals.issues, failedWindows: failed.length }, "run assembled");
        return {
          status: summary.status,
          issues: summary.totals.issues,
          failedWindows: summary.failedWindows.length,
          summaryFile: path.join(run.outDir, "summary.json"),
        };
      });
    } catch (e) {
      log.warn({ err: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }, "assembly failed");
      throw toJobError(e);
    }
  };
}
