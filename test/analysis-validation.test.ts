/**
 * Validation of the verdicts on curves of known shape: thousands of simulated sweeps, each
 * analysed as a run. The label must be right at adequate n, almost never wrong anywhere, and at
 * n = 9 the answer must be "inconclusive" rather than a confident guess.
 */
import { describe, expect, it } from 'vitest';
import { analyzeRun } from '../src/analysis/analyze.js';
import { summarizeCells } from '../src/analysis/summarize.js';
import { DEFAULT_ANALYSIS_SETTINGS, type AnalysisSettings } from '../src/analysis/verdict-types.js';
import { SHAPES, simulateTrials, type ShapeName, type SimulationOptions } from '../src/analysis/simulate.js';

const SETTINGS: AnalysisSettings = { ...DEFAULT_ANALYSIS_SETTINGS, bootstrapResamples: 400 };
const SHAPE_NAMES = Object.keys(SHAPES) as ShapeName[];

function analyse(options: SimulationOptions) {
  const trials = simulateTrials(options);
  return analyzeRun(trials, summarizeCells(trials), SETTINGS);
}

function labelRates(shape: ShapeName, items: number, consistency: number, runs: number) {
  const counts = { right: 0, wrong: 0, inconclusive: 0 };
  for (let s = 0; s < runs; s++) {
    const label = analyse({ accuracy: SHAPES[shape], items, consistency, seed: `${shape}/${items}/${consistency}/${s}` }).curves[0]!.label;
    if (label === shape) counts.right++;
    else if (label === 'inconclusive') counts.inconclusive++;
    else counts.wrong++;
  }
  return { right: counts.right / runs, wrong: counts.wrong / runs, inconclusive: counts.inconclusive / runs, runs };
}

const table: string[] = [];
const record = (name: string, r: ReturnType<typeof labelRates>) =>
  table.push(`${name.padEnd(42)} right ${(100 * r.right).toFixed(1).padStart(5)}%  wrong ${(100 * r.wrong).toFixed(1).padStart(4)}%  inconclusive ${(100 * r.inconclusive).toFixed(1).padStart(5)}%  (${r.runs} curves)`);

describe('label validation on simulated curves', () => {
  // Consistency 0.85: items that are easy stay mostly easy across k, as real evaluation items do.
  // "Adequate n" differs by label: showing a plateau or no benefit needs every difference bounded
  // within 5 points (equivalence), which takes far more items than showing a difference exists.
  const adequate: Record<ShapeName, number> = { improving: 300, 'peak-regression': 300, plateau: 1000, 'no-benefit': 1000 };

  for (const shape of SHAPE_NAMES) {
    it(`${shape}: right >= 95% and wrong < 2% at n = ${adequate[shape]}`, () => {
      const r = labelRates(shape, adequate[shape], 0.85, 100);
      record(`${shape} n=${adequate[shape]} consistency 0.85`, r);
      expect(r.right).toBeGreaterThanOrEqual(0.95);
      expect(r.wrong).toBeLessThan(0.02);
    });
  }

  for (const shape of SHAPE_NAMES) {
    it(`${shape}: at n = 9 mostly inconclusive, never a confident wrong label`, () => {
      const r = labelRates(shape, 9, 0.85, 250);
      record(`${shape} n=9 consistency 0.85`, r);
      expect(r.inconclusive).toBeGreaterThanOrEqual(0.9);
      expect(r.wrong).toBe(0);
    });
  }

  for (const consistency of [0.85, 0.6]) {
    for (const items of [30, 100]) {
      it(`wrong labels stay rare at n = ${items}, consistency ${consistency}`, () => {
        for (const shape of SHAPE_NAMES) {
          const r = labelRates(shape, items, consistency, 100);
          record(`${shape} n=${items} consistency ${consistency}`, r);
          // Holm bounds the chance of any false significant test in a run at alpha (5%).
          expect(r.wrong).toBeLessThanOrEqual(0.05);
        }
      });
    }
  }

  it('prints the validation table', () => {
    console.log(`\n${table.join('\n')}`);
    expect(table.length).toBeGreaterThan(0);
  });
});

describe('selection-collapse and failure trends on simulated runs', () => {
  const rising = [0.3, 0.5, 0.6, 0.7, 0.7, 0.7];
  const falling = [0.3, 0.2, 0.15, 0.1, 0.1, 0.1];

  function twoSelectors(a: readonly number[], b: readonly number[], items: number, seed: string) {
    const first = simulateTrials({ accuracy: a, items, consistency: 0.85, seed: `${seed}/a`, selector: 'similar' });
    // The zero-shot cell is shared: the second selector reuses the first's k = 0 trials.
    const second = simulateTrials({ accuracy: b, items, consistency: 0.85, seed: `${seed}/b`, selector: 'random' }).filter((t) => t.k > 0);
    const trials = [...first, ...second];
    return analyzeRun(trials, summarizeCells(trials), SETTINGS);
  }

  it('finds a gain that turns into a loss under another selector', () => {
    let found = 0;
    for (let s = 0; s < 40; s++) {
      const c = twoSelectors(rising, falling, 300, `collapse/${s}`).collapse[0]!;
      if (c.label === 'selection-collapse') {
        found++;
        expect(c.gainSelector).toBe('similar');
        expect(c.lossSelector).toBe('random');
      }
      // The direct comparison at each k: random (b) against similar (a), paired over items.
      const at8 = c.selectorTests.find((t) => t.a.k === 8)!;
      expect([at8.a.selector, at8.b.selector]).toEqual(['random', 'similar'].sort());
      if (s < 5) expect(at8.significant && Math.abs(at8.estimate) > 0.4).toBe(true);
    }
    expect(found / 40).toBeGreaterThanOrEqual(0.95);
  });

  it('never declares a collapse when both selectors share one curve', () => {
    let labels = { 'selection-collapse': 0, stable: 0, inconclusive: 0 };
    for (let s = 0; s < 60; s++) {
      const c = twoSelectors(rising, rising, 300, `same/${s}`).collapse[0]!;
      labels = { ...labels, [c.label]: labels[c.label] + 1 };
    }
    expect(labels['selection-collapse']).toBe(0);
    expect(labels.stable).toBeGreaterThan(0);
  });

  it('flags failures that rise with k apart from accuracy, which stays correctly labelled', () => {
    let flagged = 0;
    let wrongAccuracyLabels = 0;
    for (let s = 0; s < 40; s++) {
      const a = analyse({
        accuracy: SHAPES.improving,
        items: 300,
        consistency: 0.85,
        seed: `failures/${s}`,
        failureRate: [0, 0.02, 0.05, 0.1, 0.2, 0.4],
      });
      if (a.failureTrends.some((t) => t.kind === 'provider_error' && t.flagged)) flagged++;
      if (a.curves[0]!.label !== 'improving' && a.curves[0]!.label !== 'inconclusive') wrongAccuracyLabels++;
      // End to end, the failures drag the last point down; answered accuracy does not see them.
      const last = a.curves[0]!.points.at(-1)!;
      expect(last.accuracyEndToEnd!).toBeLessThan(last.accuracy!);
    }
    expect(flagged / 40).toBeGreaterThanOrEqual(0.95);
    expect(wrongAccuracyLabels).toBe(0);
  });
});
