import { promptOf, ZERO_SHOT_SELECTOR } from '../records/trial.js';
import { cacheSavingsPerRequest, costPerRequest, resolvePrice, type Price, type PriceTable } from '../config/prices.js';
import { compareSelectors, compareStrings } from './summarize.js';
import type {
  Advice,
  CellSummary,
  CollapseSummary,
  CurveLabel,
  CurveSummary,
  Decision,
  FailureKey,
  FailureTrend,
  PromptComparison,
} from '../records/summary.js';
import type { CandidateCell, ProviderCandidates } from './candidates.js';

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
  /** Provider labels -> ids: a labelled curve is priced by its model id. */
  providerIds?: Readonly<Record<string, string>> | null;
  /** Practical margin (AnalysisSettings.delta). */
  delta: number;
  /** The price table; defaults to the packaged data/prices.json (tests pass their own). */
  priceTable?: PriceTable;
  /** Prompt variants compared cell by cell (analyzeRun's); absent or empty with one prompt. */
  promptComparisons?: readonly PromptComparison[];
}

/** Curve labels that say more shots will not buy a gain worth having. */
const SETTLED: ReadonlySet<CurveLabel> = new Set(['plateau', 'peak-regression', 'no-benefit']);

/** A cell as a reason cites it: where it is, and its accuracy with interval and n. */
export type CellFact = Pick<CandidateCell, 'selector' | 'k' | 'accuracy' | 'ciLow' | 'ciHigh' | 'nItems'>;

/** Where a curve's reason looks: its knee (plateau), its peak (peak-regression), or its end (improving). */
export interface CurveTurn {
  at: 'knee' | 'peak' | 'end';
  k: number;
}

/** A curve point with an interval, as a reason cites it. */
export interface CurvePointFact {
  k: number;
  accuracy: number;
  ciLow: number;
  ciHigh: number;
  nScoredItems: number;
}

/**
 * One reason behind a piece of advice, as data: its kind and the names and numbers it cites.
 * src/report/advice-text.ts writes each as one sentence of `Advice.reasons`; analysis holds no
 * wording. `curve` is the deciding curve's selector, null when none was summarized for the
 * provider (the text then names the best cell's selector). In the order they are listed:
 * - the headline, one of: no-answers (then only no-price may follow), extend-sweep, fine-tune,
 *   misses-target, zero-shot-enough, keep-few-shot, not-settled;
 * - recommended: the recommended cell against the best;
 * - the deciding curve: curve, then curve-reason or items-needed; or no-curve;
 * - target-met or target-in-interval, when a target is stated and within the best cell's reach;
 * - selection-collapse, when the provider's selection collapses;
 * - failure-trend: each flagged failure trend of the provider;
 * - prompt-size: the recommended cell's tokens per request against zero-shot's;
 * - no-price, when the provider has no price.
 */
export type AdviceFact =
  | { kind: 'no-answers'; provider: string }
  | { kind: 'extend-sweep'; curve: string | null; best: CellFact; largestK: number; nextK: number }
  | {
      kind: 'fine-tune';
      best: CellFact;
      target: number;
      curve: string | null;
      label: CurveLabel;
      /** Why more shots will not do: the curve is settled, or the few-shot gain does not survive a change of selector. */
      because: 'settled' | 'selection-collapse';
    }
  | { kind: 'misses-target'; best: CellFact; target: number; curve: string | null; label: CurveLabel }
  | { kind: 'zero-shot-enough'; delta: number }
  | { kind: 'keep-few-shot'; recommended: CellFact }
  | { kind: 'not-settled'; best: CellFact; curve: string | null; label: CurveLabel }
  | { kind: 'recommended'; recommended: CellFact; best: CellFact; isBest: boolean }
  | { kind: 'curve'; selector: string; label: CurveLabel; turn: CurveTurn | null; point: CurvePointFact | null }
  /** The curve's own reason (CurveSummary.reason), with the items that would decide it. */
  | { kind: 'curve-reason'; reason: string; itemsNeeded: number | null }
  | { kind: 'items-needed'; itemsNeeded: number }
  | { kind: 'no-curve'; provider: string }
  | { kind: 'target-met'; best: CellFact; target: number }
  | { kind: 'target-in-interval'; best: CellFact; target: number }
  | { kind: 'selection-collapse'; detail: string }
  | {
      kind: 'failure-trend';
      failure: FailureKey;
      selector: string;
      /** The rates at the smallest and the largest k, when there are two to cite. */
      span: { from: { k: number; rate: number }; to: { k: number; rate: number } } | null;
      estimate: number;
      ciLow: number;
      ciHigh: number;
    }
  | { kind: 'prompt-size'; recommended: CellFact; tokens: number; zeroShotTokens: number }
  /** With several prompt variants: the chosen one against each other variant's recommendation. */
  | { kind: 'prompt-choice'; prompt: string; others: PromptAlternative[] }
  | { kind: 'no-price'; provider: string };

/** Another prompt variant as the advice weighs it: its own recommended cell, and the paired test at the chosen cell. */
export interface PromptAlternative {
  prompt: string;
  decision: Decision;
  /** Its recommended cell; null when it has no answers. */
  recommended: CellFact | null;
  /** The chosen variant minus this one at the chosen cell (family `prompt-variants`); null when this variant did not run that cell. */
  atChosen: { estimate: number; ciLow: number; ciHigh: number; nItems: number; pAdjusted: number; significant: boolean } | null;
}

/** A piece of advice before its reasons are written: the decision, the cell, the costs, and the reasons as facts. */
export type AdviceDecision = Omit<Advice, 'reasons'> & { facts: AdviceFact[] };

/** Writes a decision's facts as its reasons, one sentence each (src/report/advice-text.ts's `adviceReasons`). */
export type AdviceReasonRenderer = (facts: readonly AdviceFact[]) => string[];

/**
 * One decision per provider in `candidates`, in that order: keep few-shot (at which selector and
 * k), fine-tune, extend the sweep, or inconclusive, with the cost and the reasons as facts (see
 * `AdviceFact`; `withReasons` turns a decision into the Advice of summary.json).
 * Pure and deterministic: the same input gives the same decisions.
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
export function decideAdvice(input: AdviseInput): AdviceDecision[] {
  const lanes = input.candidates.map((c) => decideProvider(c, input));
  // One decision per provider: with several prompt variants, the variant whose recommended cell is
  // most accurate (ties: fewer tokens per request, then the variant id), its reasons led by how it
  // compares with the others at that cell.
  const out: AdviceDecision[] = [];
  for (const decision of lanes) {
    if (out.some((d) => d.provider === decision.provider)) continue;
    const variants = lanes.filter((d) => d.provider === decision.provider);
    out.push(variants.length === 1 ? decision : choosePrompt(variants, input.promptComparisons ?? []));
  }
  return out;
}

function choosePrompt(variants: readonly AdviceDecision[], comparisons: readonly PromptComparison[]): AdviceDecision {
  const ranked = [...variants].sort(
    (a, b) =>
      (b.accuracy ?? -1) - (a.accuracy ?? -1) ||
      compareCost(a.tokensPerRequest.recommended, b.tokensPerRequest.recommended) ||
      compareStrings(promptOf(a), promptOf(b)),
  );
  const chosen = ranked[0]!;
  const prompt = promptOf(chosen);
  const others: PromptAlternative[] = ranked.slice(1).map((other) => {
    const o = promptOf(other);
    const test =
      chosen.selector === null
        ? undefined
        : comparisons.find(
            (c) =>
              c.provider === chosen.provider &&
              c.selector === chosen.selector &&
              c.k === chosen.k &&
              ((c.a === prompt && c.b === o) || (c.a === o && c.b === prompt)),
          );
    // Comparisons are b - a: turned around when the chosen variant is a.
    const sign = test && test.a === prompt ? -1 : 1;
    return {
      prompt: o,
      decision: other.decision,
      recommended:
        other.selector !== null && other.k !== null && other.accuracy !== null && other.ciLow !== null && other.ciHigh !== null
          ? { selector: other.selector, k: other.k, accuracy: other.accuracy, ciLow: other.ciLow, ciHigh: other.ciHigh, nItems: other.nItems }
          : null,
      atChosen: test
        ? {
            estimate: sign * test.estimate,
            ciLow: sign === 1 ? test.ciLow : -test.ciHigh,
            ciHigh: sign === 1 ? test.ciHigh : -test.ciLow,
            nItems: test.nItems,
            pAdjusted: test.pAdjusted,
            significant: test.significant,
          }
        : null,
    };
  });
  return { ...chosen, facts: [{ kind: 'prompt-choice', prompt, others }, ...chosen.facts] };
}

/** The Advice of summary.json: the decision with its facts written as reasons (last, as summary.json lists them). */
export function withReasons(decision: AdviceDecision, renderReasons: AdviceReasonRenderer): Advice {
  const { facts, ...advice } = decision;
  return { ...advice, reasons: renderReasons(facts) };
}

/** The cheapest cell tied with the best (the best included); null when nothing was answered. */
export function recommendedCell(candidates: ProviderCandidates): CandidateCell | null {
  const best = candidates.best;
  if (!best) return null;
  const pool = candidates.tied.some((c) => sameCell(c, best)) ? [...candidates.tied] : [best, ...candidates.tied];
  pool.sort((a, b) => compareCost(tokensPerRequest(a), tokensPerRequest(b)) || a.k - b.k || compareSelectors(a.selector, b.selector));
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
export function decidingCurve(curves: readonly CurveSummary[], provider: string, recommended: CandidateCell, best: CandidateCell): CurveSummary | null {
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

function decideProvider(c: ProviderCandidates, input: AdviseInput): AdviceDecision {
  const facts: AdviceFact[] = [];
  const price = resolvePrice(input.providerIds?.[c.provider] ?? c.provider, input.priceOverrides ?? undefined, input.priceTable);
  const rec = recommendedCell(c);
  const best = c.best;

  const tokens = { recommended: tokensPerRequest(rec), zeroShot: tokensPerRequest(c.zeroShot) };
  const cost1 = (t: number | null, cell: CandidateCell | null) =>
    price && t !== null && cell
      ? costPerRequest(price, cell.meanTokensIn ?? 0, cell.meanTokensOut ?? 0, cell.meanCachedTokens ?? 0, cell.meanCacheWriteTokens ?? 0)
      : null;
  const perRequest = { recommended: cost1(tokens.recommended, rec), zeroShot: cost1(tokens.zeroShot, c.zeroShot) };
  const costPer1k = price ? { recommended: times(perRequest.recommended, 1000), zeroShot: times(perRequest.zeroShot, 1000) } : null;
  // The same cells through the provider's batch API (issue 18): its own dated price, else half.
  const batch1 = (t: number | null, cell: CandidateCell | null) =>
    price && t !== null && cell ? costPerRequest(price.batch, cell.meanTokensIn ?? 0, cell.meanTokensOut ?? 0, cell.meanCachedTokens ?? 0) : null;
  const batchCostPer1k = price
    ? { recommended: times(batch1(tokens.recommended, rec), 1000), zeroShot: times(batch1(tokens.zeroShot, c.zeroShot), 1000), source: price.batchSource }
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
    prompt: promptOf(c),
    tokensPerRequest: tokens,
    costPer1k,
    batchCostPer1k,
    costPerMonth,
    priceSource: price ? price.source : null,
  };

  if (!best || !rec) {
    facts.push({ kind: 'no-answers', provider: c.provider });
    if (!price) facts.push({ kind: 'no-price', provider: c.provider });
    return {
      ...base,
      decision: 'inconclusive',
      selector: null,
      k: null,
      accuracy: null,
      ciLow: null,
      ciHigh: null,
      nItems: 0,
      facts,
    };
  }

  const lane = (x: { provider: string; prompt?: string }) => x.provider === c.provider && promptOf(x) === promptOf(c);
  const curve = decidingCurve(input.curves.filter(lane), c.provider, rec, best);
  const label: CurveLabel = curve ? curve.label : 'inconclusive';
  const collapse = input.collapse.find(lane) ?? null;
  const collapsed = collapse?.label === 'selection-collapse';
  const missesTarget = input.target !== null && best.ciHigh < input.target;
  const bestCell = cellFact(best);
  const curveSelector = curve ? curve.selector : null;

  let decision: Decision;
  if (label === 'improving') {
    decision = 'extend-sweep';
    const largest = curve ? Math.max(0, ...curve.points.map((p) => p.k)) : best.k;
    facts.push({ kind: 'extend-sweep', curve: curveSelector, best: bestCell, largestK: largest, nextK: curve ? nextK(curve) : largest * 2 || 1 });
  } else if (missesTarget && (SETTLED.has(label) || collapsed)) {
    decision = 'fine-tune';
    facts.push({
      kind: 'fine-tune',
      best: bestCell,
      target: input.target!,
      curve: curveSelector,
      label,
      because: SETTLED.has(label) ? 'settled' : 'selection-collapse',
    });
  } else if (missesTarget) {
    decision = 'inconclusive';
    facts.push({ kind: 'misses-target', best: bestCell, target: input.target!, curve: curveSelector, label });
  } else if (SETTLED.has(label)) {
    decision = 'keep-few-shot';
    facts.push(rec.k === 0 ? { kind: 'zero-shot-enough', delta: input.delta } : { kind: 'keep-few-shot', recommended: cellFact(rec) });
  } else {
    decision = 'inconclusive';
    facts.push({ kind: 'not-settled', best: bestCell, curve: curveSelector, label });
  }
  facts.push({ kind: 'recommended', recommended: cellFact(rec), best: bestCell, isBest: sameCell(rec, best) });
  if (curve) facts.push(...curveFacts(curve));
  else facts.push({ kind: 'no-curve', provider: c.provider });
  if (input.target !== null && !missesTarget) {
    facts.push({ kind: best.ciLow >= input.target ? 'target-met' : 'target-in-interval', best: bestCell, target: input.target });
  }
  if (collapse && collapsed) facts.push({ kind: 'selection-collapse', detail: collapse.detail });
  facts.push(...failureFacts(input.failureTrends.filter(lane), c.provider));
  if (rec.k > 0 && tokens.recommended !== null && tokens.zeroShot !== null && tokens.zeroShot > 0) {
    facts.push({ kind: 'prompt-size', recommended: cellFact(rec), tokens: tokens.recommended, zeroShotTokens: tokens.zeroShot });
  }
  if (!price) facts.push({ kind: 'no-price', provider: c.provider });

  return {
    ...base,
    decision,
    selector: rec.selector,
    k: rec.k,
    accuracy: rec.accuracy,
    ciLow: rec.ciLow,
    ciHigh: rec.ciHigh,
    nItems: rec.nItems,
    facts,
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
    (a, b) => Number(b.label === 'improving') - Number(a.label === 'improving') || bestFewShot(b) - bestFewShot(a) || compareStrings(a.selector, b.selector),
  );
  return ranked[0] ?? null;
}

function bestFewShot(curve: CurveSummary): number {
  let best = -1;
  for (const p of curve.points) if (p.k > 0 && p.accuracy !== null && p.accuracy > best) best = p.accuracy;
  return best;
}

/** What the deciding curve's reasons cite: its shape and the point it turns at, then its own reason or the items that would decide it. */
function curveFacts(curve: CurveSummary): AdviceFact[] {
  const largest = Math.max(0, ...curve.points.map((p) => p.k));
  let turn: CurveTurn | null = null;
  let atK: number | null = curve.bestK;
  if (curve.label === 'plateau' && curve.kneeK !== null) {
    turn = { at: 'knee', k: curve.kneeK };
    atK = curve.kneeK;
  } else if (curve.label === 'peak-regression' && curve.peakK !== null) {
    turn = { at: 'peak', k: curve.peakK };
    atK = curve.peakK;
  } else if (curve.label === 'improving') {
    turn = { at: 'end', k: largest };
    atK = largest;
  }
  const p = curve.points.find((p) => p.k === atK && p.accuracy !== null && p.ciLow !== null && p.ciHigh !== null);
  const point = p ? { k: p.k, accuracy: p.accuracy!, ciLow: p.ciLow!, ciHigh: p.ciHigh!, nScoredItems: p.nScoredItems } : null;
  const out: AdviceFact[] = [{ kind: 'curve', selector: curve.selector, label: curve.label, turn, point }];
  if (curve.label !== 'plateau' && curve.label !== 'peak-regression' && curve.reason.trim() !== '') {
    out.push({ kind: 'curve-reason', reason: curve.reason, itemsNeeded: curve.itemsNeeded });
  } else if (curve.itemsNeeded !== null && curve.label === 'inconclusive') {
    out.push({ kind: 'items-needed', itemsNeeded: curve.itemsNeeded });
  }
  return out;
}

/** The provider's flagged failure trends, by selector then kind. */
function failureFacts(trends: readonly FailureTrend[], provider: string): AdviceFact[] {
  return trends
    .filter((t) => t.provider === provider && t.flagged)
    .sort((a, b) => compareSelectors(a.selector, b.selector) || compareStrings(a.kind, b.kind))
    .map((t) => {
      const rates = [...t.rates].sort((a, b) => a.k - b.k);
      const first = rates[0];
      const last = rates[rates.length - 1];
      const span = first && last && first !== last ? { from: { k: first.k, rate: first.rate }, to: { k: last.k, rate: last.rate } } : null;
      return { kind: 'failure-trend', failure: t.kind, selector: t.selector, span, estimate: t.estimate, ciLow: t.ciLow, ciHigh: t.ciHigh };
    });
}

function cellFact(cell: CandidateCell): CellFact {
  return { selector: cell.selector, k: cell.k, accuracy: cell.accuracy, ciLow: cell.ciLow, ciHigh: cell.ciHigh, nItems: cell.nItems };
}

function times(x: number | null, factor: number): number | null {
  return x === null ? null : x * factor;
}

/**
 * Each cell with `cacheSavings`: the net effect of the provider's prompt cache per 1,000 requests
 * (its mean prompt at the plain input price minus as billed, reads and writes at their own rates;
 * config/prices.ts's cacheSavingsPerRequest). Cells whose calls neither read nor wrote the cache, or
 * whose model has no price, are returned as they are.
 */
export function withCacheSavings(
  cells: readonly CellSummary[],
  prices: { priceOverrides?: Readonly<Record<string, Price>> | null; providerIds?: Readonly<Record<string, string>> | null; priceTable?: PriceTable },
): CellSummary[] {
  return cells.map((cell) => {
    const read = cell.meanCachedTokens ?? 0;
    const written = cell.meanCacheWriteTokens ?? 0;
    if (cell.meanTokensIn === null || (read <= 0 && written <= 0)) return cell;
    const price = resolvePrice(prices.providerIds?.[cell.provider] ?? cell.provider, prices.priceOverrides ?? undefined, prices.priceTable);
    if (!price) return cell;
    return { ...cell, cacheSavings: 1000 * cacheSavingsPerRequest(price, cell.meanTokensIn, read, written) };
  });
}
