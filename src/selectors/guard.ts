import { normalizeText } from '../tasks/leakage.js';
import type { TaskItem } from '../tasks/task.js';

/**
 * The pool with the item itself removed, by id and by normalized content:
 * an evaluation item must never be shown as its own example.
 */
export function eligiblePool<D>(item: TaskItem<D>, pool: readonly TaskItem<D>[]): TaskItem<D>[] {
  const itemText = normalizeText(item.text);
  return pool.filter((ex) => ex.id !== item.id && normalizeText(ex.text) !== itemText);
}

/** Refuses a k the pool cannot supply, rather than silently returning fewer shots. */
export function checkK(k: number, available: number, selector: string): void {
  if (!Number.isInteger(k) || k < 0) throw new Error(`${selector}: k must be a whole number >= 0, got ${k}`);
  if (k > available) {
    throw new Error(`${selector}: asked for ${k} shots but only ${available} pool examples are eligible for this item`);
  }
}
