/**
 * What the test lanes need from the machine: ../shared/data, GDAL/PROJ command-line tools, Redis.
 * Under CI (CI set) a missing prerequisite is a hard failure; on a developer's fresh clone
 * the tests that need it are skipped with a message saying why.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export const sharedDataDir = path.resolve(repoRoot, "..", "shared", "data");

export function sharedData(...parts: string[]): string {
  return path.join(sharedDataDir, ...parts);
}

function commandExists(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns true when the prerequisites are missing and the suite should be skipped.
 * Throws under CI so a missing prerequisite never turns into a silently green run.
 */
function missing(what: string, ok: boolean): boolean {
  if (ok) return false;
  const message = `prerequisite missing: ${what}`;
  if (process.env.CI) throw new Error(`${message} (CI is set, so this is a failure, not a skip)`);
  console.warn(`skipping: ${message}`);
  return true;
}

/** Use as `describe.skipIf(noSharedData())(...)`. */
export function noSharedData(): boolean {
  return missing(
    `real data folder ${sharedDataDir} (see ../shared/data/README.md)`,
    existsSync(sharedDataDir),
  );
}

/** Use as `describe.skipIf(noTools("gdalinfo", "gdal_translate"))(...)`. */
export function noTools(...cmds: string[]): boolean {
  const absent = cmds.filter((c) => !commandExists(c));
  return missing(
    `command-line tools ${absent.join(", ")} (apt-get install gdal-bin proj-bin)`,
    absent.length === 0,
  );
}

export const repoPath = (...parts: string[]): string => path.join(repoRoot, ...parts);

/** Headless Chromium for the browser lane (`*.browser.test.ts`); Debian's `chromium` package. */
export const chromiumPath = process.env.PATROL_CHROMIUM ?? "/usr/bin/chromium";

/** Use as `describe.skipIf(noChromium())(...)`. */
export function noChromium(): boolean {
  return missing(
    `Chromium at ${chromiumPath} (apt-get install chromium, or set PATROL_CHROMIUM)`,
    existsSync(chromiumPath),
  );
}
