/**
 * `patrol feedback import` from the command line: stores results; bad input exits 1 naming file
 * and row. `patrol issues` filters a run's tracked patches by tier.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeSeriesState } from "../../src/history/index.js";
import { repoPath } from "../support/environment.js";

function patrol(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [repoPath("bin", "patrol.js"), ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("patrol feedback import", () => {
  it("imports a Chinese-header CSV and refuses a bad result with the file and row", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "feedback-cli-"));
    const out = path.join(dir, "out");
    await writeSeriesState(out, {
      version: 1,
      runId: "r",
      month: "2026-10",
      runDate: "2026-10-20",
      previousRunId: null,
      issues: [
        {
          id: "150121-aaa",
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
              id: "150121-aaa",
              county_adcode: "150121",
              county_name: "x",
              change_type: "pond",
              area_m2: 500,
              after_date: "2026-10-16",
              first_seen: "2026-10-16",
              status: "new",
              tier: "first",
              due_prefecture: "2026-10-25",
              due_county: "2026-10-30",
              run_id: "r",
            },
          },
        },
      ],
    });
    const good = path.join(dir, "good.csv");
    writeFileSync(good, "\uFEFF图斑编号,核查结果,备注,核查日期\r\n150121-aaa,误判,阴影,2026-10-28\r\n");
    const ok = patrol(["feedback", "import", good, "--run", out]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("imported 1 results");
    const stored = JSON.parse(readFileSync(path.join(out, "state", "feedback.json"), "utf8"));
    expect(stored.entries[0]).toMatchObject({ id: "150121-aaa", result: "false-positive", notes: "阴影" });
    const bad = path.join(dir, "bad.csv");
    writeFileSync(bad, "id,result,date\n150121-aaa,perhaps,2026-10-28\n");
    const fail = patrol(["feedback", "import", bad, "--run", out]);
    expect(fail.status).toBe(1);
    expect(fail.stderr).toContain(`FeedbackError: ${bad}: row 1: issue 150121-aaa: result "perhaps"`);
    // patrol issues filters the state by tier: the one patch is at tier "first".
    const first = patrol(["issues", "--run", out, "--min-tier", "first"]);
    expect(first.stdout.split("\t").slice(0, 3)).toEqual(["150121-aaa", "new", "first"]);
    expect(patrol(["issues", "--run", out, "--min-tier", "provisional"]).stdout).toBe("");
  }, 240_000);
});
