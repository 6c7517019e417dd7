/** The season and abandonment parameters a detection config gives for an index. */
import type { DetectionConfig } from "../config/detection-config.js";
import type { AbandonmentParams } from "./abandonment.js";
import type { SeasonParams } from "./season-state.js";
import type { VegetationIndexKind } from "./vegetation-index.js";

export function seasonParams(config: DetectionConfig, index: VegetationIndexKind): SeasonParams {
  const a = config.abandonment;
  return {
    seasonStartMonth: a.seasonStartMonth,
    seasonEndMonth: a.seasonEndMonth,
    bareSoilMax: a[index].bareSoilMax,
  };
}

export function abandonmentParams(config: DetectionConfig, index: VegetationIndexKind): AbandonmentParams {
  const a = config.abandonment;
  return {
    seasonStartMonth: a.seasonStartMonth,
    seasonEndMonth: a.seasonEndMonth,
    decideFromMonth: a.decideFromMonth,
    cropPeakMin: a[index].cropPeakMin,
    minObservedShare: config.rules.abandonment.threshold,
  };
}
