import { describe, expect, it } from 'vitest';
import { Bm25Index, cosine, indexFor } from '../src/selectors/bm25.js';
import { candidateWindow, createDiverseSelector, mmrOrder } from '../src/selectors/diverse.js';
import { createSimilarSelector } from '../src/selectors/similar.js';
import { tokenize } from '../src/selectors/tokenize.js';
import type { TaskItem } from '../src/tasks/task.js';
import { Rng } from '../src/util/rng.js';
import { syntheticPool } from './selectors-helpers.js';

const ex = (id: string, text: string): TaskItem<null> => ({ id, text, data: null });
const ids = (shots: TaskItem<null>[]) => shots.map((s) => s.id);
const rng = () => new Rng([0]);

describe('tokenize', () => {
  it('lower-cases, splits on non-letters/digits in any script, drops stopwords', () => {
    expect(tokenize('The Café is naïve—Straße 42, isn’t it?')).toEqual(['café', 'naïve', 'straße', '42', 'isn', 't']);
    expect(tokenize('Ünïcödé  ТЕКСТ 東京')).toEqual(['ünïcödé', 'текст', '東京']);
    expect(tokenize('  ')).toEqual([]);
  });
});

describe('Bm25Index', () => {
  it('scores with BM25 (k1 = 1.2, b = 0.75) and a positive idf', () => {
    const pool = [ex('a', 'apple banana'), ex('b', 'apple apple cherry date'), ex('c', 'eggplant')];
    const index = new Bm25Index(pool);
    const q = index.query(ex('q', 'apple'));
    const avg = (2 + 4 + 1) / 3;
    const idf = Math.log(1 + (3 - 2 + 0.5) / (2 + 0.5));
    const bm25 = (tf: number, len: number) => (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * len) / avg));
    const top = index.topK(q, 3);
    expect(top.docs).toEqual([1, 0, 2]);
    expect(top.scores[0]).toBeCloseTo(bm25(2, 4), 5); // impacts are stored as float32
    expect(top.scores[1]).toBeCloseTo(bm25(1, 2), 5);
    expect(top.scores[2]).toBe(0);
  });

  it('topK (postings only, pruned) equals a brute-force scan with a full sort, for every n', () => {
    for (const [size, vocab] of [
      [300, 40],
      [3000, 400],
      [3000, 60],
    ] as const) {
      const base = syntheticPool(size, `exact-${size}-${vocab}`, vocab);
      // Exact duplicates under other ids: equal scores, so pool order must break the ties.
      const pool = [...base, ...base.slice(0, size / 10).map((x, i) => ({ ...x, id: `dup-${i}` }))];
      const index = new Bm25Index(pool);
      const queries = syntheticPool(40, `q-${size}-${vocab}`, vocab);
      queries.push(pool[5]!, { ...pool[9]!, id: 'other-id' }, ex('none', 'zzz unknown'));
      let walked = 0;
      let couldWalk = 0;
      for (const item of queries) {
        const q = index.query(item);
        for (const n of [0, 1, 2, 5, 16, 64, 300]) {
          const before = index.work.postingsWalked;
          const fast = index.topK(q, n);
          walked += index.work.postingsWalked - before;
          if (n > 0) couldWalk += index.queryPostings(q);
          const slow = index.bruteForceTopK(q, n);
          expect(fast.docs).toEqual(slow.docs);
          expect(fast.scores).toEqual(slow.scores);
        }
      }
      // The pruned path really ran: fewer postings walked than the query terms have.
      if (size === 3000) expect(walked).toBeLessThan(0.8 * couldWalk);
    }
  });

  it('gives TF-IDF cosine between examples: 1 for the same words, 0 for none shared, symmetric', () => {
    const index = new Bm25Index([ex('a', 'red apple pie'), ex('b', 'Pie, apple, RED!'), ex('c', 'blue car'), ex('d', 'red car'), ex('e', 'the')]);
    expect(index.cosine(0, 1)).toBeCloseTo(1, 12);
    expect(index.cosine(0, 2)).toBe(0);
    expect(index.cosine(0, 3)).toBe(index.cosine(3, 0));
    expect(index.cosine(0, 3)).toBeGreaterThan(0);
    expect(index.cosine(0, 4)).toBe(0); // only stopwords: an empty vector
  });

  it('is built once per pool array and shared', () => {
    const pool = syntheticPool(20, 'shared');
    expect(indexFor(pool)).toBe(indexFor(pool));
    const similar = createSimilarSelector();
    const copy = pool.slice();
    similar.prepare?.(copy, []);
    const built = indexFor(copy);
    similar.select(ex('q', 'w0'), copy, 3, rng());
    createDiverseSelector().select(ex('q', 'w0'), copy, 3, rng());
    expect(indexFor(copy)).toBe(built);
  });
});

describe('similar', () => {
  const pool = [
    ex('weather', 'Will it rain in Paris tomorrow?'),
    ex('cook', 'How long should I boil an egg?'),
    ex('router-2', 'My router keeps dropping the wifi connection'),
    ex('router-1', 'How do I reset the password of my wifi router?'),
    ex('tax', 'When are income taxes due this year?'),
    ex('router-3', 'Router password forgotten'),
  ];
  const item = ex('q', 'Reset my WiFi router password');

  it('returns the lexically closest examples first, unrelated ones last in pool order', () => {
    expect(ids(createSimilarSelector().select(item, pool, 6, rng()))).toEqual(['router-1', 'router-3', 'router-2', 'weather', 'cook', 'tax']);
  });

  it('ignores the rng: every seed gives the same shots', () => {
    const s = createSimilarSelector();
    expect(ids(s.select(item, pool, 4, new Rng([1])))).toEqual(ids(s.select(item, pool, 4, new Rng([99]))));
  });

  it('breaks ties by pool order', () => {
    const tied = [ex('x', 'alpha gamma'), ex('y', 'beta gamma'), ex('z', 'beta gamma'), ex('w', 'alpha gamma')];
    expect(ids(createSimilarSelector().select(ex('q', 'gamma'), tied, 4, rng()))).toEqual(['x', 'y', 'z', 'w']);
  });
});

describe('diverse', () => {
  // Three near-identical close examples (same content words, different wording around them) and
  // two different ones that still share a word with the item; filler makes the common words common.
  const pool = [
    ex('dup-1', 'Reset the wifi router password, please'),
    ex('dup-2', 'reset wifi router password now'),
    ex('dup-3', 'Reset a WiFi-router password today?'),
    ex('other-1', 'wifi router keeps disconnecting'),
    ex('other-2', 'reset my email account password'),
    ...['please call today', 'now open today', 'cook rice now', 'please wait', 'today only'].map((t, i) => ex(`filler-${i}`, t)),
  ];
  const item = ex('q', 'how to reset wifi router password');

  it('avoids the near-duplicates that similar would pick', () => {
    const similar = ids(createSimilarSelector().select(item, pool, 3, rng()));
    expect([...similar].sort()).toEqual(['dup-1', 'dup-2', 'dup-3']);
    const diverse = ids(createDiverseSelector().select(item, pool, 3, rng()));
    expect(diverse[0]).toBe(similar[0]);
    expect(diverse.filter((id) => id.startsWith('dup-'))).toHaveLength(1);
    expect(diverse.slice(1).sort()).toEqual(['other-1', 'other-2']);
  });

  it('with lambda = 1 gives exactly similar order', () => {
    const big = syntheticPool(2000, 'lambda1', 300);
    const similar = createSimilarSelector();
    const diverse = createDiverseSelector({ lambda: 1 });
    for (const item of [...syntheticPool(25, 'lambda1-items', 300), ex('none', 'nothing matches')]) {
      for (const k of [1, 16, 120]) expect(ids(diverse.select(item, big, k, rng()))).toEqual(ids(similar.select(item, big, k, rng())));
    }
  });

  it('equals textbook greedy MMR where pick p chooses among the top max(50, 5p) by relevance', () => {
    const pool = syntheticPool(400, 'mmr', 80);
    const index = new Bm25Index(pool);
    for (const lambda of [0, 0.3, 0.5, 0.8, 1]) {
      for (const item of syntheticPool(8, `mmr-items-${lambda}`, 80)) {
        const q = index.query(item);
        const reference = naiveMmr(index, index.bruteForceTopK(q, q.eligible), 90, lambda);
        expect(mmrOrder(index, q, 90, lambda)).toEqual(reference);
        for (const k of [0, 1, 4, 10, 11, 12, 33]) expect(mmrOrder(index, q, k, lambda)).toEqual(reference.slice(0, k));
      }
    }
  });
});

/** Textbook greedy MMR, recomputing everything each pick; pick p sees the top candidateWindow(p) (ties: similar's order). */
function naiveMmr(index: Bm25Index, ranking: { docs: number[]; scores: number[] }, k: number, lambda: number): number[] {
  const maxRel = ranking.scores[0] ?? 0;
  const vectors = index.tfidfVectors(ranking.docs);
  const picked: number[] = []; // positions in the ranking
  for (let p = 1; p <= k && p <= ranking.docs.length; p++) {
    let best = -1;
    let bestValue = -Infinity;
    for (let i = 0; i < Math.min(candidateWindow(p), ranking.docs.length); i++) {
      if (picked.includes(i)) continue;
      const rel = maxRel > 0 ? ranking.scores[i]! / maxRel : 0;
      const sim = picked.reduce((m, q) => Math.max(m, cosine(vectors, i, q)), 0);
      const value = lambda * rel - (1 - lambda) * sim;
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    }
    picked.push(best);
  }
  return picked.map((i) => ranking.docs[i]!);
}
