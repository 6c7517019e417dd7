/**
 * `patrol evaluate` on real change-detection pairs: the five OSCD cities (Sentinel-2 L1C, 13
 * bands, 10 m, `_cm.tif`: 1 no change, 2 change) and the five SZTAKI AirChange pairs (aerial RGB,
 * 1.5 m, `gt.png`: 255 change), each run through `patrol detect` with a baseline that makes every
 * pixel dry land and a county that covers the image (see change-pairs.ts), then evaluated against
 * its change map: all issue types together, and construction alone (the changes are urban).
 *
 * The shipped model reads true colour at about 4 m (Gaofen-2, trained on GID); it was not trained
 * for 10 m Sentinel-2 nor for 1.5 m Hungarian aerial photos, so the figures are modest. They are
 * measured and printed, not asserted: what is asserted is that the measurement is right (the
 * reference's change pixels are all counted, the predicted pixels are the issues' area, the grid
 * is the images').
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/classify/backend.js";
import { silentLogger } from "../../src/core/logger.js";
import {
  centrePixelAreaM2,
  evaluateRunIssues,
  issueListFiles,
  type EvaluationReport,
} from "../../src/evaluate/index.js";
import { openRaster } from "../../src/ingest/raster-source.js";
import { runDetect } from "../../src/report/run-detect.js";
import { readFile } from "node:fs/promises";
import { noSharedData } from "../support/environment.js";
import { oscdPair, sztakiPair, type PairRun } from "./change-pairs.js";

const OSCD = ["aguasclaras", "bercy", "bordeaux", "paris", "rennes"];
const SZTAKI = ["Szada_1", "Szada_2", "Szada_3", "Szada_4", "Szada_5"];

interface Measured {
  pair: PairRun;
  outDir: string;
  issues: number;
  constructionIssues: number;
  issueAreaM2: number;
  all: EvaluationReport;
  construction: EvaluationReport;
}

async function measure(pair: PairRun, dir: string): Promise<Measured> {
  const summary = await runDetect(pair.manifest, { logger: silentLogger() });
  const outDir = path.join(dir, "out");
  const all = await evaluateRunIssues(outDir, { reference: pair.reference });
  const construction = await evaluateRunIssues(outDir, {
    reference: pair.reference,
    changeTypes: ["construction"],
  });
  let issueAreaM2 = 0;
  for (const f of await issueListFiles(outDir)) {
    const fc = JSON.parse(await readFile(f, "utf8")) as {
      features: Array<{ properties: { area_m2: number } }>;
    };
    issueAreaM2 += fc.features.reduce((s, x) => s + x.properties.area_m2, 0);
  }
  return {
    pair,
    outDir,
    issues: summary.totals.issues,
    constructionIssues: summary.totals.byType.construction!.count,
    issueAreaM2,
    all,
    construction,
  };
}

const r3 = (v: number | null): string => (v === null ? "-" : v.toFixed(3));

function rows(m: Measured): Record<string, string | number>[] {
  return (
    [
      ["all types", m.all],
      ["construction", m.construction],
    ] as const
  ).map(([which, e]) => {
    const row = e.rows.find((r) => r.changeType === "all")!;
    return {
      pair: m.pair.name,
      issues: which,
      "px P": r3(row.pixel.precision),
      "px R": r3(row.pixel.recall),
      "px F1": r3(row.pixel.f1),
      "px IoU": r3(row.pixel.iou),
      "obj P": r3(row.object.precision),
      "obj R": r3(row.object.recall),
      "obj F1": r3(row.object.f1),
      "obj IoU": r3(row.object.iou),
      "pred (hit)": `${row.object.predicted} (${row.object.matchedPredicted})`,
      "ref (found)": `${row.object.reference} (${row.object.foundReference})`,
    };
  });
}

function pooled(ms: Measured[], which: "all" | "construction"): Record<string, string> {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const m of ms) {
    const row = m[which].rows.find((r) => r.changeType === "all")!;
    tp += row.pixel.tp;
    fp += row.pixel.fp;
    fn += row.pixel.fn;
  }
  const p = tp + fp > 0 ? tp / (tp + fp) : null;
  const r = tp + fn > 0 ? tp / (tp + fn) : null;
  return {
    "px P": r3(p),
    "px R": r3(r),
    "px F1": r3(
      p !== null && r !== null && p + r > 0 ? (2 * p * r) / (p + r) : p !== null && r !== null ? 0 : null,
    ),
    "px IoU": r3(tp / Math.max(1, tp + fp + fn)),
  };
}

async function referenceChangePixels(pair: PairRun): Promise<{ change: number; pixels: number }> {
  const r = await openRaster(pair.reference);
  const band = (await r.read({ x0: 0, y0: 0, x1: r.width, y1: r.height }, { bands: [0] })).bands[0]!;
  await r.close();
  let change = 0;
  for (let i = 0; i < band.length; i++) if (band[i] === pair.changeValue) change++;
  return { change, pixels: band.length };
}

async function checkMeasurement(m: Measured): Promise<void> {
  const all = m.all.rows.find((r) => r.changeType === "all")!;
  const ref = await referenceChangePixels(m.pair);
  // Every changed pixel of the change map is on the run's grid and counted, once.
  expect(ref.change).toBeGreaterThan(0);
  expect(all.pixel.tp + all.pixel.fn).toBe(ref.change);
  expect(m.all.evaluatedPixels).toBe(ref.pixels);
  // The predicted pixels are the issues' area (ellipsoidal m² over the pixel area; 2 % slack for
  // the variation of a lon/lat pixel's area across a city).
  const pixelArea = centrePixelAreaM2({ ...m.all.grid, affine: await gridAffine(m.outDir) });
  expect(Math.abs(all.pixel.tp + all.pixel.fp - m.issueAreaM2 / pixelArea)).toBeLessThanOrEqual(
    0.02 * (m.issueAreaM2 / pixelArea) + 1,
  );
  expect(all.object.predicted).toBe(m.issues);
  // Construction alone: exactly the construction issues.
  expect(m.construction.rows.find((r) => r.changeType === "all")!.object.predicted).toBe(
    m.constructionIssues,
  );
}

async function gridAffine(outDir: string) {
  const { runGrid } = await import("../../src/evaluate/run-grid.js");
  return (await runGrid(outDir)).affine;
}

describe.skipIf(noSharedData())("patrol evaluate on the OSCD and SZTAKI change pairs", () => {
  const oscd: Measured[] = [];
  const sztaki: Measured[] = [];

  beforeAll(async () => {
    await useBackend("wasm");
    for (const city of OSCD) {
      const dir = mkdtempSync(path.join(tmpdir(), `oscd-${city}-`));
      oscd.push(await measure(await oscdPair(city, dir), dir));
    }
    for (const name of SZTAKI) {
      const dir = mkdtempSync(path.join(tmpdir(), `sztaki-${name}-`));
      sztaki.push(await measure(await sztakiPair(name, dir, null), dir));
    }
    console.log("Change pairs: issues of all types, and construction alone, against the change maps");
    console.table([...oscd, ...sztaki].flatMap(rows));
    console.table({
      "OSCD pooled, all types": pooled(oscd, "all"),
      "OSCD pooled, construction": pooled(oscd, "construction"),
      "SZTAKI pooled, all types": pooled(sztaki, "all"),
      "SZTAKI pooled, construction": pooled(sztaki, "construction"),
    });
  }, 300_000);

  it("measures every OSCD city on the image grid, counting every changed pixel", async () => {
    expect(oscd).toHaveLength(5);
    for (const m of oscd) await checkMeasurement(m);
  });

  it("measures every SZTAKI pair on its assigned grid, counting every changed pixel", async () => {
    expect(sztaki).toHaveLength(5);
    for (const m of sztaki) await checkMeasurement(m);
  });
});
