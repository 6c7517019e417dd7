/**
 * When a predicted object (an issue) and a reference object (a real change) are the same change.
 *
 * A pair matches when the reference object covers at least half of the predicted object's pixels,
 * or their intersection-over-union is at least 0.25. Reasoning: an issue is a lead for a field
 * visit, so it is right when an inspector sent there finds the change, that is when most of the
 * patch lies on it (a patch half on a new building plot, half on its yard, is a good lead). The
 * IoU alternative catches a patch that spills well beyond a small change (a 4 m classifier's
 * blurred outline around a house) yet overlaps it substantially. The object-detection convention
 * IoU ≥ 0.5 would call such coarse but useful leads false alarms; how well the matched outlines
 * fit is reported apart, as the object-level IoU (mean IoU of each found reference object with
 * the predicted objects matched to it).
 *
 * Object precision counts predicted objects that match some reference object; object recall
 * counts reference objects matched by some predicted object. One reference object may be matched
 * by several predicted fragments (each counts as a hit), and one large patch may match several
 * reference objects.
 */

export interface MatchingRule {
  /** Minimum intersection-over-union of the pair. */
  readonly minIoU: number;
  /** Alternatively, minimum share of the predicted object's pixels that lie on the reference object. */
  readonly minShareOfPredicted: number;
}

export const MATCHING_RULE: MatchingRule = { minIoU: 0.25, minShareOfPredicted: 0.5 };

/** The rule in words, for reports and JSON output. */
export function describeMatchingRule(rule: MatchingRule = MATCHING_RULE): string {
  return (
    `a predicted object matches a reference object when the reference covers >= ${rule.minShareOfPredicted * 100}% ` +
    `of the predicted object's pixels or their intersection-over-union is >= ${rule.minIoU}`
  );
}

/** Whether a pair with `inter` shared pixels matches, given the two objects' pixel counts. */
export function pairMatches(
  inter: number,
  predPixels: number,
  refPixels: number,
  rule: MatchingRule = MATCHING_RULE,
): boolean {
  if (inter <= 0) return false;
  if (inter >= rule.minShareOfPredicted * predPixels) return true;
  return inter / (predPixels + refPixels - inter) >= rule.minIoU;
}
