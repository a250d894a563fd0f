import type { TopLevelSpec } from 'vega-lite';
import { loadPriceTable } from '../../analysis/index.js';
import { BUILTIN_PROMPT } from '../../records/trial.js';
import type { RunSummary } from '../../records/summary.js';
import { formatCount, formatMoney } from '../format.js';
import { CHART_CONFIG, returnedCalls, runProviders, VEGA_LITE_SCHEMA } from './common.js';

/** One panel of a vconcat chart. */
type Panel = Extract<TopLevelSpec, { vconcat: unknown[] }>['vconcat'][number];

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

/** One cell's net effect of the provider's prompt cache (the summary's `cacheSavings`). */
export interface CacheSavingsDatum {
  provider: string;
  /** `provider / selector k=4` (with the prompt variant when there are several). */
  cell: string;
  /** Per 1,000 requests, in the price table's currency: positive saved, negative paid extra. */
  savingsPer1k: number;
  /** "$0.042" / "-$0.0031". */
  savings: string;
  effect: 'saved' | 'paid extra';
  /** Mean prompt tokens per call read from and written to the prompt cache. */
  readTokens: number;
  writeTokens: number;
}

/** The cells whose calls read or wrote the prompt cache and have a price, in summary order. */
export function cacheSavingsData(summary: RunSummary): CacheSavingsDatum[] {
  const currency = tableCurrency();
  const prompts = new Set(summary.cells.map((c) => c.prompt ?? BUILTIN_PROMPT));
  return summary.cells.flatMap((c) => {
    if (c.cacheSavings === undefined) return [];
    const prompt = prompts.size > 1 ? ` [${c.prompt ?? BUILTIN_PROMPT}]` : '';
    return [
      {
        provider: c.provider,
        cell: `${c.provider}${prompt} / ${c.selector} k=${c.k}`,
        savingsPer1k: c.cacheSavings,
        savings: `${c.cacheSavings < 0 ? '-' : ''}${formatMoney(Math.abs(c.cacheSavings), currency)}`,
        effect: c.cacheSavings < 0 ? ('paid extra' as const) : ('saved' as const),
        readTokens: Math.round(c.meanCachedTokens ?? 0),
        writeTokens: Math.round(c.meanCacheWriteTokens ?? 0),
      },
    ];
  });
}

function tableCurrency(): string {
  try {
    return loadPriceTable().currency;
  } catch {
    return 'USD';
  }
}

/**
 * Cache savings per provider: two bars, the share of trials not paid again and of prompt tokens paid
 * at the cached rate; below them, when some cell's calls read or wrote the prompt cache and are priced,
 * the net effect of the prompt cache per cell (reads at the cached rate and writes at the cache-write
 * rate, against the same prompts at the input price), per 1,000 requests.
 */
export function cacheSpec(summary: RunSummary): TopLevelSpec | null {
  const values = cacheData(summary);
  if (values.length === 0) return null;
  const spec = sharesSpec(summary, values);
  const savings = cacheSavingsData(summary);
  if (savings.length === 0) return spec;
  const { $schema: _schema, description: _description, config: _config, ...shares } = spec as unknown as Record<string, unknown>;
  const currency = tableCurrency();
  const panel: Panel = {
    title: {
      text: 'Prompt cache: net effect per cell',
      subtitle: 'reads at the cached rate and writes at the cache-write rate, against the same prompts at the input price',
    },
    width: 420,
    height: { step: 14 },
    data: { values: savings },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'cell', type: 'nominal', title: null, sort: savings.map((d) => d.cell) },
      x: { field: 'savingsPer1k', type: 'quantitative', title: `${currency} saved per 1,000 requests`, axis: { format: ',.3~g' } },
      color: {
        field: 'effect',
        type: 'nominal',
        title: 'prompt cache',
        scale: { domain: ['saved', 'paid extra'], range: ['#54a24b', '#e45756'] },
        legend: { orient: 'bottom', direction: 'horizontal' },
      },
      tooltip: [
        { field: 'cell', type: 'nominal', title: 'cell' },
        { field: 'savings', type: 'nominal', title: 'saved per 1,000 requests' },
        { field: 'readTokens', type: 'quantitative', format: ',', title: 'tokens read per call' },
        { field: 'writeTokens', type: 'quantitative', format: ',', title: 'tokens written per call' },
      ],
    },
  };
  return {
    $schema: VEGA_LITE_SCHEMA,
    description: `Cache savings per provider, and the prompt cache's net effect per cell, for ${summary.experimentName} (${summary.runId})`,
    vconcat: [shares as unknown as Panel, panel],
    // Two colour keys: which cache (shares), and saved or paid extra (net effect).
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    config: CHART_CONFIG,
  };
}

/** The shares per provider, as a chart of its own. */
function sharesSpec(summary: RunSummary, values: CacheDatum[]): TopLevelSpec {
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
