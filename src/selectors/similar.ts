import type { TaskItem } from '../tasks/task.js';
import { indexFor } from './bm25.js';
import { checkK } from './guard.js';
import type { Selector } from './selector.js';

/**
 * The k pool examples lexically closest to the item: BM25 (k1 = 1.2, b = 0.75) of each example's
 * `text` against the item's `text`, best first; equal scores keep pool order. Examples sharing no
 * term with the item (score 0) fill in last, in pool order, like `first` — so `similar` is fully
 * deterministic and ignores the rng (every repeat shows the same shots). Ranking by a total order
 * makes the k-shot list a prefix of the (k+1)-shot list. Never returns the item itself (by id or
 * normalized text). The index is built once per pool, in `prepare` or on the first select.
 */
export function createSimilarSelector(): Selector {
  return {
    name: 'similar',
    prepare(pool) {
      indexFor(pool);
    },
    select<D>(item: TaskItem<D>, pool: readonly TaskItem<D>[], k: number): TaskItem<D>[] {
      const index = indexFor(pool);
      const query = index.query(item);
      checkK(k, query.eligible, 'similar');
      return index.topK(query, k).docs.map((d) => pool[d] as TaskItem<D>);
    },
  };
}
