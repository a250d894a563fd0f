import type { TopLevelSpec } from 'vega-lite';
import type { RunSummary } from '../../records/summary.js';
import { formatCount } from '../format.js';
import { CHART_CONFIG, returnedCalls, runProviders, VEGA_LITE_SCHEMA } from './common.js';

export const RESPONSE_CACHE = 'response cache: trials';
export const PROMPT_CACHE = 'prompt cache: prompt tokens';

/** One provider's cache share: of its trials (response cache) or of its prompt tokens (prompt cache). */
export interface CacheDatum {
  provider: string;
  measure: string;
  share: number;
  /** "120 of 600 trials" / "41,000 of 90,000 prompt tokens". */
  ofTotal: string;
  part: number;
  total: number;
}

/**
 * Per provider: cachedTrials / nTrials over its cells, and the prompt tokens served from the
 * provider's prompt cache over all prompt tokens (cell means times the calls that returned).
 */
export function cacheData(summary: RunSummary): CacheDatum[] {
  const rows: CacheDatum[] = [];
  for (const provider of runProviders(summary)) {
    const cells = summary.cells.filter((c) => c.provider === provider);
    let trials = 0;
    let cachedTrials = 0;
    let tokensIn = 0;
    let cachedTokens = 0;
    for (const c of cells) {
      trials += c.nTrials;
      // Summaries written before cachedTrials existed read as "none from the cache".
      cachedTrials += c.cachedTrials ?? 0;
      const calls = returnedCalls(c);
      tokensIn += (c.meanTokensIn ?? 0) * calls;
      cachedTokens += (c.meanCachedTokens ?? 0) * calls;
    }
    if (trials > 0) {
      rows.push({
        provider,
        measure: RESPONSE_CACHE,
        share: cachedTrials / trials,
        ofTotal: `${formatCount(cachedTrials)} of ${formatCount(trials)} trials`,
        part: cachedTrials,
        total: trials,
      });
    }
    if (tokensIn > 0) {
      const tokens = Math.round(tokensIn);
      const cached = Math.min(Math.round(cachedTokens), tokens);
      rows.push({
        provider,
        measure: PROMPT_CACHE,
        share: cachedTokens / tokensIn,
        ofTotal: `${formatCount(cached)} of ${formatCount(tokens)} prompt tokens`,
        part: cached,
        total: tokens,
      });
    }
  }
  return rows;
}

/** Cache savings per provider: two bars, the share of trials not paid again and of prompt tokens paid at the cached rate. */
export function cacheSpec(summary: RunSummary): TopLevelSpec | null {
  const values = cacheData(summary);
  if (values.length === 0) return null;
  return {
    $schema: VEGA_LITE_SCHEMA,
    description: `Cache savings per provider for ${summary.experimentName} (${summary.runId})`,
    title: {
      text: 'Cache savings',
      subtitle: 'response cache: trials not paid again; prompt cache: prompt tokens billed at the cached rate',
    },
    width: 420,
    height: { step: 14 },
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'provider', type: 'nominal', title: null, sort: runProviders(summary) },
      yOffset: { field: 'measure', type: 'nominal', sort: [RESPONSE_CACHE, PROMPT_CACHE] },
      x: { field: 'share', type: 'quantitative', title: 'share', scale: { domain: [0, 1] }, axis: { format: '%' } },
      color: {
        field: 'measure',
        type: 'nominal',
        title: 'share served from a cache',
        scale: { domain: [RESPONSE_CACHE, PROMPT_CACHE], range: ['#4c78a8', '#72b7b2'] },
        legend: { orient: 'bottom', direction: 'vertical' },
      },
      tooltip: [
        { field: 'provider', type: 'nominal', title: 'provider' },
        { field: 'measure', type: 'nominal', title: 'cache' },
        { field: 'share', type: 'quantitative', format: '.1%', title: 'share' },
        { field: 'ofTotal', type: 'nominal', title: 'n' },
      ],
    },
    config: CHART_CONFIG,
  };
}
