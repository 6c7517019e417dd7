/**
 * The HTML of one county's review page: the county's issues as a sortable, filterable table with
 * their before/after chips, and the overview of the after image with every patch outlined and
 * linked to its row. A pure function of its input; every data string is escaped.
 */
import { CHANGE_TYPE_IDS, CHANGE_TYPES } from "../core/change-types.js";
import { escapeHtml, outputRelativeHref } from "./html-escape.js";
import { pageDocument } from "./page-document.js";
import { REVIEW_SCRIPT } from "./page-script.js";
import { REVIEW_CSS } from "./page-style.js";
import type { ReviewIssue } from "./review-issues.js";

/** Folders between the output folder and a county page (`review/<prefecture>/`). */
export const COUNTY_PAGE_DEPTH = 2;

export interface CountyPageInput {
  readonly run: { readonly runId: string; readonly month: string };
  readonly county: { readonly adcode: string; readonly name: string; readonly prefectureAdcode: string };
  readonly issues: readonly ReviewIssue[];
  /** SVG path data of each issue in overview pixels, in the order of `issues`. */
  readonly paths: readonly string[];
  readonly overview: {
    /** Page-relative link to the overview PNG. */
    readonly href: string;
    readonly width: number;
    readonly height: number;
    /** Ground size of one overview pixel, metres. */
    readonly pixelSizeM: number;
    /** Rows of the after image that could not be read (drawn black). */
    readonly unreadRows: number;
  };
  /** Output-relative path of the county's issue list (GeoJSON; the CSV sits beside it). */
  readonly listFile: string;
}

const STATUS_ORDER = ["new", "persisting", "resolved", "approved"];
const LEVEL_ORDER = ["high", "medium", "low"];
const typeInfo = new Map(CHANGE_TYPES.map((t) => [t.id as string, t]));

/** Distinct values in a preferred order, then the rest sorted. */
function ordered(values: Iterable<string>, preferred: readonly string[]): string[] {
  const set = new Set(values);
  return [...preferred.filter((v) => set.has(v)), ...[...set].filter((v) => !preferred.includes(v)).sort()];
}

function typeLabel(type: string): string {
  const t = typeInfo.get(type);
  return t ? `${t.nameEn} · ${t.nameZh}` : type;
}

function tierOf(issue: ReviewIssue): string {
  const t = issue.properties.tier;
  return t === undefined || t === null ? "" : String(t);
}

function select(id: string, label: string, options: ReadonlyArray<{ value: string; label: string }>): string {
  const opts = options.map((o) => `<option value="${escapeHtml(o.value)}">${escapeHtml(o.label)}</option>`);
  return `<label>${escapeHtml(label)}<select id="${id}"><option value="">all</option>${opts.join("")}</select></label>`;
}

function countOf(issues: readonly ReviewIssue[], pick: (i: ReviewIssue) => string): (v: string) => number {
  const counts = new Map<string, number>();
  for (const i of issues) counts.set(pick(i), (counts.get(pick(i)) ?? 0) + 1);
  return (v) => counts.get(v) ?? 0;
}

function chipCell(path: string | null | undefined, which: string, date: string | undefined): string {
  const href = outputRelativeHref(path, COUNTY_PAGE_DEPTH);
  if (href === null) return `<td class="chip">—</td>`;
  const alt = `${which}${date ? ` ${date}` : ""}`;
  return `<td class="chip"><a href="${escapeHtml(href)}"><img src="${escapeHtml(href)}" alt="${escapeHtml(alt)}" title="${escapeHtml(alt)}" loading="lazy" decoding="async"></a></td>`;
}

function row(issue: ReviewIssue, withTier: boolean): string {
  const p = issue.properties;
  const id = escapeHtml(p.id);
  const level = p.confidence_level;
  const levelRank = LEVEL_ORDER.includes(level) ? LEVEL_ORDER.length - LEVEL_ORDER.indexOf(level) : 0;
  const attrs = [
    `id="issue-${id}"`,
    `data-id="${id}"`,
    `data-type="${escapeHtml(p.change_type)}"`,
    `data-status="${escapeHtml(p.status)}"`,
    `data-level="${escapeHtml(level)}"`,
    `data-level-rank="${levelRank}"`,
    `data-tier="${escapeHtml(tierOf(issue))}"`,
    `data-area="${p.area_m2}"`,
    `data-mu="${p.area_mu}"`,
    `data-pbf="${p.pbf_area_m2}"`,
    `data-confidence="${p.confidence}"`,
  ];
  const zh = p.change_type_zh ?? typeInfo.get(p.change_type)?.nameZh ?? "";
  const en = typeInfo.get(p.change_type)?.nameEn ?? p.change_type;
  const cells = [
    `<td class="id">${id}</td>`,
    `<td class="type" title="${escapeHtml(en)}"><span class="swatch" data-type="${escapeHtml(p.change_type)}"></span>${escapeHtml(zh || en)}<br><small>${escapeHtml(p.change_type)}</small></td>`,
    `<td class="num">${escapeHtml(p.area_m2.toFixed(0))}</td>`,
    `<td class="num">${escapeHtml(p.area_mu.toFixed(2))}</td>`,
    `<td class="num">${escapeHtml(p.pbf_area_m2.toFixed(0))}</td>`,
    `<td class="num">${escapeHtml(p.confidence.toFixed(2))}</td>`,
    `<td class="level-${escapeHtml(level)}">${escapeHtml(level)}</td>`,
    `<td class="status">${escapeHtml(p.status)}</td>`,
    ...(withTier ? [`<td>${escapeHtml(tierOf(issue))}</td>`] : []),
    `<td>${escapeHtml(p.baseline_class ?? "")}</td>`,
    chipCell(p.before_chip, "before", p.before_date),
    chipCell(p.after_chip, "after", p.after_date),
  ];
  return `<tr ${attrs.join(" ")}>${cells.join("")}</tr>`;
}

function header(key: string | null, label: string, numeric = false): string {
  if (key === null) return `<th>${escapeHtml(label)}</th>`;
  return `<th data-sort="${key}"${numeric ? ' data-sort-type="number"' : ""}><button type="button">${escapeHtml(label)}</button></th>`;
}

/** The county page as an HTML document. */
export function countyPageHtml(input: CountyPageInput): string {
  const { run, county, issues, overview } = input;
  if (input.paths.length !== issues.length) throw new RangeError("one overlay path per issue");
  const withTier = issues.some((i) => tierOf(i) !== "");
  const types = ordered(
    issues.map((i) => i.properties.change_type),
    CHANGE_TYPE_IDS,
  );
  const typeCount = countOf(issues, (i) => i.properties.change_type);
  const statuses = ordered(
    issues.map((i) => i.properties.status),
    STATUS_ORDER,
  );
  const statusCount = countOf(issues, (i) => i.properties.status);
  const levels = ordered(
    issues.map((i) => i.properties.confidence_level),
    LEVEL_ORDER,
  );
  const levelCount = countOf(issues, (i) => i.properties.confidence_level);
  const tiers = ordered(
    issues.map(tierOf).filter((t) => t !== ""),
    [],
  );
  const tierCount = countOf(issues, tierOf);
  const totalM2 = issues.reduce((s, i) => s + i.properties.area_m2, 0);
  const pbfM2 = issues.reduce((s, i) => s + i.properties.pbf_area_m2, 0);
  const listBase = input.listFile.replace(/\.geojson$/, "");
  const listHref = outputRelativeHref(`${listBase}.geojson`, COUNTY_PAGE_DEPTH);
  const csvHref = outputRelativeHref(`${listBase}.csv`, COUNTY_PAGE_DEPTH);

  const shapes = issues.map((issue, k) => {
    const p = issue.properties;
    const id = escapeHtml(p.id);
    const tip = `${p.id} · ${typeLabel(p.change_type)} · ${p.area_m2.toFixed(0)} m² · ${p.status}`;
    return `<a class="patch-link" href="#issue-${escapeHtml(encodeURIComponent(p.id))}" data-id="${id}"><path class="patch" data-type="${escapeHtml(p.change_type)}" fill-rule="evenodd" d="${escapeHtml(input.paths[k]!)}"><title>${escapeHtml(tip)}</title></path></a>`;
  });
  const legend = types.map(
    (t) =>
      `<span><span class="swatch" data-type="${escapeHtml(t)}"></span>${escapeHtml(typeLabel(t))} (${typeCount(t)})</span>`,
  );

  const body = `<header>
<p><a href="../index.html">All counties</a> · run ${escapeHtml(run.runId)} · ${escapeHtml(run.month)}</p>
<h1 id="county-name">${escapeHtml(county.name)}</h1>
<p>County ${escapeHtml(county.adcode)}, prefecture ${escapeHtml(county.prefectureAdcode)}: <strong id="issue-count">${issues.length}</strong> issues, ${escapeHtml((totalM2 / (10000 / 15)).toFixed(1))} mu (${escapeHtml(totalM2.toFixed(0))} m²), of which on permanent basic farmland ${escapeHtml(pbfM2.toFixed(0))} m².
${listHref ? `Issue list: <a href="${escapeHtml(listHref)}">GeoJSON</a>` : ""}${csvHref ? ` · <a href="${escapeHtml(csvHref)}">CSV</a>` : ""}</p>
<p class="note">A patch is a lead for field verification (实地核查), never a verdict. Mark false alarms before the list is sent out.</p>
${overview.unreadRows > 0 ? `<p class="warning">${overview.unreadRows} rows of the after image could not be read and are drawn black.</p>` : ""}
</header>
<main class="layout">
<section class="map-panel" aria-label="After image with the patches">
<div class="map"><img id="overview" src="${escapeHtml(overview.href)}" width="${overview.width}" height="${overview.height}" alt="After image of the county's patches"><svg id="overlay" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${overview.width} ${overview.height}" preserveAspectRatio="none">${shapes.join("")}</svg></div>
<p class="legend">${legend.join(" ")}</p>
<p>After image, true colour, stretched 2–98 %; one overview pixel ≈ ${escapeHtml(overview.pixelSizeM.toFixed(1))} m. Click a patch to find its row.</p>
</section>
<section class="list-panel" aria-label="Issues">
<div class="filters">
${select(
  "f-type",
  "Change type",
  types.map((t) => ({ value: t, label: `${typeLabel(t)} (${typeCount(t)})` })),
)}
${select(
  "f-status",
  "Status",
  statuses.map((s) => ({ value: s, label: `${s} (${statusCount(s)})` })),
)}
${select(
  "f-level",
  "Confidence",
  levels.map((l) => ({ value: l, label: `${l} (${levelCount(l)})` })),
)}
${
  withTier
    ? select(
        "f-tier",
        "Tier",
        tiers.map((t) => ({ value: t, label: `${t} (${tierCount(t)})` })),
      )
    : ""
}
<label>Min. area (m²)<input id="f-min-area" type="number" min="0" step="any" inputmode="decimal"></label>
<span>Showing <strong id="shown-count">${issues.length}</strong> of ${issues.length}</span>
</div>
<table id="issues">
<thead><tr>${[
    header("id", "ID"),
    header("type", "Change type"),
    header("area", "Area m²", true),
    header("mu", "Area mu", true),
    header("pbf", "PBF m²", true),
    header("confidence", "Conf.", true),
    header("level-rank", "Level", true),
    header("status", "Status"),
    ...(withTier ? [header("tier", "Tier")] : []),
    header(null, "DLBM"),
    header(null, "Before"),
    header(null, "After"),
  ].join("")}</tr></thead>
<tbody id="issue-rows">
${issues.map((i) => row(i, withTier)).join("\n")}
</tbody>
</table>
</section>
</main>`;
  return pageDocument({
    title: `Review ${county.name} (${county.adcode}) · ${run.runId}`,
    body,
    style: REVIEW_CSS,
    script: REVIEW_SCRIPT,
  });
}
