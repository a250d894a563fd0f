import { type Bm25Index, type Bm25Query, cosine } from './bm25.js';
import { bm25Selector } from './similar.js';
import type { Selector } from './selector.js';

/** Relevance vs diversity when the experiment gives no lambda. */
export const DEFAULT_LAMBDA = 0.5;
/** Pick number p chooses among the top max(MIN_CANDIDATES, CANDIDATES_PER_SHOT · p) examples by relevance. */
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

let dense = new Float64Array(0);

/** A zeroed array of one weight per vocabulary term, reused across selects (left zeroed after use). */
function denseScratch(size: number): Float64Array {
  if (dense.length < size) dense = new Float64Array(size);
  return dense;
}

/** How many top-relevance examples pick number p (1-based) chooses from. */
export function candidateWindow(p: number): number {
  return Math.max(MIN_CANDIDATES, CANDIDATES_PER_SHOT * p);
}

/**
 * Greedy maximal marginal relevance for one query: each pick is the candidate with the highest
 *   lambda · rel − (1 − lambda) · (max cosine to the examples already picked),
 * where rel is the BM25 score divided by the best BM25 score (so both terms lie in [0, 1]) and
 * cosine is over sparse TF-IDF vectors. Ties go to the higher BM25 score, then the earlier pool
 * position, i.e. to `similar`'s order; so lambda = 1 gives exactly `similar`'s list.
 *
 * Speed: pick number p chooses among the top max(50, 5p) examples by relevance, not the whole pool
 * (an example outside that window is too irrelevant to be worth a shot). The window depends on the
 * pick number, never on k, and the relevance ranking is a total order whose top n is a prefix of
 * its top n + 1, so the k-shot list is a prefix of the (k+1)-shot list; the window simply grows
 * as more shots are asked for (5 more candidates per shot past the tenth). One BM25 top-max(50, 5k)
 * query and about 5k² cosines per select. Returns pool positions.
 */
export function mmrOrder(index: Bm25Index, query: Bm25Query, k: number, lambda: number): number[] {
  k = Math.min(k, query.eligible);
  if (k <= 0) return [];
  const ranking = index.topK(query, candidateWindow(k));
  const { docs, scores } = ranking;
  const maxRel = scores[0] ?? 0;
  const relevance = scores.map((s) => (maxRel > 0 ? s / maxRel : 0));
  const taken = new Uint8Array(docs.length);
  const maxSim = new Float64Array(docs.length);
  const vectors = index.tfidfVectors(docs);
  const { start, terms, weights } = vectors;
  const picked: number[] = [];
  let open = 0; // candidates [0, open) are in the window, with maxSim up to date
  for (let p = 1; p <= k; p++) {
    const window = Math.min(docs.length, candidateWindow(p));
    for (; open < window; open++) {
      let m = 0;
      for (const q of picked) m = Math.max(m, cosine(vectors, open, q));
      maxSim[open] = m;
    }
    let best = -1;
    let bestValue = -Infinity;
    for (let c = 0; c < window; c++) {
      if (taken[c] !== 0) continue;
      const value = lambda * (relevance[c] as number) - (1 - lambda) * (maxSim[c] as number);
      if (value > bestValue) {
        best = c;
        bestValue = value;
      }
    }
    taken[best] = 1;
    picked.push(best);
    // Similarity of every open candidate to the new pick, against the pick scattered densely:
    // the same products in the same ascending-term order as `cosine`, so the same values.
    const dense = denseScratch(index.vocabularySize);
    for (let e = start[best] as number; e < (start[best + 1] as number); e++) dense[terms[e] as number] = weights[e] as number;
    for (let c = 0; c < open; c++) {
      if (taken[c] !== 0) continue;
      let dot = 0;
      for (let e = start[c] as number; e < (start[c + 1] as number); e++) {
        const w = dense[terms[e] as number] as number;
        if (w !== 0) dot += (weights[e] as number) * w;
      }
      const sim = Math.min(1, dot);
      if (sim > (maxSim[c] as number)) maxSim[c] = sim;
    }
    for (let e = start[best] as number; e < (start[best + 1] as number); e++) dense[terms[e] as number] = 0;
  }
  return picked.map((c) => docs[c] as number);
}

/**
 * Relevant but not redundant shots: maximal marginal relevance (see `mmrOrder`) with BM25
 * relevance to the item and TF-IDF cosine between examples. lambda (default 0.5) trades relevance
 * (1 = exactly `similar`) against diversity (0). Deterministic; ignores the rng. Never returns the
 * item itself. Shares `similar`'s per-pool index.
 */
export function createDiverseSelector(options: { lambda?: number } = {}): Selector {
  const lambda = validateLambda(options.lambda);
  return bm25Selector('diverse', (index, query, k) => mmrOrder(index, query, k, lambda));
}
