import type { RunSummary } from '../../records/summary.js';
import type { TopLevelSpec } from 'vega-lite';
import { cacheSpec } from './cache.js';
import { compileChart, providerSlugs, runProviders, runSelectors } from './common.js';
import { curvesSpec } from './curves.js';
import { failuresSpec } from './failures.js';
import { FINETUNE_CHART_ID, fineTuneCaption, fineTuneCostSpec } from './finetune.js';
import { latencySpec } from './latency.js';
import { promptVariantsSpec } from './prompt-variants.js';
import { reasoningSpec } from './reasoning.js';
import { selectionSpec } from './selection.js';
import { tokensCostSpec } from './tokens-cost.js';
import type { ChartOptions, ChartSection, ReportChart } from './types.js';

export type { ChartOptions, ChartSection, ReportChart, VgSpec } from './types.js';
export { compileChart } from './common.js';
export { curveBadges, curveData, curveMarkers, curveSeries, curvesSpec, ANSWERED, END_TO_END } from './curves.js';
export type { CurveBadge, CurveDatum, CurveMarker } from './curves.js';
export { selectorDifferences, selectionSpec } from './selection.js';
export type { BestAtK, SelectorDifference } from './selection.js';
export { failureData, failuresSpec, FAILURE_LABELS } from './failures.js';
export { latencyData, latencySpec } from './latency.js';
export { reasoningData, reasoningSpec, type ReasoningDatum } from './reasoning.js';
export { promptDifferences, promptVariantsSpec, type PromptDifference } from './prompt-variants.js';
export { chartPrice, costData, tokenData, tokensCostSpec } from './tokens-cost.js';
export { cacheData, cacheSpec, PROMPT_CACHE, RESPONSE_CACHE } from './cache.js';
export {
  fineTuneAdvice,
  fineTuneCaption,
  fineTuneCostSpec,
  fineTuneData,
  fewShotLineName,
  FINETUNE_CHART_ID,
  formatRequests,
  TUNED_LINE,
  ZERO_SHOT_LINE,
  type FineTuneDatum,
} from './finetune.js';
export { headlessView, renderChartSvg, writeChartFiles, type ViewLogger } from './render.js';

function chart(id: string, section: ChartSection, title: string, description: string, vegaLite: TopLevelSpec): ReportChart {
  return { id, section, title, description, vegaLite, vega: compileChart(vegaLite).vega };
}

/**
 * Every chart of the report, in page order: accuracy curves per provider, the selector comparison
 * per provider with two or more selectors and stored selector tests, then operations (failures,
 * latency, tokens and cost, the fine-tune cost by volume, reasoning, cache). Deterministic; the only
 * file read is the packaged price table (once per process, as the advice does) when
 * `options.priceTable` is not given.
 */
export function buildReportCharts(summary: RunSummary, options: ChartOptions = {}): ReportChart[] {
  const charts: ReportChart[] = [];
  const selectors = runSelectors(summary);
  const providers = runProviders(summary);
  const slugs = providerSlugs(providers);
  const curveProviders = providers.filter((p) => summary.curves.some((c) => c.provider === p));

  for (const p of curveProviders) {
    charts.push(
      chart(
        `curves-${slugs.get(p)!}`,
        'curves',
        `Accuracy vs shots: ${p}`,
        'Solid lines with points are accuracy per selector (answer failures counted wrong, provider failures left out) with their 95% bands, dashed lines the same selector end to end (provider failures counted wrong too), and dotted rules mark the knee or peak; the x axis is k on a log scale.',
        curvesSpec(summary, p, selectors),
      ),
    );
  }
  for (const p of curveProviders) {
    const spec = selectionSpec(summary, p, selectors);
    if (!spec) continue;
    charts.push(
      chart(
        `selectors-${slugs.get(p)!}`,
        'selection',
        `Selector comparison: ${p}`,
        "Each point is a selector's accuracy minus the best selector's at that k, paired over items, with its 95% interval; filled points are significant after the Holm adjustment, and points below zero with intervals clear of it are selection-collapse evidence.",
        spec,
      ),
    );
  }
  const variants = promptVariantsSpec(summary);
  if (variants) {
    charts.push(
      chart(
        'prompt-variants',
        'selection',
        'Prompt variants compared',
        "Each point is one prompt variant's accuracy minus another's in the same cell (same selector, k, items and shots), paired over items, with its 95% interval; filled points are significant after the Holm adjustment over the provider's variant comparisons (the prompt-variants family).",
        variants,
      ),
    );
  }
  const failures = failuresSpec(summary);
  if (failures) {
    charts.push(
      chart(
        'failures',
        'operations',
        'Failures by kind vs shots',
        "Each bar stacks the shares of a cell's trials that failed, by kind, per provider (rows) and selector (columns); provider failures are operational and are left out of accuracy; answer failures (empty, truncated, unparseable, refused, scorer failures) count as wrong in it.",
        failures,
      ),
    );
  }
  const latency = latencySpec(summary);
  if (latency) {
    charts.push(
      chart(
        'latency',
        'operations',
        'Latency vs shots',
        'Mean latency of the calls that returned, per selector, with one panel and axis per provider.',
        latency,
      ),
    );
  }
  const tokens = tokensCostSpec(summary, options);
  if (tokens) {
    charts.push(
      chart(
        'tokens-cost',
        'operations',
        'Tokens and cost vs shots',
        'Mean prompt (solid) and completion (dashed) tokens per request per selector, and below, for priced providers, the cost of 1,000 requests at the prices the advice uses.',
        tokens,
      ),
    );
  }
  const fineTune = fineTuneCostSpec(summary);
  if (fineTune) {
    // Drawn in the verdict section of report.html, beside the "Keep few-shot or fine-tune?" tables.
    charts.push(chart(FINETUNE_CHART_ID, 'operations', 'Keep few-shot or fine-tune: monthly cost vs volume', fineTuneCaption(summary), fineTune));
  }
  const reasoning = reasoningSpec(summary);
  if (reasoning) {
    charts.push(
      chart(
        'reasoning',
        'operations',
        'Reasoning tokens vs shots',
        'Mean tokens each call spent thinking, per selector, with one panel and axis per provider (a provider entry per reasoning setting: its label names it); they are part of the output tokens and priced as output. Anthropic counts are estimated from the thinking text.',
        reasoning,
      ),
    );
  }
  const cache = cacheSpec(summary);
  if (cache) {
    charts.push(
      chart(
        'cache',
        'operations',
        'Cache savings',
        'Per provider, the share of trials answered from the response cache (not paid again) and the share of prompt tokens the provider served from its prompt cache.',
        cache,
      ),
    );
  }
  return charts;
}
