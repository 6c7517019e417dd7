/**
 * Escaping for the review pages. Every string that comes from data (county names, ids, dates,
 * paths) goes through {@link escapeHtml} before it lands in the page, in text or in a quoted
 * attribute alike; paths to images additionally pass {@link outputRelativeHref}.
 */

const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes `& < > " '`, so the result is safe as element text and inside a quoted attribute value. */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/**
 * A link from a page `depth` folders below the output folder to an output-relative file path
 * (`chips/150100/150121/x-after.png`), or null when the path is not a plain relative path inside
 * the output folder (absolute, `..`, a URL scheme, a query or odd characters): such a path is
 * never put into a page. The result still needs {@link escapeHtml} (it does not change it).
 */
export function outputRelativeHref(outputPath: string | null | undefined, depth: number): string | null {
  if (!outputPath || !/^[A-Za-z0-9._/-]+$/.test(outputPath)) return null;
  const parts = outputPath.split("/");
  if (parts.some((p) => p === "" || p === "." || p === "..")) return null;
  return "../".repeat(depth) + outputPath;
}
