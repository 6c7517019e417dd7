import { describe, expect, it } from "vitest";
import { mapToPixel, pixelToMap, windowAffine, type Affine } from "../src/core/raster-types.js";

describe("affine helpers", () => {
  const rotated: Affine = {
    originX: 500000,
    pixelWidth: 10,
    rowRotation: 2,
    originY: 4000000,
    colRotation: -1.5,
    pixelHeight: -10,
  };

  it("maps pixel corners to map coordinates and back", () => {
    for (const [col, row] of [
      [0, 0],
      [12.5, 7.25],
      [-3, 400],
    ] as const) {
      const p = pixelToMap(rotated, col, row);
      const back = mapToPixel(rotated, p.x, p.y);
      expect(back.col).toBeCloseTo(col, 9);
      expect(back.row).toBeCloseTo(row, 9);
    }
    expect(pixelToMap(rotated, 1, 1)).toEqual({ x: 500012, y: 3999988.5 });
  });

  it("shifts the origin for a sub-window and keeps the pixel size", () => {
    const a = windowAffine(rotated, { x0: 3, y0: 4, x1: 10, y1: 10 });
    expect(a.originX).toBe(500000 + 30 + 8);
    expect(a.originY).toBe(4000000 - 4.5 - 40);
    expect(a.pixelWidth).toBe(10);
  });
});
