import type { TopLevelSpec } from 'vega-lite';
import type { FineTuneAdvice, RunSummary } from '../../records/summary.js';
import { formatCount, formatMoney } from '../format.js';
import { CHART_CONFIG, VEGA_LITE_SCHEMA } from './common.js';

/** The chart's id: charts/finetune-cost.vl.json and .svg, and the figure's data-chart in report.html. */
export const FINETUNE_CHART_ID = 'finetune-cost';

/** The three lines' series (their colours); each line's own name is in `line`. */
export const ZERO_SHOT_LINE = 'zero-shot';
export const FEW_SHOT_SERIES = 'few-shot';
export const TUNED_LINE = 'fine-tuned at k=0';

const SERIES_COLORS: Record<FineTuneSeries, string> = {
  [ZERO_SHOT_LINE]: '#9d9d9d',
  [FEW_SHOT_SERIES]: '#4c78a8',
  [TUNED_LINE]: '#e45756',
};

export type FineTuneSeries = typeof ZERO_SHOT_LINE | typeof FEW_SHOT_SERIES | typeof TUNED_LINE;

/** Points per line on the log grid of monthly requests (the break-even and the stated volume are added). */
export const GRID_POINTS = 50;
/** The volume axis covers at least this range, widened to keep a decade either side of the break-even and the stated volume. */
export const DEFAULT_VOLUME_RANGE: readonly [number, number] = [100, 10_000_000];

/** One row of the chart: a point of a line, the break-even point, or the stated volume. */
export interface FineTuneDatum {
  provider: string;
  /** `line`: a sample of a cost line; `break-even`: where fine-tuned meets few-shot; `volume`: the stated requests per month. */
  kind: 'line' | 'break-even' | 'volume';
  /** The colour group (line rows; the break-even point is on the few-shot and tuned lines). */
  series: FineTuneSeries | null;
  /** "zero-shot", "few-shot k=4 similar", "fine-tuned at k=0"; the label text for markers. */
  line: string;
  /** Requests per month (x). */
  requests: number;
  /** Cost per month in the price currency (y); null for the stated volume's rule. */
  cost: number | null;
  /** Tooltip and label texts. */
  requestsText: string;
  costText: string;
  /** Markers: whether the label goes right of the rule (`left` aligned) or left of it. */
  align: 'left' | 'right';
}

/** The advice entries that carry a fine-tune block, in advice order. */
export function fineTuneAdvice(summary: RunSummary): { provider: string; fineTune: FineTuneAdvice }[] {
  return summary.advice.flatMap((a) => (a.fineTune ? [{ provider: a.provider, fineTune: a.fineTune }] : []));
}

/** "few-shot k=4 similar", or "zero-shot (k=0)" when the recommended cell has no shots. */
export function fewShotLineName(ft: Pick<FineTuneAdvice, 'fewShot'>): string {
  if (ft.fewShot.k === 0) return 'zero-shot (k=0)';
  return `few-shot k=${ft.fewShot.k}${ft.fewShot.selector !== null ? ` ${ft.fewShot.selector}` : ''}`;
}

/** Few-shot cost per month at `requests` (the recommended cell, shots included). */
export function fewShotMonthly(ft: FineTuneAdvice, requests: number): number {
  return (requests * ft.costPer1k.fewShot) / 1000;
}

/** Fine-tuned cost per month at `requests`: training spread over the horizon, hosting, tuned requests; null with an unstated fee. */
export function tunedMonthly(ft: FineTuneAdvice, requests: number): number | null {
  if (ft.hostingPerMonth === null) return null;
  return ft.trainingCost / ft.horizonMonths + ft.hostingPerMonth + (requests * ft.costPer1k.tuned) / 1000;
}

/** "12,345", or "under 1" for a break-even below one request a month. */
export function formatRequests(requests: number): string {
  return requests > 0 && requests < 1 ? 'under 1' : formatCount(requests);
}

/** The break-even volume when there is one a log axis can show; else null. */
function breakEvenVolume(ft: FineTuneAdvice): number | null {
  if (ft.breakEven.kind !== 'volume') return null;
  const v = ft.breakEven.requestsPerMonth;
  return v > 0 && Number.isFinite(v) ? v : null;
}

/** The volumes the chart must show: the break-even and the stated volume. */
function markedVolumes(ft: FineTuneAdvice): number[] {
  const out: number[] = [];
  const be = breakEvenVolume(ft);
  if (be !== null) out.push(be);
  if (ft.atVolume && ft.atVolume.requestsPerMonth > 0) out.push(ft.atVolume.requestsPerMonth);
  return out;
}

/** The x range shared by the panels: 100 to 10M, widened to a decade of margin around every marked volume. */
export function volumeRange(blocks: readonly FineTuneAdvice[]): [number, number] {
  let [lo, hi] = DEFAULT_VOLUME_RANGE;
  for (const ft of blocks) {
    for (const v of markedVolumes(ft)) {
      lo = Math.min(lo, 10 ** (Math.floor(Math.log10(v)) - 1));
      hi = Math.max(hi, 10 ** (Math.ceil(Math.log10(v)) + 1));
    }
  }
  return [lo, hi];
}

/** The powers of ten from lo to hi. */
function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.ceil(Math.log10(lo) - 1e-9); e <= Math.floor(Math.log10(hi) + 1e-9); e++) out.push(10 ** e);
  return out;
}

/** `n` volumes evenly spaced on a log scale from lo to hi, ends included. */
export function logGrid(lo: number, hi: number, n: number = GRID_POINTS): number[] {
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? hi : 10 ** (a + ((b - a) * i) / (n - 1))));
}

/**
 * The chart's rows: per provider with a fine-tune block, the zero-shot line (omitted without a
 * zero-shot price, or when the recommended cell is zero-shot itself), the few-shot line and the
 * fine-tuned line (omitted when the tuned model's fee is unstated) sampled on a log grid of monthly
 * requests, which includes the break-even and the stated volume so the lines pass through the marks;
 * then the break-even point and the stated volume. Costs of zero cannot sit on a log axis and are
 * left out.
 */
export function fineTuneData(summary: RunSummary): FineTuneDatum[] {
  const blocks = fineTuneAdvice(summary);
  const [lo, hi] = volumeRange(blocks.map((b) => b.fineTune));
  const mid = Math.sqrt(lo * hi);
  const rows: FineTuneDatum[] = [];
  for (const { provider, fineTune: ft } of blocks) {
    const money = (x: number) => formatMoney(x, ft.currency);
    const grid = [...new Set([...logGrid(lo, hi), ...markedVolumes(ft)])].sort((a, b) => a - b);
    const lines: { series: FineTuneSeries; line: string; cost: (v: number) => number | null }[] = [];
    if (ft.costPer1k.zeroShot !== null && ft.fewShot.k !== 0) {
      const perRequest = ft.costPer1k.zeroShot / 1000;
      lines.push({ series: ZERO_SHOT_LINE, line: ZERO_SHOT_LINE, cost: (v) => v * perRequest });
    }
    lines.push({ series: FEW_SHOT_SERIES, line: fewShotLineName(ft), cost: (v) => fewShotMonthly(ft, v) });
    if (ft.hostingPerMonth !== null) lines.push({ series: TUNED_LINE, line: TUNED_LINE, cost: (v) => tunedMonthly(ft, v) });
    for (const l of lines) {
      for (const requests of grid) {
        const cost = l.cost(requests);
        if (cost === null || !(cost > 0) || !Number.isFinite(cost)) continue;
        rows.push({
          provider,
          kind: 'line',
          series: l.series,
          line: l.line,
          requests,
          cost,
          requestsText: formatRequests(requests),
          costText: `${money(cost)} per month`,
          align: 'left',
        });
      }
    }
    const side = (v: number): 'left' | 'right' => (v < mid ? 'left' : 'right');
    const v = breakEvenVolume(ft);
    if (v !== null) {
      const cost = fewShotMonthly(ft, v);
      if (cost > 0) {
        rows.push({
          provider,
          kind: 'break-even',
          series: null,
          line: `break-even: ${formatRequests(v)} requests/month`,
          requests: v,
          cost,
          requestsText: formatRequests(v),
          costText: `${money(cost)} per month either way`,
          align: side(v),
        });
      }
    }
    if (ft.atVolume && ft.atVolume.requestsPerMonth > 0) {
      const at = ft.atVolume;
      rows.push({
        provider,
        kind: 'volume',
        series: null,
        line: `at ${formatRequests(at.requestsPerMonth)} requests/month: ${at.cheaper} cheaper`,
        requests: at.requestsPerMonth,
        cost: null,
        requestsText: formatRequests(at.requestsPerMonth),
        costText: `fine-tuned ${money(at.tunedPerMonth)} vs few-shot ${money(at.fewShotPerMonth)} per month`,
        align: side(at.requestsPerMonth),
      });
    }
  }
  return rows;
}

/** "training spread over 6 months; prices from fine-tuning price table (as of 2025-10-01)", per provider when they differ. */
export function fineTuneBasis(summary: RunSummary): string {
  const blocks = fineTuneAdvice(summary);
  const basis = (ft: FineTuneAdvice) => `training spread over ${ft.horizonMonths} month${ft.horizonMonths === 1 ? '' : 's'}; prices from ${ft.source}`;
  const distinct = [...new Set(blocks.map((b) => basis(b.fineTune)))];
  if (distinct.length <= 1) return distinct[0] ?? '';
  return blocks.map((b) => `${b.provider}: ${basis(b.fineTune)}`).join('; ');
}

/** "assumed: <text>" or "measured: <text>" (the text alone when it starts with its kind already). */
export function accuracyStatement(ft: Pick<FineTuneAdvice, 'accuracy'>): string {
  const { kind, text } = ft.accuracy;
  return text.trim().toLowerCase().startsWith(kind) ? text.trim() : `${kind}: ${text.trim()}`;
}

/** The accuracy statements: "Tuned accuracy: assumed: ...", naming the provider when there are several. */
export function fineTuneAccuracyLines(summary: RunSummary): string[] {
  const blocks = fineTuneAdvice(summary);
  return blocks.map((b) => `Tuned accuracy${blocks.length > 1 ? ` (${b.provider})` : ''}: ${accuracyStatement(b.fineTune)}`);
}

/** The figure's caption: how to read it, the horizon, the price source and the accuracy assumption. */
export function fineTuneCaption(summary: RunSummary): string {
  const sentence = (s: string) => {
    const t = s.trim();
    return /[.!?]$/.test(t) ? t : `${t}.`;
  };
  return [
    'Monthly cost against monthly requests, both on log scales, per provider: zero-shot and the recommended few-shot cell on the base model, and the fine-tuned model at k=0 with its training spread over the horizon plus any hosting fee; the dot and dotted rule mark the break-even, the solid rule the stated volume.',
    sentence(`Costs assume ${fineTuneBasis(summary)}`),
    ...fineTuneAccuracyLines(summary).map(sentence),
  ].join(' ');
}

/** Split `text` at spaces into lines of at most `width` characters (a word longer than that stays whole). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

const tooltip = [
  { field: 'provider', type: 'nominal' as const, title: 'provider' },
  { field: 'line', type: 'nominal' as const, title: 'cost of' },
  { field: 'requestsText', type: 'nominal' as const, title: 'requests per month' },
  { field: 'costText', type: 'nominal' as const, title: 'cost' },
];

/**
 * Keep few-shot or fine-tune, priced: monthly cost against monthly requests (log-log), one panel per
 * provider with a fine-tune block (each with its own cost axis), three lines (zero-shot, the
 * recommended few-shot cell, the fine-tuned model at k=0), the break-even marked with a point and a
 * dotted rule, and the stated volume with a solid rule. Null when no advice has a fine-tune block.
 */
export function fineTuneCostSpec(summary: RunSummary): TopLevelSpec | null {
  const blocks = fineTuneAdvice(summary);
  if (blocks.length === 0) return null;
  const values = fineTuneData(summary);
  if (!values.some((v) => v.kind === 'line')) return null;
  const [lo, hi] = volumeRange(blocks.map((b) => b.fineTune));
  const providers = blocks.map((b) => b.provider);
  const currencies = [...new Set(blocks.map((b) => b.fineTune.currency))];
  const lineNames = [...new Set(values.filter((v) => v.kind === 'line').map((v) => v.line))];
  const seriesOf = (name: string) => values.find((v) => v.kind === 'line' && v.line === name)!.series!;
  // Zero-shot first, then the few-shot cells, then the tuned model; colours by series, so every few-shot cell is blue.
  const order: FineTuneSeries[] = [ZERO_SHOT_LINE, FEW_SHOT_SERIES, TUNED_LINE];
  const domain = [...lineNames].sort((a, b) => order.indexOf(seriesOf(a)) - order.indexOf(seriesOf(b)));
  const x = {
    field: 'requests',
    type: 'quantitative' as const,
    title: 'requests per month (log scale)',
    scale: { type: 'log' as const, domain: [lo, hi], nice: false },
    // Ticks and grid lines at the decades only: 100, 1k, 10k, ...
    axis: { values: decades(lo, hi), format: '~s', grid: true },
  };
  const marker = (kind: FineTuneDatum['kind'], align: 'left' | 'right', y: number) => ({
    transform: [{ filter: `datum.kind === '${kind}' && datum.align === '${align}'` }],
    mark: { type: 'text' as const, align, dx: align === 'left' ? 4 : -4, y, fontSize: 10, color: kind === 'volume' ? '#1f2328' : '#59636e' },
    encoding: { x, text: { field: 'line', type: 'nominal' as const }, tooltip },
  });
  const subtitle = [...wrap(fineTuneBasis(summary), 110), ...fineTuneAccuracyLines(summary).flatMap((l) => wrap(l, 110))];
  return {
    $schema: VEGA_LITE_SCHEMA,
    description: `Monthly cost of few-shot and fine-tuned requests vs volume for ${summary.experimentName} (${summary.runId})`,
    title: { text: 'Keep few-shot or fine-tune? Monthly cost vs volume', subtitle },
    data: { values },
    facet: { field: 'provider', type: 'nominal', title: null, sort: providers },
    columns: 2,
    spec: {
      width: 320,
      height: 220,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'line'" }],
          mark: { type: 'line', strokeWidth: 2 },
          encoding: {
            x,
            y: {
              field: 'cost',
              type: 'quantitative',
              title: `${currencies.length === 1 ? currencies[0] : 'cost'} per month (log scale)`,
              scale: { type: 'log' },
              axis: { format: ',.2~r', tickCount: 4 },
            },
            color: {
              field: 'line',
              type: 'nominal',
              title: 'monthly cost of',
              scale: { domain, range: domain.map((d) => SERIES_COLORS[seriesOf(d)]) },
            },
            tooltip,
          },
        },
        {
          transform: [{ filter: "datum.kind === 'break-even'" }],
          mark: { type: 'rule', strokeDash: [3, 3], color: '#59636e' },
          encoding: { x },
        },
        {
          // The line samples (invisible, for their tooltips) and the break-even dot in one layer: a
          // layer of its own would have no cost in a panel without a break-even (an infinite extent).
          transform: [{ filter: "datum.kind !== 'volume'" }],
          mark: { type: 'point', filled: true, color: '#1f2328' },
          encoding: {
            x,
            y: { field: 'cost', type: 'quantitative' },
            opacity: { condition: { test: "datum.kind === 'break-even'", value: 1 }, value: 0 },
            size: { condition: { test: "datum.kind === 'break-even'", value: 70 }, value: 50 },
            tooltip,
          },
        },
        {
          transform: [{ filter: "datum.kind === 'volume'" }],
          mark: { type: 'rule', strokeWidth: 1.5, color: '#1f2328' },
          encoding: { x, tooltip },
        },
        marker('break-even', 'left', 8),
        marker('break-even', 'right', 8),
        marker('volume', 'left', 22),
        marker('volume', 'right', 22),
      ],
    },
    resolve: { scale: { y: 'independent' } },
    config: CHART_CONFIG,
  };
}
