/**
 * Joins patches that continue across window seams into one patch, so the result does not depend
 * on how the scene was cut into windows.
 *
 * Patches that reach a window edge are grouped with any patch of the same kind and value in
 * another window whose pixel bounding box touches theirs (a superset of the true neighbours).
 * Each group's bounding box is read back from the windows' change rasters and polygonised once;
 * every polygon found there that contains a member's anchor pixel is a joined patch, and its
 * tallies are the sums of the members it contains. Patches inside a window pass through as they
 * are.
 */
import type { PixelWindow } from "../core/raster-types.js";
import { forEachSpan } from "./polygon-spans.js";
import { polygonizePixels, type Connectivity } from "./polygonize.js";
import { PolygonizeError } from "./polygon-types.js";
import { ANY_CHANGE, anyChangeMask, type PatchKind, type WindowPatch } from "./window-patches.js";

/**
 * Reads the kind's raster (change-type codes, or the mismatch flag) over `bbox` of the mosaic
 * grid. Patches of value {@link ANY_CHANGE} are traced on the mask of any non-zero code.
 */
export type PatchRasterReader = (kind: PatchKind, bbox: PixelWindow) => Promise<Uint8Array>;

/** A patch after joining: like a window patch, with the windows it came from. */
export interface JoinedPatch extends Omit<WindowPatch, "windowId" | "region" | "atWindowEdge"> {
  readonly windowIds: readonly string[];
}

class UnionFind {
  private readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
  }
  find(i: number): number {
    let r = i;
    while (this.parent[r] !== r) r = this.parent[r]!;
    while (this.parent[i] !== r) {
      const next = this.parent[i]!;
      this.parent[i] = r;
      i = next;
    }
    return r;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

function passThrough(p: WindowPatch): JoinedPatch {
  const { windowId, region: _region, atWindowEdge: _edge, ...rest } = p;
  return { ...rest, windowIds: [windowId] };
}

function touches(a: PixelWindow, b: PixelWindow): boolean {
  return a.x0 <= b.x1 && b.x0 <= a.x1 && a.y0 <= b.y1 && b.y0 <= a.y1;
}

/** Joins window patches across seams. Output is sorted by kind, then anchor pixel (raster order). */
export async function joinAcrossSeams(
  patches: readonly WindowPatch[],
  read: PatchRasterReader,
  connectivity: Connectivity,
): Promise<JoinedPatch[]> {
  const out: JoinedPatch[] = [];
  const edge = patches.filter((p) => p.atWindowEdge);
  for (const p of patches) if (!p.atWindowEdge) out.push(passThrough(p));

  const uf = new UnionFind(edge.length);
  const order = edge.map((_, i) => i).sort((a, b) => edge[a]!.bbox.x0 - edge[b]!.bbox.x0);
  for (let oi = 0; oi < order.length; oi++) {
    const a = edge[order[oi]!]!;
    for (let oj = oi + 1; oj < order.length; oj++) {
      const b = edge[order[oj]!]!;
      if (b.bbox.x0 > a.bbox.x1) break; // sorted by x0: nothing further can touch a
      if (a.kind === b.kind && a.value === b.value && a.windowId !== b.windowId && touches(a.bbox, b.bbox)) {
        uf.union(order[oi]!, order[oj]!);
      }
    }
  }
  const groups = new Map<number, WindowPatch[]>();
  edge.forEach((p, i) => {
    const root = uf.find(i);
    const g = groups.get(root);
    if (g) g.push(p);
    else groups.set(root, [p]);
  });

  for (const members of groups.values()) {
    if (members.length === 1) {
      out.push(passThrough(members[0]!));
      continue;
    }
    const first = members[0]!;
    const bbox = {
      x0: Math.min(...members.map((m) => m.bbox.x0)),
      y0: Math.min(...members.map((m) => m.bbox.y0)),
      x1: Math.max(...members.map((m) => m.bbox.x1)),
      y1: Math.max(...members.map((m) => m.bbox.y1)),
    };
    const raw = await read(first.kind, bbox);
    const data = first.kind === "change" && first.value === ANY_CHANGE ? anyChangeMask(raw) : raw;
    const polygons = polygonizePixels(data, bbox.x1 - bbox.x0, bbox.y1 - bbox.y0, {
      connectivity,
      values: [first.value],
      window: bbox,
    });
    const anchors = new Map(members.map((m) => [`${m.firstPixel[0]},${m.firstPixel[1]}`, m]));
    const byRegion = new Map<
      number,
      { polygons: typeof polygons; members: WindowPatch[]; firstPixel: [number, number] | null }
    >();
    for (const poly of polygons) {
      const entry = byRegion.get(poly.region) ?? { polygons: [], members: [], firstPixel: null };
      byRegion.set(poly.region, entry);
      entry.polygons.push(poly);
      forEachSpan(poly, (y, x0, x1) => {
        if (
          entry.firstPixel === null ||
          y < entry.firstPixel[1] ||
          (y === entry.firstPixel[1] && x0 < entry.firstPixel[0])
        ) {
          entry.firstPixel = [x0, y];
        }
        for (const [key, m] of anchors) {
          if (m.firstPixel[1] === y && m.firstPixel[0] >= x0 && m.firstPixel[0] < x1) {
            entry.members.push(m);
            anchors.delete(key);
          }
        }
      });
    }
    if (anchors.size > 0) {
      throw new PolygonizeError(
        `seam join: ${anchors.size} patch anchor(s) not found when re-reading ${JSON.stringify(bbox)}; the window rasters disagree with their patch lists`,
      );
    }
    for (const entry of byRegion.values()) {
      if (entry.members.length === 0) continue; // a piece of some other patch cut by the bbox
      const pixelCount = entry.polygons.reduce((s, p) => s + p.pixelCount, 0);
      const memberPixels = entry.members.reduce((s, m) => s + m.pixelCount, 0);
      if (pixelCount !== memberPixels) {
        throw new PolygonizeError(
          `seam join: joined patch at ${entry.firstPixel?.join(",")} has ${pixelCount} pixels but its window parts have ${memberPixels}`,
        );
      }
      const baselineFeatures: Record<string, number> = {};
      const counties: Record<string, number> = {};
      const exclusions: Record<string, number> = {};
      const types: Record<string, number> = {};
      for (const m of entry.members) {
        addCounts(types, m.types);
        addCounts(baselineFeatures, m.baselineFeatures);
        addCounts(counties, m.counties);
        addCounts(exclusions, m.exclusions);
      }
      const polyBbox = {
        x0: Math.min(...entry.polygons.map((p) => p.bbox.x0)),
        y0: Math.min(...entry.polygons.map((p) => p.bbox.y0)),
        x1: Math.max(...entry.polygons.map((p) => p.bbox.x1)),
        y1: Math.max(...entry.polygons.map((p) => p.bbox.y1)),
      };
      out.push({
        kind: first.kind,
        value: first.value,
        types,
        firstPixel: entry.firstPixel ?? [polyBbox.x0, polyBbox.y0],
        bbox: polyBbox,
        polygons: entry.polygons.map((p) => p.rings.map((r) => Array.from(r))),
        pixelCount,
        confidenceSum: entry.members.reduce((s, m) => s + m.confidenceSum, 0),
        pbfPixels: entry.members.reduce((s, m) => s + m.pbfPixels, 0),
        baselineFeatures,
        counties,
        exclusions,
        windowIds: [...new Set(entry.members.map((m) => m.windowId))].sort(),
      });
    }
  }
  out.sort((a, b) =>
    a.kind !== b.kind
      ? a.kind < b.kind
        ? -1
        : 1
      : a.firstPixel[1] - b.firstPixel[1] || a.firstPixel[0] - b.firstPixel[0] || a.value - b.value,
  );
  return out;
}
