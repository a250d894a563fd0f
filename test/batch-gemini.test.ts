// Gemini Batch Mode (src/providers/batch/gemini-batch.ts) through the real @google/genai SDK against
// the fake Gemini server's batch routes (test/servers/gemini-batch.ts): job states over time, results
// matched by metadata.key, each result and each request the synchronous path's own, per-request
// errors, expiry, cancellation, a job failed as a whole, limits and sizes.

import { describe, expect, it } from 'vitest';
import type { BatchItemResult, BatchJobStatus, BatchRequest } from '../src/providers/batch.js';
import { GEMINI_BATCH_LIMITS, type GeminiBatchEngine } from '../src/providers/batch/gemini-batch.js';
import { GoogleProvider } from '../src/providers/google.js';
import { ProviderError, type CompletionRequest, type CompletionResult } from '../src/providers/provider.js';
import { VertexProvider } from '../src/providers/vertex.js';
import { flavour, rejection, resolveAt, routesPrompt, SENTINEL, trackServers } from './providers-helpers.js';
import { ManualClock, type BatchOptions } from './servers/batch-core.js';
import { geminiRateLimitBody, startGeminiServer, type FakeServer, type RecordedRequest, type Reply } from './servers/index.js';

const track = trackServers();
const f = flavour('google');
const SYNC_PATH = '/v1beta/models/gemini-2.5-flash:generateContent';

function provider(s: FakeServer): GoogleProvider {
  return new GoogleProvider({ id: f.id, model: f.model, apiKey: SENTINEL, baseUrl: s.url, timeoutMs: 5_000 });
}

function engineOf(p: GoogleProvider): GeminiBatchEngine {
  expect(p.batch).toBeDefined();
  return p.batch!;
}

/** A server with batch routes, answering every request by its question (scriptBy). */
async function start(batch: BatchOptions = {}): Promise<FakeServer> {
  const s = await track(startGeminiServer({ batch }));
  scriptBy(s, {});
  return s;
}

/** A request whose last user turn is `question` (the script answers by it). */
function ask(question: string, extra: Partial<CompletionRequest> = {}): CompletionRequest {
  const { messages } = routesPrompt(1);
  return { messages: [...messages.slice(0, -1), { role: 'user', content: question }], ...extra };
}

/** The last user turn of a generateContent body. */
function questionOf(req: RecordedRequest): string {
  const contents = req.body.contents as { role: string; parts: { text: string }[] }[];
  return contents
    .at(-1)!
    .parts.map((p) => p.text)
    .join('');
}

/** Answers each request by its question, the same for the synchronous route and batch jobs. */
function scriptBy(s: FakeServer, replies: Record<string, Reply>): void {
  s.script((req) => replies[questionOf(req)] ?? { kind: 'text', text: `answer: ${questionOf(req)}` });
}

/** Polls until the job is terminal, returning every status seen; `tick` moves time between polls. */
async function untilDone(engine: GeminiBatchEngine, id: string, tick: () => unknown = () => new Promise((r) => setTimeout(r, 5))): Promise<BatchJobStatus[]> {
  const seen: BatchJobStatus[] = [];
  for (let i = 0; i < 400; i++) {
    const status = await engine.status(id);
    seen.push(status);
    if (['ended', 'failed', 'expired', 'cancelled'].includes(status.state)) return seen;
    await tick();
  }
  throw new Error(`job ${id} never finished`);
}

function byId(items: BatchItemResult[]): Map<string, BatchItemResult> {
  return new Map(items.map((i) => [i.customId, i]));
}

function resultOf(item: BatchItemResult | undefined): CompletionResult {
  if (!item || !('result' in item)) throw new Error(`expected a result, got ${item && 'error' in item ? item.error.message : 'nothing'}`);
  return item.result;
}

function errorOf(item: BatchItemResult | undefined): ProviderError {
  if (!item || !('error' in item)) throw new Error('expected an error');
  expect(item.error).toBeInstanceOf(ProviderError);
  return item.error;
}

function withoutTiming(r: CompletionResult): Omit<CompletionResult, 'latencyMs' | 'requestId'> {
  const { latencyMs: _latency, requestId: _id, ...rest } = r;
  return rest;
}

/** The generateContent bodies the synchronous path sent, in order. */
function syncBodies(s: FakeServer): unknown[] {
  return s.requests.filter((r) => r.path === SYNC_PATH).map((r) => r.body);
}

function createCall(s: FakeServer): RecordedRequest {
  const create = s.requests.find((r) => r.path.endsWith(':batchGenerateContent'));
  expect(create).toBeDefined();
  return create!;
}

describe('gemini batch: a job over time', () => {
  it('validating -> running -> ended as the SDK names the states; counts; results by customId', async () => {
    const clock = new ManualClock();
    const s = await start({ validatingMs: 60, runningMs: 60, clock: clock.now });
    const engine = engineOf(provider(s));
    const requests: BatchRequest[] = ['a', 'b', 'c', 'd'].map((q, i) => ({ customId: `item-${i}`, request: ask(`question ${q}`) }));

    const submitted = await engine.submit(requests);
    expect(submitted.id).toMatch(/^batches\/[a-z0-9]+$/);
    expect(submitted).toMatchObject({ state: 'validating', providerState: 'JOB_STATE_PENDING', counts: { total: 4, succeeded: 0, failed: 0 } });
    expect(createCall(s).path).toBe('/v1beta/models/gemini-2.5-flash:batchGenerateContent');
    expect(createCall(s).headers['x-goog-api-key']).toBe(SENTINEL);

    const seen = await untilDone(engine, submitted.id, () => clock.advance(20));
    const states = [...new Set(seen.map((x) => `${x.state}/${x.providerState}`))];
    expect(states).toEqual(['validating/JOB_STATE_PENDING', 'running/JOB_STATE_RUNNING', 'ended/JOB_STATE_SUCCEEDED']);
    expect(seen[0]!.counts).toEqual({ total: 4, succeeded: 0, failed: 0 });
    expect(seen.at(-1)!.counts).toEqual({ total: 4, succeeded: 4, failed: 0 });
    expect(seen.every((x) => x.message === undefined)).toBe(true);

    const results = await engine.results(submitted.id);
    expect(results.map((r) => r.customId)).toEqual(requests.map((r) => r.customId)); // the API's documented order
    for (const [i, q] of ['a', 'b', 'c', 'd'].entries()) {
      expect(resultOf(byId(results).get(`item-${i}`))).toMatchObject({ text: `answer: question ${q}`, finishReason: 'stop', latencyMs: 0 });
    }
    // Each request was asked of the script once, though results were read and statuses polled many times.
    expect(s.batchAnswered).toHaveLength(4);
  });

  it('responses out of order (python-genai#1909) still land under their own customId, by metadata.key', async () => {
    const s = await start({ order: 'shuffled', runningMs: 0 });
    const engine = engineOf(provider(s));
    const requests: BatchRequest[] = Array.from({ length: 8 }, (_, i) => ({ customId: `c${i}`, request: ask(`q${i}`) }));
    const { id } = await engine.submit(requests);
    await untilDone(engine, id);

    const results = await engine.results(id);
    expect(results.map((r) => r.customId)).not.toEqual(requests.map((r) => r.customId));
    expect(results.map((r) => r.customId).sort()).toEqual(requests.map((r) => r.customId).sort());
    for (let i = 0; i < 8; i++) expect(resultOf(byId(results).get(`c${i}`)).text).toBe(`answer: q${i}`);
  });

  it('a job submitted by another process: matched by key; its unanswered requests known only once adopted', async () => {
    const s = await start({ runningMs: 0, expire: (_job, i) => i === 1 });
    const requests: BatchRequest[] = ['x', 'y', 'z'].map((q) => ({ customId: `id-${q}`, request: ask(q) }));
    const { id } = await engineOf(provider(s)).submit(requests);

    const later = engineOf(provider(s));
    await untilDone(later, id);
    expect((await later.results(id)).map((r) => r.customId)).toEqual(['id-x', 'id-z']);
    later.adopt(id, requests);
    const adopted = byId(await later.results(id));
    expect(errorOf(adopted.get('id-y')).kind).toBe('expired');
    expect(resultOf(adopted.get('id-x')).text).toBe('answer: x');
  });
});

describe('gemini batch: the same requests and answers as complete()', () => {
  const replies: Record<string, Reply> = {
    plain: { kind: 'text', text: 'ROUTE: Depot -> Store C', tokensIn: 900, tokensOut: 11, cachedTokens: 512, requestId: 'resp-plain' },
    truncated: { kind: 'text', text: 'ROUTE: Depot ->', finish: 'length', tokensIn: 300, tokensOut: 4 },
    thinking: {
      kind: 'text',
      text: 'COST: 42',
      thinking: 'Let me add the legs up.',
      reasoningTokens: 37,
      tokensIn: 120,
      tokensOut: 3,
      model: 'gemini-2.5-flash-001',
    },
    exhausted: { kind: 'text', text: '', finish: 'length', reasoningTokens: 64, tokensOut: 0 },
  };
  const requests: BatchRequest[] = [
    { customId: 'plain', request: ask('plain', { temperature: 0.2, maxOutputTokens: 500 }) },
    { customId: 'truncated', request: ask('truncated', { maxOutputTokens: 4, systemPrompt: 'Answer tersely.' }) },
    { customId: 'thinking', request: ask('thinking', { reasoning: { effort: 'low' }, topP: 0.9, stop: ['END'], seed: 7 }) },
    {
      customId: 'exhausted',
      request: ask('exhausted', {
        reasoning: { budgetTokens: 64 },
        responseFormat: { type: 'schema', name: 'cost', schema: { type: 'object', properties: { cost: { type: 'number' } } } },
      }),
    },
  ];

  it('every field of each result but latency and request id; every request body; size() is the entry as uploaded', async () => {
    const s = await start({ runningMs: 0 });
    const p = provider(s);
    scriptBy(s, replies);
    const sync = await Promise.all(requests.map((r) => p.complete(r.request)));

    const engine = engineOf(p);
    const { id } = await engine.submit(requests);
    await untilDone(engine, id);
    const results = byId(await engine.results(id));

    for (const [i, r] of requests.entries()) {
      const batch = resultOf(results.get(r.customId));
      expect(withoutTiming(batch), r.customId).toEqual(withoutTiming(sync[i]!));
      expect(batch.latencyMs).toBe(0);
    }
    expect(resultOf(results.get('plain')).requestId).toBe('resp-plain');
    expect(resultOf(results.get('plain'))).toMatchObject({ cachedTokens: 512, tokensIn: 900, tokensOut: 11 });
    expect(resultOf(results.get('truncated')).finishReason).toBe('length');
    expect(resultOf(results.get('thinking'))).toMatchObject({
      text: 'COST: 42',
      reasoningTokens: 37,
      tokensOut: 40,
      snapshot: { model: 'gemini-2.5-flash-001' },
    });
    expect(resultOf(results.get('exhausted'))).toMatchObject({ text: '', finishReason: 'length', reasoningTokens: 64 });

    // The body each batch request was answered from is the body complete() sent.
    expect(s.batchAnswered.map((r) => r.path)).toEqual(requests.map(() => SYNC_PATH));
    expect(s.batchAnswered.map((r) => r.body)).toEqual(syncBodies(s));

    // The create call: displayName, each entry {request, metadata: {key}}, no model in the request.
    const batch = createCall(s).body.batch;
    expect(typeof batch.displayName).toBe('string');
    const entries = batch.inputConfig.requests.requests as { request: unknown; metadata: unknown }[];
    expect(entries.map((e) => e.metadata)).toEqual(requests.map((r) => ({ key: r.customId })));
    expect(entries.map((e) => e.request)).toEqual(syncBodies(s));
    for (const [i, r] of requests.entries()) expect(engine.size(r), r.customId).toBe(Buffer.byteLength(JSON.stringify(entries[i])));
  });

  it('limits: 20 MB of inlined requests, 50,000 requests (an assumption); size() of a small request, exactly', () => {
    const engine = engineOf(new GoogleProvider({ id: f.id, model: f.model, apiKey: SENTINEL, timeoutMs: 1_000 }));
    expect(engine.limits).toEqual({ maxRequests: 50_000, maxBytes: 20 * 1024 * 1024 });
    expect(GEMINI_BATCH_LIMITS).toBe(engine.limits);
    const tiny: BatchRequest = { customId: 'a', request: { messages: [{ role: 'user', content: 'hi' }] } };
    expect(engine.size(tiny)).toBe('{"request":{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{}},"metadata":{"key":"a"}}'.length);
    const withSystem: BatchRequest = {
      customId: 'é',
      request: {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hi' },
        ],
      },
    };
    const system = '"systemInstruction":{"role":"user","parts":[{"text":"Be brief."}]},';
    expect(engine.size(withSystem)).toBe(engine.size(tiny) + system.length + 1); // 'é' is two bytes
  });
});

describe('gemini batch: partial failures', () => {
  it('scripted error statuses become typed errors for those requests only; a refusal and a blocked prompt are refused', async () => {
    const s = await start({ runningMs: 0 });
    const p = provider(s);
    scriptBy(s, {
      'q-400': { kind: 'status', status: 400 },
      'q-500': { kind: 'status', status: 500 },
      'q-429': { kind: 'status', status: 429, body: geminiRateLimitBody(7) },
      // A google.rpc.Status with a gRPC code (8 = RESOURCE_EXHAUSTED), as the batch output may carry.
      'q-grpc': { kind: 'status', status: 429, body: { error: { code: 8, message: 'Resource has been exhausted (e.g. check quota).' } } },
      'q-refused': { kind: 'text', text: '', finish: 'refused' },
      'q-blocked': { kind: 'raw', body: JSON.stringify({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } }) },
      'q-empty': { kind: 'raw', body: '{}' },
      'q-hang': { kind: 'hang' },
    });
    const questions = ['q-ok', 'q-400', 'q-500', 'q-429', 'q-grpc', 'q-refused', 'q-blocked', 'q-empty', 'q-hang'];
    const engine = engineOf(p);
    const { id } = await engine.submit(questions.map((q) => ({ customId: q, request: ask(q) })));
    const done = (await untilDone(engine, id)).at(-1)!;
    expect(done).toMatchObject({ state: 'ended', counts: { total: 9, succeeded: 4, failed: 5 } });

    const results = byId(await engine.results(id));
    expect(results.size).toBe(9);
    expect(resultOf(results.get('q-ok')).text).toBe('answer: q-ok');
    expect(errorOf(results.get('q-400'))).toMatchObject({ kind: 'bad_request', status: 400, billing: 'none' });
    expect(errorOf(results.get('q-500'))).toMatchObject({ kind: 'server', status: 500, billing: 'none' });
    expect(errorOf(results.get('q-429'))).toMatchObject({ kind: 'rate_limit', status: 429 });
    expect(errorOf(results.get('q-grpc'))).toMatchObject({ kind: 'rate_limit', status: 429 });
    expect(errorOf(results.get('q-hang'))).toMatchObject({ kind: 'server', status: 500 });
    for (const id of ['q-400', 'q-500', 'q-429', 'q-grpc']) expect(errorOf(results.get(id)).message).toMatch(/^google:gemini-2\.5-flash: /);

    // The refusals and the malformed body are the very errors complete() throws for the same answers.
    for (const q of ['q-refused', 'q-blocked', 'q-empty']) {
      const sync = await rejection(p.complete(ask(q)));
      const batch = errorOf(results.get(q));
      expect({ kind: batch.kind, message: batch.message, status: batch.status }, q).toEqual({ kind: sync.kind, message: sync.message, status: sync.status });
    }
    expect(errorOf(results.get('q-refused')).kind).toBe('refused');
    expect(errorOf(results.get('q-blocked')).kind).toBe('refused');
    expect(errorOf(results.get('q-empty')).kind).toBe('malformed');
  });
});

describe('gemini batch: expiry, cancellation, failure', () => {
  it('expired: the job expired, its unrun requests expired (billed nothing), the others answered', async () => {
    const s = await start({ runningMs: 20, expire: (_job, i) => i === 1 || i === 3 });
    const engine = engineOf(provider(s));
    const { id } = await engine.submit(['a', 'b', 'c', 'd'].map((q) => ({ customId: q, request: ask(q) })));
    const done = (await untilDone(engine, id)).at(-1)!;
    expect(done).toMatchObject({ state: 'expired', providerState: 'JOB_STATE_EXPIRED', counts: { total: 4, succeeded: 2 } });

    const results = byId(await engine.results(id));
    expect(results.size).toBe(4);
    for (const q of ['b', 'd'])
      expect(errorOf(results.get(q))).toMatchObject({
        kind: 'expired',
        billing: 'none',
        message: 'google:gemini-2.5-flash: batch request expired before it ran',
      });
    for (const q of ['a', 'c']) expect(resultOf(results.get(q)).text).toBe(`answer: ${q}`);
    expect(s.batchAnswered.map(questionOf)).toEqual(['a', 'c']);
  });

  it('cancelled: the API names no cancelling state, so the job reads cancelled at once; every request cancelled', async () => {
    const clock = new ManualClock();
    const s = await start({ validatingMs: 5_000, clock: clock.now });
    const engine = engineOf(provider(s));
    const { id } = await engine.submit(['a', 'b'].map((q) => ({ customId: q, request: ask(q) })));
    expect((await engine.status(id)).state).toBe('validating');

    const cancelled = await engine.cancel(id);
    expect(s.requests.some((r) => r.method === 'POST' && r.path === `/v1beta/${id}:cancel`)).toBe(true);
    expect(s.batch!.phase(s.batch!.get(id)!)).toBe('cancelling'); // the fake's phase: still cancelling
    expect(cancelled).toMatchObject({ state: 'cancelled', providerState: 'JOB_STATE_CANCELLED' });
    expect((await untilDone(engine, id, () => clock.advance(10))).at(-1)!.state).toBe('cancelled');

    const results = byId(await engine.results(id));
    for (const q of ['a', 'b']) expect(errorOf(results.get(q))).toMatchObject({ kind: 'cancelled', billing: 'none' });
    expect(s.batchAnswered).toHaveLength(0);
  });

  it('failed as a whole: state failed with the API message, no results', async () => {
    const s = await start({ fail: (job) => (job === 0 ? 'Batch refused: the model does not support batch mode.' : null) });
    const engine = engineOf(provider(s));
    const { id } = await engine.submit([{ customId: 'a', request: ask('a') }]);
    const status = await engine.status(id);
    expect(status).toMatchObject({ state: 'failed', providerState: 'JOB_STATE_FAILED', message: 'Batch refused: the model does not support batch mode.' });
    expect(await engine.results(id)).toEqual([]);
  });
});

describe('gemini batch: job calls and where the engine exists', () => {
  it("the job calls' own errors are typed; results before the end are refused; a bad job name sends nothing", async () => {
    const s = await start({ validatingMs: 5_000 });
    const engine = engineOf(provider(s));
    expect(await rejection(engine.status('batches/nosuchjob'))).toMatchObject({ kind: 'bad_request', status: 404 });
    const { id } = await engine.submit([{ customId: 'a', request: ask('a') }]);
    expect(await rejection(engine.results(id))).toMatchObject({ kind: 'other', message: expect.stringContaining('JOB_STATE_PENDING') });
    const before = s.requests.length;
    expect(await rejection(engine.status('batches/../models/x'))).toMatchObject({ kind: 'bad_request' });
    expect(s.requests.length).toBe(before);

    const down = engineOf(provider({ ...s, url: 'http://127.0.0.1:1' }));
    expect(await rejection(down.submit([{ customId: 'a', request: ask('a') }]))).toMatchObject({ kind: 'server', billing: 'none' });
  });

  it('the registry-built provider exposes it; Vertex AI has none; without the batch option the server has no batch routes', async () => {
    const s = await start();
    expect(resolveAt(f, s).batch).toBeDefined();
    const vertex = new VertexProvider({
      id: 'vertex:gemini-2.5-flash',
      model: 'gemini-2.5-flash',
      apiKey: '',
      timeoutMs: 1_000,
      vertex: { project: 'p', location: 'us-central1' },
    });
    expect(vertex.batch).toBeUndefined();

    const plain = await track(startGeminiServer());
    expect(plain.batch).toBeUndefined();
    expect(await rejection(engineOf(provider(plain)).submit([{ customId: 'a', request: ask('a') }]))).toMatchObject({ kind: 'bad_request', status: 404 });
  });
});
