/**
 * Radiometric matching: a linear bridge from one sensor's reflectance (as its profile defines it)
 * to the radiometry a model was trained on, derived from image statistics alone.
 *
 * Why: a model trained on 8-bit stretched true colour (GID's Gaofen-2 tiles span DN 5–240) sees a
 * Landsat ETM+ scene read as DN / 255 (hazy, low contrast: red DN 58–109, blue 91–120) as one
 * uniform dark blue-grey field. Per band, the image's low and high percentiles (default 2nd and
 * 98th) are mapped onto the training data's: a gain (contrast) and an offset (haze, the additive
 * path radiance that is strongest in blue) per band, exactly what a sensor profile's scale and
 * offset express. This is relative radiometric normalisation by percentile (two-point histogram)
 * matching; it assumes the scene holds a mix of cover broadly like the training data's, and it
 * never looks at labels.
 */
import type { RasterSource } from "./raster-source-types.js";
import type { BandName, SensorProfile, SpectralBand } from "./sensor-profile.js";

/** Low and high percentiles of each band's reflectance in some data. */
export interface BandPercentiles {
  /** The two percentiles (0–100), low then high. */
  readonly percentiles: readonly [number, number];
  /** Per band: reflectance at those percentiles. */
  readonly bands: Partial<Record<BandName, readonly [number, number]>>;
}

/** The value at percentile p (0–100) of sorted values (nearest rank below). */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const k = Math.min(sorted.length - 1, Math.max(0, Math.floor((p / 100) * (sorted.length - 1))));
  return sorted[k] as number;
}

/**
 * Per-band percentiles of the reflectance (per `profile`) of the valid pixels of one or more
 * rasters taken together (a run's mosaic of one date). Pixels that are no data in any band are
 * left out. Large rasters are read in strips and thinned to about `maxSamples` pixels on a
 * regular grid.
 */
export async function imagePercentiles(
  rasters: readonly RasterSource[],
  profile: SensorProfile,
  percentiles: readonly [number, number] = [2, 98],
  maxSamples = 1_000_000,
): Promise<BandPercentiles> {
  const total = rasters.reduce((s, r) => s + r.width * r.height, 0);
  const step = Math.max(1, Math.ceil(Math.sqrt(total / maxSamples)));
  const values: number[][] = profile.bands.map(() => []);
  for (const raster of rasters) {
    // Strips of about 256 rows, a whole number of sampling steps (one step when a step is longer).
    const strip = step * Math.max(1, Math.floor(256 / step));
    for (let y0 = 0; y0 < raster.height; y0 += strip) {
      const y1 = Math.min(raster.height, y0 + strip);
      const block = await raster.read(
        { x0: 0, y0, x1: raster.width, y1 },
        { bands: profile.bands.map((b) => b.index) },
      );
      for (let y = 0; y < y1 - y0; y += step) {
        for (let x = 0; x < raster.width; x += step) {
          const i = y * raster.width + x;
          let valid = true;
          for (let k = 0; k < profile.bands.length; k++) {
            const dn = block.bands[k]![i] as number;
            if (dn !== dn || dn === block.nodata || dn === profile.nodata) valid = false;
          }
          if (!valid) continue;
          profile.bands.forEach((b, k) => {
            values[k]!.push((block.bands[k]![i] as number) * b.scale + b.offset);
          });
        }
      }
    }
  }
  const bands: Partial<Record<BandName, readonly [number, number]>> = {};
  profile.bands.forEach((b, k) => {
    const sorted = Float64Array.from(values[k]!).sort();
    if (sorted.length === 0) return;
    bands[b.name] = [percentileOfSorted(sorted, percentiles[0]), percentileOfSorted(sorted, percentiles[1])];
  });
  return { percentiles, bands };
}

/** One band's gain and offset taking the image's percentiles onto the reference's. */
export interface BandMatch {
  readonly name: BandName;
  readonly gain: number;
  readonly offset: number;
}

/**
 * A profile whose scale and offset also apply the match: for each band the reference describes,
 * reflectance' = gain · reflectance + offset with gain = (ref_hi − ref_lo) / (img_hi − img_lo) and
 * offset = ref_lo − gain · img_lo. Bands the reference does not describe are kept as they are. The
 * new profile's id is `<id>-matched`, so logs and outputs show the bridge was applied.
 *
 * @throws RangeError when the two percentiles differ, or a band is flat (img_hi ≤ img_lo).
 */
export function matchedProfile(
  profile: SensorProfile,
  image: BandPercentiles,
  reference: BandPercentiles,
): { profile: SensorProfile; matches: BandMatch[] } {
  if (
    image.percentiles[0] !== reference.percentiles[0] ||
    image.percentiles[1] !== reference.percentiles[1]
  ) {
    throw new RangeError(
      `radiometric match: image percentiles ${image.percentiles.join("/")} differ from the reference's ${reference.percentiles.join("/")}`,
    );
  }
  const matches: BandMatch[] = [];
  const bands: SpectralBand[] = profile.bands.map((b) => {
    const ref = reference.bands[b.name];
    const img = image.bands[b.name];
    if (!ref || !img) return b;
    const [lo, hi] = img;
    if (!(hi > lo)) {
      throw new RangeError(
        `radiometric match: band ${b.name} is flat in the image (percentiles ${lo} and ${hi})`,
      );
    }
    const gain = (ref[1] - ref[0]) / (hi - lo);
    const offset = ref[0] - gain * lo;
    matches.push({ name: b.name, gain, offset });
    return { ...b, scale: b.scale * gain, offset: b.offset * gain + offset };
  });
  return {
    profile: {
      ...profile,
      id: `${profile.id}-matched`,
      description: `${profile.description}; matched to the model's radiometry (percentiles ${reference.percentiles.join("/")})`,
      bands,
    },
    matches,
  };
}

/**
 * The profile mapping the rasters (one date's mosaic, read per `profile`) onto `reference`:
 * {@link imagePercentiles} at the reference's percentiles, then {@link matchedProfile}.
 */
export async function matchRasters(
  rasters: readonly RasterSource[],
  profile: SensorProfile,
  reference: BandPercentiles,
): Promise<{ profile: SensorProfile; matches: BandMatch[] }> {
  return matchedProfile(profile, await imagePercentiles(rasters, profile, reference.percentiles), reference);
}
