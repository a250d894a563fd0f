// The fine-tune break-even (analysis/break-even.ts) against hand-worked cases, and the dated
// fine-tuning price table with its overrides (config/finetune-prices.ts).
import { describe, expect, it } from 'vitest';
import { breakEven, tunedMonthlyCost } from '../src/analysis/break-even.js';
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
