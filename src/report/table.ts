import { loadPriceTable } from '../analysis/index.js';
import type { CellSummary, CollapseSummary, CurveSummary, FailureTrend } from '../records/summary.js';
import type { TaskMeasure } from '../tasks/task.js';
import { formatDifference, formatEstimate, formatInterval, formatMoney, formatNumber, formatP, pct } from './format.js';
import { FAILURE_NAMES, failureRates, turningPoint } from './verdict.js';

/** One table column: a header and how to show a row in it. Shared by the HTML and Markdown reports. */
export interface Column<T = CellSummary> {
  header: string;
  /** Plain text (renderers escape it). */
  value: (row: T) => string;
  numeric?: boolean;
  /** Long text that should wrap rather than widen the table. */
  wrap?: boolean;
  /** Shown as a badge in HTML (the value is also the badge's style key). */
  badge?: boolean;
}

function errorKinds(cell: CellSummary): string | undefined {
  const parts = Object.entries(cell.providerErrorsByKind).map(([kind, n]) => `${kind}: ${n}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/**
 * The per-cell table: counts, both accuracies and the task's measures with interval and n, failures by outcome, costs.
 * `scorerFailures`: a column for them (runs scored by a scorer module of the user's own that failed at least once).
 * `promptCache`: a column for the prompt cache's net effect per 1,000 requests (runs where some cell has `cacheSavings`).
 */
export function cellColumns(
  measures: readonly TaskMeasure[],
  options: { scorerFailures?: boolean; reasoning?: boolean; promptCache?: boolean } = {},
): Column<CellSummary>[] {
  const columns: Column<CellSummary>[] = [
    { header: 'provider', value: (c) => c.provider },
    { header: 'model', value: (c) => c.model },
    { header: 'selector', value: (c) => c.selector },
    { header: 'k', value: (c) => String(c.k), numeric: true },
    { header: 'items', value: (c) => String(c.nItems), numeric: true },
    { header: 'trials', value: (c) => String(c.nTrials), numeric: true },
    { header: 'accuracy [95% CI] n', value: (c) => formatInterval(c.accuracy), numeric: true },
    { header: 'accuracy among parsed replies [95% CI] n', value: (c) => formatInterval(c.parsedAccuracy), numeric: true },
    { header: 'end-to-end [95% CI] n', value: (c) => formatInterval(c.endToEndAccuracy), numeric: true },
    { header: 'answered', value: (c) => String(c.outcomes.answered), numeric: true },
    {
      header: 'provider errors',
      value: (c) => {
        const kinds = errorKinds(c);
        return kinds ? `${c.outcomes.provider_error} (${kinds})` : String(c.outcomes.provider_error);
      },
      numeric: true,
    },
    { header: 'empty', value: (c) => String(c.outcomes.empty), numeric: true },
    { header: 'truncated', value: (c) => String(c.outcomes.truncated), numeric: true },
    { header: 'parse failures', value: (c) => String(c.outcomes.parse_failure), numeric: true },
    { header: 'refusals', value: (c) => String(c.outcomes.refusal), numeric: true },
    ...(options.scorerFailures ? [{ header: 'scorer failures', value: (c: CellSummary) => String(c.outcomes.scorer_failure), numeric: true }] : []),
    { header: 'answer failure rate', value: (c) => pct(c.answerFailureRate), numeric: true },
    { header: 'failure rate', value: (c) => pct(c.failureRate), numeric: true },
    { header: 'mean tokens in', value: (c) => formatNumber(c.meanTokensIn, 0), numeric: true },
    { header: 'cached share', value: (c) => (c.meanTokensIn && c.meanCachedTokens !== null ? pct(c.meanCachedTokens / c.meanTokensIn) : '—'), numeric: true },
    ...(options.promptCache ? [promptCacheColumn()] : []),
    { header: 'mean tokens out', value: (c) => formatNumber(c.meanTokensOut, 0), numeric: true },
    ...(options.reasoning
      ? [
          {
            header: 'of which reasoning',
            value: (c: CellSummary) =>
              c.meanReasoningTokens === undefined ? '—' : `${formatNumber(c.meanReasoningTokens, 0)}${c.reasoningTokensEstimated ? ' (est.)' : ''}`,
            numeric: true,
          },
          { header: 'cut off thinking', value: (c: CellSummary) => String(c.thinkingCutoffs ?? 0), numeric: true },
        ]
      : []),
    { header: 'mean latency ms', value: (c) => formatNumber(c.meanLatencyMs, 0), numeric: true },
  ];
  for (const m of measures) {
    columns.push({ header: `${m.label} [95% CI] n`, value: (c) => formatInterval(c.measures[m.key] ?? null), numeric: true });
  }
  return columns;
}

/** The prompt cache's net effect (CellSummary.cacheSavings): saved per 1,000 requests, negative when writes cost more than reads saved. */
function promptCacheColumn(): Column<CellSummary> {
  let currency = 'USD';
  try {
    currency = loadPriceTable().currency;
  } catch {
    // The packaged table is unreadable: amounts are still the table's currency, named as the default.
  }
  return {
    header: 'prompt cache saved per 1,000 requests',
    value: (c) => (c.cacheSavings === undefined ? '—' : `${c.cacheSavings < 0 ? '-' : ''}${formatMoney(Math.abs(c.cacheSavings), currency)}`),
    numeric: true,
  };
}

const nullable = (x: number | null) => (x === null ? '—' : String(x));

/** The curves table: one row per provider x selector with its label and why. */
export function curveColumns(options: { adaptive?: boolean } = {}): Column<CurveSummary>[] {
  return [
    { header: 'provider', value: (c) => c.provider },
    { header: 'selector', value: (c) => c.selector },
    { header: 'label', value: (c) => c.label, badge: true },
    { header: 'best k', value: (c) => nullable(c.bestK), numeric: true },
    {
      header: 'accuracy at best k [95% CI] n',
      value: (c) => {
        const p = c.points.find((x) => x.k === c.bestK);
        return p ? formatEstimate(p.accuracy, p.ciLow, p.ciHigh, p.nScoredItems) : 'n/a';
      },
      numeric: true,
    },
    { header: 'knee / peak k', value: (c) => turningPoint(c), numeric: true },
    { header: 'reason', value: (c) => c.reason, wrap: true },
    { header: 'items needed', value: (c) => nullable(c.itemsNeeded), numeric: true },
    // Adaptive sampling: where the curve stopped taking items ("—": still inconclusive at maxItems; its settled cells stopped sooner).
    ...(options.adaptive ? [{ header: 'decided at items', value: (c: CurveSummary) => decidedAt(c), numeric: true }] : []),
  ];
}

function decidedAt(c: CurveSummary): string {
  if (c.decidedAtItems != null) return String(c.decidedAtItems);
  const settled = c.settledKs ?? [];
  return settled.length > 0 ? `— (k=${settled.join(', ')} settled)` : '—';
}

/** The selection table: one row per provider, does the gain survive a change of selector? */
export function collapseColumns(): Column<CollapseSummary>[] {
  return [
    { header: 'provider', value: (c) => c.provider },
    { header: 'label', value: (c) => c.label, badge: true },
    { header: 'k', value: (c) => nullable(c.k), numeric: true },
    { header: 'gain with', value: (c) => c.gainSelector ?? '—' },
    { header: 'lost with', value: (c) => c.lossSelector ?? '—' },
    { header: 'detail', value: (c) => c.detail, wrap: true },
  ];
}

/** The failures table: one row per provider x selector x failure kind tested. */
export function failureColumns(): Column<FailureTrend>[] {
  return [
    { header: 'provider', value: (t) => t.provider },
    { header: 'selector', value: (t) => t.selector },
    { header: 'failure', value: (t) => FAILURE_NAMES[t.kind] },
    { header: 'rate by k (trials)', value: (t) => failureRates(t), wrap: true },
    { header: 'largest k - k=0 [95% CI]', value: (t) => formatDifference(t.estimate, t.ciLow, t.ciHigh), numeric: true },
    { header: 'p (Holm)', value: (t) => formatP(t.pAdjusted), numeric: true },
    { header: 'rises with k', value: (t) => (t.flagged ? 'yes' : 'no') },
    { header: 'detail', value: (t) => t.detail, wrap: true },
  ];
}
