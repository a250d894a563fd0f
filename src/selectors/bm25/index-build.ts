import { normalizeText } from '../../tasks/leakage.js';
import type { TaskItem } from '../../tasks/task.js';
import { fnv1a } from '../../util/hash.js';
import { tokenize } from '../tokenize.js';

// The BM25 index proper: tokenization, postings, document lengths, idf and impacts, plus what both
// rankers share (queries in scoring order, and exact scoring of one example from the forward
// index). Ranking lives elsewhere: search.ts (pruned top-k, run time) and brute-force.ts (the
// exhaustive reference it is checked against).

/** BM25 term-frequency saturation. */
export const BM25_K1 = 1.2;
/** BM25 document-length normalization. */
export const BM25_B = 0.75;

/** How many of the most frequent terms get a bit in each example's mask. */
export const COMMON_TERMS = 32;

/**
 * One evaluation item as a query against one index. Build it with `Bm25Index.query`; it is only
 * valid for the index that made it.
 */
export interface Bm25Query {
  /**
   * The item's known terms (ids), each once, in scoring order: by upper bound of contribution,
   * largest first, then by term id. Every score is summed in this order, whichever path computes it,
   * so a document's score is bit-for-bit the same for every k and for the brute-force scan.
   */
  readonly terms: Uint32Array;
  /** How often each term occurs in the item (BM25 sums over query tokens, repeats included). */
  readonly weights: Float64Array;
  /** bounds[j]: the most term j can add to any document's score (its largest impact times its weight). */
  readonly bounds: Float64Array;
  /** rest[j]: the most terms j.. can still add to any document's score (rest[terms.length] = 0). */
  readonly rest: Float64Array;
  /** Pool positions that are the item itself (same id, or same normalized text), ascending. */
  readonly excluded: readonly number[];
  /** How many pool examples the item may be shown: pool size minus `excluded`. */
  readonly eligible: number;
}

/**
 * Pool positions ranked by (score desc, position asc), a total order; so the top n is always a
 * prefix of the top n + 1. Examples sharing no term with the item score 0 and come last, in pool order.
 */
export interface Bm25Ranking {
  docs: number[];
  scores: number[];
}

/** A growable Uint32Array (the pool's postings count is unknown until every text is tokenized). */
class U32Builder {
  buf = new Uint32Array(1024);
  length = 0;
  push(value: number): void {
    if (this.length === this.buf.length) {
      const bigger = new Uint32Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.length++] = value;
  }
  finish(): Uint32Array {
    return this.buf.slice(0, this.length);
  }
}

/** Scratch for `finish`: the matched query terms of one example, by scoring position. */
export interface Scratch {
  pos: Int32Array;
  value: Float64Array;
}

export const scratchFor = (m: number): Scratch => ({ pos: new Int32Array(m), value: new Float64Array(m) });

/** Pool positions sorted by a 32-bit key, for binary-search lookups without a Map entry per example. */
class HashLookup {
  private readonly keys: Uint32Array;
  private readonly docs: Uint32Array;
  constructor(hashes: Uint32Array) {
    const order = new Uint32Array(hashes.length);
    for (let i = 0; i < order.length; i++) order[i] = i;
    order.sort((a, b) => (hashes[a] as number) - (hashes[b] as number) || a - b);
    this.docs = order;
    this.keys = new Uint32Array(order.length);
    for (let i = 0; i < order.length; i++) this.keys[i] = hashes[order[i] as number] as number;
  }
  /** Pool positions whose key is `hash` (candidates: the caller verifies). */
  find(hash: number, out: number[]): void {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.keys[mid] as number) < hash) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.keys.length && this.keys[i] === hash; i++) out.push(this.docs[i] as number);
  }
  bytes(): number {
    return this.keys.byteLength + this.docs.byteLength;
  }
}

/**
 * BM25 (k1 = 1.2, b = 0.75) over the `text` of every pool example, built once per pool: everything
 * but ranking (the public `Bm25Index` in ../bm25.ts adds `topK` and `bruteForceTopK`).
 *
 * Layout (typed arrays, linear in the pool's size, about 270 bytes an example for 8-20-word texts):
 * - inverted index in CSR form: per term, the examples containing it in pool order, each with its
 *   BM25 impact idf · tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen)), stored as float32;
 * - forward index: per example, its distinct terms (ascending ids) interleaved with the same
 *   impacts, and term frequencies (for TF-IDF cosine between examples, used by `diverse`);
 * - per example, a 32-bit mask of which of the 32 most frequent terms it contains.
 * idf = ln(1 + (N − df + 0.5)/(df + 0.5)), always positive, over the whole pool (leaving the item
 * out at query time does not change it).
 *
 * Scores are summed in float64 in one fixed term order (the query's scoring order) on every path
 * (search.ts's postings walk, and `finish` here, which both rankers use to score an example from the
 * forward index), so the pruned search and the brute force agree bit for bit.
 */
export class Bm25IndexCore {
  readonly size: number;
  readonly avgDocLength: number;
  // Public only for search.ts, which walks the postings and prunes with the common-term masks
  // (read-only use); ../bm25.ts does not re-export this class.
  /** Per term, its postings are postDoc/postImpact[termStart[t] .. termStart[t + 1]). */
  readonly termStart: Uint32Array;
  readonly postDoc: Uint32Array;
  readonly postImpact: Float32Array;
  /** For the COMMON_TERMS most frequent terms, a bit each (−1 for other terms)... */
  readonly commonBit: Int8Array;
  /** ...and per example, which of them it contains: a tight bound on what common terms can add. */
  readonly commonMask: Int32Array;
  private readonly pool: readonly TaskItem<unknown>[];
  private readonly vocab: Map<string, number>;
  private readonly idf: Float64Array;
  private readonly maxImpact: Float64Array;
  private readonly docStart: Uint32Array;
  /** Forward entries interleaved in one buffer: entry e is docTerm[2e] (term id) and docImpact[2e + 1]. */
  private readonly docTerm: Uint32Array;
  private readonly docTf: Uint16Array;
  private readonly docImpact: Float32Array;
  private readonly docNorm: Float64Array;
  private readonly byId: HashLookup;
  private readonly byText: HashLookup;
  /** Query term id -> scoring position while a ranker runs (−1 otherwise); see `setQueryPositions`. */
  private readonly queryPos: Int32Array;

  constructor(pool: readonly TaskItem<unknown>[]) {
    const n = pool.length;
    this.size = n;
    this.pool = pool;
    const vocab = new Map<string, number>();
    const df: number[] = [];
    const docLen = new Uint32Array(n);
    const docStart = new Uint32Array(n + 1);
    const fwdTerm = new U32Builder();
    const fwdTf = new U32Builder();
    const idHashes = new Uint32Array(n);
    const textHashes = new Uint32Array(n);
    let totalLen = 0;

    for (let i = 0; i < n; i++) {
      const example = pool[i] as TaskItem<unknown>;
      idHashes[i] = fnv1a(example.id);
      textHashes[i] = fnv1a(normalizeText(example.text));
      const tokens = tokenize(example.text);
      docLen[i] = tokens.length;
      totalLen += tokens.length;
      const ids = new Uint32Array(tokens.length);
      for (let j = 0; j < tokens.length; j++) {
        const token = tokens[j] as string;
        let id = vocab.get(token);
        if (id === undefined) {
          id = vocab.size;
          vocab.set(token, id);
          df.push(0);
        }
        ids[j] = id;
      }
      ids.sort();
      for (let j = 0; j < ids.length; ) {
        const id = ids[j] as number;
        let end = j + 1;
        while (end < ids.length && ids[end] === id) end++;
        fwdTerm.push(id);
        fwdTf.push(end - j);
        df[id] = (df[id] as number) + 1;
        j = end;
      }
      docStart[i + 1] = fwdTerm.length;
    }

    const terms = vocab.size;
    const postings = fwdTerm.length;
    this.vocab = vocab;
    this.avgDocLength = n > 0 && totalLen > 0 ? totalLen / n : 1;
    this.idf = new Float64Array(terms);
    this.termStart = new Uint32Array(terms + 1);
    for (let t = 0; t < terms; t++) {
      const d = df[t] as number;
      this.idf[t] = Math.log(1 + (n - d + 0.5) / (d + 0.5));
      this.termStart[t + 1] = (this.termStart[t] as number) + d;
    }

    this.docStart = docStart;
    const rawTerm = fwdTerm.finish();
    const forward = new ArrayBuffer(postings * 8);
    this.docTerm = new Uint32Array(forward);
    this.docImpact = new Float32Array(forward);
    const rawTf = fwdTf.finish();
    this.docTf = new Uint16Array(postings);
    this.postDoc = new Uint32Array(postings);
    this.postImpact = new Float32Array(postings);
    this.maxImpact = new Float64Array(terms);
    this.docNorm = new Float64Array(n);
    const cursor = this.termStart.slice(0, terms);
    for (let i = 0; i < n; i++) {
      const lengthNorm = BM25_K1 * (1 - BM25_B + (BM25_B * (docLen[i] as number)) / this.avgDocLength);
      let sq = 0;
      for (let e = docStart[i] as number; e < (docStart[i + 1] as number); e++) {
        const t = rawTerm[e] as number;
        const tf = rawTf[e] as number;
        const p = cursor[t] as number;
        cursor[t] = p + 1;
        const idf = this.idf[t] as number;
        const impact = (idf * tf * (BM25_K1 + 1)) / (tf + lengthNorm);
        this.postDoc[p] = i;
        this.postImpact[p] = impact;
        const stored = this.postImpact[p] as number; // float32, as every path reads it
        if (stored > (this.maxImpact[t] as number)) this.maxImpact[t] = stored;
        this.docTerm[2 * e] = t;
        this.docImpact[2 * e + 1] = stored;
        const clamped = Math.min(tf, 65535);
        this.docTf[e] = clamped;
        sq += (clamped * idf) ** 2;
      }
      this.docNorm[i] = Math.sqrt(sq);
    }

    this.commonBit = new Int8Array(terms).fill(-1);
    const byDf = Array.from({ length: terms }, (_, t) => t).sort((a, b) => (df[b] as number) - (df[a] as number) || a - b);
    byDf.slice(0, COMMON_TERMS).forEach((t, bit) => (this.commonBit[t] = bit));
    this.commonMask = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let mask = 0;
      for (let e = docStart[i] as number; e < (docStart[i + 1] as number); e++) {
        const bit = this.commonBit[rawTerm[e] as number] as number;
        if (bit >= 0) mask |= 1 << bit;
      }
      this.commonMask[i] = mask;
    }

    this.byId = new HashLookup(idHashes);
    this.byText = new HashLookup(textHashes);
    this.queryPos = new Int32Array(terms).fill(-1);
  }

  get vocabularySize(): number {
    return this.vocab.size;
  }

  get postingsCount(): number {
    return this.postDoc.length;
  }

  /** How many postings the query's terms have in all: what term-at-a-time without pruning would walk. */
  queryPostings(query: Bm25Query): number {
    let sum = 0;
    for (const t of query.terms) sum += (this.termStart[t + 1] as number) - (this.termStart[t] as number);
    return sum;
  }

  /** Bytes held in typed arrays (the index proper; the vocabulary Map lives on the JS heap). */
  typedArrayBytes(): number {
    const arrays = [
      this.idf,
      this.maxImpact,
      this.termStart,
      this.postDoc,
      this.postImpact,
      this.docStart,
      this.docTerm,
      this.docTf,
      this.docNorm,
      this.commonBit,
      this.commonMask,
      this.queryPos,
    ];
    return arrays.reduce((sum, a) => sum + a.byteLength, 0) + this.byId.bytes() + this.byText.bytes();
  }

  /** The item as a query: its known terms in scoring order, and which pool positions are the item itself. */
  query(item: Pick<TaskItem<unknown>, 'id' | 'text'>): Bm25Query {
    const counts = new Map<number, number>();
    for (const token of tokenize(item.text)) {
      const id = this.vocab.get(token);
      if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const entries = [...counts].map(([term, qtf]) => ({ term, qtf, bound: qtf * (this.maxImpact[term] as number) }));
    entries.sort((a, b) => b.bound - a.bound || a.term - b.term);
    const m = entries.length;
    const terms = new Uint32Array(m);
    const weights = new Float64Array(m);
    const bounds = new Float64Array(m);
    const rest = new Float64Array(m + 1);
    entries.forEach((e, j) => {
      terms[j] = e.term;
      weights[j] = e.qtf;
      bounds[j] = e.bound;
    });
    for (let j = m - 1; j >= 0; j--) rest[j] = (rest[j + 1] as number) + (entries[j] as { bound: number }).bound;

    const found: number[] = [];
    this.byId.find(fnv1a(item.id), found);
    const sameId = found.filter((d) => (this.pool[d] as TaskItem<unknown>).id === item.id);
    const norm = normalizeText(item.text);
    found.length = 0;
    this.byText.find(fnv1a(norm), found);
    const sameText = found.filter((d) => normalizeText((this.pool[d] as TaskItem<unknown>).text) === norm);
    const excluded = [...new Set([...sameId, ...sameText])].sort((a, b) => a - b);
    return { terms, weights, bounds, rest, excluded, eligible: this.size - excluded.length };
  }

  /** Marks the query's terms with their scoring positions, for `finish`; undo with `clearQueryPositions`. */
  setQueryPositions(terms: Uint32Array): void {
    for (let j = 0; j < terms.length; j++) this.queryPos[terms[j] as number] = j;
  }

  clearQueryPositions(terms: Uint32Array): void {
    for (let j = 0; j < terms.length; j++) this.queryPos[terms[j] as number] = -1;
  }

  /**
   * Adds the contributions of query terms from..m−1 that example d contains to a partial score, in
   * scoring order, so the result is bit-for-bit what walking those postings would give
   * (queryPos must be set; `scratch` holds at least m entries).
   */
  finish(d: number, partial: number, from: number, weights: Float64Array, scratch: Scratch): number {
    const { docStart, docTerm, docImpact, queryPos } = this;
    const { pos, value } = scratch;
    const end = docStart[d + 1] as number;
    let count = 0;
    for (let e = docStart[d] as number; e < end; e++) {
      const j = queryPos[docTerm[2 * e] as number] as number;
      if (j < from) continue;
      const c = (weights[j] as number) * (docImpact[2 * e + 1] as number);
      // Insertion by scoring position (an example matches few query terms).
      let i = count++;
      while (i > 0 && (pos[i - 1] as number) > j) {
        pos[i] = pos[i - 1] as number;
        value[i] = value[i - 1] as number;
        i--;
      }
      pos[i] = j;
      value[i] = c;
    }
    let s = partial;
    for (let i = 0; i < count; i++) s += value[i] as number;
    return s;
  }

  /**
   * The TF-IDF vectors (tf · idf, L2-normalized, terms ascending) of some pool examples, packed:
   * row i (for docs[i]) is entries start[i]..start[i + 1]. One allocation for all of them.
   */
  tfidfVectors(docs: readonly number[]): PackedVectors {
    const start = new Uint32Array(docs.length + 1);
    docs.forEach((d, i) => (start[i + 1] = (start[i] as number) + (this.docStart[d + 1] as number) - (this.docStart[d] as number)));
    const terms = new Uint32Array(start[docs.length] as number);
    const weights = new Float64Array(terms.length);
    docs.forEach((d, i) => {
      const norm = this.docNorm[d] as number;
      let out = start[i] as number;
      for (let e = this.docStart[d] as number; e < (this.docStart[d + 1] as number); e++, out++) {
        const t = this.docTerm[2 * e] as number;
        terms[out] = t;
        weights[out] = ((this.docTf[e] as number) * (this.idf[t] as number)) / norm;
      }
    });
    return { start, terms, weights };
  }

  /** Cosine similarity of two pool examples' TF-IDF vectors, in [0, 1]. */
  cosine(a: number, b: number): number {
    return cosine(this.tfidfVectors([a, b]), 0, 1);
  }
}

/** Sparse vectors packed in rows: row i is terms/weights[start[i] .. start[i + 1]), terms ascending. */
export interface PackedVectors {
  start: Uint32Array;
  terms: Uint32Array;
  weights: Float64Array;
}

/**
 * Cosine of rows a and b of L2-normalized packed vectors: their dot product, summed over shared
 * terms in ascending term order, clamped to [0, 1].
 */
export function cosine(v: PackedVectors, a: number, b: number): number {
  const { start, terms, weights } = v;
  let i = start[a] as number;
  const endA = start[a + 1] as number;
  let j = start[b] as number;
  const endB = start[b + 1] as number;
  let dot = 0;
  while (i < endA && j < endB) {
    const x = terms[i] as number;
    const y = terms[j] as number;
    if (x === y) dot += (weights[i++] as number) * (weights[j++] as number);
    else if (x < y) i++;
    else j++;
  }
  return Math.min(1, dot);
}
