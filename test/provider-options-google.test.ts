// Gemini model options (issue 16) against the fake Gemini server through the real @google/genai SDK:
// reasoning as thinkingConfig (budget, level, off), topP, stopSequences, seed, penalties, structured
// output (responseMimeType + responseJsonSchema), thought parts kept out of the reply, reasoning tokens
// and the snapshot, the thinking-exhausted reply, models.countTokens; and Vertex AI (the path with
// project, location and model, a bearer token from credentials whose token endpoint is the fake server,
// never Google's), with the registry's skip notices.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GEMINI_EFFORT_BUDGET, GEMINI_EFFORT_LEVEL, GoogleProvider, takesThinkingBudget, thinkingConfig } from '../src/providers/google.js';
import type { HttpProviderSettings } from '../src/providers/http-adapter.js';
import type { CompletionRequest } from '../src/providers/provider.js';
import { resolveProvider } from '../src/providers/registry.js';
import { VertexProvider } from '../src/providers/vertex.js';
import { REASONING_EFFORTS } from '../src/records/model-options.js';
import { SYSTEM_PROMPT } from '../src/tasks/routes.js';
import { flavour, rejection, ROUTE_ANSWER, routesPrompt, trackServers } from './providers-helpers.js';
import { fakeVertexCredentials, startGeminiServer, VERTEX_ACCESS_TOKEN } from './servers/gemini.js';
import type { FakeServer, RecordedRequest } from './servers/index.js';

const track = trackServers();
const f = flavour('google');

afterEach(() => {
  vi.unstubAllEnvs();
});

const ROUTE_SCHEMA = {
  type: 'object',
  properties: { route: { type: 'array', items: { type: 'string' } }, cost: { type: 'number' } },
  required: ['route', 'cost'],
  additionalProperties: false,
};

/** One call with the options; the wire body the server received. */
async function wireBody(s: FakeServer, options: Omit<CompletionRequest, 'messages'>, provider: GoogleProvider = f.adapter(s) as GoogleProvider) {
  const before = s.requests.length;
  await provider.complete({ messages: routesPrompt(1).messages, ...options });
  return s.requests.slice(before).find((r) => r.routed)!.body;
}

/** What the options put in generationConfig. */
async function generationConfig(s: FakeServer, options: Omit<CompletionRequest, 'messages'>): Promise<unknown> {
  return (await wireBody(s, options)).generationConfig;
}

const header = (req: RecordedRequest, name: string) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

describe('google options: the wire (the SDK moves config fields into the body’s generationConfig)', () => {
  it('a request without options is unchanged: contents, systemInstruction, generationConfig with temperature and maxOutputTokens only', async () => {
    const s = await track(f.start());
    const { messages } = routesPrompt(1);
    await f.adapter(s).complete({ messages, temperature: 0, maxOutputTokens: 300 });
    const body = s.requests[0]!.body;
    expect(Object.keys(body).sort()).toEqual(['contents', 'generationConfig', 'systemInstruction']);
    expect(body.generationConfig).toEqual({ temperature: 0, maxOutputTokens: 300 });
    expect(body.systemInstruction).toEqual({ role: 'user', parts: [{ text: SYSTEM_PROMPT }] });
    // Undefined options send nothing: the same bytes.
    await f.adapter(s).complete({
      messages,
      temperature: 0,
      maxOutputTokens: 300,
      reasoning: undefined,
      topP: undefined,
      stop: undefined,
      seed: undefined,
      presencePenalty: undefined,
      frequencyPenalty: undefined,
      responseFormat: undefined,
    });
    expect(JSON.stringify(s.requests[1]!.body)).toBe(JSON.stringify(body));
    // And none at all: no generationConfig keys.
    await f.adapter(s).complete({ messages });
    expect(s.requests[2]!.body.generationConfig ?? {}).toEqual({});
  });

  it('reasoning: a budget is thinkingConfig.thinkingBudget; an effort is thinkingLevel; both: the budget alone; off is a budget of 0; no thought text asked for', async () => {
    const s = await track(f.start());
    expect(await generationConfig(s, { reasoning: { budgetTokens: 2048 } })).toEqual({ thinkingConfig: { thinkingBudget: 2048 } });
    // The adapter's model is a 2.5 one, which refuses thinkingLevel: an effort is sent as its budget.
    for (const effort of REASONING_EFFORTS) {
      expect(await generationConfig(s, { reasoning: { effort } })).toEqual({ thinkingConfig: { thinkingBudget: GEMINI_EFFORT_BUDGET[effort] } });
    }
    expect(GEMINI_EFFORT_BUDGET).toEqual({ minimal: 512, low: 1024, medium: 8192, high: 24576 });
    // Gemini 3 and later take the level.
    for (const effort of REASONING_EFFORTS) {
      expect(thinkingConfig({ effort }, 'gemini-3-pro-preview')).toEqual({ thinkingLevel: GEMINI_EFFORT_LEVEL[effort] });
    }
    expect(takesThinkingBudget('gemini-2.0-flash')).toBe(true);
    expect(takesThinkingBudget('publishers/google/models/gemini-2.5-pro')).toBe(true);
    expect(takesThinkingBudget('gemini-3-flash')).toBe(false);
    expect(GEMINI_EFFORT_LEVEL).toEqual({ minimal: 'MINIMAL', low: 'LOW', medium: 'MEDIUM', high: 'HIGH' });
    // The API refuses thinkingBudget and thinkingLevel together (400): the budget is the finer setting.
    expect(await generationConfig(s, { reasoning: { effort: 'high', budgetTokens: 512 } })).toEqual({ thinkingConfig: { thinkingBudget: 512 } });
    expect(await generationConfig(s, { reasoning: 'off', maxOutputTokens: 50 })).toEqual({ maxOutputTokens: 50, thinkingConfig: { thinkingBudget: 0 } });
    // Neither field: nothing to send.
    expect((await generationConfig(s, { reasoning: {} })) ?? {}).toEqual({});
    for (const r of s.requests) expect(JSON.stringify(r.body)).not.toContain('includeThoughts');
  });

  it('a model that cannot stop thinking refuses budget 0 with a 400: a bad_request provider error', async () => {
    const s = await track(f.start());
    s.queue({
      kind: 'status',
      status: 400,
      body: { error: { code: 400, message: 'Budget 0 is invalid. This model only works in thinking mode.', status: 'INVALID_ARGUMENT' } },
    });
    const e = await rejection(f.adapter(s).complete({ messages: routesPrompt(0).messages, reasoning: 'off' }));
    expect(e.kind).toBe('bad_request');
    expect(e.status).toBe(400);
    expect(e.message).toContain('only works in thinking mode');
  });

  it('sampling: topP, stopSequences, seed, presencePenalty, frequencyPenalty under their Gemini names', async () => {
    const s = await track(f.start());
    expect(await generationConfig(s, { topP: 0.9, stop: ['\n\n', 'END'], seed: 42, presencePenalty: 0.5, frequencyPenalty: -0.25, temperature: 0.7 })).toEqual({
      temperature: 0.7,
      topP: 0.9,
      stopSequences: ['\n\n', 'END'],
      seed: 42,
      presencePenalty: 0.5,
      frequencyPenalty: -0.25,
    });
    // Zero values are values, not absences.
    expect(await generationConfig(s, { seed: 0, presencePenalty: 0 })).toEqual({ seed: 0, presencePenalty: 0 });
  });

  it('structured output: json is responseMimeType; a schema adds responseJsonSchema (standard JSON Schema, passed as written), never responseSchema', async () => {
    const s = await track(f.start());
    expect(await generationConfig(s, { responseFormat: { type: 'json' } })).toEqual({ responseMimeType: 'application/json' });
    const config = await generationConfig(s, { responseFormat: { type: 'schema', name: 'route', schema: ROUTE_SCHEMA } });
    expect(config).toEqual({ responseMimeType: 'application/json', responseJsonSchema: ROUTE_SCHEMA });
    expect(JSON.stringify(config)).not.toContain('responseSchema');
  });

  it('prints the wire body for reasoning { effort: low } with a schema (for the docs)', async () => {
    const s = await track(f.start());
    const body = await wireBody(s, {
      reasoning: { effort: 'low' },
      responseFormat: { type: 'schema', name: 'route', schema: ROUTE_SCHEMA },
      maxOutputTokens: 1024,
    });
    expect(body.generationConfig).toEqual({
      maxOutputTokens: 1024,
      responseMimeType: 'application/json',
      responseJsonSchema: ROUTE_SCHEMA,
      thinkingConfig: { thinkingBudget: 1024 },
    });
    const shown = {
      ...body,
      contents: `[${body.contents.length} turns]`,
      systemInstruction: { role: 'user', parts: [{ text: `${SYSTEM_PROMPT.slice(0, 40)}...` }] },
    };
    console.log(`POST ${s.requests.at(-1)!.path}\n${JSON.stringify(shown, null, 2)}`);
  });
});

describe('google options: the reply', () => {
  it('a thought part that looks like an answer is not the reply; thoughtsTokenCount is reasoningTokens, within tokensOut; modelVersion is the snapshot', async () => {
    const s = await track(f.start());
    s.queue({
      kind: 'text',
      thinking: 'ROUTE: Depot -> Store C -> Store B -> Store A\nCOST: 999',
      text: ROUTE_ANSWER,
      tokensIn: 120,
      tokensOut: 14,
      reasoningTokens: 230,
      model: 'gemini-2.5-flash-preview-09-2025',
    });
    const result = await f.adapter(s).complete({ messages: routesPrompt(1).messages, reasoning: { budgetTokens: 1024 } });
    expect(result).toMatchObject({
      text: ROUTE_ANSWER,
      finishReason: 'stop',
      tokensIn: 120,
      tokensOut: 244,
      reasoningTokens: 230,
      snapshot: { model: 'gemini-2.5-flash-preview-09-2025' },
    });
    expect(result.text).not.toContain('999');
    expect(result.reasoningTokensEstimated).toBeUndefined();
  });

  it('no thinking reported: no reasoningTokens; the snapshot defaults to the model the server names', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'text', text: ROUTE_ANSWER, tokensOut: 14 });
    const result = await f.adapter(s).complete({ messages: routesPrompt(0).messages, reasoning: 'off' });
    expect(result.reasoningTokens).toBeUndefined();
    expect(result.tokensOut).toBe(14);
    expect(result.snapshot).toEqual({ model: 'gemini-2.5-flash' });
  });

  it('no modelVersion in the response: no snapshot', async () => {
    const s = await track(f.start());
    s.queue({
      kind: 'raw',
      body: JSON.stringify({
        candidates: [{ content: { role: 'model', parts: [{ text: 'ok' }] }, finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 1, totalTokenCount: 6 },
      }),
    });
    const result = await f.adapter(s).complete({ messages: routesPrompt(0).messages });
    expect(result.snapshot).toBeUndefined();
    expect(result.reasoningTokens).toBeUndefined();
  });

  it('the thinking-budget trap: MAX_TOKENS after thinking alone is length, text "" and the thinking counted', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'text', text: '', finish: 'length', tokensIn: 300, tokensOut: 0, reasoningTokens: 256 });
    const result = await f.adapter(s).complete({ messages: routesPrompt(1).messages, maxOutputTokens: 256 });
    expect(result).toMatchObject({ text: '', finishReason: 'length', tokensIn: 300, tokensOut: 256, reasoningTokens: 256 });
  });

  it('the trap as the API sends it: a candidate with no parts, no candidatesTokenCount (proto3 omits zeros), thoughtsTokenCount', async () => {
    const s = await track(f.start());
    const trap = {
      candidates: [{ content: { role: 'model' }, finishReason: 'MAX_TOKENS', index: 0 }],
      usageMetadata: { promptTokenCount: 300, thoughtsTokenCount: 256, totalTokenCount: 556 },
      modelVersion: 'gemini-2.5-pro',
      responseId: 'trap-1',
    };
    s.queue({ kind: 'raw', body: JSON.stringify(trap) });
    expect(await f.adapter(s).complete({ messages: routesPrompt(1).messages, maxOutputTokens: 256 })).toMatchObject({
      text: '',
      finishReason: 'length',
      tokensIn: 300,
      tokensOut: 256,
      reasoningTokens: 256,
      snapshot: { model: 'gemini-2.5-pro' },
      requestId: 'trap-1',
    });
    // The fake server renders a thinking-exhausted TextReply in that shape.
    s.queue({ kind: 'text', text: '', finish: 'length', tokensIn: 300, tokensOut: 0, reasoningTokens: 256, model: 'gemini-2.5-pro', requestId: 'trap-1' });
    const res = await fetch(`${s.url}/v1beta/models/gemini-2.5-pro:generateContent`, { method: 'POST', body: JSON.stringify({ contents: [] }) });
    const body = (await res.json()) as { candidates: { content: unknown }[]; usageMetadata: Record<string, unknown> };
    expect(body.candidates[0]!.content).toEqual({ role: 'model' });
    expect(body.usageMetadata).toMatchObject({ promptTokenCount: 300, thoughtsTokenCount: 256, totalTokenCount: 556 });
    expect(body.usageMetadata.candidatesTokenCount).toBeUndefined();
  });

  it('the same with the thought text sent back: the thought is still not the reply', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'text', text: '', finish: 'length', thinking: 'ROUTE: Depot -> Store A', reasoningTokens: 64 });
    const result = await f.adapter(s).complete({ messages: routesPrompt(1).messages, maxOutputTokens: 64 });
    expect(result).toMatchObject({ text: '', finishReason: 'length', tokensOut: 64, reasoningTokens: 64 });
  });

  it('structured output: the JSON text is the reply, as the model wrote it', async () => {
    const s = await track(f.start());
    const json = '{"route":["Depot","Store A","Store B"],"cost":42}';
    s.queue({ kind: 'text', text: json });
    const result = await f.adapter(s).complete({ messages: routesPrompt(0).messages, responseFormat: { type: 'schema', name: 'route', schema: ROUTE_SCHEMA } });
    expect(result.text).toBe(json);
    expect(JSON.parse(result.text)).toEqual({ route: ['Depot', 'Store A', 'Store B'], cost: 42 });
  });
});

describe('google: countTokens', () => {
  it('models.countTokens: the :countTokens path, the system prompt counted as a leading user turn (the Gemini API takes no systemInstruction there), totalTokens', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'text', text: '', tokensIn: 1234 });
    const provider = f.adapter(s);
    expect(provider.capabilities.countTokens).toBe(true);
    const { messages } = routesPrompt(2);
    expect(await provider.countTokens!({ messages, reasoning: { effort: 'high' }, responseFormat: { type: 'json' } })).toBe(1234);
    const req = s.requests[0]!;
    expect(req.path).toBe('/v1beta/models/gemini-2.5-flash:countTokens');
    expect(req.model).toBe('gemini-2.5-flash');
    expect(Object.keys(req.body)).toEqual(['contents']);
    const contents = req.body.contents as { role: string; parts: { text: string }[] }[];
    expect(contents.map((c) => c.role)).toEqual(['user', 'user', 'model', 'user', 'model', 'user']);
    expect(contents[0]!.parts).toEqual([{ text: SYSTEM_PROMPT }]);
    expect(contents.slice(1).map((c) => c.parts[0]!.text)).toEqual(messages.slice(1).map((m) => m.content));
    expect(header(req, 'x-goog-api-key')).toBe('sk-SECRET-SENTINEL-123');
  });

  it('systemPrompt replaces the task’s there too; without a system prompt the turns alone', async () => {
    const s = await track(f.start());
    const { messages } = routesPrompt(0);
    await f.adapter(s).countTokens!({ messages, systemPrompt: 'Be brief.' });
    expect(s.requests[0]!.body.contents[0]).toEqual({ role: 'user', parts: [{ text: 'Be brief.' }] });
    await f.adapter(s).countTokens!({ messages: messages.filter((m) => m.role !== 'system') });
    expect(s.requests[1]!.body.contents).toEqual([{ role: 'user', parts: [{ text: messages.at(-1)!.content }] }]);
  });

  it('counts with the default reply (ceil(chars / 4)); its errors are typed provider errors; a body without totalTokens is malformed', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'text', text: '' }, { kind: 'status', status: 429 }, { kind: 'raw', body: '{}' });
    const request = { messages: [{ role: 'user' as const, content: 'x'.repeat(40) }] };
    expect(await f.adapter(s).countTokens!(request)).toBe(10);
    expect((await rejection(f.adapter(s).countTokens!(request))).kind).toBe('rate_limit');
    expect((await rejection(f.adapter(s).countTokens!(request))).kind).toBe('malformed');
  });
});

describe('vertex', () => {
  const PROJECT = 'fewshot-test-project';
  const LOCATION = 'europe-west4';
  const vertexSettings = (s: FakeServer): HttpProviderSettings => ({
    id: 'vertex:gemini-2.5-flash',
    model: 'gemini-2.5-flash',
    apiKey: 'not-needed',
    baseUrl: s.url,
    timeoutMs: 5_000,
    vertex: { project: PROJECT, location: LOCATION },
  });
  const vertex = (s: FakeServer) => new VertexProvider(vertexSettings(s), { credentials: fakeVertexCredentials(s) });
  const API_PATH = `/v1beta1/projects/${PROJECT}/locations/${LOCATION}/publishers/google/models/gemini-2.5-flash`;

  it('posts to v1beta1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent with a bearer token from the (local) token endpoint', async () => {
    const s = await track(startGeminiServer({ vertex: true }));
    s.queue({ kind: 'text', text: ROUTE_ANSWER, tokensIn: 90, tokensOut: 14, reasoningTokens: 40, model: 'gemini-2.5-flash-001' });
    const provider = vertex(s);
    const result = await provider.complete({ messages: routesPrompt(1).messages, temperature: 0 });
    expect(result).toMatchObject({ text: ROUTE_ANSWER, tokensIn: 90, tokensOut: 54, reasoningTokens: 40, snapshot: { model: 'gemini-2.5-flash-001' } });

    const token = s.requests.filter((r) => !r.routed);
    expect(token.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /token']);
    expect(new URLSearchParams(token[0]!.body).get('grant_type')).toBe('refresh_token');
    const call = s.requests.find((r) => r.routed)!;
    expect(call.path).toBe(`${API_PATH}:generateContent`);
    expect(call.model).toBe('gemini-2.5-flash');
    expect(header(call, 'authorization')).toBe(`Bearer ${VERTEX_ACCESS_TOKEN}`);
    expect(header(call, 'x-goog-api-key')).toBeUndefined();
    expect(call.body.systemInstruction).toEqual({ role: 'user', parts: [{ text: SYSTEM_PROMPT }] });
    expect(call.body.generationConfig).toEqual({ temperature: 0 });

    // The token is cached: a second call asks for none.
    await provider.complete({ messages: routesPrompt(0).messages });
    expect(s.requests.filter((r) => !r.routed)).toHaveLength(1);
    expect(s.requests.filter((r) => r.routed)).toHaveLength(2);
  });

  it('the same options mapping as the Gemini API', async () => {
    const s = await track(startGeminiServer({ vertex: true }));
    const body = await wireBody(
      s,
      { reasoning: { budgetTokens: 1024 }, topP: 0.5, stop: ['END'], seed: 7, responseFormat: { type: 'schema', name: 'route', schema: ROUTE_SCHEMA } },
      vertex(s),
    );
    expect(body.generationConfig).toEqual({
      topP: 0.5,
      stopSequences: ['END'],
      seed: 7,
      responseMimeType: 'application/json',
      responseJsonSchema: ROUTE_SCHEMA,
      thinkingConfig: { thinkingBudget: 1024 },
    });
  });

  it('countTokens on Vertex takes the system prompt as systemInstruction', async () => {
    const s = await track(startGeminiServer({ vertex: true }));
    s.queue({ kind: 'text', text: '', tokensIn: 777 });
    const { messages } = routesPrompt(1);
    expect(await vertex(s).countTokens({ messages })).toBe(777);
    const call = s.requests.find((r) => r.routed)!;
    expect(call.path).toBe(`${API_PATH}:countTokens`);
    expect(call.body.systemInstruction).toEqual({ role: 'user', parts: [{ text: SYSTEM_PROMPT }] });
    expect(call.body.contents.map((c: { role: string }) => c.role)).toEqual(['user', 'model', 'user']);
    expect(header(call, 'authorization')).toBe(`Bearer ${VERTEX_ACCESS_TOKEN}`);
  });

  it('an API key in the environment does not turn Vertex into key auth: the explicit project and location win', async () => {
    vi.stubEnv('GOOGLE_API_KEY', 'sk-SHOULD-NOT-BE-SENT');
    vi.stubEnv('GEMINI_API_KEY', 'sk-SHOULD-NOT-BE-SENT');
    const s = await track(startGeminiServer({ vertex: true }));
    await vertex(s).complete({ messages: routesPrompt(0).messages });
    const call = s.requests.find((r) => r.routed)!;
    expect(call.path).toBe(`${API_PATH}:generateContent`);
    expect(header(call, 'authorization')).toBe(`Bearer ${VERTEX_ACCESS_TOKEN}`);
    expect(JSON.stringify(call.headers)).not.toContain('SHOULD-NOT-BE-SENT');
  });

  it('the fake Vertex endpoint refuses a call without the issued token (401), before the script', async () => {
    const s = await track(startGeminiServer({ vertex: true }));
    const res = await fetch(`${s.url}${API_PATH}:generateContent`, { method: 'POST', headers: { authorization: 'Bearer other' }, body: '{"contents":[]}' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { status: string } }).error.status).toBe('UNAUTHENTICATED');
  });

  it('a refresh the token endpoint refuses is an auth error (which stops the provider), and no API call is made', async () => {
    const s = await track(startGeminiServer({ vertex: true }));
    const provider = new VertexProvider(vertexSettings(s), { credentials: fakeVertexCredentials(s, { revoked: true }) });
    const e = await rejection(provider.complete({ messages: routesPrompt(0).messages }));
    expect(e.kind).toBe('auth');
    expect(e.message).toContain('Token has been expired or revoked.');
    expect(e.message).toContain('gcloud auth application-default login');
    expect(s.requests.filter((r) => r.routed)).toHaveLength(0);
  });

  it('a 401 or 403 from Vertex itself is an auth error; its other errors are classified as the Gemini API’s', async () => {
    const s = await track(startGeminiServer({ vertex: true }));
    s.queue({ kind: 'status', status: 401 }, { kind: 'status', status: 403 }, { kind: 'status', status: 429 }, { kind: 'status', status: 400 });
    const provider = vertex(s);
    const request = { messages: routesPrompt(0).messages };
    expect((await rejection(provider.complete(request))).kind).toBe('auth');
    expect((await rejection(provider.complete(request))).kind).toBe('auth');
    expect((await rejection(provider.complete(request))).kind).toBe('rate_limit');
    expect((await rejection(provider.complete(request))).kind).toBe('bad_request');
  });
});

describe('vertex: Application Default Credentials (the production path, kept on 127.0.0.1)', () => {
  // ADC is read from process.env by google-auth-library. Every way it could leave the machine is shut:
  // the gcloud config directory is an empty one, the metadata server is neither probed
  // (METADATA_SERVER_DETECTION=none) nor, were it asked, anywhere but a closed local port, and the
  // project comes from GOOGLE_CLOUD_PROJECT (no `gcloud config` or metadata lookup).
  function isolateAdc(): string {
    const dir = mkdtempSync(join(tmpdir(), 'fewshot-adc-'));
    vi.stubEnv('CLOUDSDK_CONFIG', dir);
    vi.stubEnv('METADATA_SERVER_DETECTION', 'none');
    vi.stubEnv('GCE_METADATA_HOST', '127.0.0.1:9');
    vi.stubEnv('GCE_METADATA_IP', '127.0.0.1:9');
    vi.stubEnv('GOOGLE_CLOUD_PROJECT', 'fewshot-adc-project');
    vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', undefined);
    return dir;
  }

  it('resolveProvider’s VertexProvider (no injected credentials) authenticates with the key file GOOGLE_APPLICATION_CREDENTIALS names', async () => {
    const dir = isolateAdc();
    const s = await track(startGeminiServer({ vertex: true }));
    const file = join(dir, 'adc.json');
    writeFileSync(file, JSON.stringify(fakeVertexCredentials(s)));
    vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', file);
    const r = resolveProvider({ id: 'vertex:gemini-2.5-flash', baseUrl: s.url, project: 'entry-project', location: 'us-central1' }, null, {});
    if (r.status !== 'ready') throw new Error(r.reason);
    expect((await r.provider.complete({ messages: routesPrompt(0).messages })).text).toBe('ok');
    expect(s.requests.map((q) => `${q.method} ${q.path}`)).toEqual([
      'POST /token',
      'POST /v1beta1/projects/entry-project/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent',
    ]);
    expect(header(s.requests[1]!, 'authorization')).toBe(`Bearer ${VERTEX_ACCESS_TOKEN}`);
  });

  it('no credentials anywhere: an auth error naming ADC, without a network call', async () => {
    isolateAdc();
    const s = await track(startGeminiServer({ vertex: true }));
    const r = resolveProvider({ id: 'vertex:gemini-2.5-flash', baseUrl: s.url, project: 'p', location: 'us-central1', maxAttempts: 1 }, null, {});
    if (r.status !== 'ready') throw new Error(r.reason);
    const e = await rejection(r.provider.complete({ messages: routesPrompt(0).messages }));
    expect(e.kind).toBe('auth');
    expect(e.message).toContain('Could not load the default credentials');
    expect(e.message).toContain('GOOGLE_APPLICATION_CREDENTIALS');
    expect(s.requests).toHaveLength(0);
  });
});

describe('vertex: the registry', () => {
  const entry = { id: 'vertex:gemini-2.5-flash' };

  it('skipped with a notice naming what is missing: project, location, or both', () => {
    const both = resolveProvider(entry, null, {});
    expect(both.status).toBe('skipped');
    if (both.status === 'skipped') {
      expect(both.reason).toContain('GOOGLE_CLOUD_PROJECT (or project:)');
      expect(both.reason).toContain('GOOGLE_CLOUD_LOCATION (or location:)');
      expect(both.reason).toContain('Application Default Credentials');
    }
    const noLocation = resolveProvider(entry, null, { GOOGLE_CLOUD_PROJECT: 'p' });
    expect(noLocation.status === 'skipped' && noLocation.reason).toMatch(/GOOGLE_CLOUD_LOCATION/);
    expect(noLocation.status === 'skipped' && noLocation.reason).not.toMatch(/GOOGLE_CLOUD_PROJECT/);
    const noProject = resolveProvider({ ...entry, location: 'us-central1' }, null, {});
    expect(noProject.status === 'skipped' && noProject.reason).toMatch(/GOOGLE_CLOUD_PROJECT/);
    expect(noProject.status === 'skipped' && noProject.reason).not.toMatch(/GOOGLE_CLOUD_LOCATION/);
  });

  it('ready with the project and location from the entry or the environment, and no key (nothing is called here: that would look for ADC)', () => {
    for (const [config, env] of [
      [{ ...entry, project: 'p', location: 'global' }, {}],
      [entry, { GOOGLE_CLOUD_PROJECT: 'p', GOOGLE_CLOUD_LOCATION: 'us-central1' }],
    ] as const) {
      const r = resolveProvider(config, null, env);
      expect(r.status).toBe('ready');
      if (r.status === 'ready') {
        expect(r.provider.id).toBe('vertex:gemini-2.5-flash');
        expect(r.provider.model).toBe('gemini-2.5-flash');
        expect(r.provider.capabilities.countTokens).toBe(true);
      }
    }
  });
});
