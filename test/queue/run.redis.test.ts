/**
 * Queued runs against the real Redis (REDIS_URL, default redis://127.0.0.1:6379): the demo scene
 * gives byte-identical issue lists and window patch lists inline, on one worker process and on
 * two; a re-submitted run redoes nothing; a worker killed with SIGKILL mid-window is recovered
 * (stalled job handed on) with the same output; a corrupt tile fails its windows, with the
 * reason in the summary, and every other window is processed. Each test has its own key
 * prefix, obliterated afterwards.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Job } from "bullmq";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/classify/backend.js";
import { silentLogger } from "../../src/core/logger.js";
import { writeDemoScene } from "../../src/demo/write-scene.js";
import type { RunSummary } from "../../src/report/assemble.js";
import { runDetect } from "../../src/report/run-detect.js";
import {
  RunQueues,
  followRun,
  submitRun,
  windowJobId,
  type QueueConfig,
  type RunProgress,
} from "../../src/queue/index.js";
import {
  comparableOutputs,
  obliterate,
  patchCount,
  spawnWorker,
  stopWorker,
  uniqueConfig,
  type WorkerProcess,
} from "./helpers.js";

const logger = silentLogger();

/** The Redis restart test restarts the local server the way CI starts it (no persistence). */
const RESTART_REDIS = [
  "redis-server",
  "--daemonize",
  "yes",
  "--bind",
  "127.0.0.1",
  "-::1",
  "--port",
  "6379",
  "--save",
  "",
  "--appendonly",
  "no",
  "--dir",
  "/var/lib/redis",
  "--logfile",
  "/var/log/redis/ci.log",
];

function canRestartRedis(): boolean {
  if (process.env.PATROL_TEST_NO_REDIS_RESTART) return false;
  if (
    !/^redis:\/\/(127\.0\.0\.1|localhost)(:6379)?\/?$/.test(process.env.REDIS_URL ?? "redis://127.0.0.1:6379")
  )
    return false;
  try {
    execFileSync("sh", ["-c", "command -v redis-server && command -v redis-cli"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function restartRedis(): void {
  execFileSync("redis-cli", ["shutdown", "nosave"], { stdio: "ignore" });
  execFileSync(RESTART_REDIS[0]!, RESTART_REDIS.slice(1), { stdio: "ignore" });
  for (let i = 0; i < 50; i++) {
    try {
      if (execFileSync("redis-cli", ["ping"], { encoding: "utf8" }).trim() === "PONG") return;
    } catch {
      // not up yet
    }
    execFileSync("sleep", ["0.1"]);
  }
  throw new Error("redis-server did not come back");
}
/** Short locks so a killed worker's job is handed on within seconds. */
const FAST_STALL = { PATROL_LOCK_DURATION_MS: "4000", PATROL_STALLED_INTERVAL_MS: "1500" };

let root: string;
let manifest: string;
let inlineOut: string;
let inlineFiles: Map<string, Buffer>;
const workers: WorkerProcess[] = [];
const configs: QueueConfig[] = [];

async function queuedRun(
  config: QueueConfig,
  manifestFile: string,
  outDir: string,
  onProgress?: (p: RunProgress) => void,
): Promise<RunSummary> {
  const queues = new RunQueues(config);
  try {
    const submitted = await submitRun(queues, manifestFile, { logger, outDir });
    expect(submitted.added).toBe(true);
    const result = await followRun(queues, submitted.runId, {
      pollMs: 200,
      ...(onProgress ? { onProgress } : {}),
    });
    return JSON.parse(readFileSync(result.summaryFile, "utf8")) as RunSummary;
  } finally {
    await queues.close();
  }
}

function deployment(name: string): QueueConfig {
  const c = uniqueConfig(name);
  configs.push(c);
  return c;
}

async function worker(config: QueueConfig, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const w = await spawnWorker(config, env);
  workers.push(w);
  return w;
}

beforeAll(async () => {
  await useBackend("wasm");
  root = mkdtempSync(path.join(tmpdir(), "queue-run-"));
  // 256 × 256 pixels in 2 × 2 tiles and 128-pixel windows: 4 window jobs, seams on both axes.
  manifest = (await writeDemoScene(path.join(root, "scene"), { size: 256, windowSize: 128, tilesPerSide: 2 }))
    .manifestPath;
  inlineOut = path.join(root, "inline");
  const summary = await runDetect(manifest, { logger, outDir: inlineOut });
  expect(summary.windows.total).toBe(4);
  inlineFiles = comparableOutputs(inlineOut);
}, 120_000);

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => stopWorker(w, 5_000)));
  await Promise.all(configs.splice(0).map(obliterate));
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("queued runs on the demo scene", () => {
  it("write the same issue lists and patch lists on one worker as inline, and a re-submit redoes nothing", async () => {
    // Not a vacuous comparison: the windows found patches (issues/ holds the per-county lists
    // that come out of them, when any patch survives the rules).
    expect(patchCount(inlineFiles)).toBeGreaterThan(0);
    expect(inlineFiles.has("baseline-mismatch.geojson")).toBe(true);
    expect(inlineFiles.has("review/index.html")).toBe(true);
    const config = deployment("one");
    await worker(config);
    const out = path.join(root, "one");
    const seen: RunProgress[] = [];
    const summary = await queuedRun(config, manifest, out, (p) => seen.push(p));
    expect(summary.status).toBe("complete");
    expect(summary.windows).toEqual({ total: 4, processed: 4, failed: 0 });
    expect(comparableOutputs(out)).toEqual(inlineFiles);
    expect(seen.at(-1)).toMatchObject({ total: 4, done: 4, failed: 0, assembly: "completed" });

    // Same run again: the flow is found in Redis, nothing is added and no window runs again.
    const queues = new RunQueues(config);
    try {
      const before = await Job.fromId(queues.windows, windowJobId(summary.runId, "r0c0"));
      const again = await submitRun(queues, manifest, { logger, outDir: out });
      expect(again.added).toBe(false);
      await followRun(queues, again.runId, { pollMs: 100 });
      const after = await Job.fromId(queues.windows, windowJobId(summary.runId, "r0c0"));
      expect(after?.finishedOn).toBe(before?.finishedOn);
      expect(after?.attemptsStarted).toBe(1);
    } finally {
      await queues.close();
    }
  });

  it("writes the same files on two worker processes, both taking windows", async () => {
    const config = deployment("two");
    const [a, b] = await Promise.all([worker(config), worker(config)]);
    const out = path.join(root, "two");
    const summary = await queuedRun(config, manifest, out);
    expect(summary.windows).toEqual({ total: 4, processed: 4, failed: 0 });
    expect(comparableOutputs(out)).toEqual(inlineFiles);
    const done = (w: WorkerProcess): number => w.lines.filter((l) => l.msg === "window done").length;
    expect(done(a!) + done(b!)).toBe(4);
    expect(done(a!)).toBeGreaterThan(0);
    expect(done(b!)).toBeGreaterThan(0);
  });

  it("recovers a window whose worker was killed with SIGKILL mid-job; output unchanged", async () => {
    const config = deployment("kill");
    const victim = await worker(config, FAST_STALL);
    const out = path.join(root, "kill");
    const queues = new RunQueues(config);
    try {
      const submitted = await submitRun(queues, manifest, { logger, outDir: out });
      // The second window: the run is open by then, so the kill lands inside detection.
      await victim.waitFor((l) => l.msg === "window started" && l.windowId === "r0c1");
      await new Promise((r) => setTimeout(r, 300));
      expect(victim.lines.some((l) => l.msg === "window done" && l.windowId === "r0c1")).toBe(false);
      victim.child.kill("SIGKILL");
      await victim.exited;
      const rescuer = await worker(config, FAST_STALL);
      const result = await followRun(queues, submitted.runId, { pollMs: 200 });
      const summary = JSON.parse(readFileSync(result.summaryFile, "utf8")) as RunSummary;
      expect(summary.windows).toEqual({ total: 4, processed: 4, failed: 0 });
      expect(rescuer.lines.some((l) => l.msg === "window done" && l.windowId === "r0c1")).toBe(true);
      const job = await Job.fromId(queues.windows, windowJobId(submitted.runId, "r0c1"));
      expect(job?.attemptsStarted).toBeGreaterThanOrEqual(2);
      expect(comparableOutputs(out)).toEqual(inlineFiles);
    } finally {
      await queues.close();
    }
  });

  it("reports a corrupt tile's windows as failed with the reason, processes every other window", async () => {
    const scene = path.join(root, "corrupt");
    const corrupt = (await writeDemoScene(scene, { size: 256, windowSize: 128, tilesPerSide: 2 }))
      .manifestPath;
    const tile = path.join(scene, "imagery", "demo-r1c1-2026-10-16.tif");
    truncateSync(tile, Math.floor(statSync(tile).size * 0.6));
    const inline = await runDetect(corrupt, { logger, outDir: path.join(scene, "inline") });

    const config = deployment("corrupt");
    await worker(config);
    const summary = await queuedRun(config, corrupt, path.join(scene, "queued"));
    // Same failures, with the same reasons, as the in-process run.
    expect(summary.failedWindows).toEqual(inline.failedWindows);
    expect(summary.failedTiles).toEqual(inline.failedTiles);
    expect(summary.status).toBe("partial");
    const failures = [
      ...summary.failedTiles.map((f) => ({ ids: [f.tileId], reason: f.reason })),
      ...summary.failedWindows.map((f) => ({ ids: f.tileIds, reason: f.reason })),
    ];
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) {
      expect(f.ids).toContain("demo-r1c1");
      expect(f.reason).toContain("demo-r1c1-2026-10-16.tif");
    }
    // Every window that does not touch the bad tile was processed.
    expect(summary.windows.processed).toBe(summary.windows.total - summary.windows.failed);
    expect(summary.windows.processed).toBeGreaterThanOrEqual(3);
    expect(comparableOutputs(path.join(scene, "queued"))).toEqual(
      comparableOutputs(path.join(scene, "inline")),
    );
    // Bad input is permanent: a failed window was tried once, not retried.
    const queues = new RunQueues(config);
    try {
      for (const f of summary.failedWindows) {
        const job = await Job.fromId(queues.windows, windowJobId(summary.runId, f.windowId));
        expect(job?.attemptsMade).toBe(1);
      }
    } finally {
      await queues.close();
    }
  });

  // Last in the file: it restarts the shared local Redis, which loses everything (no
  // persistence), so the follower re-submits the run; the worker must reconnect and finish it.
  it.skipIf(!canRestartRedis())(
    "completes a run across a Redis restart: the worker reconnects and the run is re-submitted",
    async () => {
      const config = deployment("restart");
      const w = await worker(config);
      const out = path.join(root, "restart");
      const queues = new RunQueues(config);
      try {
        const submitted = await submitRun(queues, manifest, { logger, outDir: out });
        let resubmits = 0;
        const following = followRun(queues, submitted.runId, {
          pollMs: 200,
          resubmit: async () => {
            resubmits++;
            await submitRun(queues, manifest, { logger, outDir: out });
          },
        });
        const settled = following.then(
          (r) => ({ ok: true as const, r }),
          (e: unknown) => ({ ok: false as const, e }),
        );
        await w.waitFor((l) => l.msg === "window done");
        const doneBefore = w.lines.filter((l) => l.msg === "window done").length;
        restartRedis();
        const outcome = await settled;
        if (!outcome.ok) throw outcome.e;
        expect(resubmits).toBe(1);
        expect(w.child.exitCode).toBeNull();
        expect(w.lines.filter((l) => l.msg === "window done").length).toBeGreaterThan(doneBefore);
        const summary = JSON.parse(readFileSync(outcome.r.summaryFile, "utf8")) as RunSummary;
        expect(summary.windows).toEqual({ total: 4, processed: 4, failed: 0 });
        expect(comparableOutputs(out)).toEqual(inlineFiles);
      } finally {
        await queues.close();
      }
    },
  );
});
