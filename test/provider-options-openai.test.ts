// Model options (issue 16) on the Chat Completions wire: OpenAI, openai-compatible servers and Azure
// OpenAI (src/providers/openai.ts, azure-openai.ts), through the real openai SDK against the fake
// server in test/servers/openai.ts. What each option sends, what a request without options does not
// send, and what is read back (reasoning tokens, the snapshot).

import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CAPABILITIES, type CompletionRequest, type ModelOptions, type Provider } from '../src/providers/provider.js';
import { AZURE_DEFAULT_API_VERSION, resolveProvider, type ProviderEntry } from '../src/providers/registry.js';
import { flavour, rejection, routesPrompt, SENTINEL, trackServers, type FlavourName } from './providers-helpers.js';
import { azureRequestOf, startOpenAIServer } from './servers/openai.js';
import type { FakeServer, RecordedRequest } from './servers/index.js';

const track = trackServers();

/** Every body field a model option may add: none of them is sent unless the request sets it. */
const OPTION_FIELDS = ['reasoning_effort', 'top_p', 'stop', 'seed', 'presence_penalty', 'frequency_penalty', 'response_format'];

const ANSWER_SCHEMA = {
  type: 'object',
  properties: { route: { type: 'array', items: { type: 'string' } }, cost: { type: 'number' } },
  required: ['route', 'cost'],
  additionalProperties: false,
};

/** The request body without the messages (which every request carries, and other tests check). */
function sentFields(req: RecordedRequest): Record<string, unknown> {
  const { messages: _messages, ...rest } = req.body as Record<string, unknown>;
  return rest;
}

const messages = () => routesPrompt(0).messages;

describe.each<FlavourName>(['openai', 'openai-compatible'])('%s: model options on the wire', (name) => {
  const f = flavour(name);
  const limitField = name === 'openai' ? 'max_completion_tokens' : 'max_tokens';

  it('a request without options sends none of the option fields (the body is what it was before options)', async () => {
    const s = await track(f.start());
    await f.adapter(s).complete({ messages: messages(), temperature: 0, maxOutputTokens: 300 });
    const body = s.requests[0]!.body as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['messages', 'model', limitField, 'temperature'].sort());
    for (const field of OPTION_FIELDS) expect(body, field).not.toHaveProperty(field);
  });

  it.each<[string, ModelOptions, Record<string, unknown>]>([
    ['reasoning effort', { reasoning: { effort: 'low' } }, { reasoning_effort: 'low' }],
    ['reasoning effort minimal, as is', { reasoning: { effort: 'minimal' } }, { reasoning_effort: 'minimal' }],
    // `none`: the least reasoning openai 6.49's ReasoningEffort type allows (OPENAI_REASONING_OFF in openai.ts).
    ['reasoning off', { reasoning: 'off' }, { reasoning_effort: 'none' }],
    ['reasoning effort and budget: the effort', { reasoning: { effort: 'high', budgetTokens: 4096 } }, { reasoning_effort: 'high' }],
    ['reasoning budget alone: nothing (the API takes an effort)', { reasoning: { budgetTokens: 4096 } }, {}],
    ['topP', { topP: 0.9 }, { top_p: 0.9 }],
    ['stop', { stop: ['END', '###'] }, { stop: ['END', '###'] }],
    ['seed', { seed: 42 }, { seed: 42 }],
    ['seed 0', { seed: 0 }, { seed: 0 }],
    ['presencePenalty', { presencePenalty: 0.5 }, { presence_penalty: 0.5 }],
    ['frequencyPenalty', { frequencyPenalty: -0.25 }, { frequency_penalty: -0.25 }],
    ['responseFormat json', { responseFormat: { type: 'json' } }, { response_format: { type: 'json_object' } }],
    [
      'responseFormat schema',
      { responseFormat: { type: 'schema', name: 'answer', schema: ANSWER_SCHEMA } },
      { response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: ANSWER_SCHEMA, strict: true } } },
    ],
  ])('%s', async (_label, options, expected) => {
    const s = await track(f.start());
    await f.adapter(s).complete({ messages: messages(), ...options });
    expect(sentFields(s.requests[0]!)).toEqual({ model: f.model, ...expected });
  });

  it('all options at once, with temperature and the output limit: the exact body', async () => {
    const s = await track(f.start());
    const options: ModelOptions = {
      reasoning: { effort: 'medium' },
      topP: 0.5,
      stop: ['\n\n'],
      seed: 7,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
      responseFormat: { type: 'json' },
    };
    await f.adapter(s).complete({ messages: messages(), temperature: 0.7, maxOutputTokens: 512, ...options });
    expect(sentFields(s.requests[0]!)).toEqual({
      model: f.model,
      temperature: 0.7,
      [limitField]: 512,
      reasoning_effort: 'medium',
      top_p: 0.5,
      stop: ['\n\n'],
      seed: 7,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      response_format: { type: 'json_object' },
    });
  });

  it('a schema name is made one OpenAI takes (^[a-zA-Z0-9_-]{1,64}$)', async () => {
    const s = await track(f.start());
    const adapter = f.adapter(s);
    const format = (schemaName: string): CompletionRequest => ({
      messages: messages(),
      responseFormat: { type: 'schema', name: schemaName, schema: ANSWER_SCHEMA },
    });
    await adapter.complete(format('route answer.v2'));
    await adapter.complete(format('x'.repeat(80)));
    await adapter.complete(format('größe'));
    await adapter.complete(format(''));
    const names = s.requests.map((r) => r.body.response_format.json_schema.name as string);
    expect(names).toEqual(['route_answer_v2', 'x'.repeat(64), 'gr__e', 'response']);
    for (const n of names) expect(n).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
  });

  it('temperature is sent as set with reasoning (no special case for reasoning models)', async () => {
    const s = await track(f.start());
    await f.adapter(s).complete({ messages: messages(), temperature: 0, reasoning: { effort: 'high' } });
    expect(sentFields(s.requests[0]!)).toEqual({ model: f.model, temperature: 0, reasoning_effort: 'high' });
  });
});

describe('openai: the wire body for reasoning + a schema (quoted in docs/providers.md)', () => {
  it('prints the body OpenAI receives', async () => {
    const s = await track(startOpenAIServer());
    const f = flavour('openai');
    await f.adapter(s).complete({
      messages: [
        { role: 'system', content: 'Answer with JSON.' },
        { role: 'user', content: 'Route: Depot, A, B?' },
      ],
      maxOutputTokens: 2000,
      reasoning: { effort: 'low' },
      responseFormat: { type: 'schema', name: 'answer', schema: ANSWER_SCHEMA },
    });
    const body = s.requests[0]!.body;
    console.log(`openai wire body (reasoning: { effort: low }, responseFormat: { schema: answer.json }):\n${JSON.stringify(body, null, 2)}`);
    expect(body).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Answer with JSON.' },
        { role: 'user', content: 'Route: Depot, A, B?' },
      ],
      max_completion_tokens: 2000,
      reasoning_effort: 'low',
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: ANSWER_SCHEMA, strict: true } },
    });
  });
});

describe('openai-compatible: extraBody', () => {
  const f = flavour('openai-compatible');

  it('is merged into the body as given (vLLM guided decoding, Ollama options)', async () => {
    const s = await track(f.start());
    const extraBody = { guided_json: ANSWER_SCHEMA, options: { num_ctx: 8192 }, top_k: 20, chat_template_kwargs: { enable_thinking: false } };
    await f.adapter(s).complete({ messages: messages(), temperature: 0, extraBody });
    expect(sentFields(s.requests[0]!)).toEqual({ model: 'llama3', temperature: 0, ...extraBody });
  });

  it("the adapter's own fields win over extraBody's, and extraBody cannot turn on streaming", async () => {
    const s = await track(f.start());
    await f.adapter(s).complete({
      messages: messages(),
      temperature: 0,
      seed: 1,
      extraBody: { model: 'other', temperature: 1.5, seed: 99, stream: true, repetition_penalty: 1.1 },
    });
    expect(sentFields(s.requests[0]!)).toEqual({ model: 'llama3', temperature: 0, seed: 1, repetition_penalty: 1.1 });
    expect(s.requests[0]!.body.messages).toEqual(messages().map((m) => ({ role: m.role, content: m.content })));
  });

  it("OpenAI's own API is not sent extraBody (config refuses it there; a programmatic one is dropped)", async () => {
    const s = await track(startOpenAIServer());
    await flavour('openai')
      .adapter(s)
      .complete({ messages: messages(), extraBody: { top_k: 20 } });
    expect(sentFields(s.requests[0]!)).toEqual({ model: 'gpt-4o-mini' });
  });
});

describe.each<FlavourName>(['openai', 'openai-compatible'])('%s: reasoning tokens and the snapshot', (name) => {
  const f = flavour(name);

  it('reads usage.completion_tokens_details.reasoning_tokens, model and system_fingerprint', async () => {
    const s = await track(f.start());
    s.queue({
      kind: 'text',
      text: 'ROUTE: Depot -> Store A',
      tokensOut: 330,
      reasoningTokens: 320,
      model: 'gpt-5-mini-2025-08-07',
      fingerprint: 'fp_3f58d112f7',
    });
    const r = await f.adapter(s).complete({ messages: messages(), reasoning: { effort: 'low' } });
    expect(r).toMatchObject({ text: 'ROUTE: Depot -> Store A', finishReason: 'stop', tokensOut: 330, reasoningTokens: 320 });
    expect(r.snapshot).toEqual({ model: 'gpt-5-mini-2025-08-07', fingerprint: 'fp_3f58d112f7' });
    expect(r).not.toHaveProperty('reasoningTokensEstimated');
  });

  it('no reasoning tokens reported (0) and no fingerprint: neither field is set; the model still is', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'text', text: 'ok' });
    const r = await f.adapter(s).complete({ messages: messages() });
    expect(r).not.toHaveProperty('reasoningTokens');
    expect(r.snapshot).toEqual({ model: f.model });
    expect(r.snapshot).not.toHaveProperty('fingerprint');
  });

  it('a model that spent the whole limit thinking: length, empty text, the reasoning tokens set', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'text', text: '', finish: 'length', reasoningTokens: 400, tokensOut: 400 });
    const r = await f.adapter(s).complete({ messages: messages(), maxOutputTokens: 400, reasoning: { effort: 'high' } });
    expect(r).toMatchObject({ text: '', finishReason: 'length', tokensOut: 400, reasoningTokens: 400 });
  });

  it('an odd snapshot or reasoning count is dropped, never a malformed answer', async () => {
    const s = await track(f.start());
    s.queue({
      kind: 'raw',
      body: JSON.stringify({
        model: 42,
        system_fingerprint: { odd: true },
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 10, completion_tokens: 1, completion_tokens_details: 'n/a' },
      }),
    });
    const r = await f.adapter(s).complete({ messages: messages() });
    expect(r).toMatchObject({ text: 'ok', finishReason: 'stop', tokensIn: 10, tokensOut: 1 });
    expect(r).not.toHaveProperty('snapshot');
    expect(r).not.toHaveProperty('reasoningTokens');
  });

  it(`capabilities: ${name === 'openai' ? 'the defaults (automatic prompt caching)' : 'no prompt caching promised'}`, async () => {
    const s = await track(f.start());
    const expected = name === 'openai' ? DEFAULT_CAPABILITIES : { ...DEFAULT_CAPABILITIES, promptCaching: 'none' };
    expect(f.adapter(s).capabilities).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// Azure OpenAI, through resolveProvider as an experiment reaches it.

const AZURE_ID = 'azure-openai:my-deployment';

function resolveAzure(env: NodeJS.ProcessEnv, entry: Partial<ProviderEntry> = {}) {
  return resolveProvider({ id: AZURE_ID, maxAttempts: 1, ...entry }, null, env, { sleep: async () => {} });
}

function azureAt(s: FakeServer, entry: Partial<ProviderEntry> = {}, env: NodeJS.ProcessEnv = {}): Provider {
  const r = resolveAzure({ AZURE_OPENAI_API_KEY: SENTINEL, AZURE_OPENAI_ENDPOINT: s.url, ...env }, entry);
  if (r.status !== 'ready') throw new Error(`skipped: ${r.reason}`);
  return r.provider;
}

describe('azure-openai', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("posts to the deployment's path with the api-version, the key in api-key only", async () => {
    const s = await track(startOpenAIServer());
    s.queue({ kind: 'text', text: 'ROUTE: Depot -> Store A', model: 'gpt-4o-2024-08-06', fingerprint: 'fp_azure01' });
    const r = await azureAt(s).complete({ messages: messages(), temperature: 0, maxOutputTokens: 200 });

    const req = s.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/openai/deployments/my-deployment/chat/completions?api-version=${AZURE_DEFAULT_API_VERSION}`);
    expect(azureRequestOf(req)).toEqual({ deployment: 'my-deployment', apiVersion: '2024-10-21' });
    expect(req.model).toBe('my-deployment');
    // The key travels in `api-key`; the SDK sends no Authorization header to Azure.
    expect(req.headers['api-key']).toBe(SENTINEL);
    expect(req.headers).not.toHaveProperty('authorization');
    for (const [header, value] of Object.entries(req.headers)) {
      if (header !== 'api-key') expect(String(value), `header ${header}`).not.toContain(SENTINEL);
    }
    expect(req.path).not.toContain(SENTINEL);
    expect(JSON.stringify(req.body)).not.toContain(SENTINEL);
    // The body is OpenAI's: the deployment as the model, max_completion_tokens.
    expect(sentFields(req)).toEqual({ model: 'my-deployment', temperature: 0, max_completion_tokens: 200 });

    expect(r).toMatchObject({ text: 'ROUTE: Depot -> Store A', finishReason: 'stop', snapshot: { model: 'gpt-4o-2024-08-06', fingerprint: 'fp_azure01' } });
  });

  it('sends the model options as OpenAI does (reasoning, sampling, a schema)', async () => {
    const s = await track(startOpenAIServer());
    s.queue({ kind: 'text', text: '{"route":[],"cost":0}', reasoningTokens: 64, tokensOut: 80 });
    const r = await azureAt(s, { apiVersion: '2025-04-01-preview' }).complete({
      messages: messages(),
      maxOutputTokens: 2000,
      reasoning: { effort: 'low' },
      seed: 3,
      stop: ['END'],
      responseFormat: { type: 'schema', name: 'answer', schema: ANSWER_SCHEMA },
    });
    const req = s.requests[0]!;
    expect(azureRequestOf(req)).toEqual({ deployment: 'my-deployment', apiVersion: '2025-04-01-preview' });
    console.log(`azure-openai wire body (reasoning: { effort: low }, responseFormat: { schema: answer.json }):\n${JSON.stringify(sentFields(req), null, 2)}`);
    expect(sentFields(req)).toEqual({
      model: 'my-deployment',
      max_completion_tokens: 2000,
      reasoning_effort: 'low',
      seed: 3,
      stop: ['END'],
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: ANSWER_SCHEMA, strict: true } },
    });
    expect(r.reasoningTokens).toBe(64);
  });

  it('the API version: the entry, else OPENAI_API_VERSION, else the dated default', async () => {
    const s = await track(startOpenAIServer());
    await azureAt(s, {}, { OPENAI_API_VERSION: '2024-12-01-preview' }).complete({ messages: messages() });
    await azureAt(s, { apiVersion: '2025-01-01-preview' }, { OPENAI_API_VERSION: '2024-12-01-preview' }).complete({ messages: messages() });
    await azureAt(s).complete({ messages: messages() });
    expect(s.requests.map((r) => azureRequestOf(r)?.apiVersion)).toEqual(['2024-12-01-preview', '2025-01-01-preview', AZURE_DEFAULT_API_VERSION]);
  });

  it('an endpoint with a trailing slash, or given as baseUrl, reaches the same path', async () => {
    const s = await track(startOpenAIServer());
    await azureAt(s, {}, { AZURE_OPENAI_ENDPOINT: `${s.url}/` }).complete({ messages: messages() });
    await azureAt(s, { baseUrl: s.url }, { AZURE_OPENAI_ENDPOINT: 'http://127.0.0.1:9' }).complete({ messages: messages() });
    for (const req of s.requests) expect(req.path.split('?')[0]).toBe('/openai/deployments/my-deployment/chat/completions');
  });

  it("the process's OpenAI variables do not reach Azure (OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID)", async () => {
    const s = await track(startOpenAIServer());
    // The SDK reads these from process.env; AzureOpenAI refuses `endpoint` alongside OPENAI_BASE_URL.
    vi.stubEnv('OPENAI_BASE_URL', 'http://127.0.0.1:9/v1');
    vi.stubEnv('OPENAI_ORG_ID', 'org-not-for-azure');
    vi.stubEnv('OPENAI_PROJECT_ID', 'proj-not-for-azure');
    const r = await azureAt(s).complete({ messages: messages() });
    expect(r.text).toBe('ok');
    const req = s.requests[0]!;
    expect(req.path.split('?')[0]).toBe('/openai/deployments/my-deployment/chat/completions');
    expect(req.headers).not.toHaveProperty('openai-organization');
    expect(req.headers).not.toHaveProperty('openai-project');
  });

  it("Azure's 401 is an auth error and its 404 (no such deployment) a bad request, neither echoing the key", async () => {
    const s = await track(startOpenAIServer());
    s.queue({ kind: 'status', status: 401 }, { kind: 'status', status: 404 });
    const provider = azureAt(s);
    const auth = await rejection(provider.complete({ messages: messages() }));
    expect(auth.kind).toBe('auth');
    expect(auth.message).toMatch(/Access denied due to invalid subscription key/);
    const missing = await rejection(provider.complete({ messages: messages() }));
    expect(missing.kind).toBe('bad_request');
    expect(missing.message).toMatch(/deployment for this resource does not exist/);
    for (const e of [auth, missing]) expect(e.message).not.toContain(SENTINEL);
  });

  it('skipped without the key or the endpoint, naming the variable', () => {
    const noKey = resolveAzure({ AZURE_OPENAI_ENDPOINT: 'http://127.0.0.1:9' });
    expect(noKey.status).toBe('skipped');
    if (noKey.status === 'skipped') expect(noKey.reason).toContain('AZURE_OPENAI_API_KEY');
    const noEndpoint = resolveAzure({ AZURE_OPENAI_API_KEY: SENTINEL });
    expect(noEndpoint.status).toBe('skipped');
    if (noEndpoint.status === 'skipped') {
      expect(noEndpoint.reason).toContain('AZURE_OPENAI_ENDPOINT');
      expect(noEndpoint.reason).not.toContain(SENTINEL);
    }
  });
});

describe('fake server: the Azure route', () => {
  it('answers a deployment path without api-version 404, as Azure does', async () => {
    const s = await track(startOpenAIServer());
    const res = await fetch(`${s.url}/openai/deployments/my-deployment/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': 'k' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: '404', message: 'Resource not found' } });
    expect(azureRequestOf(s.requests[0]!)).toEqual({ deployment: 'my-deployment', apiVersion: null });
  });
});
