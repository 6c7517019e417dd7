/**
 * Re-renders a model's card after its hand-written parts changed, without retraining:
 * reads <model>/card-notes.json into <model>/model-card.json and rewrites MODEL_CARD.md.
 * The measured figures are left as they are.
 *
 *   npx tsx scripts/render-model-card.ts models/gid-rgb-v2
 */
import path from "node:path";
import { readCardNotes, readModelCard, writeModelCard } from "../src/classify/model-card.js";

const dir = process.argv[2];
if (!dir) {
  process.stderr.write("usage: tsx scripts/render-model-card.ts MODEL_DIR\n");
  process.exit(2);
}
const card = await readModelCard(dir);
const notes = await readCardNotes(path.join(dir, "card-notes.json"));
await writeModelCard(dir, { ...card, notes });
process.stdout.write(`re-rendered ${path.join(dir, "MODEL_CARD.md")}\n`);
