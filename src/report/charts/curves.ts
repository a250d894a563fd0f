import type { TopLevelSpec } from 'vega-lite';
import type { CurveSummary, RunSummary } from '../../records/summary.js';
import { formatEstimate } from '../format.js';
import { CHART_CONFIG, kScaleX, selectorScale, sortedKs, VEGA_LITE_SCHEMA } from './common.js';
import type { LayerEntry } from './types.js';

/** One point of one selector's curve; flat, so fields and tooltips can name it. */
export interface CurveDatum {
  selector: string;
  /** `random — plateau`: the legend entry. */
  series: string;
  label: string;
  k: number;
  /** `none` for the shared zero-shot point. */
  cell: string;
  accuracy: number | null;
  ciLow: number | null;
  ciHigh: number | null;
  /** "72.0% [65.1, 78.3] n=60" (items the model answered; answer failures count wrong). */
  interval: string;
  /** The same among parsed replies only (secondary). */
  parsedInterval: string;
  endToEnd: number | null;
  endToEndLow: number | null;
  endToEndHigh: number | null;
  endToEndInterval: string;
  nItems: number;
  nScoredItems: number;
  nTrials: number;
  failureRate: number;
}

/** A knee or peak marked on a curve. */
export interface CurveMarker {
  selector: string;
  series: string;
  kind: 'knee' | 'peak';
  k: number;
  text: string;
}

/** The curve label at the curve's last answered point. */
export interface CurveBadge {
  selector: string;
  series: string;
  label: string;
  k: number;
  y: number;
}

const HEIGHT = 300;

export const ANSWERED = 'accuracy (95% band)';
export const END_TO_END = 'end to end (provider failures count as wrong too)';

export function curveSeries(curve: Pick<CurveSummary, 'selector' | 'label'>): string {
  return `${curve.selector} — ${curve.label}`;
}

export function curveData(curves: readonly CurveSummary[]): CurveDatum[] {
  const rows: CurveDatum[] = [];
  for (const curve of curves) {
    for (const p of [...curve.points].sort((a, b) => a.k - b.k)) {
      rows.push({
        selector: curve.selector,
        series: curveSeries(curve),
        label: curve.label,
        k: p.k,
        cell: p.cellSelector,
        accuracy: p.accuracy,
        ciLow: p.ciLow,
        ciHigh: p.ciHigh,
        interval: formatEstimate(p.accuracy, p.ciLow, p.ciHigh, p.nScoredItems),
        endToEnd: p.accuracyEndToEnd,
        endToEndLow: p.endToEndCiLow,
        endToEndHigh: p.endToEndCiHigh,
        endToEndInterval: formatEstimate(p.accuracyEndToEnd, p.endToEndCiLow, p.endToEndCiHigh, p.nItems),
        nItems: p.nItems,
        nScoredItems: p.nScoredItems,
        parsedInterval: formatEstimate(p.parsedAccuracy, p.parsedCiLow, p.parsedCiHigh, p.nParsedItems),
        nTrials: p.nTrials,
        failureRate: p.failureRate,
      });
    }
  }
  return rows;
}

export function curveMarkers(curves: readonly CurveSummary[]): CurveMarker[] {
  const out: CurveMarker[] = [];
  for (const curve of curves) {
    if (curve.kneeK !== null) {
      out.push({ selector: curve.selector, series: curveSeries(curve), kind: 'knee', k: curve.kneeK, text: `knee k=${curve.kneeK}` });
    }
    if (curve.peakK !== null) {
      out.push({ selector: curve.selector, series: curveSeries(curve), kind: 'peak', k: curve.peakK, text: `peak k=${curve.peakK}` });
    }
  }
  return out;
}

export function curveBadges(curves: readonly CurveSummary[]): CurveBadge[] {
  const out: CurveBadge[] = [];
  for (const curve of curves) {
    const answered = curve.points.filter((p) => p.accuracy !== null).sort((a, b) => a.k - b.k);
    const last = answered[answered.length - 1];
    if (last) out.push({ selector: curve.selector, series: curveSeries(curve), label: curve.label, k: last.k, y: last.accuracy! });
  }
  return out;
}

/**
 * Accuracy vs k for one provider: per selector a line with points (accuracy, answer failures counted wrong) over its 95%
 * band, a dashed line of the same colour for end-to-end accuracy (failures counted wrong), a rule
 * and text at the knee / peak, and the curve label beside the last point and in the legend.
 */
export function curvesSpec(summary: RunSummary, provider: string, selectors: readonly string[]): TopLevelSpec {
  const curves = summary.curves.filter((c) => c.provider === provider);
  const values = curveData(curves);
  const markers = curveMarkers(curves);
  const badges = curveBadges(curves);
  const ks = sortedKs(values.map((v) => v.k));
  const series = curves.map(curveSeries);
  const bySeries = new Map(curves.map((c) => [curveSeries(c), c.selector]));
  const color = {
    field: 'series',
    type: 'nominal' as const,
    title: 'selector — curve label',
    scale: selectorScale(selectors, series, (s) => bySeries.get(s) ?? s),
    legend: { symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1 },
  };
  const x = kScaleX(ks);
  const dash = {
    type: 'nominal' as const,
    title: 'accuracy',
    scale: {
      domain: [ANSWERED, END_TO_END],
      range: [
        [1, 0],
        [6, 3],
      ],
    },
    legend: { symbolType: 'stroke', symbolStrokeColor: '#555', symbolStrokeWidth: 2 },
  };
  const model = curves[0]?.model;

  const layer: LayerEntry[] = [
    {
      // The 95% interval as a translucent band: several selectors' bands overlap and stay readable.
      mark: { type: 'area', opacity: 0.14 },
      encoding: {
        y: { field: 'ciLow', type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '%' }, title: 'accuracy' },
        y2: { field: 'ciHigh' },
      },
    },
    {
      mark: { type: 'line', strokeWidth: 2 },
      encoding: {
        y: { field: 'accuracy', type: 'quantitative' },
        strokeDash: { datum: ANSWERED, ...dash },
      },
    },
    {
      mark: { type: 'line', strokeWidth: 1.5, opacity: 0.85 },
      encoding: {
        y: { field: 'endToEnd', type: 'quantitative' },
        strokeDash: { datum: END_TO_END, ...dash },
      },
    },
    {
      mark: { type: 'point', shape: 'circle', filled: false, size: 28, opacity: 0.9 },
      encoding: {
        y: { field: 'endToEnd', type: 'quantitative' },
        tooltip: [
          { field: 'series', type: 'nominal', title: 'selector — label' },
          { field: 'k', type: 'quantitative', title: 'k (shots)' },
          { field: 'endToEndInterval', type: 'nominal', title: 'end to end: accuracy [95% interval] n items' },
          { field: 'failureRate', type: 'quantitative', format: '.1%', title: 'failure rate (all counted wrong here)' },
          { field: 'nTrials', type: 'quantitative', title: 'trials' },
        ],
      },
    },
    {
      mark: { type: 'point', shape: 'circle', filled: true, size: 60, opacity: 1 },
      encoding: {
        y: { field: 'accuracy', type: 'quantitative' },
        tooltip: [
          { field: 'series', type: 'nominal', title: 'selector — label' },
          { field: 'k', type: 'quantitative', title: 'k (shots)' },
          { field: 'cell', type: 'nominal', title: 'cell' },
          { field: 'accuracy', type: 'quantitative', format: '.1%', title: 'accuracy (answer failures count wrong)' },
          { field: 'interval', type: 'nominal', title: 'accuracy [95% interval] n items' },
          { field: 'nScoredItems', type: 'quantitative', title: 'n (items the model answered)' },
          { field: 'parsedInterval', type: 'nominal', title: 'among parsed replies [95% interval] n' },
          { field: 'nItems', type: 'quantitative', title: 'items' },
          { field: 'nTrials', type: 'quantitative', title: 'trials' },
          { field: 'failureRate', type: 'quantitative', format: '.1%', title: 'failure rate' },
          { field: 'endToEndInterval', type: 'nominal', title: 'end to end [95% interval] n items' },
        ],
      },
    },
  ];
  if (markers.length > 0) {
    layer.push({
      data: { values: markers },
      mark: { type: 'rule', strokeWidth: 1, strokeDash: [2, 3], opacity: 0.8 },
      encoding: {
        tooltip: [
          { field: 'series', type: 'nominal', title: 'selector — label' },
          { field: 'text', type: 'nominal', title: 'marked' },
        ],
      },
    });
    // Each marker's text on its own row along the bottom of the plot, so two never overprint.
    markers.forEach((marker, i) => {
      layer.push({
        data: { values: [marker] },
        mark: { type: 'text', align: 'left', baseline: 'bottom', dx: 4, fontSize: 11, fontWeight: 'bold' },
        encoding: {
          y: { value: HEIGHT - 4 - 14 * i },
          text: { field: 'text', type: 'nominal' },
        },
      });
    });
  }
  if (badges.length > 0) {
    layer.push({
      data: { values: badges },
      mark: { type: 'text', align: 'left', baseline: 'middle', dx: 9, fontSize: 11 },
      encoding: {
        y: { field: 'y', type: 'quantitative' },
        text: { field: 'label', type: 'nominal' },
      },
    });
  }

  return {
    $schema: VEGA_LITE_SCHEMA,
    description: `Accuracy vs shots for ${provider}${model ? ` (${model})` : ''}, ${summary.experimentName} (${summary.runId})`,
    title: {
      text: `Accuracy vs shots: ${provider}${model ? ` (${model})` : ''}`,
      subtitle: 'solid: accuracy, answer failures counted wrong, provider failures left out, 95% band (items as the unit); dashed: end to end',
    },
    width: 560,
    height: HEIGHT,
    data: { values },
    // Shared by every layer: one x scale, one colour scale and legend.
    encoding: { x, color },
    layer,
    resolve: { scale: { color: 'shared', strokeDash: 'shared' } },
    config: { ...CHART_CONFIG, legend: { ...CHART_CONFIG.legend, orient: 'bottom', direction: 'vertical' } },
  };
}
