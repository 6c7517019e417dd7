/**
 * The run's vector layers burned onto one window's grid: the baseline parcel under each pixel
 * (and from it, cropland and permanent basic farmland), the county and the approval. The window
 * stage burns them before applying the change rules; `patrol tune` burns them again to re-apply
 * the rules to cached probabilities, so both read the same pixels.
 */
import type { ScratchScope } from "../core/scratch-pool.js";
import { rasterizeLayer, type RasterGrid } from "../ingest/rasterize.js";
import type { RunInputs } from "./run-inputs.js";

/** Per-pixel layers of one window, row-major, `grid.width × grid.height`. */
export interface WindowLayers {
  /** Index + 1 into `run.baseline.features` of the parcel under each pixel (0: none). */
  readonly baselineFeature: Uint32Array;
  /** 1 on baseline cropland (DLBM 01xx). */
  readonly cropland: Uint8Array;
  /** 1 on baseline cropland that is permanent basic farmland. */
  readonly pbf: Uint8Array;
  /** Index + 1 into `run.counties.features` (0: outside every county). */
  readonly county: Uint32Array;
  /** Index + 1 into `run.exclusions.features` (0: no approval). */
  readonly exclusion: Uint32Array;
}

/**
 * Burns the baseline, county and approval layers onto `grid` (map coordinates of the run's CRS).
 * With `scratch` the layers are borrowed from it (valid until the scope is released).
 */
export function burnWindowLayers(
  run: Pick<RunInputs, "baseline" | "counties" | "exclusions">,
  grid: RasterGrid,
  scratch?: ScratchScope,
): WindowLayers {
  const n = grid.width * grid.height;
  const uint8 = (): Uint8Array => (scratch ? scratch.take(Uint8Array, n) : new Uint8Array(n));
  const uint32 = (): Uint32Array | undefined => scratch?.take(Uint32Array, n);
  // The baseline is burned once, as parcel numbers; cropland and PBF follow from each pixel's
  // parcel (the same parcel wins a pixel whatever is burned, so this equals burning them apart).
  const baselineFeature = rasterizeLayer(run.baseline, grid, {
    burn: (f) => f.index + 1,
    sampleType: "uint32",
    ...withOut(uint32()),
  }) as Uint32Array;
  const parcelNumbers = run.baseline.features.reduce((m, f) => Math.max(m, f.index + 1), 0) + 1;
  const croplandOf = new Uint8Array(parcelNumbers);
  const pbfOf = new Uint8Array(parcelNumbers);
  for (const f of run.baseline.features) {
    const isCropland = /^01/.test(f.properties.classCode);
    croplandOf[f.index + 1] = isCropland ? 1 : 0;
    pbfOf[f.index + 1] = isCropland && f.properties.pbf ? 1 : 0;
  }
  const cropland = uint8();
  const pbf = uint8();
  lookUp(baselineFeature, croplandOf, cropland);
  lookUp(baselineFeature, pbfOf, pbf);
  const county = rasterizeLayer(run.counties, grid, {
    burn: (f) => f.index + 1,
    sampleType: "uint32",
    ...withOut(uint32()),
  }) as Uint32Array;
  const exclusionNumber = new Map(run.exclusions.features.map((f, i) => [f, i + 1]));
  const exclusion = rasterizeLayer(run.exclusions, grid, {
    burn: (f) => exclusionNumber.get(f) ?? 0,
    sampleType: "uint32",
    ...withOut(uint32()),
  }) as Uint32Array;
  return { baselineFeature, cropland, pbf, county, exclusion };
}

/** `out[i] = table[keys[i]]`: a loop of its own so that V8 compiles it once per process. */
function lookUp(keys: Uint32Array, table: Uint8Array, out: Uint8Array): void {
  for (let i = 0; i < keys.length; i++) out[i] = table[keys[i]!]!;
}

/** `rasterizeLayer`'s `out` option when there is an array to burn into (zero-filled, as its default). */
function withOut(out: Uint32Array | undefined): { out?: Uint32Array } {
  return out ? { out } : {};
}
