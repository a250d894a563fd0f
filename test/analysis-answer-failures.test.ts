/**
 * Answer failures are the model's answers: they count as wrong in the accuracy behind labels and
 * advice. Provider failures are the API's: they stay out of accuracy and are reported apart.
 */
import { describe, expect, it } from 'vitest';
import { buildSummary } from '../src/analysis/summary.js';
import type { TrialRecord } from '../src/records/trial.js';
import { Rng } from '../src/util/rng.js';
import { parseFailure, providerError, runInfo, trial } from './analysis-fixtures.js';

const KS = [0, 1, 2, 4, 8, 16];

/**
 * One provider, items consistent across k (an item's ease is shared), one trial per item and k.
 * `parsed(k)`: share of replies that parse; `right(k)`: accuracy among parsed replies;
 * `outage(k)`: share of calls that fail at the provider (a timeout).
 */
function sweep(
  items: number,
  seed: string,
  parsed: (k: number) => number,
  right: (k: number) => number,
  outage: (k: number) => number = () => 0,
): TrialRecord[] {
  const rng = new Rng(['answer-failures', seed]);
  const trials: TrialRecord[] = [];
  for (let i = 0; i < items; i++) {
    const ease = rng.next();
    const format = rng.next();
    for (const k of KS) {
      const base = { provider: 'local', model: 'm', selector: k === 0 ? 'none' : 'random', k, itemId: `item-${i}`, repeat: 0, tokensIn: 100 + 40 * k };
      const v = rng.next() < 0.85 ? ease : rng.next();
      if (rng.next() < outage(k)) trials.push(providerError(base, 'timeout'));
      else if (format >= parsed(k)) trials.push(parseFailure({ ...base, output: 'The ticket is about a refund.' }));
      else trials.push(trial({ ...base, score: v < right(k) ? 1 : 0 }));
    }
  }
  return trials;
}

describe('answer failures count as wrong; provider failures do not', () => {
  it('the format case: zero-shot replies without a label make k >= 1 the advice, with a plateau at k = 1', () => {
    // Half the zero-shot replies carry no label; from k = 1 every reply parses, at the same accuracy among parsed replies.
    const trials = sweep(
      1000,
      'format',
      (k) => (k === 0 ? 0.5 : 1),
      () => 0.57,
    );
    const s = buildSummary(trials, runInfo({ config: {} }), new Date(0));
    const curve = s.curves.find((c) => c.selector === 'random')!;
    const zero = curve.points.find((p) => p.k === 0)!;
    const one = curve.points.find((p) => p.k === 1)!;
    // Accuracy 0.28 -> 0.57; among parsed replies the two are the same.
    expect(zero.accuracy!).toBeLessThan(0.33);
    expect(one.accuracy!).toBeGreaterThan(0.52);
    expect(Math.abs(zero.parsedAccuracy! - one.parsedAccuracy!)).toBeLessThan(0.06);
    expect(zero.failures.parse_failure).toBeGreaterThan(400);
    expect(curve.label).toBe('plateau');
    expect(curve.kneeK).toBe(1);
    const advice = s.advice.find((a) => a.provider === 'local')!;
    expect(advice.k).toBeGreaterThanOrEqual(1);
    expect(advice.decision).toBe('keep-few-shot');
  });

  it('with fewer items the advice still leaves zero-shot, whose unparseable replies count against it', () => {
    const trials = sweep(
      120,
      'format-small',
      (k) => (k === 0 ? 0.5 : 1),
      () => 0.57,
    );
    const s = buildSummary(trials, runInfo({ config: {} }), new Date(0));
    expect(s.advice[0]!.k).toBeGreaterThanOrEqual(1);
    const tied = s.curves[0]!.tests.find((t) => t.b.k === 1)!;
    expect(tied.significant).toBe(true);
  });

  it('a provider outage at large k is flagged apart and never lowers accuracy or reads as a regression', () => {
    // Same accuracy at every k, but 40% of the calls at k = 16 time out.
    const trials = sweep(
      600,
      'outage',
      () => 1,
      () => 0.6,
      (k) => (k === 16 ? 0.4 : 0),
    );
    const s = buildSummary(trials, runInfo({ config: {} }), new Date(0));
    const curve = s.curves.find((c) => c.selector === 'random')!;
    expect(curve.label).not.toBe('peak-regression');
    const last = curve.points.at(-1)!;
    expect(last.providerFailureRate).toBeGreaterThan(0.3);
    expect(Math.abs(last.accuracy! - curve.points[0]!.accuracy!)).toBeLessThan(0.05);
    expect(last.accuracyEndToEnd!).toBeLessThan(last.accuracy! - 0.15);
    expect(s.failureTrends.some((t) => t.kind === 'provider_error' && t.flagged)).toBe(true);
  });

  it('refusals at large k count as wrong and can make a peak-regression', () => {
    // Accurate, but from k = 8 on the model refuses most prompts (for example a filter tripped by the examples).
    const trials = sweep(
      600,
      'refusals',
      () => 1,
      (k) => (k === 0 ? 0.4 : 0.75),
    ).map((t) =>
      t.k >= 8 && Number(t.itemId.slice(5)) % 2 === 0
        ? { ...t, output: null, parseOk: false, answer: null, score: 0, finishReason: null, error: { kind: 'refused' as const, message: 'the model refused' } }
        : t,
    );
    const s = buildSummary(trials, runInfo({ config: {} }), new Date(0));
    const curve = s.curves.find((c) => c.selector === 'random')!;
    expect(curve.points.at(-1)!.failures.refusal).toBeGreaterThan(250);
    expect(curve.points.at(-1)!.failures.provider_error).toBe(0);
    expect(curve.label).toBe('peak-regression');
    expect(s.totals.failures.refusal).toBeGreaterThan(500);
  });
});
