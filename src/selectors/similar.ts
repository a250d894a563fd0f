import type { TaskItem } from '../tasks/task.js';
import { type Bm25Index, type Bm25Query, indexFor } from './bm25.js';
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
  return bm25Selector('similar', (index, query, k) => index.topK(query, k).docs);
}

/**
 * A selector that ranks the pool through the shared BM25 index (built once per pool, in `prepare`
 * or on the first select); `rank` returns the chosen pool indexes, best first.
 */
export function bm25Selector(name: string, rank: (index: Bm25Index, query: Bm25Query, k: number) => readonly number[]): Selector {
  return {
    name,
    prepare(pool) {
      indexFor(pool);
    },
    select<D>(item: TaskItem<D>, pool: readonly TaskItem<D>[], k: number): TaskItem<D>[] {
      const index = indexFor(pool);
      const query = index.query(item);
      checkK(k, query.eligible, name);
      return rank(index, query, k).map((d) => pool[d] as TaskItem<D>);
    },
  };
}
