/**
 * The change rules: from class probabilities on two dates and the rasterised cropland baseline to
 * a per-pixel change-type raster. Pure typed-array code; no tensors, no I/O.
 *
 * A pixel is a candidate change when
 *   - both images observed it (valid mask),
 *   - the baseline says cropland,
 *   - the before image agrees it was cropland-like (P_before(cropland-like) ≥ beforeCroplandThreshold),
 *   - the pixel itself changed colour: the relative spectral change of its 3×3 patch is at least
 *     minSpectralChange (detect/spectral-change.ts: without it, a change next door drags unchanged
 *     fields along through the classifier's context),
 *   - the after image is confidently something else: P_after(not cropland-like) ≥ rules[t].threshold,
 *     where t, the change type, is the one whose after classes carry the most probability (and
 *     more than any non-cropland class no change type claims, such as natural grass).
 * Abandonment comes from the season history instead (`abandoned`), when given: a valid
 * baseline-cropland pixel the history flags, and that no image-based change claims after their
 * cleaning, is abandonment, with the history's evidence as confidence; it is cleaned on its own.
 * Where the baseline says cropland but both dates are most likely something else, the pixel is a
 * baseline mismatch (reported in its own layer, never as an issue).
 *
 * Probabilities are uint8 (0–255 for 0–1), exactly as cached in the probability GeoTIFFs, so that
 * re-tuning thresholds from the cache gives the same result as the run did.
 */
import { CHANGE_TYPES, changeType, type ChangeTypeId } from "../core/change-types.js";
import { LAND_COVER_CLASSES, type LandCoverId } from "../core/land-cover.js";
import type { DetectionConfig } from "../config/detection-config.js";
import { withScratch, type ScratchScope } from "../core/scratch-pool.js";
import { emptyPackedMask, openThenClosePacked, type PackedMask } from "./morphology.js";

/** Per-class probability planes of one window, each uint8 0–255, row-major. */
export interface ProbabilityPlanes {
  readonly width: number;
  readonly height: number;
  readonly classIds: readonly LandCoverId[];
  readonly planes: readonly Uint8Array[];
}

export interface ChangeRuleInputs {
  readonly before: ProbabilityPlanes;
  readonly after: ProbabilityPlanes;
  /** 1 where the baseline says cropland (DLBM 01xx), else 0. */
  readonly baselineCropland: Uint8Array;
  /** 1 where both dates observed the pixel (not nodata, not cloud), else 0. */
  readonly valid: Uint8Array;
  /**
   * Relative spectral change of each pixel's 3×3 patch between the dates, 0–255 for 0–1
   * (detect/spectral-change.ts). Without it (a run cached before the gate existed) every pixel
   * passes the minSpectralChange gate.
   */
  readonly spectralChange?: Uint8Array;
  /**
   * The season history's abandonment verdict (season/abandonment.ts): 1 where the rules flag the
   * pixel, and the evidence (observed share of the season, 0–255) used as its confidence. Without
   * it abandonment is judged from the after image's classes, if the model has any for it.
   */
  readonly abandoned?: { readonly flagged: Uint8Array; readonly evidence: Uint8Array };
}

export interface ChangeRuleOutputs {
  /** Change-type code per pixel (CHANGE_TYPES[].code), 0 = no change. */
  readonly changeCode: Uint8Array;
  /** P_after(not cropland-like), 0–255 (0 where no change). */
  readonly confidence: Uint8Array;
  /** 1 where baseline cropland is not cropland on either date. */
  readonly mismatch: Uint8Array;
  /** Change types enabled in the config that the model has no class for (cannot be detected). */
  readonly undetectable: readonly ChangeTypeId[];
}

/** Sum of the planes of `ids` (0–255 each) per pixel, into `out` (zero-filled on entry). */
function sumPlanes(p: ProbabilityPlanes, ids: readonly LandCoverId[], out: Uint16Array): Uint16Array {
  for (const id of ids) {
    const k = p.classIds.indexOf(id);
    if (k < 0) continue;
    const plane = p.planes[k]!;
    for (let i = 0; i < out.length; i++) out[i]! += plane[i]!;
  }
  return out;
}

/** Index of the most probable class per pixel (ties to the lower index); arrays from `scratch`. */
function argmax(p: ProbabilityPlanes, scratch: ScratchScope): Uint8Array {
  const n = p.width * p.height;
  const best = scratch.take(Uint8Array, n);
  const bestValue = scratch.take(Uint8Array, n);
  if (p.planes[0]) bestValue.set(p.planes[0]);
  for (let k = 1; k < p.planes.length; k++) {
    const plane = p.planes[k]!;
    for (let i = 0; i < n; i++) {
      if (plane[i]! > bestValue[i]!) {
        bestValue[i] = plane[i]!;
        best[i] = k;
      }
    }
  }
  return best;
}

/**
 * The threshold-independent part of the change rules for one window: which change type each
 * eligible pixel would be, and how confidently it is not cropland on the after image. Depends on
 * the config only through `beforeCroplandThreshold`, `minSpectralChange` and which types are
 * enabled, so a sweep of
 * thresholds and morphology (`patrol tune`) computes it once per window.
 */
export interface ChangeScores {
  readonly width: number;
  readonly height: number;
  /** Change-type code each pixel would take if its confidence passes the type's threshold; 0: none. */
  readonly candidate: Uint8Array;
  /**
   * 1 where a change is possible at all: observed on both dates, baseline cropland, cropland
   * before, and the pixel's own colour changed (minSpectralChange).
   */
  readonly eligible: Uint8Array;
  /** P_after(not cropland-like), 0–255, for every pixel. */
  readonly notCropland: Uint8Array;
  /** Change types enabled in the config that the model can detect, in CHANGE_TYPES order. */
  readonly detectable: readonly ChangeTypeId[];
  /** Change types enabled in the config that the model has no class for. */
  readonly undetectable: readonly ChangeTypeId[];
  /**
   * Change types enabled in the config that come from the season history (`abandoned` given):
   * not scored from the images; {@link thresholdChanges} applies them last.
   */
  readonly fromHistory: readonly ChangeTypeId[];
  /** 1 where neither date's most probable class is cropland-like (for the mismatch layer). */
  readonly notCroplandEitherDate: Uint8Array | null;
}

/**
 * Visits each pixel where cleaning changed a packed mask (`was` → `now`, both `width` wide):
 * `gained` when the pixel was added (closing), else removed (opening). Only changed words are read.
 */
function forEachCleaned(
  was: PackedMask,
  now: PackedMask,
  width: number,
  visit: (i: number, gained: boolean) => void,
): void {
  const wordsPerRow = was.wordsPerRow;
  for (let k = 0; k < was.words.length; k++) {
    const a = was.words[k]!;
    const b = now.words[k]!;
    if (a === b) continue;
    const y = Math.floor(k / wordsPerRow);
    const x0 = (k - y * wordsPerRow) << 5;
    for (let bitIndex = 0; bitIndex < 32; bitIndex++) {
      const bit = 1 << bitIndex;
      if (((a ^ b) & bit) === 0) continue;
      visit(y * width + x0 + bitIndex, (b & bit) !== 0);
    }
  }
}

/** Scores a window (see {@link ChangeScores}). All rasters share the window's width × height. */
export function scoreChanges(inputs: ChangeRuleInputs, config: DetectionConfig): ChangeScores {
  // The per-class sums and argmaxes are temporaries (the scratch pool's comment says why).
  return withScratch((scratch) => scoreChangesWith(inputs, config, scratch));
}

function scoreChangesWith(
  inputs: ChangeRuleInputs,
  config: DetectionConfig,
  scratch: ScratchScope,
): ChangeScores {
  const { before, after, baselineCropland, valid, abandoned, spectralChange } = inputs;
  const width = after.width;
  const height = after.height;
  const n = width * height;
  for (const [name, len] of [
    ["before", before.width * before.height],
    ["baselineCropland", baselineCropland.length],
    ["valid", valid.length],
    ...(spectralChange ? ([["spectralChange", spectralChange.length]] as const) : []),
    ...(abandoned
      ? ([
          ["abandoned.flagged", abandoned.flagged.length],
          ["abandoned.evidence", abandoned.evidence.length],
        ] as const)
      : []),
  ] as const) {
    if (len !== n) throw new RangeError(`applyChangeRules: ${name} has ${len} pixels, after has ${n}`);
  }

  const croplandLike = LAND_COVER_CLASSES.filter((c) => c.croplandLike).map((c) => c.id);
  const beforeCrop = sumPlanes(before, croplandLike, scratch.take(Uint16Array, n));
  const beforeMin = Math.round(config.beforeCroplandThreshold * 255);
  const spectralMin = spectralChange ? Math.round(config.minSpectralChange * 255) : 0;

  const types = CHANGE_TYPES.filter((t) => config.rules[t.id].enabled);
  const fromHistory = types.filter((t) => t.id === "abandonment" && abandoned !== undefined).map((t) => t.id);
  const undetectable = types
    .filter((t) => !fromHistory.includes(t.id) && !t.afterClasses.some((c) => after.classIds.includes(c)))
    .map((t) => t.id);
  const detectable = types.filter((t) => !undetectable.includes(t.id) && !fromHistory.includes(t.id));
  const typeScores = detectable.map((t) => sumPlanes(after, t.afterClasses, scratch.take(Uint16Array, n)));

  // "Confidently something else": the after image's probability of not being cropland-like.
  const afterCrop = sumPlanes(after, croplandLike, scratch.take(Uint16Array, n));
  // Non-cropland classes no change type claims (natural grass, say): a pixel most likely one of
  // these is not reported as any change.
  const claimed = new Set(detectable.flatMap((t) => t.afterClasses));
  const unclaimed = after.classIds.filter((id) => !croplandLike.includes(id) && !claimed.has(id));
  const unclaimedPlanes = unclaimed.map((id) => after.planes[after.classIds.indexOf(id)]!);

  const candidate = new Uint8Array(n);
  const eligible = new Uint8Array(n);
  const notCropland = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    notCropland[i] = Math.max(0, 255 - afterCrop[i]!);
    if (valid[i] === 0 || baselineCropland[i] === 0 || beforeCrop[i]! < beforeMin) continue;
    if (spectralChange && spectralChange[i]! < spectralMin) continue;
    eligible[i] = 1;
    let best = -1;
    let bestScore = -1;
    for (let k = 0; k < detectable.length; k++) {
      const s = typeScores[k]![i]!;
      if (s > bestScore) {
        bestScore = s;
        best = k;
      }
    }
    if (best < 0) continue;
    let unclaimedMax = 0;
    for (const plane of unclaimedPlanes) unclaimedMax = Math.max(unclaimedMax, plane[i]!);
    if (unclaimedMax > bestScore) continue;
    candidate[i] = detectable[best]!.code;
  }

  let notCroplandEitherDate: Uint8Array | null = null;
  if (config.baselineMismatch.enabled) {
    notCroplandEitherDate = new Uint8Array(n);
    const beforeClass = argmax(before, scratch);
    const afterClass = argmax(after, scratch);
    const beforeLike = before.classIds.map((id) => croplandLike.includes(id));
    const afterLike = after.classIds.map((id) => croplandLike.includes(id));
    for (let i = 0; i < n; i++)
      if (!beforeLike[beforeClass[i]!] && !afterLike[afterClass[i]!]) notCroplandEitherDate[i] = 1;
  }
  return {
    width,
    height,
    candidate,
    eligible,
    notCropland,
    detectable: detectable.map((t) => t.id),
    undetectable,
    fromHistory,
    notCroplandEitherDate,
  };
}

/**
 * The threshold-dependent part of the change rules: per-type probability thresholds, then
 * morphological cleaning per type, then the baseline-mismatch layer. `config` must agree with
 * the one `scores` were computed under on `beforeCroplandThreshold`, `minSpectralChange` and the
 * enabled types.
 */
export function thresholdChanges(
  scores: ChangeScores,
  inputs: Pick<ChangeRuleInputs, "valid" | "baselineCropland" | "abandoned">,
  config: DetectionConfig,
): ChangeRuleOutputs {
  const { width, height, candidate, eligible, notCropland } = scores;
  const n = width * height;
  const minOf = new Int16Array(256).fill(256);
  for (const id of scores.detectable)
    minOf[changeType(id).code] = Math.round(config.rules[id].threshold * 255);

  // Thresholds, and each type's pixels as a packed mask (32 pixels a word, rows word-aligned).
  const changeCode = new Uint8Array(n);
  const confidence = new Uint8Array(n);
  const masks = new Map<number, PackedMask>();
  const cleaned = scores.detectable
    .map((id) => ({ code: changeType(id).code, rule: config.rules[id] }))
    .filter((t) => t.rule.openingPx > 0 || t.rule.closingPx > 0);
  const maskOf: (PackedMask | undefined)[] = new Array(256);
  for (const t of cleaned) {
    const m = emptyPackedMask(width, height);
    masks.set(t.code, m);
    maskOf[t.code] = m;
  }
  const wordsPerRow = Math.ceil(width / 32);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const wordRow = y * wordsPerRow;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      const c = candidate[i]!;
      if (c !== 0 && notCropland[i]! >= minOf[c]!) {
        changeCode[i] = c;
        confidence[i] = notCropland[i]!;
        const m = maskOf[c];
        if (m) m.words[wordRow + (x >>> 5)]! |= 1 << (x & 31);
      }
    }
  }

  // Morphological cleaning per type, confined to pixels where that type is possible at all. Only
  // the words where cleaning changed something are visited. Types go in CHANGE_TYPES order: a gap
  // that closing fills goes to the first type that fills it.
  for (const { code, rule } of cleaned) {
    const before = masks.get(code)!;
    if (!before.words.some((w) => w !== 0)) continue; // nothing to open or close
    const after = openThenClosePacked(before, height, rule.openingPx, rule.closingPx);
    forEachCleaned(before, after, width, (i, gained) => {
      if (gained) {
        if (changeCode[i] === 0 && eligible[i] === 1) {
          // Closing filled a gap: the pixel joins the patch with its own after-probability as confidence.
          changeCode[i] = code;
          confidence[i] = notCropland[i]!;
        }
      } else if (changeCode[i] === code) {
        changeCode[i] = 0;
        confidence[i] = 0;
      }
    });
  }

  // Abandonment from the season history last, on what the image-based types (cleaned) left
  // unclaimed, with the history's evidence as confidence; then cleaned on its own, gaps filled
  // only where the history flags the pixel too.
  const { valid, baselineCropland } = inputs;
  for (const id of scores.fromHistory) {
    const abandoned = inputs.abandoned;
    if (!abandoned)
      throw new RangeError(
        `thresholdChanges: the scores take ${id} from the season history, the inputs have none`,
      );
    const { flagged, evidence } = abandoned;
    const code = changeType(id).code;
    const rule = config.rules[id];
    const mask = emptyPackedMask(width, height);
    for (let y = 0; y < height; y++) {
      const row = y * width;
      const wordRow = y * wordsPerRow;
      for (let x = 0; x < width; x++) {
        const i = row + x;
        if (changeCode[i] !== 0 || valid[i] === 0 || baselineCropland[i] === 0 || flagged[i] === 0) continue;
        changeCode[i] = code;
        confidence[i] = evidence[i]!;
        mask.words[wordRow + (x >>> 5)]! |= 1 << (x & 31);
      }
    }
    if (rule.openingPx === 0 && rule.closingPx === 0) continue;
    const cleanedMask = openThenClosePacked(mask, height, rule.openingPx, rule.closingPx);
    forEachCleaned(mask, cleanedMask, width, (i, gained) => {
      if (gained) {
        if (changeCode[i] === 0 && valid[i] === 1 && baselineCropland[i] === 1 && flagged[i] === 1) {
          changeCode[i] = code;
          confidence[i] = evidence[i]!;
        }
      } else if (changeCode[i] === code) {
        changeCode[i] = 0;
        confidence[i] = 0;
      }
    });
  }

  const mismatch = new Uint8Array(n);
  const either = scores.notCroplandEitherDate;
  if (config.baselineMismatch.enabled && either) {
    for (let i = 0; i < n; i++) {
      if (valid[i] === 0 || baselineCropland[i] === 0 || changeCode[i] !== 0) continue;
      if (either[i] === 1) mismatch[i] = 1;
    }
  }
  return { changeCode, confidence, mismatch, undetectable: scores.undetectable };
}

/** Applies the change rules to one window. All rasters share the window's width × height. */
export function applyChangeRules(inputs: ChangeRuleInputs, config: DetectionConfig): ChangeRuleOutputs {
  return thresholdChanges(scoreChanges(inputs, config), inputs, config);
}
