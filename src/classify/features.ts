/**
 * The classifier's features, and the fast way to apply the first dense layer to them.
 *
 * A pixel's feature vector has two parts:
 * - **pixel patch**: the 3×3 neighbourhood (or the pixel alone, `patchSize` 1) of the per-pixel
 *   channels (the bands, and unless `patchIndices` is off the normalised-difference indices they
 *   allow), 9 × Cp (or Cp) values;
 * - **context pyramid**: for each level k = 1..K, channels computed on 2^k × 2^k cells (band means,
 *   band standard deviations, indices of the means), upsampled back to full resolution by a chain
 *   of ×2 bilinear resizes, Cl values per level.
 *
 * For training the features are computed explicitly ({@link explicitFeatures}, [n, F]) and a dense
 * head is fitted on them (the wasm backend cannot train convolutions). For inference the first
 * dense layer is applied without ever materialising F channels per pixel
 * ({@link firstLayerPreActivation}): its patch rows are exactly a 3×3 convolution kernel, and since
 * upsampling is linear, each level's rows are applied at that level's coarse resolution and the
 * results summed up the pyramid. Same numbers, a fraction of the work.
 *
 * Layout: images are planar [bands, H, W] (what raster reads return), processed channel-as-batch
 * ([C, H, W, 1]) because the wasm backend concatenates along the first axis with one copy per
 * tensor but along the last with one copy per pixel.
 */
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";

/** Band roles the feature extractor knows. The model's input lists which it reads, in order. */
export const BAND_ROLES = ["blue", "green", "red", "nir", "swir1", "swir2"] as const;
export type BandRole = (typeof BAND_ROLES)[number];

export const featureSpecSchema = z
  .object({
    /** Bands the model reads, in input order. */
    bands: z.array(z.enum(BAND_ROLES)).min(1),
    /**
     * Context pyramid levels. Level k summarises 2^k × 2^k cells; 5 levels see ~64 px around a
     * pixel (~250 m on GID). More levels: wider context, wider halo between windows.
     */
    pyramidLevels: z.number().int().min(1).max(7),
    /**
     * Adds edge density per level: the mean Sobel gradient magnitude of brightness over each cell.
     * Separates built-up (many edges) from fields of the same colour; costs one full-resolution
     * filter pass.
     */
    edges: z.boolean().default(false),
    /**
     * Puts the normalised-difference indices into the 3×3 patch beside the bands (true), or only
     * into the pyramid levels (false). The patch is the first layer's 3×3 convolution, the largest
     * single cost of inference: leaving the indices out of it cuts that convolution by the share of
     * index channels (RGB: 5 → 3 channels); the dense layer still sees the centre pixel's bands.
     */
    patchIndices: z.boolean().default(true),
    /**
     * Side of the pixel patch: 3 (the 3×3 neighbourhood) or 1 (the pixel alone; its neighbourhood
     * then reaches the model only through the pyramid's finest level and the edge density). The
     * patch runs as the first layer's k×k convolution, so 1 costs about a ninth of 3 there.
     */
    patchSize: z.union([z.literal(1), z.literal(3)]).default(3),
    /**
     * Grid of the edge filter: 1 = full-resolution pixels, 2 = the first pyramid level's 2×2 cell
     * means (a quarter of the filter's cost; edges of 8 m texture on 4 m imagery instead of 4 m).
     */
    edgeScale: z.union([z.literal(1), z.literal(2)]).default(1),
  })
  .strict();

export type FeatureSpec = z.infer<typeof featureSpecSchema>;

/** The spec of the shipped RGB model. */
export const RGB_FEATURE_SPEC: FeatureSpec = {
  bands: ["red", "green", "blue"],
  pyramidLevels: 5,
  edges: true,
  patchIndices: true,
  patchSize: 3,
  edgeScale: 1,
};

/** Normalised-difference indices the bands allow: (a - b) / (a + b). */
export function indexPairs(bands: readonly BandRole[]): Array<{ name: string; a: BandRole; b: BandRole }> {
  const has = (r: BandRole): boolean => bands.includes(r);
  const pairs: Array<{ name: string; a: BandRole; b: BandRole }> = [];
  if (has("nir") && has("red")) pairs.push({ name: "ndvi", a: "nir", b: "red" });
  if (has("nir") && has("green")) pairs.push({ name: "ndwi", a: "green", b: "nir" });
  if (has("swir1") && has("nir")) pairs.push({ name: "ndbi", a: "swir1", b: "nir" });
  if (has("swir1") && has("green")) pairs.push({ name: "mndwi", a: "green", b: "swir1" });
  // Visible-band chroma; for RGB-only sensors these stand in for vegetation/water indices.
  if (has("green") && has("red")) pairs.push({ name: "gr", a: "green", b: "red" });
  if (has("blue") && has("red")) pairs.push({ name: "br", a: "blue", b: "red" });
  return pairs;
}

/** Per-pixel channels that enter the 3×3 patch. */
export function pixelChannelNames(spec: FeatureSpec): string[] {
  return [...spec.bands, ...(spec.patchIndices ? indexPairs(spec.bands).map((p) => p.name) : [])];
}

/** Channels each pyramid level contributes. */
export function levelChannelNames(spec: FeatureSpec): string[] {
  return [
    ...spec.bands.map((b) => `mean_${b}`),
    ...spec.bands.map((b) => `std_${b}`),
    ...indexPairs(spec.bands).map((p) => p.name),
    ...(spec.edges ? ["edges"] : []),
  ];
}

/** Offsets of the patch rows (and columns) around the pixel. */
function patchOffsets(spec: FeatureSpec): number[] {
  return spec.patchSize === 1 ? [0] : [-1, 0, 1];
}

/** Pixels in the patch (1 or 9). */
function patchArea(spec: FeatureSpec): number {
  return spec.patchSize * spec.patchSize;
}

/** Names of the explicit features in column order (patch by channel, then dy, dx; then levels). */
export function featureNames(spec: FeatureSpec): string[] {
  const names: string[] = [];
  for (const c of pixelChannelNames(spec)) {
    const offsets = patchOffsets(spec);
    for (const dy of offsets) for (const dx of offsets) names.push(`${c}[${dy},${dx}]`);
  }
  for (let k = 1; k <= spec.pyramidLevels; k++)
    for (const c of levelChannelNames(spec)) names.push(`${c}@${k}`);
  return names;
}

export function featureCount(spec: FeatureSpec): number {
  return (
    patchArea(spec) * pixelChannelNames(spec).length + spec.pyramidLevels * levelChannelNames(spec).length
  );
}

/** The coarsest pyramid cell in pixels; window sizes and origins are multiples of it. */
export function pyramidCell(spec: FeatureSpec): number {
  return 2 ** spec.pyramidLevels;
}

/**
 * Pixels of context each side of a window that the features depend on: the ×2 bilinear chain
 * reaches about 1.5 coarse cells, rounded up to whole cells so windows stay aligned.
 */
export function featureHalo(spec: FeatureSpec): number {
  return 2 * pyramidCell(spec);
}

/** Added to index denominators: (a - b) / (a + b + EPS), so black pixels give 0, not NaN. */
const EPS = 1e-3;

function checkInput(planar: tf.Tensor3D, spec: FeatureSpec): void {
  const [c, h, w] = planar.shape;
  const cell = pyramidCell(spec);
  if (c !== spec.bands.length) {
    throw new RangeError(`features: input has ${c} bands, the spec reads ${spec.bands.length}`);
  }
  if (h % cell !== 0 || w % cell !== 0) {
    throw new RangeError(`features: ${w}×${h} is not a multiple of the pyramid cell ${cell}`);
  }
}

/**
 * Linear combinations of the channels of a channel-first [C, n] matrix: weights [k][C] → [k, n].
 * On wasm, tf.slice copies its whole input and tf.gather runs in JavaScript, so selecting or
 * combining channels is done as a small matmul instead (sub-millisecond per megapixel).
 */
function combine(x: tf.Tensor2D, weights: readonly (readonly number[])[]): tf.Tensor2D {
  return tf.matMul(tf.tensor2d(weights as number[][]), x);
}

/** One-hot rows selecting channels `from`..`from + count - 1` of C channels. */
function selectRows(channels: number, from: number, count: number): number[][] {
  return Array.from({ length: count }, (_, r) =>
    Array.from({ length: channels }, (_, c) => (c === from + r ? 1 : 0)),
  );
}

/** Normalised-difference indices of a [C, n] band matrix, [pairs, n] (null when the bands allow none). */
function indices(x: tf.Tensor2D, spec: FeatureSpec): tf.Tensor2D | null {
  const pairs = indexPairs(spec.bands);
  if (pairs.length === 0) return null;
  const c = spec.bands.length;
  const row = (a: BandRole, b: BandRole, sign: number): number[] =>
    Array.from(
      { length: c },
      (_, i) => (i === spec.bands.indexOf(a) ? 1 : 0) + (i === spec.bands.indexOf(b) ? sign : 0),
    );
  const num = combine(
    x,
    pairs.map((p) => row(p.a, p.b, -1)),
  );
  const den = combine(
    x,
    pairs.map((p) => row(p.a, p.b, 1)),
  );
  return tf.div(num, tf.add(den, EPS)) as tf.Tensor2D;
}

/** Per-pixel channels, [Cp, H, W, 1]. */
function pixelChannels(planar: tf.Tensor3D, spec: FeatureSpec): tf.Tensor4D {
  const [c, h, w] = planar.shape;
  const x = planar.reshape([c, h * w]) as tf.Tensor2D;
  const idx = spec.patchIndices ? indices(x, spec) : null;
  return (idx ? tf.concat([x, idx], 0) : x).reshape([-1, h, w, 1]) as tf.Tensor4D;
}

/**
 * Level channels for k = fromLevel..toLevel (default all K), each [Cl, H/2^k, W/2^k, 1], at index
 * k − 1; null below `fromLevel` (those cells are still pooled, as the coarser levels need them).
 */
function levelChannels(
  planar: tf.Tensor3D,
  spec: FeatureSpec,
  fromLevel = 1,
  toLevel = spec.pyramidLevels,
): (tf.Tensor4D | null)[] {
  const [c, h, w] = planar.shape;
  const x2 = planar.reshape([c, h * w]) as tf.Tensor2D;
  const channels = 2 * c + (spec.edges ? 1 : 0);
  // Band values and their squares (cell means of them give means and standard deviations), and
  // edge density: with edgeScale 1 on full-resolution pixels, with 2 on the first level's cells.
  let level = tf.concat([x2, tf.square(x2)], 0).reshape([2 * c, h, w, 1]) as tf.Tensor4D;
  if (spec.edges && spec.edgeScale === 1) {
    level = tf.concat([level, sobelMagnitude(x2, c, h, w).reshape([1, h, w, 1])], 0) as tf.Tensor4D;
  }
  const out: (tf.Tensor4D | null)[] = [];
  for (let k = 1; k <= toLevel; k++) {
    level = tf.avgPool(level, 2, 2, "valid");
    const [, hk, wk] = level.shape;
    if (k === 1 && spec.edges && spec.edgeScale === 2) {
      const means = combine(level.reshape([2 * c, hk * wk]) as tf.Tensor2D, selectRows(2 * c, 0, c));
      level = tf.concat([level, sobelMagnitude(means, c, hk, wk).reshape([1, hk, wk, 1])], 0) as tf.Tensor4D;
    }
    if (k < fromLevel) {
      out.push(null);
      continue;
    }
    const flat = level.reshape([channels, hk * wk]) as tf.Tensor2D;
    const mean = combine(flat, selectRows(channels, 0, c));
    const m2 = combine(flat, selectRows(channels, c, c));
    const std = tf.sqrt(tf.add(tf.relu(tf.sub(m2, tf.square(mean))), 1e-6));
    const parts: tf.Tensor[] = [mean, std];
    const idx = indices(mean, spec);
    if (idx) parts.push(idx);
    if (spec.edges) parts.push(combine(flat, selectRows(channels, 2 * c, 1)));
    out.push(tf.concat(parts, 0).reshape([-1, hk, wk, 1]) as tf.Tensor4D);
  }
  return out;
}

/**
 * Sobel gradient magnitude of brightness (the band mean) of a [C, h·w] band matrix, [1, h·w].
 * (Computing it as a 3×3 convolution of all the per-pixel channels with 2 outputs was tried:
 * slower than convolving brightness.)
 */
function sobelMagnitude(bands: tf.Tensor2D, c: number, h: number, w: number): tf.Tensor2D {
  const brightness = combine(bands, [Array.from({ length: c }, () => 1 / c)]).reshape([
    1,
    h,
    w,
    1,
  ]) as tf.Tensor4D;
  const sobel = tf.tensor4d([-1, -1, 0, -2, 1, -1, -2, 0, 0, 0, 2, 0, -1, 1, 0, 2, 1, 1], [3, 3, 1, 2]);
  // A plain convolution with one input channel and two outputs: XNNPACK's conv path, faster on
  // wasm than the equivalent depthwise convolution with channel multiplier 2.
  const g = tf.fused.conv2d({ x: brightness, filter: sobel, strides: 1, pad: "same" });
  return tf.sqrt(tf.add(tf.sum(tf.square(g), 3, true), 1e-8)).reshape([1, h * w]) as tf.Tensor2D;
}

/** Doubles the spatial size of [C, h, w, 1] (or [1, h, w, C]) bilinearly with half-pixel centres. */
function up2(t: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = t.shape;
  return tf.image.resizeBilinear(t, [2 * h, 2 * w], false, true);
}

/**
 * The explicit feature matrix of one image (or of some of its pixels), for training and for
 * checking the fast path.
 *
 * @param planar [bands, H, W] float32 in model input units (e.g. 8-bit DN / 255), bands in
 *   `spec.bands` order; H and W multiples of {@link pyramidCell}.
 * @param pixels row-major pixel indices (y · W + x) to keep; all pixels when omitted.
 * @returns [pixels, featureCount(spec)] float32. Tidy.
 */
export function explicitFeatures(planar: tf.Tensor3D, spec: FeatureSpec, pixels?: tf.Tensor1D): tf.Tensor2D {
  checkInput(planar, spec);
  return tf.tidy(() => {
    const [, h, w] = planar.shape;
    const n = h * w;
    const px = pixelChannels(planar, spec);
    const cp = px.shape[0];
    const pxNhwc = tf.transpose(px.reshape([cp, n])).reshape([1, h, w, cp]) as tf.Tensor4D;
    // One-hot k×k kernels: depthwise output channel c·k² + s is channel c shifted by patch offset s.
    // (A 1×1 patch is the channels themselves.)
    const k = spec.patchSize;
    const area = patchArea(spec);
    const patch =
      area === 1
        ? pxNhwc
        : tf.depthwiseConv2d(
            pxNhwc,
            tf.tile(
              tf
                .oneHot(tf.range(0, area, 1, "int32"), area)
                .toFloat()
                .reshape([k, k, 1, area]),
              [1, 1, cp, 1],
            ) as tf.Tensor4D,
            1,
            "same",
          );
    let patchRows = patch.reshape([n, area * cp]);
    const blocks: tf.Tensor2D[] = [];
    levelChannels(planar, spec).forEach((level, i) => {
      const lv = level as tf.Tensor4D; // every level from 1 on
      let up = lv;
      for (let k = i + 1; k >= 1; k--) up = up2(up);
      blocks.push(up.reshape([lv.shape[0], n]));
    });
    let levelCols = tf.concat(blocks, 0);
    if (pixels) {
      patchRows = tf.gather(patchRows, pixels);
      levelCols = tf.gather(levelCols, pixels, 1);
    }
    return tf.concat([patchRows, tf.transpose(levelCols)], 1) as tf.Tensor2D;
  });
}

/** The first dense layer's weights split for {@link firstLayerPreActivation}. Owned tensors. */
export interface SplitFirstLayer {
  /** [k, k, Cp, units] (k = spec.patchSize): the patch rows as a convolution kernel. */
  readonly patchKernel: tf.Tensor4D;
  /** Per level k = 1..K: [Cl, units], that level's rows. */
  readonly levelWeights: readonly tf.Tensor2D[];
  readonly bias: tf.Tensor1D;
  readonly units: number;
}

/** Splits a first dense layer (kernel [F, units], bias [units]) by feature group. */
export function splitFirstLayer(kernel: tf.Tensor2D, bias: tf.Tensor1D, spec: FeatureSpec): SplitFirstLayer {
  const [f, units] = kernel.shape;
  if (f !== featureCount(spec)) {
    throw new RangeError(`first layer has ${f} inputs, the feature spec makes ${featureCount(spec)}`);
  }
  const cp = pixelChannelNames(spec).length;
  const cl = levelChannelNames(spec).length;
  return tf.tidy(() => {
    // Patch rows are ordered (channel, dy, dx); a conv kernel is [dy, dx, channel, out].
    const area = patchArea(spec);
    const patchKernel = tf
      .transpose(tf.slice(kernel, [0, 0], [area * cp, units]).reshape([cp, area, units]), [1, 0, 2])
      .reshape([spec.patchSize, spec.patchSize, cp, units]) as tf.Tensor4D;
    const levelWeights = Array.from({ length: spec.pyramidLevels }, (_, i) =>
      tf.slice(kernel, [area * cp + i * cl, 0], [cl, units]),
    ) as tf.Tensor2D[];
    return { patchKernel, levelWeights, bias: tf.clone(bias), units };
  });
}

export function disposeSplitFirstLayer(s: SplitFirstLayer): void {
  tf.dispose([s.patchKernel, ...s.levelWeights, s.bias]);
}

/**
 * Where the inference path switches from the whole window to the pixels the caller needs (see
 * {@link firstLayerPreActivation}'s `inner`): pyramid levels above this one are computed over the
 * whole window, this level and finer ones over the inner region only. 0 when the pyramid is too
 * shallow for the split to pay (the whole window is then computed at every level).
 */
export function innerSplitLevel(spec: FeatureSpec): number {
  const level = Math.min(3, spec.pyramidLevels - 1);
  return level >= 2 ? level : 0;
}

/**
 * Margin (pixels) an inner region needs around the pixels wanted from it, and the grid its origin
 * and size must follow: features near the inner region's border differ from the whole window's
 * (the edge filter and the ×2 resizes see the border), by at most ~1.5 cells of the split level.
 */
export function innerRegionGeometry(spec: FeatureSpec): { margin: number; align: number } {
  const level = innerSplitLevel(spec);
  return level === 0 ? { margin: 0, align: 1 } : { margin: 2 ** (level + 1), align: 2 ** level };
}

/** An inner region of a window: its own planar tensor and its origin in the window's pixels. */
export interface InnerRegion {
  /** [bands, h, w] cut from the window's planar input; h and w multiples of the split level's cell. */
  readonly planar: tf.Tensor3D;
  /** Origin in the window, multiples of {@link innerRegionGeometry}'s `align`. */
  readonly y0: number;
  readonly x0: number;
}

/** Projects a level's channels [Cl, h, w, 1] to the first layer's units at that level, [1, h, w, units]. */
function projectLevel(lv: tf.Tensor4D, weights: tf.Tensor2D, units: number): tf.Tensor4D {
  const [cl, hk, wk] = lv.shape;
  return tf
    .matMul(tf.transpose(lv.reshape([cl, hk * wk])), weights)
    .reshape([1, hk, wk, units]) as tf.Tensor4D;
}

/**
 * The first dense layer applied to the features of an image, without materialising them:
 * equals explicitFeatures(planar) · kernel + bias up to float rounding.
 *
 * With `inner`, only the inner region's pixels are computed (a window's core plus
 * {@link innerRegionGeometry}'s margin): the coarse pyramid levels still summarise the whole
 * window, but the fine levels, the patch convolution and everything per pixel after it run on the
 * inner region alone, so a window's halo costs a few coarse cells instead of full-resolution work.
 * Pixels farther than the margin from the inner region's border equal the whole-window values up
 * to float rounding. (The inner planar comes from the caller: on wasm, tf.slice of a large tensor
 * costs more than the halo it would save; a small slice at the split level is cheap.)
 *
 * @param planar as for {@link explicitFeatures}.
 * @returns [1, H, W, units] pre-activation over the window, or over the inner region. Tidy.
 */
export function firstLayerPreActivation(
  planar: tf.Tensor3D,
  spec: FeatureSpec,
  layer: SplitFirstLayer,
  inner?: InnerRegion,
): tf.Tensor4D {
  checkInput(planar, spec);
  const split = inner ? innerSplitLevel(spec) : 0;
  if (inner && split === 0) throw new RangeError("features: this pyramid is too shallow for an inner region");
  if (inner) checkInner(planar, inner, spec);
  return tf.tidy(() => {
    const fine = inner ? inner.planar : planar;
    const [, h, w] = fine.shape;
    const n = h * w;
    const px = pixelChannels(fine, spec);
    const cp = px.shape[0];
    const pxNhwc = tf.transpose(px.reshape([cp, n])).reshape([1, h, w, cp]) as tf.Tensor4D;
    const local = tf.fused.conv2d({
      x: pxNhwc,
      filter: layer.patchKernel,
      strides: 1,
      pad: "same",
      bias: layer.bias,
    });
    // Project each level at its own resolution and sum from the coarsest down, upsampling ×2
    // between levels; with an inner region, levels 1..split come from the inner planar and the
    // coarser sum is cut to the inner region at the split level (a small slice there).
    // The whole window's levels 1..split are pooled on the way up but not used with an inner region.
    const levels = levelChannels(planar, spec, inner ? split + 1 : 1);
    const fineLevels = inner ? levelChannels(inner.planar, spec, 1, split) : levels;
    let acc: tf.Tensor4D | null = null;
    for (let i = levels.length - 1; i >= 0; i--) {
      const k = i + 1;
      const lv = (k <= split ? fineLevels[i] : levels[i]) as tf.Tensor4D;
      const proj = projectLevel(lv, layer.levelWeights[i] as tf.Tensor2D, layer.units);
      if (acc === null) {
        acc = proj;
        continue;
      }
      let up = up2(acc);
      if (inner && k === split) {
        const cell = 2 ** split;
        const [, hk, wk] = proj.shape;
        up = tf.slice(up, [0, inner.y0 / cell, inner.x0 / cell, 0], [1, hk, wk, layer.units]);
      }
      acc = tf.add(up, proj) as tf.Tensor4D;
    }
    if (acc === null) return local;
    return tf.add(local, up2(acc)) as tf.Tensor4D;
  });
}

function checkInner(planar: tf.Tensor3D, inner: InnerRegion, spec: FeatureSpec): void {
  const [c, h, w] = planar.shape;
  const [ci, hi, wi] = inner.planar.shape;
  const { align } = innerRegionGeometry(spec);
  const fits = inner.y0 >= 0 && inner.x0 >= 0 && inner.y0 + hi <= h && inner.x0 + wi <= w;
  const aligned = [inner.y0, inner.x0, hi, wi].every((v) => v % align === 0);
  if (ci !== c || !fits || !aligned) {
    throw new RangeError(
      `features: inner region ${wi}×${hi} at (${inner.x0}, ${inner.y0}) must lie in the ${w}×${h} window, on a ${align} px grid`,
    );
  }
}
