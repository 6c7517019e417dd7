/**
 * The Gaofen Image Dataset (GID) tiles in ../shared/data/gid: 224×224 true-colour PNGs with
 * per-pixel label PNGs, GID-15 (gid-mtl15/<scene>/) and GID-5 (gid-mtl5/farmland/). Decoded with
 * sharp once; the caller caches the result.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import {
  GID15_MAPPING,
  GID5_MAPPING,
  LAND_COVER_GROUP_IDS,
  landCoverGroupOf,
  type LabelMeaning,
  type LandCoverId,
} from "../core/land-cover.js";
import { TrainingDataError } from "./errors.js";
import { encodeLabels, type LabelledImage } from "./labelled-image.js";

export type GidScheme = "gid15" | "gid5";

export interface LabelledTileRef {
  /** Stable id used for the train/validation split, e.g. "gid15/pond/12". */
  readonly id: string;
  readonly imagePath: string;
  readonly labelPath: string;
  readonly scheme: GidScheme;
}

/** All GID tile pairs under `gidDir` (the folder holding gid-mtl15 and gid-mtl5), sorted by id. */
export async function listGidTiles(gidDir: string): Promise<LabelledTileRef[]> {
  const out: LabelledTileRef[] = [];
  const addFolder = async (dir: string, prefix: string, scheme: GidScheme): Promise<void> => {
    const names = await readdir(dir);
    for (const name of names) {
      const m = /^(\d+)\.png$/.exec(name);
      if (!m) continue;
      const labelName = `${m[1]}_label.png`;
      if (!names.includes(labelName)) continue;
      out.push({
        id: `${prefix}/${m[1]}`,
        imagePath: path.join(dir, name),
        labelPath: path.join(dir, labelName),
        scheme,
      });
    }
  };
  const mtl15 = path.join(gidDir, "gid-mtl15");
  let scenes: string[];
  try {
    scenes = (await readdir(mtl15, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch (e) {
    throw new TrainingDataError(gidDir, "no gid-mtl15 folder (see ../shared/data/README.md)", { cause: e });
  }
  for (const scene of scenes.sort()) await addFolder(path.join(mtl15, scene), `gid15/${scene}`, "gid15");
  const farmland = path.join(gidDir, "gid-mtl5", "farmland");
  await addFolder(farmland, "gid5/farmland", "gid5").catch(() => undefined);
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function gidMapping(scheme: GidScheme): ReadonlyMap<number, LabelMeaning> {
  return scheme === "gid15" ? GID15_MAPPING : GID5_MAPPING;
}

/** One decoded tile: interleaved RGB bytes and raw label values, both width × height. */
export interface DecodedTile {
  readonly ref: LabelledTileRef;
  readonly width: number;
  readonly height: number;
  /** Planar R, G, B planes, each row-major width × height. */
  readonly rgb: Uint8Array;
  /** Source label value per pixel (GID-15 or GID-5 codes, see ref.scheme). */
  readonly label: Uint8Array;
}

/** The label value meaning "unlabelled" in each scheme. */
const IGNORE_VALUE: Record<GidScheme, number> = { gid15: 15, gid5: 5 };

/**
 * Decodes one tile pair, cropped to the common extent of image and label (a handful of tiles are
 * 224×225 or 225×224), then mirror-padded (symmetric, as classify pads image edges) up to a
 * multiple of `multipleOf` (the feature extractor's pyramid cell). Padded pixels are labelled
 * unlabelled, so they are never sampled or scored.
 */
export async function decodeGidTile(ref: LabelledTileRef, multipleOf = 1): Promise<DecodedTile> {
  const [img, lab] = await Promise.all([
    sharp(ref.imagePath).removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true }),
    sharp(ref.labelPath).extractChannel(0).raw().toBuffer({ resolveWithObject: true }),
  ]).catch((e: unknown) => {
    throw new TrainingDataError(ref.imagePath, "could not decode the tile or its label", { cause: e });
  });
  const w0 = Math.min(img.info.width, lab.info.width);
  const h0 = Math.min(img.info.height, lab.info.height);
  const width = Math.ceil(w0 / multipleOf) * multipleOf;
  const height = Math.ceil(h0 / multipleOf) * multipleOf;
  if (img.info.channels !== 3) {
    throw new TrainingDataError(ref.imagePath, `expected 3 channels, got ${img.info.channels}`);
  }
  if (width - w0 > w0 || height - h0 > h0) {
    throw new TrainingDataError(
      ref.imagePath,
      `a ${w0}×${h0} tile is too small to pad to ${width}×${height}`,
    );
  }
  // Interleaved RGB to planar, cropped to the part both image and label cover; then padded.
  const plane = w0 * h0;
  const rgb = new Uint8Array(3 * plane);
  const label = new Uint8Array(plane);
  for (let y = 0; y < h0; y++) {
    for (let x = 0; x < w0; x++) {
      const i = (y * img.info.width + x) * 3;
      const o = y * w0 + x;
      rgb[o] = img.data[i] as number;
      rgb[plane + o] = img.data[i + 1] as number;
      rgb[2 * plane + o] = img.data[i + 2] as number;
    }
    label.set(lab.data.subarray(y * lab.info.width, y * lab.info.width + w0), y * w0);
  }
  const padded = padToMultiple(
    rgb,
    3,
    label,
    w0,
    h0,
    multipleOf,
    IGNORE_VALUE[ref.scheme],
    (n) => new Uint8Array(n),
  );
  return { ref, width, height, rgb: padded.bands, label: padded.label };
}

/** How to coarsen GID tiles before training, to stand in for imagery of a coarser sensor. */
export interface GidResampling {
  /**
   * Side of the square of source pixels averaged into one training pixel: 7 turns the ~4 m tiles
   * into ~28 m pixels (224² → 32²), close to Landsat's 30 m. 1 keeps the tiles as they are.
   */
  readonly factor: number;
  /**
   * A coarse pixel is labelled with its majority grouped class (built-up, cropland, trees, grass,
   * water) only when that class covers at least this share of its labelled source pixels; mixed
   * pixels below it are left unlabelled (neither trained on nor scored), because a 30 m pixel
   * that is half road and half field has no single right answer.
   */
  readonly minLabelShare: number;
}

/**
 * Area-averages a decoded tile (unpadded) by `factor`: RGB as the mean of each factor × factor
 * block (what a coarser sensor's pixel integrates), the label as the block's majority grouped
 * class when it covers at least `minLabelShare` of the labelled source pixels (the most frequent
 * source value of that group stands for it, so fine classes survive where they dominate), else
 * unlabelled. Edge remainders that do not fill a block are dropped. Returns planar RGB in DN
 * (0–255, fractional) and source label values.
 */
export function resampleGidTile(
  d: DecodedTile,
  resampling: GidResampling,
): { width: number; height: number; rgb: Float32Array; label: Uint8Array } {
  const f = resampling.factor;
  const width = Math.floor(d.width / f);
  const height = Math.floor(d.height / f);
  const plane = d.width * d.height;
  const coarsePlane = width * height;
  const rgb = new Float32Array(3 * coarsePlane);
  const label = new Uint8Array(coarsePlane).fill(IGNORE_VALUE[d.ref.scheme]);
  const mapping = gidMapping(d.ref.scheme);
  // Grouped class of each source label value (-1: unlabelled or outside the model's groups).
  const groupOfValue = new Int8Array(256).fill(-1);
  for (const [value, meaning] of mapping) {
    if (meaning === "ignore" || meaning.length === 0) continue;
    const g = landCoverGroupOf(meaning[0] as LandCoverId);
    if (g !== null) groupOfValue[value] = LAND_COVER_GROUP_IDS.indexOf(g);
  }
  const valueCounts = new Uint16Array(256);
  const groupCounts = new Uint16Array(LAND_COVER_GROUP_IDS.length);
  const area = f * f;
  for (let cy = 0; cy < height; cy++) {
    for (let cx = 0; cx < width; cx++) {
      valueCounts.fill(0);
      groupCounts.fill(0);
      let labelled = 0;
      const sums = [0, 0, 0];
      for (let y = cy * f; y < (cy + 1) * f; y++) {
        for (let x = cx * f; x < (cx + 1) * f; x++) {
          const i = y * d.width + x;
          sums[0]! += d.rgb[i]!;
          sums[1]! += d.rgb[plane + i]!;
          sums[2]! += d.rgb[2 * plane + i]!;
          const v = d.label[i]!;
          const g = groupOfValue[v]!;
          if (g < 0) continue;
          valueCounts[v]!++;
          groupCounts[g]!++;
          labelled++;
        }
      }
      const o = cy * width + cx;
      for (let b = 0; b < 3; b++) rgb[b * coarsePlane + o] = sums[b]! / area;
      if (labelled === 0) continue;
      let best = 0;
      for (let g = 1; g < groupCounts.length; g++) if (groupCounts[g]! > groupCounts[best]!) best = g;
      if (groupCounts[best]! < resampling.minLabelShare * labelled) continue;
      let bestValue = -1;
      for (let v = 0; v < 256; v++) {
        if (groupOfValue[v] === best && (bestValue < 0 || valueCounts[v]! > valueCounts[bestValue]!))
          bestValue = v;
      }
      label[o] = bestValue;
    }
  }
  return { width, height, rgb, label };
}

/** Mirror-pads planar bands and a label up to multiples of `multipleOf`; padding is unlabelled. */
function padToMultiple<T extends Uint8Array | Float32Array>(
  bands: T,
  bandCount: number,
  label: Uint8Array,
  w0: number,
  h0: number,
  multipleOf: number,
  ignore: number,
  make: (n: number) => T,
): { width: number; height: number; bands: T; label: Uint8Array } {
  const width = Math.ceil(w0 / multipleOf) * multipleOf;
  const height = Math.ceil(h0 / multipleOf) * multipleOf;
  if (width === w0 && height === h0) return { width, height, bands, label };
  const mirror = (v: number, n: number): number => (v < n ? v : 2 * n - 1 - v);
  const out = make(bandCount * width * height);
  const outLabel = new Uint8Array(width * height).fill(ignore);
  for (let b = 0; b < bandCount; b++) {
    for (let y = 0; y < height; y++) {
      const sy = mirror(y, h0);
      for (let x = 0; x < width; x++)
        out[b * width * height + y * width + x] = bands[b * w0 * h0 + sy * w0 + mirror(x, w0)]!;
    }
  }
  for (let y = 0; y < h0; y++) outLabel.set(label.subarray(y * w0, (y + 1) * w0), y * width);
  return { width, height, bands: out, label: outLabel };
}

export interface LoadGidOptions {
  /** Coarsen the tiles first (see {@link GidResampling}); default none. */
  readonly resampling?: GidResampling;
  readonly onTile?: (done: number, total: number) => void;
}

/**
 * Every GID tile under `gidDir` as a {@link LabelledImage} in the "rgb" profile's units (DN / 255),
 * cropped to multiples of `multipleOf`. About 160 MB for the 1051 tiles at full resolution.
 * With `resampling`, each tile is area-averaged first ({@link resampleGidTile}) and then padded.
 */
export async function loadGidImages(
  gidDir: string,
  classes: readonly LandCoverId[],
  multipleOf: number,
  options: LoadGidOptions = {},
): Promise<LabelledImage[]> {
  const refs = await listGidTiles(gidDir);
  if (refs.length === 0) throw new TrainingDataError(gidDir, "no GID tiles found");
  const resampling = options.resampling && options.resampling.factor > 1 ? options.resampling : null;
  const out: LabelledImage[] = [];
  for (const ref of refs) {
    let tile: { width: number; height: number; pixels: Uint8Array | Float32Array; label: Uint8Array };
    if (resampling) {
      const coarse = resampleGidTile(await decodeGidTile(ref, 1), resampling);
      const padded = padToMultiple(
        coarse.rgb,
        3,
        coarse.label,
        coarse.width,
        coarse.height,
        multipleOf,
        IGNORE_VALUE[ref.scheme],
        (n) => new Float32Array(n),
      );
      tile = { width: padded.width, height: padded.height, pixels: padded.bands, label: padded.label };
    } else {
      const d = await decodeGidTile(ref, multipleOf);
      tile = { width: d.width, height: d.height, pixels: d.rgb, label: d.label };
    }
    const { allowed, group } = encodeLabels(ref.labelPath, tile.label, gidMapping(ref.scheme), classes);
    out.push({
      id: ref.id,
      width: tile.width,
      height: tile.height,
      pixels: tile.pixels,
      scale: 1 / 255,
      offset: 0,
      allowed,
      group,
    });
    options.onTile?.(out.length, refs.length);
  }
  return out;
}
