import type { TopLevelSpec } from 'vega-lite';
import type { PromptComparison, RunSummary } from '../../records/summary.js';
import { formatDifference } from '../format.js';
import { CHART_CONFIG, kScaleX, PALETTE, sortedKs, VEGA_LITE_SCHEMA } from './common.js';

/** One paired difference between two prompt variants in one cell, as the chart draws it. */
export interface PromptDifference {
  provider: string;
  /** "verbose − terse": the variant difference b − a the point shows. */
  pair: string;
  selector: string;
  k: number;
  estimate: number;
  ciLow: number;
  ciHigh: number;
  /** "+3.0 points [-1.2, +7.1]". */
  difference: string;
  nItems: number;
  pAdjusted: number;
  significance: 'significant' | 'not significant';
}

export function promptDifferences(comparisons: readonly PromptComparison[]): PromptDifference[] {
  return comparisons
    .filter((c) => c.nItems > 0 && Number.isFinite(c.estimate))
    .map((c) => ({
      provider: c.provider,
      pair: `${c.b} − ${c.a}`,
      selector: c.selector,
      k: c.k,
      estimate: c.estimate,
      ciLow: c.ciLow,
      ciHigh: c.ciHigh,
      difference: formatDifference(c.estimate, c.ciLow, c.ciHigh),
      nItems: c.nItems,
      pAdjusted: c.pAdjusted,
      significance: c.significant ? 'significant' : 'not significant',
    }));
}

/**
 * Prompt variants compared: per provider (rows) and selector (columns), each pair's paired accuracy
 * difference at every k with its 95% interval; filled points are significant in the `prompt-variants`
 * family (Holm within the provider). Null with fewer than two variants.
 */
export function promptVariantsSpec(summary: RunSummary): TopLevelSpec | null {
  const values = promptDifferences(summary.promptComparisons ?? []);
  if (values.length === 0) return null;
  const pairs = [...new Set(values.map((v) => v.pair))];
  const providers = [...new Set(values.map((v) => v.provider))];
  const selectors = [...new Set(values.map((v) => v.selector))];
  const color = {
    field: 'pair',
    type: 'nominal' as const,
    title: 'variant difference',
    scale: { domain: pairs, range: pairs.map((_, i) => PALETTE[i % PALETTE.length]!) },
  };
  const tooltip = [
    { field: 'provider', type: 'nominal' as const, title: 'provider' },
    { field: 'pair', type: 'nominal' as const, title: 'variants' },
    { field: 'selector', type: 'nominal' as const, title: 'selector' },
    { field: 'k', type: 'quantitative' as const, title: 'k (shots)' },
    { field: 'difference', type: 'nominal' as const, title: 'accuracy difference (95% interval)' },
    { field: 'nItems', type: 'quantitative' as const, title: 'n (paired items)' },
    { field: 'pAdjusted', type: 'quantitative' as const, format: '.3f', title: 'p (Holm, prompt-variants)' },
    { field: 'significance', type: 'nominal' as const, title: 'significance' },
  ];
  const y = { type: 'quantitative' as const, title: 'accuracy difference (b − a)', axis: { format: '+.0%' } };
  return {
    $schema: VEGA_LITE_SCHEMA,
    description: `Prompt variants compared cell by cell for ${summary.experimentName} (${summary.runId})`,
    title: {
      text: 'Prompt variants compared',
      subtitle: 'paired over the same items and shots; filled: significant after Holm within the provider; bars: 95% interval',
    },
    data: { values },
    facet: {
      row: { field: 'provider', type: 'nominal', title: null, sort: providers },
      column: { field: 'selector', type: 'nominal', title: null, sort: selectors },
    },
    spec: {
      width: 260,
      height: 170,
      layer: [
        { mark: { type: 'rule', color: '#888', strokeDash: [4, 3] }, encoding: { y: { datum: 0 } } },
        {
          mark: { type: 'rule', strokeWidth: 2 },
          encoding: { x: kScaleX(sortedKs(values.map((v) => v.k))), y: { field: 'ciLow', ...y }, y2: { field: 'ciHigh' }, color },
        },
        {
          mark: { type: 'point', size: 60, filled: true, strokeWidth: 1.5 },
          encoding: {
            x: kScaleX(sortedKs(values.map((v) => v.k))),
            y: { field: 'estimate', ...y },
            color,
            stroke: color,
            fillOpacity: { condition: { test: "datum.significance === 'significant'", value: 1 }, value: 0 },
            tooltip,
          },
        },
      ],
    },
    config: CHART_CONFIG,
  } as TopLevelSpec;
}
