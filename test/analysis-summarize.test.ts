import { describe, expect, it } from 'vitest';
import { classifyOutcome, isAnswerFailure } from '../src/analysis/outcome.js';
import { wilson } from '../src/analysis/stats.js';
import { analyzeRun } from '../src/analysis/analyze.js';
import { summarizeCells } from '../src/analysis/summarize.js';
import { DEFAULT_ANALYSIS_SETTINGS } from '../src/analysis/options.js';
import type { TrialRecord } from '../src/records/trial.js';
import { buildSummary } from '../src/analysis/summary.js';
import { Rng } from '../src/util/rng.js';
import { empty, parseFailure, providerError, runInfo, sweep, trial, truncated } from './analysis-fixtures.js';

describe('classifyOutcome', () => {
  it('classifies each kind', () => {
    expect(classifyOutcome(trial())).toBe('answered');
    expect(classifyOutcome(providerError())).toBe('provider_error');
    expect(classifyOutcome(empty())).toBe('empty');
    expect(classifyOutcome(truncated())).toBe('truncated');
    expect(classifyOutcome(parseFailure())).toBe('parse_failure');
  });

  it('applies the precedence error > empty > truncated > parse failure', () => {
    expect(classifyOutcome(providerError({ output: '' }))).toBe('provider_error');
    expect(classifyOutcome(trial({ output: ' ', finishReason: 'length', parseOk: false }))).toBe('empty');
    expect(classifyOutcome(trial({ output: null }))).toBe('empty');
    expect(classifyOutcome(trial({ finishReason: 'length', parseOk: false }))).toBe('truncated');
    // Truncated even when the cut-off text happened to parse.
    expect(classifyOutcome(trial({ finishReason: 'length', parseOk: true }))).toBe('truncated');
  });

  it("counts a refusal as the model's answer, whether the provider raised it or reported it", () => {
    // Runs written before refusals counted carry them as a provider error of kind `refused`.
    expect(classifyOutcome(providerError({}, 'refused'))).toBe('refusal');
    expect(classifyOutcome(trial({ finishReason: 'refused', output: 'I cannot help with that.', parseOk: false }))).toBe('refusal');
    expect(isAnswerFailure('refusal')).toBe(true);
    expect(isAnswerFailure('provider_error')).toBe(false);
  });
});

describe('summarizeCells', () => {
  const cell = { provider: 'p', model: 'm', selector: 'random', k: 2 };
  const trials = [
    trial({ ...cell, itemId: 'a', repeat: 0, score: 1, details: { feasible: true, optimalityRatio: 0.9, note: 'x' } }),
    trial({ ...cell, itemId: 'a', repeat: 1, score: 0, details: { feasible: false, optimalityRatio: 0.5 } }),
    trial({ ...cell, itemId: 'b', repeat: 0, score: 1, details: { feasible: true, optimalityRatio: null } }),
    providerError({ ...cell, itemId: 'b', repeat: 1 }, 'rate_limit'),
    empty({ ...cell, itemId: 'c', repeat: 0 }),
    // A failure is never scored, whatever score the record carries; its details are ignored too.
    truncated({ ...cell, itemId: 'c', repeat: 1, score: 1, details: { feasible: true } }),
    parseFailure({ ...cell, itemId: 'd', repeat: 0 }),
    providerError({ ...cell, itemId: 'd', repeat: 1 }, 'timeout'),
  ];

  it('counts outcomes and clusters accuracy by item', () => {
    const [s, ...rest] = summarizeCells(trials);
    expect(rest).toHaveLength(0);
    expect(s).toMatchObject({ provider: 'p', model: 'm', selector: 'random', k: 2, nItems: 4, nTrials: 8 });
    expect(s!.outcomes).toEqual({ answered: 3, provider_error: 2, empty: 1, truncated: 1, parse_failure: 1, refusal: 0, scorer_failure: 0 });
    expect(s!.providerErrorsByKind).toEqual({ rate_limit: 1, timeout: 1 });
    // Accuracy: answer failures score 0, provider failures are left out. a (1 + 0) / 2, b 1 (its
    // rate limit left out), c (empty + truncated) 0, d (parse failure; its timeout left out) 0.
    expect(s!.accuracy).toEqual(wilson(1.5, 4));
    expect(s!.accuracy!.estimate).toBeCloseTo(0.375, 12);
    // Among parsed replies only: a 0.5, b 1. Two items, not three trials.
    expect(s!.parsedAccuracy).toEqual(wilson(1.5, 2));
    // End to end: a 0.5, b (1 + 0) / 2, c 0, d 0 -> 1 out of 4 items.
    expect(s!.endToEndAccuracy).toEqual(wilson(1, 4));
    expect(s!.failureRate).toBeCloseTo(5 / 8, 12);
    expect(s!.answerFailureRate).toBeCloseTo(3 / 6, 12);
    expect(s!.providerFailureRate).toBeCloseTo(2 / 8, 12);
  });

  it('averages costs over calls that returned', () => {
    const [s] = summarizeCells(trials);
    expect(s!.meanTokensIn).toBe(100);
    expect(s!.meanTokensOut).toBe(10);
    expect(s!.meanLatencyMs).toBe(50);
  });

  it('gives each declared task measure an item-clustered interval over answered trials', () => {
    const [s] = summarizeCells(trials, ['feasible', 'optimalityRatio', 'absent']);
    expect(Object.keys(s!.measures)).toEqual(['feasible', 'optimalityRatio', 'absent']);
    // feasible: item a (1 + 0) / 2, item b 1 -> 1.5 of 2 items; the truncated trial's details are ignored.
    expect(s!.measures.feasible).toEqual(wilson(1.5, 2));
    // optimalityRatio: item a (0.9 + 0.5) / 2 = 0.7; item b has no value -> one item.
    expect(s!.measures.optimalityRatio).toEqual(wilson(0.7, 1));
    expect(s!.measures.absent).toBeNull();
  });

  it('reports no measures unless the task declares them', () => {
    expect(summarizeCells(trials)[0]!.measures).toEqual({});
  });

  it('gives null accuracy when the model answered nothing, and 0 when it answered only failures', () => {
    expect(summarizeCells([providerError()])[0]!.accuracy).toBeNull();
    const [s] = summarizeCells([providerError(), empty({ itemId: 'x' })]);
    expect(s!.accuracy).toEqual(wilson(0, 1));
    expect(s!.parsedAccuracy).toBeNull();
    expect(s!.endToEndAccuracy).toEqual(wilson(0, 2));
    expect(s!.failureRate).toBe(1);
    expect(s!.meanTokensIn).toBe(100); // the empty output's call returned
  });

  it('groups by provider, selector and k, sorted with zero-shot first', () => {
    const cells = summarizeCells([...sweep(), trial({ provider: 'aaa', selector: 'none', k: 0 })]);
    expect(cells.map((c) => `${c.provider}/${c.selector}/${c.k}`)).toEqual([
      'aaa/none/0',
      'local/none/0',
      'local/random/1',
      'local/random/2',
      'local/random/8',
      'local/similar/1',
      'local/similar/2',
      'local/similar/8',
    ]);
    expect(cells.every((c) => c.provider === 'aaa' || (c.nItems === 3 && c.nTrials === 6))).toBe(true);
  });
});

/** The analysed curves of a trial list, as summary.json has them. */
function buildCurves(trials: TrialRecord[]) {
  return analyzeRun(trials, summarizeCells(trials), DEFAULT_ANALYSIS_SETTINGS).curves;
}

describe('curves', () => {
  it('starts every selector curve at the shared zero-shot cell', () => {
    const cells = summarizeCells(sweep());
    const curves = buildCurves(sweep());
    expect(curves.map((c) => c.selector)).toEqual(['random', 'similar']);
    for (const curve of curves) {
      expect(curve.provider).toBe('local');
      expect(curve.points.map((p) => p.k)).toEqual([0, 1, 2, 8]);
      expect(curve.points[0]!.cellSelector).toBe('none');
      expect(curve.points[0]!.accuracy).toEqual(cells[0]!.accuracy!.estimate);
      expect([curve.points[0]!.ciLow, curve.points[0]!.ciHigh]).toEqual([cells[0]!.accuracy!.lower, cells[0]!.accuracy!.upper]);
      expect(curve.points.slice(1).every((p) => p.cellSelector === curve.selector)).toBe(true);
    }
  });

  it('sorts points by k numerically', () => {
    expect(buildCurves([10, 2, 0, 1].map((k) => trial({ k, selector: k === 0 ? 'none' : 'random' })))[0]!.points.map((p) => p.k)).toEqual([0, 1, 2, 10]);
  });

  it('makes a single none curve for a zero-shot-only provider', () => {
    const curves = buildCurves([...sweep(), trial({ provider: 'zero', selector: 'none', k: 0 })]);
    const zero = curves.filter((c) => c.provider === 'zero');
    expect(zero).toHaveLength(1);
    expect(zero[0]!.selector).toBe('none');
    expect(zero[0]!.points.map((p) => p.k)).toEqual([0]);
    expect(curves.filter((c) => c.provider === 'local').map((c) => c.selector)).toEqual(['random', 'similar']);
  });
});

describe('buildSummary', () => {
  const now = new Date('2025-02-03T04:05:06.000Z');

  it('collects run info, totals, notices, cells and curves', () => {
    const trials = [...sweep(), providerError({ itemId: 'z' }), parseFailure({ itemId: 'z', repeat: 1 })];
    const s = buildSummary(trials, runInfo(), now, ['torn line skipped']);
    expect(s).toMatchObject({
      schemaVersion: 3,
      runId: 'run-1',
      experimentName: 'demo',
      generatedAt: '2025-02-03T04:05:06.000Z',
      confidenceLevel: 0.95,
      status: 'complete',
      task: { type: 'routes', poolSize: 50, evalItems: 20 },
    });
    expect(s.intervalMethod).toMatch(/Wilson/);
    expect(s.totals).toEqual({
      trials: trials.length,
      answered: trials.length - 2,
      failures: { provider_error: 1, empty: 0, truncated: 0, parse_failure: 1, refusal: 0, scorer_failure: 0 },
    });
    expect(s.providers).toEqual([
      { id: 'local', status: 'ran', model: 'baseline' },
      { id: 'openai:gpt-4o-mini', status: 'skipped', reason: 'set OPENAI_API_KEY to run it', model: null },
    ]);
    expect(s.notices).toEqual(['openai:gpt-4o-mini skipped: set OPENAI_API_KEY to run it', '2 items refused by the leakage guard', 'torn line skipped']);
    expect(s.cells).toHaveLength(7);
    expect(s.curves).toHaveLength(2);
  });

  it('is deterministic whatever the order trials were written in', () => {
    const trials = sweep();
    const shuffled = new Rng(['shuffle', 1]).shuffle(trials);
    expect(JSON.stringify(buildSummary(shuffled, runInfo(), now))).toBe(JSON.stringify(buildSummary(trials, runInfo(), now)));
  });

  it('notes providers with trials that run.json does not list', () => {
    const s = buildSummary([trial({ provider: 'ghost' })], runInfo({ providers: [] }), now);
    expect(s.providers).toEqual([{ id: 'ghost', status: 'ran', model: 'baseline' }]);
    expect(s.notices[0]).toMatch(/ghost has trials but is not listed/);
  });
});
