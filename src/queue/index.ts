/** The queue: BullMQ flows that wire the run stages across worker processes. */
export {
  DEFAULT_QUEUE_PREFIX,
  connectionOptions,
  queueConfigFromEnv,
  redactRedisUrl,
  type QueueConfig,
} from "./connection.js";
export { QueuedRunError, parseFailedReason, toJobError } from "./errors.js";
export {
  ASSEMBLY_QUEUE,
  WINDOW_QUEUE,
  assemblyJobId,
  countyJobId,
  windowJobId,
  type AssemblyJobData,
  type AssemblyJobResult,
  type CountyJobData,
  type CountyJobResult,
  type WindowJobData,
  type WindowJobResult,
} from "./names.js";
export { RunCache } from "./run-cache.js";
export {
  RunQueues,
  followRun,
  runStatus,
  submitRun,
  type RunProgress,
  type RunStatus,
  type SubmittedRun,
} from "./run-flow.js";
export { startWorker, timingFromEnv, type PatrolWorker, type WorkerOptions } from "./worker.js";
