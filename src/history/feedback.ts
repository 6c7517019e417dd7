/**
 * Field-verification feedback (实地核查结果): per issue id a result (illegal, legal/approved,
 * false positive), notes and the date of the check, from a CSV (UTF-8, BOM or not; English or
 * Chinese headers) or a GeoJSON FeatureCollection with the same fields as properties. Imported
 * into the run that listed the issues (`state/feedback.json`); the next month's run reads it.
 *
 * Columns (any of the names, case-insensitive): id | issue_id | 图斑编号 | 编号; result | 核查结果 |
 * 结果; notes | note | 备注 | 说明 (optional); date | 核查日期 | 日期 (yyyy-mm-dd or yyyy/mm/dd).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { FeedbackError } from "./errors.js";
import {
  readFeedbackFile,
  readSeriesState,
  STATE_VERSION,
  writeFeedbackFile,
  type FeedbackEntry,
  type FeedbackResult,
} from "./series-state.js";

const COLUMNS = {
  id: ["id", "issue_id", "图斑编号", "编号"],
  result: ["result", "核查结果", "结果"],
  notes: ["notes", "note", "备注", "说明"],
  date: ["date", "核查日期", "日期"],
} as const;

const RESULTS: Record<string, FeedbackResult> = {
  illegal: "illegal",
  violation: "illegal",
  违法: "illegal",
  违法违规: "illegal",
  违法用地: "illegal",
  legal: "legal",
  approved: "legal",
  "legal/approved": "legal",
  合法: "legal",
  合法合规: "legal",
  批准: "legal",
  已批准: "legal",
  "false-positive": "false-positive",
  fp: "false-positive",
  误判: "false-positive",
  误报: "false-positive",
  伪变化: "false-positive",
  非变化: "false-positive",
};

/** The result a county wrote, normalised; null when it is not one we know. */
export function parseFeedbackResult(text: string): FeedbackResult | null {
  const key = text
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, "-");
  return RESULTS[key] ?? null;
}

/** Splits CSV text into rows of cells (RFC 4180 quoting, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === "") quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += ch;
  }
  if (quoted) throw new SyntaxError("unterminated quoted field");
  if (cell !== "" || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows.filter((r) => r.some((c) => c.trim() !== ""));
}

function normaliseDate(raw: string): string | null {
  const m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(raw.trim());
  if (!m) return null;
  const iso = `${m[1]}-${m[2]!.padStart(2, "0")}-${m[3]!.padStart(2, "0")}`;
  const d = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== iso ? null : iso;
}

type Record_ = Readonly<Record<string, unknown>>;

function field(rec: Record_, names: readonly string[]): string | undefined {
  for (const [k, v] of Object.entries(rec)) {
    if (names.includes(k.trim().toLowerCase() as never) && v !== null && v !== undefined) return String(v);
  }
  return undefined;
}

function entryOf(rec: Record_, file: string, row: number): FeedbackEntry {
  const id = field(rec, COLUMNS.id)?.trim();
  if (!id) throw new FeedbackError(file, row, "no issue id");
  const rawResult = field(rec, COLUMNS.result);
  if (rawResult === undefined || rawResult.trim() === "")
    throw new FeedbackError(file, row, `issue ${id}: no result`);
  const result = parseFeedbackResult(rawResult);
  if (!result)
    throw new FeedbackError(
      file,
      row,
      `issue ${id}: result "${rawResult}" is not one of illegal (违法), legal/approved (合法), false positive (误判)`,
    );
  const rawDate = field(rec, COLUMNS.date);
  const date = rawDate === undefined ? null : normaliseDate(rawDate);
  if (!date) throw new FeedbackError(file, row, `issue ${id}: date "${rawDate ?? ""}" is not yyyy-mm-dd`);
  return {
    id,
    result,
    notes: (field(rec, COLUMNS.notes) ?? "").trim(),
    date,
    source: path.basename(file),
    row,
  };
}

/** Parses a feedback file's text (CSV or GeoJSON by content). `file` names it in errors. */
export function parseFeedback(text: string, file: string): FeedbackEntry[] {
  const body = text.replace(/^\uFEFF/, "");
  let records: Record_[];
  if (/^\s*\{/.test(body)) {
    let data: unknown;
    try {
      data = JSON.parse(body);
    } catch (cause) {
      throw new FeedbackError(file, null, `not valid JSON: ${(cause as Error).message}`, { cause });
    }
    const fc = data as { type?: unknown; features?: unknown };
    if (fc.type !== "FeatureCollection" || !Array.isArray(fc.features))
      throw new FeedbackError(file, null, "not a GeoJSON FeatureCollection");
    records = (fc.features as Array<{ properties?: unknown }>).map((f, i) => {
      if (!f || typeof f.properties !== "object" || f.properties === null)
        throw new FeedbackError(file, i + 1, "feature without properties");
      return f.properties as Record_;
    });
  } else {
    let rows: string[][];
    try {
      rows = parseCsv(body);
    } catch (cause) {
      throw new FeedbackError(file, null, `not valid CSV: ${(cause as Error).message}`, { cause });
    }
    const header = rows[0];
    if (!header) throw new FeedbackError(file, null, "empty file");
    const names = header.map((h) => h.trim().toLowerCase());
    for (const [what, alts] of [
      ["id", COLUMNS.id],
      ["result", COLUMNS.result],
      ["date", COLUMNS.date],
    ] as const)
      if (!names.some((n) => alts.includes(n as never)))
        throw new FeedbackError(file, null, `no ${what} column (one of ${alts.join(", ")})`);
    records = rows.slice(1).map((cells, i) => {
      if (cells.length > names.length)
        throw new FeedbackError(file, i + 1, `${cells.length} cells, the header has ${names.length}`);
      return Object.fromEntries(names.map((n, k) => [n, cells[k] ?? ""]));
    });
  }
  const entries = records.map((r, i) => entryOf(r, file, i + 1));
  const seen = new Map<string, number>();
  for (const e of entries) {
    const before = seen.get(e.id);
    if (before !== undefined)
      throw new FeedbackError(file, e.row, `issue ${e.id} already given in row ${before}`);
    seen.set(e.id, e.row);
  }
  return entries;
}

export interface FeedbackImport {
  readonly imported: number;
  /** Ids whose earlier imported result this import replaced. */
  readonly replaced: readonly string[];
  /** Results now stored for the run. */
  readonly total: number;
}

/**
 * Imports a feedback file into a run's state: checks every id against the run's
 * `state/issues.json` (unknown ids are an error naming the row), merges with results imported
 * before (a later import replaces the result of the same id) and writes `state/feedback.json`
 * atomically.
 */
export async function importFeedback(file: string, runOutDir: string): Promise<FeedbackImport> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new FeedbackError(
      file,
      null,
      `cannot read (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`,
      {
        cause,
      },
    );
  }
  const entries = parseFeedback(text, file);
  const state = await readSeriesState(runOutDir);
  const known = new Set(state.issues.map((t) => t.id));
  const unknown = entries.filter((e) => !known.has(e.id));
  if (unknown.length > 0)
    throw new FeedbackError(
      file,
      unknown[0]!.row,
      `issue ${unknown[0]!.id} is not in run ${state.runId}` +
        (unknown.length > 1 ? ` (and ${unknown.length - 1} more unknown ids)` : ""),
    );
  const existing = await readFeedbackFile(runOutDir, state.runId);
  const merged = new Map(existing.entries.map((e) => [e.id, e]));
  const replaced = entries.filter((e) => merged.has(e.id)).map((e) => e.id);
  for (const e of entries) merged.set(e.id, e);
  const out = {
    version: STATE_VERSION,
    runId: state.runId,
    entries: [...merged.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
  };
  await writeFeedbackFile(runOutDir, out);
  return { imported: entries.length, replaced, total: out.entries.length };
}
