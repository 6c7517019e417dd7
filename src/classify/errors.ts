/**
 * Typed errors of the classifier. All are permanent (bad input or a broken model file) except
 * where noted; each carries the data a caller needs to report it.
 */
import { PatrolError } from "../core/errors.js";

/** The image's bands (as its sensor profile names them) do not provide what the model reads. */
export class BandMismatchError extends PatrolError {
  readonly permanent = true;
  constructor(
    readonly source: string,
    readonly modelBands: readonly string[],
    /** Band names of the image's sensor profile. */
    readonly imageBands: readonly string[],
    readonly problem: string,
  ) {
    super(
      `${source}: ${problem} (the model reads ${modelBands.join(", ")}; the profile names ${imageBands.join(", ") || "no bands"})`,
    );
  }
}

/** A model folder whose model.json, weights or card is missing, unreadable or inconsistent. */
export class ModelFileError extends PatrolError {
  readonly permanent = true;
  constructor(
    readonly modelPath: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${modelPath}: ${problem}`, options);
  }
}

/** A training polygon whose class code has no entry in the class-code mapping. */
export class UnknownClassCodeError extends PatrolError {
  readonly permanent = true;
  constructor(
    readonly source: string,
    readonly field: string,
    readonly code: string,
    readonly featureIndex: number,
    readonly knownCodes: readonly string[],
  ) {
    super(
      `${source}: feature ${featureIndex} has ${field}=${JSON.stringify(code)}, which the class mapping does not ` +
        `know (known: ${knownCodes.slice(0, 20).join(", ")}${knownCodes.length > 20 ? ", …" : ""})`,
    );
  }
}

/** Training data that cannot be used: no tiles, undecodable pairs, no labelled pixels. */
export class TrainingDataError extends PatrolError {
  readonly permanent = true;
  constructor(
    readonly source: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${problem}`, options);
  }
}

/** A tfjs backend that was asked for but cannot be loaded here (e.g. tfjs-node not installed). */
export class BackendUnavailableError extends PatrolError {
  readonly permanent = true;
  constructor(
    readonly backend: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`tfjs backend ${backend}: ${problem}`, options);
  }
}
