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
    addPlane(out, p.planes[k]!);
  }
  return out;
}

/*
 * The per-pixel loops below are small functions over typed arrays and numbers only. V8 compiles
 * a loop inside a long function on the stack (OSR) and then throws that code away on whatever
 * follows the loop, once per window; a small function called once per window with the same
 * argument types is compiled once per process and stays compiled.
 */

function addPlane(out: Uint16Array, plane: Uint8Array): void {
  for (let i = 0; i < out.length; i++) out[i]! += plane[i]!;
}

/** Index of the most probable class per pixel (ties to the lower index); arrays from `scratch`. */
function argmax(p: ProbabilityPlanes, scratch: ScratchScope): Uint8Array {
  const n = p.width * p.height;
  const best = scratch.take(Uint8Array, n);
  const bestValue = scratch.take(Uint8Array, n);
  if (p.planes[0]) bestValue.set(p.planes[0]);
  for (let k = 1; k < p.planes.length; k++) raiseBest(p.planes[k]!, k, best, bestValue);
  return best;
}

/** Where `plane` beats `bestValue`, class `k` becomes the best (strictly: ties keep the lower index). */
function raiseBest(plane: Uint8Array, k: number, best: Uint8Array, bestValue: Uint8Array): void {
  for (let i = 0; i < plane.length; i++) {
    if (plane[i]! > bestValue[i]!) {
      bestValue[i] = plane[i]!;
      best[i] = k;
    }
  }
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

/** Pixels that morphological cleaning added to (`gained`) or removed from (`lost`) a packed mask. */
interface CleanedPixels {
  readonly gained: number[];
  readonly lost: number[];
}

/** What cleaning changed between `was` and `now` (both `width` wide); only changed words are read. */
function cleanedPixels(was: PackedMask, now: PackedMask, width: number): CleanedPixels {
  const gained: number[] = [];
  const lost: number[] = [];
  const wordsPerRow = was.wordsPerRow;
  const before = was.words;
  const after = now.words;
  for (let k = 0; k < before.length; k++) {
    const a = before[k]!;
    const b = after[k]!;
    if (a === b) continue;
    const y = Math.floor(k / wordsPerRow);
    const x0 = (k - y * wordsPerRow) << 5;
    for (let bitIndex = 0; bitIndex < 32; bitIndex++) {
      const bit = 1 << bitIndex;
      if (((a ^ b) & bit) === 0) continue;
      ((b & bit) !== 0 ? gained : lost).push(y * width + x0 + bitIndex);
    }
  }
  return { gained, lost };
}

/** 255 − the summed cropland-like probability, at least 0. */
function complementOf(croplandLike: Uint16Array, out: Uint8Array): void {
  for (let i = 0; i < out.length; i++) out[i] = Math.max(0, 255 - croplandLike[i]!);
}

/** 1 where a change is possible before the colour test: observed both dates, baseline and before cropland. */
function markEligible(
  valid: Uint8Array,
  baselineCropland: Uint8Array,
  beforeCrop: Uint16Array,
  beforeMin: number,
  eligible: Uint8Array,
): void {
  for (let i = 0; i < eligible.length; i++)
    if (valid[i] !== 0 && baselineCropland[i] !== 0 && beforeCrop[i]! >= beforeMin) eligible[i] = 1;
}

/** Clears `eligible` where the pixel's own colour changed less than `spectralMin` (0–255). */
function dropUnchangedColour(spectralChange: Uint8Array, spectralMin: number, eligible: Uint8Array): void {
  for (let i = 0; i < eligible.length; i++) if (spectralChange[i]! < spectralMin) eligible[i] = 0;
}

/**
 * On eligible pixels, the code of the type whose score is highest (ties to the earlier type), if
 * no unclaimed class is more probable than that score.
 */
function pickCandidates(
  eligible: Uint8Array,
  typeScores: readonly Uint16Array[],
  codes: Uint8Array,
  unclaimedPlanes: readonly Uint8Array[],
  candidate: Uint8Array,
): void {
  const types = typeScores.length;
  const unclaimed = unclaimedPlanes.length;
  for (let i = 0; i < eligible.length; i++) {
    if (eligible[i] === 0) continue;
    let best = -1;
    let bestScore = -1;
    for (let k = 0; k < types; k++) {
      const s = typeScores[k]![i]!;
      if (s > bestScore) {
        bestScore = s;
        best = k;
      }
    }
    if (best < 0) continue;
    let unclaimedMax = 0;
    for (let u = 0; u < unclaimed; u++) unclaimedMax = Math.max(unclaimedMax, unclaimedPlanes[u]![i]!);
    if (unclaimedMax > bestScore) continue;
    candidate[i] = codes[best]!;
  }
}

/** 1 where neither date's most probable class (`…Class`, indexing `…Like`) is cropland-like. */
function markNeitherLike(
  beforeClass: Uint8Array,
  beforeLike: Uint8Array,
  afterClass: Uint8Array,
  afterLike: Uint8Array,
  out: Uint8Array,
): void {
  for (let i = 0; i < out.length; i++)
    if (beforeLike[beforeClass[i]!] === 0 && afterLike[afterClass[i]!] === 0) out[i] = 1;
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
  complementOf(afterCrop, notCropland);
  markEligible(valid, baselineCropland, beforeCrop, beforeMin, eligible);
  if (spectralChange) dropUnchangedColour(spectralChange, spectralMin, eligible);
  pickCandidates(
    eligible,
    typeScores,
    Uint8Array.from(detectable, (t) => t.code),
    unclaimedPlanes,
    candidate,
  );

  let notCroplandEitherDate: Uint8Array | null = null;
  if (config.baselineMismatch.enabled) {
    notCroplandEitherDate = new Uint8Array(n);
    const beforeClass = argmax(before, scratch);
    const afterClass = argmax(after, scratch);
    const beforeLike = Uint8Array.from(before.classIds, (id) => (croplandLike.includes(id) ? 1 : 0));
    const afterLike = Uint8Array.from(after.classIds, (id) => (croplandLike.includes(id) ? 1 : 0));
    markNeitherLike(beforeClass, beforeLike, afterClass, afterLike, notCroplandEitherDate);
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
  const maskWordsOf: (Uint32Array | null)[] = new Array<Uint32Array | null>(256).fill(null);
  for (const t of cleaned) {
    const m = emptyPackedMask(width, height);
    masks.set(t.code, m);
    maskWordsOf[t.code] = m.words;
  }
  const wordsPerRow = Math.ceil(width / 32);
  applyThresholds(
    width,
    height,
    wordsPerRow,
    candidate,
    notCropland,
    minOf,
    changeCode,
    confidence,
    maskWordsOf,
  );

  // Morphological cleaning per type, confined to pixels where that type is possible at all. Only
  // the words where cleaning changed something are visited. Types go in CHANGE_TYPES order: a gap
  // that closing fills goes to the first type that fills it.
  for (const { code, rule } of cleaned) {
    const before = masks.get(code)!;
    if (!before.words.some((w) => w !== 0)) continue; // nothing to open or close
    const after = openThenClosePacked(before, height, rule.openingPx, rule.closingPx);
    const { gained, lost } = cleanedPixels(before, after, width);
    // A pixel closing adds joins the patch with its own after-probability as confidence.
    fillGaps(gained, code, eligible, notCropland, changeCode, confidence);
    clearRemoved(lost, code, changeCode, confidence);
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
    // Where the history may claim a pixel: observed, baseline cropland, flagged.
    const allowed = new Uint8Array(n);
    markAllowed(valid, baselineCropland, flagged, allowed);
    claimUnclaimed(width, height, wordsPerRow, allowed, code, evidence, changeCode, confidence, mask.words);
    if (rule.openingPx === 0 && rule.closingPx === 0) continue;
    const cleanedMask = openThenClosePacked(mask, height, rule.openingPx, rule.closingPx);
    const { gained, lost } = cleanedPixels(mask, cleanedMask, width);
    fillGaps(gained, code, allowed, evidence, changeCode, confidence);
    clearRemoved(lost, code, changeCode, confidence);
  }

  const mismatch = new Uint8Array(n);
  const either = scores.notCroplandEitherDate;
  if (config.baselineMismatch.enabled && either)
    markMismatch(valid, baselineCropland, changeCode, either, mismatch);
  return { changeCode, confidence, mismatch, undetectable: scores.undetectable };
}

/**
 * Codes every candidate whose after-probability of not being cropland reaches its type's
 * threshold (`minOf` by code, 256: never), with that probability as confidence, and sets its bit
 * in its type's packed mask (`wordsPerRow` words a row) when the type is cleaned (`maskWordsOf` by code).
 */
function applyThresholds(
  width: number,
  height: number,
  wordsPerRow: number,
  candidate: Uint8Array,
  notCropland: Uint8Array,
  minOf: Int16Array,
  changeCode: Uint8Array,
  confidence: Uint8Array,
  maskWordsOf: readonly (Uint32Array | null)[],
): void {
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const wordRow = y * wordsPerRow;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      const c = candidate[i]!;
      if (c !== 0 && notCropland[i]! >= minOf[c]!) {
        changeCode[i] = c;
        confidence[i] = notCropland[i]!;
        const words = maskWordsOf[c];
        if (words) words[wordRow + (x >>> 5)]! |= 1 << (x & 31);
      }
    }
  }
}

/** Pixels closing added: coded `code` with `conf` as confidence where `allowed` and not yet coded. */
function fillGaps(
  gained: readonly number[],
  code: number,
  allowed: Uint8Array,
  conf: Uint8Array,
  changeCode: Uint8Array,
  confidence: Uint8Array,
): void {
  for (let j = 0; j < gained.length; j++) {
    const i = gained[j]!;
    if (changeCode[i] === 0 && allowed[i] === 1) {
      changeCode[i] = code;
      confidence[i] = conf[i]!;
    }
  }
}

/** Pixels opening removed: uncoded where they still carry `code`. */
function clearRemoved(
  lost: readonly number[],
  code: number,
  changeCode: Uint8Array,
  confidence: Uint8Array,
): void {
  for (let j = 0; j < lost.length; j++) {
    const i = lost[j]!;
    if (changeCode[i] === code) {
      changeCode[i] = 0;
      confidence[i] = 0;
    }
  }
}

/** 1 where all three are 1: observed on both dates, baseline cropland, flagged by the history. */
function markAllowed(
  valid: Uint8Array,
  baselineCropland: Uint8Array,
  flagged: Uint8Array,
  out: Uint8Array,
): void {
  for (let i = 0; i < out.length; i++)
    out[i] = valid[i] !== 0 && baselineCropland[i] !== 0 && flagged[i] !== 0 ? 1 : 0;
}

/** Codes allowed pixels no type claimed as `code`, with `evidence` as confidence, into a packed mask. */
function claimUnclaimed(
  width: number,
  height: number,
  wordsPerRow: number,
  allowed: Uint8Array,
  code: number,
  evidence: Uint8Array,
  changeCode: Uint8Array,
  confidence: Uint8Array,
  maskWords: Uint32Array,
): void {
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const wordRow = y * wordsPerRow;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      if (changeCode[i] !== 0 || allowed[i] === 0) continue;
      changeCode[i] = code;
      confidence[i] = evidence[i]!;
      maskWords[wordRow + (x >>> 5)]! |= 1 << (x & 31);
    }
  }
}

/** Baseline mismatch: observed baseline cropland no change claims, not cropland on either date. */
function markMismatch(
  valid: Uint8Array,
  baselineCropland: Uint8Array,
  changeCode: Uint8Array,
  notCroplandEitherDate: Uint8Array,
  mismatch: Uint8Array,
): void {
  for (let i = 0; i < mismatch.length; i++) {
    if (valid[i] === 0 || baselineCropland[i] === 0 || changeCode[i] !== 0) continue;
    if (notCroplandEitherDate[i] === 1) mismatch[i] = 1;
  }
}

/** Applies the change rules to one window. All rasters share the window's width × height. */
export function applyChangeRules(inputs: ChangeRuleInputs, config: DetectionConfig): ChangeRuleOutputs {
  return thresholdChanges(scoreChanges(inputs, config), inputs, config);
}
