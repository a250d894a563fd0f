import { describe, expect, it } from 'vitest';
import { analyzeRun } from '../src/analysis/analyze.js';
import { adjustedWald, binomialCdfHalf, holm, mcnemarExact, pairedDifference, signFlipPValue, signFlipTest } from '../src/analysis/paired.js';
import { summarizeCells } from '../src/analysis/summarize.js';
import { DEFAULT_ANALYSIS_SETTINGS } from '../src/analysis/options.js';
import { Rng } from '../src/util/rng.js';
import { SHAPES, simulateTrials } from '../src/analysis/simulate.js';

describe('exact tests', () => {
  it('McNemar matches hand-computed binomial tails', () => {
    expect(mcnemarExact(9, 0)).toBeCloseTo(2 / 512, 12);
    expect(mcnemarExact(0, 9)).toBeCloseTo(2 / 512, 12);
    expect(mcnemarExact(5, 5)).toBe(1);
    expect(mcnemarExact(0, 0)).toBe(1);
    // 8 vs 2: P(X <= 2 | n = 10) = (1 + 10 + 45) / 1024
    expect(mcnemarExact(8, 2)).toBeCloseTo((2 * 56) / 1024, 12);
    expect(binomialCdfHalf(3000, 6000)).toBeGreaterThan(0.5);
    expect(binomialCdfHalf(3000, 6000)).toBeLessThan(0.52);
  });

  it('the sign-flip test enumerates every sign pattern when few items differ', () => {
    expect(signFlipTest([1, 1, 1], 0, new Rng([1]))).toBeCloseTo(2 / 8, 12);
    expect(signFlipTest([0.5, 0.5, -0.5, 0, 0], 0, new Rng([1]))).toBeCloseTo(1, 12);
    expect(signFlipTest([0, 0], 100, new Rng([1]))).toBe(1);
  });

  it('Holm adjusts step-down and keeps the order monotone', () => {
    const adjusted = holm([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((p, i) => expect(adjusted[i]).toBeCloseTo(p, 12));
    expect(holm([])).toEqual([]);
  });

  it('never gives a zero-width interval from a few agreeing items', () => {
    const { low, high } = adjustedWald(new Array(9).fill(0));
    expect(high).toBeGreaterThan(0.1);
    expect(low).toBeLessThan(-0.1);
    const all = adjustedWald(new Array(9).fill(1));
    expect(all.high).toBeLessThanOrEqual(1);
  });
});

describe('paired tests: properties', () => {
  /** Two cells with the same true accuracy: any significant result is a false positive. */
  function nullRate(graded: boolean, runs: number): number {
    let rejections = 0;
    for (let s = 0; s < runs; s++) {
      const rng = new Rng(['null', graded ? 'graded' : 'binary', s]);
      const n = 80;
      const a = new Float64Array(n);
      const b = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const ease = rng.next();
        const draw = () => (rng.next() < 0.6 ? ease : rng.next());
        a[i] = graded ? (Number(draw() < 0.6) + Number(draw() < 0.6) + Number(draw() < 0.6)) / 3 : Number(draw() < 0.6);
        b[i] = graded ? (Number(draw() < 0.6) + Number(draw() < 0.6) + Number(draw() < 0.6)) / 3 : Number(draw() < 0.6);
      }
      const r = pairedDifference(a, b, { resamples: 400, seedParts: [s], binarySingle: !graded });
      if (r.pValue < 0.05) rejections++;
    }
    return rejections / runs;
  }

  it('a zero difference is significant at no more than the stated rate (exact McNemar)', () => {
    expect(nullRate(false, 600)).toBeLessThanOrEqual(0.05 + 0.02);
  });

  it('a zero difference is significant at no more than the stated rate (sign-flip on graded scores)', () => {
    expect(nullRate(true, 400)).toBeLessThanOrEqual(0.05 + 0.025);
  });

  it('uses McNemar only for 0/1 scores with one trial per item', () => {
    const binary = simulateTrials({ accuracy: SHAPES.plateau, items: 40, consistency: 0.8, seed: 'm' });
    const repeated = simulateTrials({ accuracy: SHAPES.plateau, items: 40, consistency: 0.8, seed: 'm', repeats: 3 });
    const methods = (trials: typeof binary) =>
      new Set(analyzeRun(trials, summarizeCells(trials), DEFAULT_ANALYSIS_SETTINGS).curves[0]!.tests.map((t) => t.method));
    expect(methods(binary)).toEqual(new Set(['mcnemar-exact']));
    const graded = methods(repeated);
    expect(graded.has('mcnemar-exact')).toBe(false);
    for (const m of graded) expect(['sign-flip-exact', 'sign-flip-monte-carlo', 'sign-flip-normal']).toContain(m);
  });

  it('the order of trial records changes nothing, bit for bit', () => {
    const trials = simulateTrials({ accuracy: SHAPES['peak-regression'], items: 60, consistency: 0.8, seed: 'order', repeats: 2 });
    const shuffled = new Rng(['shuffle']).shuffle(trials);
    const run = (t: typeof trials) => JSON.stringify(analyzeRun(t, summarizeCells(t), DEFAULT_ANALYSIS_SETTINGS));
    expect(run(shuffled)).toBe(run(trials));
  });

  it('renaming (re-ordering) items leaves exact tests and labels unchanged', () => {
    const trials = simulateTrials({ accuracy: SHAPES.improving, items: 120, consistency: 0.8, seed: 'rename' });
    const renamed = trials.map((t) => ({ ...t, itemId: `z-${999 - Number(t.itemId.slice(5))}` }));
    const tests = (t: typeof trials) => {
      const curve = analyzeRun(t, summarizeCells(t), DEFAULT_ANALYSIS_SETTINGS).curves[0]!;
      // Sums over items in another order may differ in the last bit; round that away.
      const r = (x: number) => Math.round(x * 1e9) / 1e9;
      return { label: curve.label, tests: curve.tests.map((c) => ({ ...c, ciLow: r(c.ciLow), ciHigh: r(c.ciHigh), estimate: r(c.estimate) })) };
    };
    expect(tests(renamed)).toEqual(tests(trials));
  });
});

describe('small p-values with many items', () => {
  it('reads the tail from the normal approximation when Monte Carlo cannot resolve it', () => {
    // 60 items better by 1/3 or 2/3: an overwhelming difference that 2000 resamples would floor at 1/2001.
    const diffs = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? 1 / 3 : 2 / 3));
    const r = signFlipPValue(diffs, 2000, new Rng(['tail']));
    expect(r.method).toBe('sign-flip-normal');
    expect(r.pValue).toBeLessThan(1e-10);
    expect(r.pValue).toBeGreaterThan(0);
    // All 60 better by the same 1/3: the binomial is exact, 2 / 2^60.
    const equal = signFlipPValue(new Array(60).fill(1 / 3), 2000, new Rng(['tail']));
    expect(equal.method).toBe('sign-flip-exact');
    expect(equal.pValue / 2 ** -59).toBeCloseTo(1, 12);
  });

  it('normal tail matches known values', async () => {
    const { normalUpperTail } = await import('../src/analysis/paired.js');
    expect(normalUpperTail(1.959964)).toBeCloseTo(0.025, 6);
    expect(normalUpperTail(0)).toBeCloseTo(0.5, 7);
    expect(normalUpperTail(-1.644854)).toBeCloseTo(0.95, 6);
  });
});
