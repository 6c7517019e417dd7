/**
 * Synthetic clouds and their shadows painted onto a demo image, with their ground truth, for the
 * cloud test's measurement and for cloudy demo months. A cloud is a union of soft round blobs:
 * opacity α falls from 1 in the core to 0 at the rim, the pixel becomes (1 − α)·land + α·white
 * (a slightly bluish white with a little texture). Its shadow is the same shape shifted by
 * `shadowOffset` pixels (sun from the south-west at mid-latitudes puts it to the north-east),
 * darkening the land to 35% where the cloud is opaque.
 */
import { SeededRandom } from "./rng.js";

export interface SyntheticCloudOptions {
  readonly seed?: number;
  /** Number of clouds (default 3). */
  readonly count?: number;
  /** Blob radius range in pixels (default 20–60). */
  readonly radius?: readonly [number, number];
  /** Shadow shift in pixels, x (east) and y (south) (default 18, −14). */
  readonly shadowOffset?: readonly [number, number];
  /** Pixels the clouds must stay away from (e.g. injected changes), 1 = keep clear. */
  readonly keepClear?: Uint8Array;
}

export interface SyntheticClouds {
  /** Cloud opacity per pixel, 0–255. */
  readonly opacity: Uint8Array;
  /** Shadow strength per pixel, 0–255 (0 where a cloud covers it). */
  readonly shadow: Uint8Array;
}

/** Paints clouds onto `bands` (R, G, B, 8-bit; modified in place); returns their truth. */
export function addSyntheticClouds(
  bands: readonly [Uint8Array, Uint8Array, Uint8Array],
  width: number,
  height: number,
  options: SyntheticCloudOptions = {},
): SyntheticClouds {
  const rng = new SeededRandom(options.seed ?? 7);
  const [rMin, rMax] = options.radius ?? [20, 60];
  const [sx, sy] = options.shadowOffset ?? [18, -14];
  const n = width * height;
  const alpha = new Float32Array(n);
  for (let c = 0; c < (options.count ?? 3); c++) {
    const cx = rng.range(0.1, 0.9) * width;
    const cy = rng.range(0.1, 0.9) * height;
    const blobs = rng.int(3, 6);
    for (let b = 0; b < blobs; b++) {
      const bx = cx + rng.range(-1, 1) * rMax;
      const by = cy + rng.range(-1, 1) * rMax;
      const r = rng.range(rMin, rMax);
      const x0 = Math.max(0, Math.floor(bx - r));
      const x1 = Math.min(width, Math.ceil(bx + r));
      const y0 = Math.max(0, Math.floor(by - r));
      const y1 = Math.min(height, Math.ceil(by + r));
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const d = Math.hypot(x + 0.5 - bx, y + 0.5 - by) / r;
          if (d >= 1) continue;
          // Opaque to 60% of the radius, then a smooth fall to the rim.
          const a = d < 0.6 ? 1 : 0.5 + 0.5 * Math.cos((Math.PI * (d - 0.6)) / 0.4);
          const i = y * width + x;
          alpha[i] = Math.max(alpha[i]!, a);
        }
      }
    }
  }
  if (options.keepClear) for (let i = 0; i < n; i++) if (options.keepClear[i]) alpha[i] = 0;
  const opacity = new Uint8Array(n);
  const shadow = new Uint8Array(n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const fx = x - sx;
      const fy = y - sy;
      const s = fx >= 0 && fx < width && fy >= 0 && fy < height ? alpha[fy * width + fx]! : 0;
      const a = alpha[i]!;
      opacity[i] = Math.round(a * 255);
      shadow[i] = a > 0 ? 0 : Math.round(s * 255);
    }
  }
  const white = [238, 241, 246];
  for (let i = 0; i < n; i++) {
    const a = alpha[i]!;
    const s = shadow[i]! / 255;
    if (a === 0 && s === 0) continue;
    const texture = (rng.next() - 0.5) * 8;
    for (let k = 0; k < 3; k++) {
      const band = bands[k]!;
      if (band[i] === 0) continue; // nodata stays nodata
      const land = band[i]! * (1 - 0.65 * s);
      const v = (1 - a) * land + a * (white[k]! + texture);
      band[i] = Math.max(1, Math.min(255, Math.round(v)));
    }
  }
  return { opacity, shadow };
}
