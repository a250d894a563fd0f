import { describe, expect, it } from 'vitest';
import { balancedSelector, NO_LABEL } from '../src/selectors/balanced.js';
import { randomSelector } from '../src/selectors/random.js';
import type { TaskItem } from '../src/tasks/task.js';
import { Rng } from '../src/util/rng.js';
import { syntheticPool } from './selectors-helpers.js';

const item: TaskItem<null> = { id: 'eval', text: 'w0 w1', data: null };
const labelOf = (s: TaskItem<null>) => s.label ?? NO_LABEL;

function counts(shots: TaskItem<null>[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of shots) out.set(labelOf(s), (out.get(labelOf(s)) ?? 0) + 1);
  return out;
}

describe('balanced', () => {
  const labels = ['cat', 'dog', 'bird'];
  // Unequal label sizes (cat 10, dog 8, bird 6) and a few unlabeled examples.
  const pool: TaskItem<null>[] = [
    ...syntheticPool(24, 'bal', 30).map((ex, i) => ({ ...ex, label: i < 10 ? 'cat' : i < 18 ? 'dog' : 'bird' })),
    ...syntheticPool(6, 'bal-none', 30),
  ];

  it('keeps label counts within 1 of each other at every k while every label has examples, and covers every label', () => {
    const groups = [...labels, NO_LABEL];
    for (let seed = 0; seed < 20; seed++) {
      const full = balancedSelector.select(item, pool, 24, new Rng([seed, item.id]));
      for (let k = 0; k <= 24; k++) {
        const shots = full.slice(0, k);
        expect(balancedSelector.select(item, pool, k, new Rng([seed, item.id]))).toEqual(shots);
        const c = groups.map((g) => counts(shots).get(g) ?? 0);
        expect(Math.max(...c) - Math.min(...c)).toBeLessThanOrEqual(1);
        if (k >= groups.length) expect(counts(shots).size).toBe(groups.length);
      }
    }
  });

  it('after a label runs out, keeps taking the others in turn', () => {
    const shots = balancedSelector.select(item, pool, 30, new Rng([1]));
    expect(Object.fromEntries(counts(shots))).toEqual({ cat: 10, dog: 8, bird: 6, [NO_LABEL]: 6 });
  });

  it('rotates which label comes first, by seed', () => {
    const firsts = new Set(Array.from({ length: 40 }, (_, s) => labelOf(balancedSelector.select(item, pool, 1, new Rng([s]))[0]!)));
    expect(firsts.size).toBe(4);
  });

  it('is random within a label, by seed', () => {
    const picks = new Set(
      Array.from({ length: 20 }, (_, s) =>
        balancedSelector
          .select(item, pool, 8, new Rng([s]))
          .map((x) => x.id)
          .join(),
      ),
    );
    expect(picks.size).toBeGreaterThan(10);
  });

  it('behaves exactly like random when no example has a label', () => {
    const unlabeled = syntheticPool(30, 'plain', 30);
    for (const seed of [1, 2, 3]) {
      expect(balancedSelector.select(item, unlabeled, 12, new Rng([seed]))).toEqual(randomSelector.select(item, unlabeled, 12, new Rng([seed])));
    }
  });
});
