/**
 * Exclusion layers: polygons where a change on cropland is legal (approved construction land,
 * registered facility farmland, approved in-out-balance conversions, temporary land use). Patches
 * they cover are suppressed or flagged "approved" downstream, according to `kind`.
 */
import { VectorLayerError } from "../core/errors.js";
import { requiredAttribute, stringAttribute } from "./layer-attributes.js";
import {
  loadVectorLayer,
  mapLayerProperties,
  type RawProperties,
  type VectorLayer,
  type VectorLayerOptions,
} from "./vector-layer.js";

export const EXCLUSION_KINDS = [
  /** Approved construction land (批准建设用地). */
  "approved-construction",
  /** Registered or approved facility farmland (设施农业用地备案). */
  "facility-farmland",
  /** Approved conversion inside the annual in-out balance plan (进出平衡). */
  "balance-conversion",
  /** Approved temporary land use (临时用地). */
  "temporary-use",
  /** Any other legal change the province lists. */
  "other",
] as const;

export type ExclusionKind = (typeof EXCLUSION_KINDS)[number];

export function isExclusionKind(v: unknown): v is ExclusionKind {
  return typeof v === "string" && (EXCLUSION_KINDS as readonly string[]).includes(v);
}

export interface ExclusionProperties {
  readonly kind: ExclusionKind;
  /** Approval or record number from `idField`, or null when no id field was named. */
  readonly id: string | null;
  readonly attributes: RawProperties;
}

export interface ExclusionLayerOptions extends Omit<VectorLayerOptions, "requiredProperties"> {
  /** The kind of every feature in the layer. Give this or `kindField`, not both. */
  readonly kind?: ExclusionKind;
  /** Field holding each feature's kind (one of {@link EXCLUSION_KINDS}). */
  readonly kindField?: string;
  /** Field holding an approval/record number; required on every feature when named. */
  readonly idField?: string;
}

/** Converts an already-loaded polygon layer's properties into exclusion properties. */
export function toExclusionLayer(
  layer: VectorLayer<RawProperties>,
  options: ExclusionLayerOptions,
): VectorLayer<ExclusionProperties> {
  const { kind, kindField, idField } = options;
  if ((kind === undefined) === (kindField === undefined)) {
    throw new VectorLayerError(
      layer.source,
      "an exclusion layer needs exactly one of `kind` and `kindField`",
    );
  }
  if (kind !== undefined && !isExclusionKind(kind)) {
    throw new VectorLayerError(
      layer.source,
      `exclusion kind ${JSON.stringify(kind)} is not one of ${EXCLUSION_KINDS.join(", ")}`,
    );
  }
  return mapLayerProperties(layer, (props, featureIndex) => {
    const ctx = { source: layer.source, featureIndex };
    let k: ExclusionKind;
    if (kindField !== undefined) {
      const v = requiredAttribute(props, kindField, ctx);
      if (!isExclusionKind(v)) {
        throw new VectorLayerError(
          layer.source,
          `property "${kindField}" must be one of ${EXCLUSION_KINDS.join(", ")}, got ${JSON.stringify(v)}`,
          { featureIndex },
        );
      }
      k = v;
    } else {
      k = kind as ExclusionKind;
    }
    let id: string | null = null;
    if (idField !== undefined) {
      const v = requiredAttribute(props, idField, ctx);
      id = typeof v === "number" && Number.isFinite(v) ? String(v) : stringAttribute(props, idField, ctx);
    }
    return { kind: k, id, attributes: props };
  });
}

/** Loads an exclusion layer from a GeoJSON FeatureCollection. */
export async function loadExclusionLayer(
  path: string,
  options: ExclusionLayerOptions,
): Promise<VectorLayer<ExclusionProperties>> {
  return toExclusionLayer(await loadVectorLayer(path, options), options);
}
