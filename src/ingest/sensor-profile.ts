/**
 * Sensor profiles: which band of a raster is which, how its digital numbers (DN) become
 * reflectance (`reflectance = DN * scale + offset`), which DN means no data, and an optional
 * quality/cloud band.
 *
 * Built-ins:
 * - `sentinel2-l1c-13`: the 13-band Sentinel-2 L1C stack of OSCD (B01…B12 with B8A after B08),
 *   UInt16 DN = TOA reflectance × 10000, so scale 1e-4; DN 0 is no data.
 * - `sentinel2-10`: the ten 10 m/20 m bands (B02, B03, B04, B05, B06, B07, B08, B8A, B11, B12), same scaling.
 * - `landsat-etm-6`, `landsat-tm-6`: Landsat-7 ETM+ / Landsat-4/5 TM bands 1, 2, 3, 4, 5, 7 as
 *   8-bit DN. True TOA reflectance needs each scene's gains and sun elevation (MTL file), which
 *   such stacks do not carry, so these profiles use scale 1/255: a unit-range DN, not physical
 *   reflectance. Ratios such as NDVI are then only approximately comparable across scenes;
 *   declare a custom profile with the scene's gains where that matters. DN 0 is no data (fill).
 * - `rgbn` (8-bit, DN/255) and `rgbn-16` (16-bit, DN/10000): R, G, B, NIR as NAIP and Gaofen-1/2
 *   4-band products are delivered; {@link rgbnProfile} builds either.
 * - `rgb`: 8-bit true colour (GID Gaofen-2 tiles, aerial photos), DN/255.
 *
 * A profile's `nodata` DN is masked in addition to the raster's own nodata value; null means
 * only the raster's own (which for 8-bit RGB(N) is usual: 0 can be a real dark pixel).
 */
import { z } from "zod";
import { ConfigError, RangeRequestError, RasterFormatError } from "../core/errors.js";
import type { RasterBlock } from "./raster-source-types.js";

/** Band names a profile may use. Red-edge bands are numbered as Sentinel-2's B05, B06, B07. */
export const BAND_NAMES = [
  "coastal",
  "blue",
  "green",
  "red",
  "red-edge-1",
  "red-edge-2",
  "red-edge-3",
  "nir",
  "nir-narrow",
  "water-vapour",
  "cirrus",
  "swir1",
  "swir2",
  "pan",
  "thermal",
] as const;

export type BandName = (typeof BAND_NAMES)[number];

/** One spectral band of a profile. */
export interface SpectralBand {
  readonly name: BandName;
  /** 0-based band index in the raster file. */
  readonly index: number;
  /** reflectance = DN * scale + offset (unitless, 0–1 for reflectance). */
  readonly scale: number;
  readonly offset: number;
}

/** A quality/cloud band: pixels whose value is not in `clear` are masked in every band. */
export interface QualityBand {
  /** 0-based band index in the raster file. */
  readonly index: number;
  /** Values that mean the pixel is usable (e.g. Sentinel-2 SCL 4, 5, 6). */
  readonly clear: readonly number[];
}

export interface SensorProfile {
  readonly id: string;
  readonly description: string;
  /** Number of bands a raster of this profile has (spectral, quality and any others). */
  readonly bandCount: number;
  /** Spectral bands, in file order. */
  readonly bands: readonly SpectralBand[];
  /** DN meaning no data in every spectral band, or null to rely on the raster's own nodata. */
  readonly nodata: number | null;
  readonly quality: QualityBand | null;
}

function stack(names: readonly BandName[], scale: number): SpectralBand[] {
  return names.map((name, index) => ({ name, index, scale, offset: 0 }));
}

/** R, G, B, NIR, 8-bit (DN/255) or 16-bit (DN/10000). */
export function rgbnProfile(bitDepth: 8 | 16): SensorProfile {
  return {
    id: bitDepth === 8 ? "rgbn" : "rgbn-16",
    description: `4-band R, G, B, NIR (NAIP, Gaofen), ${bitDepth}-bit, reflectance = DN / ${bitDepth === 8 ? 255 : 10000}`,
    bandCount: 4,
    bands: stack(["red", "green", "blue", "nir"], bitDepth === 8 ? 1 / 255 : 1e-4),
    nodata: null,
    quality: null,
  };
}

const LANDSAT_6: readonly BandName[] = ["blue", "green", "red", "nir", "swir1", "swir2"];

/** The built-in profiles by id. */
export const BUILTIN_SENSOR_PROFILES: Readonly<Record<string, SensorProfile>> = {
  "sentinel2-l1c-13": {
    id: "sentinel2-l1c-13",
    description:
      "Sentinel-2 L1C, 13 bands B01…B12 (B8A after B08) as in OSCD, UInt16 DN = TOA reflectance × 10000",
    bandCount: 13,
    bands: stack(
      [
        "coastal",
        "blue",
        "green",
        "red",
        "red-edge-1",
        "red-edge-2",
        "red-edge-3",
        "nir",
        "nir-narrow",
        "water-vapour",
        "cirrus",
        "swir1",
        "swir2",
      ],
      1e-4,
    ),
    nodata: 0,
    quality: null,
  },
  "sentinel2-10": {
    id: "sentinel2-10",
    description:
      "Sentinel-2, 10 bands B02, B03, B04, B05, B06, B07, B08, B8A, B11, B12, DN = reflectance × 10000",
    bandCount: 10,
    bands: stack(
      [
        "blue",
        "green",
        "red",
        "red-edge-1",
        "red-edge-2",
        "red-edge-3",
        "nir",
        "nir-narrow",
        "swir1",
        "swir2",
      ],
      1e-4,
    ),
    nodata: 0,
    quality: null,
  },
  "landsat-etm-6": {
    id: "landsat-etm-6",
    description:
      "Landsat-7 ETM+ bands 1, 2, 3, 4, 5, 7, 8-bit DN; reflectance here is DN / 255 (no scene gains)",
    bandCount: 6,
    bands: stack(LANDSAT_6, 1 / 255),
    nodata: 0,
    quality: null,
  },
  "landsat-tm-6": {
    id: "landsat-tm-6",
    description:
      "Landsat-4/5 TM bands 1, 2, 3, 4, 5, 7, 8-bit DN; reflectance here is DN / 255 (no scene gains)",
    bandCount: 6,
    bands: stack(LANDSAT_6, 1 / 255),
    nodata: 0,
    quality: null,
  },
  rgbn: rgbnProfile(8),
  "rgbn-16": rgbnProfile(16),
  rgb: {
    id: "rgb",
    description: "3-band true colour R, G, B, 8-bit, reflectance = DN / 255",
    bandCount: 3,
    bands: stack(["red", "green", "blue"], 1 / 255),
    nodata: null,
    quality: null,
  },
};

const spectralBandSchema = z
  .object({
    /** One of {@link BAND_NAMES}. */
    name: z.enum(BAND_NAMES),
    /** 0-based band index in the file. */
    index: z.number().int().min(0),
    /** DN → reflectance factor. Default 1 (the file already holds reflectance). */
    scale: z.number().finite().positive().default(1),
    /** Added after scaling. Default 0. */
    offset: z.number().finite().default(0),
  })
  .strict();

/**
 * Schema of a custom sensor profile in a config file. Strict: an unknown key is an error.
 * Indices must be below `bandCount`, band names and indices unique, and the quality band (if
 * any) must not also be a spectral band.
 */
export const sensorProfileSchema = z
  .object({
    /** Lower-case id, referenced by tiles in the run manifest. */
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be lower-case letters, digits and '-'"),
    /** One line for people. */
    description: z.string().default(""),
    /** Bands a raster of this profile has. */
    bandCount: z.number().int().min(1),
    bands: z.array(spectralBandSchema).min(1),
    /** DN meaning no data in every band; null (default) uses the raster's own nodata only. */
    nodata: z.number().nullable().default(null),
    /** Optional quality/cloud band and the values that mean "clear". */
    quality: z
      .object({ index: z.number().int().min(0), clear: z.array(z.number()).min(1) })
      .strict()
      .nullable()
      .default(null),
  })
  .strict()
  .superRefine((p, ctx) => {
    const names = new Set<string>();
    const indices = new Set<number>();
    p.bands.forEach((b, i) => {
      if (b.index >= p.bandCount) {
        ctx.addIssue({
          code: "custom",
          path: ["bands", i, "index"],
          message: `must be below bandCount (${p.bandCount})`,
        });
      }
      if (names.has(b.name))
        ctx.addIssue({ code: "custom", path: ["bands", i, "name"], message: `"${b.name}" is used twice` });
      if (indices.has(b.index))
        ctx.addIssue({
          code: "custom",
          path: ["bands", i, "index"],
          message: `band ${b.index} is used twice`,
        });
      names.add(b.name);
      indices.add(b.index);
    });
    if (p.quality) {
      if (p.quality.index >= p.bandCount) {
        ctx.addIssue({
          code: "custom",
          path: ["quality", "index"],
          message: `must be below bandCount (${p.bandCount})`,
        });
      }
      if (indices.has(p.quality.index)) {
        ctx.addIssue({ code: "custom", path: ["quality", "index"], message: "is also a spectral band" });
      }
    }
  });

/** The shape of a custom profile as written in config (before defaults). */
export type SensorProfileConfig = z.input<typeof sensorProfileSchema>;

/** Formats a zod path as `bands[2].scale`. */
function formatPath(path: readonly PropertyKey[], prefix: string): string {
  let out = prefix;
  for (const k of path) out += typeof k === "number" ? `[${k}]` : out === "" ? String(k) : `.${String(k)}`;
  return out === "" ? "(root)" : out;
}

/**
 * Validates a custom profile from config. Throws {@link ConfigError} whose problem lists every
 * issue with its path (prefixed by `path`, e.g. `sensorProfiles[0]`), unknown keys included.
 */
export function parseSensorProfile(input: unknown, source: string, path = ""): SensorProfile {
  const r = sensorProfileSchema.safeParse(input);
  if (!r.success) {
    const problems = r.error.issues.map((i) => {
      if (i.code === "unrecognized_keys") {
        return `${formatPath(i.path, path)}: unknown key${i.keys.length > 1 ? "s" : ""} ${i.keys.map((k) => `"${k}"`).join(", ")}`;
      }
      return `${formatPath(i.path, path)}: ${i.message}`;
    });
    throw new ConfigError(source, `invalid sensor profile: ${problems.join("; ")}`, { cause: r.error });
  }
  return r.data;
}

/**
 * The profile a manifest gives an image: its own `spec` (a built-in name or an inline definition)
 * or else the manifest's default. `file` names the manifest in errors.
 */
export function profileFromSpec(
  spec: string | Record<string, unknown> | undefined,
  fallback: string | Record<string, unknown>,
  file: string,
): SensorProfile {
  const p = spec ?? fallback;
  return typeof p === "string" ? resolveSensorProfile(p, [], file) : parseSensorProfile(p, file, "profile");
}

/**
 * The profile named `id`: a custom one when given, else a built-in. Throws {@link ConfigError}
 * listing what exists when there is none.
 */
export function resolveSensorProfile(
  id: string,
  custom: readonly SensorProfile[] = [],
  source = "sensor profile",
): SensorProfile {
  const found =
    custom.find((p) => p.id === id) ??
    (Object.hasOwn(BUILTIN_SENSOR_PROFILES, id) ? BUILTIN_SENSOR_PROFILES[id] : undefined);
  if (!found) {
    const known = [...custom.map((p) => p.id), ...Object.keys(BUILTIN_SENSOR_PROFILES)];
    throw new ConfigError(source, `unknown sensor profile "${id}"; known: ${known.join(", ")}`);
  }
  return found;
}

/**
 * Checks that a raster has the band count its profile expects. Throws {@link RasterFormatError}
 * naming the raster, the profile and both counts.
 */
export function checkBandCount(
  profile: SensorProfile,
  raster: { readonly source: string; readonly bandCount: number },
): void {
  if (raster.bandCount !== profile.bandCount) {
    throw new RasterFormatError(
      raster.source,
      `has ${raster.bandCount} band${raster.bandCount === 1 ? "" : "s"}, but sensor profile "${profile.id}" expects ${profile.bandCount} (${profile.description})`,
    );
  }
}

/** The 0-based file band indices to read for a profile: spectral bands, then the quality band. */
export function profileBandIndices(profile: SensorProfile): number[] {
  const out = profile.bands.map((b) => b.index);
  if (profile.quality) out.push(profile.quality.index);
  return out;
}

/** Reflectance bands of one block by name; pixels that are no data (or not clear) are NaN. */
export type ReflectanceBands = Partial<Record<BandName, Float32Array>>;

export interface ReflectanceOptions {
  /**
   * Mask a pixel in every band when any band is no data there. Default true: a pixel missing a
   * band is no use to a classifier.
   */
  readonly propagateNodata?: boolean;
  /** Arrays to write into (each `width * height`), so a tile loop allocates nothing per block. */
  readonly out?: ReflectanceBands;
}

/**
 * Converts a block's DN to named reflectance bands (Float32Array each, row-major like the
 * block). A DN equal to the block's nodata or the profile's nodata, or NaN, becomes NaN; so do
 * pixels the quality band does not mark clear. The block must hold every band the profile names
 * ({@link profileBandIndices}); otherwise {@link RangeRequestError}.
 */
export function toReflectance(
  profile: SensorProfile,
  block: RasterBlock,
  source: string,
  options: ReflectanceOptions = {},
): ReflectanceBands {
  const n = block.width * block.height;
  const position = (index: number, what: string): number => {
    const k = block.bandIndices.indexOf(index);
    if (k < 0 || !block.bands[k]) {
      throw new RangeRequestError(
        source,
        `block lacks band ${index} (${what}) that sensor profile "${profile.id}" needs; read bands ${profileBandIndices(profile).join(", ")}`,
      );
    }
    return k;
  };
  const fileNodata = block.nodata;
  const profileNodata = profile.nodata;
  const out: ReflectanceBands = options.out ?? {};
  const arrays: Float32Array[] = [];
  for (const band of profile.bands) {
    const src = block.bands[position(band.index, band.name)] as ArrayLike<number>;
    let dst = out[band.name];
    if (!dst || dst.length !== n) {
      dst = new Float32Array(n);
      out[band.name] = dst;
    }
    scaleBand(src, fileNodata, profileNodata, band.scale, band.offset, dst);
    arrays.push(dst);
  }
  const quality = profile.quality;
  const q = quality ? (block.bands[position(quality.index, "quality")] as ArrayLike<number>) : null;
  const clear = quality ? new Set(quality.clear) : null;
  const propagate = options.propagateNodata ?? true;
  if (propagate || q) maskBands(arrays, q, clear, propagate);
  return out;
}

/*
 * The loops of toReflectance are functions of their own: V8 compiles a loop inside a longer
 * function on the stack and drops that code on what follows, once per window.
 */

/** DN to reflectance (`dn · scale + offset`); NaN, the file's or the profile's nodata become NaN. */
function scaleBand(
  src: ArrayLike<number>,
  fileNodata: number | null,
  profileNodata: number | null,
  scale: number,
  offset: number,
  dst: Float32Array,
): void {
  for (let i = 0; i < dst.length; i++) {
    const dn = src[i] as number;
    dst[i] = dn !== dn || dn === fileNodata || dn === profileNodata ? NaN : dn * scale + offset;
  }
}

/**
 * Sets every band to NaN where the quality band `q` is not among `clear`, and, with `propagate`,
 * where any band is NaN.
 */
function maskBands(
  bands: readonly Float32Array[],
  q: ArrayLike<number> | null,
  clear: ReadonlySet<number> | null,
  propagate: boolean,
): void {
  const n = bands[0]?.length ?? 0;
  for (let i = 0; i < n; i++) {
    let bad = q !== null && clear !== null && !clear.has(q[i] as number);
    if (!bad && propagate) {
      for (let b = 0; b < bands.length; b++) {
        const v = bands[b]![i]!;
        if (v !== v) {
          bad = true;
          break;
        }
      }
    }
    if (bad) for (let b = 0; b < bands.length; b++) bands[b]![i] = NaN;
  }
}

/** A band from {@link toReflectance}'s result, or {@link ConfigError} when the profile has none by that name. */
export function requireBand(bands: ReflectanceBands, name: BandName, profile: SensorProfile): Float32Array {
  const b = bands[name];
  if (!b) {
    throw new ConfigError(
      `sensor profile ${profile.id}`,
      `has no "${name}" band (it has ${profile.bands.map((x) => x.name).join(", ")})`,
    );
  }
  return b;
}
