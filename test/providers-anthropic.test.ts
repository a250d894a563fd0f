// Anthropic adapter (src/providers/anthropic.ts) against the fake Messages server through the real
// @anthropic-ai/sdk: system blocks, cache_control on the shot prefix, no temperature, usage with cache.

import { describe, expect, it } from 'vitest';
import { ANTHROPIC_DEFAULT_MAX_TOKENS } from '../src/providers/anthropic.js';
import { SYSTEM_PROMPT } from '../src/tasks/routes.js';
import {
  expectFinishReasons,
  expectKeyOnlyInAuthHeader,
  expectParsedReply,
  flavour,
  rejection,
  routesPrompt,
  SENTINEL,
  trackServers,
} from './providers-helpers.js';

const track = trackServers();
const f = flavour('anthropic');

type Block = { type: string; text: string; cache_control?: unknown };
type Turn = { role: string; content: Block[] };

describe('anthropic: request shape', () => {
  it('system blocks, alternating user/assistant shots, default max_tokens 1024 and no temperature', async () => {
    const s = await track(f.start());
    const { messages } = routesPrompt(2);
    await f.adapter(s).complete({ messages, temperature: 0.7 });

    const req = s.requests[0]!;
    expect(req.path).toBe('/v1/messages');
    expect(req.model).toBe('claude-haiku-4-5');
    expect(req.body.system).toEqual([{ type: 'text', text: SYSTEM_PROMPT }]);
    const turns = req.body.messages as Turn[];
    expect(turns.map((t) => t.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    expect(turns.map((t) => t.content.map((b) => b.text).join(''))).toEqual(messages.slice(1).map((m) => m.content));
    expect(turns.every((t) => t.content.length === 1 && t.content[0]!.type === 'text')).toBe(true);
    expect(req.body.max_tokens).toBe(ANTHROPIC_DEFAULT_MAX_TOKENS);
    expect(ANTHROPIC_DEFAULT_MAX_TOKENS).toBe(1024);
    // The Messages API has deprecated temperature: it is never sent.
    expect(req.body).not.toHaveProperty('temperature');
    expect(Object.keys(req.body).sort()).toEqual(['max_tokens', 'messages', 'model', 'system']);
    expect(req.headers['anthropic-version']).toBeTruthy();
    expect(req.headers['x-api-key']).toBeUndefined();
    expectKeyOnlyInAuthHeader(f, req);
  });

  it('a shared prefix (cachePrefix) long enough to cache: cache_control ephemeral sits on exactly the last shot (assistant) block', async () => {
    const s = await track(f.start());
    // Haiku 4.5 caches prefixes of 4096 tokens and more: a long system prompt makes the prefix that long.
    const systemPrompt = 'Answer with the route only. '.repeat(600);
    for (const k of [1, 2, 3]) await f.adapter(s).complete({ messages: routesPrompt(k).messages, systemPrompt, cachePrefix: true });
    s.requests.forEach((req, i) => {
      const k = i + 1;
      const turns = req.body.messages as Turn[];
      const marked = turns.flatMap((t, ti) => t.content.map((b, bi) => ({ ti, bi, role: t.role, cc: b.cache_control }))).filter((b) => b.cc !== undefined);
      expect(marked).toEqual([{ ti: 2 * k - 1, bi: 0, role: 'assistant', cc: { type: 'ephemeral' } }]);
      expect(turns.at(-1)!.role).toBe('user');
      expect(JSON.stringify(req.body.system)).not.toContain('cache_control');
    });
  });

  it('no cache_control unless the runner says the prefix is shared', async () => {
    const s = await track(f.start());
    const systemPrompt = 'Answer with the route only. '.repeat(600);
    await f.adapter(s).complete({ messages: routesPrompt(3).messages, systemPrompt });
    await f.adapter(s).complete({ messages: routesPrompt(3).messages, systemPrompt, cachePrefix: false });
    for (const req of s.requests) expect(JSON.stringify(req.body)).not.toContain('cache_control');
  });

  it('no cache_control at k = 0', async () => {
    const s = await track(f.start());
    await f.adapter(s).complete({ messages: routesPrompt(0).messages, cachePrefix: true });
    const body = s.requests[0]!.body;
    expect(body.messages.map((t: Turn) => t.role)).toEqual(['user']);
    expect(JSON.stringify(body)).not.toContain('cache_control');
  });

  it('maxOutputTokens becomes max_tokens; systemPrompt replaces the task system prompt', async () => {
    const s = await track(f.start());
    await f.adapter(s).complete({ messages: routesPrompt(1).messages, maxOutputTokens: 300, systemPrompt: 'Answer tersely.' });
    const body = s.requests[0]!.body;
    expect(body.max_tokens).toBe(300);
    expect(body.system).toEqual([{ type: 'text', text: 'Answer tersely.' }]);
    expect(JSON.stringify(body)).not.toContain(SYSTEM_PROMPT.slice(0, 40));
    expect(body.messages.map((t: Turn) => t.role)).toEqual(['user', 'assistant', 'user']);
  });

  it('with no system message and no override, no system field is sent', async () => {
    const s = await track(f.start());
    await f.adapter(s).complete({ messages: [{ role: 'user', content: 'hi' }] });
    expect(s.requests[0]!.body).not.toHaveProperty('system');
  });
});

describe('anthropic: parsing', () => {
  it('text, end_turn, usage: tokensIn = input + cache read + cache write, cachedTokens = cache read; request-id; latency', async () => {
    const s = await track(f.start());
    // The server sends input_tokens = tokensIn - cached - cacheWrite = 1500 - 1024 - 300 = 176.
    await expectParsedReply(s, f.adapter(s), {
      kind: 'text',
      text: 'ROUTE: Depot -> Store B',
      tokensIn: 1500,
      cachedTokens: 1024,
      cacheWriteTokens: 300,
      tokensOut: 12,
      requestId: 'req_011CAbc',
      delayMs: 5,
    });
  });

  it('no cache activity: cachedTokens 0 and tokensIn = input_tokens', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'text', text: 'ok', tokensIn: 321, tokensOut: 1 });
    expect(await f.adapter(s).complete({ messages: routesPrompt(0).messages })).toMatchObject({ tokensIn: 321, cachedTokens: 0 });
  });

  it('finish reasons: stop_sequence is stop, max_tokens is length, pause_turn is other, refusal is refused', async () => {
    const s = await track(f.start());
    await expectFinishReasons(s, f.adapter(s), [
      { reply: { kind: 'text', text: 'a', rawFinish: 'stop_sequence' }, expect: 'stop' },
      { reply: { kind: 'text', text: 'Let me', finish: 'length' }, expect: 'length', text: 'Let me' },
      { reply: { kind: 'text', text: '', finish: 'other' }, expect: 'other' },
      { reply: { kind: 'text', text: '', finish: 'refused' }, expect: 'refused-error' },
    ]);
  });

  it('joins text blocks and ignores thinking blocks', async () => {
    const s = await track(f.start());
    s.queue({
      kind: 'raw',
      body: JSON.stringify({
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-haiku-4-5',
        content: [
          { type: 'thinking', thinking: 'hmm', signature: 'x' },
          { type: 'text', text: 'ROUTE: ' },
          { type: 'text', text: 'Depot -> Store A' },
        ],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 4 },
      }),
      headers: { 'request-id': 'req_raw' },
    });
    expect(await f.adapter(s).complete({ messages: routesPrompt(0).messages })).toMatchObject({
      text: 'ROUTE: Depot -> Store A',
      tokensIn: 10,
      requestId: 'req_raw',
    });
  });

  it('a 401 names no key', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'status', status: 401 });
    const e = await rejection(f.adapter(s).complete({ messages: routesPrompt(0).messages }));
    expect(e.kind).toBe('auth');
    expect(e.message).not.toContain(SENTINEL);
  });
});
