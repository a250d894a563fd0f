import type { TopLevelSpec } from 'vega-lite';
import { costPerRequest, loadPriceTable, resolvePrice, type PriceTable, type ResolvedPrice } from '../../analysis/index.js';
import type { RunSummary } from '../../records/summary.js';
import { formatMoney } from '../format.js';
import {
  cellTips,
  CHART_CONFIG,
  curveCells,
  kScaleX,
  meanLayers,
  providerPanels,
  returnedCalls,
  runProviders,
  runSelectors,
  selectorScale,
  sortedKs,
  VEGA_LITE_SCHEMA,
} from './common.js';
import type { ChartOptions } from './types.js';

export const TOKENS_IN = 'prompt (in)';
export const TOKENS_OUT = 'completion (out)';

/** Mean tokens per returned call of one cell, in or out. */
export interface TokenDatum {
  provider: string;
  selector: string;
  k: number;
  direction: string;
  tokens: number;
  /** Of the prompt tokens, those served from the provider's prompt cache (null for completions). */
  cachedTokens: number | null;
  nCalls: number;
}

/** Cost per 1,000 requests of one cell at the provider's price. */
export interface CostDatum {
  provider: string;
  selector: string;
  k: number;
  costPer1k: number;
  /** "$0.042". */
  cost: string;
  priceSource: string;
  tokensIn: number;
  tokensOut: number;
  nCalls: number;
}

/**
 * The price the advice used for a provider, found with the project's resolvePrice: an experiment
 * price needs `priceOverrides` (summary.json records only that it came from the experiment), and a
 * provider the advice found no price for gets none here either, so chart and advice never disagree.
 */
export function chartPrice(summary: RunSummary, provider: string, options: ChartOptions = {}): ResolvedPrice | null {
  const overrides = options.priceOverrides ?? null;
  const id = options.providerIds?.[provider] ?? provider;
  const advice = summary.advice.find((a) => a.provider === provider);
  if (advice && advice.priceSource === null) return null;
  if (advice?.priceSource === 'experiment' && !(overrides && Object.hasOwn(overrides, id))) return null;
  const table = options.priceTable ?? defaultTable();
  if (!table) return null;
  return resolvePrice(id, overrides, table);
}

function defaultTable(): PriceTable | null {
  try {
    return loadPriceTable();
  } catch {
    return null;
  }
}

export function tokenData(summary: RunSummary): TokenDatum[] {
  const rows: TokenDatum[] = [];
  for (const { provider, selector, point, cell } of curveCells(summary)) {
    if (!cell) continue;
    const nCalls = returnedCalls(cell);
    if (cell.meanTokensIn !== null) {
      rows.push({ provider, selector, k: point.k, direction: TOKENS_IN, tokens: cell.meanTokensIn, cachedTokens: cell.meanCachedTokens, nCalls });
    }
    if (cell.meanTokensOut !== null) {
      rows.push({ provider, selector, k: point.k, direction: TOKENS_OUT, tokens: cell.meanTokensOut, cachedTokens: null, nCalls });
    }
  }
  return rows;
}

export function costData(summary: RunSummary, options: ChartOptions = {}): CostDatum[] {
  const rows = pricedCells(summary, options);
  // A provider that costs nothing at every k (e.g. local at a zero price) has no cost curve to show.
  const paid = new Set(rows.filter((r) => r.costPer1k > 0).map((r) => r.provider));
  return rows.filter((r) => paid.has(r.provider));
}

function pricedCells(summary: RunSummary, options: ChartOptions): CostDatum[] {
  const prices = new Map<string, ResolvedPrice | null>();
  const rows: CostDatum[] = [];
  for (const { provider, selector, point, cell } of curveCells(summary)) {
    if (!cell || cell.meanTokensIn === null) continue;
    if (!prices.has(provider)) prices.set(provider, chartPrice(summary, provider, options));
    const price = prices.get(provider);
    if (!price) continue;
    // As the advice prices a cell: mean tokens per request, cached prompt tokens at the cached price.
    const perRequest = costPerRequest(price, cell.meanTokensIn, cell.meanTokensOut ?? 0, cell.meanCachedTokens ?? 0, cell.meanCacheWriteTokens ?? 0);
    const costPer1k = perRequest * 1000;
    rows.push({
      provider,
      selector,
      k: point.k,
      costPer1k,
      cost: formatMoney(costPer1k, price.currency),
      priceSource: price.source,
      tokensIn: cell.meanTokensIn,
      tokensOut: cell.meanTokensOut ?? 0,
      nCalls: returnedCalls(cell),
    });
  }
  return rows;
}

/**
 * Tokens and cost vs k: mean prompt (solid) and completion (dashed) tokens per request, and, for
 * priced providers, the cost of 1,000 requests; one panel per provider, one colour per selector.
 */
export function tokensCostSpec(summary: RunSummary, options: ChartOptions = {}): TopLevelSpec | null {
  const tokens = tokenData(summary);
  if (tokens.length === 0) return null;
  const costs = costData(summary, options);
  const selectors = runSelectors(summary);
  const providers = runProviders(summary);
  const present = selectors.filter((s) => tokens.some((v) => v.selector === s));
  const x = kScaleX(sortedKs(tokens.map((v) => v.k)));
  const color = { field: 'selector', type: 'nominal' as const, title: 'selector', scale: selectorScale(selectors, present) };
  const currency = costs.length > 0 ? (chartPrice(summary, costs[0]!.provider, options)?.currency ?? 'USD') : 'USD';
  const tokenPanel = providerPanels(
    tokens,
    providers,
    { width: 260, height: 160 },
    { x, color },
    meanLayers(
      { field: 'tokens', title: 'mean tokens per request' },
      [
        ...cellTips(),
        { field: 'direction', type: 'nominal', title: 'tokens' },
        { field: 'tokens', type: 'quantitative', format: ',.0f', title: 'mean tokens per request' },
        { field: 'cachedTokens', type: 'quantitative', format: ',.0f', title: 'of which from the prompt cache' },
        { field: 'nCalls', type: 'quantitative', title: 'n (calls that returned)' },
      ],
      {
        strokeDash: {
          field: 'direction',
          type: 'nominal',
          title: 'tokens',
          scale: {
            domain: [TOKENS_IN, TOKENS_OUT],
            range: [
              [1, 0],
              [5, 3],
            ],
          },
        },
      },
    ),
  );
  const costPanel = {
    ...providerPanels(
      costs,
      providers,
      { width: 260, height: 200 },
      { x, color },
      meanLayers(
        // Short: with an axis per panel, a title longer than the panel would push the panel's x axis down.
        { field: 'costPer1k', title: `${currency} per 1,000 requests`, axis: { format: ',.3~g' } },
        [
          ...cellTips(),
          { field: 'cost', type: 'nominal', title: 'cost per 1,000 requests' },
          { field: 'tokensIn', type: 'quantitative', format: ',.0f', title: 'mean prompt tokens' },
          { field: 'tokensOut', type: 'quantitative', format: ',.0f', title: 'mean completion tokens' },
          { field: 'nCalls', type: 'quantitative', title: 'n (calls that returned)' },
          { field: 'priceSource', type: 'nominal', title: 'price' },
        ],
      ),
    ),
    resolve: { scale: { y: 'independent' as const } },
  };

  return {
    $schema: VEGA_LITE_SCHEMA,
    description: `Tokens and cost per request vs shots for ${summary.experimentName} (${summary.runId})`,
    title: {
      text: 'Tokens and cost vs shots',
      subtitle:
        costs.length > 0
          ? "means over calls that returned; cost at the advice's prices (cached prompt tokens at the cached price; free providers left out)"
          : 'means over calls that returned; no provider of this run has a price, so no cost is shown',
    },
    vconcat: costs.length > 0 ? [tokenPanel, costPanel] : [tokenPanel],
    resolve: { scale: { color: 'shared' } },
    config: CHART_CONFIG,
  };
}
