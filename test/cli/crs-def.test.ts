import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { noSharedData, noTools, repoPath, sharedData } from "../support/environment.js";

const XIAN80_GK_120E =
  "EPSG:2385=+proj=tmerc +lat_0=0 +lon_0=120 +k=1 +x_0=500000 +y_0=0 +a=6378140 +b=6356755.288157528 +units=m +no_defs";

function patrol(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [repoPath("bin", "patrol.js"), ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(noSharedData() || noTools("gdal_translate", "cs2cs"))("patrol --crs-def", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "crs-def-"));
  const file = path.join(dir, "xian80-gk-120e.tif");
  execFileSync("gdal_translate", [
    "-q",
    "-a_srs",
    "EPSG:2385",
    "-a_ullr",
    "500000",
    "4000000",
    "500300",
    "3999700",
    sharedData("landsat", "taizhou_label.tif"),
    file,
  ]);

  it("names the unknown CRS and how to pass it, then uses a definition given on the command line", () => {
    const without = patrol(["info", file, "--json"]);
    expect(without.stdout + without.stderr).toMatch(/EPSG:2385/);
    const withDef = patrol(["--crs-def", XIAN80_GK_120E, "info", file, "--json"]);
    expect(withDef.status).toBe(0);
    const info = JSON.parse(withDef.stdout) as { wgs84Extent?: { coordinates: number[][][] } };
    // The corner (500000, 4000000) lies on the central meridian 120°E; PROJ gives its latitude.
    const ref = execFileSync(
      "cs2cs",
      [
        "-f",
        "%.9f",
        XIAN80_GK_120E.slice("EPSG:2385=".length),
        "+to",
        "+proj=longlat +a=6378140 +b=6356755.288157528",
      ],
      {
        input: "500000 4000000\n",
        encoding: "utf8",
      },
    )
      .trim()
      .split(/\s+/)
      .map(Number);
    expect(JSON.stringify(info)).toContain(String(ref[1]!.toFixed(6)).slice(0, 7));
  });

  it("refuses a malformed definition with a clear error", () => {
    const r = patrol(["--crs-def", "bad", "info", file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--crs-def: expected CODE=PROJ4/);
  });
});
