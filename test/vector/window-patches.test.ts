/**
 * Patch typing: with "dominant" a connected changed area is one patch typed by the change type
 * covering most of it, also when a window seam cuts it into halves of different majorities; with
 * "per-type" each type is its own patch. Unobserved-cropland patches are their own kind beside
 * either typing: their value is the unobserved code (1 after date, 2 before, 3 both), never ANY_CHANGE.
 */
import { describe, expect, it } from "vitest";
import { changeType } from "../../src/core/change-types.js";
import type { PixelWindow } from "../../src/core/raster-types.js";
import type { WindowRasters } from "../../src/detect/window-stage.js";
import { dominantType } from "../../src/report/issues.js";
import { joinAcrossSeams } from "../../src/vector/merge-seams.js";
import { ANY_CHANGE, patchesOfWindow } from "../../src/vector/window-patches.js";

const W = 12;
const H = 6;
const CONSTRUCTION = changeType("construction").code;
const POND = changeType("pond").code;

/** A 12×6 scene: a 2-row band, columns 0–8 construction and 9–11 pond, plus an isolated pond pixel. */
function scene(): Uint8Array {
  const codes = new Uint8Array(W * H);
  for (let y = 1; y <= 2; y++) for (let x = 0; x < W; x++) codes[y * W + x] = x < 9 ? CONSTRUCTION : POND;
  codes[4 * W + 3] = POND;
  return codes;
}

/** Row 5 of the scene unobserved: on the after date for x < 6, on both dates from x = 6. */
function unobservedScene(): Uint8Array {
  const codes = new Uint8Array(W * H);
  for (let x = 0; x < W; x++) codes[5 * W + x] = x < 6 ? 1 : 3;
  return codes;
}

function rasters(
  codes: Uint8Array,
  window: PixelWindow,
  windowId: string,
  unobserved: Uint8Array = new Uint8Array(W * H),
): WindowRasters {
  const w = window.x1 - window.x0;
  const h = window.y1 - window.y0;
  const cut = (a: Uint8Array): Uint8Array => {
    const part = new Uint8Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) part[y * w + x] = a[(window.y0 + y) * W + window.x0 + x]!;
    return part;
  };
  const part = cut(codes);
  const ones = new Uint8Array(w * h).fill(1);
  return {
    windowId,
    window,
    width: w,
    height: h,
    changeCode: part,
    confidence: new Uint8Array(w * h).fill(200),
    mismatch: new Uint8Array(w * h),
    observed: ones,
    unobservedCropland: cut(unobserved),
    rowAreaM2: new Float64Array(h).fill(100),
    afterMask: new Uint8Array(w * h),
    beforeMask: new Uint8Array(w * h),
    cropland: ones,
    pbf: new Uint8Array(w * h),
    baselineFeature: new Uint32Array(w * h).fill(1),
    county: new Uint32Array(w * h).fill(1),
    exclusion: new Uint32Array(w * h),
    undetectable: [],
  };
}

describe("patch typing", () => {
  it("dominant: one patch per connected changed area, with pixel counts per type", () => {
    const { patches } = patchesOfWindow(rasters(scene(), { x0: 0, y0: 0, x1: W, y1: H }, "w"), 4, "dominant");
    const change = patches.filter((p) => p.kind === "change");
    expect(change).toHaveLength(2);
    const band = change.find((p) => p.pixelCount === 24)!;
    expect(band.value).toBe(ANY_CHANGE);
    expect(band.types).toEqual({ [CONSTRUCTION]: 18, [POND]: 6 });
    expect(dominantType(band.types)).toBe(CONSTRUCTION);
    const speck = change.find((p) => p.pixelCount === 1)!;
    expect(dominantType(speck.types)).toBe(POND);
  });

  it("per-type: adjacent types are separate patches", () => {
    const { patches } = patchesOfWindow(rasters(scene(), { x0: 0, y0: 0, x1: W, y1: H }, "w"), 4, "per-type");
    const change = patches.filter((p) => p.kind === "change");
    expect(change.map((p) => [p.value, p.pixelCount]).sort()).toEqual(
      [
        [CONSTRUCTION, 18],
        [POND, 6],
        [POND, 1],
      ].sort(),
    );
  });

  it("types a patch cut by a seam by its whole majority, not by either half's", async () => {
    // Seam at x = 8: the left half is all construction (16 px), the right half 2 construction
    // and 6 pond pixels (pond wins there); the joined patch is 18 : 6 construction.
    const codes = scene();
    const windows = [
      { x0: 0, y0: 0, x1: 8, y1: H },
      { x0: 8, y0: 0, x1: W, y1: H },
    ];
    const parts = windows.flatMap(
      (w, i) => patchesOfWindow(rasters(codes, w, `w${i}`), 4, "dominant").patches,
    );
    const right = parts.find((p) => p.windowId === "w1" && p.pixelCount === 8)!;
    expect(dominantType(right.types)).toBe(POND);
    const joined = await joinAcrossSeams(
      parts,
      async (_kind, bbox) => {
        const w = bbox.x1 - bbox.x0;
        const out = new Uint8Array(w * (bbox.y1 - bbox.y0));
        for (let y = bbox.y0; y < bbox.y1; y++)
          for (let x = bbox.x0; x < bbox.x1; x++) out[(y - bbox.y0) * w + x - bbox.x0] = codes[y * W + x]!;
        return out;
      },
      4,
    );
    const band = joined.filter((p) => p.kind === "change" && p.pixelCount === 24);
    expect(band).toHaveLength(1);
    expect(band[0]!.types).toEqual({ [CONSTRUCTION]: 18, [POND]: 6 });
    expect(dominantType(band[0]!.types)).toBe(CONSTRUCTION);
  });

  it("keeps unobserved cropland its own kind beside dominant typing, joined across a seam by its own band", async () => {
    const codes = scene();
    const unobserved = unobservedScene();
    const windows = [
      { x0: 0, y0: 0, x1: 8, y1: H },
      { x0: 8, y0: 0, x1: W, y1: H },
    ];
    const parts = windows.flatMap(
      (w, i) => patchesOfWindow(rasters(codes, w, `w${i}`, unobserved), 4, "dominant").patches,
    );
    for (const p of parts.filter((q) => q.kind === "unobserved")) {
      expect([1, 3]).toContain(p.value);
      expect(p.types).toEqual({});
    }
    const read: string[] = [];
    const joined = await joinAcrossSeams(
      parts,
      async (kind, bbox) => {
        read.push(kind);
        const src = kind === "unobserved" ? unobserved : kind === "change" ? codes : new Uint8Array(W * H);
        const w = bbox.x1 - bbox.x0;
        const out = new Uint8Array(w * (bbox.y1 - bbox.y0));
        for (let y = bbox.y0; y < bbox.y1; y++)
          for (let x = bbox.x0; x < bbox.x1; x++) out[(y - bbox.y0) * w + x - bbox.x0] = src[y * W + x]!;
        return out;
      },
      4,
    );
    expect(read).toContain("unobserved");
    const gaps = joined.filter((p) => p.kind === "unobserved");
    expect(gaps.map((p) => [p.value, p.pixelCount]).sort()).toEqual(
      [
        [1, 6],
        [3, 6],
      ].sort(),
    );
    const change = joined.filter((p) => p.kind === "change");
    expect(change.map((p) => p.value)).toEqual([ANY_CHANGE, ANY_CHANGE]);
    expect(change.map((p) => p.pixelCount).sort((a, b) => a - b)).toEqual([1, 24]);
  });
});
