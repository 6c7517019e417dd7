/**
 * Precision–recall curves of one change type as an SVG (rendered to PNG with sharp): object
 * level on the left, pixel level on the right; one line per minimum area, a point per threshold
 * (lower thresholds to the right), the target as a dashed line, the run's setting as a square and
 * the recommended one as a ring.
 */
import sharp from "sharp";
import type { TypeRecommendation, TuneTarget } from "./recommend.js";
import type { SweepPoint, SweepResult } from "./sweep.js";

const PANEL = 360;
const MARGIN = { left: 52, right: 16, top: 58, bottom: 44 };
const PANEL_W = PANEL + MARGIN.left + MARGIN.right;
const HEIGHT = PANEL + MARGIN.top + MARGIN.bottom + 26;
const escape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A colour per line, from dark blue (small minimum areas) to orange (large). */
function colour(k: number, n: number): string {
  const t = n <= 1 ? 0 : k / (n - 1);
  const h = 220 - 190 * t;
  return `hsl(${h.toFixed(0)},70%,${(38 + 10 * t).toFixed(0)}%)`;
}

function panel(
  x0: number,
  title: string,
  level: "object" | "pixel",
  points: readonly SweepPoint[],
  sweep: SweepResult,
  rec: TypeRecommendation,
  target: TuneTarget,
): string {
  const px = (r: number): number => x0 + MARGIN.left + r * PANEL;
  const py = (p: number): number => MARGIN.top + (1 - p) * PANEL;
  const out: string[] = [];
  out.push(`<rect x="${px(0)}" y="${py(1)}" width="${PANEL}" height="${PANEL}" fill="#fff" stroke="#444"/>`);
  for (let g = 0; g <= 10; g++) {
    const v = g / 10;
    out.push(`<line x1="${px(v)}" y1="${py(0)}" x2="${px(v)}" y2="${py(1)}" stroke="#eee"/>`);
    out.push(`<line x1="${px(0)}" y1="${py(v)}" x2="${px(1)}" y2="${py(v)}" stroke="#eee"/>`);
    if (g % 2 === 0) {
      out.push(
        `<text x="${px(v)}" y="${py(0) + 16}" font-size="11" text-anchor="middle">${v.toFixed(1)}</text>`,
      );
      out.push(
        `<text x="${px(0) - 6}" y="${py(v) + 4}" font-size="11" text-anchor="end">${v.toFixed(1)}</text>`,
      );
    }
  }
  out.push(`<text x="${px(0.5)}" y="${py(0) + 34}" font-size="12" text-anchor="middle">recall</text>`);
  out.push(
    `<text x="${x0 + 14}" y="${py(0.5)}" font-size="12" text-anchor="middle" transform="rotate(-90 ${x0 + 14} ${py(0.5)})">precision</text>`,
  );
  out.push(
    `<text x="${px(0.5)}" y="${MARGIN.top - 10}" font-size="13" text-anchor="middle">${escape(title)}</text>`,
  );
  if (target.measure === "precision" || level === "object") {
    const v = target.value;
    out.push(
      target.measure === "precision"
        ? `<line x1="${px(0)}" y1="${py(v)}" x2="${px(1)}" y2="${py(v)}" stroke="#c00" stroke-dasharray="5,4"/>`
        : `<line x1="${px(v)}" y1="${py(0)}" x2="${px(v)}" y2="${py(1)}" stroke="#c00" stroke-dasharray="5,4"/>`,
    );
  }
  sweep.minAreasM2.forEach((a, k) => {
    const line = points
      .filter((p) => p.minAreaM2 === a && p[level].precision !== null && p[level].recall !== null)
      .sort((p, q) => p.threshold - q.threshold);
    if (line.length === 0) return;
    const c = colour(k, sweep.minAreasM2.length);
    out.push(
      `<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${line
        .map((p) => `${px(p[level].recall!).toFixed(1)},${py(p[level].precision!).toFixed(1)}`)
        .join(" ")}"/>`,
    );
    for (const p of line)
      out.push(
        `<circle cx="${px(p[level].recall!).toFixed(1)}" cy="${py(p[level].precision!).toFixed(1)}" r="2.2" fill="${c}"/>`,
      );
  });
  const mark = (p: SweepPoint | null, shape: "square" | "ring"): void => {
    if (!p || p[level].precision === null || p[level].recall === null) return;
    const x = px(p[level].recall!);
    const y = py(p[level].precision!);
    out.push(
      shape === "square"
        ? `<rect x="${x - 5}" y="${y - 5}" width="10" height="10" fill="none" stroke="#000" stroke-width="1.5"/>`
        : `<circle cx="${x}" cy="${y}" r="7" fill="none" stroke="#c00" stroke-width="2"/>`,
    );
  };
  mark(rec.current, "square");
  mark(rec.chosen, "ring");
  return out.join("\n");
}

/** The SVG of one change type's curves. */
export function prCurveSvg(sweep: SweepResult, rec: TypeRecommendation, target: TuneTarget): string {
  const points = sweep.points.filter((p) => p.changeType === rec.changeType);
  const width = 2 * PANEL_W;
  const legend = sweep.minAreasM2
    .map((a, k) => {
      const x = 20 + k * ((width - 40) / sweep.minAreasM2.length);
      const y = HEIGHT - 10;
      return `<line x1="${x}" y1="${y - 4}" x2="${x + 18}" y2="${y - 4}" stroke="${colour(k, sweep.minAreasM2.length)}" stroke-width="3"/><text x="${x + 22}" y="${y}" font-size="11">≥${a} m²</text>`;
    })
    .join("\n");
  const chosen = rec.chosen
    ? `recommended: threshold ${rec.chosen.threshold}, min area ${rec.chosen.minAreaM2} m² (ring)`
    : `no setting reaches ${target.measure} ${target.value}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEIGHT}" viewBox="0 0 ${width} ${HEIGHT}" font-family="DejaVu Sans, sans-serif">`,
    `<rect width="100%" height="100%" fill="#fafafa"/>`,
    `<text x="${width / 2}" y="16" font-size="14" text-anchor="middle" font-weight="bold">${escape(
      `${rec.changeType}: precision–recall over thresholds ${sweep.thresholds[0]}–${sweep.thresholds.at(-1)}`,
    )}</text>`,
    `<text x="${width / 2}" y="32" font-size="11" text-anchor="middle">${escape(
      `${chosen}; square: the run's setting; dashed: the target`,
    )}</text>`,
    panel(0, "object level", "object", points, sweep, rec, target),
    panel(PANEL_W, "pixel level", "pixel", points, sweep, rec, target),
    legend,
    `</svg>`,
  ].join("\n");
}

/** Renders {@link prCurveSvg} to PNG bytes. */
export async function prCurvePng(
  sweep: SweepResult,
  rec: TypeRecommendation,
  target: TuneTarget,
): Promise<Buffer> {
  return sharp(Buffer.from(prCurveSvg(sweep, rec, target)))
    .png()
    .toBuffer();
}
