// OpenAI and OpenAI-compatible adapters (src/providers/openai.ts) against the fake Chat Completions
// server through the real openai SDK: what goes on the wire, and how the reply is read.

import { describe, expect, it } from 'vitest';
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
  type FlavourName,
} from './providers-helpers.js';

const track = trackServers();

describe.each<FlavourName>(['openai', 'openai-compatible'])('%s: request shape', (name) => {
  const f = flavour(name);
  const compatible = name === 'openai-compatible';

  it('sends a system message, then the shots as alternating user/assistant turns, then the item', async () => {
    const s = await track(f.start());
    const { messages } = routesPrompt(2);
    await f.adapter(s).complete({ messages, temperature: 0.3, maxOutputTokens: 400 });

    const req = s.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.model).toBe(f.model);
    const sent = req.body.messages as { role: string; content: string }[];
    expect(sent.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
    expect(sent).toEqual(messages.map((m) => ({ role: m.role, content: m.content })));
    expect(sent[0]!.content).toBe(SYSTEM_PROMPT);
    expect(req.body.temperature).toBe(0.3);
    // OpenAI's own API wants max_completion_tokens; compatible servers (Ollama, vLLM) know max_tokens.
    expect(Object.keys(req.body).sort()).toEqual(
      ['max_completion_tokens', 'messages', 'model', 'temperature'].map((k) => (compatible && k === 'max_completion_tokens' ? 'max_tokens' : k)).sort(),
    );
    expect(req.body[compatible ? 'max_tokens' : 'max_completion_tokens']).toBe(400);
    expect(req.body.stream).toBeUndefined();
    expectKeyOnlyInAuthHeader(f, req);
  });

  it('sends no temperature or token limit when the experiment sets none', async () => {
    const s = await track(f.start());
    await f.adapter(s).complete({ messages: routesPrompt(0).messages });
    expect(Object.keys(s.requests[0]!.body).sort()).toEqual(['messages', 'model']);
    expect(s.requests[0]!.body.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user']);
  });

  it('systemPrompt replaces the task system prompt (one system message, the override)', async () => {
    const s = await track(f.start());
    const { messages } = routesPrompt(1);
    await f.adapter(s).complete({ messages, systemPrompt: 'Answer tersely.' });
    const sent = s.requests[0]!.body.messages as { role: string; content: string }[];
    expect(sent.filter((m) => m.role === 'system')).toEqual([{ role: 'system', content: 'Answer tersely.' }]);
    expect(sent[0]!.role).toBe('system');
    expect(JSON.stringify(sent)).not.toContain(SYSTEM_PROMPT.slice(0, 40));
    expect(sent.slice(1).map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  });
});

describe.each<FlavourName>(['openai', 'openai-compatible'])('%s: parsing', (name) => {
  const f = flavour(name);

  it('reads text, stop, usage with cached tokens, the x-request-id and a latency', async () => {
    const s = await track(f.start());
    await expectParsedReply(
      s,
      f.adapter(s),
      { kind: 'text', text: 'ROUTE: Depot -> Store A', tokensIn: 1200, tokensOut: 9, cachedTokens: 1024, requestId: 'req_abc123', delayMs: 5 },
      routesPrompt(1),
    );
  });

  it('finish reasons: length is a truncation, tool_calls is other, content_filter is a refusal', async () => {
    const s = await track(f.start());
    await expectFinishReasons(s, f.adapter(s), [
      { reply: { kind: 'text', text: 'Let me think', finish: 'length' }, expect: 'length', text: 'Let me think' },
      { reply: { kind: 'text', text: '', finish: 'other' }, expect: 'other' },
      { reply: { kind: 'text', text: '', finish: 'refused' }, expect: 'refused-error' },
    ]);
  });

  it('a message.refusal is a refusal even with finish_reason stop', async () => {
    const s = await track(f.start());
    s.queue({
      kind: 'raw',
      body: JSON.stringify({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: "I can't help with that." }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 10, completion_tokens: 5 },
      }),
    });
    const e = await rejection(f.adapter(s).complete({ messages: routesPrompt(0).messages }));
    expect(e.kind).toBe('refused');
    expect(e.message).toContain("I can't help with that.");
  });

  it('cached tokens absent -> 0; a server that reports no usage gets an estimate, not a free call', async () => {
    const s = await track(f.start());
    const body = (usage: unknown) =>
      JSON.stringify({
        id: 'x',
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there' }, finish_reason: 'stop' }],
        ...(usage !== undefined && { usage }),
      });
    s.queue({ kind: 'raw', body: body({ prompt_tokens: 40, completion_tokens: 3 }) }, { kind: 'raw', body: body(undefined) });
    const p = f.adapter(s);
    const { messages } = routesPrompt(0);
    expect(await p.complete({ messages })).toMatchObject({ tokensIn: 40, tokensOut: 3, cachedTokens: 0 });
    const estimated = await p.complete({ messages });
    expect(estimated.tokensIn).toBeGreaterThan(100); // the routes prompt is long
    expect(estimated.tokensOut).toBe(3); // 'Hello there' is 11 characters
    expect(estimated.cachedTokens).toBe(0);
  });
});

it('openai: the key is the Bearer token and nothing else carries it (also on a 401)', async () => {
  const f = flavour('openai');
  const s = await track(f.start());
  s.queue({ kind: 'status', status: 401 });
  const e = await rejection(f.adapter(s).complete({ messages: routesPrompt(0).messages }));
  expect(e.kind).toBe('auth');
  expect(e.message).not.toContain(SENTINEL); // OpenAI echoes a masked key only
  expectKeyOnlyInAuthHeader(f, s.requests[0]!);
});

it('openai-compatible: the OpenAI organization and project the SDK reads from process.env are not sent to a third-party server', async () => {
  const f = flavour('openai-compatible');
  const s = await track(f.start());
  const saved = { org: process.env.OPENAI_ORG_ID, project: process.env.OPENAI_PROJECT_ID };
  process.env.OPENAI_ORG_ID = 'org-PRIVATE';
  process.env.OPENAI_PROJECT_ID = 'proj_PRIVATE';
  try {
    await f.adapter(s).complete({ messages: routesPrompt(0).messages });
  } finally {
    for (const [name, value] of [
      ['OPENAI_ORG_ID', saved.org],
      ['OPENAI_PROJECT_ID', saved.project],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  const headers = s.requests[0]!.headers;
  expect(headers['openai-organization']).toBeUndefined();
  expect(headers['openai-project']).toBeUndefined();
  expect(JSON.stringify(headers)).not.toContain('PRIVATE');
});
