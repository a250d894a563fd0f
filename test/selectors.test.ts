import { describe, expect, it } from 'vitest';
import { firstSelector } from '../src/selectors/first.js';
import { getSelector } from '../src/selectors/index.js';
import { randomSelector } from '../src/selectors/random.js';
import type { TaskItem } from '../src/tasks/task.js';
import { Rng } from '../src/util/rng.js';

const pool: TaskItem<null>[] = Array.from({ length: 20 }, (_, i) => ({ id: `pool-${i}`, text: `example number ${i}`, data: null }));
const item: TaskItem<null> = { id: 'eval-1', text: 'a fresh question', data: null };

describe('selectors', () => {
  for (const selector of [randomSelector, firstSelector]) {
    describe(selector.name, () => {
      it('has the nested-prefix property: k shots are a prefix of k+1 shots for the same item and seed', () => {
        const sets = [0, 1, 2, 4, 8, 16].map((k) => selector.select(item, pool, k, new Rng([1, 'r', item.id])).map((s) => s.id));
        for (let i = 1; i < sets.length; i++) expect(sets[i]!.slice(0, sets[i - 1]!.length)).toEqual(sets[i - 1]);
        expect(sets.map((s) => s.length)).toEqual([0, 1, 2, 4, 8, 16]);
      });

      it('never returns the item itself, by id or by content that differs only in case and spacing', () => {
        const leaky = [...pool, { id: 'eval-1', text: 'other text', data: null }, { id: 'x', text: '  A   FRESH question ', data: null }];
        const shots = selector.select(item, leaky, 20, new Rng([2]));
        expect(shots.map((s) => s.id)).not.toContain('eval-1');
        expect(shots.map((s) => s.id)).not.toContain('x');
        expect(new Set(shots.map((s) => s.id)).size).toBe(20);
      });

      it('refuses a k larger than the eligible pool', () => {
        expect(() => selector.select(item, pool.slice(0, 3), 4, new Rng([3]))).toThrow(/asked for 4 shots but only 3/);
      });
    });
  }

  it('random is seeded: same seed same shots, other seeds other shots', () => {
    const pick = (seed: number) => randomSelector.select(item, pool, 5, new Rng([seed, item.id])).map((s) => s.id);
    expect(pick(1)).toEqual(pick(1));
    expect(new Set([1, 2, 3, 4].map((s) => pick(s).join())).size).toBeGreaterThan(1);
  });

  it('first keeps the pool order', () => {
    expect(firstSelector.select(item, pool, 3, new Rng([0])).map((s) => s.id)).toEqual(['pool-0', 'pool-1', 'pool-2']);
  });

  it('looks selectors up by name', () => {
    expect(getSelector('random')).toBe(randomSelector);
    expect(() => getSelector('psychic')).toThrow(/unknown selector "psychic"; known: random, first/);
  });
});

describe('Rng', () => {
  it('is deterministic and roughly uniform', () => {
    const a = new Rng(['seed', 1]);
    const b = new Rng(['seed', 1]);
    const xs = Array.from({ length: 10000 }, () => a.next());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b.next()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });

  it('int stays within its inclusive bounds and reaches both', () => {
    const rng = new Rng([5]);
    const seen = new Set(Array.from({ length: 500 }, () => rng.int(3, 7)));
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
  });
});
