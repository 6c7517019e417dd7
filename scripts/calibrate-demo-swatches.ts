/**
 * Calibrates the demo scene's palette against the shipped model: paints each palette entry of
 * each class as a 192×192 patch with the class's texture, classifies it, and keeps the entries
 * whose central 96×96 pixels the model assigns to the intended land-cover class at least 70% of
 * the time. Re-run after retraining the shipped model:
 *
 *   npx tsx scripts/calibrate-demo-swatches.ts > src/demo/demo-swatches.json
 */
import palette from "../src/demo/gid-palette.json" with { type: "json" };
import { useBackend } from "../src/classify/backend.js";
import { Classifier } from "../src/classify/classifier.js";
import type { LandCoverId } from "../src/core/land-cover.js";
import { paintRegions, type PaintClass } from "../src/demo/paint.js";
import { classifyWindow } from "../src/detect/classify-window.js";
import { DEFAULT_MODEL_DIR } from "../src/classify/default-model.js";

const intended: Record<PaintClass, LandCoverId> = {
  "dry-cropland": "cropland",
  irrigated: "cropland",
  paddy: "cropland",
  orchard: "orchard",
  trees: "trees",
  shrub: "trees",
  grass: "grass",
  turf: "turf",
  pond: "pond",
  river: "water",
  lake: "water",
  road: "built_up",
  industrial: "built_up",
  urban: "built_up",
  "rural-residential": "built_up",
};

await useBackend(process.env.PATROL_TF_BACKEND);
const classifier = await Classifier.load(process.env.PATROL_MODEL_DIR ?? DEFAULT_MODEL_DIR);
const size = 192;
const core = 96;
const out: Record<string, number[]> = {};
const scores: Record<string, number[]> = {};
for (const cls of Object.keys(palette.classes) as PaintClass[]) {
  const n = palette.classes[cls].colours.length;
  out[cls] = [];
  scores[cls] = [];
  for (let index = 0; index < n; index++) {
    const ids = new Int32Array(size * size);
    const [r, g, b] = paintRegions(
      ids,
      [{ cls, seed: 1000 + index, angle: 0.35, swatch: index }],
      size,
      size,
      7,
    );
    const bands = {
      red: Float32Array.from(r, (v) => v / 255),
      green: Float32Array.from(g, (v) => v / 255),
      blue: Float32Array.from(b, (v) => v / 255),
    };
    const p = classifyWindow(classifier, bands, size, size, "rgb");
    const want = p.classIds.indexOf(intended[cls]);
    let hits = 0;
    const lo = (size - core) / 2;
    for (let y = lo; y < lo + core; y++) {
      for (let x = lo; x < lo + core; x++) {
        const i = y * size + x;
        let best = 0;
        for (let k = 1; k < p.planes.length; k++) if (p.planes[k]![i]! > p.planes[best]![i]!) best = k;
        if (best === want) hits++;
      }
    }
    const share = hits / (core * core);
    scores[cls]!.push(Math.round(share * 100) / 100);
    if (share >= 0.7) out[cls]!.push(index);
  }
  process.stderr.write(`${cls}: ${out[cls]!.length}/${n} entries recognised\n`);
}
const lines = Object.keys(out)
  .sort()
  .map((k) => `    "${k}": ${JSON.stringify(out[k])}`);
process.stdout.write(
  `{\n  "note": "Palette entries (indices into gid-palette.json) the shipped model ${classifier.meta.modelId} recognises as the intended class at >= 70% when painted with the class's texture. Made by scripts/calibrate-demo-swatches.ts.",\n  "model": "${classifier.meta.modelId}",\n  "classes": {\n${lines.join(",\n")}\n  }\n}\n`,
);
classifier.dispose();
