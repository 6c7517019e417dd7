/**
 * The Gaofen Image Dataset (GID) tiles in ../shared/data/gid: 224×224 true-colour PNGs with
 * per-pixel label PNGs, GID-15 (gid-mtl15/<scene>/) and GID-5 (gid-mtl5/farmland/). Decoded with
 * sharp once; the caller caches the result.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { GID15_MAPPING, GID5_MAPPING, type LabelMeaning, type LandCoverId } from "../core/land-cover.js";
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
  const rgb = new Uint8Array(width * height * 3);
  const label = new Uint8Array(width * height).fill(IGNORE_VALUE[ref.scheme]);
  const plane = width * height;
  const mirror = (v: number, n: number): number => (v < n ? v : 2 * n - 1 - v);
  for (let y = 0; y < height; y++) {
    const sy = mirror(y, h0);
    for (let x = 0; x < width; x++) {
      const i = (sy * img.info.width + mirror(x, w0)) * 3;
      const o = y * width + x;
      rgb[o] = img.data[i] as number;
      rgb[plane + o] = img.data[i + 1] as number;
      rgb[2 * plane + o] = img.data[i + 2] as number;
    }
    if (y < h0) label.set(lab.data.subarray(y * lab.info.width, y * lab.info.width + w0), y * width);
  }
  return { ref, width, height, rgb, label };
}

/**
 * Every GID tile under `gidDir` as a {@link LabelledImage} in the "rgb" profile's units (DN / 255),
 * cropped to multiples of `multipleOf`. About 160 MB for the 1051 tiles.
 */
export async function loadGidImages(
  gidDir: string,
  classes: readonly LandCoverId[],
  multipleOf: number,
  onTile?: (done: number, total: number) => void,
): Promise<LabelledImage[]> {
  const refs = await listGidTiles(gidDir);
  if (refs.length === 0) throw new TrainingDataError(gidDir, "no GID tiles found");
  const out: LabelledImage[] = [];
  for (const ref of refs) {
    const d = await decodeGidTile(ref, multipleOf);
    const { allowed, group } = encodeLabels(ref.labelPath, d.label, gidMapping(ref.scheme), classes);
    out.push({
      id: ref.id,
      width: d.width,
      height: d.height,
      pixels: d.rgb,
      scale: 1 / 255,
      offset: 0,
      allowed,
      group,
    });
    onTile?.(out.length, refs.length);
  }
  return out;
}
