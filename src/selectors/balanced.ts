import type { TaskItem } from '../tasks/task.js';
import type { Rng } from '../util/rng.js';
import { checkK, eligiblePool } from './guard.js';
import type { Selector } from './selector.js';

/** The group of pool examples that carry no label. */
export const NO_LABEL = '(none)';

/**
 * Label-stratified shots: round robin over the labels, random within a label.
 * Label order is the sorted labels rotated by an rng-chosen offset (so no label always comes
 * first); each label's examples are shuffled once by the rng; then shots are taken one per label
 * in turn, skipping labels that have run out. Examples without a label form their own group
 * "(none)". The rng draws do not depend on k, so the k-shot list is a prefix of the (k+1)-shot list,
 * and while every label still has examples, label counts differ by at most 1 at every k.
 *
 * If no pool example has a label there is nothing to balance: it behaves exactly like `random`
 * (same shots for the same seed) rather than refusing, so one experiment can list it for any task.
 */
export const balancedSelector: Selector = {
  name: 'balanced',
  select<D>(item: TaskItem<D>, pool: readonly TaskItem<D>[], k: number, rng: Rng): TaskItem<D>[] {
    const eligible = eligiblePool(item, pool);
    checkK(k, eligible.length, 'balanced');
    if (!eligible.some((ex) => ex.label !== undefined)) return rng.shuffle(eligible).slice(0, k);

    const groups = new Map<string, TaskItem<D>[]>();
    for (const ex of eligible) {
      const label = ex.label ?? NO_LABEL;
      let group = groups.get(label);
      if (!group) groups.set(label, (group = []));
      group.push(ex);
    }
    const sorted = [...groups.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const offset = rng.int(0, sorted.length - 1);
    const labels = [...sorted.slice(offset), ...sorted.slice(0, offset)];
    const queues = labels.map((label) => rng.shuffle(groups.get(label) as TaskItem<D>[]));

    const shots: TaskItem<D>[] = [];
    for (let round = 0; shots.length < k; round++) {
      for (const queue of queues) {
        const next = queue[round];
        if (next !== undefined && shots.length < k) shots.push(next);
      }
    }
    return shots;
  },
};
