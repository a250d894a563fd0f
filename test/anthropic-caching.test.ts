// Anthropic prompt caching (issue 17): only a prefix other trials share is marked with cache_control,
// a prefix under the model's minimum never is, the first call of a shared prefix writes it before the
// others read, and writes and reads are priced at their own rates in the cost per request, the budget
// and the summary's per-cell net effect. Through the real @anthropic-ai/sdk against the fake Messages
// server, which here behaves like Anthropic's cache: a marked prefix seen before (and answered) is
// read, else written; an unmarked prompt is neither.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withCacheSavings } from '../src/analysis/advise.js';
import { summarizeCells } from '../src/analysis/summarize.js';
import { ANTHROPIC_DEFAULT_MIN_CACHE_TOKENS, anthropicMinCacheTokens } from '../src/providers/anthropic.js';
import type { CompletionRequest, Provider } from '../src/providers/provider.js';
import { costPerRequest, resolvePrice } from '../src/config/prices.js';
import type { CellSummary, RunSummary } from '../src/records/summary.js';
import type { TrialRecord } from '../src/records/trial.js';
import { cacheSavingsData } from '../src/report/charts/cache.js';
import { cellColumns } from '../src/report/table.js';
import { BudgetTracker } from '../src/runner/budget.js';
import { ResponseCache } from '../src/runner/cache.js';
import { executePlan, type ExecuteContext } from '../src/runner/execute.js';
import { planTrials } from '../src/runner/plan.js';
import { PROMPT_CACHE_TTL_MS, PromptCacheSharing, prefixKey } from '../src/runner/prompt-cache.js';
import { plainArms } from '../src/selectors/arms.js';
import { getSelector } from '../src/selectors/index.js';
import { createRoutesTask } from '../src/tasks/routes.js';
import type { Task } from '../src/tasks/task.js';
import { flavour, resolveAt, ROUTE_ANSWER, routesTask as tinyPoolTask, trackServers, type Flavour } from './providers-helpers.js';
import type { FakeServer, RecordedRequest } from './servers/index.js';

const track = trackServers();

/** Routes with 16 pool examples: random draws of 3 shots for 4 items do not coincide (the helpers' 4-example pool makes some do). */
const routesTask = createRoutesTask({ stores: { min: 3, max: 3 }, windowTightness: 0.3, poolSize: 16, evalItems: 4 }, 7) as unknown as Task;

const SONNET = 'anthropic:claude-sonnet-4-5';
const HAIKU = 'anthropic:claude-haiku-4-5';
/** The anthropic flavour pointed at another model: Sonnet 4.5 caches prefixes from 1024 tokens, Haiku 4.5 from 4096. */
const sonnet: Flavour = { ...flavour('anthropic'), id: SONNET, model: 'claude-sonnet-4-5', config: (s, extra) => ({ id: SONNET, baseUrl: s.url, ...extra }) };
const haiku = flavour('anthropic');

type Block = { type: string; text: string; cache_control?: unknown };
type Turn = { role: string; content: Block[] };

/** ceil(chars / 4), as the fake server counts a prompt's tokens. */
const tokensOf = (value: unknown): number => {
  let chars = 0;
  const walk = (v: unknown, key: string): void => {
    if (typeof v === 'string') chars += key === 'text' ? v.length : 0;
    else if (Array.isArray(v)) for (const x of v) walk(x, key);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(value, '');
  return chars === 0 ? 0 : Math.max(1, Math.ceil(chars / 4));
};

/** The index of the turn whose block carries cache_control, or -1. */
function markedTurn(req: RecordedRequest): number {
  return (req.body.messages as Turn[]).findIndex((t) => t.content.some((b) => b.cache_control !== undefined));
}

/**
 * Answers like Anthropic's cache: a marked prefix is read when a call that wrote it has answered
 * (the entry exists once the response begins), else written; nothing is cached without a mark.
 */
function cachingServer(s: FakeServer, delayMs = 30): { writes: () => number; reads: () => number } {
  const ready = new Map<string, number>();
  let writes = 0;
  let reads = 0;
  s.script((req) => {
    const at = markedTurn(req);
    if (at < 0) return { kind: 'text', text: ROUTE_ANSWER, delayMs };
    const prefix = { system: req.body.system, messages: (req.body.messages as Turn[]).slice(0, at + 1) };
    const key = JSON.stringify(prefix);
    const tokens = tokensOf(prefix);
    const since = ready.get(key);
    if (since !== undefined && Date.now() >= since) {
      reads++;
      return { kind: 'text', text: ROUTE_ANSWER, cachedTokens: tokens, delayMs };
    }
    writes++;
    if (since === undefined) ready.set(key, Date.now() + delayMs);
    return { kind: 'text', text: ROUTE_ANSWER, cacheWriteTokens: tokens, delayMs };
  });
  return { writes: () => writes, reads: () => reads };
}

/** A provider that marks every request, as the adapter did before issue 17 (the last shot of every prompt). */
function markingEverything(inner: Provider): Provider {
  return {
    id: inner.id,
    model: inner.model,
    capabilities: inner.capabilities,
    complete: (request: CompletionRequest, signal?: AbortSignal) => inner.complete({ ...request, cachePrefix: true }, signal),
  };
}

interface Sweep {
  task?: Task;
  selectors: string[];
  shots: number[];
  repeats?: number;
  concurrency?: number;
  provider: Provider;
  id: string;
  budget?: BudgetTracker;
}

async function sweep(o: Sweep): Promise<TrialRecord[]> {
  const task = o.task ?? routesTask;
  const data = task.load();
  const repeats = o.repeats ?? 1;
  const ctx: ExecuteContext = {
    runId: 'caching',
    experimentSeed: 3,
    task,
    pool: data.pool,
    items: data.items,
    providers: new Map([[o.id, { provider: o.provider, concurrency: o.concurrency ?? 4 }]]),
    arms: plainArms(o.selectors.map((name) => getSelector(name))),
    distractors: [],
    repeats,
    budget: o.budget ?? null,
  };
  const plan = planTrials({ itemCount: data.items.length, repeats, providers: [o.id], selectors: o.selectors, shots: o.shots });
  const records: TrialRecord[] = [];
  await executePlan(plan, ctx, { onRecord: (r) => records.push(r) });
  expect(records.every((r) => r.error === null)).toBe(true);
  return records;
}

/** Requests by the selector of the trial that sent them, told apart by their shots' text. */
function requestsOf(s: FakeServer, records: readonly TrialRecord[], selector: string, task: Task = routesTask): RecordedRequest[] {
  const data = task.load();
  const prompts = new Set(
    records
      .filter((r) => r.selector === selector)
      .map((r) =>
        JSON.stringify(
          task
            .render(
              r.shotIds.map((id) => data.pool.find((p) => p.id === id)!),
              data.items.find((i) => i.id === r.itemId)!,
            )
            .filter((m) => m.role !== 'system')
            .map((m) => m.content),
        ),
      ),
  );
  return s.requests.filter((req) => prompts.has(JSON.stringify((req.body.messages as Turn[]).map((t) => t.content.map((b) => b.text).join('')))));
}

const cellOf = (cells: readonly CellSummary[], selector: string, k: number) => cells.find((c) => c.selector === selector && c.k === k)!;

describe('anthropic prompt caching: which prefixes are marked', () => {
  it('the minimum cacheable prefix by model, as Anthropic documents it', () => {
    expect(anthropicMinCacheTokens('claude-sonnet-4-5')).toBe(1024);
    expect(anthropicMinCacheTokens('claude-sonnet-4-5-20250929')).toBe(1024);
    expect(anthropicMinCacheTokens('claude-opus-4-1')).toBe(1024);
    expect(anthropicMinCacheTokens('claude-haiku-4-5')).toBe(4096);
    expect(anthropicMinCacheTokens('claude-opus-4-5-20251101')).toBe(4096);
    expect(anthropicMinCacheTokens('claude-3-5-haiku-latest')).toBe(2048);
    expect(anthropicMinCacheTokens('claude-3-haiku-20240307')).toBe(2048);
    expect(anthropicMinCacheTokens('some-future-model')).toBe(ANTHROPIC_DEFAULT_MIN_CACHE_TOKENS);
  });

  it('`first` (the same shots for every item) marks its last shot and reads it back; `random` (seeded per item) never marks', async () => {
    const s = await track(sonnet.start());
    const cache = cachingServer(s);
    const records = await sweep({ selectors: ['first', 'random'], shots: [3], provider: resolveAt(sonnet, s), id: SONNET });
    const first = requestsOf(s, records, 'first');
    const random = requestsOf(s, records, 'random');
    expect(first).toHaveLength(4);
    expect(random).toHaveLength(4);
    // The last shot's answer (turn 2k - 1 = 5) carries the mark, nothing else does.
    for (const req of first) {
      expect(markedTurn(req)).toBe(5);
      expect((req.body.messages as Turn[])[5]!.role).toBe('assistant');
      expect(JSON.stringify(req.body.system)).not.toContain('cache_control');
    }
    for (const req of random) expect(JSON.stringify(req.body)).not.toContain('cache_control');
    // Four workers, four items: the first call wrote the prefix, the other three waited for it and read it.
    expect(cache.writes()).toBe(1);
    expect(cache.reads()).toBe(3);
    const byCell = (selector: string) => records.filter((r) => r.selector === selector);
    expect(byCell('first').filter((r) => (r.cacheWriteTokens ?? 0) > 0)).toHaveLength(1);
    expect(byCell('first').filter((r) => r.cachedTokens > 0)).toHaveLength(3);
    expect(byCell('random').every((r) => r.cachedTokens === 0 && r.cacheWriteTokens === undefined)).toBe(true);
    // The flag is the provider's business only: the prompt hash (and so the response cache key) is that of an unmarked request.
    const hashes = new Set(byCell('first').map((r) => r.promptHash));
    expect(hashes.size).toBe(4);
  });

  it('repeats share a prefix when the selector ignores the rng (`similar`), not when it draws per repeat (`random`)', async () => {
    const s = await track(sonnet.start());
    const cache = cachingServer(s);
    const records = await sweep({ selectors: ['similar', 'random'], shots: [3], repeats: 2, provider: resolveAt(sonnet, s), id: SONNET });
    const similar = requestsOf(s, records, 'similar');
    expect(similar).toHaveLength(8);
    expect(similar.every((req) => markedTurn(req) === 5)).toBe(true);
    expect(requestsOf(s, records, 'random').every((req) => markedTurn(req) === -1)).toBe(true);
    // Per item one write (its first repeat) and one read (the other), whatever the order the workers took them in.
    const distinct = new Set(records.filter((r) => r.selector === 'similar').map((r) => r.shotIds.join(','))).size;
    expect(cache.writes()).toBe(distinct);
    expect(cache.reads()).toBe(8 - distinct);
  });

  it('a trial that waited for its prefix to be written asks the response cache again: an identical call that answered meanwhile is not paid twice', async () => {
    const s = await track(sonnet.start());
    cachingServer(s);
    const dir = mkdtempSync(join(tmpdir(), 'fewshot-prime-cache-'));
    const cache = ResponseCache.open(dir);
    try {
      const data = routesTask.load();
      // Two prompt variants that render alike: identical requests (one cache key) with one prefix.
      const ctx: ExecuteContext = {
        runId: 'caching',
        experimentSeed: 3,
        task: routesTask,
        tasks: new Map([
          ['v1', routesTask],
          ['v2', routesTask],
        ]),
        pool: data.pool,
        items: data.items,
        providers: new Map([[SONNET, { provider: resolveAt(sonnet, s), concurrency: 2 }]]),
        arms: plainArms([getSelector('first')]),
        distractors: [],
        repeats: 1,
        cache,
      };
      const plan = planTrials({ itemCount: data.items.length, repeats: 1, providers: [SONNET], selectors: ['first'], shots: [3], prompts: ['v1', 'v2'] });
      const records: TrialRecord[] = [];
      await executePlan(plan, ctx, { onRecord: (r) => records.push(r) });
      expect(records).toHaveLength(8);
      expect(records.every((r) => r.error === null)).toBe(true);
      // One call per distinct request: the first item's twin waited for the prefix to be written, then found the answer in the cache.
      expect(s.requests).toHaveLength(data.items.length);
      expect(records.filter((r) => r.cached)).toHaveLength(data.items.length);
    } finally {
      cache.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('per-item draws that happen to coincide (a pool of 4, 3 shots) do share a prefix, and only those are marked', async () => {
    const s = await track(sonnet.start());
    const cache = cachingServer(s);
    const records = await sweep({ task: tinyPoolTask, selectors: ['random'], shots: [3], provider: resolveAt(sonnet, s), id: SONNET });
    const byShots = new Map<string, number>();
    for (const r of records) byShots.set(r.shotIds.join(','), (byShots.get(r.shotIds.join(',')) ?? 0) + 1);
    const sharedItems = [...byShots.values()].filter((n) => n > 1).reduce((a, b) => a + b, 0);
    expect(sharedItems).toBeGreaterThan(0);
    expect(sharedItems).toBeLessThan(4);
    expect(s.requests.filter((req) => markedTurn(req) === 5)).toHaveLength(sharedItems);
    expect(cache.writes() + cache.reads()).toBe(sharedItems);
  });

  it('a prefix under the model minimum is never marked, shared or not', async () => {
    // Sonnet 4.5 at k = 1: about 900 tokens of system prompt and one shot (under 1024).
    const s1 = await track(sonnet.start());
    cachingServer(s1);
    await sweep({ selectors: ['first'], shots: [1], provider: resolveAt(sonnet, s1), id: SONNET });
    // Haiku 4.5 at k = 3: some 1,700 tokens, under its 4096.
    const s2 = await track(haiku.start());
    cachingServer(s2);
    await sweep({ selectors: ['first'], shots: [3], provider: resolveAt(haiku, s2), id: HAIKU });
    for (const req of [...s1.requests, ...s2.requests]) expect(JSON.stringify(req.body)).not.toContain('cache_control');
    expect(s1.requests).toHaveLength(4);
    expect(s2.requests).toHaveLength(4);
  });
});

describe('anthropic prompt caching: prices', () => {
  it('cost per request prices writes at 1.25x input and reads at 0.1x; the budget books the same', async () => {
    const price = resolvePrice(SONNET)!;
    expect(price).toMatchObject({ input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 });
    // An Anthropic price without cacheWrite (an experiment's) gets 1.25x input; other providers price writes as input.
    expect(resolvePrice('anthropic:claude-x', { 'anthropic:claude-x': { input: 2, output: 8 } })).toMatchObject({ cacheWrite: 2.5 });
    expect(resolvePrice('openai:x', { 'openai:x': { input: 2, output: 8 } })).not.toHaveProperty('cacheWrite');
    expect(costPerRequest({ input: 2, output: 8 }, 1000, 0, 0, 400)).toBeCloseTo(2000 / 1e6, 15);
    // 1,000 prompt tokens: 400 written, 500 read, 100 plain; 50 out.
    expect(costPerRequest(price, 1000, 50, 500, 400)).toBeCloseTo((100 * 3 + 500 * 0.3 + 400 * 3.75 + 50 * 15) / 1e6, 15);
    // Never more written than the prompt left after reads.
    expect(costPerRequest(price, 1000, 0, 800, 400)).toBeCloseTo((800 * 0.3 + 200 * 3.75) / 1e6, 15);

    const s = await track(sonnet.start());
    cachingServer(s);
    const budget = new BudgetTracker(10, [SONNET], null);
    const records = await sweep({ selectors: ['first', 'random'], shots: [3], provider: resolveAt(sonnet, s), id: SONNET, budget });
    const billed = records.reduce((n, r) => n + costPerRequest(price, r.tokensIn, r.tokensOut, r.cachedTokens, r.cacheWriteTokens ?? 0), 0);
    expect(budget.spentBy(SONNET)).toBeCloseTo(billed, 12);
    const writer = records.find((r) => (r.cacheWriteTokens ?? 0) > 0)!;
    const reader = records.find((r) => r.cachedTokens > 0)!;
    const plain = records.find((r) => r.selector === 'random')!;
    const line = (r: TrialRecord) =>
      `in ${r.tokensIn} (read ${r.cachedTokens}, written ${r.cacheWriteTokens ?? 0}), out ${r.tokensOut}: $${costPerRequest(price, r.tokensIn, r.tokensOut, r.cachedTokens, r.cacheWriteTokens ?? 0).toFixed(6)}`;
    console.log(
      [
        `${SONNET} (input $3, cache write $3.75, cache read $0.30, output $15 per 1M):`,
        `  first, writing the prefix: ${line(writer)}`,
        `  first, reading it:         ${line(reader)}`,
        `  random (not marked):       ${line(plain)}`,
        `  budget spent on 8 trials: $${budget.spentBy(SONNET)!.toFixed(6)}`,
      ].join('\n'),
    );
    expect(costPerRequest(price, writer.tokensIn, writer.tokensOut, 0, writer.cacheWriteTokens)).toBeGreaterThan(
      costPerRequest(price, writer.tokensIn, writer.tokensOut),
    );
    expect(costPerRequest(price, reader.tokensIn, reader.tokensOut, reader.cachedTokens)).toBeLessThan(
      costPerRequest(price, reader.tokensIn, reader.tokensOut),
    );
  });

  it('the budget reserves a marked call at the cache-write rate', () => {
    const budget = new BudgetTracker(1, [SONNET], null);
    const plain = budget.reserve(SONNET, 2000, 100)!;
    const marked = budget.reserve(SONNET, 2000, 100, undefined, true)!;
    expect(plain).toBeCloseTo((2000 * 3 + 100 * 15) / 1e6, 15);
    expect(marked).toBeCloseTo((2000 * 3.75 + 100 * 15) / 1e6, 15);
  });
});

describe('anthropic prompt caching: the net effect per cell', () => {
  it('summary cells carry the mean tokens written and what caching saved per 1,000 requests; marking every prefix (the old rule) loses money on per-item shots', async () => {
    const price = resolvePrice(SONNET)!;
    const summarize = (records: TrialRecord[]) => withCacheSavings(summarizeCells(records), {});

    const s = await track(sonnet.start());
    cachingServer(s);
    const now = summarize(await sweep({ selectors: ['first', 'random'], shots: [3], provider: resolveAt(sonnet, s), id: SONNET }));
    const s2 = await track(sonnet.start());
    cachingServer(s2);
    const old = summarize(await sweep({ selectors: ['first', 'random'], shots: [3], provider: markingEverything(resolveAt(sonnet, s2)), id: SONNET }));

    const first = cellOf(now, 'first', 3);
    expect(first.meanCacheWriteTokens).toBeGreaterThan(0);
    expect(first.meanCachedTokens).toBeGreaterThan(0);
    const expected = (1000 * ((first.meanCachedTokens ?? 0) * (3 - 0.3) - first.meanCacheWriteTokens! * (3.75 - 3))) / 1e6;
    expect(first.cacheSavings).toBeCloseTo(expected, 12);
    expect(first.cacheSavings).toBeGreaterThan(0);
    // Today's random cell is not marked: nothing written or read, no net effect to show.
    const random = cellOf(now, 'random', 3);
    expect(random.meanCacheWriteTokens).toBeUndefined();
    expect(random.cacheSavings).toBeUndefined();
    // Marked anyway, every random prefix is written and none is read: caching costs money.
    const oldRandom = cellOf(old, 'random', 3);
    expect(oldRandom.cacheSavings).toBeLessThan(0);
    expect(oldRandom.meanCachedTokens).toBe(0);

    const cost1k = (c: CellSummary) => 1000 * costPerRequest(price, c.meanTokensIn!, c.meanTokensOut!, c.meanCachedTokens ?? 0, c.meanCacheWriteTokens ?? 0);
    const row = (rule: string, c: CellSummary) =>
      `  ${rule.padEnd(19)} ${`${c.selector} k=${c.k}`.padEnd(11)} written ${String(Math.round(c.meanCacheWriteTokens ?? 0)).padStart(4)}/call, read ${String(Math.round(c.meanCachedTokens ?? 0)).padStart(4)}/call, cost $${cost1k(c).toFixed(4)} per 1k requests, caching saved ${c.cacheSavings === undefined ? '—' : `${c.cacheSavings < 0 ? '-' : ''}$${Math.abs(c.cacheSavings).toFixed(4)}`}`;
    console.log(
      [
        `net effect of prompt caching per cell (4 items, ${SONNET}):`,
        row('shared only (new)', first),
        row('shared only (new)', random),
        row('every prefix (old)', cellOf(old, 'first', 3)),
        row('every prefix (old)', oldRandom),
      ].join('\n'),
    );

    // The report shows it: a chart panel and a table column.
    const summary = { cells: now } as unknown as RunSummary;
    expect(cacheSavingsData(summary)).toEqual([
      expect.objectContaining({ provider: SONNET, cell: `${SONNET} / first k=3`, savingsPer1k: first.cacheSavings, effect: 'saved' }),
    ]);
    const oldData = cacheSavingsData({ cells: old } as unknown as RunSummary);
    expect(oldData.find((d) => d.cell.endsWith('random k=3'))).toMatchObject({ effect: 'paid extra' });
    expect(oldData.find((d) => d.cell.endsWith('random k=3'))!.savings).toMatch(/^-\$0\.\d+$/);
    const column = cellColumns([], { promptCache: true }).find((c) => c.header === 'prompt cache saved per 1,000 requests')!;
    expect(column.value(first)).toMatch(/^\$\d+\.\d+$/);
    expect(column.value(random)).toBe('—');
    expect(cellColumns([]).some((c) => c.header === 'prompt cache saved per 1,000 requests')).toBe(false);
  });
});

describe('prompt-cache.ts: sharing and priming', () => {
  const req = (shot: string) => ({
    messages: [
      { role: 'system' as const, content: 'S' },
      { role: 'user' as const, content: shot },
      { role: 'assistant' as const, content: 'A' },
      { role: 'user' as const, content: 'Q' },
    ],
  });

  it('the prefix ends at the last shot: the question is not part of it; no shot, no prefix', () => {
    const a = req('x');
    expect(prefixKey('p', a)).toBe(prefixKey('p', { messages: [...a.messages.slice(0, 3), { role: 'user', content: 'another question' }] }));
    expect(prefixKey('p', a)).not.toBe(prefixKey('p', req('y')));
    expect(prefixKey('p', a)).not.toBe(prefixKey('q', a));
    expect(prefixKey('p', a)).not.toBe(prefixKey('p', { ...a, systemPrompt: 'override' }));
    expect(prefixKey('p', { messages: [{ role: 'user', content: 'Q' }] })).toBeNull();
  });

  it('one call writes a cold prefix while the others wait; after the cache lifetime it is cold again', async () => {
    let now = 0;
    const sharing = new PromptCacheSharing(4, 1, () => now);
    const order: string[] = [];
    const first = (await sharing.prime('p'))!;
    const second = sharing.prime('p').then((release) => {
      order.push('second started');
      return release!;
    });
    await new Promise((r) => setTimeout(r, 5));
    order.push('first answered');
    first(true);
    (await second)(true);
    expect(order).toEqual(['first answered', 'second started']);
    // A failed primer hands over to the next: nothing is warm.
    const failing = (await sharing.prime('q'))!;
    const next = sharing.prime('q');
    failing(false);
    const took = (await next)!;
    const third = sharing.prime('q');
    let thirdStarted = false;
    void third.then(() => (thirdStarted = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(thirdStarted).toBe(false);
    took(true);
    await third;
    // Expired: a new write, primed again.
    now += PROMPT_CACHE_TTL_MS + 1;
    const again = (await sharing.prime('p'))!;
    let waiting = true;
    void sharing.prime('p').then(() => (waiting = false));
    await new Promise((r) => setTimeout(r, 5));
    expect(waiting).toBe(true);
    again(true);
    await new Promise((r) => setTimeout(r, 0));
    expect(waiting).toBe(false);
  });

  it('an abort ends the wait', async () => {
    const sharing = new PromptCacheSharing(4, 1);
    await sharing.prime('p');
    const controller = new AbortController();
    const waiting = sharing.prime('p', controller.signal);
    controller.abort();
    expect(await waiting).toBeNull();
  });
});
