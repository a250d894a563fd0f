import { points, signedPoints } from '../util/format-numbers.js';
import { argmax, columnMean } from './bootstrap.js';
import { CurveChecks, type CurveData } from './curve-tests.js';
import { LABEL_ALPHA_SHARES, referenceIndex } from './label-family.js';
import { adjustedWald } from './paired.js';
import { normalQuantile, Z95 } from './stats.js';
import type { AnalysisSettings, CurveLabel, LabelCheck } from '../records/summary.js';

export interface LabelResult {
  label: CurveLabel;
  kneeK: number | null;
  peakK: number | null;
  /** The k a peak-regression falls to (shown more than delta below the peak). */
  troughK: number | null;
  /** The range the label speaks for: "k <= 16". */
  scope: string;
  reason: string;
  itemsNeeded: number | null;
  /** Every check made, in order: the label's evidence. */
  checks: LabelCheck[];
}

/** z for 80% power, for the rough sample-size estimate of an inconclusive curve. */
const Z_POWER80 = 0.841621;
/** Item-difference spread assumed when the data cannot say (fewer than two pairs, or none differ). */
const MIN_SD = 0.1;
/** Beyond this many items, more items are not a practical way to decide (the difference sits at delta). */
const MAX_ITEMS = 1_000_000;

/**
 * Labels one curve: each label is a claim about the true curve over the swept k, reported only when
 * its checks hold at its share of alpha (see label-family.ts), so the label as a whole is wrong with
 * probability at most alpha. In order:
 * 1. peak-regression: a k beats zero-shot, and a larger k is at least delta below it (bound);
 * 2. the flat sequence from the reference k down to 0: "no larger k gains delta or more over k_j"
 *    (upper bounds). Shown down to k = 0: no-benefit. Shown down to a knee > 0 that beats zero-shot:
 *    plateau at that knee;
 * 3. improving: the largest k beats the reference k by more than delta (lower bound);
 * 4. otherwise inconclusive, with what would decide it.
 * Whether a difference reaches delta is always judged on a one-sided bound, never on the estimate.
 */
export function labelCurve(curve: CurveData, settings: AnalysisSettings): LabelResult {
  const c = new CurveChecks(curve, settings);
  const { alpha, delta } = settings;
  const cells = curve.cells;
  const m = cells.length - 1;
  const k = (j: number) => c.k(j);
  const scope = m >= 0 ? `k <= ${k(m)}` : 'no k';
  const result = (label: CurveLabel, reason: string, extra: Partial<LabelResult> = {}): LabelResult => ({
    label,
    kneeK: null,
    peakK: null,
    troughK: null,
    scope,
    reason,
    itemsNeeded: null,
    checks: c.made,
    ...extra,
  });
  if (m < 1) return result('inconclusive', 'only one k was swept: a curve needs two or more.');

  const first = curve.hasZero ? 1 : 0;
  const ks = cells.map((cell) => cell.ref.k);
  const r = referenceIndex(ks);
  const means = cells.map((cell) => columnMean(cell.accuracy));
  const d = fmtDelta(delta);

  // 1. Peak-regression: the largest observed k > 0 and the lowest point after it.
  const peak = argmax(means, first);
  const trough = peak >= 0 && peak < m ? argminAfter(means, peak) : -1;
  if (trough > peak && means[trough]! < means[peak]!) {
    const shots = m - first + 1;
    const level = (alpha * LABEL_ALPHA_SHARES.drop) / ((shots * (shots - 1)) / 2);
    const dropped = c.bound('drop', peak, trough, 'upper', -delta, level, `k=${k(trough)} is more than ${d} points below k=${k(peak)}`);
    const gained = dropped && (!curve.hasZero || c.better('drop', 0, peak, level, `k=${k(peak)} beats zero-shot`));
    if (dropped && gained) {
      const gain = curve.hasZero ? `${describe(c, 0, peak)} over zero-shot, ` : '';
      return result(
        'peak-regression',
        `within ${scope}: peaks at k=${k(peak)} (${gain}then k=${k(trough)} falls ${describe(c, peak, trough)} below it: shown more than ${d} points at the label's level).`,
        { peakK: k(peak), troughK: k(trough) },
      );
    }
  }

  // 2. No-benefit: no k gains delta or more over zero-shot (every upper bound below delta).
  let knee = -1;
  if (curve.hasZero) {
    const noneLevel = alpha * LABEL_ALPHA_SHARES.none;
    let none = true;
    for (let l = 1; l <= m && none; l++) none = c.bound('none', 0, l, 'upper', delta, noneLevel, `k=${k(l)} gains less than ${d} points over zero-shot`);
    if (none) return result('no-benefit', `within ${scope}: no k gains ${d} points or more over zero-shot (${largestGain(c, m)}).`);

    // 3. The flat sequence: from the reference k down to k=1, "no larger k gains delta or more".
    const level = alpha * LABEL_ALPHA_SHARES.flat;
    for (let j = r; j >= 1; j--) {
      let flat = true;
      for (let l = j + 1; l <= m && flat; l++) flat = c.bound('flat', j, l, 'upper', delta, level, `k=${k(l)} gains less than ${d} points over k=${k(j)}`);
      if (!flat) break;
      knee = j;
    }
    if (knee > 0) {
      const level2 = (alpha * LABEL_ALPHA_SHARES.gain) / Math.max(1, r);
      if (c.better('gain', 0, knee, level2, `k=${k(knee)} beats zero-shot`)) {
        // The knee's gain is shown above 0; say so when its 95% interval also stays below delta.
        const small = upper95(c, 0, knee) < delta ? ` (shots help, by less than ${d} points)` : '';
        return result(
          'plateau',
          `within ${scope}: k=${k(knee)} beats zero-shot by ${describe(c, 0, knee)}${small}, and no larger k gains ${d} points or more over it (${largestGainFrom(c, knee, m)}).`,
          { kneeK: k(knee) },
        );
      }
    }
  }

  // 3. Improving: the largest k beats the reference k by more than delta.
  const rising = c.bound('rise', r, m, 'lower', delta, alpha * LABEL_ALPHA_SHARES.rise, `k=${k(m)} gains more than ${d} points over k=${k(r)}`);
  if (rising) {
    return result('improving', `still rising within ${scope}: k=${k(m)} beats k=${k(r)} by ${describe(c, r, m)}, shown more than ${d} points; try larger k.`);
  }

  const why = !curve.hasZero
    ? 'the sweep has no k=0, so there is no zero-shot baseline for a plateau or no-benefit'
    : knee > 0
      ? `no larger k than k=${k(knee)} gains ${d} points or more over it, but k=${k(knee)} is not shown to beat zero-shot (${describe(c, 0, knee)})`
      : undecided(c, r, m, d);
  return inconclusiveWith(c, curve, settings, r, m, why, result);
}

/** What the data say short of a label. */
function undecided(c: CurveChecks, r: number, m: number, d: string): string {
  return `neither flat from k=${c.k(r)} on (within ${d} points) nor rising past it by more than ${d} points is shown: k=${c.k(m)} vs k=${c.k(r)} is ${describe(c, r, m)}`;
}

/**
 * Adds the rough number of items that would decide the curve: for each claim the data lean towards
 * (flat from the reference k, no-benefit, improving), the items at which its check would pass with
 * 80% power if the observed differences and spreads held (the adjusted-Wald width, pseudo-pairs
 * included, so tiny samples are not promised too much); the smallest. Where every claim's
 * difference lies on the wrong side of delta: if the intervals are still wide, the items that
 * would narrow them to half of delta; if they are already narrow, more items cannot decide (the
 * curve sits at the margin) and the reason says so instead of naming a number. A figure at or below
 * the items already used is never given.
 */
function inconclusiveWith(
  c: CurveChecks,
  curve: CurveData,
  settings: AnalysisSettings,
  r: number,
  m: number,
  why: string,
  result: (label: CurveLabel, reason: string, extra?: Partial<LabelResult>) => LabelResult,
): LabelResult {
  const { alpha, delta } = settings;
  const n = Math.max(0, ...c.made.map((x) => x.nItems));
  const flatLevel = alpha * LABEL_ALPHA_SHARES.flat;
  const pairs: [number, number][] = [];
  const candidates: number[] = [];
  const need = (j: number, l: number, towards: 'below' | 'above', level: number) => {
    pairs.push([j, l]);
    const e = c.estimate(j, l);
    if (!Number.isFinite(e)) return Number.NaN;
    return itemsFor(towards === 'below' ? delta - e : e - delta, spreadOf(c, j, l), normalQuantile(1 - level) + Z_POWER80);
  };
  if (curve.hasZero) {
    candidates.push(Math.max(...range(r + 1, m).map((l) => need(r, l, 'below', flatLevel))));
    candidates.push(Math.max(...range(1, m).map((l) => need(0, l, 'below', flatLevel))));
  }
  candidates.push(need(r, m, 'above', alpha * LABEL_ALPHA_SHARES.rise));
  const usable = candidates.filter((x) => Number.isFinite(x) && x > n);
  const best = usable.length > 0 ? Math.min(...usable) : null;
  if (best !== null && best <= MAX_ITEMS) {
    return result('inconclusive', `${why}; roughly ${best} items would decide it (now ${n}).`, { itemsNeeded: best });
  }
  if (candidates.some((x) => Number.isNaN(x))) {
    return result('inconclusive', `${why}; some cells share no item the model answered in both, so they cannot be compared.`);
  }
  // Every claim's difference is on the wrong side of delta (or needs over a million items).
  const widest = Math.max(...pairs.map(([j, l]) => halfWidth(c, j, l)));
  if (widest > delta / 2) {
    const sd = Math.max(...pairs.map(([j, l]) => spreadOf(c, j, l)));
    const narrow = itemsFor(delta / 2, sd, Z95);
    if (narrow > n && narrow <= MAX_ITEMS) {
      return result(
        'inconclusive',
        `${why}; the intervals are too wide to tell: roughly ${narrow} items would narrow them to +-${fmtDelta(delta / 2)} points (now ${n}).`,
        {
          itemsNeeded: narrow,
        },
      );
    }
  }
  return result(
    'inconclusive',
    `${why}; more items would not decide it: the differences sit at the ${fmtDelta(delta)}-point margin, so no number of items shows them on either side.`,
  );
}

/**
 * Smallest n at which a one-sided bound `z` adjusted-Wald widths away from a true difference
 * `margin` beyond the threshold clears it: margin >= z * sqrt(1 + n sd^2) / (n + 2), the pseudo-pairs
 * contributing the 1. +Infinity when the margin is not positive.
 */
function itemsFor(margin: number, sd: number, z: number): number {
  if (!(margin > 0)) return Number.POSITIVE_INFINITY;
  const passes = (n: number) => margin >= (z * Math.sqrt(1 + n * sd * sd)) / (n + 2);
  let hi = 1;
  while (!passes(hi)) {
    hi *= 2;
    if (hi > 4 * MAX_ITEMS) return Number.POSITIVE_INFINITY;
  }
  let lo = Math.floor(hi / 2);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (passes(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

function spreadOf(c: CurveChecks, j: number, l: number): number {
  const sd = c.spread(j, l);
  return Number.isFinite(sd) ? Math.max(MIN_SD, sd) : 0.5;
}

/** Half-width of the 95% interval of l - j (1 without pairs). */
function halfWidth(c: CurveChecks, j: number, l: number): number {
  const d = c.diffs(j, l);
  if (d.length === 0) return 1;
  const { low, high } = adjustedWald(d);
  return (high - low) / 2;
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

/** "+12.3 points [95% CI 8.1, 16.0], n=400". */
function describe(c: CurveChecks, j: number, l: number): string {
  const d = c.diffs(j, l);
  if (d.length === 0) return 'no paired items';
  const { low, high } = adjustedWald(d);
  return `${signedPoints(c.estimate(j, l))} points [95% CI ${signedPoints(low)}, ${signedPoints(high)}], n=${d.length}`;
}

function upper95(c: CurveChecks, j: number, l: number): number {
  const d = c.diffs(j, l);
  return d.length > 0 ? adjustedWald(d).high : Number.NaN;
}

function lower95(c: CurveChecks, j: number, l: number): number {
  const d = c.diffs(j, l);
  return d.length > 0 ? adjustedWald(d).low : Number.NaN;
}

/** The largest gain over zero-shot, with its interval. */
function largestGain(c: CurveChecks, m: number): string {
  let best = 1;
  for (let l = 2; l <= m; l++) if (c.estimate(0, l) > c.estimate(0, best)) best = l;
  const help = lower95(c, 0, best) > 0 ? `shots help, by less than ${fmtDelta(c.delta)} points: ` : '';
  return `${help}largest gain ${describe(c, 0, best)} at k=${c.k(best)}`;
}

/** The largest gain past the knee, with its interval. */
function largestGainFrom(c: CurveChecks, knee: number, m: number): string {
  let best = knee + 1;
  for (let l = knee + 2; l <= m; l++) if (c.estimate(knee, l) > c.estimate(knee, best)) best = l;
  return `largest: k=${c.k(best)} at ${describe(c, knee, best)}`;
}

function fmtDelta(delta: number): string {
  return points(Math.abs(delta));
}

function argminAfter(values: readonly number[], after: number): number {
  let best = -1;
  for (let i = after + 1; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v) && (best < 0 || v < values[best]!)) best = i;
  }
  return best;
}
