/**
 * The BullMQ processors: thin wrappers that parse job data, call a stage function, and record
 * the result. A window job runs {@link processWindow}; the assembly job (parent of the run's
 * window jobs) runs {@link joinStage}, then waits for one county job per county with issues
 * ({@link countyStage}), then runs {@link summaryStage}.
 */
import path from "node:path";
import { WaitingChildrenError, type Job } from "bullmq";
import { ConfigError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { countyStage, joinStage, summaryStage, type FailedWindow } from "../report/assemble.js";
import { processWindow } from "../report/window-job.js";
import { parseFailedReason, toJobError } from "./errors.js";
import {
  JOB_COUNTY,
  countyJobId,
  jobIdOfKey,
  windowJobId,
  type CountyJobData,
  type CountyJobResult,
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

/** Processor of the assembly queue: assembly jobs and (by job name) county jobs. */
export type AssemblyProcessor = (
  job: Job<AssemblyJobData | CountyJobData, AssemblyJobResult | CountyJobResult>,
  token?: string,
  signal?: AbortSignal,
) => Promise<AssemblyJobResult | CountyJobResult>;

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

/** Adds the county jobs of a run as children of its assembly job (the worker's assembly queue). */
export type AddCountyJobs = (
  parent: Job<AssemblyJobData, AssemblyJobResult>,
  jobs: ReadonlyArray<{ jobId: string; data: CountyJobData }>,
) => Promise<void>;

/**
 * The processor of the assembly queue: county jobs (by job name) and the run's assembly job, a
 * step job. Step "join" (after the window jobs): collect the windows' failures, run the join
 * stage, add one county job per county with issues, and wait for them (`moveToWaitingChildren`).
 * Step "counties" (once they are done): run the summary stage.
 */
export function assemblyProcessor(
  cache: RunCache,
  logger: Logger,
  addCounties: AddCountyJobs,
): AssemblyProcessor {
  return async (anyJob, token) => {
    if (anyJob.name === JOB_COUNTY) return countyJob(cache, logger, anyJob as Job<CountyJobData>);
    const job = anyJob as Job<AssemblyJobData, AssemblyJobResult>;
    const d = job.data;
    const log = logger.child({ runId: d.runId, jobId: job.id });
    const tStart = Date.now();
    try {
      return await cache.use(d, async (run) => {
        if ((d.step ?? "join") === "join") {
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
          const joined = await joinStage(run, failed, {
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
          const base = {
            runId: d.runId,
            manifestFile: d.manifestFile,
            outDir: d.outDir,
            ...(d.modelDir ? { modelDir: d.modelDir } : {}),
          };
          await addCounties(
            job,
            joined.counties.map((adcode) => ({
              jobId: countyJobId(d.runId, adcode),
              data: { ...base, adcode },
            })),
          );
          await job.updateData({ ...d, step: "counties" });
          log.info({ counties: joined.counties.length }, "county jobs added");
        }
        if (token !== undefined && (await job.moveToWaitingChildren(token))) throw new WaitingChildrenError();
        const counties = Object.entries(await job.getChildrenValues<CountyJobResult | null>())
          .filter(([key]) => jobIdOfKey(key).startsWith(countyJobId(d.runId, "")))
          .map(([, v]) => v)
          .filter((v): v is CountyJobResult => v !== null)
          .sort((a, b) => (a.adcode < b.adcode ? -1 : a.adcode > b.adcode ? 1 : 0));
        const summary = await summaryStage(run, counties, { logger: log });
        return {
          status: summary.status,
          issues: summary.totals.issues,
          failedWindows: summary.failedWindows.length,
          summaryFile: path.join(run.outDir, "summary.json"),
        };
      });
    } catch (e) {
      if (e instanceof WaitingChildrenError) throw e;
      log.warn({ err: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }, "assembly failed");
      throw toJobError(e);
    }
  };
}

async function countyJob(cache: RunCache, logger: Logger, job: Job<CountyJobData>): Promise<CountyJobResult> {
  const d = job.data;
  const log = logger.child({ runId: d.runId, jobId: job.id, adcode: d.adcode });
  try {
    return await cache.use(d, (run) => countyStage(run, d.adcode, { logger: log }));
  } catch (e) {
    log.warn({ err: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }, "county failed");
    throw toJobError(e);
  }
}
