/**
 * Training images from GeoTIFFs: an image with a label raster, or an image with label polygons
 * whose class-code field (e.g. a DLTB layer's DLBM) maps to land-cover classes. Both are cut into
 * tiles (the unit of the train/validation split).
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../core/errors.js";
import {
  isLandCoverId,
  LAND_COVER_CLASSES,
  type LabelMeaning,
  type LandCoverId,
} from "../core/land-cover.js";
import type { PixelWindow, TypedSamples } from "../core/raster-types.js";
import { openRaster } from "../ingest/raster-source.js";
import type { RasterSource } from "../ingest/raster-source-types.js";
import { rasterizeLayer } from "../ingest/rasterize.js";
import { resolveSensorProfile, type SensorProfile } from "../ingest/sensor-profile.js";
import { loadVectorLayer } from "../ingest/vector-layer.js";
import { BandMismatchError, TrainingDataError, UnknownClassCodeError } from "./errors.js";
import type { FeatureSpec } from "./features.js";
import { encodeLabels, type LabelledImage } from "./labelled-image.js";

/** Side of the training tiles cut from large rasters (a multiple of every pyramid cell up to 256). */
export const TRAINING_TILE = 256;

/**
 * Parses a class mapping `{ "<value or code>": "<class>" | ["<class>", …] | "ignore" }`.
 * An unknown class name is a {@link ConfigError}.
 */
export function readClassMapping(json: unknown, source: string): Map<string, LabelMeaning> {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ConfigError(source, "a class mapping must be a JSON object");
  }
  const out = new Map<string, LabelMeaning>();
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (value === "ignore") {
      out.set(key, "ignore");
      continue;
    }
    const list = Array.isArray(value) ? value : [value];
    const ids: LandCoverId[] = [];
    for (const v of list) {
      if (typeof v !== "string" || !isLandCoverId(v)) {
        throw new ConfigError(
          source,
          `"${key}" maps to ${JSON.stringify(v)}, which is not a land-cover class`,
        );
      }
      ids.push(v);
    }
    out.set(key, ids);
  }
  return out;
}

/**
 * The default class-code mapping for GB/T 21010 codes (DLBM): a code maps to the class listing it
 * exactly, else to the class listing its two-digit first-level prefix (e.g. 0702 → built-up).
 * Returns undefined for codes no class lists.
 */
export function gbt21010Meaning(code: string): LabelMeaning | undefined {
  const c = code.trim();
  const exact = LAND_COVER_CLASSES.find((k) => k.gbt21010.includes(c));
  if (exact) return [exact.id];
  const prefix = LAND_COVER_CLASSES.find((k) => k.gbt21010.includes(c.slice(0, 2)));
  return prefix ? [prefix.id] : undefined;
}

function profileBands(
  profile: SensorProfile,
  spec: FeatureSpec,
  source: string,
): Array<{ index: number; scale: number; offset: number }> {
  return spec.bands.map((role) => {
    const b = profile.bands.find((x) => x.name === role);
    if (!b) {
      throw new BandMismatchError(
        source,
        spec.bands,
        profile.bands.map((x) => x.name),
        `sensor profile "${profile.id}" has no ${role} band`,
      );
    }
    return b;
  });
}

/** Tile windows covering a width × height raster, each a multiple of `cell` (edge remainders dropped). */
function trainingWindows(width: number, height: number, cell: number): PixelWindow[] {
  const out: PixelWindow[] = [];
  const side = TRAINING_TILE - (TRAINING_TILE % cell);
  for (let y0 = 0; y0 + cell <= height; y0 += side) {
    for (let x0 = 0; x0 + cell <= width; x0 += side) {
      const w = Math.min(side, width - x0);
      const h = Math.min(side, height - y0);
      out.push({ x0, y0, x1: x0 + w - (w % cell), y1: y0 + h - (h % cell) });
    }
  }
  return out;
}

/** Reads a window as planar reflectance (spec band order) with a nodata mask. */
async function readReflectance(
  src: RasterSource,
  profile: SensorProfile,
  spec: FeatureSpec,
  window: PixelWindow,
): Promise<{ pixels: Float32Array; nodata: Uint8Array }> {
  const bands = profileBands(profile, spec, src.source);
  const block = await src.read(window, { bands: bands.map((b) => b.index) });
  const n = block.width * block.height;
  const pixels = new Float32Array(bands.length * n);
  const nodata = new Uint8Array(n);
  bands.forEach((b, k) => {
    const s = block.bands[k] as TypedSamples;
    for (let i = 0; i < n; i++) {
      const dn = s[i] as number;
      if (dn !== dn || dn === block.nodata || dn === profile.nodata) nodata[i] = 1;
      pixels[k * n + i] = dn * b.scale + b.offset;
    }
  });
  return { pixels, nodata };
}

function tileImage(
  id: string,
  window: PixelWindow,
  pixels: Float32Array,
  nodata: Uint8Array,
  labels: ArrayLike<number>,
  mapping: ReadonlyMap<number, LabelMeaning>,
  classes: readonly LandCoverId[],
): LabelledImage {
  const width = window.x1 - window.x0;
  const height = window.y1 - window.y0;
  const raw = Int32Array.from(labels);
  for (let i = 0; i < raw.length; i++) if (nodata[i]) raw[i] = -1;
  const m = new Map(mapping);
  m.set(-1, "ignore");
  const { allowed, group } = encodeLabels(id, raw, m, classes);
  return { id, width, height, pixels, scale: 1, offset: 0, allowed, group };
}

/**
 * Image + label GeoTIFF pairs from a folder: NAME.tif with NAME_label.tif on the same grid, label
 * values mapped by `mapping` (string keys of integer values). Each pair is cut into tiles with ids
 * "NAME/x0_y0", so the split holds out tiles of every image.
 */
export async function loadRasterPairs(
  dir: string,
  profileId: string,
  spec: FeatureSpec,
  mapping: ReadonlyMap<string, LabelMeaning>,
  classes: readonly LandCoverId[],
  onImage?: (done: number, total: number) => void,
): Promise<LabelledImage[]> {
  const profile = resolveSensorProfile(profileId);
  const numeric = new Map<number, LabelMeaning>();
  for (const [k, v] of mapping) {
    const n = Number(k);
    if (!Number.isInteger(n)) throw new ConfigError(dir, `label value "${k}" is not an integer`);
    numeric.set(n, v);
  }
  const names = (await readdir(dir)).filter((f) => /\.tiff?$/i.test(f) && !/_label\.tiff?$/i.test(f)).sort();
  const out: LabelledImage[] = [];
  let done = 0;
  for (const name of names) {
    const stem = name.replace(/\.tiff?$/i, "");
    const labelName = (await readdir(dir)).find(
      (f) =>
        f.toLowerCase() === `${stem.toLowerCase()}_label.tif` ||
        f.toLowerCase() === `${stem.toLowerCase()}_label.tiff`,
    );
    if (!labelName) continue;
    const img = await openRaster(path.join(dir, name));
    const lab = await openRaster(path.join(dir, labelName));
    try {
      if (img.width !== lab.width || img.height !== lab.height) {
        throw new TrainingDataError(
          lab.source,
          `label raster is ${lab.width}×${lab.height}, the image ${img.width}×${img.height}`,
        );
      }
      for (const w of trainingWindows(img.width, img.height, 2 ** spec.pyramidLevels)) {
        const { pixels, nodata } = await readReflectance(img, profile, spec, w);
        const labels = (await lab.read(w, { bands: [0] })).bands[0] as TypedSamples;
        out.push(tileImage(`${stem}/${w.x0}_${w.y0}`, w, pixels, nodata, labels, numeric, classes));
      }
    } finally {
      await img.close();
      await lab.close();
    }
    onImage?.(++done, names.length);
  }
  if (out.length === 0) throw new TrainingDataError(dir, "no NAME.tif + NAME_label.tif pairs found");
  return out;
}

export interface PolygonTrainingSource {
  readonly image: string;
  readonly polygons: string;
  /** Property holding the class code (DLBM for a DLTB layer). */
  readonly classField: string;
  /** Code → class; null for the GB/T 21010 default ({@link gbt21010Meaning}). */
  readonly codeMap: ReadonlyMap<string, LabelMeaning> | null;
  readonly profile: string;
}

/**
 * An image labelled by polygons: every polygon's class code must map to a class (an unknown code
 * is an {@link UnknownClassCodeError}); polygons are burned onto the image grid (pixel centres
 * inside, later features over earlier); unburned pixels are ignored.
 */
export async function loadPolygonTraining(
  src: PolygonTrainingSource,
  spec: FeatureSpec,
  classes: readonly LandCoverId[],
  onImage?: (done: number, total: number) => void,
): Promise<LabelledImage[]> {
  const profile = resolveSensorProfile(src.profile);
  const layer = await loadVectorLayer(src.polygons, { requiredProperties: [src.classField] });
  const meanings: LabelMeaning[] = ["ignore"];
  const keyOf = new Map<string, number>();
  const codeIndex = new Int32Array(layer.features.length);
  layer.features.forEach((f, i) => {
    const code = String((f.properties as Record<string, unknown>)[src.classField]).trim();
    const meaning = src.codeMap ? src.codeMap.get(code) : gbt21010Meaning(code);
    if (meaning === undefined) {
      const known = src.codeMap
        ? [...src.codeMap.keys()]
        : LAND_COVER_CLASSES.flatMap((c) => [...c.gbt21010]);
      throw new UnknownClassCodeError(src.polygons, src.classField, code, f.index, known);
    }
    const key = meaning === "ignore" ? "ignore" : meaning.join("+");
    let k = keyOf.get(key);
    if (k === undefined) {
      k = meanings.length;
      meanings.push(meaning);
      keyOf.set(key, k);
    }
    codeIndex[i] = k;
  });
  const img = await openRaster(src.image);
  try {
    if (!img.crs)
      throw new TrainingDataError(src.image, "the image has no CRS, so polygons cannot be placed on it");
    const byFeature = new Map(layer.features.map((f, i) => [f, codeIndex[i] as number]));
    const burned = rasterizeLayer(
      layer,
      { affine: img.affine, width: img.width, height: img.height, crs: img.crs },
      { burn: (f) => byFeature.get(f) ?? 0, sampleType: "uint16", init: 0 },
    );
    const mapping = new Map<number, LabelMeaning>(meanings.map((m, i) => [i, m]));
    const stem = path.basename(src.image).replace(/\.tiff?$/i, "");
    const out: LabelledImage[] = [];
    const windows = trainingWindows(img.width, img.height, 2 ** spec.pyramidLevels);
    for (const w of windows) {
      const { pixels, nodata } = await readReflectance(img, profile, spec, w);
      const tw = w.x1 - w.x0;
      const labels = new Uint16Array(tw * (w.y1 - w.y0));
      for (let y = w.y0; y < w.y1; y++) {
        labels.set(
          burned.subarray(y * img.width + w.x0, y * img.width + w.x1) as Uint16Array,
          (y - w.y0) * tw,
        );
      }
      out.push(tileImage(`${stem}/${w.x0}_${w.y0}`, w, pixels, nodata, labels, mapping, classes));
      onImage?.(out.length, windows.length);
    }
    return out;
  } finally {
    await img.close();
  }
}
