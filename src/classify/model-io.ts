/**
 * A file-system IO handler for tfjs LayersModels: model.json + weights.bin in one folder, the
 * format tfjs-node's file:// handler writes. Plain @tensorflow/tfjs has no file:// saver or loader
 * in Node, and tfjs-node is optional here.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { ModelFileError } from "./errors.js";

export const MODEL_JSON = "model.json";
export const WEIGHTS_BIN = "weights.bin";

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2 };

/** Bytes the weight specs of a manifest need. */
export function weightBytes(specs: readonly tf.io.WeightsManifestEntry[]): number {
  let total = 0;
  for (const s of specs) {
    const dtype = s.quantization?.dtype ?? s.dtype;
    const bytes = DTYPE_BYTES[dtype];
    if (bytes === undefined) throw new RangeError(`unsupported weight dtype ${dtype}`);
    total += bytes * s.shape.reduce((a, b) => a * b, 1);
  }
  return total;
}

async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

/** Saves to `dir`/model.json and `dir`/weights.bin (each written to a temp file and renamed). */
export function fileSaver(dir: string): tf.io.IOHandler {
  return {
    save: async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new ModelFileError(dir, "binary model topologies are not supported");
      }
      const data = artifacts.weightData;
      const weights = new Uint8Array(
        data === undefined
          ? new ArrayBuffer(0)
          : Array.isArray(data)
            ? tf.io.concatenateArrayBuffers(data)
            : data,
      );
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format ?? "layers-model",
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      await mkdir(dir, { recursive: true });
      await writeAtomic(path.join(dir, WEIGHTS_BIN), weights);
      await writeAtomic(path.join(dir, MODEL_JSON), `${JSON.stringify(json, null, 1)}\n`);
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: "JSON",
          weightDataBytes: weights.byteLength,
        },
      };
    },
  };
}

/**
 * Loads `dir`/model.json and the weight files its manifest names. A missing file, invalid JSON or
 * weights of the wrong size are a {@link ModelFileError}.
 */
export function fileLoader(dir: string): tf.io.IOHandler {
  return {
    load: async (): Promise<tf.io.ModelArtifacts> => {
      const jsonPath = path.join(dir, MODEL_JSON);
      let text: string;
      try {
        text = await readFile(jsonPath, "utf8");
      } catch (e) {
        throw new ModelFileError(jsonPath, "cannot read the model file", { cause: e });
      }
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(text) as tf.io.ModelJSON;
      } catch (e) {
        throw new ModelFileError(jsonPath, "model.json is not valid JSON", { cause: e });
      }
      if (
        typeof json !== "object" ||
        json === null ||
        !json.modelTopology ||
        !Array.isArray(json.weightsManifest)
      ) {
        throw new ModelFileError(jsonPath, "model.json lacks modelTopology or weightsManifest");
      }
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const file = path.join(dir, p);
          try {
            const b = await readFile(file);
            buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
          } catch (e) {
            throw new ModelFileError(file, "cannot read the weights file", { cause: e });
          }
        }
      }
      const weightData = tf.io.concatenateArrayBuffers(buffers);
      let expected: number;
      try {
        expected = weightBytes(specs);
      } catch (e) {
        throw new ModelFileError(jsonPath, "the weights manifest is not understood", { cause: e });
      }
      if (weightData.byteLength !== expected) {
        throw new ModelFileError(
          path.join(dir, WEIGHTS_BIN),
          `weights are ${weightData.byteLength} bytes, the manifest needs ${expected}`,
        );
      }
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        weightSpecs: specs,
        weightData,
        ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata } : {}),
      };
    },
  };
}
