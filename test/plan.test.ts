import { describe, expect, it } from 'vitest';
import { planTrials } from '../src/runner/plan.js';

describe('planTrials', () => {
  const lazy = planTrials({ itemCount: 3, repeats: 2, providers: ['local', 'openai:m'], selectors: ['random', 'first'], shots: [4, 0, 1] });
  const plan = [...lazy];

  it('runs k = 0 once per provider and repeat, and every selector at every k > 0', () => {
    // per item and repeat and provider: 1 zero-shot + 2 selectors x 2 k
    expect(plan).toHaveLength(3 * 2 * 2 * 5);
    expect(lazy.length).toBe(plan.length);
    expect(plan.filter((t) => t.k === 0).every((t) => t.selector === 'none')).toBe(true);
    expect(lazy.countByProvider()).toEqual(
      new Map([
        ['local', 30],
        ['openai:m', 30],
      ]),
    );
  });

  it('puts evaluation items in the outer loop, so a partial run has whole items', () => {
    const firstBlock = plan.slice(0, 20);
    expect(new Set(firstBlock.map((t) => t.itemIndex))).toEqual(new Set([0]));
    expect(plan[20]!.itemIndex).toBe(1);
    const ownOrder = [...lazy.forProvider('openai:m')].map((t) => t.itemIndex);
    expect(ownOrder).toEqual([...ownOrder].sort((a, b) => a - b));
  });

  it("has no duplicate trials, and each provider's own stream is exactly its share of the whole", () => {
    const key = (t: (typeof plan)[number]) => `${t.provider}|${t.selector}|${t.k}|${t.repeat}|${t.itemIndex}`;
    expect(new Set(plan.map(key)).size).toBe(plan.length);
    const streams = [...lazy.forProvider('local'), ...lazy.forProvider('openai:m')].map(key).sort();
    expect(streams).toEqual(plan.map(key).sort());
  });

  it('plans no zero-shot cell when 0 is not among the shot counts', () => {
    expect([...planTrials({ itemCount: 1, repeats: 1, providers: ['local'], selectors: ['random'], shots: [2] })]).toEqual([
      { provider: 'local', prompt: 'builtin', selector: 'random', k: 2, repeat: 0, itemIndex: 0 },
    ]);
  });

  it('holds a million-trial grid without expanding it', () => {
    const big = planTrials({ itemCount: 100_000, repeats: 3, providers: ['local'], selectors: ['random', 'first'], shots: [0, 1, 2, 4, 8] });
    expect(big.length).toBe(100_000 * 3 * 9);
    const first = big.forProvider('local').next().value;
    expect(first).toEqual({ provider: 'local', prompt: 'builtin', selector: 'none', k: 0, repeat: 0, itemIndex: 0 });
  });
});
