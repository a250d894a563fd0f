/**
 * The report's charts. The figures live in ./charts/ (one module per chart): typed Vega-Lite specs,
 * compiled to Vega in Node, rendered to static SVG with vega's headless view and vega-interpreter.
 */
export {
  buildReportCharts,
  compileChart,
  renderChartSvg,
  writeChartFiles,
  type ChartOptions,
  type ChartSection,
  type ReportChart,
  type VgSpec,
} from './charts/index.js';

import type { TopLevelSpec } from 'vega-lite';
import type { RunSummary } from '../analysis/summary.js';
import { formatEstimate, pct, seriesName } from './format.js';

/** One plotted point; flat so Vega-Lite fields and tooltips can name it directly. */
export interface ChartDatum {
  /** `provider / selector (label)`. */
  series: string;
  provider: string;
  selector: string;
  label: string;
  k: number;
  accuracy: number;
  lower: number;
  upper: number;
  interval: string;
  nItems: number;
  nAnsweredItems: number;
  nTrials: number;
  failureRate: string;
}

/** @deprecated See accuracyChartSpec. The curves' points with an answered accuracy (a cell where nothing was answered has no point). */
export function chartData(summary: RunSummary): ChartDatum[] {
  const rows: ChartDatum[] = [];
  for (const curve of summary.curves) {
    for (const p of curve.points) {
      if (p.accuracy === null || p.ciLow === null || p.ciHigh === null) continue;
      rows.push({
        series: seriesName(curve.provider, curve.selector, curve.label),
        provider: curve.provider,
        selector: curve.selector,
        label: curve.label,
        k: p.k,
        accuracy: p.accuracy,
        lower: p.ciLow,
        upper: p.ciHigh,
        interval: formatEstimate(p.accuracy, p.ciLow, p.ciHigh, p.nAnsweredItems),
        nItems: p.nItems,
        nAnsweredItems: p.nAnsweredItems,
        nTrials: p.nTrials,
        failureRate: pct(p.failureRate),
      });
    }
  }
  return rows;
}

/**
 * @deprecated The single all-provider chart of the first report; superseded by buildReportCharts()
 * (kept until report.html switches over).
 *
 * Answered accuracy vs shots: one colored line with points per `provider / selector (label)`, with the
 * 95% interval as a band with whiskers. k is ordinal (0, 1, 2, 4, 8 evenly spaced reads better than a linear
 * axis), sorted numerically.
 */
export function accuracyChartSpec(summary: RunSummary): TopLevelSpec {
  const values = chartData(summary);
  const ks = [...new Set(values.map((v) => v.k))].sort((a, b) => a - b);
  const series = [...new Set(values.map((v) => v.series))];
  const x = {
    field: 'k',
    type: 'ordinal' as const,
    sort: ks,
    title: 'shots (k)',
    axis: { labelAngle: 0 },
  };
  const color = { field: 'series', type: 'nominal' as const, title: 'provider / selector (label)', sort: series };
  const tooltip = [
    { field: 'provider', type: 'nominal' as const },
    { field: 'selector', type: 'nominal' as const },
    { field: 'label', type: 'nominal' as const, title: 'curve label' },
    { field: 'k', type: 'ordinal' as const, title: 'k (shots)' },
    { field: 'accuracy', type: 'quantitative' as const, format: '.1%', title: 'accuracy (answered)' },
    { field: 'interval', type: 'nominal' as const, title: '95% interval, n' },
    { field: 'nAnsweredItems', type: 'quantitative' as const, title: 'n (items answered)' },
    { field: 'nItems', type: 'quantitative' as const, title: 'items' },
    { field: 'nTrials', type: 'quantitative' as const, title: 'trials' },
    { field: 'failureRate', type: 'nominal' as const, title: 'failure rate' },
  ];

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `Answered accuracy vs shots for ${summary.experimentName} (${summary.runId})`,
    title: { text: 'Accuracy vs shots', subtitle: 'answered trials only; bands and whiskers are 95% intervals with items as the unit; legend: provider / selector (curve label)' },
    width: 640,
    height: 360,
    data: { values },
    encoding: { x, color },
    layer: [
      {
        // The interval as a translucent band: several series' bands can overlap and stay readable.
        mark: { type: 'area', opacity: 0.15 },
        encoding: {
          y: { field: 'lower', type: 'quantitative' },
          y2: { field: 'upper' },
        },
      },
      {
        // Whiskers too, so a lone point (a k = 0-only sweep) still shows its interval.
        mark: { type: 'rule', strokeWidth: 1, opacity: 0.6 },
        encoding: {
          y: { field: 'lower', type: 'quantitative' },
          y2: { field: 'upper' },
        },
      },
      {
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          y: {
            field: 'accuracy',
            type: 'quantitative',
            title: 'accuracy (answered)',
            scale: { domain: [0, 1] },
            axis: { format: '%' },
          },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          y: { field: 'accuracy', type: 'quantitative' },
          tooltip,
        },
      },
    ],
    config: { font: 'system-ui, sans-serif' },
  };
}
