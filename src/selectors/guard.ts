import { normalizeText } from '../tasks/leakage.js';
import type { TaskItem } from '../tasks/task.js';

/**
 * The pool with the item itself removed, by id and by normalized content:
 * an evaluation item must never be shown as its own example.
 */
export function eligiblePool<D>(item: TaskItem<D>, pool: readonly TaskItem<D>[]): TaskItem<D>[] {
  const itemText = normalized(item);
  return pool.filter((ex) => ex.id !== item.id && normalized(ex) !== itemText);
}

// Every trial checks the whole pool: normalize each example's text once, not once per trial.
const normalizedTexts = new WeakMap<TaskItem<unknown>, string>();

function normalized(item: TaskItem<unknown>): string {
  let text = normalizedTexts.get(item);
  if (text === undefined) {
    text = normalizeText(item.text);
    normalizedTexts.set(item, text);
  }
  return text;
}

/** Refuses a k the pool cannot supply, rather than silently returning fewer shots. */
export function checkK(k: number, available: number, selector: string): void {
  if (!Number.isInteger(k) || k < 0) throw new Error(`${selector}: k must be a whole number >= 0, got ${k}`);
  if (k > available) {
    throw new Error(`${selector}: asked for ${k} shots but only ${available} pool examples are eligible for this item`);
  }
}
