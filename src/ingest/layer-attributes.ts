/**
 * Reading typed attribute values out of GeoJSON properties, with {@link VectorLayerError}s
 * that name the file, feature and field. Shared by the typed layer loaders.
 */
import { VectorLayerError } from "../core/errors.js";
import type { RawProperties } from "./vector-layer.js";

/** Where an attribute is being read, for error messages. */
export interface AttributeContext {
  readonly source: string;
  readonly featureIndex: number;
}

/** The value of `field`, or a {@link VectorLayerError} when it is absent or null. */
export function requiredAttribute(props: RawProperties, field: string, ctx: AttributeContext): unknown {
  const v = props[field];
  if (v === undefined || v === null) {
    throw new VectorLayerError(ctx.source, `is missing required property "${field}"`, {
      featureIndex: ctx.featureIndex,
    });
  }
  return v;
}

/** A non-empty string attribute (trimmed). Numbers are not accepted: say so. */
export function stringAttribute(props: RawProperties, field: string, ctx: AttributeContext): string {
  const v = requiredAttribute(props, field, ctx);
  if (typeof v !== "string" || v.trim() === "") {
    throw new VectorLayerError(
      ctx.source,
      `property "${field}" must be a non-empty string, got ${JSON.stringify(v)}`,
      { featureIndex: ctx.featureIndex },
    );
  }
  return v.trim();
}

/** A GB/T 2260 administrative code: 6 digits, as a string or an integer. */
export function adcodeAttribute(props: RawProperties, field: string, ctx: AttributeContext): string {
  const v = requiredAttribute(props, field, ctx);
  const s = typeof v === "number" && Number.isInteger(v) ? String(v) : typeof v === "string" ? v.trim() : "";
  if (!/^\d{6}$/.test(s)) {
    throw new VectorLayerError(
      ctx.source,
      `property "${field}" must be a 6-digit administrative code (GB/T 2260), got ${JSON.stringify(v)}`,
      { featureIndex: ctx.featureIndex },
    );
  }
  return s;
}

const TRUE_VALUES = new Set(["1", "y", "yes", "t", "true", "是"]);
const FALSE_VALUES = new Set(["0", "n", "no", "f", "false", "否"]);

/**
 * A yes/no flag: true/false, 1/0, or the strings "1"/"0", "Y"/"N", "yes"/"no", "true"/"false",
 * "是"/"否" (case-insensitive). Anything else is an error rather than a guess.
 */
export function flagAttribute(props: RawProperties, field: string, ctx: AttributeContext): boolean {
  const v = requiredAttribute(props, field, ctx);
  if (typeof v === "boolean") return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (TRUE_VALUES.has(s)) return true;
    if (FALSE_VALUES.has(s)) return false;
  }
  throw new VectorLayerError(
    ctx.source,
    `property "${field}" must be a yes/no flag (1/0, Y/N, true/false, 是/否), got ${JSON.stringify(v)}`,
    { featureIndex: ctx.featureIndex },
  );
}
