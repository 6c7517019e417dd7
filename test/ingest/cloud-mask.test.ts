/**
 * The spectral cloud and shadow test, measured on the demo scene's colours (GID Gaofen-2 swatches)
 * with synthetic clouds and shadows whose truth is known, and on the clean scene (no cloud at
 * all). There is no real RGB cloud truth in ../shared: eo-learn's cloud_mask.tif comes with NDVI
 * only, and OSCD, SZTAKI, Taizhou and NAIP have no cloud labels (NAIP's cloud-free scenes are
 * checked in test/season/season-real.slow.test.ts).
 */
import { describe, expect, it } from "vitest";
import { parseDetectionConfig } from "../../src/config/detection-config.js";
import { addSyntheticClouds } from "../../src/demo/clouds.js";
import { generateDemoScene } from "../../src/demo/scene.js";
import {
  dilateMask,
  erodeMask,
  isCalibrated,
  MASK_CLOUD,
  MASK_SHADOW,
  spectralCloudMask,
} from "../../src/ingest/cloud-mask.js";
import { seededRandom } from "../../src/classify/random.js";
import { BUILTIN_SENSOR_PROFILES } from "../../src/ingest/sensor-profile.js";

const config = parseDetectionConfig({});
const scene = generateDemoScene({ size: 512 });
const W = scene.width;
const H = scene.height;

function reflectance(bands: readonly Uint8Array[]): {
  red: Float32Array;
  green: Float32Array;
  blue: Float32Array;
} {
  const f = (a: Uint8Array): Float32Array => Float32Array.from(a, (v) => (v === 0 ? NaN : v / 255));
  return { red: f(bands[0]!), green: f(bands[1]!), blue: f(bands[2]!) };
}

describe("mask morphology", () => {
  /** Brute force: a pixel is set when any set pixel lies within Chebyshev distance r. */
  function bruteDilate(m: Uint8Array, w: number, h: number, r: number): Uint8Array {
    const out = new Uint8Array(m.length);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r) && !out[y * w + x]; yy++)
          for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++)
            if (m[yy * w + xx]) {
              out[y * w + x] = 1;
              break;
            }
    return out;
  }

  it("dilates and erodes by Chebyshev distance, for any radius", () => {
    const rand = seededRandom(4);
    const [w, h] = [37, 23];
    for (const density of [0.01, 0.2]) {
      const m = Uint8Array.from({ length: w * h }, () => (rand() < density ? 1 : 0));
      for (const r of [1, 2, 5, 40]) {
        expect(dilateMask(m, w, h, r)).toEqual(bruteDilate(m, w, h, r));
        const inv = m.map((v) => 1 - v);
        // Erosion is dilation of the complement, complemented (pixels beyond the edge count as set).
        expect(erodeMask(m, w, h, r)).toEqual(bruteDilate(inv, w, h, r).map((v) => 1 - v));
      }
    }
  });
});

describe("spectral cloud test on the demo's colours", () => {
  it("masks nothing on the clean before and after images (bright roofs and villages included)", () => {
    for (const image of [scene.before, scene.after]) {
      const m = spectralCloudMask(reflectance(image.bands), W, H, config.clouds);
      const flagged = m.reduce((s, v) => s + (v !== 0 ? 1 : 0), 0);
      expect(flagged / (W * H)).toBeLessThan(0.001);
    }
  });

  it.each([1, 2, 3])(
    "catches synthetic clouds, their soft edges and most of their shadows (seed %i)",
    (seed) => {
      const bands = scene.after.bands.map((b) => b.slice()) as [Uint8Array, Uint8Array, Uint8Array];
      const truth = addSyntheticClouds(bands, W, H, {
        seed,
        count: 3,
        radius: [10, 30],
        shadowOffset: [9, -7],
      });
      const m = spectralCloudMask(reflectance(bands), W, H, config.clouds);
      let opaque = 0;
      let opaqueHit = 0;
      let edge = 0;
      let edgeHit = 0;
      let shadow = 0;
      let shadowHit = 0;
      let clear = 0;
      let clearFlagged = 0;
      for (let i = 0; i < W * H; i++) {
        const a = truth.opacity[i]!;
        const s = truth.shadow[i]!;
        const flagged = m[i] === MASK_CLOUD || m[i] === MASK_SHADOW;
        if (bands[0][i] === 0) continue; // the scene's nodata strip
        if (a >= 128) [opaque, opaqueHit] = [opaque + 1, opaqueHit + (m[i] === MASK_CLOUD ? 1 : 0)];
        else if (a > 0) [edge, edgeHit] = [edge + 1, edgeHit + (flagged ? 1 : 0)];
        else if (s >= 128) [shadow, shadowHit] = [shadow + 1, shadowHit + (flagged ? 1 : 0)];
        else if (s === 0) [clear, clearFlagged] = [clear + 1, clearFlagged + (flagged ? 1 : 0)];
      }
      expect(opaque).toBeGreaterThan(1000);
      expect(opaqueHit / opaque).toBeGreaterThan(0.99);
      expect(edgeHit / edge).toBeGreaterThan(0.8);
      expect(shadowHit / shadow).toBeGreaterThan(0.5);
      // Commission: clear land masked, all of it within the buffer and shadow search of a cloud.
      expect(clearFlagged / clear).toBeLessThan(0.05);
    },
  );

  it("tells calibrated reflectance profiles from 8-bit display ones", () => {
    expect(isCalibrated(BUILTIN_SENSOR_PROFILES["sentinel2-l1c-13"]!)).toBe(true);
    expect(isCalibrated(BUILTIN_SENSOR_PROFILES.rgb!)).toBe(false);
    expect(isCalibrated(BUILTIN_SENSOR_PROFILES.rgbn!)).toBe(false);
  });

  it("uses the cirrus band alone where there is one", () => {
    const n = 16 * 16;
    const dark = new Float32Array(n).fill(0.05);
    const cirrus = new Float32Array(n).fill(0.002);
    cirrus[5 * 16 + 5] = 0.03;
    const m = spectralCloudMask(
      { red: dark, green: dark, blue: dark, cirrus },
      16,
      16,
      { ...config.clouds, bufferPx: 0, shadowSearchPx: 0 },
      { calibrated: true },
    );
    expect(m[5 * 16 + 5]).toBe(MASK_CLOUD);
    expect(m.reduce((s, v) => s + v, 0)).toBe(MASK_CLOUD);
  });
});
