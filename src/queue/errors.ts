/**
 * Errors of the queue layer, and how stage errors cross into BullMQ: a permanent
 * {@link PatrolError} becomes an `UnrecoverableError` (no retry), a transient one a plain Error
 * (retried with backoff); both carry `<ErrorName>: <message>` as the failed reason, which
 * {@link parseFailedReason} splits again for the run summary.
 */
import { UnrecoverableError } from "bullmq";
import { PatrolError } from "../core/errors.js";

/** A queued run that cannot finish: its assembly failed, or it vanished from Redis. */
export class QueuedRunError extends PatrolError {
  readonly permanent = true;
  constructor(
    readonly runId: string,
    readonly problem: string,
  ) {
    super(`run ${runId}: ${problem}`);
  }
}

/** The error a processor throws to BullMQ for a stage error. */
export function toJobError(e: unknown): unknown {
  if (!(e instanceof PatrolError)) return e;
  const reason = `${e.name}: ${e.message}`;
  if (e.permanent) return new UnrecoverableError(reason);
  return new Error(reason, { cause: e });
}

/** Splits a failed reason written by {@link toJobError} into error name and message. */
export function parseFailedReason(reason: string): { errorName: string; reason: string } {
  const m = /^([A-Z][A-Za-z0-9]*Error): ([\s\S]*)$/.exec(reason);
  return m ? { errorName: m[1]!, reason: m[2]! } : { errorName: "Error", reason };
}
