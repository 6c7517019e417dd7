/**
 * Writing the issue lists: `issues/<prefecture>/<county>.geojson` (RFC 7946 FeatureCollection,
 * lon/lat, no `crs` member) and a `.csv` beside each (UTF-8 with BOM so spreadsheet programs
 * read the Chinese names; English or Chinese headers), plus the baseline-mismatch layer.
 */
import type { FeatureCollection } from "geojson";
import { writeFileAtomic } from "../core/atomic-write.js";
import { insideOutput } from "../config/manifest.js";
import type { IssueFeature, IssueProperties, MismatchFeature } from "./issues.js";

/** CSV columns: property (or derived value), English header, Chinese header. */
const CSV_COLUMNS: Array<{ en: string; zh: string; value: (p: IssueProperties) => string | number }> = [
  { en: "id", zh: "图斑编号", value: (p) => p.id },
  { en: "county_adcode", zh: "县级行政区代码", value: (p) => p.county_adcode },
  { en: "county_name", zh: "县级行政区名称", value: (p) => p.county_name },
  { en: "prefecture_adcode", zh: "地级行政区代码", value: (p) => p.prefecture_adcode },
  { en: "change_type", zh: "变化类型", value: (p) => p.change_type },
  { en: "change_type_zh", zh: "变化类型名称", value: (p) => p.change_type_zh },
  { en: "baseline_class", zh: "基期地类编码", value: (p) => p.baseline_class },
  { en: "area_m2", zh: "面积（平方米）", value: (p) => p.area_m2 },
  { en: "area_mu", zh: "面积（亩）", value: (p) => p.area_mu },
  { en: "pbf_area_m2", zh: "占永久基本农田面积（平方米）", value: (p) => p.pbf_area_m2 },
  { en: "confidence", zh: "置信度", value: (p) => p.confidence },
  { en: "confidence_level", zh: "置信等级", value: (p) => p.confidence_level },
  { en: "before_date", zh: "前时相日期", value: (p) => p.before_date },
  { en: "after_date", zh: "后时相日期", value: (p) => p.after_date },
  { en: "centroid_lon", zh: "中心点经度", value: (p) => p.centroid[0] },
  { en: "centroid_lat", zh: "中心点纬度", value: (p) => p.centroid[1] },
  { en: "first_seen", zh: "首次发现日期", value: (p) => p.first_seen },
  { en: "status", zh: "状态", value: (p) => p.status },
  { en: "tier", zh: "确认等级", value: (p) => p.tier },
  { en: "approvals", zh: "批准文件", value: (p) => p.approvals.join(";") },
  { en: "due_prefecture", zh: "下发地市期限", value: (p) => p.due_prefecture },
  { en: "due_county", zh: "下发县级期限", value: (p) => p.due_county },
  { en: "before_chip", zh: "前时相截图", value: (p) => p.before_chip ?? "" },
  { en: "after_chip", zh: "后时相截图", value: (p) => p.after_chip ?? "" },
  { en: "tile_id", zh: "影像编号", value: (p) => p.tile_id },
  { en: "run_id", zh: "批次编号", value: (p) => p.run_id },
  { en: "model_id", zh: "模型编号", value: (p) => p.model_id },
];

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The CSV text of an issue list, with a UTF-8 BOM. */
export function issuesCsv(issues: readonly IssueFeature[], headers: "en" | "zh"): string {
  const lines = [CSV_COLUMNS.map((c) => csvCell(c[headers])).join(",")];
  for (const f of issues) lines.push(CSV_COLUMNS.map((c) => csvCell(c.value(f.properties))).join(","));
  return "\uFEFF" + lines.join("\r\n") + "\r\n";
}

export interface WrittenLists {
  /** Output-relative paths of the county GeoJSON files, by county adcode. */
  readonly files: Record<string, string>;
}

/** Groups issues by county and writes one GeoJSON + CSV per county. Features sorted by id. */
export async function writeIssueLists(
  outDir: string,
  issues: readonly IssueFeature[],
  counties: ReadonlyArray<{ adcode: string; prefectureAdcode: string }>,
  headers: "en" | "zh",
): Promise<WrittenLists> {
  const byCounty = new Map<string, IssueFeature[]>();
  for (const c of counties) byCounty.set(c.adcode, []);
  for (const f of issues) byCounty.get(f.properties.county_adcode)?.push(f);
  const files: Record<string, string> = {};
  for (const c of counties) {
    const list = (byCounty.get(c.adcode) ?? [])
      .slice()
      .sort((a, b) => (a.properties.id < b.properties.id ? -1 : 1));
    if (list.length === 0) continue;
    const rel = `issues/${c.prefectureAdcode}/${c.adcode}`;
    const fc: FeatureCollection = { type: "FeatureCollection", features: list };
    await writeFileAtomic(insideOutput(outDir, `${rel}.geojson`), JSON.stringify(fc) + "\n");
    await writeFileAtomic(insideOutput(outDir, `${rel}.csv`), issuesCsv(list, headers));
    files[c.adcode] = `${rel}.geojson`;
  }
  return { files };
}

/** Writes `baseline-mismatch.geojson` (all counties). */
export async function writeMismatchLayer(
  outDir: string,
  mismatches: readonly MismatchFeature[],
): Promise<string> {
  const sorted = mismatches.slice().sort((a, b) => (a.properties.id < b.properties.id ? -1 : 1));
  const rel = "baseline-mismatch.geojson";
  await writeFileAtomic(
    insideOutput(outDir, rel),
    JSON.stringify({ type: "FeatureCollection", features: sorted }) + "\n",
  );
  return rel;
}
