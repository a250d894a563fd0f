// Anthropic's batch engine (src/providers/batch/anthropic-batch.ts) against the fake Message Batches
// server (test/servers/anthropic-batch.ts) through the real @anthropic-ai/sdk: a job's states, its
// results mapped back by custom_id, each the same as the synchronous answer to the same request, and
// the typed errors of failed, expired and cancelled requests.

import { describe, expect, it } from 'vitest';
import type { AnthropicProvider } from '../src/providers/anthropic.js';
import { ANTHROPIC_BATCH_LIMITS, type AnthropicBatchEngine } from '../src/providers/batch/anthropic-batch.js';
import { BATCH_TERMINAL_STATES, type BatchItemResult, type BatchJobState, type BatchJobStatus, type BatchRequest } from '../src/providers/batch.js';
import { failureBilling } from '../src/providers/classify-error.js';
import type { CompletionRequest, CompletionResult, ProviderError, ProviderErrorKind } from '../src/providers/provider.js';
import { expectKeyOnlyInAuthHeader, flavour, rejection, resolveAt, routesPrompt, trackServers } from './providers-helpers.js';
import { anthropicContextLengthBody, startAnthropicServer } from './servers/anthropic.js';
import { ManualClock, type BatchOptions } from './servers/batch-core.js';
import type { FakeServer, RecordedRequest, Reply } from './servers/index.js';

const track = trackServers();
const f = flavour('anthropic');
const BATCHES = '/v1/messages/batches';

/** A server that also serves Message Batches, paced by `batch` (short phases by default). */
function start(batch: BatchOptions = {}): Promise<FakeServer> {
  return track(startAnthropicServer({ batch: { runningMs: 40, ...batch } }));
}

function adapter(s: FakeServer): AnthropicProvider {
  return f.adapter(s) as AnthropicProvider;
}

/** A request named by a marker in its system prompt, which the script keys its reply on. */
function named(name: string, extra: Partial<CompletionRequest> = {}): CompletionRequest {
  return { messages: routesPrompt(0).messages, systemPrompt: `case-${name}. Answer with the route only.`, ...extra };
}

/** Answers each request (sync or batch) by the case its body names. */
function scriptByCase(s: FakeServer, replies: Record<string, Reply>): void {
  s.script((req: RecordedRequest) => {
    const name = /case-([A-Za-z0-9-]+)\./.exec(JSON.stringify(req.body))?.[1];
    const reply = name === undefined ? undefined : replies[name];
    if (reply === undefined) throw new Error(`no scripted reply for case ${name}`);
    return reply;
  });
}

function batchRequests(cases: readonly (readonly [string, CompletionRequest])[]): BatchRequest[] {
  return cases.map(([name, request], i) => ({ customId: `c${i}-${name}`, request }));
}

/** Polls until the job is terminal; the states seen on the way, in order, without repeats. */
/** Polls until the job is terminal, returning the states seen; `tick` moves time between polls. */
async function waitForEnd(
  engine: AnthropicBatchEngine,
  id: string,
  tick: () => unknown = () => new Promise((r) => setTimeout(r, 10)),
): Promise<{ final: BatchJobStatus; seen: BatchJobState[] }> {
  const seen: BatchJobState[] = [];
  for (let i = 0; i < 300; i++) {
    const status = await engine.status(id);
    if (seen.at(-1) !== status.state) seen.push(status.state);
    if (BATCH_TERMINAL_STATES.has(status.state)) return { final: status, seen };
    await tick();
  }
  throw new Error(`job ${id} never ended`);
}

function byId(items: readonly BatchItemResult[]): Map<string, BatchItemResult> {
  return new Map(items.map((i) => [i.customId, i]));
}

function resultOf(item: BatchItemResult | undefined): CompletionResult {
  if (item === undefined || !('result' in item)) throw new Error(`expected a result, got ${item === undefined ? 'nothing' : item.error.message}`);
  return item.result;
}

function errorOf(item: BatchItemResult | undefined): ProviderError {
  if (item === undefined || !('error' in item)) throw new Error('expected an error');
  return item.error;
}

/** Every field but the two a batch cannot share with a synchronous answer. */
function comparable(r: CompletionResult): Omit<CompletionResult, 'latencyMs' | 'requestId'> {
  const { latencyMs: _latency, requestId: _requestId, ...rest } = r;
  return rest;
}

function createRequest(s: FakeServer): RecordedRequest {
  const create = s.requests.find((r) => r.method === 'POST' && r.path === BATCHES);
  if (create === undefined) throw new Error('no batch was created');
  return create;
}

describe('anthropic batch: a job from submission to results', () => {
  it('moves from in_progress (running) to ended; the results come back shuffled and map back by custom_id', async () => {
    const clock = new ManualClock();
    const s = await start({ validatingMs: 40, runningMs: 80, finalizingMs: 40, clock: clock.now });
    const engine = adapter(s).batch;
    const names = Array.from({ length: 8 }, (_, i) => `item${i}`);
    scriptByCase(s, Object.fromEntries(names.map((n) => [n, { kind: 'text', text: `answer to ${n}` }])));
    const requests = batchRequests(names.map((n) => [n, named(n)]));

    const submitted = await engine.submit(requests);
    expect(submitted).toEqual({
      id: expect.stringMatching(/^msgbatch_/),
      state: 'running',
      providerState: 'in_progress',
      counts: { total: 8, succeeded: 0, failed: 0 },
    });
    const { final, seen } = await waitForEnd(engine, submitted.id, () => clock.advance(20));
    // Anthropic has no validating or finalizing step: the fake's phases all read in_progress.
    expect(seen).toEqual(['running', 'ended']);
    expect(final).toEqual({ id: submitted.id, state: 'ended', providerState: 'ended', counts: { total: 8, succeeded: 8, failed: 0 } });

    const items = await engine.results(submitted.id);
    const order = items.map((i) => i.customId);
    expect(order).toEqual(s.batch!.jobs[0]!.outcomes!.map((o) => o.customId));
    expect(order).not.toEqual(requests.map((r) => r.customId));
    const answers = byId(items);
    for (const [i, n] of names.entries()) expect(resultOf(answers.get(`c${i}-${n}`)).text).toBe(`answer to ${n}`);

    // The results came from the absolute results_url the batch names; the key went in the auth header only.
    const results = s.requests.filter((r) => r.path === `${BATCHES}/${submitted.id}/results`);
    expect(results).toHaveLength(1);
    expect(results[0]!.headers.accept).toBe('application/binary');
    for (const req of s.requests) expectKeyOnlyInAuthHeader(f, req);
  });

  it('each result equals the synchronous answer to the same request, and each request is the body the sync path sends', async () => {
    const s = await start();
    const longSystem = `case-cached. ${'Answer with the route only. '.repeat(600)}`;
    const cases: [string, CompletionRequest][] = [
      ['plain', named('plain', { topP: 0.9, stop: ['\n\n'] })],
      ['length', named('length', { maxOutputTokens: 8 })],
      ['cached', { messages: routesPrompt(2).messages, systemPrompt: longSystem, cachePrefix: true }],
      ['thought', named('thought', { reasoning: { budgetTokens: 2000 }, maxOutputTokens: 4000 })],
      ['estimated', named('estimated', { reasoning: { effort: 'low' }, maxOutputTokens: 4000 })],
      ['structured', named('structured', { responseFormat: { type: 'schema', name: 'label', schema: { type: 'string', enum: ['spam', 'ham'] } } })],
      ['snapshot', named('snapshot')],
    ];
    scriptByCase(s, {
      plain: { kind: 'text', text: 'ROUTE: Depot -> Store A\nCOST: 10', tokensIn: 120, tokensOut: 9 },
      length: { kind: 'text', text: 'ROUTE: Dep', finish: 'length', tokensOut: 8 },
      cached: { kind: 'text', text: 'ROUTE: Depot\nCOST: 0', tokensIn: 5200, cachedTokens: 4600, cacheWriteTokens: 300 },
      thought: { kind: 'text', text: 'COST: 3', thinking: 'Store A is nearest, so...', reasoningTokens: 57 },
      estimated: { kind: 'text', text: 'COST: 4', thinking: 'A long chain of thought. '.repeat(20) },
      structured: { kind: 'text', text: '', toolInput: { value: 'ham' } },
      snapshot: { kind: 'text', text: 'ok', model: 'claude-haiku-4-5-20251001' },
    });
    const provider = adapter(s);
    const sync: CompletionResult[] = [];
    for (const [, request] of cases) sync.push(await provider.complete(request));
    const syncBodies = s.requests.map((r) => r.body);
    expect(syncBodies).toHaveLength(cases.length);

    const requests = batchRequests(cases);
    const { id } = await provider.batch.submit(requests);
    expect((await waitForEnd(provider.batch, id)).final.state).toBe('ended');
    const answers = byId(await provider.batch.results(id));

    for (const [i, { customId }] of requests.entries()) {
      const batch = resultOf(answers.get(customId));
      expect(comparable(batch), customId).toEqual(comparable(sync[i]!));
      expect(batch.latencyMs).toBe(0);
      expect(batch.requestId).toBeNull();
    }
    // The cases cover what they say: a truncation, cache reads and writes, reported and estimated thinking, a tool's answer.
    const get = (name: string) => resultOf(answers.get(requests.find((r) => r.customId.endsWith(`-${name}`))!.customId));
    expect(get('length').finishReason).toBe('length');
    expect(get('cached')).toMatchObject({ cachedTokens: 4600, cacheWriteTokens: 300, tokensIn: 5200 });
    expect(get('thought')).toMatchObject({ reasoningTokens: 57 });
    expect(get('estimated')).toMatchObject({ reasoningTokensEstimated: true });
    expect(get('structured')).toMatchObject({ text: '"ham"', finishReason: 'stop' });
    expect(get('snapshot').snapshot).toEqual({ model: 'claude-haiku-4-5-20251001' });

    // The request bodies: the create call's params, and what the server answered, are the sync bodies.
    const params = (createRequest(s).body.requests as { custom_id: string; params: unknown }[]).map((r) => r.params);
    expect(params).toEqual(syncBodies);
    expect(s.batchAnswered.map((r) => r.body)).toEqual(syncBodies);
    expect(JSON.stringify(params[2])).toContain('"cache_control":{"type":"ephemeral"}');
    expect(params.every((p) => typeof (p as { model?: unknown }).model === 'string' && typeof (p as { max_tokens?: unknown }).max_tokens === 'number')).toBe(
      true,
    );
  });
});

describe('anthropic batch: requests that fail', () => {
  it('errored results are the typed errors the sync path throws for the same answer, for those requests only; a refusal is `refused`, a garbled message `malformed`', async () => {
    const s = await start();
    const cases: [string, Reply, ProviderErrorKind | 'ok', number | null][] = [
      ['ok', { kind: 'text', text: 'fine' }, 'ok', null],
      ['bad', { kind: 'status', status: 400 }, 'bad_request', 400],
      ['long', { kind: 'status', status: 400, body: anthropicContextLengthBody() }, 'context_length', 400],
      ['key', { kind: 'status', status: 401 }, 'auth', 401],
      ['denied', { kind: 'status', status: 403 }, 'auth', 403],
      ['large', { kind: 'status', status: 413 }, 'context_length', 413],
      ['limited', { kind: 'status', status: 429 }, 'rate_limit', 429],
      ['broken', { kind: 'status', status: 500 }, 'server', 500],
      ['overloaded', { kind: 'status', status: 529 }, 'server', 529],
      ['refusal', { kind: 'text', text: 'I cannot help with that.', finish: 'refused' }, 'refused', null],
      ['garbled', { kind: 'raw', body: '{"content": 3}' }, 'malformed', null],
    ];
    scriptByCase(s, Object.fromEntries(cases.map(([name, reply]) => [name, reply])));
    const provider = adapter(s);
    const syncKinds: string[] = [];
    for (const [name] of cases) {
      syncKinds.push(
        await provider.complete(named(name)).then(
          () => 'ok',
          (e: ProviderError) => e.kind,
        ),
      );
    }
    expect(syncKinds).toEqual(cases.map(([, , kind]) => kind));

    const requests = batchRequests(cases.map(([name]) => [name, named(name)]));
    const { id } = await provider.batch.submit(requests);
    const { final } = await waitForEnd(provider.batch, id);
    expect(final).toMatchObject({ state: 'ended', counts: { total: 11, succeeded: 3, failed: 8 } });
    const items = byId(await provider.batch.results(id));
    expect(items.size).toBe(cases.length);
    for (const [i, [, , kind, status]] of cases.entries()) {
      const item = items.get(requests[i]!.customId);
      if (kind === 'ok') {
        expect(resultOf(item).text).toBe('fine');
        continue;
      }
      const error = errorOf(item);
      expect({ kind: error.kind, status: error.status }, requests[i]!.customId).toEqual({ kind, status });
      expect(error.message.startsWith(`${f.id}: `)).toBe(true);
      // Errored batch requests are not billed; a refusal or a malformed message came with a billed generation, as in the sync path.
      expect(failureBilling(error)).toBe(status === null ? 'maybe' : 'none');
    }
  });

  it('expiry: the job ends `expired`, the expired requests are kind `expired` (billed nothing), the others answered', async () => {
    const s = await start({ expire: (_job, i) => i % 3 === 0 });
    s.script(() => ({ kind: 'text', text: 'done' }));
    const engine = adapter(s).batch;
    const requests = batchRequests([0, 1, 2, 3, 4, 5].map((i) => [`e${i}`, named(`e${i}`)]));
    const { id } = await engine.submit(requests);
    const { final } = await waitForEnd(engine, id);
    expect(final).toMatchObject({ state: 'expired', providerState: 'ended', counts: { total: 6, succeeded: 4, failed: 2 } });
    const items = byId(await engine.results(id));
    for (const [i, { customId }] of requests.entries()) {
      if (i % 3 !== 0) {
        expect(resultOf(items.get(customId)).text).toBe('done');
        continue;
      }
      const error = errorOf(items.get(customId));
      expect(error).toMatchObject({ kind: 'expired', billing: 'none', message: `${f.id}: batch request expired before it ran` });
    }
    // Only the requests that ran were asked of the script.
    expect(s.batchAnswered).toHaveLength(4);
  });

  it('cancel: the job is cancelling, then cancelled; its unrun requests are kind `cancelled`', async () => {
    const clock = new ManualClock();
    const s = await start({ runningMs: 10_000, clock: clock.now });
    const engine = adapter(s).batch;
    const requests = batchRequests([0, 1, 2].map((i) => [`x${i}`, named(`x${i}`)]));
    const { id } = await engine.submit(requests);
    const cancelling = await engine.cancel(id);
    expect(cancelling).toEqual({ id, state: 'cancelling', providerState: 'canceling', counts: { total: 3, succeeded: 0, failed: 0 } });
    expect(s.requests.some((r) => r.method === 'POST' && r.path === `${BATCHES}/${id}/cancel`)).toBe(true);

    const { final } = await waitForEnd(engine, id, () => clock.advance(10));
    expect(final).toEqual({ id, state: 'cancelled', providerState: 'ended', counts: { total: 3, succeeded: 0, failed: 3 } });
    const items = await engine.results(id);
    expect(items.map((i) => i.customId).sort()).toEqual(requests.map((r) => r.customId).sort());
    for (const item of items) expect(errorOf(item)).toMatchObject({ kind: 'cancelled', billing: 'none' });
    expect(s.batchAnswered).toHaveLength(0);
  });

  it('a job refused as a whole: Anthropic refuses it at creation, so submit throws a bad_request with its message (no job, no `failed` state)', async () => {
    const s = await start({ fail: (job) => (job === 0 ? 'requests.0.params.max_tokens: Field required' : null) });
    const engine = adapter(s).batch;
    const requests = batchRequests([['a', named('a')]]);
    const error = await rejection(engine.submit(requests));
    expect(error).toMatchObject({ kind: 'bad_request', status: 400 });
    expect(error.message).toContain('requests.0.params.max_tokens: Field required');
    // The next job is accepted.
    expect((await engine.submit(requests)).state).toBe('running');
  });

  it('the job calls themselves fail as typed errors: an unknown batch is a 404 bad_request; a server without batches too', async () => {
    const s = await start();
    expect(await rejection(adapter(s).batch.status('msgbatch_unknown'))).toMatchObject({ kind: 'bad_request', status: 404 });
    const plain = await track(startAnthropicServer());
    expect(await rejection(adapter(plain).batch.submit(batchRequests([['a', named('a')]])))).toMatchObject({ kind: 'bad_request', status: 404 });
  });
});

describe('anthropic batch: a job submitted by another process', () => {
  it('reads plain answers as they are; structured-output answers need adopt(), which also reports missing requests as expired', async () => {
    const s = await start();
    const responseFormat = { type: 'json' } as const;
    scriptByCase(s, { text: { kind: 'text', text: 'plain' }, json: { kind: 'text', text: '', toolInput: { label: 'spam' } } });
    const requests = batchRequests([
      ['text', named('text')],
      ['json', named('json', { responseFormat })],
    ]);
    const { id } = await adapter(s).batch.submit(requests);
    await waitForEnd(adapter(s).batch, id);

    const resumed = adapter(s).batch;
    const before = byId(await resumed.results(id));
    expect(resultOf(before.get(requests[0]!.customId)).text).toBe('plain');
    expect(errorOf(before.get(requests[1]!.customId))).toMatchObject({ kind: 'other', message: expect.stringContaining('adopt()') });

    const never: BatchRequest = { customId: 'never-answered', request: named('text') };
    resumed.adopt(id, [...requests, never]);
    const after = byId(await resumed.results(id));
    expect(resultOf(after.get(requests[1]!.customId))).toMatchObject({ text: '{"label":"spam"}', finishReason: 'stop' });
    expect(errorOf(after.get('never-answered'))).toMatchObject({ kind: 'expired', billing: 'none' });
  });
});

describe('anthropic batch: limits and sizes', () => {
  it('100,000 requests or 256 MB a job; size() is the bytes of the request entry (and its comma) in the create body', async () => {
    const s = await start();
    const provider = adapter(s);
    expect(provider.batch.limits).toEqual({ maxRequests: 100_000, maxBytes: 256 * 1024 * 1024 });
    expect(ANTHROPIC_BATCH_LIMITS.maxBytes).toBe(268_435_456);
    // The registry's provider (retries, rate limits) offers the adapter's engine.
    expect(resolveAt(f, s).batch?.limits).toEqual(ANTHROPIC_BATCH_LIMITS);

    const requests = batchRequests([
      ['ascii', named('ascii')],
      ['accents', named('accents', { messages: [{ role: 'user', content: 'Café, crème brûlée ✓ 東京' }] })],
      ['shots', { messages: routesPrompt(2).messages, maxOutputTokens: 300 }],
    ]);
    const sizes = requests.map((r) => provider.batch.size(r));
    await provider.complete(requests[1]!.request);
    const syncBody = s.requests[0]!.body;
    expect(sizes[1]).toBe(Buffer.byteLength(JSON.stringify({ custom_id: requests[1]!.customId, params: syncBody })) + 1);
    expect(sizes[1]).toBeGreaterThan(JSON.stringify({ custom_id: requests[1]!.customId, params: syncBody }).length + 1);

    await provider.batch.submit(requests);
    // {"requests":[ ... ]} around the entries, with no comma after the last one: 15 - 1 bytes.
    expect(sizes.reduce((a, b) => a + b, 0) + 14).toBe(Buffer.byteLength(JSON.stringify(createRequest(s).body)));
  });

  it('a request the API would refuse (thinking with a forced tool) is refused by size() and submit() as complete() refuses it', async () => {
    const s = await start();
    const provider = adapter(s);
    const request = named('both', { reasoning: { effort: 'low' }, responseFormat: { type: 'json' }, maxOutputTokens: 4000 });
    const sync = await rejection(provider.complete(request));
    const batch = [{ customId: 'both', request }];
    expect(() => provider.batch.size(batch[0]!)).toThrow(sync.message);
    expect(await rejection(provider.batch.submit(batch))).toMatchObject({ kind: 'bad_request', message: sync.message });
    expect(s.requests).toHaveLength(0);
  });
});
