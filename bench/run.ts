/**
 * `npm run bench [-- [--quick] [--json FILE] [--keep] [FILTER…]]`: runs the stage benchmarks
 * of every bench/*.bench.ts (each exports `benchmarks: BenchModule`, see ./harness.ts).
 * FILTER keeps stages whose name contains it. Each module's `prepare` and each stage run in a
 * child process of their own, so every stage reports its own peak RSS. Inputs live in a temp
 * folder removed at the end (--keep keeps it; PATROL_BENCH_DIR=DIR reuses and keeps DIR).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { formatSpread, peakRssMb, type BenchContext, type BenchModule, type StageResult } from "./harness.js";

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const RESULT_MARK = "@@bench-result@@";

async function loadModule(file: string): Promise<BenchModule> {
  const mod = (await import(pathToFileURL(path.join(benchDir, file)).href)) as { benchmarks?: BenchModule };
  if (!mod.benchmarks) throw new TypeError(`${file} does not export \`benchmarks\``);
  return mod.benchmarks;
}

function context(tmpDir: string, quick: boolean): BenchContext {
  return { tmpDir, quick, log: (line) => process.stderr.write(`  ${line}\n`) };
}

/** Child mode: `run.ts --child FILE STAGE|--prepare TMPDIR QUICK` prints one marked JSON line. */
async function child(argv: string[]): Promise<void> {
  const [file, stageName, tmpDir, quick] = argv as [string, string, string, string];
  const mod = await loadModule(file);
  const ctx = context(tmpDir, quick === "1");
  let result: StageResult = { metrics: [] };
  if (stageName === "--prepare") {
    await mod.prepare?.(ctx);
  } else {
    const stage = mod.stages.find((s) => s.name === stageName);
    if (!stage) throw new RangeError(`no stage ${stageName} in ${file}`);
    result = await stage.run(ctx);
  }
  result.peakRssMb = peakRssMb();
  process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`);
}

function runChild(file: string, stage: string, tmpDir: string, quick: boolean): StageResult {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), "--child", file, stage, tmpDir, quick ? "1" : "0"],
    { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  const line = r.stdout.split("\n").find((l) => l.startsWith(RESULT_MARK));
  if (r.status !== 0 || !line) throw new RangeError(`${file} ${stage} failed (exit ${r.status})`);
  return JSON.parse(line.slice(RESULT_MARK.length)) as StageResult;
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === "--child") return child(argv.slice(1));
  const quick = argv.includes("--quick");
  const keep = argv.includes("--keep");
  const jsonAt = argv.indexOf("--json");
  const jsonFile = jsonAt >= 0 ? argv[jsonAt + 1] : undefined;
  const filters = argv.filter((a, i) => !a.startsWith("--") && (jsonAt < 0 || i !== jsonAt + 1));
  const files = readdirSync(benchDir)
    .filter((f) => f.endsWith(".bench.ts"))
    .sort();
  // PATROL_BENCH_DIR reuses (and keeps) a folder of inputs between runs.
  const reuse = process.env.PATROL_BENCH_DIR;
  if (reuse) mkdirSync(reuse, { recursive: true });
  const tmpDir = reuse ?? mkdtempSync(path.join(tmpdir(), "patrol-bench-"));
  const all: Record<string, StageResult & { description: string }> = {};
  try {
    for (const file of files) {
      const mod = await loadModule(file);
      const stages = mod.stages.filter(
        (s) => filters.length === 0 || filters.some((f) => s.name.includes(f)),
      );
      if (stages.length === 0) continue;
      if (mod.prepare) {
        process.stderr.write(`${file}: preparing inputs\n`);
        try {
          runChild(file, "--prepare", tmpDir, quick);
        } catch (e) {
          process.stdout.write(`${file}  prepare FAILED: ${e instanceof Error ? e.message : String(e)}\n`);
          process.exitCode = 1;
          continue;
        }
      }
      for (const stage of stages) {
        process.stderr.write(`${stage.name}: ${stage.description}\n`);
        let result: StageResult;
        try {
          result = runChild(file, stage.name, tmpDir, quick);
        } catch (e) {
          // One broken stage does not hide the others' figures; the run still fails at the end.
          process.stdout.write(`${stage.name}  FAILED: ${e instanceof Error ? e.message : String(e)}\n`);
          process.exitCode = 1;
          continue;
        }
        all[stage.name] = { ...result, description: stage.description };
        for (const m of result.metrics) {
          process.stdout.write(`${stage.name}  ${m.name} [${m.unit}]: ${formatSpread(m.spread)}\n`);
        }
        process.stdout.write(`${stage.name}  peak RSS: ${result.peakRssMb?.toFixed(0)} MB\n`);
        for (const n of result.notes ?? []) process.stdout.write(`${stage.name}  ${n}\n`);
      }
    }
  } finally {
    if (!keep && !reuse) rmSync(tmpDir, { recursive: true, force: true });
    else process.stderr.write(`inputs kept in ${tmpDir}\n`);
  }
  if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify(all, null, 2)}\n`);
}

await main(process.argv.slice(2));
