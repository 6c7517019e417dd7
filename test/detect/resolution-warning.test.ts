/**
 * The warning when imagery's pixel size is far from the model's ground resolution (the mistake
 * that made a 4 m model call every 30 m Landsat pixel cropland), and the pixel size it compares.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { Logger } from "../../src/core/logger.js";
import type { Affine } from "../../src/core/raster-types.js";
import { pixelSizeM, warnOnResolutionMismatch } from "../../src/detect/run-inputs.js";

function affine(pixel: number, originY = 3_600_000): Affine {
  return { originX: 0, pixelWidth: pixel, rowRotation: 0, originY, colRotation: 0, pixelHeight: -pixel };
}

function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: "info" },
    { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { logger, lines };
}

const model = (groundResolutionM: number) => ({
  meta: {
    format: "cropland-patrol/classifier@1" as const,
    modelId: `m${groundResolutionM}`,
    classes: ["cropland" as const, "built_up" as const],
    features: {
      bands: ["red" as const],
      pyramidLevels: 1,
      edges: false,
      patchIndices: true,
      patchSize: 1 as const,
      edgeScale: 1 as const,
    },
    input: { groundResolutionM, description: "" },
  },
});

describe("pixelSizeM", () => {
  it("takes metres from projected CRS and converts degrees at the origin's latitude", () => {
    expect(pixelSizeM({ crs: "EPSG:32651", affine: affine(30) })).toBe(30);
    expect(pixelSizeM({ crs: "EPSG:4326", affine: affine(1e-4, 0) })).toBeCloseTo(11.132, 3);
    expect(pixelSizeM({ crs: "EPSG:4326", affine: affine(1e-4, 60) })).toBeCloseTo(5.566, 3);
    expect(pixelSizeM({ crs: "EPSG:999999", affine: affine(30) })).toBeNull();
  });
});

describe("warnOnResolutionMismatch", () => {
  it("warns for 30 m imagery with a 4 m model, naming both sizes and the model", () => {
    const { logger, lines } = capturingLogger();
    expect(warnOnResolutionMismatch(model(4), { crs: "EPSG:32651", affine: affine(30) }, logger)).toBe(true);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe(40); // pino's warn
    expect(lines[0]!.imageryPixelM).toBe(30);
    expect(lines[0]!.modelGroundResolutionM).toBe(4);
    expect(String(lines[0]!.msg)).toMatch(/30 m but model m4 was trained at about 4 m/);
  });

  it("stays quiet within a factor of 2 either way and warns beyond it", () => {
    const cases: Array<[number, number, boolean]> = [
      [30, 28, false],
      [8, 4, false], // exactly 2×
      [2, 4, false], // exactly ½
      [10, 4, true], // Sentinel-2 with a 4 m model: 2.5×
      [1.5, 4, true], // aerial photos with a 4 m model
      [4, 28, true],
    ];
    for (const [pixel, trained, warns] of cases) {
      const { logger, lines } = capturingLogger();
      expect(
        warnOnResolutionMismatch(model(trained), { crs: "EPSG:32651", affine: affine(pixel) }, logger),
      ).toBe(warns);
      expect(lines.length).toBe(warns ? 1 : 0);
    }
  });

  it("says nothing when the CRS unit is unknown", () => {
    const { logger, lines } = capturingLogger();
    expect(warnOnResolutionMismatch(model(4), { crs: "EPSG:999999", affine: affine(30) }, logger)).toBe(
      false,
    );
    expect(lines).toHaveLength(0);
  });
});
