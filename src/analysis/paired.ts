import { Rng } from '../util/rng.js';
import { Z95 } from './stats.js';

/** The result of one paired comparison before multiplicity correction: b minus a, item by item. */
export interface PairedResult {
  nItems: number;
  estimate: number;
  ciLow: number;
  ciHigh: number;
  /** Standard deviation of the item differences (for rough sample-size estimates). */
  sdDiff: number;
  method: 'mcnemar-exact' | 'paired-bootstrap';
  pValue: number;
}

export interface PairedOptions {
  resamples: number;
  /** Seeds the randomization test, so a rerun gives the same p-value. */
  seedParts: ReadonlyArray<string | number>;
  /** When both sides are 0/1 with one trial per item, the exact McNemar test applies. */
  binarySingle: boolean;
}

/**
 * Compares two cells over the items present in both (the pairs).
 * - Interval: adjusted Wald on the item differences (Agresti-Min: half a pseudo-pair discordant
 *   each way and one concordant). Unlike a bootstrap percentile interval it never collapses to
 *   zero width when 9 items happen to agree, so equivalence is never claimed from too little data.
 * - p-value: exact McNemar for 0/1 scores with one trial per item; otherwise a paired
 *   randomization (sign-flip) test of the mean difference, exact when few items differ and
 *   Monte Carlo otherwise. (The issue proposed a paired bootstrap p-value; the sign-flip test is
 *   exact at small n where the bootstrap is anti-conservative, and equals it asymptotically.)
 */
export function pairedDifference(a: Float64Array, b: Float64Array, options: PairedOptions): PairedResult {
  const diffs: number[] = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isFinite(x) && Number.isFinite(y)) diffs.push(y - x);
  }
  const n = diffs.length;
  if (n === 0) return { nItems: 0, estimate: 0, ciLow: -1, ciHigh: 1, sdDiff: Number.NaN, method: 'paired-bootstrap', pValue: 1 };
  const sum = diffs.reduce((s, d) => s + d, 0);
  const estimate = sum / n;
  const { low, high } = adjustedWald(diffs);
  const sdDiff = Math.sqrt(diffs.reduce((s, d) => s + (d - estimate) ** 2, 0) / Math.max(1, n - 1));
  if (options.binarySingle) {
    let better = 0;
    let worse = 0;
    for (const d of diffs) {
      if (d > 0) better++;
      else if (d < 0) worse++;
    }
    return { nItems: n, estimate, ciLow: low, ciHigh: high, sdDiff, method: 'mcnemar-exact', pValue: mcnemarExact(better, worse) };
  }
  return {
    nItems: n,
    estimate,
    ciLow: low,
    ciHigh: high,
    sdDiff,
    method: 'paired-bootstrap',
    pValue: signFlipTest(diffs, options.resamples, new Rng(['sign-flip', ...options.seedParts])),
  };
}

/** Adjusted Wald interval of the mean of differences in [-1, 1] (Agresti & Min 2005, generalized to graded scores). */
export function adjustedWald(diffs: readonly number[], z: number = Z95): { low: number; high: number } {
  // Pseudo-observations: +1 and -1 with weight 1/2 each, 0 with weight 1 (mean 0, so the centre shrinks toward 0).
  const total = diffs.length + 2;
  const sum = diffs.reduce((s, d) => s + d, 0);
  const centre = sum / total;
  let ss = 0.5 * (1 - centre) ** 2 + 0.5 * (-1 - centre) ** 2 + centre ** 2;
  for (const d of diffs) ss += (d - centre) ** 2;
  const se = Math.sqrt(ss / total / total);
  return { low: Math.max(-1, centre - z * se), high: Math.min(1, centre + z * se) };
}

/** Two-sided exact McNemar test: a binomial test of the discordant pairs against 1/2. */
export function mcnemarExact(better: number, worse: number): number {
  const n = better + worse;
  if (n === 0) return 1;
  return Math.min(1, 2 * binomialCdfHalf(Math.min(better, worse), n));
}

/** P(X <= x) for X ~ Binomial(n, 1/2), summed in log space so large n does not underflow. */
export function binomialCdfHalf(x: number, n: number): number {
  const logHalfN = -n * Math.LN2;
  let logTerm = logHalfN; // log C(n, 0) / 2^n
  let total = Math.exp(logTerm);
  for (let i = 1; i <= x; i++) {
    logTerm += Math.log(n - i + 1) - Math.log(i);
    total += Math.exp(logTerm);
  }
  return Math.min(1, total);
}

/** Items differing exactly: at most 2^14 sign patterns are enumerated; beyond that, Monte Carlo. */
const EXACT_LIMIT = 14;

/**
 * Two-sided paired randomization test: under "no difference" each item's difference is as likely
 * to have either sign. Zero differences carry no information and are dropped.
 */
export function signFlipTest(diffs: readonly number[], resamples: number, rng: Rng): number {
  const nonzero = diffs.filter((d) => d !== 0);
  const m = nonzero.length;
  if (m === 0) return 1;
  const observed = Math.abs(nonzero.reduce((s, d) => s + d, 0));
  const tolerance = 1e-12 * m;
  if (m <= EXACT_LIMIT) {
    let extreme = 0;
    const patterns = 1 << m;
    for (let mask = 0; mask < patterns; mask++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += mask & (1 << i) ? -nonzero[i]! : nonzero[i]!;
      if (Math.abs(s) >= observed - tolerance) extreme++;
    }
    return extreme / patterns;
  }
  let extreme = 0;
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += rng.nextUint32() & 1 ? -nonzero[i]! : nonzero[i]!;
    if (Math.abs(s) >= observed - tolerance) extreme++;
  }
  if (extreme >= MIN_TAIL_HITS) return (extreme + 1) / (resamples + 1);
  // Few resamples reached the observed sum: Monte Carlo cannot resolve so small a p (with 2000
  // resamples it stops at 1/2001, which a Holm family of 100 tests turns into 0.05). The sum of
  // sign-flipped differences is a sum of many independent terms with variance sum(d^2), so its tail
  // is read from the normal approximation instead (m > 14 here).
  const variance = nonzero.reduce((s, d) => s + d * d, 0);
  return Math.min(1, 2 * normalUpperTail(observed / Math.sqrt(variance)));
}

/** Monte Carlo hits below which the tail is read from the normal approximation. */
const MIN_TAIL_HITS = 20;

/** P(Z > z) for a standard normal, via erfc (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7). */
export function normalUpperTail(z: number): number {
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y =
    t *
    Math.exp(
      -x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  const erfc = x >= 0 ? y : 2 - y;
  return erfc / 2;
}

/** Holm's step-down adjustment: controls the family-wise error rate over every test of a run. */
export function holm(pValues: readonly number[]): number[] {
  const order = pValues.map((p, i) => [p, i] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const adjusted = new Array<number>(pValues.length);
  let running = 0;
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (pValues.length - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}
