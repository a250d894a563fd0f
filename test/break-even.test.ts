// The fine-tune break-even (analysis/break-even.ts) against hand-worked cases, and the dated
// fine-tuning price table with its overrides (config/finetune-prices.ts).
import { describe, expect, it } from 'vitest';
import { breakEven, tunedMonthlyCost } from '../src/analysis/break-even.js';
import { withFineTune } from '../src/analysis/fine-tune.js';
import type { Advice } from '../src/records/summary.js';
import { hostingPerMonth, loadFineTuneTable, openAIFineTuneBase, resolveFineTunePrice } from '../src/config/finetune-prices.js';

describe('breakEven', () => {
  it('training $30 over 6 months, no fee, few-shot $0.002 vs tuned $0.0005 a request: $5 a month / $0.0015 = 3,333 requests a month', () => {
    const input = { trainingCost: 30, hostingPerMonth: 0, horizonMonths: 6, fewShotPerRequest: 0.002, tunedPerRequest: 0.0005 };
    const b = breakEven(input);
    expect(b.kind).toBe('volume');
    expect(b.kind === 'volume' && b.requestsPerMonth).toBeCloseTo(3333.333, 3);
    // At the break-even both cost the same: 3,333.3 x 0.002 = 6.67 = 5 + 3,333.3 x 0.0005.
    const v = (b as { requestsPerMonth: number }).requestsPerMonth;
    expect(tunedMonthlyCost(input, v)).toBeCloseTo(v * 0.002, 10);
  });

  it('with a hosting fee: training $60 over 6 months and $100 a month, saving $0.001 a request: 110,000 requests a month', () => {
    const b = breakEven({ trainingCost: 60, hostingPerMonth: 100, horizonMonths: 6, fewShotPerRequest: 0.0015, tunedPerRequest: 0.0005 });
    expect(b).toEqual({ kind: 'volume', requestsPerMonth: expect.closeTo(110_000, 6) });
  });

  it('never, when a tuned request costs as much as a few-shot one or more', () => {
    expect(breakEven({ trainingCost: 1, hostingPerMonth: 0, horizonMonths: 6, fewShotPerRequest: 0.001, tunedPerRequest: 0.001 }).kind).toBe('never');
    expect(breakEven({ trainingCost: 1, hostingPerMonth: 0, horizonMonths: 6, fewShotPerRequest: 0.001, tunedPerRequest: 0.002 }).kind).toBe('never');
  });

  it('unknown, when the model has a fee the price does not state', () => {
    expect(breakEven({ trainingCost: 1, hostingPerMonth: null, horizonMonths: 6, fewShotPerRequest: 0.01, tunedPerRequest: 0 })).toMatchObject({
      kind: 'unknown',
    });
  });
});

describe('the fine-tuning price table', () => {
  it('is dated, and lists the tunable base models with their training and tuned prices', () => {
    const table = loadFineTuneTable();
    expect(table.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(resolveFineTunePrice('openai:gpt-4o-mini')).toMatchObject({
      training: 3,
      input: 0.3,
      output: 1.2,
      source: `fine-tuning price table (as of ${table.asOf})`,
    });
    expect(resolveFineTunePrice('openai:gpt-4o-mini-2024-07-18')).toMatchObject({ training: 3, listedAs: 'openai:gpt-4o-mini' });
    expect(resolveFineTunePrice('anthropic:claude-haiku-4-5')).toBeNull();
    expect(resolveFineTunePrice('openai-compatible:llama3')).toBeNull();
  });

  it("the experiment's fineTune.prices win, reported as source experiment", () => {
    const own = resolveFineTunePrice('openai:gpt-4o-mini', { 'openai:gpt-4o-mini': { training: 1, input: 0.1, output: 0.2 } });
    expect(own).toMatchObject({ training: 1, input: 0.1, output: 0.2, source: 'experiment' });
  });

  it('hosting per month adds the per-hour fee over an average month; an unknown fee stays unknown', () => {
    expect(hostingPerMonth({})).toBe(0);
    expect(hostingPerMonth({ hostingPerMonth: 1.95, hostingPerHour: 2 })).toBeCloseTo(1.95 + 2 * 730.5, 10);
    expect(hostingPerMonth(resolveFineTunePrice('anthropic:claude-3-haiku-20240307')!)).toBeNull();
  });

  it('reads the base model of an OpenAI fine-tuned model id', () => {
    expect(openAIFineTuneBase('openai:ft:gpt-4o-mini-2024-07-18:acme::abc123')).toBe('openai:gpt-4o-mini-2024-07-18');
    expect(openAIFineTuneBase('openai:gpt-4o-mini')).toBeNull();
  });
});

describe('the fine-tune block of an advice (analysis/fine-tune.ts)', () => {
  const cell = (k: number, tokensIn: number) => ({
    selector: k === 0 ? 'none' : 'random',
    k,
    accuracy: 0.8,
    ciLow: 0.75,
    ciHigh: 0.85,
    nItems: 200,
    meanTokensIn: tokensIn,
    meanTokensOut: 5,
    meanCachedTokens: 0,
  });
  const candidates = [{ provider: 'openai:gpt-4o-mini', model: 'gpt-4o-mini', best: cell(16, 2000), tied: [cell(16, 2000)], zeroShot: cell(0, 150) }];
  const advice = (decision: Advice['decision']): Advice => ({
    provider: 'openai:gpt-4o-mini',
    decision,
    selector: 'random',
    k: 16,
    accuracy: 0.8,
    ciLow: 0.75,
    ciHigh: 0.85,
    nItems: 200,
    reasons: ['the curve is settled below the target'],
    tokensPerRequest: { recommended: 2005, zeroShot: 155 },
    costPer1k: { recommended: (2000 * 0.15 + 5 * 0.6) / 1000, zeroShot: (150 * 0.15 + 5 * 0.6) / 1000 },
    costPerMonth: null,
    priceSource: 'price table',
  });
  const options = { horizonMonths: 6, requestsPerMonth: null, target: 0.95, tunedFrom: {} };
  const training = { examples: 300, tokensPerEpoch: { 'openai:gpt-4o-mini': 30_000 } };

  it('prices training, the tuned request at k = 0 from the zero-shot cell, and the break-even', () => {
    const [a] = withFineTune([advice('keep-few-shot')], candidates as never, () => [], training, options);
    const ft = a!.fineTune!;
    expect(ft.trainingCost).toBeCloseTo((30_000 * 3 * 3) / 1e6, 12);
    expect(ft.costPer1k.tuned).toBeCloseTo((150 * 0.3 + 5 * 1.2) / 1000, 12);
    expect(ft.breakEven).toEqual({ kind: 'volume', requestsPerMonth: expect.closeTo(0.27 / 6 / ((0.303 - 0.051) / 1000), 6) });
    expect(ft.accuracy.kind).toBe('assumed');
    expect(a!.reasons).toEqual(['the curve is settled below the target']);
  });

  it('with the target missed (decision fine-tune), the reasons say fine-tuning is the remaining lever and what it costs', () => {
    const [a] = withFineTune([advice('fine-tune')], candidates as never, () => [], training, options);
    expect(a!.reasons.at(-1)).toMatch(
      /^Fine-tuning is the remaining lever for the target of 95\.0%: training on the 300 pool examples costs about 0\.2700 USD \(90,000 tokens: 30,000 x 3 epochs; fine-tuning price table \(as of \d{4}-\d{2}-\d{2}\)\), then 0\.0510 USD per 1,000 requests at k = 0 against 0\.3030 USD few-shot; it pays for itself from about [\d,]+ requests a month over 6 months\.$/,
    );
    console.log(`the lever: ${a!.reasons.at(-1)}`);
  });

  it('no block without the run counted training tokens, for a model without a fine-tuning price, or for the tuned entry itself', () => {
    expect(withFineTune([advice('keep-few-shot')], candidates as never, () => [], undefined, options)[0]!.fineTune).toBeUndefined();
    const anthropic = { ...advice('keep-few-shot'), provider: 'anthropic:claude-haiku-4-5' };
    expect(withFineTune([anthropic], candidates as never, () => [], training, options)[0]!.fineTune).toBeUndefined();
    const tuned = withFineTune([advice('keep-few-shot')], candidates as never, () => [], training, { ...options, tunedFrom: { 'openai:gpt-4o-mini': 'base' } });
    expect(tuned[0]!.fineTune).toBeUndefined();
  });
});
