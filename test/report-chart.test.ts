import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import * as vega from 'vega';
import { afterEach, describe, expect, it } from 'vitest';
import { costPerRequest, type PriceTable } from '../src/config/prices.js';
import type { RunSummary } from '../src/records/summary.js';
import type { TrialRecord } from '../src/records/trial.js';
import { buildReportCharts, compileChart, renderChartSvg, writeChartFiles, type ReportChart } from '../src/report/chart.js';
import { renderWithMessages } from './chart-render.js';
import {
  ANSWERED,
  cacheData,
  costData,
  curveData,
  END_TO_END,
  failureData,
  latencyData,
  PROMPT_CACHE,
  RESPONSE_CACHE,
  selectorDifferences,
  tokenData,
} from '../src/report/charts/index.js';
import { providerSlugs, slug } from '../src/report/charts/common.js';
import { packageDir } from '../src/report/assets.js';
import { runInfo, sweep, trial } from './analysis-fixtures.js';
import { localSelectorTests, OPENAI, twoProviderSummary } from './chart-fixtures.js';
import { fixtureSummary } from './report-fixtures.js';

const summarize = (trials: readonly TrialRecord[], labels: Parameters<typeof fixtureSummary>[2] = {}): RunSummary => fixtureSummary(trials, runInfo(), labels);

interface Scene {
  marktype?: string;
  name?: string;
  items?: Scene[];
  datum?: Record<string, unknown>;
  tooltip?: Record<string, unknown>;
  fill?: string;
  stroke?: string;
  strokeDash?: number[] | string;
  shape?: string;
}

/** Every item of the rendered scenegraph (marks and their items). */
function sceneItems(root: Scene): Scene[] {
  const out: Scene[] = [];
  const walk = (n: Scene) => {
    out.push(n);
    for (const i of n.items ?? []) walk(i);
  };
  walk(root);
  return out;
}

/** Render with the CSP-safe interpreter and a logger that keeps vega's errors and warnings. */
async function run(chart: ReportChart) {
  const { view, svg, messages } = await renderWithMessages(chart);
  return { view, svg, messages, items: sceneItems((view.scenegraph() as unknown as { root: Scene }).root) };
}

type Layer = { mark: { type: string } | string; data?: { values: Record<string, unknown>[] }; encoding?: Record<string, Record<string, unknown>> };
const layersOf = (c: ReportChart) => (c.vegaLite as unknown as { layer: Layer[] }).layer;
const markType = (l: Layer) => (typeof l.mark === 'string' ? l.mark : l.mark.type);
const byId = (charts: readonly ReportChart[], id: string) => {
  const c = charts.find((x) => x.id === id);
  if (!c) throw new Error(`no chart ${id} among ${charts.map((x) => x.id).join(', ')}`);
  return c;
};

describe('buildReportCharts', () => {
  const summary = twoProviderSummary();
  const charts = buildReportCharts(summary);

  it('gives the expected charts for two providers with two selectors, in page order', () => {
    expect(charts.map((c) => [c.id, c.section])).toEqual([
      ['curves-local', 'curves'],
      [`curves-openai-gpt-4o-mini`, 'curves'],
      ['selectors-local', 'selection'],
      ['failures', 'operations'],
      ['latency', 'operations'],
      ['tokens-cost', 'operations'],
      ['cache', 'operations'],
    ]);
    for (const c of charts) {
      expect(c.title).not.toMatch(/[<>&]/);
      expect(c.description).not.toMatch(/[<>]/);
      expect(c.description).toMatch(/^[A-Z].*\.$/);
      expect(c.id).toMatch(/^[a-z0-9][a-z0-9._-]*$/);
    }
  });

  it('is deterministic and ships the Vega compiled from the Vega-Lite, without compile warnings', () => {
    expect(JSON.stringify(buildReportCharts(summary))).toBe(JSON.stringify(charts));
    for (const c of charts) {
      const { vega: compiled, warnings } = compileChart(c.vegaLite);
      expect(warnings, c.id).toEqual([]);
      expect(c.vega).toEqual(compiled);
      expect(c.vega.$schema).toMatch(/vega\/v\d+\.json$/);
      expect(JSON.stringify(c.vegaLite)).not.toMatch(/"url"/);
    }
  });

  it('renders every chart to SVG in Node with the CSP-safe interpreter: marks, no errors', async () => {
    for (const c of charts) {
      const { svg, messages, items } = await run(c);
      expect(messages, c.id).toEqual([]);
      expect(svg.startsWith('<svg'), c.id).toBe(true);
      expect(svg, c.id).toContain('<path');
      // The chart's own title is drawn into the SVG, and data marks were built.
      const heading = (c.vegaLite as { title: { text: string } }).title.text;
      expect(svg, c.id).toContain(heading.replace(/&/g, '&amp;'));
      expect(items.filter((i) => i.datum && !('value' in i.datum)).length, c.id).toBeGreaterThan(0);
      // renderChartSvg gives the same picture.
      expect(await renderChartSvg(c)).toBe(svg);
    }
  });

  it('gives no charts for an empty run', () => {
    expect(buildReportCharts(summarize([]))).toEqual([]);
  });

  it('draws a k = 0-only sweep', async () => {
    const s = summarize([trial({ selector: 'none', k: 0 }), trial({ selector: 'none', k: 0, itemId: 'b', score: 0 })]);
    const cs = buildReportCharts(s);
    expect(cs.map((c) => c.id)).toEqual(['curves-local', 'failures', 'latency', 'tokens-cost', 'cache']);
    for (const c of cs) {
      const { svg, messages } = await run(c);
      expect(messages, c.id).toEqual([]);
      expect(svg).toContain('<path');
    }
  });

  it('gives each provider a unique, file-name safe id', () => {
    expect(slug('openai:gpt-4o-mini')).toBe('openai-gpt-4o-mini');
    expect(slug('openai-compatible:http://x/v1 Qwen')).toBe('openai-compatible-http-x-v1-qwen');
    expect(slug('::')).toBe('provider');
    expect([...providerSlugs(['a:b', 'a-b', 'A/B']).values()]).toEqual(['a-b', 'a-b-2', 'a-b-3']);
  });
});

describe('curves chart', () => {
  const summary = twoProviderSummary();
  const charts = buildReportCharts(summary);
  const local = byId(charts, 'curves-local');
  const openai = byId(charts, 'curves-openai-gpt-4o-mini');

  it('has the interval band, the answered line and the dashed end-to-end line', () => {
    const layers = layersOf(local);
    const band = layers.find((l) => markType(l) === 'area')!;
    expect(band.encoding!.y).toMatchObject({ field: 'ciLow' });
    expect(band.encoding!.y2).toMatchObject({ field: 'ciHigh' });
    const lines = layers.filter((l) => markType(l) === 'line');
    expect(lines.map((l) => [l.encoding!.y!.field, l.encoding!.strokeDash!.datum])).toEqual([
      ['accuracy', ANSWERED],
      ['endToEnd', END_TO_END],
    ]);
    const dash = lines[1]!.encoding!.strokeDash!.scale as { domain: string[]; range: number[][] };
    expect(dash.range[dash.domain.indexOf(END_TO_END)]).toEqual([6, 3]);
  });

  it('carries one row per curve point with its interval, n and the end-to-end accuracy', () => {
    const values = (local.vegaLite as { data: { values: unknown[] } }).data.values;
    const curves = summary.curves.filter((c) => c.provider === 'local');
    expect(values).toEqual(curveData(curves));
    // The shared zero-shot point belongs to both selectors' curves.
    expect(values.filter((v) => (v as { k: number }).k === 0)).toHaveLength(2);
    const row = curveData(curves).find((r) => r.selector === 'random' && r.k === 2)!;
    const point = curves.find((c) => c.selector === 'random')!.points.find((p) => p.k === 2)!;
    expect(row).toMatchObject({
      series: 'random — plateau',
      accuracy: point.accuracy,
      ciLow: point.ciLow,
      ciHigh: point.ciHigh,
      endToEnd: point.accuracyEndToEnd,
      nScoredItems: 3,
      nTrials: 6,
    });
    expect(row.interval).toBe('66.7% [20.8, 93.9] n=3');
    // local/similar at k = 2 has a parse failure: it counts wrong in accuracy (no provider failure, so
    // accuracy is the end-to-end figure), and the accuracy among parsed replies is shown beside it.
    const failing = curveData(curves).find((r) => r.selector === 'similar' && r.k === 2)!;
    expect(failing.failureRate).toBeCloseTo(1 / 7);
    expect(failing.endToEnd!).toBeCloseTo(failing.accuracy!, 12);
    const failingPoint = curves.find((c) => c.selector === 'similar')!.points.find((p) => p.k === 2)!;
    expect(failingPoint.parsedAccuracy!).toBeGreaterThan(failingPoint.accuracy!);
    expect(failing.parsedInterval).toMatch(/n=3$/);
  });

  it('marks the knee where kneeK is set and the peak where peakK is set, and nothing else', async () => {
    const localCurves = summary.curves.filter((c) => c.provider === 'local');
    expect(localCurves.map((c) => [c.selector, c.kneeK, c.peakK])).toEqual([
      ['random', 1, null],
      ['similar', null, null],
    ]);
    const rules = layersOf(local).filter((l) => markType(l) === 'rule');
    expect(rules).toHaveLength(1);
    expect(rules[0]!.data!.values).toEqual([expect.objectContaining({ selector: 'random', kind: 'knee', k: 1, text: 'knee k=1' })]);
    const { svg } = await run(local);
    expect(svg).toContain('knee k=1');
    expect(svg).not.toContain('peak k=');

    const o = await run(openai);
    expect(o.svg).toContain('peak k=8');
    expect(o.svg).not.toContain('knee k=');

    const unmarked = buildReportCharts(summarize(sweep(), { labels: { random: 'inconclusive', similar: 'improving' } }));
    const plain = byId(unmarked, 'curves-local');
    expect(layersOf(plain).filter((l) => markType(l) === 'rule')).toEqual([]);
    expect((await run(plain)).svg).not.toMatch(/knee k=|peak k=/);
  });

  it('names each series with its curve label, in the legend and beside the curve', async () => {
    const { svg } = await run(local);
    expect(svg).toContain('random — plateau');
    expect(svg).toContain('similar — improving');
    const badges = layersOf(local).filter((l) => markType(l) === 'text' && l.encoding!.text!.field === 'label');
    expect(badges[0]!.data!.values.map((b) => [b.selector, b.label, b.k])).toEqual([
      ['random', 'plateau', 8],
      ['similar', 'improving', 8],
    ]);
  });

  it('puts k on a symlog scale with ticks at exactly the swept k values', async () => {
    const { view } = await run(local);
    const x = view.scale('x') as unknown as { type: string; domain(): number[] };
    expect(x.type).toBe('symlog');
    const shared = (local.vegaLite as unknown as { encoding: Record<string, unknown> }).encoding;
    expect(shared.x).toMatchObject({ scale: { type: 'symlog', constant: 1 }, axis: { values: [0, 1, 2, 8] } });
    expect(view.scale('y').domain()).toEqual([0, 1]);
  });

  it("keeps a selector's colour across providers and charts", async () => {
    const colorOf = async (c: ReportChart, selector: string) => {
      const { items } = await run(c);
      return items.find((i) => i.datum?.selector === selector && i.fill && i.fill !== 'white' && i.datum?.k === 2)?.fill;
    };
    const random = await colorOf(local, 'random');
    expect(random).toMatch(/^#/);
    expect(await colorOf(openai, 'random')).toBe(random);
    expect(await colorOf(local, 'similar')).not.toBe(random);
  });

  it('puts n and the interval in the tooltips, evaluated by the interpreter', async () => {
    const { items } = await run(local);
    const tips = items.filter((i) => i.tooltip).map((i) => i.tooltip!);
    // Vega formats every tooltip value as text.
    const tip = tips.find((t) => t['selector — label'] === 'random — plateau' && t['k (shots)'] === '2' && 'accuracy (answer failures count wrong)' in t);
    expect(tip).toEqual({
      'selector — label': 'random — plateau',
      'k (shots)': '2',
      cell: 'random',
      'accuracy (answer failures count wrong)': '66.7%',
      'accuracy [95% interval] n items': '66.7% [20.8, 93.9] n=3',
      'n (items the model answered)': '3',
      'among parsed replies [95% interval] n': '66.7% [20.8, 93.9] n=3',
      items: '3',
      trials: '6',
      'failure rate': '0.0%',
      'end to end [95% interval] n items': '66.7% [20.8, 93.9] n=3',
    });
    const e2e = tips.find(
      (t) => t['selector — label'] === 'similar — improving' && t['k (shots)'] === '2' && 'end to end: accuracy [95% interval] n items' in t,
    );
    expect(e2e!['failure rate (all counted wrong here)']).toBe('14.3%');
  });
});

describe('selection chart', () => {
  const summary = twoProviderSummary();
  const charts = buildReportCharts(summary);

  it('orients every difference as other - best and turns a stored best - other test around', () => {
    const { rows, best } = selectorDifferences(summary, 'local');
    expect(best.map((b) => [b.k, b.best])).toEqual([
      [1, 'similar'],
      [2, 'similar'],
      [8, 'similar'],
    ]);
    expect(rows.map((r) => [r.k, r.selector, r.best, r.estimate, r.ciLow, r.ciHigh, r.flipped, r.significant])).toEqual([
      [1, 'random', 'similar', -0.2, -0.45, 0.05, false, false],
      [2, 'random', 'similar', -0.15, -0.34, 0.04, true, false],
      [8, 'random', 'similar', -0.25, -0.4, -0.1, false, true],
    ]);
    expect(rows[1]!.difference).toBe('-15.0 points [-34.0, 4.0]');
    expect(rows[2]).toMatchObject({ nItems: 3, pAdjusted: 0.004 });
  });

  it('takes the best selector from the accuracies, whichever way the test is stored', () => {
    // random beats similar at k = 2 here, so the k = 2 test (stored random -> similar) is used as stored.
    const s = twoProviderSummary();
    const curve = s.curves.find((c) => c.provider === 'local' && c.selector === 'random')!;
    curve.points.find((p) => p.k === 2)!.accuracy = 0.99;
    const k2 = selectorDifferences(s, 'local').rows.find((r) => r.k === 2)!;
    expect(k2).toMatchObject({ selector: 'similar', best: 'random', estimate: 0.15, ciLow: -0.04, ciHigh: 0.34, flipped: false });
  });

  it('fills significant points and leaves the others hollow, around a zero rule', async () => {
    const chart = byId(charts, 'selectors-local');
    const { items, svg } = await run(chart);
    const points = items.filter((i) => i.datum && 'estimate' in i.datum && i.shape === 'circle');
    expect(points).toHaveLength(3);
    const at = (k: number) => points.find((p) => p.datum!.k === k)!;
    expect(at(1).fill).toBe('white');
    expect(at(2).fill).toBe('white');
    expect(at(8).fill).not.toBe('white');
    // Same colour: the hollow points' outline and the filled point's fill are the selector's.
    expect(at(8).fill).toBe(at(1).stroke);
    expect(at(8).fill).toMatch(/^#/);
    expect(layersOf(chart)[0]!.data!.values).toEqual([{ zero: 0 }]);
    expect(svg).toContain('best: similar');
    const tipAt = (k: number) => items.find((i) => i.tooltip && i.tooltip['k (shots)'] === k)!.tooltip!;
    expect(tipAt(2)).toEqual({
      selector: 'random',
      'against the best at this k': 'similar',
      'k (shots)': 2,
      'difference (selector - best) [95% interval]': '-15.0 points [-34.0, 4.0]',
      'n (paired items)': '3',
      'adjusted p (Holm)': '0.2',
      significance: 'not significant',
      test: 'sign-flip-monte-carlo',
    });
    expect(tipAt(8)).toMatchObject({ 'adjusted p (Holm)': '0.004', significance: 'significant' });
  });

  it('gives no chart without selector tests', () => {
    const none = buildReportCharts(twoProviderSummary([]));
    expect(none.some((c) => c.section === 'selection')).toBe(false);
    expect(
      buildReportCharts(summary)
        .filter((c) => c.section === 'selection')
        .map((c) => c.id),
    ).toEqual(['selectors-local']);
    // Tests across k only: nothing to plot either.
    const acrossK = twoProviderSummary([
      {
        provider: 'local',
        label: 'stable',
        detail: '',
        k: null,
        gainSelector: null,
        lossSelector: null,
        checks: [],
        selectorTests: localSelectorTests().slice(3),
      },
    ]);
    expect(buildReportCharts(acrossK).some((c) => c.section === 'selection')).toBe(false);
  });
});

describe('operations charts', () => {
  const summary = twoProviderSummary();

  it("failures: each kind's share of the cell's trials, with the provider errors by kind", () => {
    const rows = failureData(summary);
    const at = (provider: string, selector: string, k: number, kind: string) =>
      rows.find((r) => r.provider === provider && r.selector === selector && r.k === k && r.kind === kind)!;
    expect(at(OPENAI, 'random', 8, 'provider error')).toMatchObject({ share: 1 / 8, count: 1, nTrials: 8, ofTrials: '1 of 8 trials', errorKinds: 'timeout 1' });
    expect(at(OPENAI, 'random', 8, 'truncated output')).toMatchObject({ share: 1 / 8, errorKinds: '—' });
    expect(at('local', 'similar', 2, 'parse failure')).toMatchObject({ count: 1, nTrials: 7 });
    expect(at('local', 'random', 2, 'parse failure').share).toBe(0);
    // The zero-shot cell is in every selector's panel.
    expect(rows.filter((r) => r.provider === 'local' && r.k === 0 && r.kind === 'empty output').map((r) => r.selector)).toEqual(['random', 'similar']);
  });

  it('latency: the mean of the calls that returned, with their n', () => {
    const rows = latencyData(summary);
    expect(rows.find((r) => r.provider === 'local' && r.selector === 'random' && r.k === 8)).toMatchObject({ latencyMs: 80, nCalls: 6 });
    // The provider error (5000 ms) is not in the mean; the truncated call (50 ms) is.
    expect(rows.find((r) => r.provider === OPENAI && r.selector === 'random' && r.k === 8)).toMatchObject({
      latencyMs: (6 * 640 + 50) / 7,
      nCalls: 7,
      nTrials: 8,
    });
  });

  it("tokens and cost: the advice's price function and price table, cached tokens at the cached price", () => {
    const tokens = tokenData(summary);
    expect(tokens.find((r) => r.provider === OPENAI && r.selector === 'similar' && r.k === 1 && r.direction === 'prompt (in)')).toMatchObject({
      tokens: 180,
      cachedTokens: 60,
      nCalls: 6,
    });
    const costs = costData(summary);
    const cell = costs.find((r) => r.provider === OPENAI && r.selector === 'similar' && r.k === 1)!;
    // gpt-4o-mini: $0.15 in, $0.075 cached in, $0.60 out per 1M: (120 x 0.15 + 60 x 0.075 + 12 x 0.6) / 1M x 1000.
    expect(cell.costPer1k).toBeCloseTo(0.0297, 10);
    expect(cell.cost).toBe('$0.030');
    expect(cell.priceSource).toMatch(/^price table/);
    // local is priced at zero in the table: no cost curve for it.
    expect(costs.some((r) => r.provider === 'local')).toBe(false);
    // Same number as the advice for the cell it recommends.
    const advice = summary.advice.find((a) => a.provider === OPENAI)!;
    const recommended = costs.find((r) => r.provider === OPENAI && r.k === advice.k && (r.k === 0 || r.selector === advice.selector))!;
    expect(recommended.costPer1k).toBeCloseTo(advice.costPer1k!.recommended!, 12);
  });

  it('tokens and cost: a price from the experiment needs the overrides; a given price table wins', () => {
    const s = twoProviderSummary();
    s.advice.find((a) => a.provider === OPENAI)!.priceSource = 'experiment';
    expect(costData(s).some((r) => r.provider === OPENAI)).toBe(false);
    const override = { [OPENAI]: { input: 1, output: 2 } };
    const withOverride = costData(s, { priceOverrides: override }).find((r) => r.provider === OPENAI && r.selector === 'similar' && r.k === 1)!;
    expect(withOverride.costPer1k).toBeCloseTo(costPerRequest(override[OPENAI], 180, 12, 60) * 1000, 12);
    expect(withOverride.priceSource).toBe('experiment');

    const table: PriceTable = { currency: 'EUR', unit: 'per 1M tokens', asOf: '2025-01-01', source: 'test', models: { [OPENAI]: { input: 10, output: 10 } } };
    const eur = costData(summary, { priceTable: table }).find((r) => r.provider === OPENAI && r.selector === 'similar' && r.k === 1)!;
    expect(eur.costPer1k).toBeCloseTo(((180 + 12) * 10 * 1000) / 1e6, 12);
    expect(eur.cost).toBe('1.92 EUR');
    // local is not in that table: no cost row for it.
    expect(costData(summary, { priceTable: table }).some((r) => r.provider === 'local')).toBe(false);
  });

  it('tokens and cost: without any price, the cost panel is left out', async () => {
    const table: PriceTable = { currency: 'USD', unit: 'per 1M tokens', asOf: '2025-01-01', source: 'test', models: {} };
    const s = twoProviderSummary();
    for (const a of s.advice) a.priceSource = null;
    const c = byId(buildReportCharts(s, { priceTable: table }), 'tokens-cost');
    expect((c.vegaLite as { vconcat: unknown[] }).vconcat).toHaveLength(1);
    const { svg, messages } = await run(c);
    expect(messages).toEqual([]);
    expect(svg).not.toContain('per 1,000 requests');
    const priced = byId(buildReportCharts(summary), 'tokens-cost');
    expect((priced.vegaLite as { vconcat: unknown[] }).vconcat).toHaveLength(2);
    expect((await run(priced)).svg).toContain('USD per 1,000 requests');
  });

  it('cache: the share of trials from the response cache and of prompt tokens from the prompt cache', () => {
    const s = summarize([
      trial({ itemId: 'a', cached: true, tokensIn: 100, cachedTokens: 25 }),
      trial({ itemId: 'b', cached: true, tokensIn: 100, cachedTokens: 25 }),
      trial({ itemId: 'c', cached: false, tokensIn: 200, cachedTokens: 0 }),
      trial({ itemId: 'd', cached: false, tokensIn: 0, cachedTokens: 0, error: { kind: 'timeout', message: 'x' }, output: null }),
    ]);
    expect(cacheData(s)).toEqual([
      { provider: 'local', measure: RESPONSE_CACHE, share: 0.5, ofTotal: '2 of 4 trials', part: 2, total: 4 },
      { provider: 'local', measure: PROMPT_CACHE, share: 0.125, ofTotal: '50 of 400 prompt tokens', part: 50, total: 400 },
    ]);
    const openai = cacheData(summary).filter((r) => r.provider === OPENAI);
    // One (item, repeat) pair per cell of 7 was cached: 7 of 44 trials.
    expect(openai[0]).toMatchObject({ measure: RESPONSE_CACHE, part: 7, total: 44 });
  });
});

describe('writeChartFiles', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('writes charts/<id>.vl.json and charts/<id>.svg for each chart and removes stale ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fewshot-charts-'));
    dirs.push(dir);
    const charts = buildReportCharts(twoProviderSummary());
    const stale = join(dir, 'charts');
    await writeChartFiles(dir, charts.slice(0, 1));
    writeFileSync(join(stale, 'notes.txt'), 'kept');
    writeFileSync(join(stale, 'curves-gone.svg'), '<svg/>');
    const paths = await writeChartFiles(dir, charts);
    expect(paths).toEqual(charts.flatMap((c) => [join(dir, 'charts', `${c.id}.vl.json`), join(dir, 'charts', `${c.id}.svg`)]));
    for (const c of charts) {
      expect(JSON.parse(readFileSync(join(dir, 'charts', `${c.id}.vl.json`), 'utf8'))).toEqual(c.vegaLite);
      const svg = readFileSync(join(dir, 'charts', `${c.id}.svg`), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('<path');
    }
    const names = readdirSync(stale).sort();
    expect(names).toEqual([...charts.flatMap((c) => [`${c.id}.svg`, `${c.id}.vl.json`]), 'notes.txt'].sort());
    expect(existsSync(join(stale, 'curves-gone.svg'))).toBe(false);
  });

  it('refuses an id that is not a safe file name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fewshot-charts-'));
    dirs.push(dir);
    const [c] = buildReportCharts(twoProviderSummary());
    await expect(writeChartFiles(dir, [{ ...c!, id: '../escape' }])).rejects.toThrow(/safe file name/);
    await expect(writeChartFiles(dir, [c!, c!])).rejects.toThrow(/twice/);
  });
});

describe('in the browser build', () => {
  // What report.html inlines: vega's browser build (global `vega`, which also carries vega-util's
  // ascending, isString and DisallowedObjectProperties) and vega-interpreter's ES module made into a
  // classic script that sets vega.expressionInterpreter.
  const vegaMin = readFileSync(join(packageDir('vega'), 'build', 'vega.min.js'), 'utf8');
  const interpreterModule = readFileSync(join(packageDir('vega-interpreter'), 'build', 'vega-interpreter.js'), 'utf8');
  const importLine = "import { ascending, isString, DisallowedObjectProperties } from 'vega-util';";
  const exportLine = 'export { expression as expressionInterpreter };';

  it('every chart draws with vega.min.js and the interpreter, no eval, no errors', async () => {
    expect(interpreterModule).toContain(importLine);
    expect(interpreterModule).toContain(exportLine);
    const classic = `(function (vega) {\n${interpreterModule
      .replace(importLine, 'var ascending = vega.ascending, isString = vega.isString, DisallowedObjectProperties = vega.DisallowedObjectProperties;')
      .replace(exportLine, 'vega.expressionInterpreter = expression;')}\n})(vega);`;
    const messages: string[] = [];
    const keep = (...args: unknown[]) => void messages.push(args.map(String).join(' '));
    const context = createContext({
      console: { ...console, log: keep, error: keep, warn: keep },
      setTimeout,
      clearTimeout,
      setInterval,
      clearInterval,
      Promise,
    });
    runInContext(vegaMin, context);
    runInContext(classic, context);
    const browserVega = (context as { vega: typeof vega & { expressionInterpreter?: object; DisallowedObjectProperties?: unknown } }).vega;
    expect((browserVega.DisallowedObjectProperties as Set<string>).has('__proto__')).toBe(true);
    expect(Object.keys(browserVega.expressionInterpreter ?? {}).sort()).toEqual(['encode', 'event', 'handler', 'operator', 'parameter']);

    for (const chart of buildReportCharts(twoProviderSummary())) {
      const view = new browserVega.View(browserVega.parse(chart.vega, undefined, { ast: true }), {
        expr: browserVega.expressionInterpreter,
        renderer: 'none',
      });
      await view.runAsync();
      const svg = await view.toSVG();
      expect(svg, chart.id).toContain('<path');
      // The tooltips are object expressions: the interpreter's guarded path evaluated them.
      const tips = sceneItems((view.scenegraph() as unknown as { root: Scene }).root).filter((i) => i.tooltip);
      expect(tips.length, chart.id).toBeGreaterThan(0);
      expect(svg).toBe(await renderChartSvg(chart));
    }
    expect(messages).toEqual([]);
  });
});
