import type { TaskItem } from '../tasks/task.js';
import { bruteForceTopK } from './bm25/brute-force.js';
import { Bm25IndexCore, type Bm25Query, type Bm25Ranking } from './bm25/index-build.js';
import { PrunedSearch, type SearchWork } from './bm25/search.js';

// The public face of BM25, split by job: bm25/index-build.ts builds the index, bm25/search.ts is
// the pruned top-k used at run time, bm25/brute-force.ts the exhaustive reference it is checked
// against. Importers (and bench/*.js via dist/) keep using this path.

export { BM25_B, BM25_K1, type Bm25Query, type Bm25Ranking, cosine, type PackedVectors } from './bm25/index-build.js';

/**
 * BM25 (k1 = 1.2, b = 0.75) over the `text` of every pool example, built once per pool (see
 * `Bm25IndexCore` for the layout), with exact top-k: `topK` prunes, `bruteForceTopK` scans
 * everything; both give the same docs and scores bit for bit, for every n.
 *
 * Not re-entrant across async boundaries by design: queries share scratch arrays (select is sync).
 */
export class Bm25Index extends Bm25IndexCore {
  /** Work counters over every topK call so far (for benchmarks): postings walked, examples finished from the forward index. */
  readonly work: SearchWork;
  private readonly search: PrunedSearch;

  constructor(pool: readonly TaskItem<unknown>[]) {
    super(pool);
    // Search scratch is allocated with the index, so build-time memory figures include it.
    this.search = new PrunedSearch(this);
    this.work = this.search.work;
  }

  /** The top n eligible pool positions by BM25 (score desc, position asc), exact; pruned (bm25/search.ts). */
  topK(query: Bm25Query, n: number): Bm25Ranking {
    return this.search.topK(query, n);
  }

  /** The reference `topK` is checked against: score every example, sort them all. */
  bruteForceTopK(query: Bm25Query, n: number): Bm25Ranking {
    return bruteForceTopK(this, query, n);
  }

  /** Bytes held in typed arrays: the index and the search scratch (the vocabulary Map lives on the JS heap). */
  override typedArrayBytes(): number {
    return super.typedArrayBytes() + this.search.typedArrayBytes();
  }
}

const INDEXES = new WeakMap<object, Bm25Index>();

/**
 * The index of a pool, built on first use and cached by the pool array's identity (the sweep passes
 * the same array to every select; `similar` and `diverse` share it). Pools are fixed for a sweep;
 * a pool array whose length changed is re-indexed, other in-place edits are not detected.
 */
export function indexFor(pool: readonly TaskItem<unknown>[]): Bm25Index {
  let index = INDEXES.get(pool);
  if (!index || index.size !== pool.length) {
    index = new Bm25Index(pool);
    INDEXES.set(pool, index);
  }
  return index;
}
