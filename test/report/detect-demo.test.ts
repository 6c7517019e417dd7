/**
 * `patrol detect` end to end on the demo scene: tiling and windowing do not change the issue
 * list, the GeoJSON is valid RFC 7946 that GDAL opens, changes are reported only on baseline
 * cropland, approvals mark the patches they cover, and every injected change is found with its
 * type (object-level F1, `patrol evaluate`'s matching rule, of at least 0.9).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readCountyLayers } from "../support/county-layers.js";
import type { Feature, FeatureCollection, Polygon } from "geojson";
import * as turf from "@turf/turf";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/classify/backend.js";
import { coordinateTransform } from "../../src/ingest/crs.js";
import { silentLogger } from "../../src/core/logger.js";
import { writeDemoScene } from "../../src/demo/write-scene.js";
import { runDetect } from "../../src/report/run-detect.js";
import { evaluateRunIssues, formatEvaluation } from "../../src/evaluate/index.js";
import type { RunSummary } from "../../src/report/assemble.js";
import type { IssueProperties } from "../../src/report/issues.js";
import { noTools } from "../support/environment.js";

type Issue = Feature<Polygon, IssueProperties>;

function readIssues(outDir: string): Issue[] {
  return readCountyLayers<Issue>(path.join(outDir, "issues"), ".geojson", { allowMissing: true }).sort(
    (a, b) => (a.properties.id < b.properties.id ? -1 : 1),
  );
}

async function runDemo(
  options: Parameters<typeof writeDemoScene>[1],
): Promise<{ dir: string; summary: RunSummary; issues: Issue[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), "demo-run-"));
  const { manifestPath } = await writeDemoScene(dir, options);
  const summary = await runDetect(manifestPath, { logger: silentLogger() });
  return { dir, summary, issues: readIssues(path.join(dir, "out")) };
}

/** What must not depend on tiling: everything but the tile id. */
function comparable(issues: Issue[]): unknown[] {
  return issues.map((f) => {
    const { tile_id: _tile, ...rest } = f.properties;
    return { geometry: f.geometry, properties: rest };
  });
}

describe("patrol detect on the demo scene", () => {
  let one: Awaited<ReturnType<typeof runDemo>>;
  let nine: Awaited<ReturnType<typeof runDemo>>;

  beforeAll(async () => {
    await useBackend("wasm");
    // One tile and one window, against nine tiles (seams at 341, 683) and 3×3 windows of 352
    // pixels (seams at 352, 704): two independent runs, so equal ids also show re-run stability.
    one = await runDemo({ tilesPerSide: 1, windowSize: 1024 });
    nine = await runDemo({ tilesPerSide: 3, windowSize: 352 });
  }, 400_000);

  it("gives the same issue list, ids included, however the scene is cut into tiles and windows", () => {
    expect(one.summary.windows.total).toBe(1);
    expect(nine.summary.windows.total).toBe(9);
    expect(one.issues.length).toBeGreaterThan(0);
    // Some patches really cross a window seam of the nine-window run.
    const toGrid = coordinateTransform("EPSG:4326", "EPSG:4546");
    const crossing = one.issues.filter((f) => {
      const cols = f.geometry.coordinates[0]!.map(
        ([lon, lat]) => (toGrid.forward(lon!, lat!).x - 552000) / 4,
      );
      const rows = f.geometry.coordinates[0]!.map(
        ([lon, lat]) => (4490000 - toGrid.forward(lon!, lat!).y) / 4,
      );
      const spans = (v: number[], seam: number): boolean =>
        Math.min(...v) < seam - 0.5 && Math.max(...v) > seam + 0.5;
      return [352, 704].some((seam) => spans(cols, seam) || spans(rows, seam));
    });
    expect(crossing.length).toBeGreaterThan(0);
    expect(comparable(nine.issues)).toEqual(comparable(one.issues));
    expect(nine.summary.totals).toEqual(one.summary.totals);
  });

  it("records the SHA-256 of every input once, each tile hashed by one window (checked against sha256sum)", () => {
    const manifest = JSON.parse(readFileSync(path.join(nine.dir, "manifest.json"), "utf8")) as {
      tiles: Array<{ after: { source: string }; before: { source: string } }>;
      baseline: { path: string };
      counties: { path: string };
      exclusions: Array<{ path: string }>;
    };
    const inputs = [
      ...manifest.tiles.flatMap((t) => [t.after.source, t.before.source]),
      manifest.baseline.path,
      manifest.counties.path,
      ...manifest.exclusions.map((e) => e.path),
    ];
    expect(inputs.length).toBeGreaterThan(18);
    const reference = Object.fromEntries(
      inputs.map((f) => [
        f,
        execFileSync("sha256sum", [path.join(nine.dir, f)], { encoding: "utf8" }).split(" ")[0],
      ]),
    );
    // Same keys in manifest order, same digests.
    expect(Object.entries(nine.summary.checksums)).toEqual(Object.entries(reference));
  });

  it("writes RFC 7946 issue lists: lon/lat, counter-clockwise exteriors, no crs member", () => {
    const root = path.join(one.dir, "out", "issues");
    for (const pref of readdirSync(root)) {
      for (const f of readdirSync(path.join(root, pref)).filter((n) => n.endsWith(".geojson"))) {
        const fc = JSON.parse(readFileSync(path.join(root, pref, f), "utf8")) as Record<string, unknown>;
        expect(fc.type).toBe("FeatureCollection");
        expect(fc).not.toHaveProperty("crs");
      }
    }
    for (const f of one.issues) {
      for (const [k, ring] of f.geometry.coordinates.entries()) {
        const area = ring
          .slice(0, -1)
          .reduce((s, p, i) => s + p[0]! * ring[i + 1]![1]! - ring[i + 1]![0]! * p[1]!, 0);
        expect(Math.sign(area)).toBe(k === 0 ? 1 : -1);
        for (const [lon, lat] of ring) {
          expect(lon).toBeGreaterThan(111);
          expect(lon).toBeLessThan(112);
          expect(lat).toBeGreaterThan(40);
          expect(lat).toBeLessThan(41);
        }
      }
      expect(f.properties.area_mu).toBeCloseTo(f.properties.area_m2 / (10000 / 15), 2);
      expect(f.properties.due_prefecture).toBe("2026-10-25");
      expect(f.properties.due_county).toBe("2026-10-30");
      expect(existsSync(path.join(one.dir, "out", f.properties.after_chip!))).toBe(true);
      expect(existsSync(path.join(one.dir, "out", f.properties.before_chip!))).toBe(true);
    }
    const csv = readFileSync(
      path.join(one.dir, "out", "issues", "150100", `${one.issues[0]!.properties.county_adcode}.csv`),
      "utf8",
    );
    expect(csv.startsWith("\uFEFFid,county_adcode")).toBe(true);
  });

  it.skipIf(noTools("ogrinfo"))("opens in GDAL with every polygon valid", () => {
    const file = path.join(
      one.dir,
      "out",
      "issues",
      "150100",
      `${one.issues[0]!.properties.county_adcode}.geojson`,
    );
    const layer = path.basename(file, ".geojson");
    const out = execFileSync(
      "ogrinfo",
      [
        file,
        "-q",
        "-dialect",
        "SQLite",
        "-sql",
        `SELECT ST_IsValid(geometry) AS v, ST_Area(geometry, 1) AS a, area_m2 FROM "${layer}"`,
      ],
      { encoding: "utf8" },
    );
    const valid = [...out.matchAll(/v \(Integer\) = (\d)/g)].map((m) => m[1]);
    expect(valid.length).toBeGreaterThan(0);
    expect(valid.every((v) => v === "1")).toBe(true);
    const areas = [...out.matchAll(/a \(Real\) = ([\d.]+)[\s\S]*?area_m2 \(Real\) = ([\d.]+)/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    expect(areas.length).toBe(valid.length);
    for (const [gdal, ours] of areas) expect(Math.abs(gdal! - ours!) / gdal!).toBeLessThan(1e-4);
  });

  it("reports changes only on baseline cropland, and marks the approved one", () => {
    const baseline = JSON.parse(
      readFileSync(path.join(one.dir, "baseline.geojson"), "utf8"),
    ) as FeatureCollection<Polygon>;
    const cropland = baseline.features.filter((f) => /^01/.test(String(f.properties?.DLBM)));
    for (const issue of one.issues) {
      const inside = cropland.reduce((s, parcel) => {
        const x = turf.intersect(turf.featureCollection([issue, parcel]));
        return s + (x ? turf.area(x) : 0);
      }, 0);
      expect(inside / turf.area(issue), issue.properties.id).toBeGreaterThan(0.999);
    }
    const exclusions = JSON.parse(
      readFileSync(path.join(one.dir, "exclusions.geojson"), "utf8"),
    ) as FeatureCollection<Polygon>;
    const approvedArea = exclusions.features[0]!;
    for (const issue of one.issues) {
      const x = turf.intersect(turf.featureCollection([issue, approvedArea]));
      const share = x ? turf.area(x) / turf.area(issue) : 0;
      if (share > 0.5) expect(issue.properties.status).toBe("approved");
      else expect(issue.properties.status).toBe("new");
    }
    expect(one.issues.some((f) => f.properties.status === "approved")).toBe(true);
  });

  it("finds every injected change with its type: typed object-level F1 at least 0.9 against the demo truth", async () => {
    const e = await evaluateRunIssues(path.join(one.dir, "out"), {
      reference: path.join(one.dir, "truth.geojson"),
    });
    console.log(formatEvaluation(e, "demo run against the injected changes"));
    expect(e.referenceTyped).toBe(true);
    const truth = JSON.parse(readFileSync(path.join(one.dir, "truth.geojson"), "utf8")) as FeatureCollection;
    const injected = new Set(truth.features.map((f) => String(f.properties?.change_type)));
    // Every type the demo injects (construction, pond, orchard, trees, turf): each of its
    // changes is matched by an issue of that type.
    expect(injected.size).toBe(5);
    const typeRows = e.rows.filter((r) => r.changeType !== "all");
    for (const t of injected) {
      const row = typeRows.find((r) => r.changeType === t)!;
      expect(row.object.reference, t).toBeGreaterThan(0);
      expect(row.object.foundReference, t).toBe(row.object.reference);
    }
    // Typed object F1, pooled over the types: an issue counts as a hit only when it matches a
    // change of its own type, a change as found only when an issue of its type matches it.
    const sum = (k: "predicted" | "matchedPredicted" | "reference" | "foundReference"): number =>
      typeRows.reduce((s, r) => s + r.object[k], 0);
    const precision = sum("matchedPredicted") / sum("predicted");
    const recall = sum("foundReference") / sum("reference");
    expect(sum("reference")).toBe(truth.features.length);
    expect(recall).toBe(1);
    expect((2 * precision * recall) / (precision + recall)).toBeGreaterThanOrEqual(0.9);
    // Ignoring types, too (every issue lies on some injected change).
    const all = e.rows.find((r) => r.changeType === "all")!;
    expect(all.object.f1!).toBeGreaterThanOrEqual(0.9);
  });

  it("drops patches under the minimum size in pixels (25 px of 4 m) and counts them", () => {
    const manifest = JSON.parse(readFileSync(path.join(one.dir, "manifest.json"), "utf8")) as {
      tiles: Array<{ after: { source: string } }>;
    };
    const tif = path.join(one.dir, manifest.tiles[0]!.after.source);
    const info = JSON.parse(execFileSync("gdalinfo", ["-json", tif], { encoding: "utf8" })) as {
      geoTransform: number[];
    };
    const pixelM2 = Math.abs(info.geoTransform[1]! * info.geoTransform[5]!);
    expect(one.summary.config.minPatchPixels).toBe(25);
    // Ellipsoidal areas differ from grid areas by the projection's scale (under 0.1% here).
    for (const issue of one.issues) expect(issue.properties.area_m2).toBeGreaterThan(25 * pixelM2 * 0.999);
    expect(one.summary.totals.dropped["below-min-area"]).toBeGreaterThan(0);
  });
});
