import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/classify/backend.js";
import {
  buildHead,
  featureStatistics,
  foldStandardisation,
  setCrossEntropy,
  trainHead,
} from "../../src/classify/head.js";
import type { SampleSet } from "../../src/classify/labelled-image.js";
import { seededRandom } from "../../src/classify/random.js";
import { LAND_COVER_GROUP_IDS } from "../../src/core/land-cover.js";

beforeAll(async () => {
  await useBackend("wasm");
});

describe("dense head", () => {
  it("set cross-entropy equals cross-entropy for one allowed class and -log(p_a + p_b) for two", () => {
    const logits = tf.tensor2d([[1, 2, 0.5]]);
    const p = tf.softmax(logits).dataSync();
    const one = setCrossEntropy(logits, tf.tensor2d([[0, 1, 0]])).dataSync()[0];
    const two = setCrossEntropy(logits, tf.tensor2d([[1, 0, 1]])).dataSync()[0];
    expect(one).toBeCloseTo(-Math.log(p[1] as number), 5);
    expect(two).toBeCloseTo(-Math.log((p[0] as number) + (p[2] as number)), 5);
  });

  it("folding standardisation into the first layer leaves outputs unchanged", () => {
    const model = buildHead(3, 2, { hidden: [4], seed: 1 });
    const mean = Float32Array.from([10, -2, 0.5]);
    const std = Float32Array.from([2, 0.5, 3]);
    const x = tf.tensor2d([
      [12, -1, 0],
      [9, -3, 2],
    ]);
    const standardised = tf.div(tf.sub(x, tf.tensor1d(mean)), tf.tensor1d(std));
    const before = (model.predict(standardised) as tf.Tensor).dataSync();
    foldStandardisation(model, mean, std);
    const after = (model.predict(x) as tf.Tensor).dataSync();
    after.forEach((v, i) => expect(v).toBeCloseTo(before[i] as number, 4));
  });

  it("learns a separable two-class problem and owns its tensors", async () => {
    const rand = seededRandom(4);
    const n = 4000;
    const features = new Float32Array(n * 2);
    const allowed = new Uint16Array(n);
    const group = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const cls = i % 2;
      features[2 * i] = cls + 0.3 * rand();
      features[2 * i + 1] = 5 * rand();
      allowed[i] = 1 << cls;
      group[i] = LAND_COVER_GROUP_IDS.indexOf(cls === 0 ? "cropland" : "built_up");
    }
    const set: SampleSet = { count: n, featureCount: 2, features, allowed, group };
    expect(featureStatistics(set).mean[1]).toBeCloseTo(2.5, 0);
    const model = buildHead(2, 2, { hidden: [8], seed: 2 });
    const before = tf.memory().numTensors;
    const { history } = await trainHead(model, ["cropland", "built_up"], set, set, {
      epochs: 3,
      batchSize: 256,
      learningRate: 0.01,
      seed: 3,
    });
    expect(history.at(-1)?.valAccuracy).toBeGreaterThan(0.98);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
