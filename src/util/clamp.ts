/**
 * A score into [0, 1]. Scores are specified to be in [0, 1]; a stray value (or NaN, or an
 * infinity) must not break an interval or a mean: non-finite values count as 0.
 */
export function clamp01(x: number): number {
  if (!Number.isFinite(x)) return 0;
  return Math.min(1, Math.max(0, x));
}
