/** Errors of the evaluation and tuning commands. */
import { PatrolError } from "../core/errors.js";

/** A reference or run that cannot be evaluated as given (wrong grid, unreadable, empty): permanent. */
export class EvaluationInputError extends PatrolError {
  readonly permanent = true;
  constructor(
    /** The file (or "grid", "run") the problem is in. */
    readonly source: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${problem}`, options);
  }
}
