/**
 * Copy-paste augmentation of training images: small parcels of other classes cut from training
 * images and pasted, labels and all, into images that are mostly cropland.
 *
 * Why: the patrol's changes are small parcels (construction, a pond, an orchard, turf) inside
 * cropland, and GID tiles rarely show that. A model with a wide context pyramid learns from GID
 * that "surrounded by fields" means cropland and dilutes such parcels into their fields. Pasting
 * parcels before the features are computed lets the pyramid see them in field surroundings.
 *
 * Only the training images are augmented (the caller passes the training split), so validation
 * figures stay comparable with models trained without it. Deterministic: every choice comes from a
 * PRNG seeded by the run's seed and the receiving image's id.
 */
import { z } from "zod";
import { LAND_COVER_IDS, type LandCoverId } from "../core/land-cover.js";
import type { LabelledImage } from "./labelled-image.js";
import { hashString, seededRandom, type Random } from "./random.js";

export const copyPasteSchema = z
  .object({
    /**
     * Share of the mostly-cropland training images that receive parcels. The rest stay as they
     * are, so the model still sees plain fields; more: better typing of small parcels in fields,
     * at some risk to cropland precision.
     */
    share: z.number().min(0).max(1).default(0.5),
    /** An image receives parcels only when at least this share of its labelled pixels is cropland. */
    minCroplandShare: z.number().min(0).max(1).default(0.6),
    /** Shortest parcel side in pixels (20 px: 80 m at GID's 4 m, a house plot). */
    minSide: z.number().int().min(4).default(20),
    /** Longest parcel side in pixels (140 px: 560 m, a large field). */
    maxSide: z.number().int().min(4).default(140),
    /** Largest parcel area in pixels (7000: 140 × 50, the demo's largest changes). */
    maxArea: z.number().int().positive().default(7000),
    /** Parcels per receiving image: uniformly 1 to this many. */
    maxParcels: z.number().int().min(1).default(3),
    /**
     * Classes whose parcels are pasted, each entry equally often (so rare ones such as turf get as
     * many parcels as built-up; list a class twice to paste it twice as often). Cropland parcels
     * are cut from any other image, mostly-cropland ones included: a field of another crop among
     * fields is still cropland, which keeps the model from reading every odd parcel as a change.
     */
    classes: z
      .array(z.enum(LAND_COVER_IDS))
      .min(1)
      .default(["built_up", "orchard", "trees", "grass", "turf", "water", "pond"]),
    /**
     * Smallest share of a cut rectangle's pixels labelled exactly its class (the rest keep their own
     * labels when pasted). Lower: more donor images qualify, parcels carry more mixed edges.
     */
    minPurity: z.number().min(0).max(1).default(0.85),
    /**
     * Multiplies the sampling probability of pasted pixels (capped at 1). Pasted parcels are a few
     * per cent of the pixels of their classes; 1 samples them like any other pixel of their label.
     */
    sampleBoost: z.number().min(1).default(1),
  })
  .strict()
  .refine((o) => o.minSide <= o.maxSide, { message: "minSide must not exceed maxSide" })
  .refine((o) => o.minSide * o.minSide <= o.maxArea, { message: "maxArea must allow a minSide square" });

export type CopyPasteOptions = z.infer<typeof copyPasteSchema>;
export type CopyPasteInput = z.input<typeof copyPasteSchema>;

/** A rectangle of pixels, [x0, x1) × [y0, y1). */
interface Rect {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

export interface PastedParcel {
  readonly receiverId: string;
  readonly donorId: string;
  readonly cls: LandCoverId;
  /** Where the parcel sits in the receiving image. */
  readonly at: Rect;
  /** Where it was cut from in the donor image. */
  readonly from: Rect;
  /** Share of the cut pixels labelled exactly `cls`. */
  readonly purity: number;
}

export interface CopyPasteResult {
  /** The images in input order; augmented ones are new objects, the others the inputs themselves. */
  readonly images: LabelledImage[];
  /** Per image id, a mask (1 = pasted pixel) for the augmented images. */
  readonly pasted: ReadonlyMap<string, Uint8Array>;
  readonly parcels: readonly PastedParcel[];
  /** Mostly-cropland images that could have received parcels. */
  readonly eligible: number;
}

/** Attempts at placing one rectangle before giving up on it. */
const PLACEMENT_TRIES = 24;
/** Donor images tried per parcel before the parcel is skipped. */
const DONOR_TRIES = 6;
/** Smallest share of a receiving rectangle that must be labelled (not padding or unlabelled). */
const MIN_RECEIVER_LABELLED = 0.9;

/**
 * Pastes parcels into a seeded share of the mostly-cropland `images`, cut from the other
 * `images`. `classes` are the model's output classes (allowed masks are bitmasks over them).
 * Images must share their band count; pixels are converted between scale/offset as needed.
 */
export function copyPasteAugment(
  images: readonly LabelledImage[],
  classes: readonly LandCoverId[],
  options: CopyPasteOptions,
  seed: number,
): CopyPasteResult {
  const croplandIndex = classes.indexOf("cropland");
  if (croplandIndex < 0) throw new RangeError("copy-paste augmentation needs cropland among the classes");
  const pasteClasses = options.classes.map((c) => {
    const i = classes.indexOf(c);
    if (i < 0) throw new RangeError(`copy-paste class ${c} is not a model class`);
    return { cls: c, bit: 1 << i };
  });
  const croplandBit = 1 << croplandIndex;

  // Per image: labelled and exact-class pixel counts.
  const counts = images.map((img) => {
    const byMask = new Map<number, number>();
    let labelled = 0;
    for (const m of img.allowed) {
      if (m === 0) continue;
      labelled++;
      byMask.set(m, (byMask.get(m) ?? 0) + 1);
    }
    return { labelled, byMask };
  });
  const isReceiver = images.map((_, k) => {
    const c = counts[k]!;
    return c.labelled > 0 && (c.byMask.get(croplandBit) ?? 0) >= options.minCroplandShare * c.labelled;
  });
  const donorsOf = new Map<number, number[]>(
    pasteClasses.map(({ bit }) => [
      bit,
      images
        .map((_, k) => k)
        .filter(
          (k) =>
            (bit === croplandBit || !isReceiver[k]) &&
            (counts[k]!.byMask.get(bit) ?? 0) >= options.minSide ** 2,
        ),
    ]),
  );

  const out = images.slice();
  const pasted = new Map<string, Uint8Array>();
  const parcels: PastedParcel[] = [];
  images.forEach((img, k) => {
    if (!isReceiver[k]) return;
    const rand = seededRandom(hashString(`${seed}:copy-paste:${img.id}`));
    if (rand() >= options.share) return;
    const target = mutableCopy(img);
    const mask = new Uint8Array(img.width * img.height);
    const n = 1 + Math.floor(rand() * options.maxParcels);
    for (let p = 0; p < n; p++) {
      const { cls, bit } = pasteClasses[Math.floor(rand() * pasteClasses.length)]!;
      const { w, h } = parcelSize(rand, options);
      if (w > img.width || h > img.height) continue;
      const at = placeInReceiver(target, mask, w, h, rand);
      if (!at) continue;
      const donors = (donorsOf.get(bit) ?? []).filter(
        (d) =>
          d !== k &&
          images[d]!.width >= w &&
          images[d]!.height >= h &&
          (counts[d]!.byMask.get(bit) ?? 0) >= w * h,
      );
      if (donors.length === 0) continue;
      for (let t = 0; t < DONOR_TRIES; t++) {
        const donor = images[donors[Math.floor(rand() * donors.length)]!]!;
        const cut = cutFromDonor(donor, bit, w, h, rand, options.minPurity);
        if (!cut) continue;
        paste(donor, cut.rect, target, at, mask);
        parcels.push({ receiverId: img.id, donorId: donor.id, cls, at, from: cut.rect, purity: cut.purity });
        break;
      }
    }
    if (parcels.length > 0 && parcels[parcels.length - 1]!.receiverId === img.id) {
      out[k] = target;
      pasted.set(img.id, mask);
    }
  });
  return { images: out, pasted, parcels, eligible: isReceiver.filter(Boolean).length };
}

/** Parcel sides: the long side uniform in [minSide, maxSide], the short one within maxArea; either orientation. */
function parcelSize(rand: Random, o: CopyPasteOptions): { w: number; h: number } {
  const long = o.minSide + Math.floor(rand() * (o.maxSide - o.minSide + 1));
  const shortMax = Math.max(o.minSide, Math.min(long, Math.floor(o.maxArea / long)));
  const short = o.minSide + Math.floor(rand() * (shortMax - o.minSide + 1));
  return rand() < 0.5 ? { w: long, h: short } : { w: short, h: long };
}

interface MutableImage extends LabelledImage {
  readonly pixels: Float32Array | Uint8Array | Uint16Array;
}

/** A copy of `img` whose arrays may be written. */
function mutableCopy(img: LabelledImage): MutableImage {
  return { ...img, pixels: img.pixels.slice(), allowed: img.allowed.slice(), group: img.group.slice() };
}

/**
 * A w × h rectangle of `img` that is at least MIN_RECEIVER_LABELLED labelled and clear of the
 * parcels already pasted (`mask`), so each parcel keeps its size and field surroundings; or null.
 */
function placeInReceiver(
  img: LabelledImage,
  mask: Uint8Array,
  w: number,
  h: number,
  rand: Random,
): Rect | null {
  for (let t = 0; t < PLACEMENT_TRIES; t++) {
    const x0 = Math.floor(rand() * (img.width - w + 1));
    const y0 = Math.floor(rand() * (img.height - h + 1));
    const r = { x0, y0, x1: x0 + w, y1: y0 + h };
    let labelled = 0;
    let clear = true;
    for (let y = r.y0; y < r.y1 && clear; y++) {
      for (let x = r.x0; x < r.x1; x++) {
        const i = y * img.width + x;
        if (mask[i]) {
          clear = false;
          break;
        }
        if (img.allowed[i] !== 0) labelled++;
      }
    }
    if (clear && labelled >= MIN_RECEIVER_LABELLED * w * h) return r;
  }
  return null;
}

/**
 * A w × h rectangle of `donor` centred on a random pixel labelled exactly `bit` (so it is found
 * quickly even where the class is a small share of the image), the purest of PLACEMENT_TRIES, if
 * that reaches `minPurity`.
 */
function cutFromDonor(
  donor: LabelledImage,
  bit: number,
  w: number,
  h: number,
  rand: Random,
  minPurity: number,
): { rect: Rect; purity: number } | null {
  let best: { rect: Rect; purity: number } | null = null;
  const n = donor.width * donor.height;
  for (let t = 0; t < PLACEMENT_TRIES; t++) {
    // A random pixel of the class: probe from a random start (class pixels are ≥ w·h of the image).
    let i = Math.floor(rand() * n);
    for (let s = 0; s < n && donor.allowed[i] !== bit; s++) i = (i + 1) % n;
    const cx = i % donor.width;
    const cy = Math.floor(i / donor.width);
    const x0 = Math.min(Math.max(0, cx - Math.floor(w / 2)), donor.width - w);
    const y0 = Math.min(Math.max(0, cy - Math.floor(h / 2)), donor.height - h);
    const rect = { x0, y0, x1: x0 + w, y1: y0 + h };
    let hits = 0;
    for (let y = y0; y < rect.y1; y++)
      for (let x = x0; x < rect.x1; x++) if (donor.allowed[y * donor.width + x] === bit) hits++;
    const purity = hits / (w * h);
    if (!best || purity > best.purity) best = { rect, purity };
    if (purity >= 0.98) break;
  }
  return best && best.purity >= minPurity ? best : null;
}

/** Copies the donor's pixels and labels in `from` onto `at` of `target` (same size), marking `mask`. */
function paste(donor: LabelledImage, from: Rect, target: MutableImage, at: Rect, mask: Uint8Array): void {
  const bands = target.pixels.length / (target.width * target.height);
  if (donor.pixels.length / (donor.width * donor.height) !== bands) {
    throw new RangeError(`copy-paste: ${donor.id} and ${target.id} have different band counts`);
  }
  const same = donor.scale === target.scale && donor.offset === target.offset;
  const integer = !(target.pixels instanceof Float32Array);
  const maxValue = target.pixels instanceof Uint8Array ? 255 : 65535;
  const dPlane = donor.width * donor.height;
  const tPlane = target.width * target.height;
  for (let y = 0; y < at.y1 - at.y0; y++) {
    for (let x = 0; x < at.x1 - at.x0; x++) {
      const di = (from.y0 + y) * donor.width + from.x0 + x;
      const ti = (at.y0 + y) * target.width + at.x0 + x;
      for (let b = 0; b < bands; b++) {
        const v = donor.pixels[b * dPlane + di] as number;
        let out = same ? v : (v * donor.scale + donor.offset - target.offset) / target.scale;
        if (integer && !same) out = Math.min(maxValue, Math.max(0, Math.round(out)));
        target.pixels[b * tPlane + ti] = out;
      }
      target.allowed[ti] = donor.allowed[di] as number;
      target.group[ti] = donor.group[di] as number;
      mask[ti] = 1;
    }
  }
}
