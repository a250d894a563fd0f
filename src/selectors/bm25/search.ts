import { type Bm25IndexCore, type Bm25Query, type Bm25Ranking, COMMON_TERMS, scratchFor } from './index-build.js';

// The pruned top-k search used at run time (`similar`, `diverse`): term-at-a-time over the
// postings with max-score pruning. Checked against brute-force.ts, which it must match exactly.

/** Finishing one example from the forward index costs about this many posting steps (measured). */
const FINISH_COST = 25;

/** Relative slack for float rounding in the pruning bounds (sums of at most a few hundred positive terms). */
const SAFETY = 1 + 1e-9;

/** What the not yet walked query terms can add: per common-term bit, and for all other terms together. */
interface RemainingBounds {
  mask: number;
  byBit: Float64Array;
  other: number;
  /** Everything left (rest[from]): at least any example's bound. */
  total: number;
}

/**
 * A bounded min-heap keeping the best n (score, position) pairs, best = higher score, then lower
 * position. The root is the worst kept pair.
 */
class TopN {
  private readonly scores: Float64Array;
  private readonly docs: Uint32Array;
  size = 0;
  constructor(private readonly capacity: number) {
    this.scores = new Float64Array(capacity);
    this.docs = new Uint32Array(capacity);
  }
  /** a is worse than b. */
  private worse(sa: number, da: number, sb: number, db: number): boolean {
    return sa < sb || (sa === sb && da > db);
  }
  offer(score: number, doc: number): void {
    if (this.capacity === 0) return;
    if (this.size < this.capacity) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        const ps = this.scores[parent] as number;
        const pd = this.docs[parent] as number;
        if (!this.worse(score, doc, ps, pd)) break;
        this.scores[i] = ps;
        this.docs[i] = pd;
        i = parent;
      }
      this.scores[i] = score;
      this.docs[i] = doc;
      return;
    }
    if (!this.worse(this.scores[0] as number, this.docs[0] as number, score, doc)) return;
    let i = 0;
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.worse(this.scores[r] as number, this.docs[r] as number, this.scores[l] as number, this.docs[l] as number)) c = r;
      const cs = this.scores[c] as number;
      const cd = this.docs[c] as number;
      if (!this.worse(cs, cd, score, doc)) break;
      this.scores[i] = cs;
      this.docs[i] = cd;
      i = c;
    }
    this.scores[i] = score;
    this.docs[i] = doc;
  }
  /** The position of the i-th kept pair (heap order). */
  docAt(i: number): number {
    return this.docs[i] as number;
  }
  /** The worst kept score (the current n-th best). */
  minScore(): number {
    return this.scores[0] as number;
  }
  /** Kept pairs, best first. */
  sorted(into: Bm25Ranking): void {
    const order = Array.from({ length: this.size }, (_, i) => i);
    order.sort((a, b) => (this.scores[b] as number) - (this.scores[a] as number) || (this.docs[a] as number) - (this.docs[b] as number));
    for (const i of order) {
      into.docs.push(this.docs[i] as number);
      into.scores.push(this.scores[i] as number);
    }
  }
}

/** Work counters over every topK call so far (for benchmarks): postings walked, examples finished from the forward index. */
export interface SearchWork {
  queries: number;
  postingsWalked: number;
  finished: number;
}

/**
 * Top-k by BM25 over one index. Queries walk only the postings of the item's terms, term at a
 * time, rarest (highest bound) first, with max-score pruning. Once n examples are touched, the n best so far are finished
 * exactly from the forward index; their n-th best final score, theta, only rises (any example
 * whose partial score passes theta during the walk is finished too). When theta beats everything
 * the remaining (common, low-idf, long-postings) terms could add, no unseen example can enter the
 * top n: the walk stops, and the seen examples that could still get in (bounded per example with
 * its common-term mask) are finished from the forward index — unless there are so many that
 * walking on is cheaper. Scores are summed in float64 in one fixed term order on every path, so
 * results are exact: identical to scoring every example and sorting (`bruteForceTopK`), for every n.
 *
 * Not re-entrant across async boundaries by design: queries share scratch arrays (select is sync).
 */
export class PrunedSearch {
  readonly work: SearchWork = { queries: 0, postingsWalked: 0, finished: 0 };
  private readonly index: Bm25IndexCore;
  // The index's common-term bits and masks, held here too: docBound reads them per candidate.
  private readonly commonBit: Int8Array;
  private readonly commonMask: Int32Array;
  // Scratch, one slot per pool example, reset after every query (allocated with the index).
  private readonly scores: Float64Array;
  private readonly touched: Uint32Array;
  private readonly excludedMark: Uint8Array;
  private readonly finished: Uint8Array;

  constructor(index: Bm25IndexCore) {
    this.index = index;
    this.commonBit = index.commonBit;
    this.commonMask = index.commonMask;
    const n = index.size;
    this.scores = new Float64Array(n);
    this.touched = new Uint32Array(n);
    this.excludedMark = new Uint8Array(n);
    this.finished = new Uint8Array(n);
  }

  /** Bytes of the scratch arrays. */
  typedArrayBytes(): number {
    return [this.scores, this.touched, this.excludedMark, this.finished].reduce((sum, a) => sum + a.byteLength, 0);
  }

  /**
   * The top n eligible pool positions for a query by BM25 (score desc, position asc), exact.
   * Only the postings of the query's terms are walked (and, with pruning, not all of those);
   * examples with score 0 fill in after, in pool order. n is capped at `query.eligible`.
   */
  topK(query: Bm25Query, n: number): Bm25Ranking {
    const out: Bm25Ranking = { docs: [], scores: [] };
    n = Math.min(n, query.eligible);
    if (n <= 0) return out;
    const { terms, weights, rest } = query;
    const m = terms.length;
    const { scores, touched, excludedMark } = this;
    const { postDoc, postImpact, termStart } = this.index;
    for (const d of query.excluded) excludedMark[d] = 1;
    this.index.setQueryPositions(terms);
    this.work.queries++;
    let touchedCount = 0;
    const finishedList: number[] = [];
    try {
      let stopAt = m;
      // The n best final scores known so far (examples finished early); its worst is a lower bound
      // on the final n-th best score, so it only rises. Examples in it are marked in `finished`.
      const known = new TopN(n);
      let theta = -Infinity; // known.minScore() once known is full
      const contrib = scratchFor(m);
      const candidates: number[] = [];
      let left: RemainingBounds | undefined;
      const remainingPostings = (from: number): number => {
        let sum = 0;
        for (let j = from; j < m; j++) sum += (termStart[(terms[j] as number) + 1] as number) - (termStart[terms[j] as number] as number);
        return sum;
      };
      for (let j = 0; j < m; j++) {
        const t = terms[j] as number;
        const start = termStart[t] as number;
        const end = termStart[t + 1] as number;
        // Before the first long posting list: finish the n best partial scores so far exactly (a
        // pass over `touched` plus n forward-index reads). From then on the walk keeps `known` up
        // to date by finishing any example whose partial score passes theta.
        if (known.size < n && touchedCount >= n && 2 * (end - start) >= touchedCount) {
          const leaders = this.bestPartials(touchedCount, n);
          for (let i = 0; i < leaders.size; i++) {
            const d = leaders.docAt(i);
            this.finished[d] = 1;
            finishedList.push(d);
            this.work.finished++;
            known.offer(this.index.finish(d, 0, 0, weights, contrib), d);
          }
          if (known.size === n) theta = known.minScore();
        }
        // Can the remaining terms still lift an unseen example into the top n? If not, stop here
        // unless finishing the seen examples that might still get in costs more than walking on.
        if (known.size === n && theta > (rest[j] as number) * SAFETY) {
          const budget = Math.floor(remainingPostings(j) / FINISH_COST);
          const remaining = this.remainingBounds(query, j);
          if (this.collectCandidates(touchedCount, remaining, theta, budget, candidates)) {
            left = remaining;
            stopAt = j;
            break;
          }
        }
        const w = weights[j] as number;
        this.work.postingsWalked += end - start;
        for (let p = start; p < end; p++) {
          const d = postDoc[p] as number;
          const s = scores[d] as number;
          if (s === 0) touched[touchedCount++] = d;
          const partial = s + w * (postImpact[p] as number);
          scores[d] = partial;
          if (partial > theta && known.size === n && excludedMark[d] === 0 && this.finished[d] === 0) {
            // Already beats the n-th best known: finish it now, and theta rises.
            this.finished[d] = 1;
            finishedList.push(d);
            this.work.finished++;
            known.offer(this.index.finish(d, 0, 0, weights, contrib), d);
            theta = known.minScore();
          }
        }
      }

      let top: TopN;
      if (stopAt === m) {
        top = new TopN(n);
        for (let i = 0; i < touchedCount; i++) {
          const d = touched[i] as number;
          if (excludedMark[d] === 0) top.offer(scores[d] as number, d);
        }
      } else {
        // Stopped early: an example first seen in the skipped postings scores at most
        // rest[stopAt] < the n-th best final score known. A seen one is finished from the forward
        // index only if it can still reach the current n-th best, which rises as we go.
        top = known;
        const remaining = left as RemainingBounds;
        for (const d of candidates) {
          const partial = scores[d] as number;
          const bound = this.docBound(d, remaining);
          if ((partial + bound) * SAFETY < top.minScore()) continue;
          if (bound === 0) {
            top.offer(partial, d); // contains none of the remaining terms: the partial score is final
            continue;
          }
          this.work.finished++;
          top.offer(this.index.finish(d, partial, stopAt, weights, contrib), d);
        }
      }
      top.sorted(out);
      if (out.docs.length < n) {
        // Zero-score fill (only reached without pruning: pruning needs n positive scores).
        for (let d = 0; d < this.index.size && out.docs.length < n; d++) {
          if (scores[d] === 0 && excludedMark[d] === 0) {
            out.docs.push(d);
            out.scores.push(0);
          }
        }
      }
      return out;
    } finally {
      for (let i = 0; i < touchedCount; i++) scores[touched[i] as number] = 0;
      for (const d of finishedList) this.finished[d] = 0;
      for (const d of query.excluded) excludedMark[d] = 0;
      this.index.clearQueryPositions(terms);
    }
  }

  /** What the query terms from..m−1 can add: common ones by bit, the others lumped together. */
  private remainingBounds(query: Bm25Query, from: number): RemainingBounds {
    const byBit = new Float64Array(COMMON_TERMS);
    let mask = 0;
    let other = 0;
    for (let j = from; j < query.terms.length; j++) {
      const bit = this.commonBit[query.terms[j] as number] as number;
      if (bit >= 0) {
        mask |= 1 << bit;
        byBit[bit] = query.bounds[j] as number;
      } else other += query.bounds[j] as number;
    }
    return { mask, byBit, other, total: query.rest[from] as number };
  }

  /** The most the remaining terms can add to example d's score (0: d has none of them). */
  private docBound(d: number, remaining: RemainingBounds): number {
    let bits = (this.commonMask[d] as number) & remaining.mask;
    let bound = remaining.other;
    while (bits !== 0) {
      const low = bits & -bits;
      bound += remaining.byBit[31 - Math.clz32(low)] as number;
      bits ^= low;
    }
    return bound;
  }

  /**
   * Into `out`, the eligible touched examples not yet finished that could still reach `threshold`
   * given what the remaining terms can add to each; false (out incomplete) once more than `budget`.
   */
  private collectCandidates(touchedCount: number, remaining: RemainingBounds, threshold: number, budget: number, out: number[]): boolean {
    out.length = 0;
    // Most examples fail even the loose bound (everything left): test that first, it reads no mask.
    const loose = threshold / SAFETY - remaining.total;
    for (let i = 0; i < touchedCount; i++) {
      const d = this.touched[i] as number;
      const partial = this.scores[d] as number;
      if (partial < loose || this.excludedMark[d] !== 0 || this.finished[d] !== 0) continue;
      if ((partial + this.docBound(d, remaining)) * SAFETY < threshold) continue;
      if (out.length === budget) return false;
      out.push(d);
    }
    return true;
  }

  /** The n best partial scores among eligible, not yet finished touched examples. */
  private bestPartials(touchedCount: number, n: number): TopN {
    const heap = new TopN(n);
    for (let i = 0; i < touchedCount; i++) {
      const d = this.touched[i] as number;
      if (this.excludedMark[d] === 0 && this.finished[d] === 0) heap.offer(this.scores[d] as number, d);
    }
    return heap;
  }
}
