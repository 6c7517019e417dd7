/**
 * Before/after image chips per issue: true colour, contrast-stretched (2–98 % per band over the
 * chip), the patch outline drawn in, with some context around it. What a field team looks at
 * first, so they are PNGs any phone opens.
 */
import sharp from "sharp";
import type { Affine, PixelWindow } from "../core/raster-types.js";
import { mapToPixel } from "../core/raster-types.js";
import { coordinateTransform } from "../ingest/crs.js";
import { readMosaicWindow, type Mosaic } from "../ingest/mosaic.js";
import type { SensorProfile } from "../ingest/sensor-profile.js";
import { stretchToBytes, trueColourBands } from "../ingest/true-colour.js";
import type { IssueFeature } from "./issues.js";

export interface ChipOptions {
  readonly contextM: number;
  readonly maxSizePx: number;
}

/** The chip window (mosaic pixels) for an issue: its bounding box plus context, clamped to nothing. */
export function chipWindow(issue: IssueFeature, crs: string, affine: Affine, contextM: number): PixelWindow {
  const t = coordinateTransform("EPSG:4326", crs);
  const polys = issue.geometry.type === "Polygon" ? [issue.geometry.coordinates] : issue.geometry.coordinates;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const p of polys) {
    for (const [lon, lat] of p[0]!) {
      const m = t.forward(lon!, lat!);
      const px = mapToPixel(affine, m.x, m.y);
      x0 = Math.min(x0, px.col);
      y0 = Math.min(y0, px.row);
      x1 = Math.max(x1, px.col);
      y1 = Math.max(y1, px.row);
    }
  }
  const margin = Math.ceil(contextM / Math.abs(affine.pixelWidth));
  return {
    x0: Math.floor(x0) - margin,
    y0: Math.floor(y0) - margin,
    x1: Math.ceil(x1) + margin,
    y1: Math.ceil(y1) + margin,
  };
}

/** SVG path of the issue's rings in chip pixel coordinates (scaled by `scale`). */
function outlinePath(
  issue: IssueFeature,
  crs: string,
  affine: Affine,
  window: PixelWindow,
  scale: number,
): string {
  const t = coordinateTransform("EPSG:4326", crs);
  const polys = issue.geometry.type === "Polygon" ? [issue.geometry.coordinates] : issue.geometry.coordinates;
  const parts: string[] = [];
  for (const p of polys) {
    for (const ring of p) {
      const pts = ring.map(([lon, lat]) => {
        const m = t.forward(lon!, lat!);
        const px = mapToPixel(affine, m.x, m.y);
        return `${((px.col - window.x0) * scale).toFixed(1)},${((px.row - window.y0) * scale).toFixed(1)}`;
      });
      parts.push(`M${pts.join("L")}Z`);
    }
  }
  return parts.join("");
}

/** Renders one chip of `mosaic` for `issue` as PNG bytes. */
export async function renderChip(
  issue: IssueFeature,
  mosaic: Mosaic,
  profile: SensorProfile,
  options: ChipOptions,
): Promise<Buffer> {
  const window = chipWindow(issue, mosaic.crs, mosaic.affine, options.contextM);
  const w = window.x1 - window.x0;
  const h = window.y1 - window.y0;
  const block = await readMosaicWindow(mosaic, window, { bands: trueColourBands(profile) });
  const rgb = block.bands.map((b) => stretchToBytes(b, block.observed));
  const interleaved = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) interleaved[i * 3 + c] = rgb[c]![i]!;
  // Small patches are enlarged by whole pixels (crisp), large ones shrunk to fit.
  const fit = options.maxSizePx / Math.max(w, h);
  const scale = fit >= 1 ? Math.floor(fit) : fit;
  const outW = Math.max(1, Math.round(w * scale));
  const outH = Math.max(1, Math.round(h * scale));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${outW}" height="${outH}"><path d="${outlinePath(issue, mosaic.crs, mosaic.affine, window, scale)}" fill="none" stroke="#ffea00" stroke-width="${Math.max(1.5, scale / 2)}" fill-rule="evenodd"/></svg>`;
  return sharp(interleaved, { raw: { width: w, height: h, channels: 3 } })
    .resize(outW, outH, { kernel: fit >= 1 ? "nearest" : "lanczos3" })
    .composite([{ input: Buffer.from(svg), left: 0, top: 0 }])
    .png()
    .toBuffer();
}
