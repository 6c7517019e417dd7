/**
 * The shipped model on real data: its card's figures are reproduced from the committed weights,
 * the wasm and cpu backends agree on real GID tiles, and classify runs end to end on a NAIP quad.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { useBackend } from "../../src/classify/backend.js";
import { Classifier } from "../../src/classify/classifier.js";
import { classifyRaster } from "../../src/classify/classify-raster.js";
import { pyramidCell } from "../../src/classify/features.js";
import { decodeGidTile, listGidTiles } from "../../src/classify/gid-dataset.js";
import { reproduceModelCard } from "../../src/classify/reproduce.js";
import { openRaster } from "../../src/ingest/raster-source.js";
import { BUILTIN_SENSOR_PROFILES } from "../../src/ingest/sensor-profile.js";
import { noSharedData, repoPath, sharedData } from "../support/environment.js";

const MODEL = repoPath("models", "gid-rgb-v1");
/**
 * Grouped OA floors, a little under what was measured on the 210 validation tiles (gid-rgb-v1:
 * 0.858, gid-rgb-v2: 0.875, gid-rgb-v3: 0.877, gid-rgb-v4: 0.869; gid-rgb-30m-v1: 0.851 on the
 * same tiles area-averaged 7× to ~28 m, pure cells only); the test fails below them.
 */
const OA_FLOORS: ReadonlyArray<[string, number]> = [
  ["gid-rgb-v1", 0.85],
  ["gid-rgb-v2", 0.865],
  ["gid-rgb-v3", 0.865],
  ["gid-rgb-v4", 0.855],
  ["gid-rgb-30m-v1", 0.84],
];
/** Largest accepted |card − recomputed| for OA and each grouped F1 (float order across machines). */
const TOLERANCE = 0.002;
/** A disagreement between backends counts as a near tie when the top two probabilities differ by less. */
const NEAR_TIE = 0.01;

describe.skipIf(noSharedData())("shipped models on real data", () => {
  for (const [id, floor] of OA_FLOORS) {
    it(`reproduces ${id}'s model card figures from the committed weights, OA at least ${floor}`, async () => {
      await useBackend("wasm");
      const r = await reproduceModelCard(repoPath("models", id), sharedData("gid"), TOLERANCE);
      console.log(
        `${id}\n` +
          r.differences
            .map((d) => `  ${d.figure}: card ${d.card.toFixed(4)} recomputed ${d.recomputed.toFixed(4)}`)
            .join("\n"),
      );
      expect(r.evaluation.images).toBe(r.card.validation.imageIds.length);
      expect(r.reproduced).toBe(true);
      expect(r.evaluation.grouped.overallAccuracy).toBeGreaterThanOrEqual(floor);
    });
  }

  it("gives the same class map on the wasm and cpu backends for real GID tiles, up to near ties", async () => {
    const refs = (await listGidTiles(sharedData("gid"))).filter((r) =>
      ["gid15/rural_residential/3", "gid15/paddy_field/5", "gid5/farmland/7"].includes(r.id),
    );
    expect(refs).toHaveLength(3);
    const run = async (backend: string): Promise<{ cls: Int32Array; gap: Float32Array }[]> => {
      await useBackend(backend);
      const c = await Classifier.load(MODEL);
      const out: { cls: Int32Array; gap: Float32Array }[] = [];
      for (const ref of refs) {
        const d = await decodeGidTile(ref, pyramidCell(c.meta.features));
        const [cls, gap] = tf.tidy(() => {
          const x = tf.div(tf.tensor3d(Float32Array.from(d.rgb), [3, d.height, d.width]), 255) as tf.Tensor3D;
          const p = c.probabilities(x);
          const top = tf.topk(p, 2);
          const v = top.values;
          return [tf.argMax(p, 1), tf.sub(v.slice([0, 0], [-1, 1]), v.slice([0, 1], [-1, 1])).reshape([-1])];
        });
        out.push({ cls: cls.dataSync() as Int32Array, gap: gap.dataSync() as Float32Array });
        tf.dispose([cls, gap]);
      }
      c.dispose();
      return out;
    };
    const wasm = await run("wasm");
    const cpu = await run("cpu");
    await useBackend("wasm");
    let pixels = 0;
    let disagree = 0;
    let notNearTie = 0;
    wasm.forEach((w, t) => {
      const c = cpu[t]!;
      for (let i = 0; i < w.cls.length; i++) {
        pixels++;
        if (w.cls[i] !== c.cls[i]) {
          disagree++;
          if (Math.min(w.gap[i]!, c.gap[i]!) >= NEAR_TIE) notNearTie++;
        }
      }
    });
    console.log(
      `wasm vs cpu: ${disagree} of ${pixels} pixels differ, ${notNearTie} of them not near ties (gap ≥ ${NEAR_TIE})`,
    );
    expect(notNearTie).toBe(0);
    expect(disagree / pixels).toBeLessThan(1e-3);
  });

  it("classifies a NAIP quad end to end on its grid without leaking tensors", async () => {
    await useBackend("wasm");
    const dir = await mkdtemp(path.join(tmpdir(), "patrol-naip-"));
    const c = await Classifier.load(MODEL);
    const src = await openRaster(sharedData("naip", "m_4709963_se_14_1_20200831.tif"));
    try {
      const before = tf.memory().numTensors;
      const r = await classifyRaster(c, src, { profile: BUILTIN_SENSOR_PROFILES.rgbn!, outDir: dir });
      expect(tf.memory().numTensors).toBe(before);
      const out = await openRaster(r.classMapPath);
      expect([out.width, out.height, out.crs]).toEqual([src.width, src.height, src.crs]);
      expect(out.affine).toEqual(src.affine);
      await out.close();
      // A North Dakota farm quad in August: cropland should dominate the map.
      expect((r.classCounts[1] ?? 0) / r.pixels).toBeGreaterThan(0.5);
    } finally {
      await src.close();
      c.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
