/**
 * Derives the colour statistics the demo scene generator paints with, from the GID tiles in
 * ../shared/data/gid. Only aggregate statistics are written (block-mean colours and within-block
 * spread per land-cover class), never pixels, so the research-only imagery stays out of the repo.
 *
 * Run: npx tsx scripts/derive-demo-palette.ts > src/demo/gid-palette.json
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";

const root = path.resolve(import.meta.dirname, "..", "..", "shared", "data", "gid", "gid-mtl15");
// GID-15 label → demo palette group.
const group: Record<number, string> = {
  0: "industrial",
  1: "urban",
  2: "rural-residential",
  3: "road",
  4: "paddy",
  5: "irrigated",
  6: "dry-cropland",
  7: "orchard",
  8: "trees",
  9: "shrub",
  10: "grass",
  11: "turf",
  12: "river",
  13: "lake",
  14: "pond",
};
const BLOCK = 12;
const samples: Record<string, number[][]> = {};

for (const scene of readdirSync(root)) {
  for (const f of readdirSync(path.join(root, scene))) {
    if (!f.endsWith("_label.png")) continue;
    const img = await sharp(path.join(root, scene, f.replace("_label", "")))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const lab = await sharp(path.join(root, scene, f))
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const w = Math.min(img.info.width, lab.info.width);
    const h = Math.min(img.info.height, lab.info.height);
    for (let by = 0; by + BLOCK <= h; by += BLOCK) {
      for (let bx = 0; bx + BLOCK <= w; bx += BLOCK) {
        const first = lab.data[by * lab.info.width + bx]!;
        if (!(first in group)) continue;
        let pure = true;
        const sum = [0, 0, 0];
        const sq = [0, 0, 0];
        for (let y = by; y < by + BLOCK && pure; y++) {
          for (let x = bx; x < bx + BLOCK; x++) {
            if (lab.data[y * lab.info.width + x] !== first) {
              pure = false;
              break;
            }
            for (let c = 0; c < 3; c++) {
              const v = img.data[(y * img.info.width + x) * 3 + c]!;
              sum[c]! += v;
              sq[c]! += v * v;
            }
          }
        }
        if (!pure) continue;
        const n = BLOCK * BLOCK;
        const mean = sum.map((s) => s / n);
        const std = sq.map((s, c) => Math.sqrt(Math.max(0, s / n - mean[c]! ** 2)));
        (samples[group[first]!] ??= []).push([...mean, ...std]);
      }
    }
  }
}

// Keep a deterministic, evenly spaced subset of block statistics per class (sorted by brightness).
const out: Record<string, { blocks: number; colours: number[][] }> = {};
for (const [name, list] of Object.entries(samples)) {
  list.sort((a, b) => a[0]! + a[1]! + a[2]! - (b[0]! + b[1]! + b[2]!));
  const keep = 48;
  const colours: number[][] = [];
  for (let i = 0; i < keep; i++) {
    const s = list[Math.floor(((i + 0.5) * list.length) / keep)]!;
    colours.push(s.map((v) => Math.round(v * 10) / 10));
  }
  out[name] = { blocks: list.length, colours };
}
// One class per line block, one colour per line, so diffs of a re-derivation stay readable.
const lines = Object.keys(out)
  .sort()
  .map((k) => {
    const rows = out[k]!.colours.map((c) => `      ${JSON.stringify(c)}`).join(",\n");
    return `    "${k}": { "blocks": ${out[k]!.blocks}, "colours": [\n${rows}\n    ] }`;
  });
const note =
  "Block-mean RGB and within-block standard deviation ([r,g,b,sr,sg,sb]) of 12x12 single-class blocks of GID-15 tiles; 48 evenly spaced by brightness per class. Derived by scripts/derive-demo-palette.ts.";
process.stdout.write(`{\n  "note": ${JSON.stringify(note)},\n  "classes": {\n${lines.join(",\n")}\n  }\n}\n`);
