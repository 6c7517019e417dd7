import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { insideOutput, loadManifest, parseManifest } from "../../src/config/manifest.js";
import { ConfigError } from "../../src/core/errors.js";

const minimal = {
  runId: "nm-2026-10",
  month: "2026-10",
  output: "out",
  tiles: [
    {
      id: "t1",
      after: { source: "after.tif", date: "2026-10-16" },
      before: { source: "before.tif", date: "2026-09-14" },
    },
  ],
  baseline: { path: "baseline.geojson" },
  counties: { path: "counties.geojson" },
};

describe("run manifest", () => {
  it("fills defaults and resolves from YAML or JSON", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "manifest-"));
    writeFileSync(path.join(dir, "m.json"), JSON.stringify(minimal));
    writeFileSync(
      path.join(dir, "m.yaml"),
      "runId: nm-2026-10\nmonth: 2026-10\noutput: out\ntiles:\n  - id: t1\n    after: { source: after.tif, date: 2026-10-16 }\n    before: { source: before.tif, date: 2026-09-14 }\nbaseline: { path: baseline.geojson }\ncounties: { path: counties.geojson, gcj02: true }\n",
    );
    const json = await loadManifest(path.join(dir, "m.json"));
    const yaml = await loadManifest(path.join(dir, "m.yaml"));
    expect(json.manifest.baseline.classField).toBe("DLBM");
    expect(json.manifest.windowSize).toBe(1024);
    expect(yaml.manifest.counties.gcj02).toBe(true);
    expect(yaml.manifest.tiles[0]!.after.date).toBe("2026-10-16");
    expect(json.baseDir).toBe(dir);
  });

  it("rejects unknown keys, bad dates and duplicate tiles with the path of the problem", () => {
    expect(() => parseManifest({ ...minimal, extra: 1 }, "m.json")).toThrow(
      /m\.json: \(root\): Unrecognized key/,
    );
    expect(() => parseManifest({ ...minimal, month: "2026-13" }, "m.json")).toThrow(/month/);
    const t = minimal.tiles[0]!;
    expect(() =>
      parseManifest({ ...minimal, tiles: [{ ...t, after: { ...t.after, date: "16/10/2026" } }] }, "m"),
    ).toThrow(/tiles\.0\.after\.date/);
    expect(() => parseManifest({ ...minimal, tiles: [t, t] }, "m")).toThrow(/duplicate tile id t1/);
  });

  it("refuses tile and run ids that could escape the output folder", () => {
    for (const id of ["../x", "a/b", "..", ".hidden", "a:b", "x/../../y", "a\\b"]) {
      const bad = { ...minimal, tiles: [{ ...minimal.tiles[0]!, id }] };
      expect(() => parseManifest(bad, "m"), id).toThrow(ConfigError);
      expect(() => parseManifest({ ...minimal, runId: id }, "m"), id).toThrow(ConfigError);
    }
    expect(() => insideOutput("/data/out", "tiles", "../../etc")).toThrow(ConfigError);
    expect(insideOutput("/data/out", "tiles", "t1", "change.tif")).toBe("/data/out/tiles/t1/change.tif");
  });

  it("gives a clear error for an unreadable or malformed manifest file", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "manifest-"));
    writeFileSync(path.join(dir, "broken.json"), "{ runId: ");
    await expect(loadManifest(path.join(dir, "broken.json"))).rejects.toThrow(/broken\.json: not valid JSON/);
    await expect(loadManifest(path.join(dir, "missing.json"))).rejects.toThrow(
      /missing\.json: cannot read the manifest \(ENOENT\)/,
    );
  });
});
