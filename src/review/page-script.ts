/**
 * The county page's script, inlined (no external resource): filters (change type, status,
 * confidence level, tier, minimum area), sorting by clicking a column header, and the link between
 * a patch on the overview and its table row. The table is complete without it; the script only
 * hides, orders and highlights rows. Plain browser JavaScript, not compiled.
 */
export const REVIEW_SCRIPT = `
(() => {
  "use strict";
  const tbody = document.getElementById("issue-rows");
  const shapes = new Map();
  for (const a of document.querySelectorAll("#overlay .patch-link")) shapes.set(a.getAttribute("data-id"), a);
  const rows = Array.from(tbody.rows, (tr, index) => ({ tr, index, id: tr.getAttribute("data-id"), shape: shapes.get(tr.getAttribute("data-id")) || null }));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const filterKeys = ["type", "status", "level", "tier"];
  const minArea = document.getElementById("f-min-area");
  const shown = document.getElementById("shown-count");

  function applyFilters() {
    const wanted = filterKeys.map((k) => [k, document.getElementById("f-" + k)]).filter(([, el]) => el && el.value !== "");
    const min = parseFloat(minArea.value);
    let n = 0;
    for (const r of rows) {
      let ok = wanted.every(([k, el]) => r.tr.getAttribute("data-" + k) === el.value);
      if (ok && min > 0) ok = parseFloat(r.tr.getAttribute("data-area")) >= min;
      r.tr.hidden = !ok;
      if (r.shape) r.shape.classList.toggle("filtered-out", !ok);
      if (ok) n++;
    }
    shown.textContent = String(n);
  }
  for (const el of document.querySelectorAll(".filters select, .filters input")) {
    el.addEventListener("input", applyFilters);
    el.addEventListener("change", applyFilters);
  }

  let sortKey = null;
  let sortDir = 1;
  const headers = Array.from(document.querySelectorAll("th[data-sort]"));
  for (const th of headers) {
    th.querySelector("button").addEventListener("click", () => {
      const key = th.getAttribute("data-sort");
      sortDir = sortKey === key ? -sortDir : 1;
      sortKey = key;
      const numeric = th.getAttribute("data-sort-type") === "number";
      const value = (r) => r.tr.getAttribute("data-" + key) || "";
      const sorted = rows.slice().sort((a, b) => {
        const d = numeric ? parseFloat(value(a)) - parseFloat(value(b)) : value(a).localeCompare(value(b));
        return d !== 0 ? d * sortDir : a.index - b.index;
      });
      for (const r of sorted) tbody.appendChild(r.tr);
      for (const h of headers) h.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
    });
  }

  let selected = null;
  function select(id, scrollTo) {
    const r = byId.get(id);
    if (!r) return;
    if (selected) {
      selected.tr.classList.remove("selected");
      if (selected.shape) selected.shape.classList.remove("selected");
    }
    selected = r;
    r.tr.classList.add("selected");
    if (r.shape) {
      r.shape.classList.add("selected");
      r.shape.parentNode.appendChild(r.shape);
    }
    if (scrollTo === "row") r.tr.scrollIntoView({ block: "center" });
    if (scrollTo === "map" && r.shape) r.shape.scrollIntoView({ block: "nearest" });
  }
  for (const [id, a] of shapes)
    a.addEventListener("click", (e) => {
      e.preventDefault();
      history.replaceState(null, "", "#issue-" + encodeURIComponent(id));
      select(id, "row");
    });
  for (const r of rows)
    r.tr.addEventListener("click", (e) => {
      if (e.target.closest("a")) return;
      select(r.id, "map");
    });
  if (location.hash.startsWith("#issue-")) select(decodeURIComponent(location.hash.slice(7)), "row");
  applyFilters();
})();
`;
