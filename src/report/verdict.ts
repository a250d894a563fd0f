// Plain-text pieces of the verdict, shared by report.html and summary.md (renderers escape them).
import { VARIANT_SEPARATOR } from './variants.js';
import { FAILURE_NAMES } from '../analysis/outcome.js';
import { loadPriceTable } from '../analysis/index.js';
import type { Advice, CollapseSummary, CurveLabel, CurveSummary, Decision, FailureTrend, FineTuneAdvice } from '../records/summary.js';
import { formatCount, formatEstimate, formatMoney, pct } from './format.js';
import { accuracyStatement, fewShotLineName, formatRequests } from './charts/finetune.js';
import { points } from '../util/format-numbers.js';

export const DECISION_TITLES: Record<Decision, string> = {
  'keep-few-shot': 'Keep few-shot',
  'fine-tune': 'Fine-tune',
  'extend-sweep': 'Extend the sweep',
  inconclusive: 'Inconclusive',
};

/** The badge text: "Keep zero-shot" when the kept setting has no shots. */
export function decisionTitle(a: Advice): string {
  if (a.decision === 'keep-few-shot' && a.k === 0) return 'Keep zero-shot';
  return DECISION_TITLES[a.decision];
}

export const LABEL_MEANINGS: Record<CurveLabel, string> = {
  improving:
    'within the swept range, the largest k is shown to beat the k two doublings below it by more than delta: the sweep stopped before the curve levelled off.',
  plateau: 'within the swept range, the knee k beats zero-shot and no larger k is shown to gain delta or more over it.',
  'peak-regression': 'within the swept range, a k beats zero-shot and a larger k is shown more than delta below it.',
  'no-benefit': 'within the swept range, no k is shown to gain delta or more over zero-shot (a smaller gain may be real: the reason says so).',
  inconclusive: 'no claim is shown; "items needed" is roughly how many items would decide it (absent when more items cannot).',
};

export const COLLAPSE_MEANINGS: Record<CollapseSummary['label'], string> = {
  'selection-collapse': 'the few-shot gain seen with one selector vanishes with another: it comes from which examples were picked, not from having examples.',
  stable: 'the gain (or its absence) holds across selectors.',
  inconclusive: 'too little data to tell whether the gain depends on the selector.',
};

export { FAILURE_NAMES };

/** "k=4 with random", "zero-shot (k=0)", or "nothing recommended". */
export function recommendationText(a: Advice): string {
  if (a.k === null || a.selector === null) return 'nothing recommended';
  // In a run with prompt variants (variants.ts names selectors `<prompt> · <selector>`), zero-shot names its prompt.
  if (a.k === 0) return a.selector.includes(VARIANT_SEPARATOR) && a.prompt !== undefined ? `zero-shot (k=0) with prompt ${a.prompt}` : 'zero-shot (k=0)';
  return `k=${a.k} with ${a.selector}`;
}

/** "72.0% [65.1, 78.3] n=60 items", or "n/a". */
export function adviceAccuracy(a: Advice): string {
  const text = formatEstimate(a.accuracy, a.ciLow, a.ciHigh, a.nItems);
  return text === 'n/a' ? text : `${text} items`;
}

/** A row of the cost comparison: recommended vs zero-shot. */
export interface CostRow {
  what: string;
  recommended: string;
  zeroShot: string;
}

/** Tokens per request, cost per 1k requests and (with requestsPerMonth) per month. */
export function costRows(a: Advice, currency: string): CostRow[] {
  const tokens = (x: number | null) => (x === null ? 'n/a' : formatCount(x));
  const rows: CostRow[] = [{ what: 'tokens per request', recommended: tokens(a.tokensPerRequest.recommended), zeroShot: tokens(a.tokensPerRequest.zeroShot) }];
  if (a.costPer1k) {
    rows.push({
      what: 'cost per 1k requests',
      recommended: formatMoney(a.costPer1k.recommended, currency),
      zeroShot: formatMoney(a.costPer1k.zeroShot, currency),
    });
  } else {
    rows.push({ what: 'cost per 1k requests', recommended: 'no price', zeroShot: 'no price' });
  }
  if (a.batchCostPer1k) {
    rows.push({
      what: 'cost per 1k by batch API',
      recommended: formatMoney(a.batchCostPer1k.recommended, currency),
      zeroShot: formatMoney(a.batchCostPer1k.zeroShot, currency),
    });
  }
  if (a.costPerMonth) {
    rows.push({
      what: `cost per month (${formatCount(a.costPerMonth.requestsPerMonth)} requests)`,
      recommended: formatMoney(a.costPerMonth.recommended, currency),
      zeroShot: formatMoney(a.costPerMonth.zeroShot, currency),
    });
  }
  return rows;
}

/** A row of the fine-tune comparison (issue 19): what, and its value in words. */
export interface FineTuneRow {
  what: string;
  value: string;
}

/** "12,345 requests/month over 6 months", "never: <reason>", "unknown: <reason>". */
export function breakEvenText(ft: FineTuneAdvice): string {
  if (ft.breakEven.kind === 'volume') return `${formatRequests(ft.breakEven.requestsPerMonth)} requests/month over ${months(ft.horizonMonths)}`;
  return `${ft.breakEven.kind}: ${ft.breakEven.reason}`;
}

/** With a stated volume: ["at 20,000 requests/month", "fine-tune cheaper (fine-tuned $2.75 vs few-shot $6.00 per month)"]. */
export function atVolumeRow(ft: FineTuneAdvice): FineTuneRow | null {
  const at = ft.atVolume;
  if (!at) return null;
  const money = (x: number) => formatMoney(x, ft.currency);
  return {
    what: `at ${formatCount(at.requestsPerMonth)} requests/month`,
    value: `${at.cheaper} cheaper (fine-tuned ${money(at.tunedPerMonth)} vs few-shot ${money(at.fewShotPerMonth)} per month)`,
  };
}

/** "assumed: <text>" or "measured: <text>" (the text alone when it says which already). */
export function tunedAccuracyText(ft: FineTuneAdvice): string {
  return accuracyStatement(ft);
}

function months(n: number): string {
  return `${n} month${n === 1 ? '' : 's'}`;
}

function hostingText(ft: FineTuneAdvice): string {
  return ft.hostingPerMonth === null ? 'a fee the price does not state' : formatMoney(ft.hostingPerMonth, ft.currency);
}

/** "1,500,000 (500,000 per epoch × 3 epochs)". */
function trainingTokensText(ft: FineTuneAdvice): string {
  return `${formatCount(ft.trainingTokens)} (${formatCount(ft.trainingTokensPerEpoch)} per epoch × ${ft.epochs} epoch${ft.epochs === 1 ? '' : 's'})`;
}

/** The verdict card's fine-tune rows: training, tuned vs few-shot per 1k requests, break-even, the stated volume, accuracy. */
export function fineTuneCardRows(a: Advice): FineTuneRow[] {
  const ft = a.fineTune;
  if (!ft) return [];
  const money = (x: number | null) => formatMoney(x, ft.currency);
  const rows: FineTuneRow[] = [
    {
      what: 'fine-tune: training',
      value: `${money(ft.trainingCost)} for ${formatCount(ft.trainingTokens)} tokens (${ft.epochs} epoch${ft.epochs === 1 ? '' : 's'})`,
    },
    { what: 'fine-tuned per 1k requests (k=0)', value: `${money(ft.costPer1k.tuned)} (${fewShotLineName(ft)}: ${money(ft.costPer1k.fewShot)})` },
  ];
  if (ft.hostingPerMonth !== 0) rows.push({ what: 'fine-tuned hosting per month', value: hostingText(ft) });
  rows.push({ what: 'break-even', value: breakEvenText(ft) });
  const at = atVolumeRow(ft);
  if (at) rows.push(at);
  rows.push({ what: 'tuned accuracy', value: tunedAccuracyText(ft) });
  return rows;
}

/**
 * The "Keep few-shot or fine-tune?" table of one provider: the pool as training examples, training
 * tokens and cost, hosting, cost per 1k requests (zero-shot, few-shot, tuned), break-even, the stated
 * volume, the prices' source and how the tuned accuracy is known. Empty without a fine-tune block.
 */
export function fineTuneTableRows(a: Advice): FineTuneRow[] {
  const ft = a.fineTune;
  if (!ft) return [];
  const money = (x: number | null) => formatMoney(x, ft.currency);
  const bounds = [
    ...(ft.minExamples !== null ? [`minimum ${formatCount(ft.minExamples)}`] : []),
    ...(ft.recommendedExamples !== null ? [`recommended ${formatCount(ft.recommendedExamples)}`] : []),
  ];
  const below = ft.minExamples !== null && ft.examples < ft.minExamples ? ': below the minimum' : '';
  const rows: FineTuneRow[] = [
    { what: 'training examples (the pool)', value: `${formatCount(ft.examples)}${bounds.length > 0 ? ` (${bounds.join(', ')}${below})` : ''}` },
    { what: 'training tokens', value: trainingTokensText(ft) },
    {
      what: 'training cost',
      value: `${money(ft.trainingCost)} once (${money(ft.trainingCost / ft.horizonMonths)} a month over ${months(ft.horizonMonths)})`,
    },
    { what: 'hosting per month', value: hostingText(ft) },
    { what: 'per 1k requests: zero-shot (base model)', value: ft.costPer1k.zeroShot === null ? 'no price' : money(ft.costPer1k.zeroShot) },
    { what: `per 1k requests: ${fewShotLineName(ft)} (recommended)`, value: money(ft.costPer1k.fewShot) },
    { what: 'per 1k requests: fine-tuned at k=0', value: money(ft.costPer1k.tuned) },
    { what: 'break-even', value: breakEvenText(ft) },
  ];
  const at = atVolumeRow(ft);
  if (at) rows.push(at);
  rows.push({ what: 'fine-tuning prices', value: ft.note ? `${ft.source}; ${ft.note}` : ft.source });
  rows.push({ what: 'tuned accuracy', value: tunedAccuracyText(ft) });
  return rows;
}

/** The price table's currency; USD when the table cannot be read (the advice then has no costs anyway). */
export function priceCurrency(): string {
  try {
    return loadPriceTable().currency;
  } catch {
    return 'USD';
  }
}

/** "knee k=4", "peak k=8", or "—". */
export function turningPoint(c: CurveSummary): string {
  if (c.kneeK !== null) return `knee k=${c.kneeK}`;
  if (c.peakK !== null) return `peak k=${c.peakK}`;
  return '—';
}

/** "k=0: 2.0% (60) · k=8: 12.0% (60)": the failure rate at each k with its number of trials. */
export function failureRates(t: FailureTrend): string {
  return [...t.rates]
    .sort((a, b) => a.k - b.k)
    .map((r) => `k=${r.k}: ${pct(r.rate)} (${r.nTrials})`)
    .join(' · ');
}

/** The run's statistical settings in one line, for how-to-read. */
export function settingsLine(s: { alpha: number; delta: number; resamples: number; seed: number; confidenceLevel: number }): string {
  return (
    `alpha = ${s.alpha} (each claim's error: a curve's label, a collapse verdict, the advice), delta = ${pct(s.delta)} ` +
    `(${points(s.delta)} points: the smallest difference that matters), ` +
    `${formatCount(s.resamples)} resamples (bootstraps and randomization tests), seed ${s.seed}, ${pct(s.confidenceLevel, 0)} intervals`
  );
}
