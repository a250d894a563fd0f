import { describe, expect, it } from 'vitest';
import { itemClusteredAccuracy, wilson } from '../src/analysis/stats.js';

describe('wilson', () => {
  it('matches known values', () => {
    const iv = wilson(8, 10)!;
    expect(iv.estimate).toBeCloseTo(0.8, 10);
    expect(iv.lower).toBeCloseTo(0.4902, 3);
    expect(iv.upper).toBeCloseTo(0.9433, 3);
    expect(iv.n).toBe(10);
  });

  it('stays inside [0, 1] at the extremes', () => {
    const none = wilson(0, 10)!;
    expect(none.lower).toBe(0);
    // z^2 / (n + z^2). (0.3085 would be the exact Clopper-Pearson bound, not Wilson.)
    expect(none.upper).toBeCloseTo(0.2775, 3);
    const all = wilson(10, 10)!;
    expect(all.lower).toBeCloseTo(0.7225, 3);
    expect(all.upper).toBe(1);
  });

  it('is symmetric around one half', () => {
    const a = wilson(3, 20)!;
    const b = wilson(17, 20)!;
    expect(a.lower).toBeCloseTo(1 - b.upper, 12);
    expect(a.upper).toBeCloseTo(1 - b.lower, 12);
  });

  it('narrows with n', () => {
    const small = wilson(5, 10)!;
    const large = wilson(50, 100)!;
    expect(large.upper - large.lower).toBeLessThan(small.upper - small.lower);
  });

  it('returns null when there is no data', () => {
    expect(wilson(0, 0)).toBeNull();
  });

  it('takes z', () => {
    const wide = wilson(8, 10, 2.575829)!;
    const narrow = wilson(8, 10)!;
    expect(wide.lower).toBeLessThan(narrow.lower);
  });
});

describe('itemClusteredAccuracy', () => {
  it('averages repeats per item before counting items', () => {
    const iv = itemClusteredAccuracy([
      { itemId: 'a', score: 1 },
      { itemId: 'a', score: 0 },
      { itemId: 'b', score: 1 },
      { itemId: 'b', score: 1 },
    ])!;
    expect(iv.n).toBe(2);
    expect(iv.estimate).toBeCloseTo(0.75, 12);
    expect(iv).toEqual(wilson(1.5, 2));
  });

  it('repeats do not narrow the interval', () => {
    const once = itemClusteredAccuracy(['a', 'b', 'c', 'd'].map((itemId, i) => ({ itemId, score: i % 2 })))!;
    const many = itemClusteredAccuracy(['a', 'b', 'c', 'd'].flatMap((itemId, i) => Array.from({ length: 10 }, () => ({ itemId, score: i % 2 }))))!;
    expect(many).toEqual(once);
  });

  it('is null with no scores', () => {
    expect(itemClusteredAccuracy([])).toBeNull();
  });
});
