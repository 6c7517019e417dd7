/**
 * Labelled training images in one shape whatever their origin (GID PNG pairs, GeoTIFF image +
 * label raster, imagery + rasterised polygons), and the features/samples drawn from them.
 */
import * as tf from "@tensorflow/tfjs";
import {
  landCoverGroupOf,
  LAND_COVER_GROUP_IDS,
  type LabelMeaning,
  type LandCoverId,
} from "../core/land-cover.js";
import { TrainingDataError } from "./errors.js";
import { explicitFeatures, featureCount, pyramidCell, type FeatureSpec } from "./features.js";
import { hashString, seededRandom, type Random } from "./random.js";

/**
 * One labelled image: band-interleaved pixels on a grid and, per pixel, the set of model classes
 * its label allows as a bitmask over `classes` (bit i = classes[i]); 0 means unlabelled/ignored.
 */
export interface LabelledImage {
  /** Stable id; the train/validation split is by this id. */
  readonly id: string;
  readonly width: number;
  readonly height: number;
  /** Planar samples, bands.length × height × width, bands in the feature spec's order. */
  readonly pixels: Uint8Array | Uint16Array | Float32Array;
  /** Reflectance = pixels * scale + offset. */
  readonly scale: number;
  readonly offset: number;
  readonly allowed: Uint16Array;
  /** Grouped-class index (into LAND_COVER_GROUP_IDS) per pixel, 255 where ignored. */
  readonly group: Uint8Array;
}

/** Bitmask over `classes` for a label meaning; 0 for "ignore". Throws if a member is not a model class. */
export function meaningMask(meaning: LabelMeaning, classes: readonly LandCoverId[]): number {
  if (meaning === "ignore") return 0;
  let m = 0;
  for (const id of meaning) {
    const i = classes.indexOf(id);
    if (i >= 0) m |= 1 << i;
  }
  return m;
}

/**
 * Turns raw label values into allowed-class masks and grouped-class indices via `mapping`.
 * A label value missing from the mapping is a {@link TrainingDataError}.
 */
export function encodeLabels(
  source: string,
  raw: ArrayLike<number>,
  mapping: ReadonlyMap<number, LabelMeaning>,
  classes: readonly LandCoverId[],
): { allowed: Uint16Array; group: Uint8Array } {
  const maskOf = new Map<number, number>();
  const groupOf = new Map<number, number>();
  for (const [value, meaning] of mapping) {
    const mask = meaningMask(meaning, classes);
    maskOf.set(value, mask);
    const g = meaning === "ignore" || mask === 0 ? null : landCoverGroupOf(meaning[0] as LandCoverId);
    groupOf.set(value, g === null ? 255 : LAND_COVER_GROUP_IDS.indexOf(g));
  }
  const allowed = new Uint16Array(raw.length);
  const group = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i] as number;
    const m = maskOf.get(v);
    if (m === undefined) {
      throw new TrainingDataError(source, `label value ${v} at pixel ${i} is not in the class mapping`);
    }
    allowed[i] = m;
    group[i] = groupOf.get(v) as number;
  }
  return { allowed, group };
}

/**
 * Deterministic train/validation split by image id, stratified by the id's folder (everything
 * before the last "/", e.g. a GID scene class): within each folder the ids are ordered by a seeded
 * hash and the first round(fraction × count) go to validation. Adding or removing other folders
 * does not move an image between sets.
 *
 * @returns the set of validation ids.
 */
export function splitByImage(ids: readonly string[], seed: number, fraction: number): Set<string> {
  const folders = new Map<string, string[]>();
  for (const id of ids) {
    const folder = id.includes("/") ? id.slice(0, id.lastIndexOf("/")) : "";
    const list = folders.get(folder) ?? [];
    list.push(id);
    folders.set(folder, list);
  }
  const val = new Set<string>();
  for (const list of folders.values()) {
    const keyed = list.map((id) => ({ id, key: hashString(`${seed}:${id}`) }));
    keyed.sort((a, b) => a.key - b.key || (a.id < b.id ? -1 : 1));
    const take = Math.round(fraction * list.length);
    for (const k of keyed.slice(0, take)) val.add(k.id);
  }
  return val;
}

/** A radiometric perturbation's spread (see the train config's `augment`). */
export interface RadiometrySpread {
  /** Common gain, log-uniform within ×/÷ (1 + gain). */
  readonly gain: number;
  /** Per-band gain factor, uniform within 1 ± bandGain. */
  readonly bandGain: number;
  /** Per-band additive offset in reflectance units, uniform within ± offset. */
  readonly offset: number;
}

/**
 * A copy of `img` (id suffixed with `#tag`) with reflectance × g_b + o_b per band, drawn from a
 * generator seeded by the seed and the image id, so a training run is reproducible. Labels are
 * shared with the original.
 */
export function perturbRadiometry(
  img: LabelledImage,
  bandCount: number,
  spread: RadiometrySpread,
  seed: number,
  tag: string,
): LabelledImage {
  const rand = seededRandom(hashString(`${seed}:${img.id}#${tag}`));
  const uniform = (a: number): number => (2 * rand() - 1) * a;
  const common = Math.exp(uniform(Math.log(1 + spread.gain)));
  const n = img.width * img.height;
  const pixels = new Float32Array(bandCount * n);
  for (let b = 0; b < bandCount; b++) {
    const gain = common * (1 + uniform(spread.bandGain));
    const offset = uniform(spread.offset);
    for (let i = 0; i < n; i++) {
      const reflectance = (img.pixels[b * n + i] as number) * img.scale + img.offset;
      pixels[b * n + i] = reflectance * gain + offset;
    }
  }
  return { ...img, id: `${img.id}#${tag}`, pixels, scale: 1, offset: 0 };
}

/** Planar image tensor [bands, H, W] in model input units. Caller disposes. */
export function imageTensor(img: LabelledImage, bandCount: number): tf.Tensor3D {
  return tf.tidy(() => {
    const t = tf.tensor3d(img.pixels instanceof Float32Array ? img.pixels : Float32Array.from(img.pixels), [
      bandCount,
      img.height,
      img.width,
    ]);
    return tf.add(tf.mul(t, img.scale), img.offset) as tf.Tensor3D;
  });
}

/** Samples (pixels) with their features, allowed-class masks and grouped classes. */
export interface SampleSet {
  readonly count: number;
  readonly featureCount: number;
  /** count × featureCount, row-major. */
  readonly features: Float32Array;
  readonly allowed: Uint16Array;
  readonly group: Uint8Array;
  /** Samples drawn from boosted pixels ({@link SamplingOptions.boost}); 0 without a boost. */
  readonly boosted?: number;
}

export interface SamplingOptions {
  /** Target number of samples over all images. */
  readonly budget: number;
  /**
   * Class balancing exponent: each label's share of the samples is proportional to its pixel
   * count raised to this power. 1 keeps natural frequencies, 0 samples every label equally.
   */
  readonly balancePower: number;
  readonly seed: number;
  /**
   * Pixels sampled more often: per image id a mask (1 = boosted) whose pixels keep with
   * `factor` × their label's probability (capped at 1), e.g. parcels pasted by copy-paste
   * augmentation. Labels' shares are still computed over all pixels alike.
   */
  readonly boost?: { readonly masks: ReadonlyMap<string, Uint8Array>; readonly factor: number };
}

/**
 * Computes features image by image (never all at once) and keeps a class-balanced random subset
 * of pixels. Labels are keyed by their allowed mask, so GID-5 "forest" and GID-15 "trees" are
 * balanced separately.
 */
export function sampleFeatures(
  images: readonly LabelledImage[],
  spec: FeatureSpec,
  options: SamplingOptions,
  onImage?: (done: number, total: number) => void,
): SampleSet {
  const counts = new Map<number, number>();
  for (const img of images) {
    for (const m of img.allowed) if (m !== 0) counts.set(m, (counts.get(m) ?? 0) + 1);
  }
  let shareTotal = 0;
  for (const c of counts.values()) shareTotal += c ** options.balancePower;
  const keepProb = new Map<number, number>();
  for (const [m, c] of counts) {
    keepProb.set(m, Math.min(1, (options.budget * c ** options.balancePower) / shareTotal / c));
  }
  const nf = featureCount(spec);
  const cell = pyramidCell(spec);
  const chunks: Array<{ f: Float32Array; a: Uint16Array; g: Uint8Array }> = [];
  let total = 0;
  let boostedTotal = 0;
  images.forEach((img, k) => {
    if (img.width % cell !== 0 || img.height % cell !== 0) {
      throw new TrainingDataError(img.id, `size ${img.width}×${img.height} is not a multiple of ${cell}`);
    }
    const rand: Random = seededRandom(hashString(`${options.seed}:${img.id}`));
    const picks: number[] = [];
    const boosted = options.boost?.masks.get(img.id);
    const factor = options.boost?.factor ?? 1;
    for (let i = 0; i < img.allowed.length; i++) {
      const m = img.allowed[i] as number;
      if (m === 0) continue;
      const p = keepProb.get(m) ?? 0;
      if (rand() < (boosted?.[i] ? p * factor : p)) {
        picks.push(i);
        if (boosted?.[i]) boostedTotal++;
      }
    }
    if (picks.length > 0) {
      const picked = tf.tidy(() =>
        explicitFeatures(imageTensor(img, spec.bands.length), spec, tf.tensor1d(picks, "int32")),
      );
      const f = picked.dataSync() as Float32Array;
      picked.dispose();
      chunks.push({
        f,
        a: Uint16Array.from(picks, (i) => img.allowed[i] as number),
        g: Uint8Array.from(picks, (i) => img.group[i] as number),
      });
      total += picks.length;
    }
    onImage?.(k + 1, images.length);
  });
  const features = new Float32Array(total * nf);
  const allowed = new Uint16Array(total);
  const group = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    features.set(c.f, o * nf);
    allowed.set(c.a, o);
    group.set(c.g, o);
    o += c.a.length;
  }
  return { count: total, featureCount: nf, features, allowed, group, boosted: boostedTotal };
}
