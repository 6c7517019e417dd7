/**
 * Submitting a run as a BullMQ flow, following it, and asking where it stands.
 *
 * The flow is one parent assembly job (`<runId>--assemble`) over one child job per window
 * (`<runId>--<windowId>`); once the windows are done the assembly job joins them and adds one
 * county job per county with issues (`<runId>--county-<adcode>`) as further children, and writes
 * the summary when those are done (see the assembly processor). Children retry transient errors with exponential backoff and fail
 * at once on bad input; a failed child is moved to the parent's ignored dependencies
 * (`ignoreDependencyOnFailure`), so the parent still runs and lists it in the summary.
 * Re-submitting a run whose flow is in Redis adds nothing: finished windows are not redone.
 */
import { access } from "node:fs/promises";
import path from "node:path";
import { FlowProducer, Job, Queue } from "bullmq";
import type { Logger } from "../core/logger.js";
import { closeRun, openRun } from "../detect/run-inputs.js";
import { connectionOptions, type QueueConfig } from "./connection.js";
import { QueuedRunError } from "./errors.js";
import {
  ASSEMBLY_QUEUE,
  JOB_ASSEMBLE,
  JOB_WINDOW,
  WINDOW_QUEUE,
  assemblyJobId,
  windowJobId,
  type AssemblyJobData,
  type AssemblyJobResult,
  type WindowJobData,
} from "./names.js";

/** Attempts and backoff of window and assembly jobs. */
export const JOB_ATTEMPTS = 3;
export const BACKOFF_DELAY_MS = 2000;

export interface SubmitOptions {
  readonly logger: Logger;
  readonly outDir?: string;
  readonly modelDir?: string;
}

export interface SubmittedRun {
  readonly runId: string;
  readonly outDir: string;
  readonly windows: number;
  /** False when the run's flow was already in Redis and nothing was added. */
  readonly added: boolean;
}

/** A handle on the two queues of a deployment; close it when done. */
export class RunQueues {
  readonly windows: Queue;
  readonly assembly: Queue;
  constructor(
    readonly config: QueueConfig,
    options: { failFast?: boolean } = {},
  ) {
    this.windows = new Queue(WINDOW_QUEUE, {
      prefix: config.prefix,
      connection: connectionOptions(config, { name: "queue-windows", ...options }),
    });
    this.assembly = new Queue(ASSEMBLY_QUEUE, {
      prefix: config.prefix,
      connection: connectionOptions(config, { name: "queue-assembly", ...options }),
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.windows.close(), this.assembly.close()]);
  }

  /** Removes every job and key of both queues (tests, or wiping a deployment). */
  async obliterate(): Promise<void> {
    await Promise.all([this.windows.obliterate({ force: true }), this.assembly.obliterate({ force: true })]);
  }
}

/**
 * Opens the run to plan its windows, then adds its flow unless it is already in Redis (a
 * parent that failed is retried). The manifest path is made absolute: every worker must see
 * the manifest, the inputs and the output folder at the same paths.
 */
export async function submitRun(
  queues: RunQueues,
  manifestFile: string,
  options: SubmitOptions,
): Promise<SubmittedRun> {
  const manifestAbs = path.resolve(manifestFile);
  const run = await openRun(manifestAbs, options);
  const runId = run.manifest.runId;
  const windowIds = run.windows.map((w) => w.id);
  const outDir = run.outDir;
  await closeRun(run);
  const log = options.logger.child({ runId });

  const existing = await Job.fromId<AssemblyJobData, AssemblyJobResult>(
    queues.assembly,
    assemblyJobId(runId),
  );
  if (existing) {
    const state = await existing.getState();
    if (state === "failed") {
      log.info("run was in Redis with a failed assembly; retrying the assembly");
      await existing.retry("failed");
    } else log.info({ state }, "run already in Redis; following it");
    return { runId, outDir: existing.data.outDir, windows: existing.data.windowIds.length, added: false };
  }

  const base = {
    runId,
    manifestFile: manifestAbs,
    outDir,
    ...(options.modelDir ? { modelDir: path.resolve(options.modelDir) } : {}),
  };
  const retry = { attempts: JOB_ATTEMPTS, backoff: { type: "exponential", delay: BACKOFF_DELAY_MS } };
  const parentData: AssemblyJobData = { ...base, outDir, windowIds, submittedAt: Date.now() };
  const producer = new FlowProducer({
    prefix: queues.config.prefix,
    connection: connectionOptions(queues.config, { name: "flow-producer" }),
  });
  try {
    await producer.add({
      name: JOB_ASSEMBLE,
      queueName: ASSEMBLY_QUEUE,
      data: parentData,
      opts: { jobId: assemblyJobId(runId), ...retry },
      children: windowIds.map((windowId) => ({
        name: JOB_WINDOW,
        queueName: WINDOW_QUEUE,
        data: { ...base, windowId } satisfies WindowJobData,
        opts: { jobId: windowJobId(runId, windowId), ...retry, ignoreDependencyOnFailure: true },
      })),
    });
  } finally {
    await producer.close();
  }
  log.info({ windows: windowIds.length }, "run submitted");
  return { runId, outDir, windows: windowIds.length, added: true };
}

export interface RunProgress {
  readonly total: number;
  /** Window jobs finished, failed ones included. */
  readonly done: number;
  readonly failed: number;
  /** State of the assembly job. */
  readonly assembly: string;
}

async function progressOf(job: Job<AssemblyJobData, AssemblyJobResult>): Promise<RunProgress> {
  const [state, counts] = await Promise.all([
    job.getState(),
    job.getDependenciesCount({ processed: true, ignored: true, failed: true, unprocessed: true }),
  ]);
  // Only window jobs fail into the ignored dependencies (county jobs fail their parent).
  const failed = counts.ignored ?? 0;
  const total = job.data.windowIds.length;
  // Once the assembly job has added its county jobs (step "counties"), every window is done;
  // before that, its children are window jobs only.
  const windowsDone = job.data.step === "counties" || state === "completed";
  return {
    total,
    done: windowsDone ? total : Math.min(total, (counts.processed ?? 0) + failed + (counts.failed ?? 0)),
    failed,
    assembly: state,
  };
}

export interface FollowOptions {
  readonly onProgress?: (p: RunProgress) => void;
  readonly signal?: AbortSignal;
  readonly pollMs?: number;
  /**
   * Called when the run's flow has vanished from Redis (e.g. Redis restarted without
   * persistence); it should submit the run again. Without it, a vanished run is an error.
   */
  readonly resubmit?: () => Promise<void>;
}

/** Polls the run's assembly job until it completes; returns its result. */
export async function followRun(
  queues: RunQueues,
  runId: string,
  options: FollowOptions = {},
): Promise<AssemblyJobResult> {
  const pollMs = options.pollMs ?? 500;
  let resubmits = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    const job = await Job.fromId<AssemblyJobData, AssemblyJobResult>(queues.assembly, assemblyJobId(runId));
    if (!job) {
      if (!options.resubmit || resubmits >= 3)
        throw new QueuedRunError(runId, "not in Redis (was it removed?)");
      resubmits++;
      await options.resubmit();
      continue;
    }
    const p = await progressOf(job);
    options.onProgress?.(p);
    if (p.assembly === "completed") {
      // The job may have completed between reading it and reading its state: read it again.
      if (job.returnvalue) return job.returnvalue;
      const done = await Job.fromId<AssemblyJobData, AssemblyJobResult>(
        queues.assembly,
        assemblyJobId(runId),
      );
      if (done?.returnvalue) return done.returnvalue;
      throw new QueuedRunError(runId, "assembly completed without a result");
    }
    if (p.assembly === "failed")
      throw new QueuedRunError(runId, `assembly failed: ${job.failedReason ?? "unknown reason"}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export interface RunStatus {
  readonly runId: string;
  /** Null when Redis holds nothing for the run. */
  readonly assembly: string | null;
  readonly outDir: string | null;
  /** Window jobs by BullMQ state (completed, failed, active, waiting, delayed, …). */
  readonly windows: Readonly<Record<string, number>>;
  readonly totalWindows: number;
  readonly failures: ReadonlyArray<{ windowId: string; reason: string }>;
  readonly summaryFile: string | null;
  readonly summaryExists: boolean;
}

/**
 * Where a run stands: the state of each of its jobs in Redis and whether summary.json is in the
 * output folder. `outDir` is only needed when Redis no longer holds the run.
 */
export async function runStatus(
  queues: RunQueues,
  runId: string,
  options: { outDir?: string } = {},
): Promise<RunStatus> {
  const job = await Job.fromId<AssemblyJobData, AssemblyJobResult>(queues.assembly, assemblyJobId(runId));
  const outDir = job?.data.outDir ?? (options.outDir ? path.resolve(options.outDir) : null);
  const windows: Record<string, number> = {};
  const failures: Array<{ windowId: string; reason: string }> = [];
  const windowIds = job?.data.windowIds ?? [];
  for (let i = 0; i < windowIds.length; i += 100) {
    const batch = await Promise.all(
      windowIds.slice(i, i + 100).map(async (windowId) => {
        const w = await Job.fromId(queues.windows, windowJobId(runId, windowId));
        return { windowId, w, state: w ? await w.getState() : "missing" };
      }),
    );
    for (const { windowId, w, state } of batch) {
      windows[state] = (windows[state] ?? 0) + 1;
      if (state === "failed") failures.push({ windowId, reason: w?.failedReason ?? "" });
    }
  }
  const summaryFile = outDir ? path.join(outDir, "summary.json") : null;
  const summaryExists = summaryFile
    ? await access(summaryFile).then(
        () => true,
        () => false,
      )
    : false;
  return {
    runId,
    assembly: job ? await job.getState() : null,
    outDir,
    windows,
    totalWindows: windowIds.length,
    failures,
    summaryFile,
    summaryExists,
  };
}
