/**
 * County boundaries (旗县/县市区): GB/T 2260 `adcode`, `name`, optionally the parent's adcode.
 * The prefecture (盟市/州市) adcode is the first four digits + "00". Vendor exports (DataV
 * GeoAtlas, AMap) are often GCJ-02-shifted: load them with `gcj02: true`.
 */
import { VectorLayerError } from "../core/errors.js";
import { adcodeAttribute, stringAttribute } from "./layer-attributes.js";
import {
  loadVectorLayer,
  mapLayerProperties,
  type RawProperties,
  type VectorLayer,
  type VectorLayerOptions,
} from "./vector-layer.js";

export interface CountyProperties {
  /** 6-digit GB/T 2260 county code. */
  readonly adcode: string;
  readonly name: string;
  /** The parent's adcode when the layer carries one, else null. */
  readonly parentAdcode: string | null;
  /** First four digits of `adcode` + "00". */
  readonly prefectureAdcode: string;
}

export interface CountyLayerOptions extends Omit<VectorLayerOptions, "requiredProperties"> {
  /** Default `adcode`. */
  readonly adcodeField?: string;
  /** Default `name`. */
  readonly nameField?: string;
  /** Default `parent_adcode`; null to ignore. A feature without the field gets null. */
  readonly parentField?: string | null;
}

/** The prefecture adcode of a county adcode (GB/T 2260: first four digits + "00"). */
export function prefectureOf(adcode: string): string {
  return `${adcode.slice(0, 4)}00`;
}

/** Converts an already-loaded polygon layer's properties into county properties. Adcodes must be unique. */
export function toCountyLayer(
  layer: VectorLayer<RawProperties>,
  options: CountyLayerOptions = {},
): VectorLayer<CountyProperties> {
  const adcodeField = options.adcodeField ?? "adcode";
  const nameField = options.nameField ?? "name";
  const parentField = options.parentField === undefined ? "parent_adcode" : options.parentField;
  const seen = new Map<string, number>();
  return mapLayerProperties(layer, (props, featureIndex) => {
    const ctx = { source: layer.source, featureIndex };
    const adcode = adcodeAttribute(props, adcodeField, ctx);
    const earlier = seen.get(adcode);
    if (earlier !== undefined) {
      throw new VectorLayerError(
        layer.source,
        `adcode ${adcode} already belongs to feature ${earlier}; a county is one feature (use a MultiPolygon for several parts)`,
        { featureIndex },
      );
    }
    seen.set(adcode, featureIndex);
    const hasParent = parentField !== null && props[parentField] !== undefined && props[parentField] !== null;
    return {
      adcode,
      name: stringAttribute(props, nameField, ctx),
      parentAdcode: hasParent ? adcodeAttribute(props, parentField, ctx) : null,
      prefectureAdcode: prefectureOf(adcode),
    };
  });
}

/** Loads county boundaries from a GeoJSON FeatureCollection. */
export async function loadCountyBoundaries(
  path: string,
  options: CountyLayerOptions = {},
): Promise<VectorLayer<CountyProperties>> {
  return toCountyLayer(await loadVectorLayer(path, options), options);
}
