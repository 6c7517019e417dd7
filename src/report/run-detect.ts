/**
 * `patrol detect`: one month's run in one process — open the inputs, process every window, then
 * assemble. A window that fails on bad input (a corrupt tile, say) is recorded and the run goes
 * on; anything unexpected stops the run.
 */
import type { Logger } from "../core/logger.js";
import { PatrolError } from "../core/errors.js";
import { closeRun, openRun } from "../detect/run-inputs.js";
import { assembleRun, type FailedWindow, type RunSummary } from "./assemble.js";
import { readPreviousState } from "./run-history.js";
import { processWindow } from "./window-job.js";

export interface DetectProgress {
  readonly stage: "open" | "windows" | "assemble" | "done";
  readonly done: number;
  readonly total: number;
  readonly failed: number;
}

export interface DetectOptions {
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  readonly modelDir?: string;
  readonly outDir?: string;
  readonly onProgress?: (p: DetectProgress) => void;
}

export async function runDetect(manifestFile: string, options: DetectOptions): Promise<RunSummary> {
  const t0 = Date.now();
  options.onProgress?.({ stage: "open", done: 0, total: 0, failed: 0 });
  const run = await openRun(manifestFile, options);
  await readPreviousState(run).catch(async (e: unknown) => {
    await closeRun(run);
    throw e;
  });
  const log = options.logger.child({ runId: run.manifest.runId });
  const tOpen = Date.now();
  const failed: FailedWindow[] = [];
  const total = run.windows.length;
  const windowTimes: number[] = [];
  try {
    for (const [i, plan] of run.windows.entries()) {
      options.signal?.throwIfAborted();
      const ts = Date.now();
      try {
        await processWindow(run, plan, {
          logger: log.child({ windowId: plan.id }),
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (e) {
        if (!(e instanceof PatrolError)) throw e;
        failed.push({ windowId: plan.id, tileIds: plan.tileIds, reason: e.message, errorName: e.name });
        log.warn({ windowId: plan.id, tileIds: plan.tileIds, err: e.message }, "window failed");
      }
      windowTimes.push(Date.now() - ts);
      options.onProgress?.({ stage: "windows", done: i + 1, total, failed: failed.length });
    }
    const tWindows = Date.now();
    options.onProgress?.({ stage: "assemble", done: total, total, failed: failed.length });
    windowTimes.sort((a, b) => a - b);
    const summary = await assembleRun(run, failed, {
      logger: log,
      timings: {
        openMs: tOpen - t0,
        windowsMs: tWindows - tOpen,
        windowMedianMs: windowTimes[Math.floor(windowTimes.length / 2)] ?? 0,
        pixels: run.windows.reduce(
          (s, w) => s + (w.window.x1 - w.window.x0) * (w.window.y1 - w.window.y0),
          0,
        ),
      },
    });
    summary.timings.totalMs = Date.now() - t0;
    options.onProgress?.({ stage: "done", done: total, total, failed: failed.length });
    return summary;
  } finally {
    await closeRun(run);
  }
}
