import type { TaskItem } from './task.js';

/** Why an evaluation item was refused. */
export interface LeakRefusal {
  id: string;
  reason: string;
}

/** Lower-case, whitespace collapsed, trimmed: cosmetic differences must not hide a copy. */
export function normalizeText(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * Evaluation items that also appear in the pool, by id or by normalized text.
 * A leaked item could be shown to the model as its own worked example, inflating scores.
 */
export function findLeaks<D>(pool: readonly TaskItem<D>[], items: readonly TaskItem<D>[]): LeakRefusal[] {
  const poolIds = new Set(pool.map((p) => p.id));
  const poolTexts = new Map<string, string>();
  for (const p of pool) {
    const key = normalizeText(p.text);
    if (!poolTexts.has(key)) poolTexts.set(key, p.id);
  }
  const leaks: LeakRefusal[] = [];
  for (const item of items) {
    if (poolIds.has(item.id)) {
      leaks.push({ id: item.id, reason: `id ${item.id} is also a pool example id` });
      continue;
    }
    const twin = poolTexts.get(normalizeText(item.text));
    if (twin !== undefined) leaks.push({ id: item.id, reason: `same content as pool example ${twin}` });
  }
  return leaks;
}

/** Splits items into the clean ones (order kept) and the refused ones with reasons. */
export function excludeLeaks<D>(pool: readonly TaskItem<D>[], items: readonly TaskItem<D>[]): { items: TaskItem<D>[]; refused: LeakRefusal[] } {
  const refused = findLeaks(pool, items);
  const refusedIds = new Set(refused.map((r) => r.id));
  return { items: items.filter((item) => !refusedIds.has(item.id)), refused };
}
