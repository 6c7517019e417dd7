import { describe, expect, it } from "vitest";
import { copyPasteAugment, copyPasteSchema } from "../../src/classify/copy-paste.js";
import { sampleFeatures, type LabelledImage } from "../../src/classify/labelled-image.js";
import { seededRandom } from "../../src/classify/random.js";
import {
  splitForTraining,
  trainClassifier,
  trainConfigSchema,
  type TrainConfigInput,
} from "../../src/classify/train.js";
import { LAND_COVER_GROUP_IDS, type LandCoverId } from "../../src/core/land-cover.js";
import { SMALL_SPEC } from "./helpers.js";

const CLASSES: LandCoverId[] = ["cropland", "orchard", "turf", "pond", "built_up"];
const bit = (c: LandCoverId): number => 1 << CLASSES.indexOf(c);
const groupIndex = (g: (typeof LAND_COVER_GROUP_IDS)[number]): number => LAND_COVER_GROUP_IDS.indexOf(g);
const SIDE = 128;

/**
 * A SIDE² RGB image (uint8, scale 1/255) of seeded noise, labelled `main` except for a band of
 * `other` pixels in its left quarter and an unlabelled bottom row (like GID's mirror padding).
 */
function image(id: string, main: LandCoverId, other: LandCoverId, seed: number): LabelledImage {
  const n = SIDE * SIDE;
  const rand = seededRandom(seed);
  const pixels = Uint8Array.from({ length: 3 * n }, () => Math.floor(rand() * 256));
  const allowed = new Uint16Array(n);
  const group = new Uint8Array(n);
  const groupOf: Record<string, number> = {
    cropland: groupIndex("cropland"),
    orchard: groupIndex("trees"),
    turf: groupIndex("grass"),
    pond: groupIndex("water"),
    built_up: groupIndex("built_up"),
  };
  for (let i = 0; i < n; i++) {
    const x = i % SIDE;
    const y = Math.floor(i / SIDE);
    const c = y === SIDE - 1 ? null : x < SIDE / 4 ? other : main;
    allowed[i] = c === null ? 0 : bit(c);
    group[i] = c === null ? 255 : (groupOf[c] as number);
  }
  return { id, width: SIDE, height: SIDE, pixels, scale: 1 / 255, offset: 0, allowed, group };
}

function dataset(): LabelledImage[] {
  const out: LabelledImage[] = [];
  for (let k = 0; k < 12; k++) out.push(image(`fields/${k}`, "cropland", "cropland", 100 + k));
  out.push(image("town/0", "built_up", "cropland", 1));
  out.push(image("town/1", "built_up", "built_up", 2));
  out.push(image("gardens/0", "orchard", "cropland", 3));
  out.push(image("turf/0", "turf", "turf", 4));
  out.push(image("ponds/0", "pond", "cropland", 5));
  return out;
}

const OPTIONS = copyPasteSchema.parse({ share: 1, minSide: 10, maxSide: 40, maxArea: 800, maxParcels: 2 });

describe("copyPasteAugment", () => {
  it("pastes donor pixels and labels, exactly, into the mostly-cropland images only", () => {
    const images = dataset();
    const classesPasted = OPTIONS.classes.filter((c) => CLASSES.includes(c));
    const r = copyPasteAugment(images, CLASSES, { ...OPTIONS, classes: classesPasted }, 1);
    expect(r.eligible).toBe(12);
    expect(r.pasted.size).toBe(12); // share 1: every eligible image
    images.forEach((img, k) => {
      if (!img.id.startsWith("fields/")) expect(r.images[k]).toBe(img);
    });
    expect(r.parcels.length).toBeGreaterThanOrEqual(12);
    const byId = new Map(images.map((i) => [i.id, i]));
    for (const p of r.parcels) {
      const w = p.at.x1 - p.at.x0;
      const h = p.at.y1 - p.at.y0;
      expect(Math.min(w, h)).toBeGreaterThanOrEqual(10);
      expect(Math.max(w, h)).toBeLessThanOrEqual(40);
      expect(w * h).toBeLessThanOrEqual(800);
      expect([p.from.x1 - p.from.x0, p.from.y1 - p.from.y0]).toEqual([w, h]);
      expect(p.donorId.startsWith("fields/")).toBe(false);
      expect(p.purity).toBeGreaterThanOrEqual(OPTIONS.minPurity);
      const donor = byId.get(p.donorId)!;
      const out = r.images.find((i) => i.id === p.receiverId)!;
      const mask = r.pasted.get(p.receiverId)!;
      let exact = 0;
      let mismatches = 0;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const di = (p.from.y0 + y) * SIDE + p.from.x0 + x;
          const ti = (p.at.y0 + y) * SIDE + p.at.x0 + x;
          for (let b = 0; b < 3; b++)
            if (out.pixels[b * SIDE * SIDE + ti] !== donor.pixels[b * SIDE * SIDE + di]) mismatches++;
          if (out.allowed[ti] !== donor.allowed[di] || out.group[ti] !== donor.group[di]) mismatches++;
          if (mask[ti] !== 1) mismatches++;
          if (out.allowed[ti] === bit(p.cls)) exact++;
        }
      }
      expect(mismatches).toBe(0);
      expect(exact / (w * h)).toBeCloseTo(p.purity, 10);
    }
    // Outside the parcels, an augmented image is its input, and the input itself is untouched.
    for (const [id, mask] of r.pasted) {
      const before = byId.get(id)!;
      const after = r.images.find((i) => i.id === id)!;
      expect(after).not.toBe(before);
      let pastedPixels = 0;
      let changedOutside = 0;
      for (let i = 0; i < mask.length; i++) {
        if (mask[i]) {
          pastedPixels++;
          continue;
        }
        if (after.allowed[i] !== before.allowed[i] || after.pixels[i] !== before.pixels[i]) changedOutside++;
      }
      expect(changedOutside).toBe(0);
      const areas = r.parcels
        .filter((p) => p.receiverId === id)
        .reduce((s, p) => s + (p.at.x1 - p.at.x0) * (p.at.y1 - p.at.y0), 0);
      expect(pastedPixels).toBe(areas); // parcels do not overlap
      expect(before.allowed.every((m) => m === 0 || m === bit("cropland"))).toBe(true);
    }
  });

  it("is deterministic for a seed and differs between seeds", () => {
    const opts = { ...OPTIONS, classes: ["built_up", "orchard", "turf", "pond"] as LandCoverId[] };
    const a = copyPasteAugment(dataset(), CLASSES, opts, 5);
    const b = copyPasteAugment(dataset(), CLASSES, opts, 5);
    const c = copyPasteAugment(dataset(), CLASSES, opts, 6);
    expect(b.parcels).toEqual(a.parcels);
    expect(c.parcels).not.toEqual(a.parcels);
  });

  it("augments about `share` of the eligible images, and none at share 0", () => {
    const opts = { ...OPTIONS, classes: ["built_up"] as LandCoverId[] };
    expect(copyPasteAugment(dataset(), CLASSES, { ...opts, share: 0 }, 1).pasted.size).toBe(0);
    const many: LabelledImage[] = [];
    for (let k = 0; k < 200; k++) many.push(image(`fields/${k}`, "cropland", "cropland", k));
    many.push(image("town/1", "built_up", "built_up", 2));
    const half = copyPasteAugment(many, CLASSES, { ...opts, share: 0.5 }, 1).pasted.size;
    expect(half).toBeGreaterThan(70);
    expect(half).toBeLessThan(130);
  });

  it("converts pixel units between images of different scale", () => {
    const fields = image("fields/0", "cropland", "cropland", 9);
    const asFloat: LabelledImage = {
      ...fields,
      pixels: Float32Array.from(fields.pixels, (v) => v / 255),
      scale: 1,
    };
    const town = image("town/1", "built_up", "built_up", 2);
    const r = copyPasteAugment(
      [asFloat, town],
      CLASSES,
      { ...OPTIONS, classes: ["built_up"], maxParcels: 1 },
      1,
    );
    const [p] = r.parcels;
    expect(p).toBeDefined();
    const out = r.images[0]!;
    const di = p!.from.y0 * SIDE + p!.from.x0;
    const ti = p!.at.y0 * SIDE + p!.at.x0;
    expect(out.pixels[ti]).toBeCloseTo((town.pixels[di] as number) / 255, 6);
  });
});

describe("sampling with a boost", () => {
  it("samples boosted pixels `factor` times as often and counts them", () => {
    const img = image("fields/0", "cropland", "cropland", 3);
    const mask = new Uint8Array(SIDE * SIDE);
    for (let i = 0; i < SIDE * SIDE; i += 2) mask[i] = 1; // every other pixel
    const labelled = img.allowed.reduce((n, m) => n + (m !== 0 ? 1 : 0), 0);
    const options = { budget: labelled / 10, balancePower: 1, seed: 1 };
    const plain = sampleFeatures([img], SMALL_SPEC, options);
    const boosted = sampleFeatures([img], SMALL_SPEC, {
      ...options,
      boost: { masks: new Map([[img.id, mask]]), factor: 4 },
    });
    expect(plain.boosted).toBe(0);
    // Expected: half the labelled pixels at 0.1, half at 0.4 → 0.25 of them, 80% of those boosted.
    expect(boosted.count / labelled).toBeGreaterThan(0.23);
    expect(boosted.count / labelled).toBeLessThan(0.27);
    expect(boosted.boosted! / boosted.count).toBeGreaterThan(0.77);
    expect(boosted.boosted! / boosted.count).toBeLessThan(0.83);
    expect(plain.count / labelled).toBeGreaterThan(0.09);
    expect(plain.count / labelled).toBeLessThan(0.11);
  });
});

describe("copy-paste configuration", () => {
  const base = {
    modelId: "t",
    classes: CLASSES,
    features: { bands: ["red", "green", "blue"], pyramidLevels: 2 },
    groundResolutionM: 4,
    inputDescription: "test",
  };

  it("has documented defaults and rejects unknown keys and impossible sizes", () => {
    expect(copyPasteSchema.parse({})).toMatchObject({ share: 0.5, minSide: 20, maxSide: 140, maxArea: 7000 });
    expect(copyPasteSchema.safeParse({ shares: 0.5 }).success).toBe(false);
    expect(copyPasteSchema.safeParse({ minSide: 50, maxSide: 40 }).success).toBe(false);
    expect(copyPasteSchema.safeParse({ share: 1.5 }).success).toBe(false);
  });

  it("rejects pasting a class the model does not output", () => {
    expect(trainConfigSchema.safeParse({ ...base, copyPaste: { classes: ["built_up"] } }).success).toBe(true);
    expect(trainConfigSchema.safeParse({ ...base, copyPaste: { classes: ["cropland"] } }).success).toBe(true);
    expect(trainConfigSchema.safeParse({ ...base, copyPaste: { classes: ["trees"] } }).success).toBe(false);
  });

  it("cuts cropland parcels from other images, mostly-cropland ones included, never from the receiving one", () => {
    const r = copyPasteAugment(dataset(), CLASSES, { ...OPTIONS, classes: ["cropland"] }, 3);
    expect(r.parcels.length).toBeGreaterThan(0);
    for (const p of r.parcels) {
      expect(p.donorId).not.toBe(p.receiverId);
      expect(p.purity).toBeGreaterThanOrEqual(OPTIONS.minPurity);
    }
    expect(r.parcels.some((p) => p.donorId.startsWith("fields/"))).toBe(true);
  });

  it("augments training images only: the validation split is the input, unchanged", () => {
    const images = dataset();
    const config = trainConfigSchema.parse({
      ...base,
      validationFraction: 0.3,
      copyPaste: { share: 1, minSide: 10, maxSide: 40, maxArea: 800, classes: ["built_up", "pond"] },
    });
    const { train, val, augmented } = splitForTraining(images, config);
    expect(val.length).toBeGreaterThan(0);
    for (const v of val) expect(images).toContain(v);
    expect(augmented!.pasted.size).toBeGreaterThan(0);
    for (const id of augmented!.pasted.keys()) expect(val.some((v) => v.id === id)).toBe(false);
    for (const p of augmented!.parcels) expect(val.some((v) => v.id === p.donorId)).toBe(false);
    expect(train.length + val.length).toBe(images.length);
  });

  it("trains with it and reports what was pasted", async () => {
    const config: TrainConfigInput = {
      modelId: "t",
      classes: CLASSES,
      groundResolutionM: 4,
      inputDescription: "test",
      features: SMALL_SPEC,
      hidden: [4],
      epochs: 1,
      samples: 4000,
      validationSamples: 500,
      validationFraction: 0.3,
      copyPaste: { share: 1, minSide: 10, maxSide: 40, maxArea: 800, classes: ["built_up", "pond"] },
    };
    const images = dataset();
    const { augmented } = splitForTraining(images, trainConfigSchema.parse(config));
    const r = await trainClassifier(images, config);
    r.classifier.dispose();
    const a = r.augmentation!;
    expect(a.parcels).toBe(augmented!.parcels.length);
    expect(a.augmentedImages).toBe(augmented!.pasted.size);
    expect(a.eligibleImages).toBe(augmented!.eligible);
    expect((a.parcelsByClass.built_up ?? 0) + (a.parcelsByClass.pond ?? 0)).toBe(a.parcels);
    expect(a.pastedSamples).toBeGreaterThan(0);
    expect(a.pastedSamples).toBeLessThan(r.trainSamples);
    const withoutAugmentation = await trainClassifier(images, { ...config, copyPaste: undefined });
    withoutAugmentation.classifier.dispose();
    expect(withoutAugmentation.augmentation).toBeNull();
    // The validation images, and so the evaluation, are the same with and without augmentation.
    expect(r.validationIds).toEqual(withoutAugmentation.validationIds);
    expect(r.evaluation!.grouped.pixels).toBe(withoutAugmentation.evaluation!.grouped.pixels);
  });
});
