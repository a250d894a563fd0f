import { clamp01 } from '../util/clamp.js';
import type { Interval } from '../records/summary.js';

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
export function itemClusteredAccuracy(scores: Iterable<{ itemId: string; score: number }>, z: number = Z95): Interval | null {
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

/** Mean of finite values, null when there are none. */
export function mean(values: readonly number[]): number | null {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return null;
  return finite.reduce((a, b) => a + b, 0) / finite.length;
}

/**
 * The standard normal quantile (inverse CDF) by Acklam's rational approximation, refined with one
 * Halley step on the erfc-based tail (relative error well below 1e-9 over (0, 1)): the labels test
 * at levels such as alpha x share / candidates, so z must be exact for any level, not a table value.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p <= 0 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  // One Halley step against the CDF written with erfc (accurate in the tails too).
  const e = 0.5 * erfc(-x / Math.SQRT2) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/**
 * log erfc(x) for x >= 0: Numerical Recipes' Chebyshev fit (relative error < 1.2e-7) taken in log space,
 * so it does not underflow in the far tail. The one copy of the fit: the p-values use it too.
 */
export function logErfcNonNegative(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  return (
    Math.log(t) -
    x * x -
    1.26551223 +
    t *
      (1.00002368 +
        t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
  );
}

/** Complementary error function, from the same fit (erfc(-x) = 2 - erfc(x)). */
function erfc(x: number): number {
  const y = Math.exp(logErfcNonNegative(Math.abs(x)));
  return x >= 0 ? y : 2 - y;
}
