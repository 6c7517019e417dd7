/**
 * The V8 flags `patrol worker --concurrency N` (N > 1) gives its forked processes: appended to the
 * supervisor's own exec arguments without repeats, and accepted by this Node (an unknown flag
 * would make every forked worker exit at start).
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { WORKER_CHILD_V8_FLAGS, workerChildExecArgv } from "../../src/cli/commands/worker.js";

describe("worker child V8 flags", () => {
  it("appends the flags to the supervisor's exec arguments, once", () => {
    expect(workerChildExecArgv(["--import", "tsx"])).toEqual(["--import", "tsx", ...WORKER_CHILD_V8_FLAGS]);
    expect(workerChildExecArgv(["--single-threaded-gc"])).toEqual([
      "--single-threaded-gc",
      ...WORKER_CHILD_V8_FLAGS.filter((f) => f !== "--single-threaded-gc"),
    ]);
  });

  it("are flags this Node accepts", () => {
    const out = execFileSync(
      process.execPath,
      [...WORKER_CHILD_V8_FLAGS, "-e", "process.stdout.write(JSON.stringify(process.execArgv))"],
      { encoding: "utf8" },
    );
    // execArgv also holds -e and its script after the flags.
    expect((JSON.parse(out) as string[]).slice(0, WORKER_CHILD_V8_FLAGS.length)).toEqual([
      ...WORKER_CHILD_V8_FLAGS,
    ]);
    expect(() =>
      execFileSync(process.execPath, ["--no-such-v8-flag-for-patrol", "-e", "0"], { stdio: "ignore" }),
    ).toThrow();
  });
});
