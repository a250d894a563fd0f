/** A proportion estimate with its confidence interval; n is the number of units (items). */
export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
  n: number;
}

/** z for a two-sided 95% interval. */
export const Z95 = 1.959964;

/**
 * Wilson score interval for `successes` out of `n`. `successes` may be fractional (a sum of
 * per-item mean scores, see itemClusteredAccuracy). Returns null when n = 0: no data, no interval.
 * Chosen over the normal (Wald) interval because it stays inside [0, 1] and behaves at 0% and 100%.
 */
export function wilson(successes: number, n: number, z: number = Z95): Interval | null {
  if (!(n > 0)) return null;
  const p = Math.min(1, Math.max(0, successes / n));
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At p = 0 or 1 the bound is exactly 0 or 1; floating point would leave 1e-16 off.
  return {
    estimate: p,
    lower: p === 0 ? 0 : Math.max(0, center - half),
    upper: p === 1 ? 1 : Math.min(1, center + half),
    n,
  };
}

/**
 * Accuracy with items as the unit: each item's mean score over its trials, then Wilson on
 * (sum of item means, number of items). Repeats of one item are repeated measurements of the
 * same question, not new evidence about other questions, so they must not shrink the interval.
 *
 * Why Wilson on item means is valid: any [0, 1]-valued variable with mean p has variance
 * <= p(1 - p) (since x^2 <= x on [0, 1]), with equality only for 0/1 values. The Wilson interval
 * assumes that Bernoulli variance, so for graded scores and for item means over repeats it is
 * conservative (at least as wide as needed), never too narrow.
 */
export function itemClusteredAccuracy(
  scores: Iterable<{ itemId: string; score: number }>,
  z: number = Z95,
): Interval | null {
  const byItem = new Map<string, { sum: number; count: number }>();
  for (const { itemId, score } of scores) {
    const acc = byItem.get(itemId) ?? { sum: 0, count: 0 };
    acc.sum += clamp01(score);
    acc.count += 1;
    byItem.set(itemId, acc);
  }
  let sumOfMeans = 0;
  for (const { sum, count } of byItem.values()) sumOfMeans += sum / count;
  return wilson(sumOfMeans, byItem.size, z);
}

function clamp01(x: number): number {
  // Scores are specified to be in [0, 1]; a stray value (or NaN) must not break the interval.
  if (!Number.isFinite(x)) return 0;
  return Math.min(1, Math.max(0, x));
}

/** Mean of finite values, null when there are none. */
export function mean(values: readonly number[]): number | null {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return null;
  return finite.reduce((a, b) => a + b, 0) / finite.length;
}
