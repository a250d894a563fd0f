// The embedding selector and the embedding adapters, against the fake OpenAI and Gemini servers on
// 127.0.0.1 through the real SDKs (nothing stubbed).

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../src/providers/provider.js';
import { parseEmbeddingId, redactUrl, resolveEmbedder } from '../src/providers/embeddings.js';
import { cacheDir } from '../src/selectors/embedding-cache.js';
import { createEmbeddingSelector, EmbeddingSelector, type EmbeddingSelectorDeps } from '../src/selectors/embedding.js';
import type { Selector, SelectorResolution } from '../src/selectors/selector.js';
import type { TaskItem } from '../src/tasks/task.js';
import { Rng } from '../src/util/rng.js';
import { startGeminiServer, startOpenAIServer, type FakeServer, type RecordedRequest } from './servers/index.js';
import { fakeEmbedding } from './servers/embeddings.js';

const SENTINEL = 'sk-EMBED-SECRET-SENTINEL-987';

const servers: FakeServer[] = [];
async function track(p: Promise<FakeServer>): Promise<FakeServer> {
  const s = await p;
  servers.push(s);
  return s;
}
let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fewshot-embedding-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  rmSync(tmp, { recursive: true, force: true });
});

const item = (id: string, text: string): TaskItem<null> => ({ id, text, data: null });

const POOL = [
  item('p1', 'my parcel has not arrived and tracking shows nothing'),
  item('p2', 'i was charged twice on my invoice this month'),
  item('p3', 'how do i cancel my subscription before renewal'),
  item('p4', 'the parcel arrived damaged and the box was open'),
  item('p5', 'please change the email address on my account'),
  item('p6', 'where is my parcel the delivery is late'),
  item('p7', 'refund the duplicate charge on my card'),
];
const ITEMS = [
  item('i1', 'the delivery of my parcel is late'),
  item('i2', 'a duplicate charge appeared on my card'),
  item('i3', 'cancel the subscription please'),
];

const noSleep = async () => {};
const rng = new Rng(['unused']);

function deps(env: NodeJS.ProcessEnv, extra: Partial<EmbeddingSelectorDeps> = {}): EmbeddingSelectorDeps {
  return { env: { FEWSHOT_CACHE_DIR: join(tmp, 'cache'), ...env }, embedderOptions: { sleep: noSleep }, ...extra };
}

function ready(resolution: SelectorResolution): EmbeddingSelector {
  if (resolution.status !== 'ready') throw new Error(`expected a ready selector, got: ${resolution.reason}`);
  return resolution.selector as EmbeddingSelector;
}

/** The expected ranking, computed from the fake vectors independently of the selector. */
function expectedRanking(query: TaskItem<null>, pool: readonly TaskItem<null>[]): string[] {
  const q = fakeEmbedding(query.text);
  const cos = (v: number[]) => v.reduce((s, x, i) => s + x * q[i]!, 0);
  return pool
    .map((p, index) => ({ id: p.id, index, sim: cos(fakeEmbedding(p.text)) }))
    .sort((a, b) => b.sim - a.sim || a.index - b.index)
    .map((r) => r.id);
}

const embeddingRequests = (s: FakeServer) => s.requests.filter((r) => r.routed && /embed/i.test(r.path));
const inputsOf = (r: RecordedRequest): string[] => (Array.isArray(r.body.input) ? r.body.input : r.body.requests.map((q: any) => q.content.parts[0].text));

function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('resolution: keys, base URLs and provider ids', () => {
  it('a missing key skips the selector and names the variable', () => {
    expect(createEmbeddingSelector({ name: 'embedding', provider: 'openai:text-embedding-3-small' }, { env: {} })).toEqual({
      status: 'skipped',
      reason: 'no API key: set OPENAI_API_KEY to run it',
    });
    expect(createEmbeddingSelector({ name: 'embedding', provider: 'google:text-embedding-004' }, { env: { OPENAI_API_KEY: 'x' } })).toEqual({
      status: 'skipped',
      reason: 'no API key: set GEMINI_API_KEY or GOOGLE_API_KEY to run it',
    });
    const compatible = createEmbeddingSelector({ name: 'embedding', provider: 'openai-compatible:nomic-embed-text' }, { env: {} });
    expect(compatible.status).toBe('skipped');
    expect(compatible.status === 'skipped' && compatible.reason).toMatch(/FEWSHOT_EMBEDDINGS_BASE_URL or OPENAI_BASE_URL/);
  });

  it('a spec without a provider, or a provider with no embedding API here, is a configuration error', () => {
    expect(() => createEmbeddingSelector({ name: 'embedding' }, { env: {} })).toThrow(/needs a provider/);
    expect(() => createEmbeddingSelector({ name: 'embedding', provider: 'anthropic:claude-haiku-4-5' }, { env: { ANTHROPIC_API_KEY: 'x' } })).toThrow(
      /openai, openai-compatible, google/,
    );
    expect(() => parseEmbeddingId('openai:')).toThrow();
    expect(parseEmbeddingId('openai-compatible:org/model:v1')).toEqual({ kind: 'openai-compatible', model: 'org/model:v1' });
  });

  it('cache dir: FEWSHOT_CACHE_DIR, else .fewshot under the working directory; URLs lose their credentials', () => {
    expect(cacheDir({ FEWSHOT_CACHE_DIR: '/x/y' }, '/w')).toBe('/x/y');
    expect(cacheDir({}, '/w')).toBe(join('/w', '.fewshot'));
    expect(redactUrl('http://user:pw@127.0.0.1:8080/v1/?key=abc')).toBe('http://127.0.0.1:8080/v1');
  });
});

describe('embedding selector over the fake OpenAI server', () => {
  const env = (s: FakeServer) => ({ OPENAI_API_KEY: SENTINEL, OPENAI_BASE_URL: `${s.url}/v1` });

  it('ranks by cosine similarity of the vectors, as nested prefixes, never the item itself', async () => {
    const s = await track(startOpenAIServer({ embeddings: true }));
    const selector = ready(createEmbeddingSelector({ name: 'embedding', provider: 'openai:text-embedding-3-small' }, deps(env(s))));
    await selector.prepare(POOL, ITEMS);
    for (const it of ITEMS) {
      const ranking = expectedRanking(it, POOL);
      const full = selector.select(it, POOL, POOL.length, rng).map((p) => p.id);
      expect(full).toEqual(ranking);
      for (let k = 0; k <= POOL.length; k++) expect(selector.select(it, POOL, k, rng).map((p) => p.id)).toEqual(full.slice(0, k));
    }
    // The late-parcel question gets the late-parcel example first.
    expect(selector.select(ITEMS[0]!, POOL, 1, rng).map((p) => p.id)).toEqual(['p6']);

    // Leakage guard: an item that is also in the pool (by id, or by content) is never its own shot.
    const twin = item('i9', '  MY PARCEL has not arrived and tracking shows nothing ');
    const pooled = [...POOL, twin];
    await selector.prepare(pooled, [twin, POOL[0]!]);
    const forTwin = selector.select(twin, pooled, 6, rng).map((p) => p.id);
    expect(forTwin).toHaveLength(6);
    expect(forTwin).not.toContain('p1');
    expect(forTwin).not.toContain('i9');
    const forP1 = selector.select(POOL[0]!, pooled, 6, rng).map((p) => p.id);
    expect(forP1).not.toContain('p1');
    expect(forP1).not.toContain('i9');
    expect(() => selector.select(twin, pooled, 7, rng)).toThrow(/only 6 pool examples are eligible/);
  });

  it('embeds each text once, in batches, and a second sweep reads the disk cache (zero requests); no key, no text on disk', async () => {
    const s = await track(startOpenAIServer({ embeddings: true }));
    const spec = { name: 'embedding', provider: 'openai:text-embedding-3-small' };
    const first = ready(createEmbeddingSelector(spec, deps(env(s), { embedderOptions: { sleep: noSleep, batchSize: 4 } })));
    // A duplicate text in the pool and an item repeated: still one embedding per distinct text.
    const pool = [...POOL, item('p8', POOL[0]!.text)];
    await first.prepare(pool, [...ITEMS, ITEMS[0]!]);
    const requests = embeddingRequests(s);
    const sent = requests.flatMap(inputsOf);
    expect(sent).toHaveLength(POOL.length + ITEMS.length);
    expect(new Set(sent).size).toBe(sent.length);
    expect(requests).toHaveLength(Math.ceil(10 / 4));
    expect(requests.every((r) => r.body.encoding_format === 'float' && r.body.model === 'text-embedding-3-small')).toBe(true);
    expect(requests[0]!.headers.authorization).toBe(`Bearer ${SENTINEL}`);
    expect(first.stats).toMatchObject({ texts: 10, fromCache: 0, embedded: 10, requests: 3 });
    const ranking = ITEMS.map((it) => first.select(it, pool, 5, rng).map((p) => p.id));

    // Calling prepare again on the same selector asks for nothing new.
    await first.prepare(pool, ITEMS);
    expect(embeddingRequests(s)).toHaveLength(3);

    // A new sweep: a fresh selector, same cache dir.
    const second = ready(createEmbeddingSelector(spec, deps(env(s))));
    await second.prepare(pool, ITEMS);
    expect(embeddingRequests(s)).toHaveLength(3);
    expect(second.stats).toMatchObject({ texts: 10, fromCache: 10, embedded: 0, requests: 0 });
    expect(ITEMS.map((it) => second.select(it, pool, 5, rng).map((p) => p.id))).toEqual(ranking);

    // A new item later costs one text.
    const extra = item('i4', 'my email address changed');
    await second.prepare(pool, [...ITEMS, extra]);
    expect(embeddingRequests(s)).toHaveLength(4);
    expect(inputsOf(embeddingRequests(s)[3]!)).toEqual([extra.text]);

    const files = allFiles(join(tmp, 'cache'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/embeddings[/\\]openai-text-embedding-3-small-[0-9a-f]{12}\.json$/);
    const content = readFileSync(files[0]!, 'utf8');
    expect(content).not.toContain(SENTINEL);
    expect(content).not.toContain('parcel');
    const parsed = JSON.parse(content);
    expect(parsed).toMatchObject({ version: 1, provider: 'openai', model: 'text-embedding-3-small', dims: 64 });
    expect(Object.keys(parsed.vectors)).toHaveLength(11);
  });

  it('uses cosine, not the raw dot product', async () => {
    const s = await track(startOpenAIServer({ embeddings: true }));
    const vectors: Record<string, number[]> = { query: [1, 0], big: [10, 10], aligned: [1, 0.1], opposite: [-1, 0] };
    s.script((req) => ({
      kind: 'raw',
      body: JSON.stringify({ data: (req.body.input as string[]).map((t, index) => ({ embedding: vectors[t], index })).reverse() }),
    }));
    const selector = ready(createEmbeddingSelector({ name: 'embedding', provider: 'openai:m' }, deps(env(s))));
    const pool = [item('a', 'big'), item('b', 'opposite'), item('c', 'aligned')];
    await selector.prepare(pool, [item('q', 'query')]);
    expect(selector.select(item('q', 'query'), pool, 3, rng).map((p) => p.id)).toEqual(['c', 'a', 'b']);
  });

  it('a malformed response is a clear error, retried like any malformed response, and nothing is cached', async () => {
    const s = await track(startOpenAIServer({ embeddings: true }));
    s.queue({ kind: 'raw', body: JSON.stringify({ data: [{ embedding: [0.1, 0.2], index: 0 }] }) });
    const selector = ready(
      createEmbeddingSelector({ name: 'embedding', provider: 'openai:m' }, deps(env(s), { embedderOptions: { sleep: noSleep, policy: { maxAttempts: 3 } } })),
    );
    const err = await selector.prepare(POOL.slice(0, 2), []).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe('malformed');
    expect((err as ProviderError).message).toBe('openai:m: malformed embeddings response (1 vectors for 2 inputs)');
    expect(embeddingRequests(s)).toHaveLength(3);
    expect(() => readdirSync(join(tmp, 'cache', 'embeddings'))).toThrow();
    expect(() => selector.select(ITEMS[0]!, POOL, 1, rng)).toThrow(/prepare\(pool, items\) must embed it/);
  });

  it.each([
    ['a vector that is not numbers', { data: [{ embedding: ['x'], index: 0 }] }, /data\.0\.embedding\.0/],
    [
      'vectors of different lengths',
      {
        data: [
          { embedding: [1, 2], index: 0 },
          { embedding: [1], index: 1 },
        ],
      },
      /vector 1 has 1 dimensions, vector 0 has 2/,
    ],
    [
      'a repeated index',
      {
        data: [
          { embedding: [1], index: 0 },
          { embedding: [1], index: 0 },
        ],
      },
      /index 0 appears twice/,
    ],
    [
      'an empty vector',
      {
        data: [
          { embedding: [], index: 0 },
          { embedding: [], index: 1 },
        ],
      },
      /vector 0 is empty/,
    ],
    ['no data at all', {}, /data/],
  ])('malformed: %s', async (_name, body, message) => {
    const s = await track(startOpenAIServer({ embeddings: true }));
    s.queue({ kind: 'raw', body: JSON.stringify(body) });
    const selector = ready(
      createEmbeddingSelector({ name: 'embedding', provider: 'openai:m' }, deps(env(s), { embedderOptions: { sleep: noSleep, policy: { maxAttempts: 1 } } })),
    );
    await expect(selector.prepare(POOL.slice(0, 2), [])).rejects.toThrow(message);
  });

  it('retries a 429 with our policy (the SDK does not), and stops at once on a bad key', async () => {
    const s = await track(startOpenAIServer({ embeddings: true }));
    const delays: number[] = [];
    s.queue({ kind: 'status', status: 429, headers: { 'retry-after': '2' } }, { kind: 'text', text: '' });
    const selector = ready(
      createEmbeddingSelector({ name: 'embedding', provider: 'openai:m' }, deps(env(s), { embedderOptions: { sleep: async (ms) => void delays.push(ms) } })),
    );
    await selector.prepare(POOL, ITEMS);
    expect(delays).toEqual([2000]);
    expect(embeddingRequests(s)).toHaveLength(2);

    const s2 = await track(startOpenAIServer({ embeddings: true }));
    s2.queue({ kind: 'status', status: 401 });
    const bad = ready(createEmbeddingSelector({ name: 'embedding', provider: 'openai:other-model' }, deps(env(s2))));
    const err = (await bad.prepare(POOL, []).catch((e: unknown) => e)) as ProviderError;
    expect(err.kind).toBe('auth');
    expect(err.message).not.toContain(SENTINEL);
    expect(embeddingRequests(s2)).toHaveLength(1);
  });

  it('openai-compatible: base URL from FEWSHOT_EMBEDDINGS_BASE_URL, and OPENAI_API_KEY is never sent there', async () => {
    const s = await track(startOpenAIServer({ embeddings: true }));
    const selector = ready(
      createEmbeddingSelector(
        { name: 'embedding', provider: 'openai-compatible:nomic-embed-text' },
        deps({ OPENAI_API_KEY: SENTINEL, FEWSHOT_EMBEDDINGS_BASE_URL: `${s.url}/v1`, OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' }),
      ),
    );
    await selector.prepare(POOL, ITEMS);
    expect(selector.select(ITEMS[1]!, POOL, 3, rng).map((p) => p.id)).toEqual(expectedRanking(ITEMS[1]!, POOL).slice(0, 3));
    const r = embeddingRequests(s)[0]!;
    expect(r.headers.authorization).toBe('Bearer not-needed');
    expect(JSON.stringify(r.headers)).not.toContain(SENTINEL);
    expect(r.body.model).toBe('nomic-embed-text');
    const content = readFileSync(allFiles(join(tmp, 'cache'))[0]!, 'utf8');
    expect(JSON.parse(content).variant).toBe(`at ${s.url}/v1`);
  });
});

describe('embedding selector over the fake Gemini server', () => {
  it('embeds with models.embedContent (batchEmbedContents), ranks like the vectors, caches apart from OpenAI', async () => {
    const s = await track(startGeminiServer({ embeddings: true }));
    const env = { GOOGLE_API_KEY: SENTINEL, GOOGLE_GEMINI_BASE_URL: s.url };
    const selector = ready(
      createEmbeddingSelector({ name: 'embedding', provider: 'google:gemini-embedding-001' }, deps(env, { embedderOptions: { sleep: noSleep, batchSize: 5 } })),
    );
    await selector.prepare(POOL, ITEMS);
    for (const it of ITEMS) expect(selector.select(it, POOL, POOL.length, rng).map((p) => p.id)).toEqual(expectedRanking(it, POOL));
    const requests = embeddingRequests(s);
    expect(requests).toHaveLength(2);
    expect(requests.flatMap(inputsOf)).toHaveLength(10);
    expect(requests[0]!.path).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
    expect(requests[0]!.headers['x-goog-api-key']).toBe(SENTINEL);
    expect(requests[0]!.body.requests[0].taskType).toBe('SEMANTIC_SIMILARITY');

    const again = ready(createEmbeddingSelector({ name: 'embedding', provider: 'google:gemini-embedding-001' }, deps(env)));
    await again.prepare(POOL, ITEMS);
    expect(embeddingRequests(s)).toHaveLength(2);
    const files = allFiles(join(tmp, 'cache'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/google-gemini-embedding-001-/);
    expect(readFileSync(files[0]!, 'utf8')).not.toContain(SENTINEL);
  });

  it('a malformed Gemini response is a clear error', async () => {
    const s = await track(startGeminiServer({ embeddings: true }));
    s.queue({ kind: 'raw', body: JSON.stringify({ embeddings: [{ values: [1, 2] }] }) });
    const resolution = resolveEmbedder(
      'google:text-embedding-004',
      { GEMINI_API_KEY: 'k', GOOGLE_GEMINI_BASE_URL: s.url },
      { sleep: noSleep, policy: { maxAttempts: 1 } },
    );
    if (resolution.status !== 'ready') throw new Error(resolution.reason);
    await expect(resolution.embedder.embed(['a', 'b'])).rejects.toThrow('google:text-embedding-004: malformed embeddings response (1 vectors for 2 inputs)');
  });
});

describe('Selector contract', () => {
  it('the embedding selector is a Selector with prepare(pool, items)', () => {
    const resolution = createEmbeddingSelector({ name: 'embedding', provider: 'openai:m' }, { env: { OPENAI_API_KEY: 'k', FEWSHOT_CACHE_DIR: tmp } });
    const selector: Selector = ready(resolution);
    expect(selector.name).toBe('embedding');
    expect(selector.prepare).toBeTypeOf('function');
  });
});
