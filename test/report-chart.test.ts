import * as vega from 'vega';
import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../src/analysis/summary.js';
import type { TrialRecord } from '../src/runner/trial.js';
import { accuracyChartSpec, chartData } from '../src/report/chart.js';
import { providerError, runInfo, sweep, trial } from './analysis-fixtures.js';
import { fixtureSummary } from './report-fixtures.js';

const summarize = (trials: readonly TrialRecord[]): RunSummary =>
  fixtureSummary(trials, runInfo(), { labels: { random: 'plateau', similar: 'improving', 'other/random': 'inconclusive' } });

async function render(spec: ReturnType<typeof accuracyChartSpec>) {
  const compiled = compile(spec);
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none' });
  const svg = await view.toSVG();
  return { view, svg };
}

describe('accuracyChartSpec', () => {
  const trials = [
    ...sweep(),
    trial({ provider: 'other', selector: 'none', k: 0 }),
    trial({ provider: 'other', selector: 'random', k: 16, score: 0 }),
    trial({ provider: 'other', selector: 'random', k: 2 }),
  ];
  const summary = summarize(trials);

  it('compiles and renders to SVG with every series named', async () => {
    const { svg } = await render(accuracyChartSpec(summary));
    expect(svg.startsWith('<svg')).toBe(true);
    for (const name of ['local / random (plateau)', 'local / similar (improving)', 'other / random (inconclusive)']) {
      expect(svg).toContain(name);
    }
  });

  it('spaces k as ordinal, sorted numerically', async () => {
    const { view } = await render(accuracyChartSpec(summary));
    expect(view.scale('x').domain()).toEqual([0, 1, 2, 8, 16]);
    expect(view.scale('y').domain()).toEqual([0, 1]);
  });

  it('inlines the data, one point per curve point with an answered accuracy', () => {
    const spec = accuracyChartSpec(summary) as { data: { values: unknown[] } };
    expect(JSON.stringify(spec)).not.toMatch(/"url"/);
    expect(spec.data.values).toEqual(chartData(summary));
    expect(chartData(summary)).toHaveLength(4 + 4 + 3);
    const first = chartData(summary)[0]!;
    expect(first).toMatchObject({ series: 'local / random (plateau)', label: 'plateau', k: 0, nItems: 3, nTrials: 6, nAnsweredItems: 3 });
    expect(first.interval).toMatch(/^\d+\.\d% \[\d+\.\d, \d+\.\d\] n=3$/);
    const point = summary.curves[0]!.points[0]!;
    expect(first).toMatchObject({ accuracy: point.accuracy, lower: point.ciLow, upper: point.ciHigh });
  });

  it('puts n and the interval in the tooltips', () => {
    const text = JSON.stringify(accuracyChartSpec(summary));
    expect(text).toContain('"field":"interval"');
    expect(text).toContain('"field":"nAnsweredItems"');
    expect(text).toContain('"field":"label"');
  });

  it('keeps the interval as band and whiskers', () => {
    const spec = accuracyChartSpec(summary) as { layer: { mark: { type: string } }[] };
    expect(spec.layer.map((l) => l.mark.type)).toEqual(['area', 'rule', 'line', 'point']);
  });

  it('leaves out points where nothing was answered', () => {
    const s = summarize([trial({ selector: 'none', k: 0 }), providerError({ k: 1 })]);
    expect(s.curves[0]!.points.map((p) => p.accuracy === null)).toEqual([false, true]);
    expect(chartData(s).map((d) => d.k)).toEqual([0]);
  });

  it('renders an empty run without throwing', async () => {
    const { svg } = await render(accuracyChartSpec(summarize([])));
    expect(svg).toContain('<svg');
  });
});
