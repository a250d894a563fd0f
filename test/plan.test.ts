import { describe, expect, it } from 'vitest';
import { countByProvider, planTrials } from '../src/runner/plan.js';

describe('planTrials', () => {
  const plan = planTrials({ itemCount: 3, repeats: 2, providers: ['local', 'openai:m'], selectors: ['random', 'first'], shots: [4, 0, 1] });

  it('runs k = 0 once per provider and repeat, and every selector at every k > 0', () => {
    // per item and repeat and provider: 1 zero-shot + 2 selectors x 2 k
    expect(plan).toHaveLength(3 * 2 * 2 * 5);
    expect(plan.filter((t) => t.k === 0).every((t) => t.selector === 'none')).toBe(true);
    expect(countByProvider(plan)).toEqual(new Map([['local', 30], ['openai:m', 30]]));
  });

  it('puts evaluation items in the outer loop, so a partial run has whole items', () => {
    const firstBlock = plan.slice(0, 20);
    expect(new Set(firstBlock.map((t) => t.itemIndex))).toEqual(new Set([0]));
    expect(plan[20]!.itemIndex).toBe(1);
  });

  it('has no duplicate trials', () => {
    const keys = plan.map((t) => `${t.provider}|${t.selector}|${t.k}|${t.seed}|${t.itemIndex}`);
    expect(new Set(keys).size).toBe(plan.length);
  });

  it('plans no zero-shot cell when 0 is not among the shot counts', () => {
    expect(planTrials({ itemCount: 1, repeats: 1, providers: ['local'], selectors: ['random'], shots: [2] })).toEqual([
      { provider: 'local', selector: 'random', k: 2, seed: 0, itemIndex: 0 },
    ]);
  });
});
