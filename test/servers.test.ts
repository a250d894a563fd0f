// Self-test of the fake provider servers in test/servers/: the REAL SDK clients (no stubs) talk to
// them on 127.0.0.1. These tests also pin down what each SDK makes of errors, timeouts and
// malformed bodies, which the provider adapters rely on to classify failures.

import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import {
  anthropicContextLengthBody,
  geminiContextLengthBody,
  openAIContextLengthBody,
  startAnthropicServer,
  startGeminiServer,
  startOpenAIServer,
  type FakeServer,
  type Reply,
} from './servers/index.js';

/** A hang, a dropped connection, then three malformed bodies: what each SDK makes of them is checked per SDK. */
const FAILURES: Reply[] = [
  { kind: 'hang' },
  { kind: 'drop' },
  { kind: 'raw', body: '{}' },
  { kind: 'raw', body: 'not json' },
  { kind: 'raw', body: 'not json', contentType: 'text/plain' },
];

const servers: FakeServer[] = [];
async function track<T extends FakeServer>(p: Promise<T>): Promise<T> {
  const s = await p;
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

// ---------------------------------------------------------------------------------------------
describe('fake OpenAI server + openai SDK', () => {
  const client = (s: FakeServer, timeout = 2000) => new OpenAI({ apiKey: 'test-key', baseURL: s.url + '/v1', maxRetries: 0, timeout });
  const ask = (c: OpenAI, opts?: { timeout?: number }) =>
    c.chat.completions.create(
      {
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'You answer with one word.' },
          { role: 'user', content: 'Capital of France?' },
        ],
        temperature: 0,
        max_completion_tokens: 10,
      },
      opts,
    );

  it('returns a faithful chat.completion and records the request', async () => {
    const s = await track(startOpenAIServer());
    s.queue({ kind: 'text', text: 'Paris', tokensIn: 20, tokensOut: 1, cachedTokens: 16, requestId: 'req_abc' });
    const res = await ask(client(s));
    expect(res.object).toBe('chat.completion');
    expect(res.model).toBe('gpt-4o-mini');
    expect(res.choices[0]!.message.content).toBe('Paris');
    expect(res.choices[0]!.message.refusal).toBeNull();
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage).toMatchObject({ prompt_tokens: 20, completion_tokens: 1, total_tokens: 21 });
    expect(res.usage!.prompt_tokens_details!.cached_tokens).toBe(16);
    expect(res._request_id).toBe('req_abc');

    expect(s.requests).toHaveLength(1);
    const r = s.requests[0]!;
    expect(r.method).toBe('POST');
    expect(r.path).toBe('/v1/chat/completions');
    expect(r.model).toBe('gpt-4o-mini');
    expect(r.headers.authorization).toBe('Bearer test-key');
    expect(r.body.messages[1]).toEqual({ role: 'user', content: 'Capital of France?' });
    expect(r.body.max_completion_tokens).toBe(10);
  });

  it('defaults: text "ok", token counts estimated, finish mapping, generated request id', async () => {
    const s = await track(startOpenAIServer());
    const res = await ask(client(s));
    expect(res.choices[0]!.message.content).toBe('ok');
    // 'You answer with one word.' + 'Capital of France?' = 43 chars -> 11 tokens
    expect(res.usage!.prompt_tokens).toBe(11);
    expect(res.usage!.completion_tokens).toBe(1);
    expect(res.usage!.prompt_tokens_details!.cached_tokens).toBe(0);
    expect(res._request_id).toMatch(/^req_/);

    s.queue({ kind: 'text', text: 'Par', finish: 'length' }, { kind: 'text', text: '', finish: 'refused' });
    expect((await ask(client(s))).choices[0]!.finish_reason).toBe('length');
    expect((await ask(client(s))).choices[0]!.finish_reason).toBe('content_filter');
  });

  it('429 -> RateLimitError with status, headers (retry-after) and the error object', async () => {
    const s = await track(startOpenAIServer());
    s.queue({ kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    const err = await rejection(ask(client(s)));
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(429);
    expect(err.headers.get('retry-after')).toBe('1');
    expect(err.code).toBe('rate_limit_exceeded');
    expect(err.error.type).toBe('requests');
    expect(err.requestID).toMatch(/^req_/);
    expect(s.requests).toHaveLength(1); // maxRetries: 0
  });

  it('maps 500/503/401/400 to the SDK error classes', async () => {
    const s = await track(startOpenAIServer());
    s.queue(
      { kind: 'status', status: 500 },
      { kind: 'status', status: 503 },
      { kind: 'status', status: 401 },
      { kind: 'status', status: 400, body: openAIContextLengthBody() },
    );
    const e500 = await rejection(ask(client(s)));
    expect(e500).toBeInstanceOf(OpenAI.InternalServerError);
    expect(e500.status).toBe(500);
    const e503 = await rejection(ask(client(s)));
    expect(e503).toBeInstanceOf(OpenAI.InternalServerError);
    expect(e503.status).toBe(503);
    const e401 = await rejection(ask(client(s)));
    expect(e401).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(e401.code).toBe('invalid_api_key');
    expect(e401.message).not.toContain('test-key'); // the key is echoed masked, never whole
    const e400 = await rejection(ask(client(s)));
    expect(e400).toBeInstanceOf(OpenAI.BadRequestError);
    expect(e400.code).toBe('context_length_exceeded');
    expect(e400.message).toMatch(/^400 This model's maximum context length/);
  });

  it('hang -> APIConnectionTimeoutError; drop -> APIConnectionError', async () => {
    const s = await track(startOpenAIServer());
    s.queue({ kind: 'hang' }, { kind: 'drop' });
    const t0 = Date.now();
    const timeout = await rejection(ask(client(s), { timeout: 200 }));
    expect(Date.now() - t0).toBeLessThan(5_000); // the 200 ms timeout fired: a hang would never answer
    expect(timeout).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(timeout).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(timeout.message).toBe('Request timed out.');
    expect(timeout.status).toBeUndefined();
    // the client gave up and closed its socket: the hanging request is no longer in flight
    for (let i = 0; i < 100 && s.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(s.inFlight).toBe(0);
    const dropped = await rejection(ask(client(s)));
    expect(dropped).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(dropped).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(dropped.message).toBe('Connection error.');
    expect(dropped.status).toBeUndefined();
    expect(dropped.cause).toBeInstanceOf(TypeError);
    expect(dropped.cause.message).toBe('fetch failed');
  });

  it('malformed bodies: what the SDK hands back', async () => {
    const s = await track(startOpenAIServer());
    s.queue(
      { kind: 'raw', body: '{}' },
      { kind: 'raw', body: 'not json' },
      { kind: 'raw', body: 'not json', contentType: 'text/plain' },
      { kind: 'raw', body: '' },
    );
    const empty: any = await ask(client(s));
    expect(empty).toEqual({}); // resolves; no choices, so res.choices[0] would throw a TypeError
    expect(empty.choices).toBeUndefined();
    const notJson = await rejection(ask(client(s)));
    expect(notJson).toBeInstanceOf(SyntaxError); // not an OpenAIError
    expect(notJson).not.toBeInstanceOf(OpenAI.OpenAIError);
    expect(await ask(client(s))).toBe('not json'); // text/plain resolves to the string itself
    expect(await ask(client(s))).toBeUndefined(); // empty JSON body (content-length 0) resolves to undefined
  });

  it('accepts /chat/completions when the base URL has no /v1; unknown paths get a 404', async () => {
    const s = await track(startOpenAIServer());
    const c = new OpenAI({ apiKey: 'test-key', baseURL: s.url, maxRetries: 0, timeout: 2000 });
    expect((await ask(c)).choices[0]!.message.content).toBe('ok');
    expect(s.requests[0]!.path).toBe('/chat/completions');
    const err = await rejection(c.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }));
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(s.requests[1]!.routed).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
describe('fake Anthropic server + @anthropic-ai/sdk', () => {
  const client = (s: FakeServer, timeout = 2000) => new Anthropic({ apiKey: 'test-key', baseURL: s.url, maxRetries: 0, timeout });
  const ask = (c: Anthropic, opts?: { timeout?: number }) =>
    c.messages.create(
      {
        model: 'claude-haiku-4-5',
        max_tokens: 100,
        system: 'You answer with one word.',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Examples: Q: Capital of Italy? A: Rome', cache_control: { type: 'ephemeral' } },
              { type: 'text', text: 'Capital of France?' },
            ],
          },
        ],
      },
      opts,
    );

  it('returns a faithful message and records system + cache_control', async () => {
    const s = await track(startAnthropicServer());
    s.queue({ kind: 'text', text: 'Paris', tokensIn: 100, tokensOut: 2, cachedTokens: 80, requestId: 'req_xyz' });
    const res = await ask(client(s));
    expect(res.type).toBe('message');
    expect(res.role).toBe('assistant');
    expect(res.model).toBe('claude-haiku-4-5');
    expect(res.content).toEqual([{ type: 'text', text: 'Paris' }]);
    expect(res.stop_reason).toBe('end_turn');
    expect(res.stop_details).toBeNull();
    expect(res.stop_sequence).toBeNull();
    // input_tokens excludes cache reads, as in the real API
    expect(res.usage).toMatchObject({
      input_tokens: 20,
      output_tokens: 2,
      cache_read_input_tokens: 80,
      cache_creation_input_tokens: 0,
    });
    expect(res._request_id).toBe('req_xyz');

    const r = s.requests[0]!;
    expect(r.path).toBe('/v1/messages');
    expect(r.model).toBe('claude-haiku-4-5');
    // @anthropic-ai/sdk 1.14 sends apiKey as a bearer token, not x-api-key
    expect(r.headers.authorization).toBe('Bearer test-key');
    expect(r.headers['x-api-key']).toBeUndefined();
    expect(r.headers['anthropic-version']).toBe('2026-10-21');
    expect(r.body.system).toBe('You answer with one word.');
    expect(r.body.messages[0].content[0].cache_control).toEqual({ type: 'ephemeral' });
    expect(r.body.max_tokens).toBe(100);
  });

  it('defaults and finish mapping', async () => {
    const s = await track(startAnthropicServer());
    s.queue(
      { kind: 'text', text: 'ok' },
      { kind: 'text', text: 'Par', finish: 'length' },
      { kind: 'text', text: '', finish: 'refused' },
      { kind: 'text', text: 'x', cacheWriteTokens: 10, tokensIn: 30 },
    );
    const res = await ask(client(s));
    // 25 + 39 + 18 = 82 chars -> 21 tokens
    expect(res.usage.input_tokens).toBe(21);
    expect(res._request_id).toMatch(/^req_/);
    expect((await ask(client(s))).stop_reason).toBe('max_tokens');
    const refused = await ask(client(s));
    expect(refused.stop_reason).toBe('refusal');
    expect(refused.stop_details).toEqual({ type: 'refusal', category: null, explanation: null });
    const written = await ask(client(s));
    expect(written.usage).toMatchObject({ input_tokens: 20, cache_creation_input_tokens: 10, cache_read_input_tokens: 0 });
  });

  it('maps 429/529/500/401/400 to the SDK error classes', async () => {
    const s = await track(startAnthropicServer());
    s.queue(
      { kind: 'status', status: 429, headers: { 'retry-after': '3' } },
      { kind: 'status', status: 529 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 401 },
      { kind: 'status', status: 400, body: anthropicContextLengthBody() },
    );
    const e429 = await rejection(ask(client(s)));
    expect(e429).toBeInstanceOf(Anthropic.RateLimitError);
    expect(e429.status).toBe(429);
    expect(e429.headers.get('retry-after')).toBe('3');
    expect(e429.type).toBe('rate_limit_error');
    expect(e429.error.error.type).toBe('rate_limit_error');
    expect(e429.requestID).toMatch(/^req_/);

    const e529 = await rejection(ask(client(s)));
    expect(e529).toBeInstanceOf(Anthropic.InternalServerError);
    expect(e529.constructor.name).toBe('OverloadedError');
    expect(e529.status).toBe(529);
    expect(e529.type).toBe('overloaded_error');

    const e500 = await rejection(ask(client(s)));
    expect(e500).toBeInstanceOf(Anthropic.InternalServerError);
    expect(e500.type).toBe('api_error');

    const e401 = await rejection(ask(client(s)));
    expect(e401).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(e401.type).toBe('authentication_error');
    expect(e401.message).not.toContain('test-key');

    const e400 = await rejection(ask(client(s)));
    expect(e400).toBeInstanceOf(Anthropic.BadRequestError);
    expect(e400.type).toBe('invalid_request_error');
    expect(e400.apiMessage).toMatch(/^prompt is too long/);
    expect(s.requests).toHaveLength(5);
  });

  it('hang -> APIConnectionTimeoutError; drop -> APIConnectionError; malformed bodies', async () => {
    const s = await track(startAnthropicServer());
    s.queue(...FAILURES);
    const timeout = await rejection(ask(client(s), { timeout: 200 }));
    expect(timeout).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    const dropped = await rejection(ask(client(s)));
    expect(dropped).toBeInstanceOf(Anthropic.APIConnectionError);
    expect(dropped).not.toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    const empty: any = await ask(client(s));
    expect(empty).toEqual({});
    const notJson = await rejection(ask(client(s)));
    expect(notJson).toBeInstanceOf(SyntaxError);
    expect(await ask(client(s))).toBe('not json');
  });
});

// ---------------------------------------------------------------------------------------------
describe('fake Gemini server + @google/genai', () => {
  const client = (s: FakeServer, timeout = 2000) => new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: s.url, timeout } });
  const ask = (ai: GoogleGenAI) =>
    ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: [{ role: 'user', parts: [{ text: 'Capital of France?' }] }],
      config: { systemInstruction: 'You answer with one word.', temperature: 0, maxOutputTokens: 100 },
    });

  it('returns a faithful GenerateContentResponse and records the model from the path', async () => {
    const s = await track(startGeminiServer());
    s.queue({ kind: 'text', text: 'Paris', tokensIn: 50, tokensOut: 1, cachedTokens: 32, requestId: 'resp-1' });
    const res = await ask(client(s));
    expect(res.text).toBe('Paris');
    expect(res.candidates![0]!.finishReason).toBe('STOP');
    expect(res.usageMetadata).toMatchObject({
      promptTokenCount: 50,
      candidatesTokenCount: 1,
      totalTokenCount: 51,
      cachedContentTokenCount: 32,
    });
    expect(res.responseId).toBe('resp-1');
    expect(res.modelVersion).toBe('gemini-2.5-flash');
    expect(res.sdkHttpResponse?.headers).toBeTypeOf('object');

    const r = s.requests[0]!;
    expect(r.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(r.model).toBe('gemini-2.5-flash');
    expect(r.headers['x-goog-api-key']).toBe('test-key');
    expect(r.path).not.toContain('test-key');
    expect(r.headers['x-server-timeout']).toBe('2');
    expect(r.body.contents).toEqual([{ role: 'user', parts: [{ text: 'Capital of France?' }] }]);
    expect(r.body.systemInstruction).toEqual({ parts: [{ text: 'You answer with one word.' }], role: 'user' });
    expect(r.body.generationConfig).toMatchObject({ temperature: 0, maxOutputTokens: 100 });
  });

  it('defaults and finish mapping; cachedContentTokenCount is omitted when 0', async () => {
    const s = await track(startGeminiServer());
    s.queue({ kind: 'text', text: 'ok' }, { kind: 'text', text: 'Par', finish: 'length' }, { kind: 'text', text: '', finish: 'refused' });
    const res = await ask(client(s));
    expect(res.text).toBe('ok');
    // 'Capital of France?' + 'You answer with one word.' = 43 chars -> 11 tokens
    expect(res.usageMetadata!.promptTokenCount).toBe(11);
    expect(res.usageMetadata!.cachedContentTokenCount).toBeUndefined();
    expect(res.responseId).toBeTruthy();
    expect((await ask(client(s))).candidates![0]!.finishReason).toBe('MAX_TOKENS');
    const blocked = await ask(client(s));
    expect(blocked.candidates![0]!.finishReason).toBe('SAFETY');
    expect(blocked.text).toBeUndefined();
  });

  it('errors are ApiError with a numeric status and the JSON body as message; no retries by default', async () => {
    const s = await track(startGeminiServer());
    s.queue(
      { kind: 'status', status: 429, headers: { 'retry-after': '7' } },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 401 },
      { kind: 'status', status: 400, body: geminiContextLengthBody() },
      { kind: 'status', status: 503, body: 'upstream unavailable', headers: { 'content-type': 'text/plain' } },
    );
    const e429 = await rejection(ask(client(s)));
    expect(e429).toBeInstanceOf(ApiError);
    expect(e429.name).toBe('ApiError');
    expect(e429.status).toBe(429);
    expect(e429.headers).toBeUndefined(); // no headers on the error: read the retry hint from the body
    const body = JSON.parse(e429.message);
    expect(body.error.status).toBe('RESOURCE_EXHAUSTED');
    const retryInfo = body.error.details.find((d: any) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo');
    expect(retryInfo.retryDelay).toBe('7s');
    expect(s.requests).toHaveLength(1); // the SDK did not retry the 429 on its own

    const e500 = await rejection(ask(client(s)));
    expect(e500).toBeInstanceOf(ApiError);
    expect(e500.status).toBe(500);
    expect(JSON.parse(e500.message).error.status).toBe('INTERNAL');
    expect(s.requests).toHaveLength(2);

    const e401 = await rejection(ask(client(s)));
    expect(e401.status).toBe(401);
    expect(JSON.parse(e401.message).error.status).toBe('UNAUTHENTICATED');

    const e400 = await rejection(ask(client(s)));
    expect(e400.status).toBe(400);
    expect(JSON.parse(e400.message).error.message).toMatch(/input token count/);

    const text503 = await rejection(ask(client(s)));
    expect(text503).toBeInstanceOf(ApiError);
    expect(text503.status).toBe(503);
    expect(JSON.parse(text503.message)).toEqual({
      error: { message: 'upstream unavailable', code: 503, status: 'Service Unavailable' },
    });
  });

  it('retries only when httpOptions.retryOptions is given', async () => {
    const s = await track(startGeminiServer());
    s.queue({ kind: 'status', status: 503 }, { kind: 'text', text: 'second' });
    const ai = new GoogleGenAI({
      apiKey: 'test-key',
      httpOptions: { baseUrl: s.url, timeout: 2000, retryOptions: { attempts: 2, initialDelay: 0.01, maxDelay: 0.02 } },
    });
    expect((await ask(ai)).text).toBe('second');
    expect(s.requests).toHaveLength(2);
  });

  it('timeout -> DOMException AbortError; drop -> TypeError fetch failed; malformed bodies', async () => {
    const s = await track(startGeminiServer());
    s.queue(...FAILURES);
    const t0 = Date.now();
    const timeout = await rejection(ask(client(s, 200)));
    expect(Date.now() - t0).toBeLessThan(5_000); // the 200 ms timeout fired: a hang would never answer
    expect(timeout).toBeInstanceOf(Error);
    expect(timeout).not.toBeInstanceOf(ApiError);
    expect(timeout.name).toBe('AbortError');
    expect(timeout.message).toBe('This operation was aborted');
    expect(timeout.status).toBeUndefined();

    const dropped = await rejection(ask(client(s)));
    expect(dropped).toBeInstanceOf(TypeError);
    expect(dropped.message).toBe('fetch failed');
    expect(dropped.cause?.code).toBe('UND_ERR_SOCKET');

    const empty = await ask(client(s));
    expect(empty.candidates).toBeUndefined();
    expect(empty.text).toBeUndefined();
    expect(empty.usageMetadata).toBeUndefined();
    expect(await rejection(ask(client(s)))).toBeInstanceOf(SyntaxError);
    expect(await rejection(ask(client(s)))).toBeInstanceOf(SyntaxError);
  });

  it('honours GOOGLE_GEMINI_BASE_URL when no httpOptions.baseUrl is given', async () => {
    const s = await track(startGeminiServer());
    const saved = process.env.GOOGLE_GEMINI_BASE_URL;
    process.env.GOOGLE_GEMINI_BASE_URL = s.url;
    try {
      const ai = new GoogleGenAI({ apiKey: 'test-key', httpOptions: { timeout: 2000 } });
      expect((await ask(ai)).text).toBe('ok');
      expect(s.requests).toHaveLength(1);
    } finally {
      if (saved === undefined) delete process.env.GOOGLE_GEMINI_BASE_URL;
      else process.env.GOOGLE_GEMINI_BASE_URL = saved;
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('fake server core', () => {
  it('tracks concurrency: maxInFlight and inFlight', async () => {
    const s = await track(startOpenAIServer());
    s.script((_req, i) => ({ kind: 'text', text: `r${i}`, delayMs: 150 }));
    const c = new OpenAI({ apiKey: 'test-key', baseURL: s.url + '/v1', maxRetries: 0, timeout: 2000 });
    const all = Promise.all([0, 1, 2, 3, 4].map((i) => c.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: `q${i}` }] })));
    const texts = (await all).map((r) => r.choices[0]!.message.content).sort();
    expect(texts).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(s.maxInFlight).toBe(5);
    expect(s.inFlight).toBe(0);

    await c.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'alone' }] });
    expect(s.maxInFlight).toBe(5);
    expect(s.inFlight).toBe(0);
  });

  it('script sees each request and its index; queue repeats the last reply', async () => {
    const s = await track(startAnthropicServer());
    const seen: Array<[string, number]> = [];
    s.script((req, i) => {
      seen.push([req.body.messages[0].content, i]);
      return { kind: 'text', text: req.body.messages[0].content.toUpperCase() };
    });
    const c = new Anthropic({ apiKey: 'test-key', baseURL: s.url, maxRetries: 0, timeout: 2000 });
    const one = await c.messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'a' }] });
    const two = await c.messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'b' }] });
    expect(one.content[0]).toMatchObject({ text: 'A' });
    expect(two.content[0]).toMatchObject({ text: 'B' });
    expect(seen).toEqual([
      ['a', 0],
      ['b', 1],
    ]);

    s.queue({ kind: 'text', text: 'first' }, { kind: 'text', text: 'rest' });
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await c.messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
      texts.push((m.content[0] as { text: string }).text);
    }
    // queue() counts from its own call (2 requests were already answered), then repeats the last reply
    expect(texts).toEqual(['first', 'rest', 'rest']);
  });

  it('close() ends hanging requests quickly and the client sees a connection error', async () => {
    const s = await startGeminiServer();
    s.queue({ kind: 'hang' });
    const o = await startOpenAIServer();
    o.queue({ kind: 'hang' });
    const ai = new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: s.url } }); // no timeout at all
    const oc = new OpenAI({ apiKey: 'test-key', baseURL: o.url + '/v1', maxRetries: 0, timeout: 60_000 });
    const pending = rejection(ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }));
    const pendingOpenAI = rejection(oc.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }));
    while (s.inFlight === 0 || o.inFlight === 0) await new Promise((r) => setTimeout(r, 5));
    const t0 = Date.now();
    await Promise.all([s.close(), o.close()]);
    expect(Date.now() - t0).toBeLessThan(5_000); // close() did not wait for the hung calls (60 s or never)
    const err = await pending;
    expect(err).toBeInstanceOf(TypeError);
    expect(await pendingOpenAI).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(s.inFlight).toBe(0);
  });
});
