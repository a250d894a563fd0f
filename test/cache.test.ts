// The response cache in process: key properties, the SQLite store (get/put/stats/clear), durations,
// and the runner's use of it (hits marked cached, errors and the local baseline never stored); a damaged
// file moved aside (on open and mid-run), a failed write turning the cache off, an unwritable folder refused.

import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { CompletionRequest, CompletionResult, Provider } from '../src/providers/provider.js';
import { DEFAULT_CAPABILITIES, ProviderError } from '../src/providers/provider.js';
import { LocalProvider } from '../src/providers/local.js';
import { localBaseline } from '../src/tasks/local-baseline.js';
import {
  CacheDamagedError,
  CacheError,
  cacheKey,
  checkCacheWritable,
  clearCache,
  inspectCache,
  parseDuration,
  publicEndpoint,
  resolveCacheDir,
  ResponseCache,
  type CacheKeyInput,
} from '../src/runner/cache.js';
import { executePlan, type ExecuteContext } from '../src/runner/execute.js';
import { planTrials } from '../src/runner/plan.js';
import type { TrialRecord } from '../src/records/trial.js';
import { plainArms } from '../src/selectors/arms.js';
import { getSelector } from '../src/selectors/index.js';
import { ROUTE_ANSWER, routesTask } from './providers-helpers.js';
import { thrownBy } from './thrown.js';

const tmp = mkdtempSync(join(tmpdir(), 'fewshot-cache-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(tmp, `c${dirs++}`);

const messages = [
  { role: 'system' as const, content: 'Plan the route.' },
  { role: 'user' as const, content: 'Stores A, B, C' },
];

function keyOf(over: Omit<Partial<CacheKeyInput>, 'request'> & { request?: Partial<CacheKeyInput['request']> } = {}): string {
  const { request, ...rest } = over;
  return cacheKey({ provider: 'openai:gpt-4o-mini', model: 'gpt-4o-mini', repeat: 0, ...rest, request: { messages, ...request } });
}

const RESULT: CompletionResult = {
  text: ROUTE_ANSWER,
  finishReason: 'stop',
  tokensIn: 812,
  tokensOut: 21,
  cachedTokens: 512,
  latencyMs: 432.1,
  requestId: 'req_abc',
  attempts: 2,
};

describe('cacheKey', () => {
  it('is a sha256 that matches across identical requests', () => {
    expect(keyOf()).toMatch(/^[0-9a-f]{64}$/);
    expect(keyOf({ request: { temperature: 0.7, maxOutputTokens: 100 } })).toBe(keyOf({ request: { maxOutputTokens: 100, temperature: 0.7 } }));
    // A request with `subject` or extra fields is keyed by what is sent, not by object identity.
    expect(keyOf({ request: { messages: messages.map((m) => ({ ...m })) } })).toBe(keyOf());
  });

  it('differs across repeats when sampling (temperature unset or > 0), and is shared at temperature 0', () => {
    expect(keyOf({ repeat: 0 })).not.toBe(keyOf({ repeat: 1 }));
    expect(keyOf({ repeat: 0, request: { temperature: 0.7 } })).not.toBe(keyOf({ repeat: 1, request: { temperature: 0.7 } }));
    expect(keyOf({ repeat: 0, request: { temperature: 0 } })).toBe(keyOf({ repeat: 1, request: { temperature: 0 } }));
    // Anthropic is never sent a temperature, so it samples even when the experiment says 0.
    const anthropic = { provider: 'anthropic:claude-haiku-4-5', model: 'claude-haiku-4-5' };
    expect(keyOf({ ...anthropic, repeat: 0, request: { temperature: 0 } })).not.toBe(keyOf({ ...anthropic, repeat: 1, request: { temperature: 0 } }));
  });

  it('differs by provider, model, endpoint, parameters and messages', () => {
    const base = keyOf();
    const variants = [
      keyOf({ provider: 'openai-compatible:gpt-4o-mini' }),
      keyOf({ model: 'gpt-4o' }),
      keyOf({ endpoint: 'http://127.0.0.1:11434/v1' }),
      keyOf({ request: { temperature: 0.5 } }),
      keyOf({ request: { maxOutputTokens: 64 } }),
      keyOf({ request: { systemPrompt: 'Be brief.' } }),
      keyOf({ request: { messages: [...messages, { role: 'assistant', content: 'ROUTE: Depot' }] } }),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });

  it('never holds a secret: credentials and query strings of a base URL are dropped', () => {
    expect(publicEndpoint('https://user:sk-SECRET@proxy.example/v1/?key=sk-SECRET#x')).toBe('https://proxy.example/v1');
    expect(keyOf({ endpoint: 'https://user:sk-SECRET@proxy.example/v1?key=sk-SECRET' })).toBe(keyOf({ endpoint: 'https://proxy.example/v1/' }));
    // The key input has no field for an API key at all: requests carry none (providers read keys from env).
    const input: CacheKeyInput = { provider: 'openai:m', model: 'm', repeat: 0, request: { messages } };
    expect(Object.keys(input).sort()).toEqual(['model', 'provider', 'repeat', 'request']);
  });
});

describe('ResponseCache', () => {
  it('stores the whole result, in WAL mode, and keeps it across reopening', () => {
    const dir = freshDir();
    const cache = new ResponseCache(dir);
    expect(cache.get('nope')).toBeNull();
    cache.put('k1', 'openai:gpt-4o-mini', { ...RESULT, subject: 'dropped' } as CompletionResult);
    expect(cache.get('k1')).toEqual(RESULT);
    expect(existsSync(join(dir, 'cache.sqlite-wal'))).toBe(true);
    cache.close();
    const again = new ResponseCache(dir);
    expect(again.get('k1')).toEqual(RESULT);
    again.close();
  });

  it('stats by provider and size; clear by provider and by age', () => {
    let now = 1_000_000_000;
    const cache = new ResponseCache(freshDir(), () => now);
    cache.put('a1', 'openai:gpt-4o-mini', RESULT);
    cache.put('a2', 'openai:gpt-4o-mini', RESULT);
    now += 10 * 86_400_000;
    cache.put('b1', 'google:gemini-2.5-flash', RESULT);
    cache.put('c1', 'openai-compatible:llama3', RESULT);
    const stats = cache.stats();
    expect(stats.entries).toBe(4);
    expect(stats.byProvider).toEqual([
      { provider: 'google:gemini-2.5-flash', entries: 1 },
      { provider: 'openai-compatible:llama3', entries: 1 },
      { provider: 'openai:gpt-4o-mini', entries: 2 },
    ]);
    expect(stats.sizeBytes).toBeGreaterThan(0);

    expect(cache.clear({ olderThanMs: 7 * 86_400_000 })).toBe(2); // the two openai entries, 10 days old
    expect(cache.get('a1')).toBeNull();
    expect(cache.clear({ provider: 'google:gemini-2.5-flash', olderThanMs: 86_400_000 })).toBe(0); // fresh
    expect(cache.clear({ provider: 'google:gemini-2.5-flash' })).toBe(1);
    expect(cache.stats().byProvider).toEqual([{ provider: 'openai-compatible:llama3', entries: 1 }]);
    expect(cache.clear()).toBe(1);
    expect(cache.stats().entries).toBe(0);
    cache.close();
  });

  it('resolves its folder: flag, else FEWSHOT_CACHE_DIR, else .fewshot beside the experiment', () => {
    expect(resolveCacheDir({ flag: '/f', env: { FEWSHOT_CACHE_DIR: '/e' }, experimentPath: '/x/exp.yaml' })).toBe('/f');
    expect(resolveCacheDir({ env: { FEWSHOT_CACHE_DIR: '/e' }, experimentPath: '/x/exp.yaml' })).toBe('/e');
    expect(resolveCacheDir({ env: {}, experimentPath: '/x/exp.yaml' })).toBe('/x/.fewshot');
    expect(resolveCacheDir({ env: {} })).toBe(join(process.cwd(), '.fewshot'));
  });
});

describe('parseDuration', () => {
  it('reads s, m, h, d, w and refuses anything else', () => {
    expect(parseDuration('45s')).toBe(45_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('12h')).toBe(43_200_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('2w')).toBe(1_209_600_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    for (const bad of ['7', 'd', '7x', '-1d', '0d', '7 days', '']) expect(parseDuration(bad), bad).toBeNull();
  });
});

/** A provider that answers from a function and counts its calls. */
function stubProvider(answer: (request: CompletionRequest, call: number) => CompletionResult): Provider & { calls: number } {
  const p = {
    id: 'openai:stub',
    model: 'stub',
    capabilities: DEFAULT_CAPABILITIES,
    calls: 0,
    async complete(request: CompletionRequest) {
      return answer(request, p.calls++);
    },
  };
  return p;
}

function context(provider: Provider, cache: ResponseCache | null, temperature?: number): ExecuteContext {
  const data = routesTask.load();
  return {
    runId: 'r',
    experimentSeed: 3,
    task: routesTask,
    pool: data.pool,
    items: data.items,
    providers: new Map([[provider.id, { provider, concurrency: 2, ...(temperature !== undefined && { temperature }) }]]),
    arms: plainArms([getSelector('random')]),
    distractors: [],
    cache,
  };
}

async function run(ctx: ExecuteContext, repeats = 1): Promise<TrialRecord[]> {
  const plan = planTrials({ itemCount: ctx.items.length, repeats, providers: [...ctx.providers.keys()], selectors: ['random'], shots: [0, 1] });
  const records: TrialRecord[] = [];
  await executePlan(plan, ctx, { onRecord: (r) => records.push(r) });
  const id = (r: TrialRecord) => `${r.selector}/${r.k}/${r.repeat}/${r.itemId}`;
  return records.sort((a, b) => id(a).localeCompare(id(b)));
}

describe('executePlan with the cache', () => {
  it('a second run makes no call and returns the stored results, marked cached', async () => {
    const cache = new ResponseCache(freshDir());
    const provider = stubProvider((_r, call) => ({ ...RESULT, latencyMs: 100 + call, requestId: `req_${call}` }));
    const first = await run(context(provider, cache), 2);
    expect(provider.calls).toBe(16); // 4 items x 2 repeats x (k = 0, random k = 1)
    expect(first.every((r) => !r.cached)).toBe(true);
    expect(cache.stats().entries).toBe(16); // temperature unset: every repeat is its own entry

    const second = await run(context(provider, cache), 2);
    expect(provider.calls).toBe(16);
    expect(second.every((r) => r.cached)).toBe(true);
    const strip = (r: TrialRecord) => ({ ...r, cached: null });
    expect(second.map(strip)).toEqual(first.map(strip)); // output, tokens, latency, request id, attempts
    cache.close();
  });

  it('at temperature 0 the repeats share one answer', async () => {
    const cache = new ResponseCache(freshDir());
    const provider = stubProvider(() => RESULT);
    // concurrency 2 could ask both repeats at once; one at a time shows the sharing exactly.
    const ctx = context(provider, cache, 0);
    ctx.providers.get('openai:stub')!.concurrency = 1;
    const records = await run(ctx, 2);
    // k = 0 prompts are equal across repeats (random k = 1 draws differ by repeat, so may not be).
    const zero = records.filter((r) => r.k === 0);
    expect(zero.filter((r) => r.repeat === 1).every((r) => r.cached)).toBe(true);
    expect(provider.calls).toBe(cache.stats().entries);
    expect(provider.calls).toBeLessThan(16);
    cache.close();
  });

  it('errors are not cached: the failed calls, and only those, are made again', async () => {
    const cache = new ResponseCache(freshDir());
    let failing = true;
    const provider = stubProvider((request, call) => {
      if (failing && call % 3 === 0) throw new ProviderError('server', '503 from the server');
      return { ...RESULT, text: request.messages.length > 2 ? ROUTE_ANSWER : 'ROUTE: Depot' };
    });
    const first = await run(context(provider, cache));
    const failed = first.filter((r) => r.error !== null);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((r) => r.error!.kind === 'server')).toBe(true);
    expect(cache.stats().entries).toBe(first.length - failed.length);

    failing = false;
    const callsBefore = provider.calls;
    const second = await run(context(provider, cache));
    expect(provider.calls - callsBefore).toBe(failed.length);
    expect(
      second
        .filter((r) => !r.cached)
        .map((r) => `${r.k}/${r.itemId}`)
        .sort(),
    ).toEqual(failed.map((r) => `${r.k}/${r.itemId}`).sort());
    expect(second.every((r) => r.error === null)).toBe(true);
    cache.close();
  });

  it('the local baseline is not cached', async () => {
    const cache = new ResponseCache(freshDir());
    const records = await run(context(new LocalProvider(localBaseline(routesTask)), cache));
    expect(records.length).toBe(8);
    expect(records.every((r) => !r.cached)).toBe(true);
    expect(cache.stats().entries).toBe(0);
    cache.close();
  });
});

/** Bytes from a fixed seed: damage that is the same on every run. */
function noise(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    bytes[i] = (x >> 16) & 255;
  }
  return bytes;
}

/** Overwrites pages [from, to) of a SQLite file (4096-byte pages) with noise; page 0 holds the header and schema. */
function damagePages(file: string, from: number, to: number): void {
  const fd = openSync(file, 'r+');
  for (let page = from; page < to; page++) writeSync(fd, noise(4096, page + 1), 0, 4096, page * 4096);
  closeSync(fd);
}

/** A cache of `n` real entries, checkpointed into the main file (no WAL left), closed. */
function filledCache(dir: string, n: number): string {
  const cache = new ResponseCache(dir);
  for (let i = 0; i < n; i++) cache.put(`filler-${i}`, 'openai:gpt-4o-mini', { ...RESULT, text: `${ROUTE_ANSWER} ${'x'.repeat(500)} ${i}` });
  cache.close();
  return join(dir, 'cache.sqlite');
}

const CORRUPT_NAME = /^cache\.sqlite\.corrupt-\d{8}T\d{6}Z$/;

describe('a damaged cache file', () => {
  it('random bytes named cache.sqlite: open() moves it and its -wal/-shm aside, says so once, and starts a fresh cache', () => {
    const dir = freshDir();
    mkdirSync(dir);
    const junk = noise(20_000, 42);
    writeFileSync(join(dir, 'cache.sqlite'), junk);
    writeFileSync(join(dir, 'cache.sqlite-wal'), noise(100, 1));
    writeFileSync(join(dir, 'cache.sqlite-shm'), noise(100, 2));
    expect(thrownBy(CacheDamagedError, () => new ResponseCache(dir)).reason).toContain('file is not a database');
    expect(inspectCache(dir)).toMatchObject({ state: 'damaged', reason: 'SQLITE_NOTADB: file is not a database' });

    const notices: string[] = [];
    const at = Date.UTC(2025, 0, 2, 3, 4, 5);
    const cache = ResponseCache.open(dir, { onNotice: (n) => notices.push(n), now: () => at });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(
      /^response cache .*cache\.sqlite is damaged \(SQLITE_NOTADB: file is not a database\); moved it to .*cache\.sqlite\.corrupt-20250102T030405Z and started a fresh cache/,
    );
    expect(cache.notices).toEqual(notices);
    // Moved, not deleted: the bytes are as they were; the WAL keeps its suffix beside the moved file.
    expect(readFileSync(join(dir, 'cache.sqlite.corrupt-20250102T030405Z')).equals(junk)).toBe(true);
    expect(readFileSync(join(dir, 'cache.sqlite.corrupt-20250102T030405Z-wal')).equals(noise(100, 1))).toBe(true);
    expect(existsSync(join(dir, 'cache.sqlite.corrupt-20250102T030405Z-shm'))).toBe(true);
    // The fresh cache works.
    cache.put('k', 'openai:gpt-4o-mini', RESULT);
    expect(cache.get('k')).toEqual(RESULT);
    expect(cache.enabled).toBe(true);
    cache.close();
    expect(inspectCache(dir)).toMatchObject({ state: 'ok', stats: { entries: 1 } });
  });

  it('a real cache with pages overwritten in the middle fails quick_check and is moved aside whole', () => {
    const dir = freshDir();
    const file = filledCache(dir, 400);
    expect(existsSync(`${file}-wal`)).toBe(false);
    const pages = statSync(file).size / 4096;
    expect(pages).toBeGreaterThan(40);
    expect(inspectCache(dir)).toMatchObject({ state: 'ok', stats: { entries: 400 } });
    damagePages(file, Math.floor(pages / 2) - 2, Math.floor(pages / 2) + 2);
    const damaged = readFileSync(file);

    expect(thrownBy(CacheDamagedError, () => new ResponseCache(dir)).reason).toMatch(/^quick_check: /);
    const found = inspectCache(dir);
    expect(found).toMatchObject({ state: 'damaged', reason: expect.stringMatching(/^quick_check: .*page/i) });
    expect(readFileSync(file).equals(damaged)).toBe(true); // stats leaves it as it is

    const notices: string[] = [];
    const cache = ResponseCache.open(dir, { onNotice: (n) => notices.push(n) });
    expect(notices).toEqual([expect.stringMatching(/is damaged \(quick_check: .*\); moved it to .*cache\.sqlite\.corrupt-/)]);
    const moved = readdirSync(dir).filter((f) => CORRUPT_NAME.test(f));
    expect(moved).toHaveLength(1);
    expect(readFileSync(join(dir, moved[0]!)).equals(damaged)).toBe(true);
    expect(cache.stats().entries).toBe(0);
    cache.close();
  });

  it('clear works on a damaged file: deleted without a filter, moved aside whole with one', () => {
    const whole = freshDir();
    mkdirSync(whole);
    writeFileSync(join(whole, 'cache.sqlite'), noise(8192, 3));
    writeFileSync(join(whole, 'cache.sqlite-wal'), noise(64, 4));
    expect(clearCache(whole)).toMatchObject({ state: 'damaged-removed', reason: 'SQLITE_NOTADB: file is not a database' });
    expect(readdirSync(whole)).toEqual([]);

    const some = freshDir();
    const file = filledCache(some, 400);
    damagePages(file, 20, 24);
    const outcome = clearCache(some, { provider: 'openai:gpt-4o-mini' }, () => Date.UTC(2025, 5, 1));
    expect(outcome).toMatchObject({ state: 'damaged-moved', reason: expect.stringMatching(/^quick_check: /), movedTo: `${file}.corrupt-20250601T000000Z` });
    // The file (with the -wal/-shm a read-only check may leave beside it) moved whole; no cache.sqlite left.
    expect(readdirSync(some)).toContain('cache.sqlite.corrupt-20250601T000000Z');
    expect(readdirSync(some).every((f) => f.startsWith('cache.sqlite.corrupt-20250601T000000Z'))).toBe(true);
  });

  it('damage met by a read during the run: the file is moved aside, the run goes on with a fresh cache, every trial is recorded', async () => {
    const dir = freshDir();
    const notices: string[] = [];
    const cache = ResponseCache.open(dir, { onNotice: (n) => notices.push(n) });
    const provider = stubProvider(() => RESULT);
    await run(context(provider, cache));
    expect(provider.calls).toBe(8);
    expect(notices).toEqual([]); // sound when opened

    // Another process damages every page but the header (after merging the WAL into the file), then
    // writes once, so this process's connection rereads pages from disk instead of its memory.
    const file = join(dir, 'cache.sqlite');
    const other = new Database(file);
    other.pragma('wal_checkpoint(TRUNCATE)');
    damagePages(file, 1, statSync(file).size / 4096);
    other.pragma('user_version = 1');
    other.close();

    const second = await run(context(provider, cache));
    expect(second).toHaveLength(8);
    expect(second.every((r) => r.error === null && r.output === ROUTE_ANSWER && !r.cached)).toBe(true);
    expect(provider.calls).toBe(16); // the damaged answers are asked again: nothing thrown, nothing dropped
    expect(notices).toEqual([
      expect.stringMatching(
        /was found damaged during the run \(SQLITE_CORRUPT[^)]*\); moved it to .*cache\.sqlite\.corrupt-\d{8}T\d{6}Z and went on with a fresh cache/,
      ),
    ]);
    expect(readdirSync(dir).filter((f) => CORRUPT_NAME.test(f))).toHaveLength(1);
    expect(cache.enabled).toBe(true);
    expect(cache.stats().entries).toBe(8); // the new answers went into the fresh cache
    cache.close();
  });

  it('a write that fails during the run (another process holds the write lock) turns the cache off with one notice; every answer is still recorded', async () => {
    const dir = freshDir();
    const notices: string[] = [];
    const cache = ResponseCache.open(dir, { onNotice: (n) => notices.push(n), busyTimeoutMs: 20 });
    const other = new Database(join(dir, 'cache.sqlite'));
    other.exec('BEGIN IMMEDIATE');
    try {
      const provider = stubProvider((_r, call) => ({ ...RESULT, requestId: `req_${call}` }));
      const records = await run(context(provider, cache));
      expect(records).toHaveLength(8);
      expect(provider.calls).toBe(8);
      expect(records.every((r) => r.error === null && r.output === ROUTE_ANSWER && r.requestId !== null)).toBe(true);
      expect(notices).toEqual([
        expect.stringMatching(
          /could not be written \(SQLITE_BUSY: database is locked\); the cache is off for the rest of this run: answers still go to trials\.jsonl/,
        ),
      ]);
      expect(cache.enabled).toBe(false);
      expect(cache.get('anything')).toBeNull();
    } finally {
      other.exec('ROLLBACK');
      other.close();
      cache.close();
    }
  });
});

describe('an unwritable cache', () => {
  it('is refused before any call, naming the path: a folder whose parent is a regular file (as root too)', () => {
    const parent = join(tmp, 'a-file');
    writeFileSync(parent, 'not a folder');
    const dir = join(parent, 'cache');
    const err = thrownBy(CacheError, () => checkCacheWritable(dir));
    expect(err.message).toContain(dir);
    expect(err.message).toMatch(/cannot create the response cache folder \((ENOTDIR|EEXIST)/);
    expect(err.message).toContain('run with --no-cache');
    expect(thrownBy(CacheError, () => ResponseCache.open(dir)).message).toBe(err.message);
  });

  it('is refused when files cannot be created in the folder: a path under /proc (as root too)', (ctx) => {
    if (!existsSync('/proc/self')) ctx.skip('no /proc on this system');
    const err = thrownBy(CacheError, () => ResponseCache.open('/proc/self'));
    expect(err.message).toMatch(/^\/proc\/self: the response cache folder is not writable \(E[A-Z]+: /);
    expect(err.message).toContain('expected a folder this user can write');
  });

  it('a cache file that is a folder is refused too', () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'cache.sqlite'), { recursive: true });
    expect(thrownBy(CacheError, () => ResponseCache.open(dir)).message).toMatch(/cache\.sqlite: the response cache file is not writable \(EISDIR/);
  });
});
