/**
 * The trained part of the classifier: a dense network over the fixed features (per pixel), as a
 * tfjs LayersModel so it saves as model.json + weights. Training runs forward features once and
 * fits the head with a set-valued loss: a pixel labelled "forest" (GID-5) rewards probability on
 * orchard or trees, a pixel labelled "orchard" only on orchard.
 */
import * as tf from "@tensorflow/tfjs";
import { LAND_COVER_GROUP_IDS, landCoverGroupOf, type LandCoverId } from "../core/land-cover.js";
import { seededRandom, shuffleInPlace } from "./random.js";
import type { SampleSet } from "./labelled-image.js";

export interface HeadOptions {
  /** Hidden layer widths, e.g. [32, 32]. */
  readonly hidden: readonly number[];
  readonly seed: number;
}

/**
 * A dense head [featureCount] → hidden… → classes (softmax is applied by the caller: training
 * uses logits). Input standardisation is the first layer's job after {@link foldStandardisation}.
 */
export function buildHead(featureCount: number, classCount: number, options: HeadOptions): tf.Sequential {
  const model = tf.sequential();
  let inputs = featureCount;
  options.hidden.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: "relu",
        inputShape: [inputs],
        kernelInitializer: tf.initializers.heNormal({ seed: options.seed + i }),
        name: `hidden${i + 1}`,
      }),
    );
    inputs = units;
  });
  model.add(
    tf.layers.dense({
      units: classCount,
      inputShape: [inputs],
      kernelInitializer: tf.initializers.glorotNormal({ seed: options.seed + 99 }),
      name: "logits",
    }),
  );
  return model;
}

/** Per-feature mean and standard deviation of a sample set (std floored at 1e-6). */
export function featureStatistics(s: SampleSet): { mean: Float32Array; std: Float32Array } {
  const nf = s.featureCount;
  const mean = new Float64Array(nf);
  const sq = new Float64Array(nf);
  for (let i = 0; i < s.count; i++) {
    for (let j = 0; j < nf; j++) {
      const v = s.features[i * nf + j] as number;
      mean[j] = (mean[j] as number) + v;
      sq[j] = (sq[j] as number) + v * v;
    }
  }
  const m = new Float32Array(nf);
  const sd = new Float32Array(nf);
  for (let j = 0; j < nf; j++) {
    const mu = (mean[j] as number) / s.count;
    m[j] = mu;
    sd[j] = Math.max(1e-6, Math.sqrt(Math.max(0, (sq[j] as number) / s.count - mu * mu)));
  }
  return { mean: m, std: sd };
}

/**
 * Folds input standardisation (x - mean) / std into the first dense layer, so the saved model
 * reads raw features: W' = W / std (row-wise), b' = b - (mean / std) · W.
 */
export function foldStandardisation(model: tf.Sequential, mean: Float32Array, std: Float32Array): void {
  const first = model.layers[0];
  if (!first) throw new RangeError("foldStandardisation: empty model");
  const [w, b] = first.getWeights() as [tf.Tensor2D, tf.Tensor1D];
  const folded = tf.tidy(() => {
    const inv = tf.tensor2d(std, [std.length, 1]).reciprocal();
    const w2 = tf.mul(w, inv);
    const b2 = tf.sub(b, tf.matMul(tf.tensor2d(mean, [1, mean.length]), w2).reshape([-1]));
    return [w2, b2];
  });
  first.setWeights(folded);
  tf.dispose(folded);
}

/** Float [n, classes] 0/1 matrix of allowed classes from bitmasks. */
function maskMatrix(allowed: Uint16Array, classCount: number): Float32Array {
  const out = new Float32Array(allowed.length * classCount);
  for (let i = 0; i < allowed.length; i++) {
    const m = allowed[i] as number;
    for (let c = 0; c < classCount; c++) if (m & (1 << c)) out[i * classCount + c] = 1;
  }
  return out;
}

/**
 * Set-valued cross-entropy: -log Σ_{c allowed} softmax(logits)_c, averaged over the batch.
 * Equals ordinary cross-entropy when one class is allowed.
 */
export function setCrossEntropy(logits: tf.Tensor2D, allowed: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const all = tf.logSumExp(logits, 1);
    const masked = tf.add(logits, tf.mul(tf.sub(allowed, 1), 1e4));
    return tf.mean(tf.sub(all, tf.logSumExp(masked, 1))) as tf.Scalar;
  });
}

export interface TrainOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  /** Learning rate multiplies by this after each epoch. */
  readonly decay?: number;
}

export interface EpochReport {
  readonly epoch: number;
  readonly epochs: number;
  readonly batch: number;
  readonly batches: number;
  readonly loss: number;
  /** Grouped-class accuracy on the validation samples, after the epoch (NaN mid-epoch). */
  readonly valAccuracy: number;
}

/**
 * Trains `model` (logits head, see {@link buildHead}) on standardised features; returns the
 * statistics it standardised with. The caller folds them in with {@link foldStandardisation}.
 */
export async function trainHead(
  model: tf.Sequential,
  classes: readonly LandCoverId[],
  train: SampleSet,
  val: SampleSet | null,
  options: TrainOptions,
  onProgress?: (r: EpochReport) => void,
): Promise<{ mean: Float32Array; std: Float32Array; history: EpochReport[] }> {
  const { mean, std } = featureStatistics(train);
  const nf = train.featureCount;
  const nc = classes.length;
  const standardise = (f: Float32Array, n: number): tf.Tensor2D =>
    tf.tidy(() =>
      tf.div(tf.sub(tf.tensor2d(f, [n, nf]), tf.tensor1d(mean)), tf.tensor1d(std)),
    ) as tf.Tensor2D;
  const xAll = standardise(train.features, train.count);
  const mAll = tf.tensor2d(maskMatrix(train.allowed, nc), [train.count, nc]);
  const xVal = val && val.count > 0 ? standardise(val.features, val.count) : null;
  const classGroup = tf.tensor1d(
    classes.map((c) => LAND_COVER_GROUP_IDS.indexOf(landCoverGroupOf(c) ?? "other")),
    "int32",
  );
  const optimizer = tf.train.adam(options.learningRate);
  const rand = seededRandom(options.seed);
  const order = new Int32Array(train.count).map((_, i) => i);
  const batches = Math.ceil(train.count / options.batchSize);
  const history: EpochReport[] = [];
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      shuffleInPlace(order, rand);
      let lossSum = 0;
      for (let b = 0; b < batches; b++) {
        const idx = tf.tensor1d(order.subarray(b * options.batchSize, (b + 1) * options.batchSize), "int32");
        const x = tf.gather(xAll, idx);
        const m = tf.gather(mAll, idx);
        const loss = optimizer.minimize(
          () => setCrossEntropy(model.apply(x, { training: true }) as tf.Tensor2D, m as tf.Tensor2D),
          true,
        );
        if (loss && (b % 50 === 0 || b === batches - 1)) {
          lossSum = (await loss.data())[0] as number;
          onProgress?.({
            epoch,
            epochs: options.epochs,
            batch: b + 1,
            batches,
            loss: lossSum,
            valAccuracy: NaN,
          });
        }
        tf.dispose([idx, x, m]);
        loss?.dispose();
      }
      let valAccuracy = NaN;
      if (xVal && val) {
        const predGroup = tf.tidy(() =>
          tf.gather(classGroup, tf.argMax(model.predict(xVal, { batchSize: 65536 }) as tf.Tensor2D, 1)),
        );
        const pg = (await predGroup.data()) as Int32Array;
        predGroup.dispose();
        let ok = 0;
        for (let i = 0; i < val.count; i++) if (pg[i] === val.group[i]) ok++;
        valAccuracy = ok / val.count;
      }
      const report = { epoch, epochs: options.epochs, batch: batches, batches, loss: lossSum, valAccuracy };
      history.push(report);
      onProgress?.(report);
      if (options.decay !== undefined) {
        (optimizer as unknown as { learningRate: number }).learningRate *= options.decay;
      }
    }
  } finally {
    tf.dispose([xAll, mAll, classGroup]);
    xVal?.dispose();
    optimizer.dispose();
  }
  return { mean, std, history };
}
