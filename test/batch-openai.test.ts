// OpenAI's Batch API engine (src/providers/batch/openai-batch.ts) through the real openai SDK against
// the fake server's files and batches routes (test/servers/openai-batch.ts): a job's states over time,
// results mapped back by custom_id, each result the synchronous answer of the same request, per-item
// failures typed as the synchronous ones are, expiry, cancellation, a job refused as a whole.

import { describe, expect, it } from 'vitest';
import type { BatchEngine, BatchItemResult, BatchJobState, BatchJobStatus, BatchRequest } from '../src/providers/batch.js';
import { BATCH_TERMINAL_STATES } from '../src/providers/batch.js';
import { OPENAI_BATCH_LIMITS, openAIBatchLine } from '../src/providers/batch/openai-batch.js';
import type { OpenAIProvider } from '../src/providers/openai.js';
import { ProviderError, type CompletionRequest, type CompletionResult } from '../src/providers/provider.js';
import { resolveProvider } from '../src/providers/registry.js';
import { flavour, rejection, resolveAt, routesPrompt, SENTINEL, trackServers } from './providers-helpers.js';
import { ManualClock, type BatchOptions } from './servers/batch-core.js';
import { startFakeServer, type FakeServer, type RecordedRequest, type Reply } from './servers/core.js';
import { openAIContextLengthBody, openAIDialect, startOpenAIServer } from './servers/openai.js';
import { OpenAIBatchExtension } from './servers/openai-batch.js';

const track = trackServers();
const openai = flavour('openai');

/** A fast job: a few status polls see each phase. */
const PHASES: BatchOptions = { validatingMs: 60, runningMs: 60, finalizingMs: 60 };

async function startBatchServer(options: BatchOptions = {}): Promise<FakeServer> {
  return track(startOpenAIServer({ batch: options }));
}

function adapterAt(s: FakeServer): OpenAIProvider {
  return openai.adapter(s) as OpenAIProvider;
}

function engineOf(s: FakeServer): BatchEngine {
  const engine = adapterAt(s).batch;
  if (!engine) throw new Error('OpenAIProvider has no batch engine');
  return engine;
}

/** A request whose last user turn ends with `marker`, so the script (and a reader) can tell it apart. */
function request(marker: string, extra: Partial<CompletionRequest> = {}): CompletionRequest {
  const messages = routesPrompt(1).messages.map((m, i, all) => (i === all.length - 1 ? { ...m, content: `${m.content}\n[${marker}]` } : m));
  return { messages, ...extra };
}

function markerOf(req: RecordedRequest): string {
  const last = req.body.messages.at(-1).content as string;
  return /\[([^\]]+)\]$/.exec(last)?.[1] ?? '';
}

/** Scripts replies by marker; anything else answers "answer to <marker>". */
function scriptByMarker(s: FakeServer, replies: Record<string, Reply>): void {
  s.script((req) => replies[markerOf(req)] ?? { kind: 'text', text: `answer to ${markerOf(req)}` });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until the job is terminal; the distinct states seen, in order. */
/** Polls until the job is terminal, returning the states seen; `tick` moves time between polls. */
async function waitForEnd(
  engine: BatchEngine,
  first: BatchJobStatus,
  tick: () => unknown = () => sleep(5),
): Promise<{ states: BatchJobState[]; last: BatchJobStatus }> {
  const states: BatchJobState[] = [first.state];
  let last = first;
  for (let i = 0; i < 400 && !BATCH_TERMINAL_STATES.has(last.state); i++) {
    await tick();
    last = await engine.status(first.id);
    if (states.at(-1) !== last.state) states.push(last.state);
  }
  return { states, last };
}

async function runJob(
  engine: BatchEngine,
  requests: readonly BatchRequest[],
): Promise<{ status: BatchJobStatus; byId: Map<string, BatchItemResult>; order: string[] }> {
  const { last } = await waitForEnd(engine, await engine.submit(requests));
  const results = await engine.results(last.id);
  return { status: last, byId: new Map(results.map((r) => [r.customId, r])), order: results.map((r) => r.customId) };
}

function resultOf(item: BatchItemResult | undefined): CompletionResult {
  if (!item || !('result' in item)) throw new Error(`expected a result, got ${JSON.stringify(item)}`);
  return item.result;
}

function errorOf(item: BatchItemResult | undefined): ProviderError {
  if (!item || !('error' in item)) throw new Error(`expected an error, got ${JSON.stringify(item)}`);
  return item.error;
}

function withoutCallFields({ latencyMs: _latency, requestId: _id, ...rest }: CompletionResult) {
  return rest;
}

/** The synchronous answers of the requests (or the errors), and the bodies sent. */
async function syncAnswers(s: FakeServer, provider: OpenAIProvider, requests: readonly BatchRequest[]) {
  const answers = new Map<string, CompletionResult | ProviderError>();
  const bodies = new Map<string, unknown>();
  for (const { customId, request: r } of requests) {
    const sent = s.requests.length;
    answers.set(
      customId,
      await provider.complete(r).catch((e: unknown) => {
        if (e instanceof ProviderError) return e;
        throw e;
      }),
    );
    bodies.set(customId, s.requests[sent]!.body);
  }
  return { answers, bodies };
}

describe('openai batch: a job', () => {
  it('is uploaded as JSONL, moves validating -> running -> finalizing -> ended, and maps shuffled results back by custom_id', async () => {
    const clock = new ManualClock();
    const s = await startBatchServer({ ...PHASES, clock: clock.now });
    scriptByMarker(s, {});
    const engine = engineOf(s);
    const requests = Array.from({ length: 10 }, (_, i) => ({ customId: `trial-${i}`, request: request(`item ${i}`) }));

    const submitted = await engine.submit(requests);
    expect(submitted).toMatchObject({ state: 'validating', providerState: 'validating', counts: { total: 10, succeeded: 0, failed: 0 } });
    expect(submitted.id).toMatch(/^batch_/);
    const { states, last } = await waitForEnd(engine, submitted, () => clock.advance(20));
    expect(states).toEqual(['validating', 'running', 'finalizing', 'ended']);
    expect(last).toMatchObject({ providerState: 'completed', counts: { total: 10, succeeded: 10, failed: 0 } });

    const results = await engine.results(last.id);
    const order = results.map((r) => r.customId);
    expect([...order].sort()).toEqual(requests.map((r) => r.customId).sort());
    expect(order).not.toEqual(requests.map((r) => r.customId));
    for (const item of results) expect(resultOf(item).text).toBe(`answer to item ${item.customId.slice('trial-'.length)}`);

    // The wire: a multipart upload with purpose batch, then the batch, polls, and the output file.
    const calls = s.requests.map((r) => `${r.method} ${r.path.replace(/(batch_|file-)[A-Za-z0-9]+/g, '$1*')}`);
    expect(calls.slice(0, 2)).toEqual(['POST /v1/files', 'POST /v1/batches']);
    expect(calls).toContain('GET /v1/batches/batch_*');
    expect(calls.at(-1)).toBe('GET /v1/files/file-*/content');
    const upload = s.requests[0]!;
    expect(String(upload.headers['content-type'])).toMatch(/^multipart\/form-data; boundary=/);
    expect(upload.body).toContain('filename="fewshot-batch.jsonl"');
    expect(upload.body).toMatch(/name="purpose"\r\n\r\nbatch\r\n/);
    expect(s.requests[1]!.body).toEqual({ input_file_id: expect.stringMatching(/^file-/), endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect(s.requests.every((r) => r.headers.authorization === `Bearer ${SENTINEL}`)).toBe(true);
    expect(s.requests.some((r) => r.path.includes('chat/completions'))).toBe(false);
  });

  it('reads every result as complete() reads the same answer, from the same body complete() sends', async () => {
    const s = await startBatchServer({ order: 'shuffled' });
    const noUsage = JSON.stringify({
      id: 'chatcmpl-x',
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      choices: [{ index: 0, message: { role: 'assistant', content: 'no usage here' }, finish_reason: 'stop' }],
    });
    scriptByMarker(s, {
      plain: { kind: 'text', text: 'ROUTE: Depot -> Store A', tokensIn: 900, tokensOut: 12, requestId: 'req_plain' },
      truncated: { kind: 'text', text: 'ROUTE: Depot ->', finish: 'length', tokensOut: 50 },
      cached: { kind: 'text', text: 'cached answer', tokensIn: 1500, cachedTokens: 1024, model: 'gpt-4o-mini-2024-07-18', fingerprint: 'fp_abc123' },
      reasoning: { kind: 'text', text: '{"route":[]}', reasoningTokens: 64, tokensOut: 80, model: 'gpt-5-2025-08-07' },
      'no usage': { kind: 'raw', body: noUsage },
    });
    const provider = adapterAt(s);
    const requests: BatchRequest[] = [
      { customId: 'plain', request: request('plain', { temperature: 0, maxOutputTokens: 400 }) },
      { customId: 'truncated', request: request('truncated', { maxOutputTokens: 50, stop: ['END'] }) },
      { customId: 'cached', request: request('cached', { systemPrompt: 'Answer tersely.', seed: 7, topP: 0.9 }) },
      {
        customId: 'reasoning',
        request: request('reasoning', { reasoning: { effort: 'low' }, responseFormat: { type: 'schema', name: 'answer', schema: { type: 'object' } } }),
      },
      { customId: 'no-usage', request: request('no usage') },
    ];
    const sync = await syncAnswers(s, provider, requests);
    const { byId } = await runJob(provider.batch!, requests);

    for (const { customId } of requests) {
      const expected = sync.answers.get(customId) as CompletionResult;
      const got = resultOf(byId.get(customId));
      expect(withoutCallFields(got), customId).toEqual(withoutCallFields(expected));
      expect(got.latencyMs).toBe(0);
    }
    expect(resultOf(byId.get('plain')).requestId).toBe('req_plain');
    expect(resultOf(byId.get('truncated')).finishReason).toBe('length');
    expect(resultOf(byId.get('cached'))).toMatchObject({ cachedTokens: 1024, snapshot: { model: 'gpt-4o-mini-2024-07-18', fingerprint: 'fp_abc123' } });
    expect(resultOf(byId.get('reasoning')).reasoningTokens).toBe(64);
    // No usage: the prompt tokens are estimated from the prompt, read back from the job's input file.
    expect(resultOf(byId.get('no-usage')).tokensIn).toBe((sync.answers.get('no-usage') as CompletionResult).tokensIn);
    expect(s.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/content'))).toHaveLength(2); // output, then input

    // The job's requests, as the server answered them, are the bodies complete() sent.
    expect(s.batchAnswered.map((r) => r.path)).toEqual(requests.map(() => '/v1/chat/completions'));
    requests.forEach(({ customId }, i) => expect(s.batchAnswered[i]!.body, customId).toEqual(sync.bodies.get(customId)));
  });

  it('types each failed request as the synchronous call would fail, the others answered', async () => {
    const s = await startBatchServer();
    scriptByMarker(s, {
      invalid: { kind: 'status', status: 400 },
      'server error': { kind: 'status', status: 500 },
      'rate limited': { kind: 'status', status: 429 },
      'too long': { kind: 'status', status: 400, body: openAIContextLengthBody() },
      refused: { kind: 'text', text: '', finish: 'refused' },
      malformed: { kind: 'raw', body: '{}' },
      dropped: { kind: 'drop' },
    });
    const provider = adapterAt(s);
    const markers = ['ok', 'invalid', 'server error', 'rate limited', 'too long', 'refused', 'malformed'];
    const requests = markers.map((m) => ({ customId: m.replace(/ /g, '-'), request: request(m) }));
    const sync = await syncAnswers(s, provider, requests);
    const dropped = { customId: 'dropped', request: request('dropped') };
    const { status, byId } = await runJob(provider.batch!, [...requests, dropped]);

    expect(resultOf(byId.get('ok')).text).toBe('answer to ok');
    const kinds = Object.fromEntries([...byId].filter(([, item]) => 'error' in item).map(([id, item]) => [id, errorOf(item).kind]));
    expect(kinds).toEqual({
      invalid: 'bad_request',
      'server-error': 'server',
      'rate-limited': 'rate_limit',
      'too-long': 'context_length',
      refused: 'refused',
      malformed: 'malformed',
      dropped: 'expired',
    });
    for (const { customId } of requests.slice(1)) {
      const expected = sync.answers.get(customId) as ProviderError;
      const got = errorOf(byId.get(customId));
      expect({ kind: got.kind, status: got.status, message: got.message, billing: got.billing }, customId).toEqual({
        kind: expected.kind,
        status: expected.status,
        message: expected.message,
        billing: expected.billing,
      });
    }
    // The API counts a 200 as completed, refused or malformed bodies included.
    expect(status).toMatchObject({ state: 'ended', counts: { total: 8, succeeded: 3, failed: 5 } });
  });
});

describe('openai batch: unfinished jobs', () => {
  it('an expired job: its unrun requests expired (not billed), the others answered', async () => {
    const s = await startBatchServer({ expire: (_job, i) => i % 2 === 1 });
    scriptByMarker(s, {});
    const engine = engineOf(s);
    const requests = Array.from({ length: 6 }, (_, i) => ({ customId: `r${i}`, request: request(`r${i}`) }));
    const { status, byId } = await runJob(engine, requests);

    expect(status).toMatchObject({ state: 'expired', providerState: 'expired', counts: { total: 6, succeeded: 3, failed: 3 } });
    expect(byId.size).toBe(6);
    for (const [i, { customId }] of requests.entries()) {
      if (i % 2 === 0) expect(resultOf(byId.get(customId)).text).toBe(`answer to r${i}`);
      else {
        const error = errorOf(byId.get(customId));
        expect({ kind: error.kind, billing: error.billing, message: error.message }).toEqual({
          kind: 'expired',
          billing: 'none',
          message: 'openai:gpt-4o-mini: batch request expired before it ran',
        });
      }
    }
    expect(s.batchAnswered).toHaveLength(3);
  });

  it('a cancelled job: cancelling, then cancelled, its requests cancelled', async () => {
    const clock = new ManualClock();
    const s = await startBatchServer({ runningMs: 5_000, clock: clock.now });
    const engine = engineOf(s);
    const requests = ['a', 'b', 'c'].map((id) => ({ customId: id, request: request(id) }));
    const submitted = await engine.submit(requests);

    const cancelling = await engine.cancel(submitted.id);
    expect(cancelling).toMatchObject({ id: submitted.id, state: 'cancelling', providerState: 'cancelling' });
    expect(s.requests.at(-1)).toMatchObject({ method: 'POST', path: `/v1/batches/${submitted.id}/cancel` });
    const { states, last } = await waitForEnd(engine, cancelling, () => clock.advance(10));
    expect(states).toEqual(['cancelling', 'cancelled']);

    const results = await engine.results(last.id);
    expect(results.map((r) => r.customId).sort()).toEqual(['a', 'b', 'c']);
    for (const item of results)
      expect(errorOf(item)).toMatchObject({ kind: 'cancelled', billing: 'none', message: 'openai:gpt-4o-mini: batch request was cancelled before it ran' });
    expect(s.batchAnswered).toHaveLength(0);
  });

  it('a job refused as a whole: failed, with the reason, and no results', async () => {
    const s = await startBatchServer({ fail: () => "Model 'gpt-4o-mini' is not available for batch." });
    const engine = engineOf(s);
    const submitted = await engine.submit([{ customId: 'only', request: request('only') }]);
    expect(submitted).toMatchObject({ state: 'failed', providerState: 'failed', message: "invalid_request: Model 'gpt-4o-mini' is not available for batch." });
    expect(await engine.status(submitted.id)).toEqual(submitted);
    expect(await engine.results(submitted.id)).toEqual([]);
  });

  it('a request the result files leave out comes back expired', async () => {
    const extension = new OpenAIBatchExtension({});
    extension.omit = (customId) => customId === 'lost';
    const s = await track(startFakeServer(openAIDialect, [extension]));
    const engine = engineOf(s);
    const { byId } = await runJob(
      engine,
      ['kept', 'lost'].map((id) => ({ customId: id, request: request(id) })),
    );
    expect(resultOf(byId.get('kept')).text).toBe('ok');
    expect(errorOf(byId.get('lost')).kind).toBe('expired');
  });
});

describe('openai batch: the engine', () => {
  it("states OpenAI's limits, and a request's size is its JSONL line as uploaded", async () => {
    const s = await startBatchServer();
    const provider = adapterAt(s);
    const engine = provider.batch!;
    expect(engine.limits).toEqual({ maxRequests: 50_000, maxBytes: 200 * 1024 * 1024 });
    expect(OPENAI_BATCH_LIMITS).toEqual(engine.limits);

    const requests = [
      { customId: 'short', request: { messages: [{ role: 'user' as const, content: 'hi' }] } },
      { customId: 'long-é', request: request('ünïcode', { maxOutputTokens: 10 }) },
    ];
    const lines = requests.map((r) => openAIBatchLine(r.customId, provider.chatBody(r.request)));
    expect(lines[0]).toBe(
      '{"custom_id":"short","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}}\n',
    );
    requests.forEach((r, i) => expect(engine.size(r)).toBe(Buffer.byteLength(lines[i]!)));
    expect(engine.size(requests[1]!)).toBeGreaterThan(lines[1]!.length); // bytes, not characters

    await engine.submit(requests);
    const jsonl = lines.join('');
    expect(s.requests[0]!.body).toContain(`\r\n\r\n${jsonl}\r\n`);
    expect(requests.reduce((n, r) => n + engine.size(r), 0)).toBe(Buffer.byteLength(jsonl));
  });

  it('refuses an empty job, duplicate custom ids and too many requests before uploading anything', async () => {
    const s = await startBatchServer();
    const engine = engineOf(s);
    const one = (customId: string) => ({ customId, request: request(customId) });
    expect((await rejection(engine.submit([]))).kind).toBe('bad_request');
    expect((await rejection(engine.submit([one('a'), one('a')]))).kind).toBe('bad_request');
    const x = one('x');
    const tooMany = Array.from({ length: OPENAI_BATCH_LIMITS.maxRequests + 1 }, () => x);
    expect((await rejection(engine.submit(tooMany))).message).toMatch(/at most 50000 requests/);
    expect(s.requests).toHaveLength(0);
  });

  it("types the job calls' errors, and refuses the results of a job still running", async () => {
    const clock = new ManualClock();
    const s = await startBatchServer({ runningMs: 100, clock: clock.now });
    const engine = engineOf(s);
    expect(await rejection(engine.status('batch_unknown'))).toMatchObject({ kind: 'bad_request', status: 404 });
    const submitted = await engine.submit([{ customId: 'a', request: request('a') }]);
    expect((await rejection(engine.results(submitted.id))).message).toMatch(/is in_progress, its results are not ready/);
    await waitForEnd(engine, submitted, () => clock.advance(50));
    // An ended job cannot be cancelled: OpenAI answers 400.
    expect(await rejection(engine.cancel(submitted.id))).toMatchObject({ kind: 'bad_request', status: 400 });
  });

  it("is offered on OpenAI's own API only: not by compatible servers, not by Azure", async () => {
    const s = await startBatchServer();
    expect(resolveAt(openai, s).batch).toBeDefined();
    expect(flavour('openai-compatible').adapter(s).batch).toBeUndefined();
    expect(resolveAt(flavour('openai-compatible'), s).batch).toBeUndefined();
    const azure = resolveProvider(
      { id: 'azure-openai:my-deployment' },
      null,
      { AZURE_OPENAI_API_KEY: SENTINEL, AZURE_OPENAI_ENDPOINT: s.url },
      { sleep: async () => {} },
    );
    if (azure.status !== 'ready') throw new Error(azure.reason);
    expect(azure.provider.batch).toBeUndefined();
  });
});
