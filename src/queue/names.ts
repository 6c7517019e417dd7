/**
 * Queue names and job ids. Ids are deterministic (`<runId>--<windowId>`, `<runId>--assemble`,
 * `<runId>--county-<adcode>`)
 * so re-submitting a run finds its finished jobs instead of redoing them; BullMQ reserves `:`,
 * and run and window ids cannot contain it (the manifest's SAFE_ID).
 */

import type { CountyResult } from "../report/assemble.js";

/** Queue of window jobs (detect + vectorise one window). */
export const WINDOW_QUEUE = "windows";
/**
 * Queue of run assembly jobs, each the parent of its run's window jobs and, once they are done,
 * of its run's county jobs (added by the assembly job itself), which run on this queue too.
 */
export const ASSEMBLY_QUEUE = "assembly";

export const JOB_WINDOW = "window";
export const JOB_ASSEMBLE = "assemble";
export const JOB_COUNTY = "county";

export function windowJobId(runId: string, windowId: string): string {
  return `${runId}--${windowId}`;
}

export function assemblyJobId(runId: string): string {
  return `${runId}--assemble`;
}

export function countyJobId(runId: string, adcode: string): string {
  return `${runId}--county-${adcode}`;
}

/** The job id at the end of a BullMQ job key (`<prefix>:<queue>:<id>`). */
export function jobIdOfKey(jobKey: string): string {
  return jobKey.slice(jobKey.lastIndexOf(":") + 1);
}

/** Data of a window job: everything a worker needs to open the run and find the window. */
export interface WindowJobData {
  readonly runId: string;
  /** Absolute path of the manifest, the same on every worker (shared storage). */
  readonly manifestFile: string;
  readonly windowId: string;
  /** Absolute output folder (resolved by the submitter). */
  readonly outDir: string;
  readonly modelDir?: string;
}

/** What a window job returns (kept small: it is stored in Redis). */
export interface WindowJobResult {
  readonly windowId: string;
  readonly patches: number;
  readonly ms: number;
}

export interface AssemblyJobData {
  readonly runId: string;
  readonly manifestFile: string;
  readonly outDir: string;
  readonly modelDir?: string;
  readonly windowIds: readonly string[];
  /** Epoch ms when the run was submitted, for the summary's timings. */
  readonly submittedAt: number;
  /**
   * Where the assembly job stands (BullMQ's step-job pattern): absent or "join" until the join
   * stage has run and the county jobs are added; "counties" after, until the summary is written.
   */
  readonly step?: AssemblyStep;
}

export type AssemblyStep = "join" | "counties";

/** Data of a county job: draw one county's chips and write its issue list. */
export interface CountyJobData {
  readonly runId: string;
  readonly manifestFile: string;
  readonly outDir: string;
  readonly modelDir?: string;
  readonly adcode: string;
}

/** What a county job returns: its county stage's result (timings and review page go into the summary). */
export type CountyJobResult = CountyResult;

export interface AssemblyJobResult {
  readonly status: "complete" | "partial";
  readonly issues: number;
  readonly failedWindows: number;
  readonly summaryFile: string;
}
