// Google adapter (src/providers/google.ts) against the fake Gemini API server through the real
// @google/genai SDK: systemInstruction, user/model turns, generationConfig, usage and refusals.

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
} from './providers-helpers.js';

const track = trackServers();
const f = flavour('google');

type Content = { role: string; parts: { text: string }[] };

describe('google: request shape', () => {
  it('systemInstruction, alternating user/model shots, generationConfig, the model in the path, the key in x-goog-api-key', async () => {
    const s = await track(f.start());
    const { messages } = routesPrompt(2);
    await f.adapter(s).complete({ messages, temperature: 0.2, maxOutputTokens: 500 });

    const req = s.requests[0]!;
    expect(req.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(req.model).toBe('gemini-2.5-flash');
    expect(req.body.systemInstruction).toEqual({ role: 'user', parts: [{ text: SYSTEM_PROMPT }] });
    const contents = req.body.contents as Content[];
    expect(contents.map((c) => c.role)).toEqual(['user', 'model', 'user', 'model', 'user']);
    expect(contents.map((c) => c.parts.map((p) => p.text).join(''))).toEqual(messages.slice(1).map((m) => m.content));
    expect(req.body.generationConfig).toEqual({ temperature: 0.2, maxOutputTokens: 500 });
    expect(JSON.stringify(contents)).not.toContain(SYSTEM_PROMPT.slice(0, 40));
    expect(req.headers.authorization).toBeUndefined();
    expectKeyOnlyInAuthHeader(f, req);
  });

  it('no generationConfig when the experiment sets neither temperature nor a token limit', async () => {
    const s = await track(f.start());
    await f.adapter(s).complete({ messages: routesPrompt(0).messages });
    const body = s.requests[0]!.body;
    expect(body.generationConfig ?? {}).toEqual({});
    expect(body.contents.map((c: Content) => c.role)).toEqual(['user']);
  });

  it('systemPrompt replaces the task system prompt', async () => {
    const s = await track(f.start());
    await f.adapter(s).complete({ messages: routesPrompt(1).messages, systemPrompt: 'Answer tersely.' });
    const body = s.requests[0]!.body;
    expect(body.systemInstruction).toEqual({ role: 'user', parts: [{ text: 'Answer tersely.' }] });
    expect(JSON.stringify(body)).not.toContain(SYSTEM_PROMPT.slice(0, 40));
    expect(body.contents.map((c: Content) => c.role)).toEqual(['user', 'model', 'user']);
  });
});

describe('google: parsing', () => {
  it('text, STOP, usage with cachedContentTokenCount, responseId as the request id, latency', async () => {
    const s = await track(f.start());
    await expectParsedReply(s, f.adapter(s), {
      kind: 'text',
      text: 'ROUTE: Depot -> Store C',
      tokensIn: 900,
      tokensOut: 11,
      cachedTokens: 512,
      requestId: 'resp-42',
      delayMs: 5,
    });
  });

  it('cachedContentTokenCount absent (proto3 omits zeros) -> 0', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'text', text: 'ok', tokensIn: 77, tokensOut: 1 });
    expect(await f.adapter(s).complete({ messages: routesPrompt(0).messages })).toMatchObject({ tokensIn: 77, tokensOut: 1, cachedTokens: 0 });
  });

  it('finish reasons: MAX_TOKENS is length, OTHER is other, SAFETY and RECITATION are refusals', async () => {
    const s = await track(f.start());
    await expectFinishReasons(s, f.adapter(s), [
      { reply: { kind: 'text', text: 'Let me', finish: 'length' }, expect: 'length', text: 'Let me' },
      { reply: { kind: 'text', text: 'x', finish: 'other' }, expect: 'other' },
      { reply: { kind: 'text', text: '', finish: 'refused' }, expect: 'refused-error' },
      { reply: { kind: 'text', text: 'quoted text', rawFinish: 'RECITATION' }, expect: 'refused-error' },
    ]);
  });

  it('a blocked prompt (promptFeedback.blockReason, no candidates) is refused', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'raw', body: JSON.stringify({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 10 }, responseId: 'r1' }) });
    const e = await rejection(f.adapter(s).complete({ messages: routesPrompt(0).messages }));
    expect(e.kind).toBe('refused');
    expect(e.message).toContain('SAFETY');
  });

  it('thought parts are not the answer, but thinking tokens count as output', async () => {
    const s = await track(f.start());
    s.queue({
      kind: 'raw',
      body: JSON.stringify({
        candidates: [
          { content: { role: 'model', parts: [{ text: 'pondering...', thought: true }, { text: 'ROUTE: Depot -> Store A' }] }, finishReason: 'STOP', index: 0 },
        ],
        usageMetadata: { promptTokenCount: 50, candidatesTokenCount: 7, thoughtsTokenCount: 40, totalTokenCount: 97 },
        responseId: 'r2',
      }),
    });
    expect(await f.adapter(s).complete({ messages: routesPrompt(0).messages })).toMatchObject({
      text: 'ROUTE: Depot -> Store A',
      tokensIn: 50,
      tokensOut: 47,
      requestId: 'r2',
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
