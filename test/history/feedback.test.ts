/**
 * Feedback import: CSV with BOM and Chinese or English headers, GeoJSON, and the typed errors
 * for unknown ids, bad results and malformed files (naming file and row); a broken previousRun.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/logger.js";
import { writeDemoScene } from "../../src/demo/write-scene.js";
import { runDetect } from "../../src/report/run-detect.js";
import {
  FeedbackError,
  SeriesStateError,
  importFeedback,
  parseFeedback,
  writeSeriesState,
  type SeriesState,
} from "../../src/history/index.js";

let runDir: string;

function stateWith(ids: string[]): SeriesState {
  return {
    version: 1,
    runId: "demo-2026-10",
    month: "2026-10",
    runDate: "2026-10-20",
    previousRunId: null,
    issues: ids.map((id) => ({
      id,
      status: "new",
      tier: "first",
      first_seen: "2026-10-16",
      detections: ["2026-10-16"],
      sighting: "detected",
      resolved_run: null,
      resolved_on: null,
      merged_into: null,
      feedback: null,
      feedback_area_m2: null,
      feedback_change_type: null,
      past_feedback: [],
      feature: {
        type: "Feature",
        geometry: { type: "Polygon", coordinates: [] },
        properties: {
          id,
          county_adcode: "150121",
          county_name: "土默特左旗",
          change_type: "construction",
          area_m2: 1000,
          after_date: "2026-10-16",
          first_seen: "2026-10-16",
          status: "new",
          tier: "first",
          due_prefecture: "2026-10-25",
          due_county: "2026-10-30",
          run_id: "demo-2026-10",
        },
      },
    })),
  };
}

function write(name: string, text: string): string {
  const f = path.join(runDir, "..", name);
  writeFileSync(f, text);
  return f;
}

beforeEach(async () => {
  runDir = path.join(mkdtempSync(path.join(tmpdir(), "feedback-")), "out");
  await writeSeriesState(runDir, stateWith(["150121-aaa", "150121-bbb", "150122-ccc"]));
});

describe("parseFeedback", () => {
  it("reads a CSV with BOM, Chinese headers, CRLF, quoted notes and yyyy/mm/dd dates", () => {
    const csv =
      "\uFEFF图斑编号,核查结果,备注,核查日期\r\n" +
      '150121-aaa,违法,"已立案, 责令整改",2026/10/28\r\n' +
      "150121-bbb,合法,设施农业备案,2026-10-29\r\n" +
      "150122-ccc,误判,云影,2026-11-02\r\n";
    expect(parseFeedback(csv, "f.csv").map((e) => [e.id, e.result, e.notes, e.date, e.row])).toEqual([
      ["150121-aaa", "illegal", "已立案, 责令整改", "2026-10-28", 1],
      ["150121-bbb", "legal", "设施农业备案", "2026-10-29", 2],
      ["150122-ccc", "false-positive", "云影", "2026-11-02", 3],
    ]);
  });

  it("reads English headers in any order and results such as 'false positive' and 'approved'", () => {
    const csv = "date,result,id\n2026-10-28,False Positive,150121-aaa\n2026-10-28,approved,150121-bbb\n";
    expect(parseFeedback(csv, "f.csv").map((e) => [e.id, e.result, e.notes])).toEqual([
      ["150121-aaa", "false-positive", ""],
      ["150121-bbb", "legal", ""],
    ]);
  });

  it("reads a GeoJSON FeatureCollection", () => {
    const gj = JSON.stringify({
      type: "FeatureCollection",
      features: [
        {
          type: "Feature",
          geometry: null,
          properties: { id: "150121-aaa", result: "illegal", date: "2026-10-28", notes: "x" },
        },
      ],
    });
    expect(parseFeedback(gj, "f.geojson")).toEqual([
      { id: "150121-aaa", result: "illegal", notes: "x", date: "2026-10-28", source: "f.geojson", row: 1 },
    ]);
  });

  it("names file and row of a bad result, a bad date, a duplicate id, a missing column", () => {
    const bad = (text: string): FeedbackError => {
      try {
        parseFeedback(text, "county.csv");
      } catch (e) {
        return e as FeedbackError;
      }
      throw new Error("no error");
    };
    const r = bad("id,result,date\n150121-aaa,illegal,2026-10-01\n150121-bbb,maybe,2026-10-01\n");
    expect(r).toBeInstanceOf(FeedbackError);
    expect([r.file, r.row]).toEqual(["county.csv", 2]);
    expect(r.message).toContain('"maybe"');
    expect(bad("id,result,date\n150121-aaa,illegal,2026-13-01\n").row).toBe(1);
    expect(bad("id,result,date\na,illegal,2026-10-01\na,legal,2026-10-02\n").row).toBe(2);
    const missing = bad("id,notes\na,x\n");
    expect([missing.row, missing.message]).toEqual([null, expect.stringContaining("no result column")]);
    expect(bad('id,result,date\n"a,illegal,2026-10-01\n').message).toContain("not valid CSV");
    expect(bad("{ not json").message).toContain("not valid JSON");
  });
});

describe("importFeedback", () => {
  it("stores results in state/feedback.json, a later import replacing the same id", async () => {
    const f1 = write(
      "one.csv",
      "id,result,date\n150121-aaa,illegal,2026-10-28\n150121-bbb,legal,2026-10-28\n",
    );
    expect(await importFeedback(f1, runDir)).toEqual({ imported: 2, replaced: [], total: 2 });
    const f2 = write("two.csv", "id,result,date\n150121-aaa,false positive,2026-11-01\n");
    expect(await importFeedback(f2, runDir)).toEqual({ imported: 1, replaced: ["150121-aaa"], total: 2 });
    const stored = JSON.parse(readFileSync(path.join(runDir, "state/feedback.json"), "utf8"));
    expect(
      stored.entries.map((e: { id: string; result: string; source: string }) => [e.id, e.result, e.source]),
    ).toEqual([
      ["150121-aaa", "false-positive", "two.csv"],
      ["150121-bbb", "legal", "one.csv"],
    ]);
  });

  it("refuses an unknown id, naming the row, and writes nothing", async () => {
    const f = write(
      "bad.csv",
      "id,result,date\n150121-aaa,illegal,2026-10-28\n150121-zzz,illegal,2026-10-28\n",
    );
    const err = await importFeedback(f, runDir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeedbackError);
    expect((err as FeedbackError).row).toBe(2);
    expect((err as FeedbackError).message).toContain("150121-zzz is not in run demo-2026-10");
    expect(() => readFileSync(path.join(runDir, "state/feedback.json"))).toThrow();
  });
});

describe("previousRun", () => {
  it("fails at once, naming the folder, when the previous run has no state or is not earlier", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "previous-run-"));
    const { manifestPath } = await writeDemoScene(dir, { size: 256 });
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, previousRun: "runs/none" }));
    const missing = await runDetect(manifestPath, { logger: silentLogger() }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SeriesStateError);
    expect((missing as Error).message).toContain(path.join(dir, "runs", "none", "state", "issues.json"));
    // A previous run of the same month is refused too.
    await writeSeriesState(path.join(dir, "runs", "same"), { ...stateWith([]), month: "2026-10" });
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, previousRun: "runs/same" }));
    const same = await runDetect(manifestPath, { logger: silentLogger() }).catch((e: unknown) => e);
    expect(same).toBeInstanceOf(SeriesStateError);
    expect((same as Error).message).toContain("is of month 2026-10, not before 2026-10");
  }, 60_000);
});
