import { ZERO_SHOT_SELECTOR } from '../runner/trial.js';
import { FAILURE_NAMES, failureNature } from './outcome.js';
import { costPerRequest, resolvePrice, type Price, type PriceTable, type ResolvedPrice } from './prices.js';
import { compareSelectors, compareStrings } from './summarize.js';
import type {
  Advice,
  CandidateCell,
  CollapseSummary,
  CurveLabel,
  CurveSummary,
  Decision,
  FailureKey,
  FailureTrend,
  ProviderCandidates,
} from './verdict-types.js';

export interface AdviseInput {
  curves: readonly CurveSummary[];
  collapse: readonly CollapseSummary[];
  candidates: readonly ProviderCandidates[];
  failureTrends: readonly FailureTrend[];
  /** The experiment's target accuracy in [0, 1], when it states one. */
  target: number | null;
  requestsPerMonth: number | null;
  /** The experiment's `prices:` (provider id -> price per 1M tokens); wins over the price table. */
  priceOverrides?: Readonly<Record<string, Price>> | null;
  /** Practical margin (AnalysisSettings.delta). */
  delta: number;
  /** The price table; defaults to the packaged data/prices.json (tests pass their own). */
  priceTable?: PriceTable;
}

/** Curve labels that say more shots will not buy a gain worth having. */
const SETTLED: ReadonlySet<CurveLabel> = new Set(['plateau', 'peak-regression', 'no-benefit']);


/**
 * One piece of advice per provider in `candidates`, in that order: keep few-shot (at which
 * selector and k), fine-tune, extend the sweep, or inconclusive, with the reasons and the cost.
 * Pure and deterministic: the same input gives the same advice.
 *
 * The recommended cell is the cheapest (mean tokens in + out per request) of the cells
 * statistically tied with the best; ties by smaller k, then selector name. The decision, in order:
 *  1. the deciding curve is improving -> extend-sweep (try twice the largest k);
 *  2. a target is stated, the best cell's upper bound is below it, and the curve is settled
 *     (plateau, peak-regression, no-benefit) or the selection collapses -> fine-tune;
 *  3. a target is stated and the best cell's upper bound is below it -> inconclusive;
 *  4. the curve is settled -> keep-few-shot (at k = 0: zero-shot is enough);
 *  5. otherwise inconclusive, with the curve's reason and the items that would decide it.
 * The deciding curve is the recommended selector's; when zero-shot is recommended, the best
 * cell's selector's (see `decidingCurve`).
 */
export function advise(input: AdviseInput): Advice[] {
  return input.candidates.map((c) => adviseProvider(c, input));
}

/** The cheapest cell tied with the best (the best included); null when nothing was answered. */
export function recommendedCell(candidates: ProviderCandidates): CandidateCell | null {
  const best = candidates.best;
  if (!best) return null;
  const pool = candidates.tied.some((c) => sameCell(c, best)) ? [...candidates.tied] : [best, ...candidates.tied];
  pool.sort(
    (a, b) =>
      compareCost(tokensPerRequest(a), tokensPerRequest(b)) || a.k - b.k || compareSelectors(a.selector, b.selector),
  );
  return pool[0]!;
}

/** Mean tokens in + out of a cell's calls; null when the prompt size was not recorded. */
export function tokensPerRequest(cell: CandidateCell | null): number | null {
  if (!cell || cell.meanTokensIn === null) return null;
  return cell.meanTokensIn + (cell.meanTokensOut ?? 0);
}

/** The k to try next when a curve is still improving: twice the largest k swept (1 after a k = 0-only sweep). */
export function nextK(curve: Pick<CurveSummary, 'points'>): number {
  const largest = Math.max(0, ...curve.points.map((p) => p.k));
  return largest === 0 ? 1 : largest * 2;
}

/**
 * The curve that decides: the recommended selector's. When zero-shot is recommended, the best
 * cell's selector's; when the best is zero-shot too, the provider's `none` curve (a k = 0-only
 * sweep), else an improving curve before any other, then the one with the highest few-shot point.
 */
export function decidingCurve(
  curves: readonly CurveSummary[],
  provider: string,
  recommended: CandidateCell,
  best: CandidateCell,
): CurveSummary | null {
  return pickCurve(
    curves.filter((c) => c.provider === provider),
    recommended,
    best,
  );
}

function sameCell(a: CandidateCell, b: CandidateCell): boolean {
  return a.selector === b.selector && a.k === b.k;
}

/** Unknown cost sorts last: a cell cannot be called cheapest without its token counts. */
function compareCost(a: number | null, b: number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a - b;
}

function adviseProvider(c: ProviderCandidates, input: AdviseInput): Advice {
  const reasons: string[] = [];
  const price = resolvePrice(c.provider, input.priceOverrides ?? undefined, input.priceTable);
  const rec = recommendedCell(c);
  const best = c.best;

  const tokens = { recommended: tokensPerRequest(rec), zeroShot: tokensPerRequest(c.zeroShot) };
  const cost1 = (t: number | null, cell: CandidateCell | null) =>
    price && t !== null && cell ? costPerRequest(price, cell.meanTokensIn ?? 0, cell.meanTokensOut ?? 0, cell.meanCachedTokens ?? 0) : null;
  const perRequest = { recommended: cost1(tokens.recommended, rec), zeroShot: cost1(tokens.zeroShot, c.zeroShot) };
  const costPer1k = price
    ? { recommended: times(perRequest.recommended, 1000), zeroShot: times(perRequest.zeroShot, 1000) }
    : null;
  const costPerMonth =
    price && input.requestsPerMonth !== null
      ? {
          recommended: times(perRequest.recommended, input.requestsPerMonth),
          zeroShot: times(perRequest.zeroShot, input.requestsPerMonth),
          requestsPerMonth: input.requestsPerMonth,
        }
      : null;

  const base = {
    provider: c.provider,
    tokensPerRequest: tokens,
    costPer1k,
    costPerMonth,
    priceSource: price ? price.source : null,
  };

  if (!best || !rec) {
    reasons.push(`No answered trials for ${c.provider}: nothing to compare, so nothing is recommended.`);
    reasons.push(...priceReasons(c.provider, price));
    return {
      ...base,
      decision: 'inconclusive',
      selector: null,
      k: null,
      accuracy: null,
      ciLow: null,
      ciHigh: null,
      nItems: 0,
      reasons,
    };
  }

  const curve = decidingCurve(input.curves, c.provider, rec, best);
  const label: CurveLabel = curve ? curve.label : 'inconclusive';
  const collapse = input.collapse.find((x) => x.provider === c.provider) ?? null;
  const collapsed = collapse?.label === 'selection-collapse';
  const missesTarget = input.target !== null && best.ciHigh < input.target;
  const curveName = curve ? curve.selector : (best.selector === ZERO_SHOT_SELECTOR ? 'zero-shot' : best.selector);

  let decision: Decision;
  let headline: string;
  if (label === 'improving') {
    decision = 'extend-sweep';
    const largest = curve ? Math.max(0, ...curve.points.map((p) => p.k)) : best.k;
    headline =
      `${curveName} is still improving at k=${largest}: extend the sweep to k=${curve ? nextK(curve) : largest * 2 || 1} ` +
      'before deciding (more shots may still help).';
  } else if (missesTarget && (SETTLED.has(label) || collapsed)) {
    decision = 'fine-tune';
    const why = SETTLED.has(label)
      ? `more shots will not close the gap (${curveName}: ${label})`
      : 'the few-shot gain does not survive a change of selector (selection-collapse)';
    headline =
      `The best setting (${cellName(best)}, ${formatAccuracy(best)}) is below the target of ${pct(input.target!)} ` +
      `even at its upper bound, and ${why}: consider fine-tuning.`;
  } else if (missesTarget) {
    decision = 'inconclusive';
    headline =
      `The best setting (${cellName(best)}, ${formatAccuracy(best)}) misses the target of ${pct(input.target!)} ` +
      `even at its upper bound, but the ${curveName} curve is not settled (${label}): ` +
      'measure more items before choosing between more shots and fine-tuning.';
  } else if (SETTLED.has(label)) {
    decision = 'keep-few-shot';
    headline =
      rec.k === 0
        ? `Zero-shot is enough: it is statistically tied with the best setting, so shots buy nothing measurable ` +
          `(no gain of ${points(input.delta)} points or more shown).`
        : `Keep few-shot: ${cellName(rec)}.`;
  } else {
    decision = 'inconclusive';
    headline = `Not settled yet: the ${curveName} curve is ${label}.`;
  }
  reasons.push(headline);
  reasons.push(recommendationSentence(rec, best));
  if (curve) reasons.push(...curveSentences(curve));
  else reasons.push(`No curve was summarized for ${c.provider}, so the shape of accuracy vs k is unknown.`);
  if (input.target !== null && !missesTarget) reasons.push(targetSentence(best, input.target));
  if (collapse && collapsed) reasons.push(`selection-collapse: ${collapse.detail}`);
  reasons.push(...failureSentences(input.failureTrends, c.provider));
  if (rec.k > 0 && tokens.recommended !== null && tokens.zeroShot !== null && tokens.zeroShot > 0) {
    reasons.push(
      `${cellName(rec)} sends about ${Math.round(tokens.recommended)} tokens per request ` +
        `vs ${Math.round(tokens.zeroShot)} zero-shot (${(tokens.recommended / tokens.zeroShot).toFixed(1)}x).`,
    );
  }
  reasons.push(...priceReasons(c.provider, price));

  return {
    ...base,
    decision,
    selector: rec.selector,
    k: rec.k,
    accuracy: rec.accuracy,
    ciLow: rec.ciLow,
    ciHigh: rec.ciHigh,
    nItems: rec.nItems,
    reasons,
  };
}

function pickCurve(curves: readonly CurveSummary[], rec: CandidateCell, best: CandidateCell): CurveSummary | null {
  const isZero = (cell: CandidateCell) => cell.k === 0 || cell.selector === ZERO_SHOT_SELECTOR;
  const selector = isZero(rec) ? best.selector : rec.selector;
  if (!(isZero(rec) && isZero(best))) {
    const own = curves.find((c) => c.selector === selector);
    if (own) return own;
  }
  const none = curves.find((c) => c.selector === ZERO_SHOT_SELECTOR);
  if (none) return none;
  const ranked = [...curves].sort(
    (a, b) =>
      Number(b.label === 'improving') - Number(a.label === 'improving') ||
      bestFewShot(b) - bestFewShot(a) ||
      compareStrings(a.selector, b.selector),
  );
  return ranked[0] ?? null;
}

function bestFewShot(curve: CurveSummary): number {
  let best = -1;
  for (const p of curve.points) if (p.k > 0 && p.accuracy !== null && p.accuracy > best) best = p.accuracy;
  return best;
}

function recommendationSentence(rec: CandidateCell, best: CandidateCell): string {
  const bestShort = `${cellName(best)}, ${pct(best.accuracy)}`;
  if (sameCell(rec, best)) {
    return `${capitalize(cellName(rec))} is the best setting, ${formatAccuracy(rec)}, and no cheaper setting is statistically tied with it.`;
  }
  return (
    `${capitalize(cellName(rec))} is the cheapest setting statistically tied with the best (${bestShort}): ` +
    `${formatAccuracy(rec)}.`
  );
}

function curveSentences(curve: CurveSummary): string[] {
  const largest = Math.max(0, ...curve.points.map((p) => p.k));
  let where = '';
  let atK: number | null = curve.bestK;
  if (curve.label === 'plateau' && curve.kneeK !== null) {
    where = ` from k=${curve.kneeK}`;
    atK = curve.kneeK;
  } else if (curve.label === 'peak-regression' && curve.peakK !== null) {
    where = ` (peak at k=${curve.peakK}, significantly lower after)`;
    atK = curve.peakK;
  } else if (curve.label === 'improving') {
    where = ` up to k=${largest}`;
    atK = largest;
  }
  const point = curve.points.find((p) => p.k === atK && p.accuracy !== null && p.ciLow !== null && p.ciHigh !== null);
  let first = `${curve.selector}: ${curve.label}${where}`;
  if (point) {
    first += `; accuracy at k=${point.k} is ${pct(point.accuracy!)} [${num(point.ciLow!)}, ${num(point.ciHigh!)}] (n=${point.nScoredItems} items)`;
  }
  const out = [`${first}.`];
  if (curve.label !== 'plateau' && curve.label !== 'peak-regression' && curve.reason.trim() !== '') {
    let reason = capitalize(sentence(curve.reason));
    if (curve.itemsNeeded !== null && !reason.includes(String(curve.itemsNeeded))) {
      reason += ` About ${curve.itemsNeeded} items would decide it.`;
    }
    out.push(reason);
  } else if (curve.itemsNeeded !== null && curve.label === 'inconclusive') {
    out.push(`About ${curve.itemsNeeded} items would decide it.`);
  }
  return out;
}

function targetSentence(best: CandidateCell, target: number): string {
  if (best.ciLow >= target) {
    return `The best setting (${cellName(best)}) meets the target of ${pct(target)}: its interval [${num(best.ciLow)}, ${num(best.ciHigh)}] lies above it.`;
  }
  return (
    `The target of ${pct(target)} lies inside the best setting's interval [${num(best.ciLow)}, ${num(best.ciHigh)}] ` +
    `(${cellName(best)}, n=${best.nItems} items): it may or may not be met.`
  );
}

function failureSentences(trends: readonly FailureTrend[], provider: string): string[] {
  return trends
    .filter((t) => t.provider === provider && t.flagged)
    .sort((a, b) => compareSelectors(a.selector, b.selector) || compareStrings(a.kind, b.kind))
    .map((t) => {
      const rates = [...t.rates].sort((a, b) => a.k - b.k);
      const first = rates[0];
      const last = rates[rates.length - 1];
      const span =
        first && last && first !== last
          ? ` from ${pct(first.rate)} at k=${first.k} to ${pct(last.rate)} at k=${last.k}`
          : '';
      return (
        `Failure rate of ${FAILURE_NAMES[t.kind]} rises with k for ${t.selector}${span ? `:${span}` : ''}, ` +
        `${signedPoints(t.estimate)} points [${num(t.ciLow)}, ${num(t.ciHigh)}] (${failureNature(t.kind)}).`
      );
    });
}

function priceReasons(provider: string, price: ResolvedPrice | null): string[] {
  if (!price) return [`No price for ${provider}: add it under prices: in the experiment to see costs.`];
  return [];
}

function cellName(cell: CandidateCell): string {
  if (cell.k === 0 || cell.selector === ZERO_SHOT_SELECTOR) return 'zero-shot (k=0)';
  return `k=${cell.k} with ${cell.selector}`;
}

/** "72.0% [65.1, 78.3] (n=60 items)". */
function formatAccuracy(cell: Pick<CandidateCell, 'accuracy' | 'ciLow' | 'ciHigh' | 'nItems'>): string {
  return `${pct(cell.accuracy)} [${num(cell.ciLow)}, ${num(cell.ciHigh)}] (n=${cell.nItems} items)`;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** A proportion as percentage points without the sign, for interval bounds: 0.651 -> "65.1". */
function num(x: number): string {
  return (x * 100).toFixed(1);
}

function points(x: number): string {
  return (x * 100).toFixed(1);
}

function signedPoints(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`;
}

function times(x: number | null, factor: number): number | null {
  return x === null ? null : x * factor;
}

/** Sentence case, except a leading "k=" which reads as a symbol. */
function capitalize(s: string): string {
  return s.length > 0 && !s.startsWith('k=') ? s[0]!.toUpperCase() + s.slice(1) : s;
}

function sentence(s: string): string {
  const t = s.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}
