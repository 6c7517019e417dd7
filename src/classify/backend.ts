/**
 * tfjs backend selection. WebAssembly is the default (fast, no native download); the pure-JS cpu
 * backend is the reference; tfjs-node (libtensorflow) is used when a deployment has installed it.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { BackendUnavailableError } from "./errors.js";

export const BACKEND_NAMES = ["wasm", "cpu", "node"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** The environment variable that chooses the backend when no option is given. */
export const BACKEND_ENV = "PATROL_TF_BACKEND";

export function parseBackendName(s: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(s)) return s as BackendName;
  throw new BackendUnavailableError(s, `unknown backend; choose one of ${BACKEND_NAMES.join(", ")}`);
}

/** The backend an option or PATROL_TF_BACKEND asks for, wasm when neither does. */
export function requestedBackend(option?: string): BackendName {
  const s = option ?? process.env[BACKEND_ENV];
  return s === undefined || s === "" ? "wasm" : parseBackendName(s);
}

// Keeps the tfjs-node import a runtime string so bundlers and tsc do not require the package.
const TFJS_NODE = "@tensorflow/tfjs-node";

/**
 * Makes `name` (or the requested backend) the active tfjs backend and waits until it is ready.
 * Asking for "node" without @tensorflow/tfjs-node installed is a {@link BackendUnavailableError}.
 *
 * @returns the tfjs backend name now active ("wasm", "cpu" or "tensorflow").
 */
export async function useBackend(name?: string): Promise<string> {
  const want = requestedBackend(name);
  const tfName = want === "node" ? "tensorflow" : want;
  if (tf.getBackend() === tfName) return tfName;
  if (want === "node" && tf.findBackend("tensorflow") === null) {
    try {
      await import(TFJS_NODE);
    } catch (e) {
      throw new BackendUnavailableError(
        "node",
        "@tensorflow/tfjs-node is not installed (npm install @tensorflow/tfjs-node; its install downloads libtensorflow)",
        { cause: e },
      );
    }
  }
  const ok = await tf.setBackend(tfName);
  if (!ok) throw new BackendUnavailableError(want, "tf.setBackend failed to initialise it");
  await tf.ready();
  return tfName;
}
