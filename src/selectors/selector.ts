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
  /** True when selecting needs a network service (embeddings): a dry run must not call it. */
  readonly remote?: boolean;
  /**
   * One-time work before any select (an index over the pool; embeddings of the pool and of the
   * evaluation items). Pool and items are fixed for the whole sweep, so this runs once, and select
   * may assume it has run.
   */
  prepare?(pool: readonly TaskItem[], items: readonly TaskItem[]): Promise<void> | void;
  select<D>(item: TaskItem<D>, pool: readonly TaskItem<D>[], k: number, rng: Rng): TaskItem<D>[];
}

/** A selector as the experiment names it, with its options (defined by config, which validates it). */
export type { SelectorSpec } from '../config/selectors.js';

/** What a selector may need from the outside (keys for embedding APIs). */
export interface SelectorDeps {
  env: NodeJS.ProcessEnv;
}

export type SelectorResolution = { status: 'ready'; selector: Selector } | { status: 'skipped'; reason: string };
