/**
 * The review stage on the demo run: every run writes a page per county with issues and an index;
 * the overview image is the after image over the county's patches (checked against the GeoTIFF
 * read with geotiff.js and a stretch computed here); `patrol review` rewrites the same bytes from
 * the run's output alone; `review.enabled: false` turns the pages off.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Command } from "commander";
import type { FeatureCollection, MultiPolygon, Polygon } from "geojson";
import { fromFile } from "geotiff";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/classify/backend.js";
import { registerReviewCommand } from "../../src/cli/commands/review.js";
import { silentLogger } from "../../src/core/logger.js";
import { writeDemoScene, type WrittenDemo } from "../../src/demo/write-scene.js";
import { closeRun, openRun } from "../../src/detect/run-inputs.js";
import { coordinateTransform } from "../../src/ingest/crs.js";
import { readJoinedRun, summaryStage, type RunSummary } from "../../src/report/assemble.js";
import type { IssueProperties } from "../../src/report/issues.js";
import { runDetect } from "../../src/report/run-detect.js";
import { escapeHtml } from "../../src/review/index.js";

type Issues = FeatureCollection<Polygon | MultiPolygon, IssueProperties>;

function filesUnder(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(root, p), readFileSync(p));
    }
  };
  walk(root);
  return out;
}

async function patrolReview(...args: string[]): Promise<void> {
  const program = new Command().exitOverride();
  registerReviewCommand(program);
  await program.parseAsync(["review", ...args], { from: "user" });
}

describe("the review stage on the demo run", () => {
  let dir: string;
  let outDir: string;
  let demo: WrittenDemo;
  let summary: RunSummary;

  beforeAll(async () => {
    process.env.PATROL_LOG_LEVEL = "silent";
    await useBackend("wasm");
    dir = mkdtempSync(path.join(tmpdir(), "review-stage-"));
    demo = await writeDemoScene(dir, { size: 512 });
    summary = await runDetect(demo.manifestPath, { logger: silentLogger() });
    outDir = path.join(dir, "out");
  }, 300_000);

  it("writes one page and overview per county with issues, and an index linking them", () => {
    const withIssues = summary.counties.filter((c) => c.issues > 0);
    expect(withIssues.length).toBeGreaterThan(0);
    const pages = readdirSync(path.join(outDir, "review", "150100")).sort();
    expect(pages).toEqual(withIssues.flatMap((c) => [`${c.adcode}-overview.png`, `${c.adcode}.html`]).sort());
    const index = readFileSync(path.join(outDir, "review", "index.html"), "utf8");
    for (const c of summary.counties) {
      const row = new RegExp(`<tr data-adcode="${c.adcode}">.*?</tr>`).exec(index)?.[0];
      expect(row, c.adcode).toBeDefined();
      expect(row).toContain(`<td class="num issues">${c.issues}</td>`);
      expect(row!.includes(`href="150100/${c.adcode}.html"`)).toBe(c.issues > 0);
    }
  });

  it("draws the overview from the after image over the county's patches, stretched 2–98 % per band", async () => {
    const c = summary.counties.find((k) => k.issues > 0)!;
    const issues = (JSON.parse(readFileSync(path.join(outDir, c.file!), "utf8")) as Issues).features;
    // The expected window, from the GeoJSON: the patches' extent on the demo grid plus 100 m
    // (25 pixels), clamped to the 512² scene; no decimation at this size.
    const toGrid = coordinateTransform("EPSG:4326", demo.scene.crs);
    const a = demo.scene.affine;
    const cols: number[] = [];
    const rows: number[] = [];
    for (const f of issues) {
      const polys = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
      for (const [lon, lat] of polys.flatMap((p) => p[0]!)) {
        const m = toGrid.forward(lon!, lat!);
        cols.push(Math.round((m.x - a.originX) / a.pixelWidth));
        rows.push(Math.round((m.y - a.originY) / a.pixelHeight));
      }
    }
    const x0 = Math.max(0, Math.min(...cols) - 25);
    const y0 = Math.max(0, Math.min(...rows) - 25);
    const x1 = Math.min(512, Math.max(...cols) + 25);
    const y1 = Math.min(512, Math.max(...rows) + 25);
    const png = await sharp(path.join(outDir, "review", "150100", `${c.adcode}-overview.png`))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([png.info.width, png.info.height, png.info.channels]).toEqual([x1 - x0, y1 - y0, 3]);

    const tiff = await fromFile(path.join(dir, "imagery", `demo-${demo.scene.after.date}.tif`));
    const image = await tiff.getImage();
    const bands = (await image.readRasters({ window: [x0, y0, x1, y1] })) as unknown as Uint8Array[];
    const nodata = demo.scene.nodata;
    const n = (x1 - x0) * (y1 - y0);
    const observed = Array.from({ length: n }, (_, i) => bands.some((b) => b[i] !== nodata));
    for (let b = 0; b < 3; b++) {
      const values = bands[b]!.filter((_, i) => observed[i]).sort((p, q) => p - q);
      const lo = values[Math.floor(values.length * 0.02)]!;
      const hi = values[Math.floor(values.length * 0.98)]!;
      let worst = 0;
      for (let i = 0; i < n; i++) {
        const want = observed[i]
          ? Math.max(0, Math.min(255, Math.round(((bands[b]![i]! - lo) / (hi - lo)) * 255)))
          : 0;
        worst = Math.max(worst, Math.abs(png.data[i * 3 + b]! - want));
      }
      expect(worst, `band ${b}`).toBe(0);
    }
  });

  it("patrol review rewrites the same pages from the run's output alone (--run, or --manifest)", async () => {
    const reviewDir = path.join(outDir, "review");
    const before = filesUnder(reviewDir);
    expect(before.size).toBeGreaterThan(2);
    rmSync(reviewDir, { recursive: true });
    await patrolReview("--run", outDir);
    expect(filesUnder(reviewDir)).toEqual(before);
    rmSync(reviewDir, { recursive: true });
    await patrolReview("--manifest", demo.manifestPath);
    expect(filesUnder(reviewDir)).toEqual(before);
  });

  it("a county whose issue list cannot be read loses its page, not the others'", async () => {
    const withIssues = summary.counties.filter((c) => c.issues > 0);
    const broken = withIssues[0]!;
    const listFile = path.join(outDir, broken.file!);
    const original = readFileSync(listFile);
    writeFileSync(listFile, JSON.stringify({ type: "FeatureCollection", features: [{ type: "Feature" }] }));
    try {
      rmSync(path.join(outDir, "review"), { recursive: true });
      await patrolReview("--run", outDir);
      expect(process.exitCode).toBe(3);
      process.exitCode = 0;
      const index = readFileSync(path.join(outDir, "review", "index.html"), "utf8");
      const row = new RegExp(`<tr data-adcode="${broken.adcode}">.*?</tr>`).exec(index)![0];
      expect(row).toContain("page not written:");
      expect(row).toContain(escapeHtml(listFile));
      expect(row).not.toContain("href=");
      expect(existsSync(path.join(outDir, "review", "150100", `${broken.adcode}.html`))).toBe(false);
      for (const c of withIssues.slice(1))
        expect(existsSync(path.join(outDir, "review", "150100", `${c.adcode}.html`)), c.adcode).toBe(true);
    } finally {
      writeFileSync(listFile, original);
    }
  });

  it("review.enabled: false writes no pages", async () => {
    const manifest = JSON.parse(readFileSync(demo.manifestPath, "utf8")) as Record<string, unknown>;
    const off = path.join(dir, "manifest-review-off.json");
    writeFileSync(off, JSON.stringify({ ...manifest, detection: { review: { enabled: false } } }));
    rmSync(path.join(outDir, "review"), { recursive: true });
    const run = await openRun(off, { logger: silentLogger() });
    try {
      const joined = await readJoinedRun(run);
      const again = await summaryStage(run, [], { logger: silentLogger(), joined });
      expect(again.config.review.enabled).toBe(false);
      expect(existsSync(path.join(outDir, "summary.json"))).toBe(true);
      expect(existsSync(path.join(outDir, "review"))).toBe(false);
    } finally {
      await closeRun(run);
    }
  });
});
