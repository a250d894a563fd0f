// Selector benchmark: `npm run build && node bench/selectors.js`.
// BM25 index build time and memory, and per-query time of `similar` and `diverse` at k = 16,
// against a brute-force scan (score every example, sort them all) measured in the same run, so the
// ratios compare across machines; absolute times are for context. Synthetic pools of short texts
// (8-20 words) from a seeded 5,000-word vocabulary with Zipf frequencies. Exits non-zero if the
// fast path ever disagrees with the brute force.
import v8 from 'node:v8';
import vm from 'node:vm';
import { indexFor } from '../dist/selectors/bm25.js';
import { createDiverseSelector } from '../dist/selectors/diverse.js';
import { createSimilarSelector } from '../dist/selectors/similar.js';
import { STOPWORDS } from '../dist/selectors/tokenize.js';
import { Rng } from '../dist/util/rng.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const SIZES = [1_000, 10_000, 100_000];
const QUERIES = 200;
const K = 16;

// A seeded vocabulary of pronounceable words, ranked; word r is drawn with weight 1 / (r + 1).
const rng = new Rng(['bench-selectors']);
const syllables = 'ba be bi bo bu da de di do ka ke ki ko la le li lo ma me mi mo na ne ni no ra re ri ro sa se si so ta te ti to va ve vi zo'.split(' ');
const vocabulary = [];
const seen = new Set();
while (vocabulary.length < 5_000) {
  let word = '';
  for (let i = rng.int(2, 4); i > 0; i--) word += rng.pick(syllables);
  if (seen.has(word) || STOPWORDS.has(word)) continue;
  seen.add(word);
  vocabulary.push(word);
}
const cdf = new Float64Array(vocabulary.length);
let total = 0;
for (let r = 0; r < vocabulary.length; r++) cdf[r] = total += 1 / (r + 1);

function drawWord() {
  const x = rng.next() * total;
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return vocabulary[lo];
}

const text = () => Array.from({ length: rng.int(8, 20) }, drawWord).join(' ');

/** Mean ms per call of fn over items; returns the results too. */
function timePerCall(items, fn) {
  const results = [];
  const start = process.hrtime.bigint();
  for (const item of items) results.push(fn(item));
  return { ms: Number(process.hrtime.bigint() - start) / 1e6 / items.length, results };
}

/** Full GCs with pauses between, so freed typed-array memory is really returned before measuring. */
async function settle() {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const fmt = (x, digits = 3) => x.toFixed(digits);
const rows = [];
const started = Date.now();

// Warm the JIT on a throwaway pool, so the first measured size is not paying for compilation.
{
  const pool = Array.from({ length: 2_000 }, (_, i) => ({ id: `w${i}`, text: text(), data: null }));
  const similar = createSimilarSelector();
  const diverse = createDiverseSelector();
  for (let i = 0; i < 300; i++) {
    const q = { id: `wq${i}`, text: text(), data: null };
    similar.select(q, pool, K, new Rng([i]));
    diverse.select(q, pool, K, new Rng([i]));
    indexFor(pool).bruteForceTopK(indexFor(pool).query(q), K);
  }
}

for (const size of SIZES) {
  const pool = Array.from({ length: size }, (_, i) => ({ id: `p${i}`, text: text(), data: null }));
  const queries = Array.from({ length: QUERIES }, (_, i) => ({ id: `q${i}`, text: text(), data: null }));

  await settle();
  const before = process.memoryUsage();
  const buildStart = process.hrtime.bigint();
  const index = indexFor(pool);
  const buildMs = Number(process.hrtime.bigint() - buildStart) / 1e6;
  await settle();
  const after = process.memoryUsage();
  const per1k = (bytes) => bytes / 1024 / (size / 1000);

  const similar = createSimilarSelector();
  const diverse = createDiverseSelector({ lambda: 0.5 });
  const rng = new Rng([0]);
  const warmup = queries.slice(0, 20);
  for (const q of warmup) {
    similar.select(q, pool, K, rng);
    diverse.select(q, pool, K, rng);
    index.bruteForceTopK(index.query(q), K);
  }
  const work = { ...index.work };
  const sim = timePerCall(queries, (q) =>
    similar
      .select(q, pool, K, rng)
      .map((s) => s.id)
      .join(),
  );
  const walked = (index.work.postingsWalked - work.postingsWalked) / QUERIES;
  const termPostings = queries.reduce((sum, q) => sum + index.queryPostings(index.query(q)), 0) / QUERIES;
  const div = timePerCall(queries, (q) => diverse.select(q, pool, K, rng));
  const brute = timePerCall(queries, (q) =>
    index
      .bruteForceTopK(index.query(q), K)
      .docs.map((d) => pool[d].id)
      .join(),
  );
  const mismatch = brute.results.findIndex((ids, i) => ids !== sim.results[i]);
  if (mismatch >= 0) throw new Error(`similar disagrees with the brute force on ${queries[mismatch].id} at ${size} docs`);

  rows.push({
    docs: size,
    'build ms': fmt(buildMs, 1),
    'heap KB/1k': fmt(per1k(after.heapUsed - before.heapUsed), 0),
    'typed arrays KB/1k': fmt(per1k(after.arrayBuffers - before.arrayBuffers), 0),
    'postings walked': `${fmt(walked, 0)} (${fmt((100 * walked) / termPostings, 0)}% of its terms)`,
    'similar ms': fmt(sim.ms),
    'diverse ms': fmt(div.ms),
    'brute-force ms': fmt(brute.ms),
    'brute/similar': `${fmt(brute.ms / sim.ms, 1)}x`,
    'brute/diverse': `${fmt(brute.ms / div.ms, 1)}x`,
  });
}

console.log(`selectors: BM25 over synthetic pools (8-20 words a text, 5,000-word Zipf vocabulary); k = ${K}, ${QUERIES} queries a pool, ms per query`);
console.log('brute force = score every example (same scores), sort them all; memory = growth from building the index, per 1k examples;');
console.log('postings walked = per similar query, and as a share of all postings of its terms (what a walk without pruning reads)');
console.table(rows);
const last = rows[rows.length - 1];
console.log(`target: under 1 ms per query at ${last.docs} examples after the build; memory linear (flat per 1k examples)`);
console.log(`similar's shots equal the brute force's on every query; total ${((Date.now() - started) / 1000).toFixed(1)} s`);
