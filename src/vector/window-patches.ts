/**
 * Vectorising one window: its change and mismatch rasters become pixel-edge polygons with the
 * per-patch tallies the issue list needs (pixels, confidence, PBF pixels, which baseline parcels,
 * counties and approvals lie under it), plus per-county cropland coverage. Patches cut by the
 * window's edge are marked so the assembly can join them with their neighbours across the seam.
 */
import type { MultiPolygon, Polygon } from "geojson";
import type { PixelWindow } from "../core/raster-types.js";
import type { WindowRasters } from "../detect/window-stage.js";
import { forEachSpan } from "./polygon-spans.js";
import { polygonizePixels, type Connectivity } from "./polygonize.js";

/** change: change-type codes; mismatch: baseline mismatch; unobserved: baseline cropland not observed (1 after date, 2 before date, 3 both). */
export type PatchKind = "change" | "mismatch" | "unobserved";

/**
 * The value of a "change" patch that stands for any change type (patch typing "dominant"): the
 * patch is a connected area of changed pixels, whatever their type, with per-type pixel counts in
 * {@link WindowPatch.types}; its type is decided after joining across seams.
 */
export const ANY_CHANGE = 255;

/** How change patches are cut: per connected changed area ("dominant") or per type ("per-type"). */
export type PatchTyping = "dominant" | "per-type";

/** 1 where `codes` is non-zero: the mask of any change, polygonised as {@link ANY_CHANGE}. */
export function anyChangeMask(codes: Uint8Array): Uint8Array {
  const out = new Uint8Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = codes[i]! > 0 ? ANY_CHANGE : 0;
  return out;
}

/** One patch as found in one window, in mosaic pixel coordinates. JSON-serialisable. */
export interface WindowPatch {
  readonly kind: PatchKind;
  /**
   * Change-type code or {@link ANY_CHANGE} (kind "change"), 1 (kind "mismatch"), or the
   * unobserved code (kind "unobserved": 1 after date, 2 before date, 3 both).
   */
  readonly value: number;
  /** Pixels per change-type code (kind "change"; empty for "mismatch" and "unobserved"). */
  readonly types: Readonly<Record<string, number>>;
  readonly windowId: string;
  /** Connected-region id within the window (parts of one 8-connected region share it). */
  readonly region: number;
  /** Top-left pixel of the patch in raster order: the anchor of its stable id. */
  readonly firstPixel: readonly [number, number];
  readonly bbox: PixelWindow;
  /**
   * Polygons (one, or several 4-connected parts of an 8-connected region), each a list of flat
   * rings [x0, y0, x1, y1, …] in mosaic pixel corners; ring 0 is the exterior.
   */
  readonly polygons: readonly (readonly number[][])[];
  readonly pixelCount: number;
  readonly confidenceSum: number;
  readonly pbfPixels: number;
  /** Pixel count per baseline feature number (index + 1). */
  readonly baselineFeatures: Readonly<Record<string, number>>;
  /** Pixel count per county feature number (index + 1); 0 = outside every county. */
  readonly counties: Readonly<Record<string, number>>;
  /** Pixel count per approval feature number (index + 1). */
  readonly exclusions: Readonly<Record<string, number>>;
  /** True when the patch reaches the window's edge (and may continue in the next window). */
  readonly atWindowEdge: boolean;
  /**
   * The patch's issue-list geometry, when its window job could compute it: a patch that reaches
   * no window edge is final there (see report/issues.ts, `patchLonLat`).
   */
  readonly lonLat?: PatchLonLat;
}

/** A patch's issue-list geometry: simplified lon/lat polygon(s), ellipsoidal area, centroid. */
export interface PatchLonLat {
  readonly geometry: Polygon | MultiPolygon;
  readonly areaM2: number;
  readonly centroid: [number, number];
}

export interface WindowPatches {
  readonly windowId: string;
  readonly window: PixelWindow;
  readonly patches: readonly WindowPatch[];
  /** Per county number: baseline cropland pixels and m², those observed on both dates, and on the after date. */
  readonly coverage: Readonly<Record<string, CoverageTally>>;
  readonly undetectable: readonly string[];
}

/** Baseline cropland of one county in one window: pixels and ellipsoidal m². */
export interface CoverageTally {
  cropland: number;
  observed: number;
  observedAfter: number;
  croplandM2: number;
  observedM2: number;
  observedAfterM2: number;
}

/** A tally of nothing: every count and area 0. */
export function emptyCoverageTally(): CoverageTally {
  return { cropland: 0, observed: 0, observedAfter: 0, croplandM2: 0, observedM2: 0, observedAfterM2: 0 };
}

function tally(counts: Record<string, number>, key: number, n: number): void {
  if (key === 0) return;
  counts[key] = (counts[key] ?? 0) + n;
}

/** Change codes that can be patches (every non-zero byte, ANY_CHANGE included). */
const CHANGE_CODES = Array.from({ length: 255 }, (_, i) => i + 1);

export interface WindowPatchOptions {
  /** Skip the mismatch and unobserved layers and the tracing of the no-change background (same change patches, less work; `patrol tune` uses it). */
  readonly changesOnly?: boolean;
  /**
   * Patches away from the window's edge are final (nothing joins them across a seam); one for
   * which this returns true is left out (the run would drop it anyway: a baseline mismatch too
   * small to report, say).
   */
  readonly dropInterior?: (
    kind: PatchKind,
    bbox: PixelWindow,
    polygons: readonly (readonly Int32Array[])[],
  ) => boolean;
}

/** Vectorises a window's rasters. Pure: no I/O. */
export function patchesOfWindow(
  r: WindowRasters,
  connectivity: Connectivity,
  typing: PatchTyping = "dominant",
  options: WindowPatchOptions = {},
): WindowPatches {
  const { window, width } = r;
  const patches: WindowPatch[] = [];
  const layers = [
    ["change", typing === "dominant" ? anyChangeMask(r.changeCode) : r.changeCode],
    ["mismatch", r.mismatch],
    ["unobserved", r.unobservedCropland],
  ] as const;
  for (const [kind, data] of options.changesOnly ? layers.slice(0, 1) : layers) {
    const polygons = polygonizePixels(data, width, r.height, {
      connectivity,
      ...(kind === "mismatch"
        ? { values: [1] }
        : kind === "unobserved"
          ? { values: [1, 2, 3] }
          : options.changesOnly
            ? { values: CHANGE_CODES }
            : {}),
      window,
    });
    // Parts of one 8-connected region share a region id and become one patch.
    const byRegion = new Map<number, typeof polygons>();
    for (const p of polygons) {
      if (p.value === 0) continue;
      const list = byRegion.get(p.region);
      if (list) list.push(p);
      else byRegion.set(p.region, [p]);
    }
    for (const [region, parts] of byRegion) {
      const bbox = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
      for (const p of parts) {
        bbox.x0 = Math.min(bbox.x0, p.bbox.x0);
        bbox.y0 = Math.min(bbox.y0, p.bbox.y0);
        bbox.x1 = Math.max(bbox.x1, p.bbox.x1);
        bbox.y1 = Math.max(bbox.y1, p.bbox.y1);
      }
      const atWindowEdge =
        bbox.x0 === window.x0 || bbox.y0 === window.y0 || bbox.x1 === window.x1 || bbox.y1 === window.y1;
      if (
        !atWindowEdge &&
        options.dropInterior?.(
          kind,
          bbox,
          parts.map((p) => p.rings),
        )
      )
        continue;
      let confidenceSum = 0;
      let pbfPixels = 0;
      let pixelCount = 0;
      let firstPixel: [number, number] | null = null;
      const baselineFeatures: Record<string, number> = {};
      const counties: Record<string, number> = {};
      const exclusions: Record<string, number> = {};
      const types: Record<string, number> = {};
      for (const p of parts) {
        pixelCount += p.pixelCount;
        forEachSpan(p, (y, x0, x1) => {
          if (firstPixel === null || y < firstPixel[1] || (y === firstPixel[1] && x0 < firstPixel[0]))
            firstPixel = [x0, y];
          const row = (y - window.y0) * width - window.x0;
          for (let x = x0; x < x1; x++) {
            const i = row + x;
            if (kind === "change") confidenceSum += r.confidence[i]!;
            pbfPixels += r.pbf[i]!;
            tally(baselineFeatures, r.baselineFeature[i]!, 1);
            tally(counties, r.county[i]!, 1);
            tally(exclusions, r.exclusion[i]!, 1);
            if (kind === "change") tally(types, r.changeCode[i]!, 1);
          }
        });
      }
      patches.push({
        kind,
        value: parts[0]!.value,
        types,
        windowId: r.windowId,
        region,
        firstPixel: firstPixel ?? [bbox.x0, bbox.y0],
        bbox,
        polygons: parts.map((p) => p.rings.map((ring) => Array.from(ring))),
        pixelCount,
        confidenceSum,
        pbfPixels,
        baselineFeatures,
        counties,
        exclusions,
        atWindowEdge,
      });
    }
  }
  const coverage: Record<string, CoverageTally> = {};
  for (let i = 0; i < r.cropland.length; i++) {
    if (r.cropland[i] === 0) continue;
    const c = r.county[i]!;
    const a = r.rowAreaM2[Math.floor(i / width)]!;
    const entry = (coverage[c] ??= emptyCoverageTally());
    const after = (r.unobservedCropland[i]! & 1) === 0 ? 1 : 0;
    entry.cropland++;
    entry.observed += r.observed[i]!;
    entry.observedAfter += after;
    entry.croplandM2 += a;
    entry.observedM2 += a * r.observed[i]!;
    entry.observedAfterM2 += a * after;
  }
  return { windowId: r.windowId, window, patches, coverage, undetectable: r.undetectable };
}
