/**
 * How well a judge model agrees with people (`scoring.calibration`; docs/statistics.md, "The judge's
 * agreement with people"): over the calibration set's pairs (human grade, judge grade) on the same scale,
 *
 * - Cohen's kappa with quadratic weights: 1 - sum (h - j)^2 / (sum over all pairs a, b of (h_a - j_b)^2 / n),
 *   that is, the squared disagreements observed against those expected if the judge's grades were
 *   paired with the humans' at random (each side keeping its own distribution of grades). This is the
 *   textbook weighted kappa over the scale's categories, w_ij = (i - j)^2 / (K - 1)^2, written without
 *   the table (the same number: the test checks it against a table computed by hand); in moments it is
 *   2 cov(h, j) / (var h + var j + (mean h - mean j)^2), Lin's concordance correlation. 1: the same
 *   grades; 0: no better than chance; below 0: worse. A judge that orders replies like the people but
 *   grades them all a point higher loses kappa.
 * - Spearman's rank correlation: Pearson's correlation of the ranks (ties get their mean rank). It
 *   asks only whether the judge orders replies as the people do: a constant shift costs nothing.
 * - The mean difference, judge - human, in scale points: the judge's leniency (> 0) or harshness (< 0).
 *
 * Each with a 95% percentile bootstrap interval over the pairs (resampled with replacement, seeded by
 * the analysis seed: the same pairs give the same interval, bit for bit). Pure functions.
 */
import type { JudgeCalibrationRun } from '../records/run-info.js';
import type { AnalysisSettings, Interval, JudgeCalibrationSummary } from '../records/summary.js';
import { Rng } from '../util/rng.js';
import { quantile } from './bootstrap.js';

/** Quadratic-weighted Cohen's kappa of two equally long lists of grades; NaN without pairs or when neither side varies. */
export function quadraticWeightedKappa(human: ArrayLike<number>, judge: ArrayLike<number>): number {
  const n = human.length;
  if (n === 0 || judge.length !== n) return Number.NaN;
  let sumH = 0;
  let sumJ = 0;
  let sumHH = 0;
  let sumJJ = 0;
  let observed = 0;
  for (let i = 0; i < n; i++) {
    const h = human[i]!;
    const j = judge[i]!;
    sumH += h;
    sumJ += j;
    sumHH += h * h;
    sumJJ += j * j;
    observed += (h - j) * (h - j);
  }
  // sum over all (a, b) of (h_a - j_b)^2, divided by n: the disagreement expected by chance.
  const expected = sumHH + sumJJ - (2 * sumH * sumJ) / n;
  if (!(expected > 0)) return Number.NaN;
  return 1 - observed / expected;
}

/** The ranks of values (1 = smallest), ties sharing their mean rank. */
export function ranks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const out = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let end = i;
    while (end + 1 < n && values[order[end + 1]!] === values[order[i]!]) end++;
    const rank = (i + end) / 2 + 1;
    for (let t = i; t <= end; t++) out[order[t]!] = rank;
    i = end + 1;
  }
  return out;
}

/** Pearson's correlation; NaN when either side does not vary. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n < 2 || y.length !== n) return Number.NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (!(sxx > 0 && syy > 0)) return Number.NaN;
  return sxy / Math.sqrt(sxx * syy);
}

/** Spearman's rank correlation (Pearson's on mean ranks); NaN when either side does not vary. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return pearson(ranks(x), ranks(y));
}

/** Mean of judge - human; NaN without pairs. */
export function meanDifference(human: ArrayLike<number>, judge: ArrayLike<number>): number {
  const n = human.length;
  if (n === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += judge[i]! - human[i]!;
  return sum / n;
}

type PairStatistic = (human: Float64Array, judge: Float64Array) => number;

/**
 * A statistic of the pairs with its percentile bootstrap interval (`confidence`, e.g. 0.95), from
 * `resamples` draws of n pairs with replacement. Draws where the statistic is undefined (no spread in
 * the drawn pairs) are left out. Null when the statistic is undefined on the pairs themselves.
 */
export function bootstrapPairInterval(
  human: Float64Array,
  judge: Float64Array,
  statistic: PairStatistic,
  resamples: number,
  rng: Rng,
  confidence = 0.95,
): Interval | null {
  const n = human.length;
  const estimate = statistic(human, judge);
  if (!Number.isFinite(estimate)) return null;
  const draws: number[] = [];
  const h = new Float64Array(n);
  const j = new Float64Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) {
      const pick = Math.floor(rng.next() * n);
      h[i] = human[pick]!;
      j[i] = judge[pick]!;
    }
    const value = statistic(h, j);
    if (Number.isFinite(value)) draws.push(value);
  }
  const tail = (1 - confidence) / 2;
  const lower = quantile(draws, tail);
  const upper = quantile(draws, 1 - tail);
  return { estimate, lower: Number.isFinite(lower) ? lower : estimate, upper: Number.isFinite(upper) ? upper : estimate, n };
}

export const AGREEMENT_METHOD =
  "Judge calibration: quadratic-weighted Cohen's kappa, Spearman's rank correlation and the mean difference (judge - human, in scale points) " +
  'over the calibration records the judge graded, each with a 95% percentile bootstrap interval over the records (resampled with replacement, seeded by the analysis seed).';

/** summary.json's `judgeCalibration`: the agreement of run.json's calibration pairs. */
export function summarizeJudgeCalibration(
  run: JudgeCalibrationRun,
  settings: Pick<AnalysisSettings, 'resamples' | 'seed' | 'confidenceLevel'>,
): JudgeCalibrationSummary {
  const graded = run.records.filter((r) => r.judge !== null);
  const human = Float64Array.from(graded, (r) => r.human);
  const judge = Float64Array.from(graded, (r) => r.judge!);
  // One stream per statistic, so adding one never moves another's interval.
  const interval = (name: string, statistic: PairStatistic) =>
    bootstrapPairInterval(human, judge, statistic, settings.resamples, new Rng([settings.seed, 'judge-calibration', name]), settings.confidenceLevel);
  return {
    file: run.file,
    judge: run.judge,
    scale: run.scale,
    rubric: run.rubric.name,
    records: run.records.length,
    n: graded.length,
    ungraded: run.records.length - graded.length,
    kappa: interval('kappa', quadraticWeightedKappa),
    spearman: interval('spearman', spearman),
    meanDifference: interval('mean-difference', meanDifference),
    method: AGREEMENT_METHOD,
  };
}
