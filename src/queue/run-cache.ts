/**
 * Opened runs cached per worker process, so a worker that takes many windows of one run loads
 * the model, the layers and the tile headers once. Keyed by manifest path, run id, output and
 * model folder and the manifest's mtime (an edited manifest is opened afresh). Runs not in use
 * beyond the newest `capacity` are closed.
 */
import { stat } from "node:fs/promises";
import { ConfigError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { closeRun, openRun, type RunInputs } from "../detect/run-inputs.js";

export interface RunRef {
  readonly runId: string;
  readonly manifestFile: string;
  readonly outDir?: string;
  readonly modelDir?: string;
}

interface Entry {
  readonly key: string;
  readonly run: Promise<RunInputs>;
  users: number;
  lastUsed: number;
}

export class RunCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly logger: Logger,
    private readonly capacity = 2,
  ) {}

  /** Runs `fn` with the opened run; the run stays open (cached) afterwards. */
  async use<T>(ref: RunRef, fn: (run: RunInputs) => Promise<T>): Promise<T> {
    const entry = await this.acquire(ref);
    try {
      return await fn(await entry.run);
    } finally {
      entry.users--;
      entry.lastUsed = Date.now();
      await this.evict();
    }
  }

  private async acquire(ref: RunRef): Promise<Entry> {
    let mtime: number;
    try {
      mtime = (await stat(ref.manifestFile)).mtimeMs;
    } catch (cause) {
      throw new ConfigError(ref.manifestFile, "manifest not readable on this worker", { cause });
    }
    const key = [ref.manifestFile, ref.runId, ref.outDir ?? "", ref.modelDir ?? "", mtime].join("\0");
    let entry = this.entries.get(key);
    if (!entry) {
      const log = this.logger.child({ runId: ref.runId });
      const run = (async () => {
        const t0 = Date.now();
        const opened = await openRun(ref.manifestFile, {
          logger: log,
          ...(ref.outDir ? { outDir: ref.outDir } : {}),
          ...(ref.modelDir ? { modelDir: ref.modelDir } : {}),
        });
        if (opened.manifest.runId !== ref.runId) {
          await closeRun(opened);
          throw new ConfigError(
            ref.manifestFile,
            `the manifest's run id is ${opened.manifest.runId}, the job's is ${ref.runId}`,
          );
        }
        log.info({ ms: Date.now() - t0, windows: opened.windows.length }, "run opened");
        return opened;
      })();
      entry = { key, run, users: 0, lastUsed: Date.now() };
      this.entries.set(key, entry);
      // A failed open is not cached: the next job tries again.
      run.catch(() => this.entries.delete(key));
    }
    entry.users++;
    return entry;
  }

  private async evict(): Promise<void> {
    const idle = [...this.entries.values()].filter((e) => e.users === 0);
    if (this.entries.size <= this.capacity || idle.length === 0) return;
    idle.sort((a, b) => a.lastUsed - b.lastUsed);
    for (const e of idle.slice(0, this.entries.size - this.capacity)) {
      this.entries.delete(e.key);
      await closeRun(await e.run).catch(() => undefined);
    }
  }

  /** Closes every cached run (worker shutdown). */
  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map(async (e) => closeRun(await e.run).catch(() => undefined)));
  }
}
