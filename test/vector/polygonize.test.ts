import { describe, expect, it } from "vitest";
import type { Affine, PixelWindow } from "../../src/core/raster-types.js";
import {
  isValidPixelPolygon,
  polygonArea,
  polygonize,
  polygonizePixels,
  polygonizeTiles,
  PolygonizeError,
  ringSignedArea,
  simplifyPixelPolygon,
  toGeoJsonPolygon,
  toMapPolygons,
  type PixelPolygon,
} from "../../src/vector/index.js";

/** Deterministic generator (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A mask drawn as text: "#" is 1, anything else 0. */
function grid(rows: string[]): { data: Uint8Array; width: number; height: number } {
  const height = rows.length;
  const width = rows[0]?.length ?? 0;
  const data = new Uint8Array(width * height);
  rows.forEach((r, y) => [...r].forEach((ch, x) => (data[y * width + x] = ch === "#" ? 1 : 0)));
  return { data, width, height };
}

/** Random labels 0..classes-1 with some spatial coherence (each pixel copies a neighbour at `keep`). */
function blobs(width: number, height: number, seed: number, classes = 3, keep = 0.6): Uint8Array {
  const rnd = seeded(seed);
  const d = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const r = rnd();
      if (r < keep / 2 && x > 0) d[i] = d[i - 1] as number;
      else if (r < keep && y > 0) d[i] = d[i - width] as number;
      else d[i] = Math.floor(rnd() * classes);
    }
  }
  return d;
}

/** Smooth blobby binary mask: sum of seeded bumps above a threshold (like a thresholded index). */
function smoothMask(width: number, height: number, seed: number): Uint8Array {
  const rnd = seeded(seed);
  const bumps = Array.from({ length: 25 }, () => ({
    x: rnd() * width,
    y: rnd() * height,
    r: 4 + rnd() * 14,
    s: rnd() < 0.25 ? -1 : 1,
  }));
  const d = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 0;
      for (const b of bumps) v += b.s * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (b.r * b.r));
      d[y * width + x] = v + 0.15 * (rnd() - 0.5) > 0.5 ? 1 : 0;
    }
  }
  return d;
}

function perimeter(p: PixelPolygon): number {
  let sum = 0;
  for (const r of p.rings) {
    for (let i = 0; i + 3 < r.length; i += 2) {
      sum += Math.hypot((r[i + 2] as number) - (r[i] as number), (r[i + 3] as number) - (r[i + 1] as number));
    }
  }
  return sum;
}

function hasVertex(ring: Int32Array, x: number, y: number): boolean {
  for (let i = 0; i < ring.length; i += 2) if (ring[i] === x && ring[i + 1] === y) return true;
  return false;
}

/** Even-odd test of the pixel centre (x+0.5, y+0.5) against all rings of a pixel polygon. */
function covers(p: PixelPolygon, x: number, y: number): boolean {
  let inside = false;
  const px = x + 0.5;
  const py = y + 0.5;
  for (const ring of p.rings) {
    for (let i = 0; i + 3 < ring.length; i += 2) {
      const ax = ring[i] as number;
      const ay = ring[i + 1] as number;
      const bx = ring[i + 2] as number;
      const by = ring[i + 3] as number;
      if (ay > py !== by > py && px < ax + ((py - ay) * (bx - ax)) / (by - ay)) inside = !inside;
    }
  }
  return inside;
}

/** Checks that the polygons partition exactly the included pixels, each pixel in its own region's polygon. */
function expectExactCover(polygons: PixelPolygon[], data: Uint8Array, width: number, height: number): void {
  const owner = new Int32Array(width * height).fill(-1);
  polygons.forEach((p, k) => {
    for (let y = p.bbox.y0; y < p.bbox.y1; y++) {
      for (let x = p.bbox.x0; x < p.bbox.x1; x++) {
        if (covers(p, x, y)) {
          expect(owner[y * width + x]).toBe(-1);
          owner[y * width + x] = k;
          expect(data[y * width + x]).toBe(p.value);
        }
      }
    }
  });
  for (let i = 0; i < owner.length; i++) expect(owner[i]).not.toBe(-1);
}

describe("polygonizePixels on hand-drawn masks", () => {
  it("traces a single pixel as a counter-clockwise (on screen) square", () => {
    const { data, width, height } = grid(["#"]);
    const [p] = polygonizePixels(data, width, height, { values: [1] });
    expect(Array.from(p?.rings[0] ?? [])).toEqual([0, 0, 0, 1, 1, 1, 1, 0, 0, 0]);
    expect(p?.pixelCount).toBe(1);
    expect(ringSignedArea(p?.rings[0] ?? [])).toBe(-1); // y-down: screen-CCW is negative
  });

  it("keeps diagonal neighbours apart with 4-connectivity and joins them with 8", () => {
    const { data, width, height } = grid(["#.", ".#"]);
    const four = polygonizePixels(data, width, height, { values: [1] });
    expect(four.map((p) => p.region)).toEqual([1, 2]);
    const eight = polygonizePixels(data, width, height, { values: [1], connectivity: 8 });
    // One region, but two polygons touching at the corner: one polygon could not be valid there.
    expect(eight.map((p) => [p.region, p.bbox.x0, p.bbox.y0])).toEqual([
      [1, 0, 0],
      [1, 1, 1],
    ]);
    expect(eight.every((p) => isValidPixelPolygon(p.rings))).toBe(true);
  });

  it("makes an enclosed area touching the outline at a corner a hole, not a self-touching ring", () => {
    const { data, width, height } = grid(["###", "#.#", ".##"]);
    const [p, ...rest] = polygonizePixels(data, width, height, { values: [1] });
    expect(rest).toEqual([]);
    expect(p?.rings.length).toBe(2);
    expect(Array.from(p?.rings[1] ?? [])).toEqual([1, 2, 1, 1, 2, 1, 2, 2, 1, 2]);
    expect(Array.from(p?.rings[0] ?? [])).toContain(1);
    expect(polygonArea(p?.rings ?? [])).toBe(7);
    expect(isValidPixelPolygon(p?.rings ?? [])).toBe(true);
  });

  it("gives holes, holes touching holes at corners, and islands in holes", () => {
    const { data, width, height } = grid(["#######", "#.#.#.#", "##...##", "#..#..#", "#.....#", "#######"]);
    const polygons = polygonizePixels(data, width, height, { values: [1] });
    // The frame with three holes (two single pixels touching the big one at corners), and the island.
    expect(polygons.map((p) => [p.pixelCount, p.rings.length])).toEqual([
      [26, 4],
      [1, 1],
    ]);
    for (const p of polygons) {
      expect(polygonArea(p.rings)).toBe(p.pixelCount);
      expect(isValidPixelPolygon(p.rings)).toBe(true);
    }
    expectExactCover(polygonizePixels(data, width, height), data, width, height);
  });

  it("excludes nodata, masked and NaN pixels and honours `values`", () => {
    const data = new Float32Array([1, 1, NaN, 2, -9, 1, 1, 2, 2]);
    const all = polygonizePixels(data, 3, 3, { nodata: -9 });
    expect(all.map((p) => [p.value, p.pixelCount])).toEqual([
      [1, 2],
      [2, 1],
      [1, 1],
      [1, 1],
      [2, 2],
    ]);
    const mask = new Uint8Array([1, 0, 1, 1, 1, 1, 1, 1, 1]);
    const ones = polygonizePixels(data, 3, 3, { nodata: -9, mask, values: [1] });
    expect(ones.map((p) => p.pixelCount)).toEqual([1, 1, 1]);
  });

  it("refuses inconsistent sizes with PolygonizeError", () => {
    expect(() => polygonizePixels(new Uint8Array(5), 2, 2)).toThrow(PolygonizeError);
    expect(() => polygonizePixels(new Uint8Array(4), 2, 2, { mask: new Uint8Array(3) })).toThrow(
      PolygonizeError,
    );
    expect(() =>
      polygonizePixels(new Uint8Array(4), 2, 2, { window: { x0: 0, y0: 0, x1: 3, y1: 2 } }),
    ).toThrow(PolygonizeError);
  });
});

describe("polygonizePixels on seeded random rasters", () => {
  for (const connectivity of [4, 8] as const) {
    it(`covers every pixel exactly once with valid polygons (${connectivity}-connected)`, () => {
      for (const seed of [1, 2, 3, 4]) {
        const width = 37;
        const height = 29;
        const data = blobs(width, height, seed);
        const polygons = polygonizePixels(data, width, height, { connectivity });
        let total = 0;
        for (const p of polygons) {
          expect(isValidPixelPolygon(p.rings)).toBe(true);
          expect(-ringSignedArea(p.rings[0] ?? [])).toBeGreaterThan(0);
          for (const hole of p.rings.slice(1)) expect(ringSignedArea(hole)).toBeGreaterThan(0);
          expect(polygonArea(p.rings)).toBe(p.pixelCount);
          total += p.pixelCount;
        }
        expect(total).toBe(width * height);
        expectExactCover(polygons, data, width, height);
      }
    });
  }

  it("finds the same regions as a flood fill (4- and 8-connected)", () => {
    const width = 64;
    const height = 48;
    const data = blobs(width, height, 9, 2, 0.5);
    for (const connectivity of [4, 8] as const) {
      const seen = new Uint8Array(width * height);
      let regions = 0;
      const nb =
        connectivity === 4
          ? [
              [1, 0],
              [-1, 0],
              [0, 1],
              [0, -1],
            ]
          : [
              [1, 0],
              [-1, 0],
              [0, 1],
              [0, -1],
              [1, 1],
              [1, -1],
              [-1, 1],
              [-1, -1],
            ];
      for (let i = 0; i < seen.length; i++) {
        if (seen[i]) continue;
        regions++;
        const stack = [i];
        seen[i] = 1;
        while (stack.length) {
          const j = stack.pop() as number;
          const x = j % width;
          const y = (j - x) / width;
          for (const [dx, dy] of nb as [number, number][]) {
            const nx = x + dx;
            const ny = y + dy;
            const k = ny * width + nx;
            if (nx < 0 || ny < 0 || nx >= width || ny >= height || seen[k] || data[k] !== data[j]) continue;
            seen[k] = 1;
            stack.push(k);
          }
        }
      }
      const polygons = polygonizePixels(data, width, height, { connectivity });
      expect(new Set(polygons.map((p) => p.region)).size).toBe(regions);
    }
  });
});

describe("polygonizeTiles", () => {
  const width = 97;
  const height = 83;
  const data = smoothMask(width, height, 5);

  function split(xs: number[], ys: number[]): { window: PixelWindow; data: Uint8Array }[] {
    const tiles: { window: PixelWindow; data: Uint8Array }[] = [];
    for (let j = 0; j + 1 < ys.length; j++) {
      for (let i = 0; i + 1 < xs.length; i++) {
        const window = {
          x0: xs[i] as number,
          y0: ys[j] as number,
          x1: xs[i + 1] as number,
          y1: ys[j + 1] as number,
        };
        const w = window.x1 - window.x0;
        const t = new Uint8Array(w * (window.y1 - window.y0));
        for (let y = window.y0; y < window.y1; y++)
          t.set(data.subarray(y * width + window.x0, y * width + window.x1), (y - window.y0) * w);
        tiles.push({ window, data: t });
      }
    }
    return tiles;
  }

  const whole = polygonizePixels(data, width, height, { values: [1] });

  it("gives the same polygons from 4 or 9 tiles as from the whole mask", () => {
    expect(whole.length).toBeGreaterThan(5);
    for (const tiles of [split([0, 50, 97], [0, 41, 83]), split([0, 30, 64, 97], [0, 20, 57, 83])]) {
      const tiled = polygonizeTiles(tiles, { values: [1] });
      expect(tiled.length).toBe(whole.length);
      tiled.forEach((p, k) => {
        const q = whole[k] as PixelPolygon;
        expect(p.bbox).toEqual(q.bbox);
        expect(p.pixelCount).toBe(q.pixelCount);
        expect(p.rings.map((r) => Array.from(r))).toEqual(q.rings.map((r) => Array.from(r)));
      });
    }
  });

  it("refuses overlapping tiles", () => {
    const tiles = split([0, 50, 97], [0, 83]);
    const overlapping = [...tiles, { window: { x0: 40, y0: 0, x1: 41, y1: 1 }, data: new Uint8Array(1) }];
    expect(() => polygonizeTiles(overlapping)).toThrow(PolygonizeError);
  });
});

describe("map coordinates, orientation and simplification", () => {
  const width = 120;
  const height = 90;
  const data = smoothMask(width, height, 11);
  const northUp: Affine = {
    originX: 500000,
    pixelWidth: 5,
    rowRotation: 0,
    originY: 5200000,
    colRotation: 0,
    pixelHeight: -5,
  };

  it("orients exteriors counter-clockwise and holes clockwise in map coordinates for any affine", () => {
    const rotated: Affine = { ...northUp, rowRotation: 1.5, colRotation: 0.8 };
    const southUp: Affine = { ...northUp, originY: 5199550, pixelHeight: 5 };
    for (const affine of [northUp, rotated, southUp]) {
      const det = Math.abs(affine.pixelWidth * affine.pixelHeight - affine.rowRotation * affine.colRotation);
      const polygons = polygonize(data, width, height, { affine, values: [1] });
      const holes = polygons.reduce((n, p) => n + p.rings.length - 1, 0);
      expect(holes).toBeGreaterThan(0);
      for (const p of polygons) {
        expect(ringSignedArea(p.rings[0] ?? [])).toBeGreaterThan(0);
        for (const h of p.rings.slice(1)) expect(ringSignedArea(h)).toBeLessThan(0);
        expect(polygonArea(p.rings)).toBeCloseTo(p.pixelCount * det, 6);
      }
    }
  });

  it("writes GeoJSON polygons with closed rings", () => {
    const [p] = polygonize(grid(["##"]).data, 2, 1, { affine: northUp });
    expect(toGeoJsonPolygon(p as NonNullable<typeof p>)).toEqual({
      type: "Polygon",
      coordinates: [
        [
          [500000, 5200000],
          [500000, 5199995],
          [500010, 5199995],
          [500010, 5200000],
          [500000, 5200000],
        ],
      ],
    });
  });

  it("simplifies with fewer vertices, stays valid, keeps touch points, and moves area little", () => {
    for (const seed of [11, 12, 13]) {
      const mask = smoothMask(width, height, seed);
      const exact = polygonizePixels(mask, width, height, { values: [1] });
      for (const tolerance of [0.75, 1.5, 4]) {
        let before = 0;
        let after = 0;
        for (const p of exact) {
          const s = simplifyPixelPolygon(p, tolerance);
          expect(isValidPixelPolygon(s.rings)).toBe(true);
          expect(s.rings.length).toBe(p.rings.length);
          before += p.rings.reduce((n, r) => n + r.length, 0);
          after += s.rings.reduce((n, r) => n + r.length, 0);
          // Dropped vertices lie within the tolerance of the kept outline, so the area moves by at
          // most about perimeter × tolerance.
          expect(Math.abs(polygonArea(s.rings) - p.pixelCount)).toBeLessThanOrEqual(perimeter(p) * tolerance);
        }
        expect(after).toBeLessThan(before);
      }
    }
  });

  it("keeps a hole that touches the exterior touching at the same corner after simplification", () => {
    // A 20×20 block with a notch-shaped hole whose corner meets the outline.
    const rows = Array.from({ length: 20 }, (_, y) =>
      Array.from({ length: 20 }, (_, x) =>
        x >= 5 && x < 15 && y >= 5 && y < 19 && !(x === 5 && y === 18) ? "." : "#",
      ).join(""),
    );
    rows[19] = "#####.##############";
    const { data: m, width: w, height: h } = grid(rows);
    const [p] = polygonizePixels(m, w, h, { values: [1] });
    expect(p?.rings.length).toBe(2);
    expect(p?.rings.every((r) => hasVertex(r, 6, 19))).toBe(true);
    const s = simplifyPixelPolygon(p as PixelPolygon, 3);
    expect(isValidPixelPolygon(s.rings)).toBe(true);
    expect(s.rings.every((r) => hasVertex(r, 6, 19))).toBe(true);
    expect(s.rings.reduce((n, r) => n + r.length, 0)).toBeLessThan(
      p?.rings.reduce((n, r) => n + r.length, 0) ?? 0,
    );
    expect(toMapPolygons([s], northUp).length).toBe(1);
  });
});
