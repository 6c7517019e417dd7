/** The readable table `patrol evaluate` prints: one line per change type, then the confusion. */
import type { Evaluation } from "./evaluate-objects.js";

const f = (v: number | null): string => (v === null ? "  -  " : v.toFixed(3));

/** Formats an evaluation as fixed-width text (the JSON holds the same numbers unrounded). */
export function formatEvaluation(e: Evaluation, title = ""): string {
  const lines: string[] = [];
  if (title) lines.push(title);
  lines.push(`matching: ${e.matchingRule}`);
  if (!e.referenceTyped)
    lines.push("reference carries no change types: each type's row compares it with all reference change");
  lines.push(
    `${"type".padEnd(13)} | ${"pixel P".padStart(7)} ${"R".padStart(5)} ${"F1".padStart(5)} ${"IoU".padStart(5)} | ${"object P".padStart(8)} ${"R".padStart(5)} ${"F1".padStart(5)} ${"IoU".padStart(5)} | pred (hit)  ref (found)`,
  );
  for (const r of e.rows) {
    const p = r.pixel;
    const o = r.object;
    lines.push(
      `${r.changeType.padEnd(13)} | ${f(p.precision).padStart(7)} ${f(p.recall)} ${f(p.f1)} ${f(p.iou)} | ${f(o.precision).padStart(8)} ${f(o.recall)} ${f(o.f1)} ${f(o.iou)} | ${`${o.predicted} (${o.matchedPredicted})`.padStart(10)}  ${`${o.reference} (${o.foundReference})`.padStart(11)}`,
    );
  }
  if (e.confusion) {
    const c = e.confusion;
    const w = Math.max(8, ...c.labels.map((l) => l.length)) + 1;
    for (const [name, m] of [
      ["pixels", c.pixels],
      ["objects", c.objects],
    ] as const) {
      lines.push(`confusion (${name}; rows: reference, columns: predicted)`);
      lines.push("".padEnd(w) + c.labels.map((l) => l.padStart(w)).join(""));
      m.forEach((row, i) =>
        lines.push(c.labels[i]!.padEnd(w) + row.map((v) => String(v).padStart(w)).join("")),
      );
    }
  }
  return lines.join("\n") + "\n";
}
