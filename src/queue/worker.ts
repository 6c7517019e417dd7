/**
 * A queue worker process: one BullMQ worker on the window queue and one on the assembly queue
 * (assembly and county jobs), sharing a cache of opened runs. `close()` stops taking jobs and waits for the jobs in hand
 * (BullMQ `worker.close()`); `close(true)` abandons them, and their locks lapse so another
 * worker's stalled-job check hands them on.
 */
import { Queue, Worker } from "bullmq";
import type { Logger } from "../core/logger.js";
import { connectionOptions, type QueueConfig } from "./connection.js";
import { ASSEMBLY_QUEUE, JOB_COUNTY, WINDOW_QUEUE } from "./names.js";
import { assemblyProcessor, windowProcessor, type AddCountyJobs } from "./processors.js";
import { BACKOFF_DELAY_MS, JOB_ATTEMPTS } from "./run-flow.js";
import { RunCache } from "./run-cache.js";

export interface WorkerOptions {
  readonly logger: Logger;
  /** Window jobs in flight in this process (classification is CPU-bound: 1 per process). */
  readonly concurrency?: number;
  /** How long a job's lock lasts without renewal, ms (BullMQ default 30000). */
  readonly lockDurationMs?: number;
  /** How often stalled jobs are looked for, ms (BullMQ default 30000). */
  readonly stalledIntervalMs?: number;
  /** Name stored on the jobs this worker takes (host:pid by default). */
  readonly name?: string;
}

export interface PatrolWorker {
  /** Resolves once both BullMQ workers are connected and taking jobs. */
  readonly ready: Promise<void>;
  close(force?: boolean): Promise<void>;
}

/** Environment overrides for lock and stall timing (tests use short ones). */
export function timingFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Pick<WorkerOptions, "lockDurationMs" | "stalledIntervalMs"> {
  const num = (v: string | undefined): number | undefined => {
    const n = Number(v);
    return v && Number.isFinite(n) && n > 0 ? n : undefined;
  };
  const lock = num(env.PATROL_LOCK_DURATION_MS);
  const stalled = num(env.PATROL_STALLED_INTERVAL_MS);
  return {
    ...(lock !== undefined ? { lockDurationMs: lock } : {}),
    ...(stalled !== undefined ? { stalledIntervalMs: stalled } : {}),
  };
}

export function startWorker(config: QueueConfig, options: WorkerOptions): PatrolWorker {
  const logger = options.logger;
  const cache = new RunCache(logger);
  const common = {
    prefix: config.prefix,
    ...(options.name ? { name: options.name } : {}),
    ...(options.lockDurationMs ? { lockDuration: options.lockDurationMs } : {}),
    ...(options.stalledIntervalMs ? { stalledInterval: options.stalledIntervalMs } : {}),
    maxStalledCount: 2,
  };
  const windows = new Worker(WINDOW_QUEUE, windowProcessor(cache, logger), {
    ...common,
    connection: connectionOptions(config, { name: "worker-windows" }),
    concurrency: options.concurrency ?? 1,
  });
  // The assembly job adds its county jobs through this queue, as its children.
  const countyQueue = new Queue(ASSEMBLY_QUEUE, {
    prefix: config.prefix,
    connection: connectionOptions(config, { name: "worker-counties" }),
  });
  const addCounties: AddCountyJobs = async (parent, jobs) => {
    if (jobs.length === 0) return;
    await countyQueue.addBulk(
      jobs.map((j) => ({
        name: JOB_COUNTY,
        data: j.data,
        opts: {
          jobId: j.jobId,
          parent: { id: parent.id!, queue: parent.queueQualifiedName },
          attempts: JOB_ATTEMPTS,
          backoff: { type: "exponential", delay: BACKOFF_DELAY_MS },
          failParentOnFailure: true,
        },
      })),
    );
  };
  const assembly = new Worker(ASSEMBLY_QUEUE, assemblyProcessor(cache, logger, addCounties), {
    ...common,
    connection: connectionOptions(config, { name: "worker-assembly" }),
    concurrency: 1,
  });
  for (const w of [windows, assembly]) {
    w.on("error", (err) => logger.error({ queue: w.name, err: err.message }, "worker error"));
    w.on("failed", (job, err) =>
      logger.warn(
        { queue: w.name, jobId: job?.id, attemptsMade: job?.attemptsMade, err: err.message },
        "job failed",
      ),
    );
    w.on("stalled", (jobId) => logger.warn({ queue: w.name, jobId }, "stalled job handed back"));
  }
  let closing: Promise<void> | null = null;
  return {
    ready: Promise.all([windows.waitUntilReady(), assembly.waitUntilReady()]).then(() => undefined),
    close: async (force = false) => {
      if (force) {
        await Promise.all([windows.close(true), assembly.close(true)]);
        await countyQueue.close();
        await cache.close();
        return;
      }
      closing ??= (async () => {
        await Promise.all([windows.close(), assembly.close()]);
        await countyQueue.close();
        await cache.close();
      })();
      return closing;
    },
  };
}
