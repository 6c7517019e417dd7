/**
 * Re-applies the change rules to a run's cached class probabilities under other detection
 * configs, and turns the result into issues exactly as the run does (per window: change rules,
 * polygons and tallies; then patches joined across window seams and built into issues), with no
 * model inference. Each window is read once, with a halo taken from its neighbours' caches, and
 * every config is applied to it in turn.
 *
 * What the run derived from the imagery beyond the probabilities is read back from its outputs,
 * never recomputed: the observed mask (cloud and shadow masks included) from `change.tif` (4th
 * band), the spectral change between the dates from its 6th band (runs older than that band skip
 * the minSpectralChange gate), and the abandonment flags from the season history the run wrote
 * (`state/pixels/`), evaluated with each config's abandonment parameters as the run evaluated
 * them with its own.
 *
 * The one difference from the run: the halo's probabilities, observed mask and season history
 * are the neighbours' cached ones, where the run computed the halo with the window; the halo only
 * feeds the morphology at the seams, so results match the run's except, rarely, within a few
 * pixels of a seam.
 */
import type { DetectionConfig } from "../config/detection-config.js";
import { windowAffine, type PixelWindow } from "../core/raster-types.js";
import {
  scoreChanges,
  thresholdChanges,
  type ChangeScores,
  type ProbabilityPlanes,
} from "../detect/change-rules.js";
import { burnWindowLayers } from "../detect/window-layers.js";
import { crop, type WindowRasters } from "../detect/window-stage.js";
import { readMosaicWindow, type Mosaic } from "../ingest/mosaic.js";
import {
  abandonmentParams,
  flagAbandonment,
  readSeasonState,
  type AbandonmentResult,
} from "../season/index.js";
import { buildIssues, type IssueContext } from "../report/issues.js";
import { joinAcrossSeams } from "../vector/merge-seams.js";
import { forEachSpan } from "../vector/polygon-spans.js";
import { patchesOfWindow, type WindowPatch } from "../vector/window-patches.js";
import type { LabelledObjects } from "../evaluate/labelled-objects.js";
import type { CachedRun } from "./cached-run.js";

/** Issues re-derived under one config, as labelled objects on the cached run's grid. */
export interface RetunedIssues extends LabelledObjects {
  /** Confidence (mean P(not cropland), 0–1) of each object, as the issue's `confidence`. */
  readonly confidence: readonly number[];
}

/** Halo (pixels) the morphology of `configs` needs so seams match the run. */
function haloFor(configs: readonly DetectionConfig[]): number {
  let m = 0;
  for (const c of configs)
    for (const r of Object.values(c.rules)) m = Math.max(m, 2 * (r.openingPx + r.closingPx));
  return m + 1;
}

async function planesOf(
  mosaic: Mosaic,
  outer: PixelWindow,
  classIds: CachedRun["classIds"],
): Promise<ProbabilityPlanes> {
  const block = await readMosaicWindow(mosaic, outer);
  return {
    width: outer.x1 - outer.x0,
    height: outer.y1 - outer.y0,
    classIds,
    planes: block.bands as Uint8Array[],
  };
}

/**
 * For each config, the issues the run would have listed under it (before any minimum-area filter
 * when `keepSmall` is set: each config's `minAreaM2` is then treated as 0, so one pass serves a
 * sweep of minimum areas). Objects are issues of every status (approved ones too).
 */
export async function retuneIssues(
  run: CachedRun,
  configs: readonly DetectionConfig[],
  options: { keepSmall?: boolean } = {},
): Promise<RetunedIssues[]> {
  const effective = configs.map((c) => ({
    ...c,
    baselineMismatch: { ...c.baselineMismatch, enabled: false },
    rules: options.keepSmall
      ? (Object.fromEntries(
          Object.entries(c.rules).map(([k, r]) => [k, { ...r, minAreaM2: 0 }]),
        ) as DetectionConfig["rules"])
      : c.rules,
  }));
  const h = haloFor(effective);
  const { grid } = run;
  const patches: WindowPatch[][] = effective.map(() => []);
  const codes: Array<Map<string, Uint8Array>> = effective.map(() => new Map());
  for (const { id, window } of run.windows) {
    const outer = { x0: window.x0 - h, y0: window.y0 - h, x1: window.x1 + h, y1: window.y1 + h };
    const ow = outer.x1 - outer.x0;
    const oh = outer.y1 - outer.y0;
    const width = window.x1 - window.x0;
    const height = window.y1 - window.y0;
    const after = await planesOf(run.after, outer, run.classIds);
    const before = await planesOf(run.before, outer, run.classIds);
    // Band 6, the spectral change, exists in runs made since the minSpectralChange gate.
    const hasSpectral = run.change.bandCount >= 6;
    const cached = await readMosaicWindow(run.change, outer, { bands: hasSpectral ? [3, 4, 5] : [3, 4] });
    const valid = cached.bands[0] as Uint8Array;
    const unobserved = cached.bands[1] as Uint8Array;
    const spectral = hasSpectral ? { spectralChange: cached.bands[2] as Uint8Array } : {};
    // The season history as the run left it (this month included); null when the run kept none
    // (imagery with no vegetation index), and then the run had no history-based abandonment either.
    const season = await readSeasonState(run.outDir, { affine: grid.affine, crs: grid.crs, window: outer });
    const flags = new Map<string, AbandonmentResult>();
    const abandonedUnder = (config: DetectionConfig): AbandonmentResult | null => {
      if (!season) return null;
      const params = abandonmentParams(config, season.index);
      const key = JSON.stringify(params);
      const result = flags.get(key) ?? flagAbandonment(season, params);
      flags.set(key, result);
      return result;
    };
    const layers = burnWindowLayers(run.layers, {
      affine: windowAffine(grid.affine, outer),
      width: ow,
      height: oh,
      crs: grid.crs,
    });
    const cut = <T extends Uint8Array | Uint32Array>(a: T): T => crop(a, ow, h, width, height);
    const core = {
      observed: cut(valid),
      unobservedCropland: cut(unobserved),
      // Not read: tune vectorises the change layer only, which needs neither areas nor masks.
      rowAreaM2: new Float64Array(height),
      afterMask: new Uint8Array(width * height),
      beforeMask: new Uint8Array(width * height),
      cropland: cut(layers.cropland),
      pbf: cut(layers.pbf),
      baselineFeature: cut(layers.baselineFeature),
      county: cut(layers.county),
      exclusion: cut(layers.exclusion),
    };
    // The threshold-independent scores depend only on these, so configs that share them share one pass.
    const scored = new Map<string, ChangeScores>();
    const base = { before, after, baselineCropland: layers.cropland, valid, ...spectral };
    effective.forEach((config, k) => {
      const abandoned = abandonedUnder(config);
      const inputs = abandoned
        ? { ...base, abandoned: { flagged: abandoned.flagged, evidence: abandoned.evidence } }
        : base;
      const key = JSON.stringify([
        config.beforeCroplandThreshold,
        config.minSpectralChange,
        Object.values(config.rules).map((r) => r.enabled),
      ]);
      const scores = scored.get(key) ?? scoreChanges(inputs, config);
      scored.set(key, scores);
      const rules = thresholdChanges(scores, inputs, config);
      const rasters: WindowRasters = {
        windowId: id,
        window,
        width,
        height,
        changeCode: cut(rules.changeCode),
        confidence: cut(rules.confidence),
        mismatch: new Uint8Array(width * height),
        ...core,
        undetectable: rules.undetectable,
      };
      codes[k]!.set(id, rasters.changeCode);
      patches[k]!.push(
        ...patchesOfWindow(rasters, config.connectivity, config.patchTyping, {
          changesOnly: true,
        }).patches.filter((p) => p.kind === "change"),
      );
    });
  }

  const results: RetunedIssues[] = [];
  for (const [k, config] of effective.entries()) {
    const windowCodes = codes[k]!;
    const joined = await joinAcrossSeams(
      patches[k]!,
      async (_kind, bbox) => {
        const bw = bbox.x1 - bbox.x0;
        const out = new Uint8Array(bw * (bbox.y1 - bbox.y0));
        for (const { id, window } of run.windows) {
          const x0 = Math.max(bbox.x0, window.x0);
          const x1 = Math.min(bbox.x1, window.x1);
          const y0 = Math.max(bbox.y0, window.y0);
          const y1 = Math.min(bbox.y1, window.y1);
          if (x1 <= x0 || y1 <= y0) continue;
          const src = windowCodes.get(id)!;
          const ww = window.x1 - window.x0;
          for (let y = y0; y < y1; y++) {
            const from = (y - window.y0) * ww + (x0 - window.x0);
            out.set(src.subarray(from, from + (x1 - x0)), (y - bbox.y0) * bw + (x0 - bbox.x0));
          }
        }
        return out;
      },
      config.connectivity,
    );
    const ctx: IssueContext = {
      runId: run.runId,
      modelId: run.modelId,
      runDate: run.runDate,
      crs: grid.crs,
      affine: grid.affine,
      config,
      baseline: run.layers.baseline,
      counties: run.layers.counties,
      exclusions: run.layers.exclusions,
      tileAt: () => ({ tileId: "", beforeDate: "", afterDate: "" }),
    };
    const labels = new Int32Array(grid.width * grid.height);
    const objects: RetunedIssues["objects"][number][] = [];
    const confidence: number[] = [];
    for (const patch of joined) {
      const issue = buildIssues([patch], ctx).issues[0];
      if (!issue) continue;
      objects.push({
        id: issue.properties.id,
        changeType: issue.properties.change_type,
        areaM2: issue.properties.area_m2,
      });
      confidence.push(issue.properties.confidence);
      const n = objects.length;
      for (const rings of patch.polygons)
        forEachSpan({ rings: rings.map((r) => Int32Array.from(r)), bbox: patch.bbox }, (y, x0, x1) =>
          labels.fill(n, y * grid.width + x0, y * grid.width + x1),
        );
    }
    results.push({ width: grid.width, height: grid.height, labels, objects, confidence, ignore: null });
  }
  return results;
}
