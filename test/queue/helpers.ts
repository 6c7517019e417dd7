/**
 * Helpers for the queue tests against the real Redis: a unique key prefix per test, worker
 * processes spawned as `patrol worker` children, and the output files compared between runs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { RunQueues, type QueueConfig } from "../../src/queue/index.js";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

let counter = 0;
/** A key prefix no other test (or test process) uses. */
export function uniqueConfig(name: string): QueueConfig {
  counter++;
  return { redisUrl: REDIS_URL, prefix: `test-${name}-${process.pid}-${Date.now().toString(36)}-${counter}` };
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Every log line so far (JSON objects from pino). */
  readonly lines: Array<Record<string, unknown>>;
  waitFor(
    pred: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

/**
 * Starts `patrol worker --concurrency 1 --no-warm-up` on the given deployment; resolves once it
 * takes jobs. (These tests are about job semantics; the warm-up only moves time around.)
 */
export async function spawnWorker(
  config: QueueConfig,
  env: Record<string, string> = {},
): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli/main.ts",
      "worker",
      "--concurrency",
      "1",
      "--backend",
      "wasm",
      "--no-warm-up",
    ],
    {
      cwd: REPO,
      env: {
        ...process.env,
        REDIS_URL: config.redisUrl,
        PATROL_QUEUE_PREFIX: config.prefix,
        PATROL_LOG_LEVEL: "info",
        ...env,
      },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let buf = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const text = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        lines.push({ msg: text });
      }
      waiters.splice(0).forEach((w) => w());
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const waitFor = (
    pred: (line: Record<string, unknown>) => boolean,
    timeoutMs = 60_000,
  ): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker log: timed out; last lines ${JSON.stringify(lines.slice(-5))}`)),
        timeoutMs,
      );
      const check = (): void => {
        const hit = lines.find(pred);
        if (hit) {
          clearTimeout(timer);
          resolve(hit);
        } else if (child.exitCode !== null) {
          clearTimeout(timer);
          reject(new Error(`worker exited (${child.exitCode}): ${JSON.stringify(lines.slice(-5))}`));
        } else waiters.push(check);
      };
      check();
    });
  const w = { child, lines, waitFor, exited };
  await waitFor((l) => l.msg === "worker taking jobs");
  return w;
}

/** SIGTERM (graceful) and wait; SIGKILL if it does not stop within `ms`. */
export async function stopWorker(w: WorkerProcess, ms = 15_000): Promise<void> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return;
  w.child.kill("SIGTERM");
  const timer = setTimeout(() => w.child.kill("SIGKILL"), ms);
  await w.exited;
  clearTimeout(timer);
}

/** Removes every key of the test's deployment. */
export async function obliterate(config: QueueConfig): Promise<void> {
  const q = new RunQueues(config);
  try {
    await q.obliterate();
  } finally {
    await q.close();
  }
}

function walk(root: string, rel: string, out: Map<string, Buffer>, keep: (rel: string) => boolean): void {
  const dir = path.join(root, rel);
  for (const name of readdirSync(dir).sort()) {
    const r = path.join(rel, name);
    if (statSync(path.join(root, r)).isDirectory()) walk(root, r, out, keep);
    else if (keep(r)) out.set(r, readFileSync(path.join(root, r)));
  }
}

/**
 * The files whose bytes must not depend on how a run was executed: the issue lists
 * (GeoJSON and CSV), the baseline-mismatch layer, every window's patch list and the review pages.
 */
export function comparableOutputs(outDir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!existsSync(outDir)) return out;
  walk(outDir, "", out, (r) =>
    /^issues\/|^windows\/[^/]+\/patches\.json$|^baseline-mismatch|^review\//.test(r),
  );
  return out;
}

/** Total patches over the windows' patch lists (to show a comparison is not vacuous). */
export function patchCount(files: Map<string, Buffer>): number {
  let n = 0;
  for (const [name, bytes] of files)
    if (name.endsWith("patches.json"))
      n += (JSON.parse(bytes.toString("utf8")) as { patches: unknown[] }).patches.length;
  return n;
}
