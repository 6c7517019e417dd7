/**
 * Paints land-cover regions as true-colour 8-bit RGB in the colours of the GID Gaofen-2 tiles the
 * shipped model learnt from. Colours come from gid-palette.json (block means and within-block
 * spread per class, derived by scripts/derive-demo-palette.ts); textures are procedural: furrows
 * for fields, crowns for trees and orchards, roofs and shadows for buildings.
 */
import palette from "./gid-palette.json" with { type: "json" };
import swatchCalibration from "./demo-swatches.json" with { type: "json" };
import { SeededRandom } from "./rng.js";

export type PaintClass = keyof typeof palette.classes;

/** One painted region: all pixels with this region id share a class and a base colour. */
export interface PaintRegion {
  readonly cls: PaintClass;
  /** Seed for the region's colour and texture, so the same region looks the same on both dates. */
  readonly seed: number;
  /** Furrow direction for fields, radians. */
  readonly angle: number;
  /** Palette entry to paint with; otherwise drawn from the allowed entries. */
  readonly swatch?: number;
  /**
   * Class whose palette `swatch` indexes (default `cls`): paints `cls`'s texture in another
   * class's colour, e.g. a field in a green crop's colour (demo season series).
   */
  readonly swatchClass?: PaintClass;
  /**
   * An injected change: its swatch is drawn from the entries calibrated for changes (the model
   * types them right as a parcel among fields, demo-swatches.json `changes`), where there are any.
   */
  readonly change?: boolean;
}

interface Swatch {
  rgb: [number, number, number];
  spread: [number, number, number];
}

/**
 * Palette entries the demo may use per class: those the shipped model recognises as the class
 * when painted with the class's texture (scripts/calibrate-demo-swatches.ts), so the demo scene's
 * injected changes are ones the pipeline can find. Classes missing here use the middle half of
 * the palette by brightness.
 */
const calibrated: Partial<Record<PaintClass, readonly number[]>> = swatchCalibration.classes;
/**
 * Palette entries for injected changes: those that also come out of the change rules as the
 * intended change type when painted as one parcel among cropland (scripts/calibrate-demo-swatches.ts).
 */
const calibratedChanges: Partial<Record<PaintClass, readonly number[]>> = swatchCalibration.changes;

function swatchAt(cls: PaintClass, index: number): Swatch {
  const c = palette.classes[cls].colours[index]!;
  return { rgb: [c[0]!, c[1]!, c[2]!], spread: [c[3]!, c[4]!, c[5]!] };
}

/** The swatch of a region: a forced palette index, else one drawn from the allowed entries. */
function swatchFor(cls: PaintClass, rng: SeededRandom, forced?: number, change = false): Swatch {
  if (forced !== undefined) return swatchAt(cls, forced);
  const n = palette.classes[cls].colours.length;
  const forChange = change ? calibratedChanges[cls] : undefined;
  const allowed = forChange && forChange.length > 0 ? forChange : calibrated[cls];
  if (allowed && allowed.length > 0) return swatchAt(cls, allowed[Math.floor(rng.next() * allowed.length)]!);
  const lo = Math.floor(n * 0.25);
  const hi = Math.ceil(n * 0.75);
  return swatchAt(cls, lo + Math.floor(rng.next() * (hi - lo)));
}

/** Smooth value noise in about [-1, 1], with features `cell` pixels across. */
export function smoothNoise(width: number, height: number, cell: number, rng: SeededRandom): Float32Array {
  const gw = Math.ceil(width / cell) + 2;
  const gh = Math.ceil(height / cell) + 2;
  const grid = new Float32Array(gw * gh);
  for (let i = 0; i < grid.length; i++) grid[i] = rng.next() * 2 - 1;
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const gy = y / cell;
    const y0 = Math.floor(gy);
    const fy = gy - y0;
    const sy = fy * fy * (3 - 2 * fy);
    for (let x = 0; x < width; x++) {
      const gx = x / cell;
      const x0 = Math.floor(gx);
      const fx = gx - x0;
      const sx = fx * fx * (3 - 2 * fx);
      const a = grid[y0 * gw + x0]!;
      const b = grid[y0 * gw + x0 + 1]!;
      const c = grid[(y0 + 1) * gw + x0]!;
      const d = grid[(y0 + 1) * gw + x0 + 1]!;
      out[y * width + x] = (a * (1 - sx) + b * sx) * (1 - sy) + (c * (1 - sx) + d * sx) * sy;
    }
  }
  return out;
}

const FIELD_CLASSES = new Set<PaintClass>(["dry-cropland", "irrigated", "paddy"]);
const BUILT_CLASSES = new Set<PaintClass>(["industrial", "urban", "rural-residential"]);

/**
 * Renders a region map into three RGB bands. `regionIds` holds an index into `regions` per pixel
 * (row-major, `width` × `height`); `dateSeed` varies the sensor noise between dates while each
 * region keeps its colour and texture.
 */
export function paintRegions(
  regionIds: Int32Array,
  regions: readonly PaintRegion[],
  width: number,
  height: number,
  dateSeed: number,
): [Uint8Array, Uint8Array, Uint8Array] {
  const bands: [Uint8Array, Uint8Array, Uint8Array] = [
    new Uint8Array(width * height),
    new Uint8Array(width * height),
    new Uint8Array(width * height),
  ];
  const swatches = regions.map((r) =>
    swatchFor(r.swatchClass ?? r.cls, new SeededRandom(r.seed), r.swatch, r.change),
  );
  const roofSwatches = regions.map((r) =>
    BUILT_CLASSES.has(r.cls)
      ? Array.from({ length: 6 }, (_, k) =>
          swatchFor(k % 2 ? "industrial" : r.cls, new SeededRandom(r.seed + k), k % 2 ? undefined : r.swatch),
        )
      : [],
  );
  const sceneRng = new SeededRandom(0x5eed);
  const crowns = smoothNoise(width, height, 1.6, sceneRng.fork(1));
  const blobs = smoothNoise(width, height, 5, sceneRng.fork(2));
  const roofCells = smoothNoise(width, height, 3.2, sceneRng.fork(3));
  const sensor = new SeededRandom(dateSeed);

  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const id = regionIds[i]!;
      const region = regions[id]!;
      const sw = swatches[id]!;
      let rgb = sw.rgb;
      let texture = 0;
      let spreadScale = 0.45;
      if (FIELD_CLASSES.has(region.cls)) {
        const along = x * Math.cos(region.angle) + y * Math.sin(region.angle);
        texture = Math.sin((2 * Math.PI * along) / 5) * 0.7 + blobs[i]! * 0.6;
      } else if (region.cls === "trees" || region.cls === "shrub") {
        texture = crowns[i]! * 1.6 + blobs[i]! * 0.5;
      } else if (region.cls === "orchard") {
        // Rows of crowns on a 5-pixel (20 m) lattice, the look of a young orchard at 4 m.
        const cx = (((x + (region.seed % 5)) % 5) + 5) % 5;
        const cy = (((y + (region.seed % 7)) % 5) + 5) % 5;
        texture = (cx < 3 && cy < 3 ? -0.8 : 0.8) + crowns[i]! * 0.4;
      } else if (BUILT_CLASSES.has(region.cls)) {
        // Houses: roofs of 5×4 pixels (20 m × 16 m) in varied colours, with lanes and shadows between.
        const ox = x + (region.seed % 6);
        const oy = y + (region.seed % 5);
        const cellX = Math.floor(ox / 6);
        const cellY = Math.floor(oy / 5);
        const roofs = roofSwatches[id]!;
        if (ox % 6 < 5 && oy % 5 < 4) {
          const k =
            Math.abs(Math.imul(cellX * 73856093, 1) ^ Math.imul(cellY, 19349663) ^ region.seed) %
            roofs.length;
          rgb = roofs[k]!.rgb;
          texture = roofCells[i]! * 0.3;
          spreadScale = 0.25;
        } else {
          texture = -1.2;
          spreadScale = 0.4;
        }
      } else if (region.cls === "grass" || region.cls === "turf") {
        texture = blobs[i]! * 0.8;
        spreadScale = region.cls === "turf" ? 0.25 : 0.4;
      } else {
        texture = blobs[i]! * 0.3;
        spreadScale = 0.3;
      }
      for (let c = 0; c < 3; c++) {
        const v = rgb[c]! + sw.spread[c]! * (texture + spreadScale * sensor.normal());
        // 0 is the nodata value of demo imagery, so valid pixels stay in 1..255.
        bands[c]![i] = Math.min(255, Math.max(1, Math.round(v)));
      }
    }
  }
  return bands;
}

/** Palette entries of `cls` the shipped model recognises as the class (demo-swatches.json); [] when uncalibrated. */
export function calibratedSwatches(cls: PaintClass): readonly number[] {
  return calibrated[cls] ?? [];
}

/**
 * Excess green 2g − r − b on chromatic coordinates of a palette entry's mean colour (the index an
 * RGB season history tracks, season/vegetation-index.ts): what a month painted in it shows.
 */
export function swatchExcessGreen(cls: PaintClass, index: number): number {
  const [r, g, b] = swatchAt(cls, index).rgb;
  return (2 * g - r - b) / (r + g + b);
}

/** Mean of a palette entry's R, G and B (DN 0–255). */
export function swatchMeanDn(cls: PaintClass, index: number): number {
  const [r, g, b] = swatchAt(cls, index).rgb;
  return (r + g + b) / 3;
}
