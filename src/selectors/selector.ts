import type { TaskItem } from '../tasks/task.js';
import type { Rng } from '../util/rng.js';

/**
 * Picks the k shots for one evaluation item.
 * Contract: never returns the item itself (by id or by normalized content), and for a given
 * (item, rng seed) the k-shot list is a prefix of the (k+1)-shot list wherever the strategy
 * allows, so curves are paired across k and prompts share prefixes.
 */
export interface Selector {
  readonly name: string;
  select<D>(item: TaskItem<D>, pool: readonly TaskItem<D>[], k: number, rng: Rng): TaskItem<D>[];
}
