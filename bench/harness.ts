/**
 * Shared helpers for stage benchmarks (bench/*.bench.ts): repeated timing with median and
 * spread, peak RSS, timing external commands, and the types the runner (bench/run.ts) expects.
 *
 * A bench file exports `benchmarks: BenchModule`. The runner runs `prepare` and then every
 * stage each in its own child process, so a stage's peak RSS is its own and not the maximum
 * of everything run before it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export interface BenchContext {
  /** A temp folder shared by all stages of this run (removed by the runner at the end). */
  readonly tmpDir: string;
  /** Fewer repeats, for a smoke run (`npm run bench -- --quick`). */
  readonly quick: boolean;
  /** Progress lines go to stderr; results go through the returned {@link StageResult}. */
  log(line: string): void;
}

/** Summary statistics of repeated measurements. */
export interface Spread {
  readonly n: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** First and third quartiles (linear interpolation). */
  readonly q1: number;
  readonly q3: number;
}

/** One measured figure of a stage, e.g. decode throughput in Mpx/s. */
export interface Metric {
  readonly name: string;
  readonly unit: string;
  readonly spread: Spread;
  /** True when larger is better (throughput), false for times and memory. */
  readonly higherIsBetter: boolean;
}

export interface StageResult {
  readonly metrics: readonly Metric[];
  /** Peak resident set size of the process that ran the stage, in MB (filled in by the runner). */
  peakRssMb?: number;
  /** Free-form lines (sizes, checks, pass/fail of a budget). */
  readonly notes?: readonly string[];
}

export interface BenchStage {
  /** "<file>/<stage>", e.g. "decode/ours-native". */
  readonly name: string;
  readonly description: string;
  run(ctx: BenchContext): Promise<StageResult>;
}

export interface BenchModule {
  /** Creates inputs (idempotently) in ctx.tmpDir before any stage runs. */
  readonly prepare?: (ctx: BenchContext) => Promise<void>;
  readonly stages: readonly BenchStage[];
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function spreadOf(values: readonly number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  return {
    n: s.length,
    median: quantile(s, 0.5),
    min: s[0] ?? Number.NaN,
    max: s[s.length - 1] ?? Number.NaN,
    q1: quantile(s, 0.25),
    q3: quantile(s, 0.75),
  };
}

/**
 * Runs `fn` `warmup` times untimed and then `repeats` times timed; returns wall times in ms.
 */
export async function timeRepeated(
  fn: () => Promise<unknown> | unknown,
  options: { repeats: number; warmup?: number },
): Promise<number[]> {
  for (let i = 0; i < (options.warmup ?? 1); i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < options.repeats; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

/** A throughput metric (work / time) from wall times in ms, e.g. Mpx per second. */
export function throughput(name: string, unit: string, work: number, timesMs: readonly number[]): Metric {
  return { name, unit, spread: spreadOf(timesMs.map((t) => work / (t / 1000))), higherIsBetter: true };
}

/** Peak RSS of this process so far, in MB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

const GNU_TIME = "/usr/bin/time";

/**
 * Runs a command to completion; returns its wall time in ms and, when GNU time is installed,
 * its peak RSS in MB. Throws when the command fails.
 */
export function timeCommand(
  cmd: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): { ms: number; peakRssMb: number | null } {
  const withTime = existsSync(GNU_TIME);
  const t0 = performance.now();
  const r = withTime
    ? spawnSync(GNU_TIME, ["-f", "%M", cmd, ...args], { env: { ...process.env, ...env }, encoding: "utf8" })
    : spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: "utf8" });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new RangeError(`${cmd} failed (${r.status}): ${r.stderr}`);
  const kb = withTime ? Number(/(\d+)\s*$/.exec(r.stderr.trim())?.[1]) : Number.NaN;
  return { ms, peakRssMb: Number.isFinite(kb) ? kb / 1024 : null };
}

/** True when `cmd` is on PATH. */
export function haveCommand(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return "n/a";
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** "median 41.2 (IQR 40.1–42.0, min–max 39.8–42.5, n=5)" */
export function formatSpread(s: Spread): string {
  return `median ${fmt(s.median)} (IQR ${fmt(s.q1)}–${fmt(s.q3)}, min–max ${fmt(s.min)}–${fmt(s.max)}, n=${s.n})`;
}
