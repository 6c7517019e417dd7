/**
 * The run's review index (`review/index.html`): every county of the run with its issue counts
 * (by change type) and a link to its page. No script.
 */
import { CHANGE_TYPE_IDS, changeType } from "../core/change-types.js";
import { escapeHtml } from "./html-escape.js";
import { pageDocument } from "./page-document.js";
import { REVIEW_CSS } from "./page-style.js";

/** What the index shows of one county (a run summary's county entry has all of it). */
export interface IndexCounty {
  readonly adcode: string;
  readonly name: string;
  readonly prefectureAdcode: string;
  readonly issues: number;
  readonly approved: number;
  readonly areaM2: number;
  readonly byType: Readonly<Record<string, { readonly count: number }>>;
}

export interface IndexPageInput {
  readonly run: { readonly runId: string; readonly month: string; readonly status?: string };
  readonly counties: readonly IndexCounty[];
  /** Index-relative link of each county's page, by adcode; counties without a page are listed unlinked. */
  readonly pages: ReadonlyMap<string, string>;
  /** Why a county's page could not be written, by adcode. */
  readonly failed?: ReadonlyMap<string, string>;
}

/** The index page as an HTML document. */
export function indexPageHtml(input: IndexPageInput): string {
  const { run, counties, pages } = input;
  const types = CHANGE_TYPE_IDS.filter((t) => counties.some((c) => (c.byType[t]?.count ?? 0) > 0));
  const sorted = [...counties].sort((a, b) =>
    a.prefectureAdcode !== b.prefectureAdcode
      ? a.prefectureAdcode < b.prefectureAdcode
        ? -1
        : 1
      : a.adcode < b.adcode
        ? -1
        : a.adcode > b.adcode
          ? 1
          : 0,
  );
  const rows = sorted.map((c) => {
    const href = pages.get(c.adcode);
    const reason = input.failed?.get(c.adcode);
    const name =
      escapeHtml(c.name) +
      (reason ? `<br><small class="failed">page not written: ${escapeHtml(reason)}</small>` : "");
    return `<tr data-adcode="${escapeHtml(c.adcode)}"><td>${escapeHtml(c.prefectureAdcode)}</td><td>${escapeHtml(c.adcode)}</td><td>${href ? `<a href="${escapeHtml(href)}">${name}</a>` : name}</td><td class="num issues">${c.issues}</td><td class="num">${c.approved}</td><td class="num">${escapeHtml((c.areaM2 / (10000 / 15)).toFixed(1))}</td>${types.map((t) => `<td class="num">${c.byType[t]?.count ?? 0}</td>`).join("")}</tr>`;
  });
  const total = counties.reduce((s, c) => s + c.issues, 0);
  const body = `<header>
<p>Run ${escapeHtml(run.runId)} · ${escapeHtml(run.month)}${run.status ? ` · ${escapeHtml(run.status)}` : ""}</p>
<h1>Issue review</h1>
<p>${total} issues in ${counties.filter((c) => c.issues > 0).length} counties. A patch is a lead for field verification (实地核查), never a verdict.</p>
</header>
<main>
<table id="counties">
<thead><tr><th>Prefecture</th><th>Adcode</th><th>County</th><th>Issues</th><th>Approved</th><th>Area mu</th>${types.map((t) => `<th>${escapeHtml(changeType(t).nameZh)}<br><small>${escapeHtml(t)}</small></th>`).join("")}</tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
</main>`;
  return pageDocument({ title: `Issue review · ${run.runId}`, body, style: REVIEW_CSS, script: null });
}
