/**
 * The vector layers a run's manifest names (cropland baseline, county boundaries, approval
 * layers), loaded, validated and reprojected to the imagery's CRS. `openRun` loads them for
 * detection; `patrol tune` loads them again to re-apply the change rules to cached probabilities.
 */
import path from "node:path";
import type { Manifest } from "../config/manifest.js";
import { ConfigError } from "../core/errors.js";
import { loadCroplandBaseline, type BaselineProperties } from "../ingest/baseline-layer.js";
import { loadCountyBoundaries, type CountyProperties } from "../ingest/county-layer.js";
import { isExclusionKind, loadExclusionLayer, type ExclusionProperties } from "../ingest/exclusion-layer.js";
import { reprojectLayer, type VectorLayer } from "../ingest/vector-layer.js";

export interface RunLayers {
  readonly baseline: VectorLayer<BaselineProperties>;
  readonly counties: VectorLayer<CountyProperties>;
  /** All approval layers as one layer (features in manifest order). */
  readonly exclusions: VectorLayer<ExclusionProperties>;
}

/**
 * Loads the manifest's layers (paths relative to `baseDir`) and reprojects them to `crs`, the
 * imagery's CRS. `manifestFile` names the manifest in errors.
 */
export async function loadRunLayers(
  manifest: Manifest,
  baseDir: string,
  manifestFile: string,
  crs: string,
): Promise<RunLayers> {
  const baselineRaw = await loadCroplandBaseline(path.resolve(baseDir, manifest.baseline.path), {
    classField: manifest.baseline.classField,
    pbfField: manifest.baseline.pbfField,
    ...(manifest.baseline.crs !== undefined ? { crs: manifest.baseline.crs } : {}),
  });
  const countiesRaw = await loadCountyBoundaries(path.resolve(baseDir, manifest.counties.path), {
    adcodeField: manifest.counties.adcodeField,
    nameField: manifest.counties.nameField,
    gcj02: manifest.counties.gcj02,
    ...(manifest.counties.crs !== undefined ? { crs: manifest.counties.crs } : {}),
  });
  const exclusionFeatures: VectorLayer<ExclusionProperties>["features"][number][] = [];
  for (const ex of manifest.exclusions) {
    if (ex.kind !== undefined && !isExclusionKind(ex.kind))
      throw new ConfigError(manifestFile, `exclusions: unknown kind ${ex.kind}`);
    const layer = await loadExclusionLayer(path.resolve(baseDir, ex.path), {
      ...(ex.kind !== undefined && isExclusionKind(ex.kind) ? { kind: ex.kind } : {}),
      ...(ex.kindField !== undefined ? { kindField: ex.kindField } : {}),
      ...(ex.idField !== undefined ? { idField: ex.idField } : {}),
      ...(ex.crs !== undefined ? { crs: ex.crs } : {}),
    });
    const projected = reprojectLayer(layer, crs);
    exclusionFeatures.push(...projected.features);
  }
  const exclusions: VectorLayer<ExclusionProperties> = {
    source: manifest.exclusions.map((e) => e.path).join(", ") || "(none)",
    crs,
    features: exclusionFeatures,
    extent: null,
  };
  return {
    baseline: reprojectLayer(baselineRaw, crs),
    counties: reprojectLayer(countiesRaw, crs),
    exclusions,
  };
}
