// resolveProvider (src/providers/registry.ts): keys only from the env object passed in, skip reasons,
// apiKeyEnv, base URL precedence (YAML baseUrl > env[<SDK variable>] > SDK default), settings passed through.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../src/config/schema.js';
import { resolveProvider, type ProviderResolution } from '../src/providers/registry.js';
import { localBaseline } from '../src/tasks/local-baseline.js';
import { expectKeyOnlyInAuthHeader, flavour, routesPrompt, routesTask, SENTINEL, trackServers } from './providers-helpers.js';
import { startAnthropicServer, startGeminiServer, startOpenAIServer } from './servers/index.js';

const track = trackServers();
const { messages } = routesPrompt(0);

function resolve(config: ProviderConfig, env: NodeJS.ProcessEnv): ProviderResolution {
  return resolveProvider(config, localBaseline(routesTask), env, { sleep: async () => {} });
}

function ready(r: ProviderResolution) {
  if (r.status !== 'ready') throw new Error(`skipped: ${r.reason}`);
  return r;
}

describe('keys', () => {
  it.each([
    ['openai:gpt-4o-mini', 'OPENAI_API_KEY'],
    ['anthropic:claude-haiku-4-5', 'ANTHROPIC_API_KEY'],
    ['google:gemini-2.5-flash', 'GEMINI_API_KEY or GOOGLE_API_KEY'],
  ])('%s without a key is skipped, naming %s', (id, names) => {
    const r = resolve({ id, baseUrl: 'http://127.0.0.1:9' }, { UNRELATED: 'x', OPENAI_API_KEY_OLD: 'y' });
    expect(r.status).toBe('skipped');
    if (r.status === 'skipped') expect(r.reason).toContain(names);
  });

  it('an empty variable counts as missing', () => {
    expect(resolve({ id: 'openai:gpt-4o-mini' }, { OPENAI_API_KEY: '' }).status).toBe('skipped');
  });

  it('keys come from the env object passed in, not from process.env', () => {
    const saved = process.env.OPENAI_API_KEY;
    process.env.OPENAI_API_KEY = 'sk-from-process-env';
    try {
      expect(resolve({ id: 'openai:gpt-4o-mini' }, {}).status).toBe('skipped');
    } finally {
      if (saved === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = saved;
    }
  });

  it('google: GOOGLE_API_KEY alone works; GEMINI_API_KEY wins when both are set', async () => {
    const f = flavour('google');
    const s = await track(f.start());
    await ready(resolve({ id: f.id, baseUrl: s.url }, { GOOGLE_API_KEY: SENTINEL })).provider.complete({ messages });
    await ready(resolve({ id: f.id, baseUrl: s.url }, { GOOGLE_API_KEY: 'other-key', GEMINI_API_KEY: SENTINEL })).provider.complete({ messages });
    expect(s.requests.map((r) => r.headers['x-goog-api-key'])).toEqual([SENTINEL, SENTINEL]);
    expectKeyOnlyInAuthHeader(f, s.requests[0]!);
  });

  it('openai-compatible without a baseUrl is skipped with a reason', () => {
    const r = resolve({ id: 'openai-compatible:llama3' }, {});
    expect(r.status).toBe('skipped');
    if (r.status === 'skipped') expect(r.reason).toMatch(/baseUrl/);
  });

  it('openai-compatible without apiKeyEnv runs keyless, and never forwards OPENAI_API_KEY to a third-party server', async () => {
    const s = await track(startOpenAIServer());
    const r = ready(resolve({ id: 'openai-compatible:llama3', baseUrl: `${s.url}/v1` }, { OPENAI_API_KEY: SENTINEL }));
    await r.provider.complete({ messages });
    expect(s.requests[0]!.headers.authorization).toBe('Bearer not-needed');
    expect(JSON.stringify(s.requests[0]!.headers)).not.toContain(SENTINEL);
  });

  it('apiKeyEnv is honoured (and names the variable when it is missing)', async () => {
    const s = await track(startOpenAIServer());
    const compatible: ProviderConfig = { id: 'openai-compatible:llama3', baseUrl: `${s.url}/v1`, apiKeyEnv: 'OPENROUTER_API_KEY' };
    const missing = resolve(compatible, { OPENAI_API_KEY: 'sk-wrong' });
    expect(missing.status).toBe('skipped');
    if (missing.status === 'skipped') expect(missing.reason).toContain('OPENROUTER_API_KEY');

    await ready(resolve(compatible, { OPENROUTER_API_KEY: SENTINEL })).provider.complete({ messages });
    // On a native kind too: apiKeyEnv replaces the default variable.
    const openai: ProviderConfig = { id: 'openai:gpt-4o-mini', baseUrl: `${s.url}/v1`, apiKeyEnv: 'TEAM_OPENAI_KEY' };
    expect(resolve(openai, { OPENAI_API_KEY: 'sk-wrong' }).status).toBe('skipped');
    await ready(resolve(openai, { OPENAI_API_KEY: 'sk-wrong', TEAM_OPENAI_KEY: SENTINEL })).provider.complete({ messages });
    expect(s.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${SENTINEL}`, `Bearer ${SENTINEL}`]);
  });

  it('local needs no key', () => {
    expect(resolve({ id: 'local' }, {}).status).toBe('ready');
  });
});

describe('base URL: YAML baseUrl > env[<SDK variable>] > SDK default', () => {
  const VARIABLES = ['OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'GOOGLE_GEMINI_BASE_URL'] as const;
  const saved: Partial<Record<string, string | undefined>> = {};
  // The SDKs read process.env themselves: point it at a closed local port, so a test that fell through
  // to process.env fails with a connection error instead of reaching anything.
  beforeEach(() => {
    for (const v of VARIABLES) {
      saved[v] = process.env[v];
      process.env[v] = 'http://127.0.0.1:9';
    }
  });
  afterEach(() => {
    for (const v of VARIABLES) {
      if (saved[v] === undefined) delete process.env[v];
      else process.env[v] = saved[v];
    }
  });

  const cases = [
    { id: 'openai:gpt-4o-mini', keyVar: 'OPENAI_API_KEY', urlVar: 'OPENAI_BASE_URL', start: startOpenAIServer, suffix: '/v1' },
    { id: 'anthropic:claude-haiku-4-5', keyVar: 'ANTHROPIC_API_KEY', urlVar: 'ANTHROPIC_BASE_URL', start: startAnthropicServer, suffix: '' },
    { id: 'google:gemini-2.5-flash', keyVar: 'GEMINI_API_KEY', urlVar: 'GOOGLE_GEMINI_BASE_URL', start: startGeminiServer, suffix: '' },
  ];

  it.each(cases)('$id: $urlVar in the env object is honoured when the YAML has no baseUrl', async ({ id, keyVar, urlVar, start, suffix }) => {
    const s = await track(start());
    const r = ready(resolve({ id }, { [keyVar]: SENTINEL, [urlVar]: `${s.url}${suffix}` }));
    expect((await r.provider.complete({ messages })).text).toBe('ok');
    expect(s.requests).toHaveLength(1);
  });

  it.each(cases)('$id: the YAML baseUrl wins over $urlVar', async ({ id, keyVar, urlVar, start, suffix }) => {
    const fromEnv = await track(start());
    const fromYaml = await track(start());
    const r = ready(resolve({ id, baseUrl: `${fromYaml.url}${suffix}` }, { [keyVar]: SENTINEL, [urlVar]: `${fromEnv.url}${suffix}` }));
    await r.provider.complete({ messages });
    expect(fromYaml.requests).toHaveLength(1);
    expect(fromEnv.requests).toHaveLength(0);
  });

  it('openai-compatible ignores OPENAI_BASE_URL: it needs its own baseUrl', () => {
    const r = resolve({ id: 'openai-compatible:llama3' }, { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
    expect(r.status).toBe('skipped');
  });
});

describe('settings', () => {
  it('timeoutMs reaches the SDK (Gemini announces it in X-Server-Timeout); default 60 s', async () => {
    const s = await track(startGeminiServer());
    const env = { GEMINI_API_KEY: SENTINEL };
    await ready(resolve({ id: 'google:gemini-2.5-flash', baseUrl: s.url }, env)).provider.complete({ messages });
    await ready(resolve({ id: 'google:gemini-2.5-flash', baseUrl: s.url, timeoutMs: 2500 }, env)).provider.complete({ messages });
    expect(s.requests.map((r) => r.headers['x-server-timeout'])).toEqual(['60', '3']);
  });

  it('anthropic with a temperature: a notice says it is not sent', () => {
    const r = ready(resolve({ id: 'anthropic:claude-haiku-4-5', temperature: 0.5, baseUrl: 'http://127.0.0.1:9' }, { ANTHROPIC_API_KEY: SENTINEL }));
    expect(r.notices?.join('\n')).toMatch(/temperature is not sent/);
    expect(r.notices?.join('\n')).not.toContain(SENTINEL);
    const openai = ready(resolve({ id: 'openai:gpt-4o-mini', temperature: 0.5, baseUrl: 'http://127.0.0.1:9' }, { OPENAI_API_KEY: SENTINEL }));
    expect(openai.notices ?? []).toEqual([]);
  });

  it('the resolved provider keeps the id and model', () => {
    const r = ready(resolve({ id: 'openai-compatible:qwen2.5:7b', baseUrl: 'http://127.0.0.1:9/v1' }, {}));
    expect(r.provider.id).toBe('openai-compatible:qwen2.5:7b');
    expect(r.provider.model).toBe('qwen2.5:7b');
  });
});
