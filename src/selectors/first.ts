import type { Selector } from './selector.js';
import { checkK, eligiblePool } from './guard.js';

/** The pool's own (curated) order: the first k eligible examples. Ignores the rng. */
export const firstSelector: Selector = {
  name: 'first',
  select(item, pool, k) {
    const eligible = eligiblePool(item, pool);
    checkK(k, eligible.length, 'first');
    return eligible.slice(0, k);
  },
};
