/**
 * The review pages' stylesheet, inlined into every page (no external resource). Patch colours
 * follow the change type, in the overlay and in the table alike.
 */
import { CHANGE_TYPE_IDS, type ChangeTypeId } from "../core/change-types.js";

/** Outline colour of each change type on the overview (chosen to stand out on farmland). */
export const CHANGE_TYPE_COLOURS: Readonly<Record<ChangeTypeId, string>> = {
  construction: "#ff2d2d",
  pond: "#1ec8ff",
  orchard: "#ff9f1c",
  trees: "#8cff3c",
  turf: "#f5f50a",
  facility: "#e36bff",
  abandonment: "#c89b6d",
};

const typeRules = CHANGE_TYPE_IDS.map(
  (t) =>
    `.patch[data-type="${t}"]{stroke:${CHANGE_TYPE_COLOURS[t]}}` +
    `.swatch[data-type="${t}"]{background:${CHANGE_TYPE_COLOURS[t]}}`,
).join("\n");

/** The CSS of the county and index pages. */
export const REVIEW_CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#1d2327;background:#f4f5f2}
header{padding:12px 20px;background:#24352b;color:#f4f5f2}
header a{color:#bfe3c8}
header h1{margin:2px 0 4px;font-size:22px}
header p{margin:2px 0}
.note{font-style:italic;opacity:.85}
main{padding:12px 20px}
.layout{display:grid;grid-template-columns:minmax(0,5fr) minmax(0,8fr);gap:16px;align-items:start}
@media (max-width:1100px){.layout{grid-template-columns:minmax(0,1fr)}}
.map-panel{position:sticky;top:8px}
.map{position:relative;line-height:0;border:1px solid #9aa39c;background:#000}
.map img{width:100%;height:auto;image-rendering:pixelated}
.map svg{position:absolute;left:0;top:0;width:100%;height:100%}
.patch{fill:rgba(255,255,255,.08);stroke-width:2;vector-effect:non-scaling-stroke;cursor:pointer}
.patch:not([data-type]),.patch[data-type=""]{stroke:#fff}
${typeRules}
.patch-link:hover .patch,.patch-link.selected .patch{stroke:#fff;stroke-width:4;fill:rgba(255,255,255,.25)}
.patch-link.filtered-out{display:none}
.legend{display:flex;flex-wrap:wrap;gap:10px;margin:6px 0;line-height:1.4}
.swatch{display:inline-block;width:12px;height:12px;border:1px solid #333;margin-right:4px;vertical-align:-1px;background:#fff}
.filters{display:flex;flex-wrap:wrap;gap:10px 16px;align-items:end;margin:0 0 8px}
.filters label{display:flex;flex-direction:column;font-size:12px;color:#44504a}
.filters select,.filters input{font:inherit;padding:2px 4px}
.filters input{width:8em}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #d3d8d4;padding:3px 6px;text-align:left;vertical-align:middle}
th{background:#e3e8e4;position:sticky;top:0;z-index:1}
th button{all:unset;cursor:pointer;font-weight:600}
th button:focus-visible{outline:2px solid #2b6}
th[aria-sort=ascending] button::after{content:" \\25B2"}
th[aria-sort=descending] button::after{content:" \\25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.id{font-family:ui-monospace,monospace;font-size:12px}
tr.selected td{background:#fff3b0}
tr[data-status=approved] td.status{color:#2a7a3a;font-weight:600}
td.chip img{display:block;max-width:100px;max-height:100px}
.list-panel{overflow-x:auto}
.level-high{color:#b3261e;font-weight:600}
.level-medium{color:#8a5a00}
.level-low{color:#555}
.warning{color:#ffd479}
.failed{color:#b3261e}
`;
