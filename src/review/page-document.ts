/**
 * The frame of every review page: one HTML document with its stylesheet and script inline and a
 * Content-Security-Policy that allows exactly those (by SHA-256 hash) plus images from local files,
 * data: URIs and the page's own origin (should the folder be served from an intranet server), and
 * nothing from anywhere else. Should a data string ever slip past escaping, a
 * script it injects is refused by the browser.
 */
import { createHash } from "node:crypto";
import { escapeHtml } from "./html-escape.js";

function sha256Source(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

/** The Content-Security-Policy of a page with this inline style and (optional) script. */
export function contentSecurityPolicy(style: string, script: string | null): string {
  return [
    "default-src 'none'",
    "img-src 'self' file: data:",
    `style-src ${sha256Source(style)}`,
    `script-src ${script === null ? "'none'" : sha256Source(script)}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
}

export interface PageParts {
  /** Plain text; escaped here. */
  readonly title: string;
  /** Already-escaped HTML of the body. */
  readonly body: string;
  readonly style: string;
  readonly script: string | null;
}

/** A complete HTML document (UTF-8). */
export function pageDocument(parts: PageParts): string {
  return [
    "<!doctype html>",
    '<html lang="zh-CN">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(parts.style, parts.script))}">`,
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(parts.title)}</title>`,
    `<style>${parts.style}</style>`,
    "</head>",
    "<body>",
    parts.body,
    parts.script === null ? "" : `<script>${parts.script}</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
