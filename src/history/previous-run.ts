/**
 * The manifest's `previousRun`: the output folder of the previous month's run, which hands on the
 * issue series (`state/issues.json`) and the per-pixel season history (`state/pixels/`). One
 * resolution and one existence check, shared by the run-history step and the window stage.
 */
import { access } from "node:fs/promises";
import path from "node:path";
import { SeriesStateError } from "./errors.js";
import { STATE_FILE } from "./series-state.js";

/** What {@link previousRunDir} reads of a run: its manifest, the manifest's folder, its output folder. */
export interface PreviousRunOf {
  readonly manifest: { readonly previousRun?: string | undefined };
  readonly baseDir: string;
  readonly outDir: string;
}

/**
 * Absolute output folder of the previous run, or null for the first month of a series. Throws
 * {@link SeriesStateError} when it names this run's own output folder.
 */
export function previousRunDir(run: PreviousRunOf): string | null {
  const prev = run.manifest.previousRun;
  if (prev === undefined) return null;
  const dir = path.resolve(run.baseDir, prev);
  if (dir === path.resolve(run.outDir))
    throw new SeriesStateError(dir, "previousRun names this run's own output folder");
  return dir;
}

/**
 * Throws {@link SeriesStateError} naming `<dir>/state/issues.json` unless that file exists: a
 * mistyped previousRun fails instead of silently restarting the series. One `access` call, so
 * every window job can afford it (the full read and checks are `readPreviousState`'s).
 */
export async function assertPreviousRunState(dir: string): Promise<void> {
  const file = path.join(dir, STATE_FILE);
  await access(file).catch((cause: unknown) => {
    throw new SeriesStateError(
      file,
      `cannot read the run's state (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`,
      { cause },
    );
  });
}
