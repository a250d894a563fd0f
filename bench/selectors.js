// Selector benchmark: `npm run build && node bench/selectors.js`.
// BM25 index build time and memory, and per-query time of `similar` and `diverse` at k = 16,
// against a brute-force scan (score every example, sort them all) measured in the same run, so the
// ratios compare across machines; absolute times are for context. Synthetic pools of short texts
// (8-20 words) from a seeded 5,000-word vocabulary with Zipf frequencies.
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

function timePerCall(items, fn) {
  const start = process.hrtime.bigint();
  for (const item of items) fn(item);
  return Number(process.hrtime.bigint() - start) / 1e6 / items.length;
}

const fmt = (x, digits = 3) => x.toFixed(digits);
const rows = [];
const started = Date.now();

for (const size of SIZES) {
  const pool = Array.from({ length: size }, (_, i) => ({ id: `p${i}`, text: text(), data: null }));
  const queries = Array.from({ length: QUERIES }, (_, i) => ({ id: `q${i}`, text: text(), data: null }));

  gc();
  const before = process.memoryUsage();
  const buildStart = process.hrtime.bigint();
  const index = indexFor(pool);
  const buildMs = Number(process.hrtime.bigint() - buildStart) / 1e6;
  gc();
  const after = process.memoryUsage();
  const heapKbPer1k = (after.heapUsed - before.heapUsed) / 1024 / (size / 1000);
  const buffersKbPer1k = (after.arrayBuffers - before.arrayBuffers) / 1024 / (size / 1000);

  const similar = createSimilarSelector();
  const diverse = createDiverseSelector({ lambda: 0.5 });
  const sink = new Rng([0]);
  // Warm up, and check the fast path against the brute force on every query.
  for (const q of queries) {
    const fast = similar.select(q, pool, K, sink).map((s) => s.id);
    const slow = index.bruteForceTopK(index.query(q), K).docs.map((d) => pool[d].id);
    if (fast.join() !== slow.join()) throw new Error(`similar disagrees with the brute force on ${q.id} at ${size}`);
    diverse.select(q, pool, K, sink);
  }
  const similarMs = timePerCall(queries, (q) => similar.select(q, pool, K, sink));
  const diverseMs = timePerCall(queries, (q) => diverse.select(q, pool, K, sink));
  const bruteMs = timePerCall(queries, (q) => index.bruteForceTopK(index.query(q), K));

  rows.push({
    docs: size,
    'build ms': fmt(buildMs, 1),
    'heap KB/1k docs': fmt(heapKbPer1k, 0),
    'typed arrays KB/1k docs': fmt(buffersKbPer1k, 0),
    'postings/doc': fmt(index.postingsCount / size, 1),
    'similar ms/query': fmt(similarMs),
    'diverse ms/query': fmt(diverseMs),
    'brute-force ms/query': fmt(bruteMs),
    'brute/similar': `${fmt(bruteMs / similarMs, 1)}x`,
    'brute/diverse': `${fmt(bruteMs / diverseMs, 1)}x`,
  });
}

console.log(`selectors: BM25 index over synthetic pools (8-20 words, 5,000-word Zipf vocabulary), k = ${K}, ${QUERIES} queries each`);
console.table(rows);
const last = rows[rows.length - 1];
console.log(`target: similar and diverse under 1 ms/query at ${last.docs} docs after the build; memory per 1k docs flat across sizes`);
console.log(`similar results checked equal to the brute force on every query; total ${((Date.now() - started) / 1000).toFixed(1)} s`);
