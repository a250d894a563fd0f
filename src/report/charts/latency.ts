import type { TopLevelSpec } from 'vega-lite';
import type { RunSummary } from '../../records/summary.js';
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

/** Mean latency of one cell's returned calls (the k = 0 cell is on every selector's line). */
export interface LatencyDatum {
  provider: string;
  selector: string;
  k: number;
  latencyMs: number;
  /** Calls that returned: the n behind the mean. */
  nCalls: number;
  nTrials: number;
}

export function latencyData(summary: RunSummary): LatencyDatum[] {
  const rows: LatencyDatum[] = [];
  for (const { provider, selector, point, cell } of curveCells(summary)) {
    if (!cell || cell.meanLatencyMs === null) continue;
    rows.push({ provider, selector, k: point.k, latencyMs: cell.meanLatencyMs, nCalls: returnedCalls(cell), nTrials: cell.nTrials });
  }
  return rows;
}

/** Mean latency vs k, one panel per provider (each with its own axis), one line per selector. */
export function latencySpec(summary: RunSummary): TopLevelSpec | null {
  return meanVsShotsSpec(summary, latencyData(summary), runProviders(summary), {
    field: 'latencyMs',
    axisTitle: 'mean latency (ms)',
    tooltip: [
      { field: 'latencyMs', type: 'quantitative', format: ',.0f', title: 'mean latency (ms)' },
      { field: 'nCalls', type: 'quantitative', title: 'n (calls that returned)' },
      { field: 'nTrials', type: 'quantitative', title: 'trials' },
    ],
    description: `Mean latency vs shots for ${summary.experimentName} (${summary.runId})`,
    title: { text: 'Latency vs shots', subtitle: 'mean over calls that returned (provider errors left out); each provider on its own axis' },
  });
}

/** A per-cell mean vs k, one panel per provider (each with its own axis), one line per selector (latency, reasoning tokens). */
export function meanVsShotsSpec<T extends { provider: string; selector: string; k: number }>(
  summary: RunSummary,
  values: T[],
  providers: string[],
  o: { field: string; axisTitle: string; tooltip: Parameters<typeof meanLayers>[1]; description: string; title: { text: string; subtitle: string } },
): TopLevelSpec | null {
  if (values.length === 0) return null;
  const selectors = runSelectors(summary);
  const present = selectors.filter((s) => values.some((v) => v.selector === s));
  const x = kScaleX(sortedKs(values.map((v) => v.k)));
  const color = { field: 'selector', type: 'nominal' as const, title: 'selector', scale: selectorScale(selectors, present) };
  const panels = providerPanels(
    values,
    providers,
    { width: 260, height: 180 },
    { x, color },
    meanLayers({ field: o.field, title: o.axisTitle }, [...cellTips(), ...o.tooltip], { pointSize: 45 }),
  );
  return {
    $schema: VEGA_LITE_SCHEMA,
    description: o.description,
    title: o.title,
    ...panels,
    resolve: { scale: { y: 'independent' } },
    config: CHART_CONFIG,
  };
}
