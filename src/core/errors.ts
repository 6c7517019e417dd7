/**
 * Typed errors that carry data. Each sets `name` so it survives crossing process
 * boundaries (BullMQ serialises `name` and `message`), and `permanent` says whether
 * retrying could help: bad input is permanent, I/O trouble is transient.
 */
import type { PixelWindow } from "./raster-types.js";

export abstract class PatrolError extends Error {
  /** True when the input itself is bad and a retry cannot help. */
  abstract readonly permanent: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The file or URL is not a readable raster of a kind we support. */
export class RasterFormatError extends PatrolError {
  readonly permanent = true;
  constructor(
    readonly source: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${problem}`, options);
  }
}

/** Reading pixels failed part-way (I/O error, truncated data, failed decode). */
export class TileReadError extends PatrolError {
  /** The pixel window (of the level being read) whose read failed, when known. */
  readonly window: PixelWindow | null;
  constructor(
    readonly source: string,
    readonly problem: string,
    readonly permanent: boolean,
    options?: { cause?: unknown; window?: PixelWindow },
  ) {
    super(`${source}: ${problem}`, options);
    this.window = options?.window ?? null;
  }
}

/** A request for a window or band that the raster does not have. */
export class RangeRequestError extends PatrolError {
  readonly permanent = true;
  constructor(
    readonly source: string,
    readonly problem: string,
  ) {
    super(`${source}: ${problem}`);
  }
}

/** A remote source could not be fetched. 4xx is permanent, 5xx and network errors are transient. */
export class RemoteSourceError extends PatrolError {
  constructor(
    readonly source: string,
    readonly problem: string,
    readonly status: number | null,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${problem}`, options);
  }
}

/** A coordinate reference system we cannot resolve. */
export class UnknownCrsError extends PatrolError {
  readonly permanent = true;
  constructor(
    readonly crs: string,
    readonly hint: string,
  ) {
    super(`unknown CRS ${crs}: ${hint}`);
  }
}

/**
 * A vector layer that is not usable: not a FeatureCollection, broken rings, missing fields.
 * `featureIndex` is the 0-based index of the offending feature in the file, or null when the
 * problem is with the file as a whole.
 */
export class VectorLayerError extends PatrolError {
  readonly permanent = true;
  readonly featureIndex: number | null;
  constructor(
    readonly source: string,
    readonly problem: string,
    options?: { cause?: unknown; featureIndex?: number },
  ) {
    super(
      options?.featureIndex === undefined
        ? `${source}: ${problem}`
        : `${source}: feature ${options.featureIndex}: ${problem}`,
      options,
    );
    this.featureIndex = options?.featureIndex ?? null;
  }
}

/** A config, manifest or profile that fails its schema. */
export class ConfigError extends PatrolError {
  readonly permanent = true;
  constructor(
    readonly source: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${problem}`, options);
  }
}

export function isPermanentError(e: unknown): boolean {
  return e instanceof PatrolError && e.permanent;
}
