import type { PairedMethod } from '../records/summary.js';
import { Rng } from '../util/rng.js';
import { logErfcNonNegative, Z95 } from './stats.js';

/** 'greater' tests mean(b - a) > 0, 'less' tests mean(b - a) < 0. */
export type Alternative = 'two-sided' | 'greater' | 'less';

/** The result of one paired comparison before multiplicity correction: b minus a, item by item. */
export interface PairedResult {
  nItems: number;
  estimate: number;
  ciLow: number;
  ciHigh: number;
  /** Standard deviation of the item differences (for rough sample-size estimates). */
  sdDiff: number;
  /** The test that actually produced pValue ('none' when no item is paired). */
  method: PairedMethod;
  pValue: number;
}

export interface PairedOptions {
  resamples: number;
  /** Seeds the randomization test, so a rerun gives the same p-value. */
  seedParts: ReadonlyArray<string | number>;
  /** When both sides are 0/1 with one trial per item, the exact McNemar test applies. */
  binarySingle: boolean;
  /** Default 'two-sided'; 'greater' asks whether b is better than a (for "shown better" claims). */
  alternative?: Alternative;
}

/** A p-value with its natural log (the log stays exact where the value itself underflows) and how it was computed. */
export interface PValue {
  pValue: number;
  logPValue: number;
  method: PairedMethod;
}

/**
 * Compares two cells over the items present in both (the pairs).
 * - Interval: adjusted Wald on the item differences (Agresti-Min: half a pseudo-pair discordant
 *   each way and one concordant). Unlike a bootstrap percentile interval it never collapses to
 *   zero width when 9 items happen to agree, so equivalence is never claimed from too little data.
 * - p-value: exact McNemar for 0/1 scores with one trial per item; otherwise a paired
 *   randomization (sign-flip) test of the mean difference (see signFlipPValue). The sign-flip test
 *   is exact at small n where a bootstrap p-value is anti-conservative, and equals it asymptotically.
 * A p-value is never 0: below about 5e-324 the value reported is that bound.
 */
export function pairedDifference(a: Float64Array, b: Float64Array, options: PairedOptions): PairedResult {
  const alternative = options.alternative ?? 'two-sided';
  const diffs: number[] = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isFinite(x) && Number.isFinite(y)) diffs.push(y - x);
  }
  const n = diffs.length;
  if (n === 0) return { nItems: 0, estimate: 0, ciLow: -1, ciHigh: 1, sdDiff: Number.NaN, method: 'none', pValue: 1 };
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
    return { nItems: n, estimate, ciLow: low, ciHigh: high, sdDiff, method: 'mcnemar-exact', pValue: mcnemarExact(better, worse, alternative) };
  }
  const test = signFlipPValue(diffs, options.resamples, new Rng(['sign-flip', ...options.seedParts]), alternative);
  return { nItems: n, estimate, ciLow: low, ciHigh: high, sdDiff, method: test.method, pValue: test.pValue };
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

/** A probability from its log, never 0: below about 5e-324 the value reported is that bound. */
export function fromLogP(logP: number): number {
  return Math.max(Math.min(1, Math.exp(logP)), Number.MIN_VALUE);
}

/**
 * Exact McNemar test: a binomial test of the discordant pairs against 1/2. `better` counts pairs
 * where b beat a ('greater' tests b > a). Below about 5e-324 the value reported is that bound.
 */
export function mcnemarExact(better: number, worse: number, alternative: Alternative = 'two-sided'): number {
  return fromLogP(mcnemarLogPValue(better, worse, alternative));
}

/** Natural log of the exact McNemar p-value (finite where the p-value itself underflows). */
export function mcnemarLogPValue(better: number, worse: number, alternative: Alternative = 'two-sided'): number {
  return binomialSignLogPValue(better, better + worse, alternative);
}

/** log p of a sign test: `positive` of `n` signs positive, against Binomial(n, 1/2). */
function binomialSignLogPValue(positive: number, n: number, alternative: Alternative): number {
  if (n === 0) return 0;
  // P(X >= positive) = P(X <= n - positive) by symmetry.
  if (alternative === 'greater') return logBinomialCdfHalf(n - positive, n);
  if (alternative === 'less') return logBinomialCdfHalf(positive, n);
  return Math.min(0, Math.LN2 + logBinomialCdfHalf(Math.min(positive, n - positive), n));
}

/** P(X <= x) for X ~ Binomial(n, 1/2); never 0 for x >= 0 (below about 5e-324 the value reported is that bound). */
export function binomialCdfHalf(x: number, n: number): number {
  if (x < 0) return 0;
  return fromLogP(logBinomialCdfHalf(x, n));
}

/** log P(X <= x) for X ~ Binomial(n, 1/2), by log-sum-exp over log C(n, i) so no n underflows. */
export function logBinomialCdfHalf(x: number, n: number): number {
  const top = Math.floor(x);
  if (top < 0) return Number.NEGATIVE_INFINITY;
  if (top >= n) return 0;
  let logTerm = 0; // log C(n, 0)
  let max = 0;
  let scaled = 1; // sum of exp(log C(n, i) - max)
  for (let i = 1; i <= top; i++) {
    logTerm += Math.log(n - i + 1) - Math.log(i);
    if (logTerm > max) {
      scaled = scaled * Math.exp(max - logTerm) + 1;
      max = logTerm;
    } else {
      scaled += Math.exp(logTerm - max);
    }
  }
  return Math.min(0, max + Math.log(scaled) - n * Math.LN2);
}

/** Items differing exactly: at most 2^14 sign patterns are enumerated; beyond that, Monte Carlo. */
const EXACT_LIMIT = 14;

/** Monte Carlo hits below which the tail is read from the normal approximation. */
const MIN_TAIL_HITS = 20;

/** Paired randomization (sign-flip) p-value; see signFlipPValue. Never 0. */
export function signFlipTest(diffs: readonly number[], resamples: number, rng: Rng, alternative: Alternative = 'two-sided'): number {
  return signFlipPValue(diffs, resamples, rng, alternative).pValue;
}

/**
 * Paired randomization test: under "no difference" each item's difference is as likely to have
 * either sign. Zero differences carry no information and are dropped. Read, in order:
 * - exactly, when every nonzero difference has the same magnitude (then the test is a binomial
 *   test of the count of positive signs, for any number of items) or when at most 14 items differ;
 * - by Monte Carlo with `resamples` sign patterns;
 * - from the continuity-corrected normal tail when fewer than 20 resamples reach the observed sum.
 * Below about 5e-324 the value reported is that bound.
 */
export function signFlipPValue(diffs: readonly number[], resamples: number, rng: Rng, alternative: Alternative = 'two-sided'): PValue {
  const nonzero = diffs.filter((d) => d !== 0);
  const m = nonzero.length;
  if (m === 0) return { pValue: 1, logPValue: 0, method: 'sign-flip-exact' };
  if (equalMagnitudes(nonzero)) {
    const positive = nonzero.filter((d) => d > 0).length;
    const logPValue = binomialSignLogPValue(positive, m, alternative);
    return { pValue: fromLogP(logPValue), logPValue, method: 'sign-flip-exact' };
  }
  const observed = nonzero.reduce((s, d) => s + d, 0);
  // Sums of the same terms in another order may differ in the last bits.
  const tolerance = 1e-12 * m;
  const extreme =
    alternative === 'greater'
      ? (s: number) => s >= observed - tolerance
      : alternative === 'less'
        ? (s: number) => s <= observed + tolerance
        : (s: number) => Math.abs(s) >= Math.abs(observed) - tolerance;
  if (m <= EXACT_LIMIT) {
    let hits = 0;
    const patterns = 1 << m;
    for (let mask = 0; mask < patterns; mask++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += mask & (1 << i) ? -nonzero[i]! : nonzero[i]!;
      if (extreme(s)) hits++;
    }
    return { pValue: hits / patterns, logPValue: Math.log(hits / patterns), method: 'sign-flip-exact' };
  }
  let hits = 0;
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += rng.nextUint32() & 1 ? -nonzero[i]! : nonzero[i]!;
    if (extreme(s)) hits++;
  }
  if (hits >= MIN_TAIL_HITS) {
    const p = (hits + 1) / (resamples + 1);
    return { pValue: p, logPValue: Math.log(p), method: 'sign-flip-monte-carlo' };
  }
  // Monte Carlo cannot resolve so small a p (with 2000 resamples it stops at 1/2001, which a Holm
  // family of 100 tests turns into 0.05). The sum of sign-flipped differences is a sum of many
  // independent terms with variance sum(d^2), so its tail is read from the normal instead.
  const { pValue, logPValue } = signFlipNormal(nonzero, alternative);
  return { pValue, logPValue, method: 'sign-flip-normal' };
}

/**
 * Normal approximation of the sign-flip test. When the differences are multiples of a step h the
 * sum moves in steps of 2h, so half a step (h) is taken off the distance to 0: without it the
 * tail is anti-conservative. Without a detectable step no correction is made.
 */
export function signFlipNormal(diffs: readonly number[], alternative: Alternative = 'two-sided'): { pValue: number; logPValue: number } {
  const nonzero = diffs.filter((d) => d !== 0);
  if (nonzero.length === 0) return { pValue: 1, logPValue: 0 };
  const sum = nonzero.reduce((s, d) => s + d, 0);
  const sd = Math.sqrt(nonzero.reduce((s, d) => s + d * d, 0));
  const h = latticeStep(nonzero) ?? 0;
  let logPValue: number;
  if (alternative === 'greater') logPValue = logNormalUpperTail((sum - h) / sd);
  else if (alternative === 'less') logPValue = logNormalUpperTail((-sum - h) / sd);
  else logPValue = Math.min(0, Math.LN2 + logNormalUpperTail((Math.abs(sum) - h) / sd));
  return { pValue: fromLogP(logPValue), logPValue };
}

/** Largest denominator tried when looking for the step of graded scores (repeats 1..24 and their mixes). */
const MAX_DENOMINATOR = 24;

/**
 * The largest h with every difference an integer multiple of h, for h = g / q with q <= 24
 * (graded scores are means over a few repeats); null when there is none.
 */
export function latticeStep(diffs: readonly number[]): number | null {
  const nonzero = diffs.filter((d) => d !== 0);
  if (nonzero.length === 0) return null;
  for (let q = 1; q <= MAX_DENOMINATOR; q++) {
    let g = 0;
    let onGrid = true;
    for (const d of nonzero) {
      const scaled = Math.abs(d) * q;
      const k = Math.round(scaled);
      if (k === 0 || Math.abs(scaled - k) > 1e-9 * Math.max(1, scaled)) {
        onGrid = false;
        break;
      }
      g = gcd(g, k);
    }
    if (onGrid) return g / q;
  }
  return null;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Every nonzero difference of the same size (binary scores, or one graded step), to float noise. */
function equalMagnitudes(nonzero: readonly number[]): boolean {
  const size = Math.abs(nonzero[0]!);
  return nonzero.every((d) => Math.abs(Math.abs(d) - size) <= 1e-9 * size);
}

/**
 * P(Z > z) for a standard normal (relative error < 1.2e-7). Never 0: below about 5e-324 the value
 * reported is that bound; logNormalUpperTail gives the log beyond it.
 */
export function normalUpperTail(z: number): number {
  return fromLogP(logNormalUpperTail(z));
}

/** From here on the asymptotic series is as accurate as the Chebyshev fit (first omitted term 945/z^10 < 1e-7). */
const ASYMPTOTIC_Z = 10;

/**
 * log P(Z > z): Numerical Recipes' Chebyshev fit of erfc taken in log space (so it does not
 * underflow) below z = 10, the asymptotic series of Mills' ratio above.
 */
export function logNormalUpperTail(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  if (z >= ASYMPTOTIC_Z) {
    const r = 1 / (z * z);
    return -0.5 * z * z - Math.log(z * Math.sqrt(2 * Math.PI)) + Math.log1p(r * (-1 + r * (3 + r * (-15 + r * 105))));
  }
  const logErfc = logErfcNonNegative(Math.abs(z) / Math.SQRT2);
  // erfc(-x) = 2 - erfc(x)
  return z >= 0 ? logErfc - Math.LN2 : Math.log1p(-Math.exp(logErfc) / 2);
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
