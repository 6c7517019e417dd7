/**
 * `patrol detect [--manifest FILE]`: one month's run in one process. Without a manifest it runs
 * the built-in demo scene (generated into --demo-dir), so a fresh clone shows the whole pipeline.
 */
import path from "node:path";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { useBackend } from "../../classify/backend.js";
import { createLogger } from "../../core/logger.js";
import { loadManifest } from "../../config/manifest.js";
import { writeDemoScene } from "../../demo/write-scene.js";
import { runDetect } from "../../report/run-detect.js";
import type { RunSummary } from "../../report/assemble.js";

interface DetectCliOptions {
  manifest?: string;
  demoDir: string;
  out?: string;
  model?: string;
  backend?: string;
  quiet?: boolean;
}

/** A short human-readable account of a run, for the terminal. */
export function formatRunSummary(s: RunSummary, outDir: string): string {
  const lines = [
    `run ${s.runId} (${s.month}): ${s.status}; ${s.totals.issues} issues (${s.totals.approved} approved), ${(s.totals.areaM2 / 10000).toFixed(2)} ha; ${s.totals.mismatches} baseline mismatches`,
  ];
  for (const [type, t] of Object.entries(s.totals.byType))
    if (t.count > 0)
      lines.push(
        `  ${type.padEnd(13)} ${String(t.count).padStart(4)}  ${t.areaM2.toFixed(0).padStart(9)} m²`,
      );
  for (const c of s.counties) {
    const share = c.observedShare === null ? "n/a" : `${(100 * c.observedShare).toFixed(1)}%`;
    lines.push(
      `  county ${c.adcode} ${c.name}: ${c.issues} issues, cropland observed ${share}${c.file ? ` → ${c.file}` : ""}`,
    );
  }
  const h = s.series;
  lines.push(
    `  series${h.previousRunId ? ` (after ${h.previousRunId})` : ""}: ${h.byStatus.new} new, ${h.byStatus.persisting} persisting, ${h.byStatus.reopened} reopened, ${h.resolved.length} resolved this month; tiers ${h.listedByTier.first}/${h.listedByTier.provisional}/${h.listedByTier.confirmed} first/provisional/confirmed; ${h.overdue.length} overdue`,
  );
  for (const f of s.failedTiles) lines.push(`  FAILED tile ${f.tileId}: ${f.reason}`);
  for (const f of s.failedWindows)
    lines.push(`  FAILED window ${f.windowId} (tiles ${f.tileIds.join(", ")}): ${f.reason}`);
  lines.push(`  outputs in ${outDir} (summary.json, issues/, chips/, windows/)`);
  return lines.join("\n") + "\n";
}

export function registerDetectCommand(program: Command): void {
  program
    .command("detect")
    .description(
      "run one month's detection in this process (no queue); without --manifest, the built-in demo scene",
    )
    .option("--manifest <file>", "run manifest (JSON or YAML)")
    .option("--demo-dir <dir>", "where the demo scene is generated when no manifest is given", "patrol-demo")
    .option("--out <dir>", "output folder (default: the manifest's `output`)")
    .option("--model <dir>", "model folder (default: the manifest's, else the shipped model)")
    .option("--backend <name>", "tfjs backend: wasm (default), cpu or node; or set PATROL_TF_BACKEND")
    .option("--quiet", "no progress bar")
    .action(async (o: DetectCliOptions) => {
      const logger = createLogger();
      await useBackend(o.backend);
      let manifest = o.manifest;
      if (!manifest) {
        process.stderr.write(`no --manifest: generating the demo scene in ${o.demoDir}\n`);
        manifest = (await writeDemoScene(o.demoDir)).manifestPath;
      }
      const bar = new cliProgress.SingleBar(
        {
          format:
            " {stage} |{bar}| {value}/{total} windows, {failed} failed, {duration_formatted} elapsed, ETA {eta_formatted}",
          stream: process.stderr,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      let started = false;
      const summary = await runDetect(manifest, {
        logger,
        ...(o.out ? { outDir: path.resolve(o.out) } : {}),
        ...(o.model ? { modelDir: path.resolve(o.model) } : {}),
        onProgress: (p) => {
          if (o.quiet || !process.stderr.isTTY) return;
          if (!started && p.stage === "windows") {
            bar.start(p.total, 0, { stage: "detecting", failed: 0 });
            started = true;
          }
          if (started)
            bar.update(p.done, { stage: p.stage === "windows" ? "detecting" : p.stage, failed: p.failed });
          if (p.stage === "done" && started) bar.stop();
        },
      });
      const { manifest: m, baseDir } = await loadManifest(manifest);
      const outDir = path.resolve(o.out ?? path.resolve(baseDir, m.output));
      process.stdout.write(formatRunSummary(summary, outDir));
      if (summary.status !== "complete") process.exitCode = 3;
    });
}
