/**
 * One window's job: detect (classify + change rules, writing the rasters), vectorise, and write
 * the window's patch list `windows/<id>/patches.json`. The same function runs in-process and in
 * a queue worker; a retry simply overwrites the window's files.
 */
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../core/atomic-write.js";
import { insideOutput } from "../config/manifest.js";
import type { RunInputs, WindowPlan } from "../detect/run-inputs.js";
import { windowTileChecksums } from "../detect/input-checksums.js";
import { detectWindow, windowDir, type StageContext } from "../detect/window-stage.js";
import { patchesOfWindow, type WindowPatches } from "../vector/window-patches.js";
import { patchLonLat } from "./issues.js";
import { unreportedMismatch } from "./patch-area-bound.js";

/** What a window job writes: its patches and the checksums of the tiles it is responsible for. */
export interface WindowJobOutput extends WindowPatches {
  /** SHA-256 by manifest source of the tiles starting in this window (see input-checksums.ts). */
  readonly checksums: Readonly<Record<string, string>>;
}

export function patchesFile(run: Pick<RunInputs, "outDir">, windowId: string): string {
  return insideOutput(windowDir(run, windowId), "patches.json");
}

/**
 * Runs detection and vectorising for one window and hashes the tiles it is responsible for;
 * returns its patch list (also written to disk).
 */
export async function processWindow(
  run: RunInputs,
  plan: WindowPlan,
  ctx: StageContext,
): Promise<WindowJobOutput> {
  const rasters = await detectWindow(run, plan, ctx);
  // Baseline mismatches too small to report are left out here, in parallel, rather than carried
  // through patches.json to the join (as many as 2,000 a window, mostly a few pixels each).
  const found = patchesOfWindow(rasters, run.config.connectivity, run.config.patchTyping, {
    dropInterior: unreportedMismatch(run.after.affine, run.after.crs, run.config.baselineMismatch),
  });
  // A patch that reaches no window edge is final: its lon/lat geometry and ellipsoidal area (the
  // join's largest cost, ~0.4 ms a patch) are computed here, in parallel, rather than in the join.
  const { crs, affine } = run.after;
  const output: WindowJobOutput = {
    ...found,
    patches: found.patches.map((p) =>
      p.atWindowEdge || p.kind === "unobserved"
        ? p
        : { ...p, lonLat: patchLonLat(p, crs, affine, run.config.simplifyToleranceM) },
    ),
    checksums: await windowTileChecksums(run, plan),
  };
  await writeFileAtomic(patchesFile(run, plan.id), JSON.stringify(output));
  return output;
}

/** Reads a window's patch list written by {@link processWindow}; null when it is not there. */
export async function readWindowPatches(
  run: Pick<RunInputs, "outDir">,
  windowId: string,
): Promise<WindowJobOutput | null> {
  try {
    return JSON.parse(await readFile(patchesFile(run, windowId), "utf8")) as WindowJobOutput;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}
