import { pino, type Logger } from "pino";

export type { Logger };

/**
 * The one logger the pipeline writes through. Stages receive it in their context and
 * tag it with `child({ runId, jobId, tileId })`; nothing logs through console directly.
 * Logs go to stderr so stdout stays free for command output (`patrol info --json`).
 */
export function createLogger(options: { level?: string } = {}): Logger {
  return pino(
    { level: options.level ?? process.env.PATROL_LOG_LEVEL ?? "info", redact: ["redisUrl", "*.password"] },
    pino.destination(2),
  );
}

/** A logger that drops everything, for tests and library callers who pass none. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
