import { type Bm25IndexCore, type Bm25Query, type Bm25Ranking, scratchFor } from './index-build.js';

// The exhaustive reference the pruned search (search.ts) is checked against, by the tests and
// bench/selectors.js. Deliberately simple: every example is scored with the index's `finish` (the
// same summation the search uses) and all are sorted; no postings, no pruning.

/**
 * Baseline for tests and benchmarks: score every pool example (same summation order, so the same
 * scores bit for bit), then sort them all. Same result as `topK`, at O(pool · text length) a query.
 */
export function bruteForceTopK(index: Bm25IndexCore, query: Bm25Query, n: number): Bm25Ranking {
  const out: Bm25Ranking = { docs: [], scores: [] };
  n = Math.min(n, query.eligible);
  if (n <= 0) return out;
  const m = query.terms.length;
  index.setQueryPositions(query.terms);
  const excluded = new Set(query.excluded);
  const all = new Float64Array(index.size);
  const contrib = scratchFor(m);
  try {
    for (let d = 0; d < index.size; d++) all[d] = index.finish(d, 0, 0, query.weights, contrib);
  } finally {
    index.clearQueryPositions(query.terms);
  }
  const order: number[] = [];
  for (let d = 0; d < index.size; d++) if (!excluded.has(d)) order.push(d);
  order.sort((a, b) => (all[b] as number) - (all[a] as number) || a - b);
  for (const d of order.slice(0, n)) {
    out.docs.push(d);
    out.scores.push(all[d] as number);
  }
  return out;
}
