/** Options `patrol evaluate` and `patrol tune` share: how to read the reference. */
import type { Command } from "commander";
import { ConfigError } from "../../core/errors.js";
import { CHANGE_TYPE_IDS } from "../../core/change-types.js";
import type { ReferenceOptions } from "../../evaluate/reference.js";

export interface ReferenceCliOptions {
  reference: string;
  typeField?: string;
  referenceCrs?: string;
  changeValues?: string;
  ignoreValues?: string;
}

/** Adds the reference options to a command. */
export function addReferenceOptions(cmd: Command): Command {
  return cmd
    .requiredOption(
      "--reference <file>",
      "reference changes: GeoJSON polygons (optional change-type property) or a GeoTIFF change raster on the run's grid",
    )
    .option("--type-field <name>", "GeoJSON property holding the change type", "change_type")
    .option(
      "--reference-crs <code>",
      "CRS of the GeoJSON coordinates when it is not lon/lat and has no crs member",
    )
    .option(
      "--change-values <list>",
      "raster: values meaning change, comma-separated (default: the highest value)",
    )
    .option(
      "--ignore-values <list>",
      "raster: values meaning unlabelled, left out (default: the raster's nodata)",
    );
}

function numbers(flag: string, text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const values = text.split(",").map((v) => Number(v.trim()));
  if (values.some((v) => !Number.isFinite(v)))
    throw new ConfigError(flag, `expected numbers, got ${JSON.stringify(text)}`);
  return values;
}

/** The library's reference options from the command line. */
export function referenceOptionsOf(o: ReferenceCliOptions): ReferenceOptions {
  const changeValues = numbers("--change-values", o.changeValues);
  const ignoreValues = numbers("--ignore-values", o.ignoreValues);
  return {
    ...(o.typeField !== undefined ? { typeField: o.typeField } : {}),
    ...(o.referenceCrs !== undefined ? { crs: o.referenceCrs } : {}),
    ...(changeValues ? { changeValues } : {}),
    ...(ignoreValues ? { ignoreValues } : {}),
  };
}

/** Parses a comma-separated list of change type ids. */
export function changeTypesOf(flag: string, text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const types = text.split(",").map((t) => t.trim());
  const unknown = types.filter((t) => !(CHANGE_TYPE_IDS as readonly string[]).includes(t));
  if (unknown.length > 0)
    throw new ConfigError(
      flag,
      `unknown change type(s) ${unknown.join(", ")}; known: ${CHANGE_TYPE_IDS.join(", ")}`,
    );
  return types;
}
