/**
 * `patrol worker [--concurrency N]`: a long-running queue worker. Classification is CPU-bound
 * and synchronous in tfjs, so concurrency means processes: N > 1 forks N worker processes
 * (node:cluster) that each take one window at a time; the primary restarts a child that dies.
 * SIGTERM/SIGINT: stop taking jobs and finish the ones in hand (BullMQ `worker.close()`); a
 * second signal abandons them, and their lapsed locks hand them to another worker.
 */
import cluster from "node:cluster";
import { availableParallelism, hostname } from "node:os";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import path from "node:path";
import { useBackend } from "../../classify/backend.js";
import { DEFAULT_MODEL_DIR } from "../../classify/default-model.js";
import { warmUpClassifier } from "../../classify/warm-up.js";
import { DEFAULT_WINDOW_SIZE } from "../../config/manifest.js";
import { ConfigError } from "../../core/errors.js";
import { createLogger } from "../../core/logger.js";
import { queueConfigFromEnv, redactRedisUrl, startWorker, timingFromEnv } from "../../queue/index.js";

interface WorkerCliOptions {
  concurrency: number;
  backend?: string;
  warmUp: boolean;
  warmUpModel?: string;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

/**
 * V8 flags of the worker processes a supervisor forks (N > 1). A lone process gets V8's helper
 * threads (concurrent and parallel GC marking, background TurboFan and Sparkplug compiles) almost
 * free on an idle core; with one worker per core they compete with the other workers' main
 * threads instead, and cost more CPU in all than doing the same work on the main thread. On the
 * 3072² demo, two processes side by side (6 runs each, on a machine shared with other work): CPU
 * per window median 1.27 s with these flags against 1.51 s without, helper threads 0.10 s against
 * 0.44 s. A single process ran about 6% slower with them, so `--concurrency 1` and `patrol detect`
 * keep V8's defaults. They exist only on the
 * command line (v8.setFlagsFromString cannot switch GC modes in a running isolate).
 *
 * `--initial-old-space-size=512` lets the JS heap grow to 512 MB before V8 sizes it to what is
 * live: a window promotes 10–16 MB and its typed arrays add ~100 MB of external memory, and with
 * V8's tight limits on a ~62 MB live heap each window triggered 3.2 full mark-compacts (~40 ms
 * each, on the main thread under --single-threaded-gc); with it, 1.1 (windows 5–14 of the 3072²
 * demo). It costs up to ~450 MB more resident memory per worker process.
 */
export const WORKER_CHILD_V8_FLAGS: readonly string[] = [
  "--single-threaded-gc",
  "--no-concurrent-recompilation",
  "--no-concurrent-sparkplug",
  "--initial-old-space-size=512",
];

/** The exec arguments of a forked worker process: the supervisor's plus {@link WORKER_CHILD_V8_FLAGS}. */
export function workerChildExecArgv(supervisorExecArgv: readonly string[]): string[] {
  return [...supervisorExecArgv, ...WORKER_CHILD_V8_FLAGS.filter((f) => !supervisorExecArgv.includes(f))];
}

async function runSupervisor(count: number): Promise<void> {
  const logger = createLogger().child({ role: "supervisor", pid: process.pid });
  let stopping = false;
  cluster.setupPrimary({ execArgv: workerChildExecArgv(process.execArgv) });
  const fork = (): void => {
    cluster.fork({ PATROL_WORKER_CHILD: "1" });
  };
  for (let i = 0; i < count; i++) fork();
  cluster.on("exit", (w, code, signal) => {
    if (stopping) return;
    logger.warn({ child: w.process.pid, code, signal }, "worker process died; starting another");
    setTimeout(fork, 1000);
  });
  logger.info({ processes: count }, "worker processes started");
  await new Promise<void>((resolve) => {
    const stop = (sig: NodeJS.Signals): void => {
      const children = Object.values(cluster.workers ?? {});
      if (!stopping) logger.info({ signal: sig }, "stopping worker processes");
      stopping = true;
      for (const w of children) w?.process.kill("SIGTERM");
      if (children.length === 0) resolve();
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    cluster.on("exit", () => {
      if (stopping && Object.keys(cluster.workers ?? {}).length === 0) resolve();
    });
  });
}

async function runWorkerProcess(o: WorkerCliOptions): Promise<void> {
  const config = queueConfigFromEnv();
  if (!config) throw new ConfigError("REDIS_URL", "a worker needs REDIS_URL (redis://host:6379)");
  const name = `${hostname()}:${process.pid}`;
  const logger = createLogger().child({ worker: name });
  const backend = await useBackend(o.backend);
  if (o.warmUp) {
    // Before taking jobs: the first classification of a process is 2–3× slower than later ones.
    const model = o.warmUpModel ?? DEFAULT_MODEL_DIR;
    const ms = await warmUpClassifier(model, DEFAULT_WINDOW_SIZE);
    logger.info({ model: path.basename(model), ms: Math.round(ms) }, "worker warmed up");
  }
  const worker = startWorker(config, { logger, concurrency: 1, name, ...timingFromEnv() });
  await worker.ready;
  logger.info(
    { redis: redactRedisUrl(config.redisUrl), prefix: config.prefix, backend },
    "worker taking jobs",
  );
  await new Promise<void>((resolve) => {
    let firstSignalAt = 0;
    const onSignal = (sig: NodeJS.Signals): void => {
      const now = Date.now();
      if (firstSignalAt === 0) {
        firstSignalAt = now;
        logger.info({ signal: sig }, "finishing the job in hand, then stopping");
        void worker.close().then(resolve, resolve);
      } else if (now - firstSignalAt > 500) {
        // A second signal (not the echo of a terminal's Ctrl-C to the whole group): hand back.
        logger.warn({ signal: sig }, "stopping now; the job in hand goes back to the queue");
        void worker.close(true).then(resolve, resolve);
      }
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  logger.info("worker stopped");
  // A cluster child stays alive while its IPC channel to the primary is open.
  if (cluster.isWorker) cluster.worker?.disconnect();
}

export function registerWorkerCommand(program: Command): void {
  program
    .command("worker")
    .description(
      "take window and assembly jobs from the queue (REDIS_URL, PATROL_QUEUE_PREFIX) until SIGTERM/SIGINT",
    )
    .option(
      "--concurrency <n>",
      "windows processed at once on this machine, each in its own process (default: one per core)",
      positiveInt,
      availableParallelism(),
    )
    .option("--backend <name>", "tfjs backend: wasm (default), cpu or node; or set PATROL_TF_BACKEND")
    .option(
      "--warm-up-model <dir>",
      "model to warm up with before taking jobs (default: the shipped default model)",
    )
    .option("--no-warm-up", "take jobs at once, without classifying a synthetic window first")
    .action(async (o: WorkerCliOptions) => {
      if (cluster.isPrimary && o.concurrency > 1 && !process.env.PATROL_WORKER_CHILD) {
        if (!queueConfigFromEnv())
          throw new ConfigError("REDIS_URL", "a worker needs REDIS_URL (redis://host:6379)");
        await runSupervisor(o.concurrency);
      } else await runWorkerProcess(o);
    });
}
