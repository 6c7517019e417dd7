/** Typed errors of the run history and field-verification feedback. */
import { PatrolError } from "../core/errors.js";

/** The previous run's state is missing, unreadable or does not fit this run. */
export class SeriesStateError extends PatrolError {
  readonly permanent = true;
  constructor(
    readonly file: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${problem}`, options);
  }
}

/**
 * A feedback file that cannot be imported. `row` is the 1-based data row (CSV: the line after the
 * header is row 1; GeoJSON: feature index + 1), or null for the file as a whole.
 */
export class FeedbackError extends PatrolError {
  readonly permanent = true;
  constructor(
    readonly file: string,
    readonly row: number | null,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(row === null ? `${file}: ${problem}` : `${file}: row ${row}: ${problem}`, options);
  }
}
