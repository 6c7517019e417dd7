/**
 * The cropland baseline: land-survey patches (三调 / annual change survey DLTB) with their
 * GB/T 21010-2017 class code and whether they are permanent basic farmland (PBF, 永久基本农田).
 *
 * Field names are configurable. Defaults: class code `DLBM` (the survey's own field), PBF flag
 * `YJJBNT` (pinyin initials of 永久基本农田, in the style of DLBM/DLMC; the survey's DLTB layer
 * has no such field, so a combined baseline export names it). Set `pbfField: null` when the
 * layer carries no PBF flag (PBF then comes from a separate layer) and every patch is read as
 * general cropland.
 */
import { VectorLayerError } from "../core/errors.js";
import { flagAttribute, requiredAttribute, type AttributeContext } from "./layer-attributes.js";
import {
  loadVectorLayer,
  mapLayerProperties,
  type RawProperties,
  type VectorLayer,
  type VectorLayerOptions,
} from "./vector-layer.js";

export const DEFAULT_CLASS_FIELD = "DLBM";
export const DEFAULT_PBF_FIELD = "YJJBNT";

export interface BaselineProperties {
  /** GB/T 21010-2017 land class code, e.g. "0101" paddy, "0103" dry land, "0201K". */
  readonly classCode: string;
  /** True when the patch is permanent basic farmland. */
  readonly pbf: boolean;
  /** All properties as the file carried them (patch numbers, names…). */
  readonly attributes: RawProperties;
}

export interface BaselineLayerOptions extends Omit<VectorLayerOptions, "requiredProperties"> {
  /** Field holding the class code. Default `DLBM`. */
  readonly classField?: string;
  /** Field holding the PBF flag, or null for a layer without one. Default `YJJBNT`. */
  readonly pbfField?: string | null;
}

/**
 * Class codes are strings of 2–4 digits with an optional letter suffix ("01", "0101", "0201K").
 * A number is rejected: 0101 stored as a number has lost its leading zero.
 */
function classCodeAttribute(props: RawProperties, field: string, ctx: AttributeContext): string {
  const v = requiredAttribute(props, field, ctx);
  if (typeof v === "string" && /^\d{2,4}[A-Za-z]?$/.test(v.trim())) return v.trim().toUpperCase();
  const hint =
    typeof v === "number" ? " (stored as a number, so leading zeros are lost; export it as text)" : "";
  throw new VectorLayerError(
    ctx.source,
    `property "${field}" must be a GB/T 21010 class code such as "0103", got ${JSON.stringify(v)}${hint}`,
    { featureIndex: ctx.featureIndex },
  );
}

/** Converts an already-loaded polygon layer's properties into baseline properties. */
export function toBaselineLayer(
  layer: VectorLayer<RawProperties>,
  options: BaselineLayerOptions = {},
): VectorLayer<BaselineProperties> {
  const classField = options.classField ?? DEFAULT_CLASS_FIELD;
  const pbfField = options.pbfField === undefined ? DEFAULT_PBF_FIELD : options.pbfField;
  return mapLayerProperties(layer, (props, featureIndex) => {
    const ctx = { source: layer.source, featureIndex };
    return {
      classCode: classCodeAttribute(props, classField, ctx),
      pbf: pbfField === null ? false : flagAttribute(props, pbfField, ctx),
      attributes: props,
    };
  });
}

/** Loads the cropland baseline from a GeoJSON FeatureCollection. */
export async function loadCroplandBaseline(
  path: string,
  options: BaselineLayerOptions = {},
): Promise<VectorLayer<BaselineProperties>> {
  return toBaselineLayer(await loadVectorLayer(path, options), options);
}
