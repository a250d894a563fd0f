// The report's side of the fine-tune decision (issue 19): the finetune-cost chart (three lines, the
// break-even where the fine-tuned and few-shot lines meet, the stated volume), the verdict card's rows
// and the "Keep few-shot or fine-tune?" tables of summary.md and report.html, on hand-made advice
// whose break-even comes from the analysis' own arithmetic (src/analysis/break-even.ts).
import { describe, expect, it } from 'vitest';
import { breakEven, type BreakEvenInput } from '../src/analysis/break-even.js';
import type { Advice, FineTuneAdvice, RunSummary } from '../src/records/summary.js';
import type { TrialRecord } from '../src/records/trial.js';
import { buildReportCharts, compileChart, renderChartSvg, type ReportChart } from '../src/report/chart.js';
import { fineTuneData, FINETUNE_CHART_ID, TUNED_LINE, ZERO_SHOT_LINE, type FineTuneDatum } from '../src/report/charts/index.js';
import { renderWithMessages } from './chart-render.js';
import { renderReportHtml } from '../src/report/html.js';
import { renderSummaryMarkdown } from '../src/report/markdown.js';
import { fineTuneCardRows, fineTuneTableRows } from '../src/report/verdict.js';
import { runInfo, sweep } from './analysis-fixtures.js';
import { fixtureSummary } from './report-fixtures.js';

const SOURCE = 'fine-tuning price table (as of 2025-10-01)';
const ASSUMED = 'the tuned model at k=0 is taken to be as accurate as k=8 with similar until a tuned entry measures it';
const MEASURED = 'tuned at k=0 minus k=8 with similar: -1.0 points [-6.0, 4.0] over 120 items';

/** The four cases, one provider each. */
const BELOW = 'openai:gpt-4o-mini';
const ABOVE = 'openai:gpt-4o';
const NEVER = 'google:gemini-2.5-flash';
const UNKNOWN = 'anthropic:claude-3-haiku-20240307';

interface Case {
  trainingTokensPerEpoch: number;
  epochs: number;
  /** Per 1M training tokens. */
  trainingPrice: number;
  hostingPerMonth: number | null;
  costPer1k: FineTuneAdvice['costPer1k'];
  requestsPerMonth?: number;
  accuracy?: FineTuneAdvice['accuracy'];
  note?: string;
}

/** A fine-tune block as the analysis makes it: break-even and the stated volume from break-even.ts. */
function block(c: Case): FineTuneAdvice {
  const trainingTokens = c.trainingTokensPerEpoch * c.epochs;
  const trainingCost = (trainingTokens / 1_000_000) * c.trainingPrice;
  const input: BreakEvenInput = {
    trainingCost,
    hostingPerMonth: c.hostingPerMonth,
    horizonMonths: 6,
    fewShotPerRequest: c.costPer1k.fewShot / 1000,
    tunedPerRequest: c.costPer1k.tuned / 1000,
  };
  const be = breakEven(input);
  const ft: FineTuneAdvice = {
    source: SOURCE,
    currency: 'USD',
    ...(c.note !== undefined ? { note: c.note } : {}),
    examples: 120,
    minExamples: 10,
    recommendedExamples: 50,
    trainingTokensPerEpoch: c.trainingTokensPerEpoch,
    epochs: c.epochs,
    trainingTokens,
    trainingCost,
    hostingPerMonth: c.hostingPerMonth,
    horizonMonths: 6,
    costPer1k: c.costPer1k,
    fewShot: { selector: 'similar', k: 8 },
    breakEven: be.kind === 'volume' ? be : { kind: be.kind, reason: be.reason },
    accuracy: c.accuracy ?? { kind: 'assumed', text: ASSUMED },
  };
  if (c.requestsPerMonth !== undefined && c.hostingPerMonth !== null) {
    const v = c.requestsPerMonth;
    const fewShotPerMonth = (v * c.costPer1k.fewShot) / 1000;
    const tunedPerMonth = trainingCost / 6 + c.hostingPerMonth + (v * c.costPer1k.tuned) / 1000;
    ft.atVolume = { requestsPerMonth: v, cheaper: tunedPerMonth < fewShotPerMonth ? 'fine-tune' : 'few-shot', fewShotPerMonth, tunedPerMonth };
  }
  return ft;
}

/**
 * BELOW: $3 per 1M training tokens x 1.5M tokens = $4.50 over 6 months = $0.75 a month, no fee;
 * saving $0.30 - $0.10 = $0.20 per 1k requests: break-even 3,750 requests/month; at 1,000 few-shot is cheaper.
 * ABOVE: $60 training over 6 months + $100 hosting = $110 a month, saving $1.00 per 1k: 110,000
 * requests/month; at 1,000,000 fine-tuning is cheaper. Its accuracy is measured.
 * NEVER: a tuned request costs more than a few-shot one. UNKNOWN: a fee the price does not state.
 */
const CASES: Record<string, FineTuneAdvice> = {
  [BELOW]: block({
    trainingTokensPerEpoch: 500_000,
    epochs: 3,
    trainingPrice: 3,
    hostingPerMonth: 0,
    costPer1k: { tuned: 0.1, fewShot: 0.3, zeroShot: 0.05 },
    requestsPerMonth: 1_000,
    note: 'OpenAI supervised fine-tuning; no hosting fee',
  }),
  [ABOVE]: block({
    trainingTokensPerEpoch: 800_000,
    epochs: 3,
    trainingPrice: 25,
    hostingPerMonth: 100,
    costPer1k: { tuned: 0.5, fewShot: 1.5, zeroShot: 0.4 },
    requestsPerMonth: 1_000_000,
    accuracy: {
      kind: 'measured',
      text: MEASURED,
      comparison: {
        tuned: 'openai:ft-gpt-4o',
        base: ABOVE,
        baseSelector: 'similar',
        baseK: 8,
        difference: -0.01,
        ciLow: -0.06,
        ciHigh: 0.04,
        nItems: 120,
        tunedAccuracy: 0.8,
        baseAccuracy: 0.81,
      },
    },
  }),
  [NEVER]: block({
    trainingTokensPerEpoch: 400_000,
    epochs: 3,
    trainingPrice: 5,
    hostingPerMonth: 0,
    costPer1k: { tuned: 0.4, fewShot: 0.3, zeroShot: null },
  }),
  [UNKNOWN]: block({
    trainingTokensPerEpoch: 400_000,
    epochs: 2,
    trainingPrice: 3,
    hostingPerMonth: null,
    costPer1k: { tuned: 0.2, fewShot: 0.5, zeroShot: 0.1 },
    requestsPerMonth: 50_000,
  }),
};

function trials(): TrialRecord[] {
  return Object.keys(CASES).flatMap((provider) => sweep().map((t) => ({ ...t, provider, model: provider.split(':')[1]!, tokensIn: 100 + 50 * t.k })));
}

/** Four providers, each advice with its fine-tune block; `without` leaves every block out. */
function summary(without = false): RunSummary {
  const info = runInfo({ providers: Object.keys(CASES).map((id) => ({ id, status: 'ran' as const })) });
  const s = fixtureSummary(trials(), info, { labels: { random: 'plateau', similar: 'plateau' }, requestsPerMonth: 20_000 });
  if (without) return s;
  return { ...s, advice: s.advice.map((a): Advice => ({ ...a, fineTune: CASES[a.provider]! })) };
}

const chartOf = (charts: readonly ReportChart[]) => charts.find((c) => c.id === FINETUNE_CHART_ID);
const lineRows = (rows: readonly FineTuneDatum[], provider: string) => rows.filter((r) => r.provider === provider && r.kind === 'line');
const at = (rows: readonly FineTuneDatum[], provider: string, series: string, requests: number) =>
  rows.find((r) => r.provider === provider && r.kind === 'line' && r.series === series && r.requests === requests)?.cost;

async function render(chart: ReportChart) {
  const { svg, messages } = await renderWithMessages(chart);
  return { svg, messages };
}

describe('the finetune-cost chart', () => {
  const s = summary();
  const charts = buildReportCharts(s);
  const chart = chartOf(charts)!;
  const rows = fineTuneData(s);

  it('is there only when some advice has a fine-tune block', () => {
    expect(chart).toBeDefined();
    expect(chart.section).toBe('operations');
    expect(chartOf(buildReportCharts(summary(true)))).toBeUndefined();
    const values = (chart.vegaLite as unknown as { data: { values: FineTuneDatum[] } }).data.values;
    expect(values).toEqual(rows);
  });

  it('draws three lines per provider: zero-shot, the few-shot cell and the tuned model at k=0', () => {
    const names = (p: string) => [...new Set(lineRows(rows, p).map((r) => r.line))];
    expect(names(BELOW)).toEqual([ZERO_SHOT_LINE, 'few-shot k=8 similar', TUNED_LINE]);
    expect(names(ABOVE)).toEqual([ZERO_SHOT_LINE, 'few-shot k=8 similar', TUNED_LINE]);
    // No zero-shot price: no zero-shot line. A fee the price does not state: no tuned line.
    expect(names(NEVER)).toEqual(['few-shot k=8 similar', TUNED_LINE]);
    expect(names(UNKNOWN)).toEqual([ZERO_SHOT_LINE, 'few-shot k=8 similar']);
    // Each line sampled on a log grid of at least 50 points from 100 to 10M requests a month.
    const xs = [
      ...new Set(
        lineRows(rows, BELOW)
          .filter((r) => r.series === TUNED_LINE)
          .map((r) => r.requests),
      ),
    ];
    expect(xs.length).toBeGreaterThanOrEqual(50);
    expect(Math.min(...xs)).toBeCloseTo(100, 8);
    expect(Math.max(...xs)).toBeCloseTo(10_000_000, 0);
    // The few-shot line is V x cost per 1k / 1000; the tuned one adds training / horizon and hosting.
    expect(at(rows, BELOW, 'few-shot', 1_000)).toBeCloseTo(0.3, 12);
    expect(at(rows, BELOW, TUNED_LINE, 1_000)).toBeCloseTo(0.75 + 0.1, 12);
    expect(at(rows, ABOVE, TUNED_LINE, 1_000_000)).toBeCloseTo(60 / 6 + 100 + 500, 9);
  });

  it('marks the break-even where the fine-tuned and few-shot lines meet (within 1%), and the stated volume', () => {
    for (const [provider, volume] of [
      [BELOW, 3_750],
      [ABOVE, 110_000],
    ] as const) {
      const marks = rows.filter((r) => r.provider === provider && r.kind === 'break-even');
      expect(marks).toHaveLength(1);
      const mark = marks[0]!;
      expect(mark.requests).toBeCloseTo(volume, 6);
      expect(mark.line).toBe(`break-even: ${volume.toLocaleString('en-US')} requests/month`);
      const fewShot = at(rows, provider, 'few-shot', mark.requests)!;
      const tuned = at(rows, provider, TUNED_LINE, mark.requests)!;
      expect(Math.abs(tuned - fewShot) / fewShot).toBeLessThan(0.01);
      expect(Math.abs(mark.cost! - fewShot) / fewShot).toBeLessThan(0.01);
      // Fine-tuning costs more below the break-even and less above it.
      for (const r of lineRows(rows, provider).filter((x) => x.series === TUNED_LINE)) {
        const f = at(rows, provider, 'few-shot', r.requests)!;
        if (r.requests < mark.requests * 0.99) expect(r.cost!).toBeGreaterThan(f);
        if (r.requests > mark.requests * 1.01) expect(r.cost!).toBeLessThan(f);
      }
    }
    // In advice order (providers sorted).
    expect(rows.filter((r) => r.kind === 'volume').map((r) => [r.provider, r.requests, r.line])).toEqual([
      [ABOVE, 1_000_000, 'at 1,000,000 requests/month: fine-tune cheaper'],
      [BELOW, 1_000, 'at 1,000 requests/month: few-shot cheaper'],
    ]);
    // never and unknown: no break-even to mark; never's tuned line stays above the few-shot one.
    expect(rows.filter((r) => r.kind === 'break-even').map((r) => r.provider)).toEqual([ABOVE, BELOW]);
    for (const r of lineRows(rows, NEVER).filter((x) => x.series === TUNED_LINE)) {
      expect(r.cost!).toBeGreaterThan(at(rows, NEVER, 'few-shot', r.requests)!);
    }
  });

  it('widens the volume axis to a decade either side of a far break-even', () => {
    const far = summary();
    far.advice = far.advice.map((a) =>
      a.provider === BELOW ? { ...a, fineTune: { ...a.fineTune!, breakEven: { kind: 'volume', requestsPerMonth: 3e8 } } } : a,
    );
    const xs = fineTuneData(far).map((r) => r.requests);
    expect(Math.max(...xs)).toBeCloseTo(1e10, -2);
    expect(Math.min(...xs)).toBeCloseTo(100, 8);
    const spec = chartOf(buildReportCharts(far))!.vegaLite as unknown as { spec: { layer: { encoding: { x: { scale: { domain: number[] } } } }[] } };
    expect(spec.spec.layer[0]!.encoding.x.scale.domain).toEqual([100, 1e10]);
  });

  it('says the horizon, the price source and the accuracy assumption in its caption and subtitle', () => {
    expect(chart.description).toContain('training spread over 6 months; prices from fine-tuning price table (as of 2025-10-01)');
    expect(chart.description).toContain(`Tuned accuracy (${BELOW}): assumed: ${ASSUMED}.`);
    expect(chart.description).toContain(`Tuned accuracy (${ABOVE}): measured: ${MEASURED}.`);
    expect(chart.description).toMatch(/^[A-Z].*\.$/);
    expect(chart.description).not.toMatch(/[<>]/);
    const subtitle = (chart.vegaLite as { title: { subtitle: string[] } }).title.subtitle.join(' ');
    expect(subtitle).toContain('training spread over 6 months; prices from fine-tuning price table (as of 2025-10-01)');
    expect(subtitle).toContain(`Tuned accuracy (${BELOW}): assumed: ${ASSUMED}`);
  });

  it('compiles without warnings and renders to SVG in Node with the CSP-safe interpreter', async () => {
    const { vega, warnings } = compileChart(chart.vegaLite);
    expect(warnings).toEqual([]);
    expect(chart.vega).toEqual(vega);
    const { svg, messages } = await render(chart);
    expect(messages).toEqual([]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('<path');
    expect(svg).toContain('Keep few-shot or fine-tune? Monthly cost vs volume');
    expect(svg).toContain('break-even: 3,750 requests/month');
    expect(svg).toContain('at 1,000,000 requests/month: fine-tune cheaper');
    expect(svg).toContain('few-shot k=8 similar');
    expect(await renderChartSvg(chart)).toBe(svg);
  });
});

describe('the fine-tune rows of the verdict and the tables', () => {
  const s = summary();
  const advice = (p: string) => s.advice.find((a) => a.provider === p)!;
  const md = renderSummaryMarkdown(s);

  it('fills the verdict card: training, tuned vs few-shot per 1k, break-even, the stated volume, accuracy', () => {
    const card = (p: string) => fineTuneCardRows(advice(p)).map((r) => `${r.what}: ${r.value}`);
    expect(card(BELOW)).toEqual([
      'fine-tune: training: $4.50 for 1,500,000 tokens (3 epochs)',
      'fine-tuned per 1k requests (k=0): $0.10 (few-shot k=8 similar: $0.30)',
      'break-even: 3,750 requests/month over 6 months',
      'at 1,000 requests/month: few-shot cheaper (fine-tuned $0.85 vs few-shot $0.30 per month)',
      `tuned accuracy: assumed: ${ASSUMED}`,
    ]);
    expect(card(ABOVE)).toContain('fine-tuned hosting per month: $100.00');
    expect(card(ABOVE)).toContain('at 1,000,000 requests/month: fine-tune cheaper (fine-tuned $610.00 vs few-shot $1,500 per month)');
    expect(card(NEVER)).toContain('break-even: never: a tuned request costs as much as a few-shot one or more, so no volume pays the training back');
    expect(card(UNKNOWN)).toContain('fine-tuned hosting per month: a fee the price does not state');
    expect(card(UNKNOWN)).toContain('break-even: unknown: the tuned model has a hosting fee the price table does not state');
    expect(fineTuneCardRows(summary(true).advice[0]!)).toEqual([]);
    expect(fineTuneTableRows(summary(true).advice[0]!)).toEqual([]);
  });

  it('puts a "Keep few-shot or fine-tune?" table in summary.md per provider with a fine-tune block', () => {
    const table = (p: string) => {
      const from = md.indexOf('| Keep few-shot or fine-tune? | |', md.indexOf(`### ${p}:`));
      return md.slice(from, md.indexOf('\n\n', from));
    };
    console.log(`summary.md, below the break-even (${BELOW}):\n${table(BELOW)}\n\nabove it (${ABOVE}):\n${table(ABOVE)}`);
    expect(table(BELOW).split('\n')).toEqual([
      '| Keep few-shot or fine-tune? | |',
      '| --- | --- |',
      '| training examples (the pool) | 120 (minimum 10, recommended 50) |',
      '| training tokens | 1,500,000 (500,000 per epoch × 3 epochs) |',
      '| training cost | $4.50 once ($0.75 a month over 6 months) |',
      '| hosting per month | $0 |',
      '| per 1k requests: zero-shot (base model) | $0.050 |',
      '| per 1k requests: few-shot k=8 similar (recommended) | $0.30 |',
      '| per 1k requests: fine-tuned at k=0 | $0.10 |',
      '| break-even | 3,750 requests/month over 6 months |',
      '| at 1,000 requests/month | few-shot cheaper (fine-tuned $0.85 vs few-shot $0.30 per month) |',
      '| fine-tuning prices | fine-tuning price table (as of 2025-10-01); OpenAI supervised fine-tuning; no hosting fee |',
      `| tuned accuracy | assumed: ${ASSUMED} |`,
    ]);
    expect(table(ABOVE).split('\n')).toEqual([
      '| Keep few-shot or fine-tune? | |',
      '| --- | --- |',
      '| training examples (the pool) | 120 (minimum 10, recommended 50) |',
      '| training tokens | 2,400,000 (800,000 per epoch × 3 epochs) |',
      '| training cost | $60.00 once ($10.00 a month over 6 months) |',
      '| hosting per month | $100.00 |',
      '| per 1k requests: zero-shot (base model) | $0.40 |',
      '| per 1k requests: few-shot k=8 similar (recommended) | $1.50 |',
      '| per 1k requests: fine-tuned at k=0 | $0.50 |',
      '| break-even | 110,000 requests/month over 6 months |',
      '| at 1,000,000 requests/month | fine-tune cheaper (fine-tuned $610.00 vs few-shot $1,500 per month) |',
      '| fine-tuning prices | fine-tuning price table (as of 2025-10-01) |',
      `| tuned accuracy | measured: ${MEASURED} |`,
    ]);
    expect(table(NEVER)).toContain('| per 1k requests: zero-shot (base model) | no price |');
    expect(table(NEVER)).toContain('| break-even | never: a tuned request costs as much as a few-shot one or more, so no volume pays the training back |');
    expect(table(UNKNOWN)).toContain('| hosting per month | a fee the price does not state |');
    expect(table(UNKNOWN)).toContain('| break-even | unknown: the tuned model has a hosting fee the price table does not state |');
    expect(table(UNKNOWN)).not.toContain('requests/month |');
    expect(renderSummaryMarkdown(summary(true))).not.toContain('Keep few-shot or fine-tune?');
  });

  it('shows the rows in the verdict cards of report.html, and the tables with the chart in the verdict section', () => {
    const html = renderReportHtml(s, runInfo());
    const verdict = html.slice(html.indexOf('<section id="verdict">'), html.indexOf('</section>', html.indexOf('<section id="verdict">')));
    const card = verdict.slice(verdict.indexOf(`data-provider="${BELOW}"`), verdict.indexOf('</article>', verdict.indexOf(`data-provider="${BELOW}"`)));
    expect(card).toContain('<table class="finetune">');
    expect(card).toContain('<th scope="row">break-even</th><td>3,750 requests/month over 6 months</td>');
    expect(card).toContain('<th scope="row">fine-tuned per 1k requests (k=0)</th><td>$0.10 (few-shot k=8 similar: $0.30)</td>');
    expect(card).toContain('<th scope="row">at 1,000 requests/month</th><td>few-shot cheaper (fine-tuned $0.85 vs few-shot $0.30 per month)</td>');
    expect(verdict).toContain(`<h3>Keep few-shot or fine-tune? <span class="muted">${ABOVE}</span></h3>`);
    expect(verdict).toContain('<th scope="row">training tokens</th><td class="wrap">2,400,000 (800,000 per epoch × 3 epochs)</td>');
    expect(verdict).toContain(`<figure class="chart" data-chart="${FINETUNE_CHART_ID}">`);
    // Drawn once, in the verdict section, and its data shipped to the page.
    expect(html.split(`data-chart="${FINETUNE_CHART_ID}"`)).toHaveLength(2);
    expect(html).toContain(`"id":"${FINETUNE_CHART_ID}"`);
    const plain = renderReportHtml(summary(true), runInfo());
    expect(plain).not.toContain('Keep few-shot or fine-tune? <span');
    expect(plain).not.toContain('class="finetune"');
  });
});
