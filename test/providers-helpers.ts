// Shared helpers for the provider tests (test/providers-*.test.ts): the REAL SDK clients, wrapped by
// our adapters, talk to the fake wire-format servers in test/servers/ on 127.0.0.1. Nothing is stubbed.

import { afterEach, expect } from 'vitest';
import type { ProviderConfig } from '../src/config/schema.js';
import { AnthropicProvider } from '../src/providers/anthropic.js';
import { GoogleProvider } from '../src/providers/google.js';
import { OpenAIProvider, type HttpProviderSettings } from '../src/providers/openai.js';
import { ProviderError, type FinishReason, type Provider } from '../src/providers/provider.js';
import { resolveProvider, type ProviderResolution } from '../src/providers/registry.js';
import { localBaseline } from '../src/tasks/local-baseline.js';
import { createRoutesTask } from '../src/tasks/routes.js';
import type { ChatMessage, Task, TaskItem } from '../src/tasks/task.js';
import {
  anthropicContextLengthBody,
  geminiContextLengthBody,
  geminiRateLimitBody,
  openAIContextLengthBody,
  startAnthropicServer,
  startGeminiServer,
  startOpenAIServer,
  type FakeServer,
  type RecordedRequest,
  type Reply,
  type TextReply,
} from './servers/index.js';

/** A key that must never show up anywhere but the auth header. */
export const SENTINEL = 'sk-SECRET-SENTINEL-123';

/** A route answer in the shape the routes task parses (3-store instances). */
export const ROUTE_ANSWER = 'ROUTE: Depot -> Store A -> Store B -> Store C\nCOST: 100';

/** Starts servers for one test file and closes them after each test. Call at the top level of a file. */
export function trackServers(): <T extends FakeServer>(p: Promise<T>) => Promise<T> {
  const open: FakeServer[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return async (p) => {
    const s = await p;
    open.push(s);
    return s;
  };
}

/** A sleep that returns at once and records what it was asked to wait. */
export function fakeSleep(): { delays: number[]; sleep: (ms: number) => Promise<void> } {
  const delays: number[] = [];
  return {
    delays,
    sleep: async (ms: number) => {
      delays.push(ms);
    },
  };
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ProviderError);
    return e as ProviderError;
  }
  throw new Error('expected a rejection');
}

/**
 * Scripts one text reply and checks the provider maps it whole: text, `stop`, usage (prompt tokens
 * with the cached ones included), the request id, and a measured latency.
 */
export async function expectParsedReply(
  s: FakeServer,
  provider: Provider,
  reply: TextReply & { tokensIn: number; tokensOut: number; cachedTokens: number; requestId: string },
  prompt = routesPrompt(2),
): Promise<void> {
  s.queue(reply);
  const r = await provider.complete({ messages: prompt.messages });
  const { text, tokensIn, tokensOut, cachedTokens, requestId } = reply;
  expect(r).toMatchObject({ text, finishReason: 'stop', tokensIn, tokensOut, cachedTokens, requestId });
  expect(r.latencyMs).toBeGreaterThan(0);
}

/**
 * Scripts one reply per case on the server and asks the provider once per case, in order: each
 * answer must end with the expected finish reason (and text, when given), or be a `refused` error.
 */
export async function expectFinishReasons(
  s: FakeServer,
  provider: Provider,
  cases: readonly { reply: Reply; expect: FinishReason | 'refused-error'; text?: string }[],
): Promise<void> {
  s.queue(...cases.map((c) => c.reply));
  const { messages } = routesPrompt(0);
  for (const c of cases) {
    if (c.expect === 'refused-error') {
      expect((await rejection(provider.complete({ messages }))).kind).toBe('refused');
      continue;
    }
    const result = await provider.complete({ messages });
    expect(result.finishReason).toBe(c.expect);
    if (c.text !== undefined) expect(result.text).toBe(c.text);
  }
}

// ---------------------------------------------------------------------------------------------
// Realistic messages: the routes task renders system, (user, assistant) per shot, then the item.

export const routesTask = createRoutesTask({ stores: { min: 3, max: 3 }, windowTightness: 0.3, poolSize: 4, evalItems: 4 }, 7) as unknown as Task;

export function routesPrompt(k: number): { messages: ChatMessage[]; shots: TaskItem[]; item: TaskItem } {
  const data = routesTask.load();
  const shots = data.pool.slice(0, k);
  const item = data.items[0]!;
  return { messages: routesTask.render(shots, item), shots, item };
}

/** Routes experiment YAML; each provider is a flow-style map (e.g. `{ id: local }`). */
export function routesExperimentYaml(
  name: string,
  providers: readonly Record<string, unknown>[],
  extra = '',
  size: { evalItems?: number; shots?: string } = {},
): string {
  const list = providers.map((p) => `  - ${JSON.stringify(p)}`).join('\n');
  return [
    `name: ${name}`,
    'seed: 3',
    `task: { type: routes, stores: { min: 3, max: 3 }, windowTightness: 0.3, poolSize: 4, evalItems: ${size.evalItems ?? 3} }`,
    `shots: ${size.shots ?? '[0, 2]'}`,
    'concurrency: 2',
    'providers:',
    list,
    extra,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The four provider flavours, so error/retry/concurrency tests can run over each of them.

export type FlavourName = 'openai' | 'openai-compatible' | 'anthropic' | 'google';

export interface Flavour {
  name: FlavourName;
  model: string;
  /** As written in an experiment. */
  id: string;
  /** The environment variable resolveProvider reads the key from in these tests. */
  keyVariable: string;
  start(): Promise<FakeServer>;
  /** What an experiment's `baseUrl` must say to reach the server. */
  baseUrl(s: FakeServer): string;
  /** The bare adapter (no retries, no rate limits). */
  adapter(s: FakeServer, options?: { apiKey?: string; timeoutMs?: number }): Provider;
  /** An experiment provider entry pointing at the server. */
  config(s: FakeServer, extra?: Partial<ProviderConfig>): ProviderConfig;
  /** The header that carries the key, and the key as read back from it. */
  authHeader: string;
  keyFrom(req: RecordedRequest): string | undefined;
  contextLengthBody(): unknown;
  /** A 429 with the provider's retry hint (Retry-After header; Gemini: RetryInfo in the body). */
  rateLimited(seconds: number): Reply;
}

function settings(f: { id: string; model: string }, baseUrl: string, options: { apiKey?: string; timeoutMs?: number } = {}): HttpProviderSettings {
  return { id: f.id, model: f.model, apiKey: options.apiKey ?? SENTINEL, baseUrl, timeoutMs: options.timeoutMs ?? 5_000 };
}

const header = (req: RecordedRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};
const bearer = (req: RecordedRequest) => header(req, 'authorization')?.replace(/^Bearer /, '');

function openAIFlavour(compatible: boolean): Flavour {
  const name = compatible ? 'openai-compatible' : 'openai';
  const model = compatible ? 'llama3' : 'gpt-4o-mini';
  const id = `${name}:${model}`;
  return {
    name,
    model,
    id,
    keyVariable: compatible ? 'LOCAL_LLM_KEY' : 'OPENAI_API_KEY',
    start: startOpenAIServer,
    baseUrl: (s) => `${s.url}/v1`,
    adapter: (s, o) => new OpenAIProvider(settings({ id, model }, `${s.url}/v1`, o), compatible),
    config: (s, extra) => ({ id, baseUrl: `${s.url}/v1`, ...(compatible && { apiKeyEnv: 'LOCAL_LLM_KEY' }), ...extra }),
    authHeader: 'authorization',
    keyFrom: bearer,
    contextLengthBody: () => openAIContextLengthBody(),
    rateLimited: (seconds) => ({ kind: 'status', status: 429, headers: { 'retry-after': String(seconds) } }),
  };
}

export const FLAVOURS: readonly Flavour[] = [
  openAIFlavour(false),
  openAIFlavour(true),
  {
    name: 'anthropic',
    model: 'claude-haiku-4-5',
    id: 'anthropic:claude-haiku-4-5',
    keyVariable: 'ANTHROPIC_API_KEY',
    start: startAnthropicServer,
    baseUrl: (s) => s.url,
    adapter: (s, o) => new AnthropicProvider(settings({ id: 'anthropic:claude-haiku-4-5', model: 'claude-haiku-4-5' }, s.url, o)),
    config: (s, extra) => ({ id: 'anthropic:claude-haiku-4-5', baseUrl: s.url, ...extra }),
    authHeader: 'authorization',
    keyFrom: bearer,
    contextLengthBody: () => anthropicContextLengthBody(),
    rateLimited: (seconds) => ({ kind: 'status', status: 429, headers: { 'retry-after': String(seconds) } }),
  },
  {
    name: 'google',
    model: 'gemini-2.5-flash',
    id: 'google:gemini-2.5-flash',
    keyVariable: 'GEMINI_API_KEY',
    start: startGeminiServer,
    baseUrl: (s) => s.url,
    adapter: (s, o) => new GoogleProvider(settings({ id: 'google:gemini-2.5-flash', model: 'gemini-2.5-flash' }, s.url, o)),
    config: (s, extra) => ({ id: 'google:gemini-2.5-flash', baseUrl: s.url, ...extra }),
    authHeader: 'x-goog-api-key',
    keyFrom: (req) => header(req, 'x-goog-api-key'),
    contextLengthBody: () => geminiContextLengthBody(),
    // @google/genai keeps no headers on its errors: the hint is the body's RetryInfo only.
    rateLimited: (seconds) => ({ kind: 'status', status: 429, body: geminiRateLimitBody(seconds) }),
  },
];

export function flavour(name: FlavourName): Flavour {
  return FLAVOURS.find((f) => f.name === name)!;
}

/** resolveProvider for a flavour pointed at a server, with the sentinel key in a private env. */
export function resolveAt(f: Flavour, s: FakeServer, extra: Partial<ProviderConfig> = {}, sleep: (ms: number) => Promise<void> = async () => {}): Provider {
  const resolution: ProviderResolution = resolveProvider(f.config(s, extra), localBaseline(routesTask), { [f.keyVariable]: SENTINEL }, { sleep });
  if (resolution.status !== 'ready') throw new Error(`${f.id} was skipped: ${resolution.reason}`);
  return resolution.provider;
}

/** The key reached the server in the auth header and nowhere else (no other header, not the URL, not the body). */
export function expectKeyOnlyInAuthHeader(f: Flavour, req: RecordedRequest, key = SENTINEL): void {
  expect(f.keyFrom(req)).toBe(key);
  if (f.authHeader === 'authorization') expect(header(req, 'authorization')).toBe(`Bearer ${key}`);
  for (const [name, value] of Object.entries(req.headers)) {
    if (name === f.authHeader) continue;
    expect(String(value), `header ${name}`).not.toContain(key);
  }
  expect(req.path).not.toContain(key);
  expect(JSON.stringify(req.body ?? null)).not.toContain(key);
}
