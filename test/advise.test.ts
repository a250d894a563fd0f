import { describe, expect, it } from 'vitest';
import { decidingCurve, nextK, recommendedCell, tokensPerRequest, type AdviseInput } from '../src/analysis/advise.js';
import { advise } from '../src/report/advice-text.js';
import { parsePriceTable } from '../src/config/prices.js';
import type { CandidateCell, ProviderCandidates } from '../src/analysis/candidates.js';
import type { CollapseSummary, CurveLabel, CurveSummary, FailureTrend } from '../src/records/summary.js';

const PROVIDER = 'openai:gpt-4o-mini';
const table = parsePriceTable({
  currency: 'USD',
  unit: 'per 1M tokens',
  asOf: '2025-10-01',
  source: 'test',
  models: { 'openai:gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 }, local: { input: 0, output: 0 } },
});

/** A cell whose prompt grows 150 tokens per shot; interval +-0.07 around the accuracy, 60 items. */
function cell(selector: string, k: number, accuracy: number, overrides: Partial<CandidateCell> = {}): CandidateCell {
  return {
    selector,
    k,
    accuracy,
    ciLow: accuracy - 0.07,
    ciHigh: accuracy + 0.07,
    nItems: 60,
    meanTokensIn: 100 + 150 * k,
    meanTokensOut: 20,
    meanCachedTokens: 0,
    ...overrides,
  };
}

function curve(selector: string, label: CurveLabel, overrides: Partial<CurveSummary> = {}, provider = PROVIDER): CurveSummary {
  const acc: Record<number, number> = { 0: 0.5, 1: 0.6, 2: 0.66, 4: 0.72, 8: 0.74 };
  return {
    provider,
    model: 'gpt-4o-mini',
    selector,
    label,
    bestK: 8,
    kneeK: label === 'plateau' ? 4 : null,
    peakK: label === 'peak-regression' ? 4 : null,
    scope: 'k <= 8',
    checks: [],
    reason: `${label} reason from the engine`,
    itemsNeeded: label === 'inconclusive' ? 240 : null,
    points: [0, 1, 2, 4, 8].map((k) => ({
      k,
      cellSelector: k === 0 ? 'none' : selector,
      nItems: 60,
      nTrials: 60,
      accuracy: acc[k]!,
      ciLow: acc[k]! - 0.069,
      ciHigh: acc[k]! + 0.063,
      nScoredItems: 60,
      parsedAccuracy: acc[k]!,
      parsedCiLow: acc[k]! - 0.069,
      parsedCiHigh: acc[k]! + 0.063,
      nParsedItems: 60,
      accuracyEndToEnd: acc[k]!,
      endToEndCiLow: acc[k]! - 0.07,
      endToEndCiHigh: acc[k]! + 0.07,
      failureRate: 0,
      answerFailureRate: 0,
      providerFailureRate: 0,
      failures: { provider_error: 0, empty: 0, truncated: 0, parse_failure: 0, refusal: 0, scorer_failure: 0 },
      meanTokensIn: 100 + 150 * k,
      meanTokensOut: 20,
    })),
    tests: [],
    ...overrides,
  };
}

function candidates(best: CandidateCell | null, tied: CandidateCell[], provider = PROVIDER): ProviderCandidates {
  return { provider, model: 'gpt-4o-mini', best, tied, zeroShot: cell('none', 0, 0.5) };
}

function input(overrides: Partial<AdviseInput> = {}): AdviseInput {
  const best = cell('random', 8, 0.74);
  return {
    curves: [curve('random', 'plateau')],
    collapse: [],
    candidates: [candidates(best, [best, cell('random', 4, 0.72)])],
    failureTrends: [],
    target: null,
    requestsPerMonth: null,
    delta: 0.05,
    priceTable: table,
    ...overrides,
  };
}

const one = (i: AdviseInput) => {
  const out = advise(i);
  expect(out).toHaveLength(1);
  return out[0]!;
};

describe('advise: decisions', () => {
  it('keep-few-shot on a plateau, at the cheapest tied cell, with interval and n in the reasons', () => {
    const a = one(input());
    expect(a).toMatchObject({ provider: PROVIDER, decision: 'keep-few-shot', selector: 'random', k: 4, accuracy: 0.72, nItems: 60 });
    expect(a.ciLow).toBeCloseTo(0.65);
    expect(a.ciHigh).toBeCloseTo(0.79);
    expect(a.reasons[0]).toBe('Keep few-shot: k=4 with random.');
    expect(a.reasons).toContain(
      'k=4 with random is the cheapest setting statistically tied with the best (k=8 with random, 74.0%): 72.0% [65.0, 79.0] (n=60 items).',
    );
    expect(a.reasons).toContain('random: plateau from k=4; accuracy at k=4 is 72.0% [65.1, 78.3] (n=60 items).');
  });

  it('keep-few-shot on peak-regression and no-benefit too', () => {
    expect(one(input({ curves: [curve('random', 'peak-regression')] })).decision).toBe('keep-few-shot');
    const peak = one(input({ curves: [curve('random', 'peak-regression')] }));
    expect(peak.reasons.join(' ')).toContain('random: peak-regression (peak at k=4, significantly lower after); accuracy at k=4 is 72.0%');
    expect(one(input({ curves: [curve('random', 'no-benefit')] })).decision).toBe('keep-few-shot');
  });

  it("zero-shot is enough when k=0 is the cheapest tied cell; the best cell's selector decides", () => {
    const best = cell('random', 8, 0.56);
    const a = one(
      input({
        curves: [curve('first', 'improving'), curve('random', 'no-benefit')],
        candidates: [candidates(best, [best, cell('none', 0, 0.5)])],
      }),
    );
    expect(a).toMatchObject({ decision: 'keep-few-shot', selector: 'none', k: 0, accuracy: 0.5 });
    expect(a.reasons[0]).toMatch(/^Zero-shot is enough: .*shots buy nothing measurable \(no gain of 5\.0 points or more shown\)\.$/);
    expect(a.reasons).toContain(
      'Zero-shot (k=0) is the cheapest setting statistically tied with the best (k=8 with random, 56.0%): 50.0% [43.0, 57.0] (n=60 items).',
    );
    expect(a.reasons.join(' ')).toContain('random: no-benefit');
  });

  it('extend-sweep when the deciding curve is improving, naming the next k', () => {
    const a = one(input({ curves: [curve('random', 'improving', { reason: 'still rising at the end of the sweep; try larger k.' })] }));
    expect(a.decision).toBe('extend-sweep');
    expect(a.reasons[0]).toBe('random is still improving at k=8: extend the sweep to k=16 before deciding (more shots may still help).');
    expect(a.reasons).toContain('Still rising at the end of the sweep; try larger k.');
    // Improving wins over a missed target: more shots may still reach it.
    expect(one(input({ curves: [curve('random', 'improving')], target: 0.95 })).decision).toBe('extend-sweep');
  });

  it('fine-tune when the target is missed even at the upper bound and the curve is settled', () => {
    const a = one(input({ target: 0.9 }));
    expect(a.decision).toBe('fine-tune');
    expect(a.reasons[0]).toBe(
      'The best setting (k=8 with random, 74.0% [67.0, 81.0] (n=60 items)) is below the target of 90.0% even at its upper bound, ' +
        'and more shots will not close the gap (random: plateau): consider fine-tuning.',
    );
    // The recommended cell is still reported: the best few-shot setting to fine-tune against.
    expect(a).toMatchObject({ selector: 'random', k: 4 });
  });

  it('fine-tune when the target is missed and the selection collapses, whatever the curve', () => {
    const collapse: CollapseSummary = {
      provider: PROVIDER,
      label: 'selection-collapse',
      detail: 'the k=8 gain with similar vanishes with random.',
      checks: [],
      selectorTests: [],
      k: 8,
      gainSelector: 'similar',
      lossSelector: 'random',
    };
    const a = one(input({ target: 0.9, curves: [curve('random', 'inconclusive')], collapse: [collapse] }));
    expect(a.decision).toBe('fine-tune');
    expect(a.reasons).toContain('selection-collapse: the k=8 gain with similar vanishes with random.');
    expect(a.reasons[0]).toContain('does not survive a change of selector');
  });

  it('inconclusive when the target is missed but the curve is not settled', () => {
    const a = one(input({ target: 0.9, curves: [curve('random', 'inconclusive')] }));
    expect(a.decision).toBe('inconclusive');
    expect(a.reasons[0]).toMatch(/misses the target of 90\.0% even at its upper bound, but the random curve is not settled \(inconclusive\)/);
    expect(a.reasons).toContain('Inconclusive reason from the engine. About 240 items would decide it.');
  });

  it('no fine-tune when the target is within reach of the interval', () => {
    const a = one(input({ target: 0.8 }));
    expect(a.decision).toBe('keep-few-shot');
    expect(a.reasons).toContain(
      "The target of 80.0% lies inside the best setting's interval [67.0, 81.0] (k=8 with random, n=60 items): it may or may not be met.",
    );
    expect(one(input({ target: 0.6 })).reasons).toContain(
      'The best setting (k=8 with random) meets the target of 60.0%: its interval [67.0, 81.0] lies above it.',
    );
  });

  it("inconclusive without a target, carrying the curve's reason and items needed", () => {
    const a = one(
      input({ curves: [curve('random', 'inconclusive', { reason: 'shots help, but the data cannot tell; roughly 240 items would decide it (now 60).' })] }),
    );
    expect(a.decision).toBe('inconclusive');
    expect(a.reasons[0]).toBe('Not settled yet: the random curve is inconclusive.');
    expect(a.reasons).toContain('Shots help, but the data cannot tell; roughly 240 items would decide it (now 60).');
    expect(a.reasons.filter((r) => r.includes('240'))).toHaveLength(1);
  });

  it('inconclusive and nothing recommended when nothing was answered', () => {
    const a = one(input({ candidates: [{ provider: PROVIDER, model: 'm', best: null, tied: [], zeroShot: null }] }));
    expect(a).toMatchObject({ decision: 'inconclusive', selector: null, k: null, accuracy: null, ciLow: null, ciHigh: null, nItems: 0 });
    expect(a.tokensPerRequest).toEqual({ recommended: null, zeroShot: null });
    expect(a.reasons[0]).toMatch(/No answered trials/);
  });

  it('a provider without a curve is inconclusive, not an error', () => {
    const a = one(input({ curves: [] }));
    expect(a.decision).toBe('inconclusive');
    expect(a.reasons.join(' ')).toContain('No curve was summarized');
  });

  it('flags failure trends as operational reasons, only the flagged ones of the provider', () => {
    const trend = (overrides: Partial<FailureTrend>): FailureTrend => ({
      provider: PROVIDER,
      selector: 'random',
      kind: 'truncated',
      rates: [
        { k: 8, rate: 0.12, nTrials: 60 },
        { k: 0, rate: 0.02, nTrials: 60 },
      ],
      estimate: 0.1,
      ciLow: 0.031,
      ciHigh: 0.169,
      pAdjusted: 0.01,
      flagged: true,
      detail: '',
      ...overrides,
    });
    const a = one(
      input({
        failureTrends: [trend({}), trend({ kind: 'empty', flagged: false }), trend({ provider: 'local', kind: 'parse_failure' })],
      }),
    );
    const failures = a.reasons.filter((r) => r.startsWith('Failure rate'));
    expect(failures).toEqual([
      "Failure rate of truncated outputs rises with k for random: from 2.0% at k=0 to 12.0% at k=8, +10.0 points [3.1, 16.9] (the model's answers: counted wrong in accuracy).",
    ]);
    expect(a.decision).toBe('keep-few-shot'); // operational findings never change the accuracy decision
  });
});

describe('advise: recommended cell', () => {
  it('is the cheapest tied cell by tokens in + out', () => {
    const best = cell('random', 8, 0.74);
    const c = candidates(best, [best, cell('random', 2, 0.7), cell('first', 1, 0.7, { meanTokensIn: 400, meanTokensOut: 200 })]);
    expect(recommendedCell(c)).toMatchObject({ selector: 'random', k: 2 }); // 420 tokens vs first's 600
  });

  it('breaks cost ties by smaller k, then selector name', () => {
    const tokens = { meanTokensIn: 300, meanTokensOut: 20 };
    const best = cell('random', 8, 0.74, tokens);
    expect(recommendedCell(candidates(best, [best, cell('random', 4, 0.7, tokens)]))).toMatchObject({ k: 4 });
    const c = candidates(best, [cell('random', 4, 0.7, tokens), best, cell('first', 4, 0.7, tokens)]);
    expect(recommendedCell(c)).toMatchObject({ selector: 'first', k: 4 });
  });

  it('puts cells without token counts last', () => {
    const best = cell('random', 8, 0.74);
    const c = candidates(best, [best, cell('random', 1, 0.7, { meanTokensIn: null, meanTokensOut: null })]);
    expect(recommendedCell(c)).toMatchObject({ k: 8 });
    expect(tokensPerRequest(c.tied[1]!)).toBeNull();
  });

  it('counts the best even when tied omits it', () => {
    const best = cell('random', 1, 0.74);
    expect(recommendedCell(candidates(best, [cell('random', 8, 0.72)]))).toBe(best);
  });

  it('the next k doubles the largest swept', () => {
    expect(nextK(curve('random', 'improving'))).toBe(16);
    expect(nextK({ points: [] })).toBe(1);
  });

  it("decides by the best cell's selector when zero-shot is recommended, an improving curve first when both are zero-shot", () => {
    const zero = cell('none', 0, 0.7);
    const curves = [curve('first', 'plateau'), curve('random', 'improving'), curve('zzz', 'no-benefit', {}, 'other')];
    expect(decidingCurve(curves, PROVIDER, zero, cell('first', 2, 0.72))?.selector).toBe('first');
    expect(decidingCurve(curves, PROVIDER, zero, zero)?.selector).toBe('random');
    expect(decidingCurve(curves, 'nobody', zero, zero)).toBeNull();
  });
});

describe('advise: cost', () => {
  it('tokens and cost per request, per 1k and per month vs zero-shot', () => {
    const a = one(input({ requestsPerMonth: 1_000_000 }));
    // k=4: 700 in + 20 out; zero-shot: 100 in + 20 out; gpt-4o-mini: 0.15 / 0.60 per 1M.
    expect(a.tokensPerRequest).toEqual({ recommended: 720, zeroShot: 120 });
    expect(a.costPer1k!.recommended).toBeCloseTo((700 * 0.15 + 20 * 0.6) / 1000, 12);
    expect(a.costPer1k!.zeroShot).toBeCloseTo((100 * 0.15 + 20 * 0.6) / 1000, 12);
    expect(a.costPerMonth).toMatchObject({ requestsPerMonth: 1_000_000 });
    expect(a.costPerMonth!.recommended).toBeCloseTo(117, 9);
    expect(a.costPerMonth!.zeroShot).toBeCloseTo(27, 9);
    expect(a.priceSource).toBe('price table (as of 2025-10-01)');
    expect(a.reasons).toContain('k=4 with random sends about 720 tokens per request vs 120 zero-shot (6.0x).');
  });

  it('prices the tokens served from the prompt cache at the cached rate', () => {
    const best = cell('random', 8, 0.74);
    const cachedCell = cell('random', 4, 0.72, { meanCachedTokens: 600 });
    const a = one(input({ candidates: [candidates(best, [best, cachedCell])] }));
    // k=4: 100 fresh at 0.15 + 600 cached at 0.075 + 20 out at 0.60, per 1M tokens.
    expect(a.costPer1k!.recommended).toBeCloseTo((100 * 0.15 + 600 * 0.075 + 20 * 0.6) / 1000, 12);
  });

  it('no cost per month without requestsPerMonth', () => {
    const a = one(input());
    expect(a.costPer1k).not.toBeNull();
    expect(a.costPerMonth).toBeNull();
  });

  it("the experiment's prices win", () => {
    const a = one(input({ priceOverrides: { [PROVIDER]: { input: 1, output: 2 } } }));
    expect(a.priceSource).toBe('experiment');
    expect(a.costPer1k!.recommended).toBeCloseTo((700 * 1 + 20 * 2) / 1000, 12);
  });

  it('a missing price gives null costs and says how to add one', () => {
    const provider = 'openai-compatible:llama3';
    const best = cell('random', 8, 0.74);
    const a = one(
      input({
        curves: [curve('random', 'plateau', {}, provider)],
        candidates: [candidates(best, [best], provider)],
        requestsPerMonth: 1000,
      }),
    );
    expect(a).toMatchObject({ decision: 'keep-few-shot', costPer1k: null, costPerMonth: null, priceSource: null });
    expect(a.tokensPerRequest.recommended).toBe(1320);
    expect(a.reasons).toContain('No price for openai-compatible:llama3: add it under prices: in the experiment to see costs.');
  });
});

describe('advise: determinism', () => {
  it('gives the same advice for the same input, without touching it', () => {
    const make = () =>
      input({
        target: 0.9,
        requestsPerMonth: 5000,
        candidates: [
          candidates(cell('random', 8, 0.74), [cell('random', 4, 0.72), cell('first', 4, 0.72, { meanTokensIn: 700 }), cell('random', 8, 0.74)]),
          candidates(cell('random', 2, 0.6), [cell('random', 2, 0.6)], 'local'),
        ],
        curves: [curve('random', 'plateau'), curve('random', 'inconclusive', {}, 'local')],
      });
    const frozen = JSON.parse(JSON.stringify(make())) as AdviseInput;
    const deepFreeze = (o: unknown): unknown => {
      if (o && typeof o === 'object') {
        for (const v of Object.values(o)) deepFreeze(v);
        Object.freeze(o);
      }
      return o;
    };
    const i = make();
    deepFreeze(i);
    const a = advise(i);
    expect(advise(make())).toEqual(a);
    expect(JSON.parse(JSON.stringify(i))).toEqual(frozen);
    expect(a.map((x) => x.provider)).toEqual([PROVIDER, 'local']); // the candidates' order
    expect(a[0]).toMatchObject({ selector: 'first', k: 4 }); // cost tie with random k=4: selector name
  });
});
