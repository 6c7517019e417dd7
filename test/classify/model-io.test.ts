import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/classify/backend.js";
import { Classifier } from "../../src/classify/classifier.js";
import { ModelFileError } from "../../src/classify/errors.js";
import { MODEL_JSON, WEIGHTS_BIN } from "../../src/classify/model-io.js";
import { randomClassifier, randomPlanar } from "./helpers.js";

let dir: string;
beforeAll(async () => {
  await useBackend("wasm");
  dir = await mkdtemp(path.join(tmpdir(), "patrol-model-io-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function savedCopy(name: string): Promise<string> {
  const c = randomClassifier(3);
  const d = path.join(dir, name);
  await c.save(d);
  c.dispose();
  return d;
}

describe("model files", () => {
  it("round-trips model.json + weights.bin with the metadata and identical outputs", async () => {
    const before = tf.memory().numTensors;
    const c = randomClassifier(5);
    const d = path.join(dir, "roundtrip");
    await c.save(d);
    const json = JSON.parse(await readFile(path.join(d, MODEL_JSON), "utf8")) as {
      weightsManifest: Array<{ paths: string[] }>;
      userDefinedMetadata: { patrol: { modelId: string } };
    };
    expect(json.weightsManifest[0]?.paths).toEqual([WEIGHTS_BIN]);
    expect(json.userDefinedMetadata.patrol.modelId).toBe("test-random-5");
    const loaded = await Classifier.load(d);
    expect(loaded.meta).toEqual(c.meta);
    const x = tf.tensor3d(randomPlanar(3, 16, 16, 1), [3, 16, 16]);
    const a = c.probabilities(x);
    const b = loaded.probabilities(x);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])).toBe(0);
    tf.dispose([x, a, b]);
    c.dispose();
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("reports a missing model folder as ModelFileError", async () => {
    await expect(Classifier.load(path.join(dir, "nowhere"))).rejects.toBeInstanceOf(ModelFileError);
  });

  it("reports invalid JSON, missing and truncated weights as ModelFileError", async () => {
    const bad = await savedCopy("bad-json");
    await writeFile(path.join(bad, MODEL_JSON), "{ not json");
    await expect(Classifier.load(bad)).rejects.toMatchObject({
      name: "ModelFileError",
      modelPath: path.join(bad, MODEL_JSON),
    });

    const missing = await savedCopy("missing-weights");
    await rm(path.join(missing, WEIGHTS_BIN));
    await expect(Classifier.load(missing)).rejects.toBeInstanceOf(ModelFileError);

    const truncated = await savedCopy("truncated");
    const w = await readFile(path.join(truncated, WEIGHTS_BIN));
    await writeFile(path.join(truncated, WEIGHTS_BIN), w.subarray(0, w.length - 8));
    await expect(Classifier.load(truncated)).rejects.toThrow(/bytes, the manifest needs/);
  });

  it("reports model.json without classifier metadata as ModelFileError", async () => {
    const d = await savedCopy("no-meta");
    const json = JSON.parse(await readFile(path.join(d, MODEL_JSON), "utf8")) as Record<string, unknown>;
    delete json.userDefinedMetadata;
    await writeFile(path.join(d, MODEL_JSON), JSON.stringify(json));
    await expect(Classifier.load(d)).rejects.toThrow(/no valid classifier metadata/);
  });
});
