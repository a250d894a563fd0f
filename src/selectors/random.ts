import type { Selector } from './selector.js';
import { checkK, eligiblePool } from './guard.js';

/**
 * Uniformly random shots. The rng is seeded per (experiment, repeat, item) and does not depend
 * on k, so one shuffle serves every k: the k-shot set is a prefix of the (k+1)-shot set.
 */
export const randomSelector: Selector = {
  name: 'random',
  select(item, pool, k, rng) {
    const eligible = eligiblePool(item, pool);
    checkK(k, eligible.length, 'random');
    return rng.shuffle(eligible).slice(0, k);
  },
};
