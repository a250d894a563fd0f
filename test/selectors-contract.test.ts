import { describe, expect, it } from 'vitest';
import { createSelector, getSelector, SELECTOR_NAMES } from '../src/selectors/index.js';
import type { Selector } from '../src/selectors/selector.js';
import type { TaskItem } from '../src/tasks/task.js';
import { Rng } from '../src/util/rng.js';
import { syntheticPool } from './selectors-helpers.js';

// Contract shared by every new selector: determinism, nested prefix, leakage, refusing k.
const pool = syntheticPool(40, 'contract', 30, ['neg', 'pos', 'neutral']);
const item: TaskItem<null> = { id: 'eval-1', text: 'w0 w3 w5 w1c unknownword', data: null };
const KS = [0, 1, 2, 4, 8, 16];

const cases: { name: string; make: () => Selector }[] = [
  { name: 'similar', make: () => getSelector('similar') },
  { name: 'diverse', make: () => getSelector('diverse') },
  { name: 'diverse lambda=0.2', make: () => ready(createSelector({ name: 'diverse', lambda: 0.2 }, { env: {} })) },
  { name: 'balanced', make: () => getSelector('balanced') },
];

function ready(resolution: ReturnType<typeof createSelector>): Selector {
  if (resolution.status !== 'ready') throw new Error(resolution.reason);
  return resolution.selector;
}

const ids = (shots: TaskItem<null>[]) => shots.map((s) => s.id);

describe('selector registry', () => {
  it('lists the new selectors for the config layer', () => {
    expect(SELECTOR_NAMES).toEqual(expect.arrayContaining(['similar', 'diverse', 'balanced']));
    // embedding needs a provider (and a key): it is tested on its own.
    for (const name of SELECTOR_NAMES.filter((n) => n !== 'embedding')) expect(getSelector(name).name).toBe(name);
  });

  it('diverse reads and validates lambda', () => {
    expect(() => createSelector({ name: 'diverse', lambda: 1.5 }, { env: {} })).toThrow(/lambda must be a number from 0 to 1/);
    expect(() => createSelector({ name: 'diverse', lambda: -0.1 }, { env: {} })).toThrow(/lambda/);
    expect(() => createSelector({ name: 'diverse', lambda: Number.NaN }, { env: {} })).toThrow(/lambda/);
    expect(createSelector({ name: 'diverse', lambda: 0 }, { env: {} }).status).toBe('ready');
    expect(createSelector({ name: 'diverse', lambda: 1 }, { env: {} }).status).toBe('ready');
  });
});

describe.each(cases)('$name contract', ({ make }) => {
  it('is deterministic: same item and seed, same shots, also from a fresh instance', () => {
    const a = make().select(item, pool, 8, new Rng([7, item.id]));
    const b = make().select(item, pool, 8, new Rng([7, item.id]));
    const selector = make();
    const c = selector.select(item, pool, 8, new Rng([7, item.id]));
    const d = selector.select(item, pool, 8, new Rng([7, item.id]));
    expect(ids(a)).toEqual(ids(b));
    expect(ids(c)).toEqual(ids(a));
    expect(ids(d)).toEqual(ids(a));
  });

  it('has the nested-prefix property for k in 0, 1, 2, 4, 8, 16, for many items and seeds', () => {
    const selector = make();
    const items = [item, ...syntheticPool(12, 'items', 30).map((x, i) => ({ ...x, id: `item-${i}` }))];
    for (const it of items) {
      for (const seed of [1, 2]) {
        const sets = KS.map((k) => ids(selector.select(it, pool, k, new Rng([seed, 'sel', it.id]))));
        expect(sets.map((s) => s.length)).toEqual(KS);
        for (let i = 1; i < sets.length; i++) expect(sets[i]!.slice(0, sets[i - 1]!.length)).toEqual(sets[i - 1]);
        for (const s of sets) expect(new Set(s).size).toBe(s.length);
      }
    }
  });

  it('never returns the item itself, by id or by normalized content', () => {
    const selector = make();
    const leaky: TaskItem<null>[] = [
      { id: 'eval-1', text: 'w0 w3 w5 other words entirely', data: null, label: 'pos' },
      { id: 'twin', text: '  W0   w3 W5 w1c\tUNKNOWNWORD ', data: null, label: 'neg' },
      ...pool,
    ];
    for (const k of [1, 2, 16, pool.length]) {
      const shots = ids(selector.select(item, leaky, k, new Rng([3, k])));
      expect(shots).not.toContain('eval-1');
      expect(shots).not.toContain('twin');
      expect(new Set(shots).size).toBe(k);
    }
  });

  it('refuses a k larger than the eligible pool', () => {
    const small = [...pool.slice(0, 3), { id: 'eval-1', text: 'anything', data: null }];
    expect(() => make().select(item, small, 4, new Rng([3]))).toThrow(/asked for 4 shots but only 3/);
    expect(() => make().select(item, small, -1, new Rng([3]))).toThrow(/whole number/);
    expect(make().select(item, small, 3, new Rng([3]))).toHaveLength(3);
  });
});
