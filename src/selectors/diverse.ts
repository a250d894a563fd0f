import type { TaskItem } from '../tasks/task.js';
import { type Bm25Index, type Bm25Query, indexFor } from './bm25.js';
import { checkK } from './guard.js';
import type { Selector } from './selector.js';

/** Relevance vs diversity when the experiment gives no lambda. */
export const DEFAULT_LAMBDA = 0.5;
/** MMR starts from the top max(MIN_CANDIDATES, CANDIDATES_PER_SHOT · k) examples by relevance. */
export const MIN_CANDIDATES = 50;
export const CANDIDATES_PER_SHOT = 5;

/** Checks a lambda from an experiment: a number from 0 (pure diversity) to 1 (pure similarity). */
export function validateLambda(lambda: unknown): number {
  if (lambda === undefined) return DEFAULT_LAMBDA;
  if (typeof lambda !== 'number' || !Number.isFinite(lambda) || lambda < 0 || lambda > 1) {
    throw new Error(`diverse: lambda must be a number from 0 to 1 (1 = pure similarity), got ${String(lambda)}`);
  }
  return lambda;
}

/**
 * Greedy maximal marginal relevance over the pool for one query: each step picks the example with
 * the highest  lambda · rel − (1 − lambda) · max cosine to the examples already picked,
 * where rel is the BM25 score divided by the best BM25 score (so both terms lie in [0, 1]) and
 * cosine is over sparse TF-IDF vectors. Ties go to the higher BM25 score, then the earlier pool
 * position, i.e. to `similar`'s order; so lambda = 1 gives exactly `similar`'s list.
 *
 * Speed: MMR runs over a candidate set, the top max(50, 5k) by relevance. It stays exact: an example
 * outside the set scores at most lambda · rel(best outside), so a step whose winner beats that bound
 * is the pool-wide winner; otherwise (and when k outgrows the set) the set doubles and the step is
 * redone. Because every pick is the pool-wide greedy pick, the result does not depend on k beyond
 * its length: the k-shot list is a prefix of the (k+1)-shot list. Returns pool positions.
 */
export function mmrOrder(index: Bm25Index, query: Bm25Query, k: number, lambda: number): number[] {
  k = Math.min(k, query.eligible);
  if (k <= 0) return [];
  let size = Math.min(query.eligible, Math.max(MIN_CANDIDATES, CANDIDATES_PER_SHOT * k));
  // One example past the candidates: the best relevance outside the set.
  let ranking = index.topK(query, size + 1);
  const maxRel = ranking.scores[0] ?? 0;
  const relevance = (score: number): number => (maxRel > 0 ? score / maxRel : 0);
  let taken = new Uint8Array(size);
  let maxSim = new Float64Array(size);
  const picked: number[] = [];

  while (picked.length < k) {
    let best = -1;
    let bestValue = -Infinity;
    for (let c = 0; c < size; c++) {
      if (taken[c] !== 0) continue;
      const value = lambda * relevance(ranking.scores[c] as number) - (1 - lambda) * (maxSim[c] as number);
      if (value > bestValue) {
        best = c;
        bestValue = value;
      }
    }
    const hasOutside = ranking.docs.length > size;
    if (best === -1 || (hasOutside && !(bestValue >= lambda * relevance(ranking.scores[size] as number)))) {
      // Something outside might win: widen the candidate set (the ranking's prefix is stable).
      const wider = Math.min(query.eligible, size * 2);
      ranking = index.topK(query, wider + 1);
      const widerTaken = new Uint8Array(wider);
      widerTaken.set(taken);
      const widerSim = new Float64Array(wider);
      widerSim.set(maxSim);
      for (let c = size; c < wider; c++) {
        let m = 0;
        for (const p of picked) m = Math.max(m, index.cosine(ranking.docs[c] as number, ranking.docs[p] as number));
        widerSim[c] = m;
      }
      taken = widerTaken;
      maxSim = widerSim;
      size = wider;
      continue;
    }
    taken[best] = 1;
    picked.push(best);
    const bestDoc = ranking.docs[best] as number;
    for (let c = 0; c < size; c++) {
      if (taken[c] !== 0) continue;
      const sim = index.cosine(ranking.docs[c] as number, bestDoc);
      if (sim > (maxSim[c] as number)) maxSim[c] = sim;
    }
  }
  return picked.map((c) => ranking.docs[c] as number);
}

/**
 * Relevant but not redundant shots: maximal marginal relevance (see `mmrOrder`) with BM25
 * relevance to the item and TF-IDF cosine between examples. lambda (default 0.5) trades relevance
 * (1 = exactly `similar`) against diversity (0). Deterministic; ignores the rng. Never returns the
 * item itself. Shares `similar`'s per-pool index.
 */
export function createDiverseSelector(options: { lambda?: number } = {}): Selector {
  const lambda = validateLambda(options.lambda);
  return {
    name: 'diverse',
    prepare(pool) {
      indexFor(pool);
    },
    select<D>(item: TaskItem<D>, pool: readonly TaskItem<D>[], k: number): TaskItem<D>[] {
      const index = indexFor(pool);
      const query = index.query(item);
      checkK(k, query.eligible, 'diverse');
      return mmrOrder(index, query, k, lambda).map((d) => pool[d] as TaskItem<D>);
    },
  };
}
