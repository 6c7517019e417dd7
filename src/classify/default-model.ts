import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Id of the model shipped in `models/` that commands use when none is named. gid-rgb-v4 has v3's
 * speed (about 3 Mpx/s per core against 1.7 for v1), 86.9% grouped OA on GID (v1: 85.8%), and
 * types small changed parcels among fields more often than v1 in total (copy-paste training; its
 * card), construction less often. The demo palette (src/demo/demo-swatches.json) is calibrated
 * against it.
 */
export const DEFAULT_MODEL_ID = "gid-rgb-v4";

/** Absolute folder of the default model, independent of the working directory. */
export const DEFAULT_MODEL_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "models",
  DEFAULT_MODEL_ID,
);
