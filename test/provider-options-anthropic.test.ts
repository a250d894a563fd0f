// Anthropic model options (issue 16) against the fake Messages server through the real
// @anthropic-ai/sdk: reasoning as `thinking`, top_p, stop_sequences, structured output as a forced
// tool, thinking blocks kept out of the reply, reasoning tokens (reported or estimated), the
// snapshot, and messages.countTokens.

import { describe, expect, it } from 'vitest';
import { ANTHROPIC_DEFAULT_MAX_TOKENS, ANTHROPIC_JSON_TOOL } from '../src/providers/anthropic.js';
import type { CompletionRequest } from '../src/providers/provider.js';
import { ANTHROPIC_EFFORT_BUDGET, REASONING_EFFORTS } from '../src/records/model-options.js';
import { SYSTEM_PROMPT } from '../src/tasks/routes.js';
import { flavour, rejection, resolveAt, ROUTE_ANSWER, routesPrompt, trackServers } from './providers-helpers.js';
import type { FakeServer } from './servers/index.js';

const track = trackServers();
const f = flavour('anthropic');

const ROUTE_SCHEMA = {
  type: 'object',
  properties: { route: { type: 'array', items: { type: 'string' } }, cost: { type: 'number' } },
  required: ['route', 'cost'],
};

/** The bare adapter's countTokens (optional on Provider; the Anthropic adapter has it). */
function count(s: FakeServer, request: CompletionRequest): Promise<number> {
  return f.adapter(s).countTokens!(request);
}

/** One call with the options; the wire body the server received. */
async function wireBody(s: FakeServer, options: Omit<CompletionRequest, 'messages'>): Promise<Record<string, unknown>> {
  const before = s.requests.length;
  await f.adapter(s).complete({ messages: routesPrompt(1).messages, ...options });
  return s.requests[before]!.body;
}

/** The body without what every request carries, to show what the options added. */
function optionFields(body: Record<string, unknown>): Record<string, unknown> {
  const { model: _model, max_tokens: _max, messages: _messages, system: _system, ...rest } = body;
  return rest;
}

describe('anthropic options: the wire', () => {
  it('a request without options is unchanged: model, max_tokens, messages, system, in that order', async () => {
    const s = await track(f.start());
    const { messages } = routesPrompt(1);
    await f.adapter(s).complete({ messages });
    const body = s.requests[0]!.body;
    expect(Object.keys(body)).toEqual(['model', 'max_tokens', 'messages', 'system']);
    expect(body.model).toBe(f.model);
    expect(body.max_tokens).toBe(ANTHROPIC_DEFAULT_MAX_TOKENS);
    expect(body.system).toEqual([{ type: 'text', text: SYSTEM_PROMPT }]);
    // Undefined options send nothing either.
    await f.adapter(s).complete({ messages, reasoning: undefined, topP: undefined, stop: undefined, responseFormat: undefined });
    expect(JSON.stringify(s.requests[1]!.body)).toBe(JSON.stringify(body));
  });

  it('reasoning: a budget is thinking.budget_tokens; an effort maps through ANTHROPIC_EFFORT_BUDGET; both: the budget wins; off is disabled', async () => {
    const s = await track(f.start());
    expect(optionFields(await wireBody(s, { reasoning: { budgetTokens: 3000 }, maxOutputTokens: 4000 }))).toEqual({
      thinking: { type: 'enabled', budget_tokens: 3000 },
    });
    for (const effort of REASONING_EFFORTS) {
      const body = await wireBody(s, { reasoning: { effort }, maxOutputTokens: 30_000 });
      expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: ANTHROPIC_EFFORT_BUDGET[effort] });
      expect(body).not.toHaveProperty('reasoning_effort');
    }
    expect(ANTHROPIC_EFFORT_BUDGET).toEqual({ minimal: 1024, low: 2048, medium: 8192, high: 24_576 });
    expect((await wireBody(s, { reasoning: { effort: 'high', budgetTokens: 1500 }, maxOutputTokens: 4000 })).thinking).toEqual({
      type: 'enabled',
      budget_tokens: 1500,
    });
    expect(optionFields(await wireBody(s, { reasoning: 'off' }))).toEqual({ thinking: { type: 'disabled' } });
  });

  it('topP is top_p and stop is stop_sequences; nothing else is added (no temperature, no seed)', async () => {
    const s = await track(f.start());
    const body = await wireBody(s, { topP: 0.9, stop: ['\n\n', 'END'], temperature: 0 });
    expect(optionFields(body)).toEqual({ top_p: 0.9, stop_sequences: ['\n\n', 'END'] });
  });

  it('responseFormat schema: a forced tool named after the schema (sanitized), its input_schema the schema', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'text', text: '', toolInput: { route: ['Depot', 'Store A'], cost: 12 } });
    const r = await f.adapter(s).complete({
      messages: routesPrompt(1).messages,
      responseFormat: { type: 'schema', name: 'route answer.v2', schema: ROUTE_SCHEMA },
    });
    expect(optionFields(s.requests[0]!.body)).toEqual({
      tools: [{ name: 'route_answer_v2', description: expect.stringContaining('route answer.v2'), input_schema: ROUTE_SCHEMA }],
      tool_choice: { type: 'tool', name: 'route_answer_v2' },
    });
    // The tool call is the reply: its input, as JSON; the call ended the turn, which is a stop.
    expect(r).toMatchObject({ text: '{"route":["Depot","Store A"],"cost":12}', finishReason: 'stop' });
    expect(JSON.parse(r.text)).toEqual({ route: ['Depot', 'Store A'], cost: 12 });
  });

  it('responseFormat json: a forced `answer` tool taking any object', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'text', text: '', toolInput: { label: 'spam', confidence: 0.9 } });
    const r = await f.adapter(s).complete({ messages: routesPrompt(0).messages, responseFormat: { type: 'json' } });
    const body = s.requests[0]!.body;
    expect(body.tools).toEqual([{ name: ANTHROPIC_JSON_TOOL, description: expect.any(String), input_schema: { type: 'object' } }]);
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'answer' });
    expect(r.text).toBe('{"label":"spam","confidence":0.9}');
    expect(r.finishReason).toBe('stop');
  });

  it('a schema whose top level is not an object is wrapped in one (tool inputs are objects), and unwrapped from the reply', async () => {
    const s = await track(f.start());
    const schema = { type: 'string', enum: ['spam', 'ham'] };
    s.queue({ kind: 'text', text: '', toolInput: { value: 'ham' } });
    const r = await f.adapter(s).complete({ messages: routesPrompt(0).messages, responseFormat: { type: 'schema', name: 'label', schema } });
    expect(s.requests[0]!.body.tools[0].input_schema).toEqual({ type: 'object', properties: { value: schema }, required: ['value'] });
    expect(r.text).toBe('"ham"');
  });

  it('reasoning with responseFormat is refused before any call (the API forbids thinking with a forced tool); reasoning off is fine', async () => {
    const s = await track(f.start());
    const responseFormat = { type: 'schema', name: 'route', schema: ROUTE_SCHEMA } as const;
    const e = await rejection(
      f.adapter(s).complete({ messages: routesPrompt(1).messages, reasoning: { effort: 'low' }, responseFormat, maxOutputTokens: 4000 }),
    );
    expect(e.kind).toBe('bad_request');
    expect(e.message).toContain(f.id);
    expect(e.message).toMatch(/reasoning: off or drop responseFormat/);
    await expect(count(s, { messages: routesPrompt(1).messages, reasoning: { budgetTokens: 2000 }, responseFormat })).rejects.toMatchObject({
      kind: 'bad_request',
    });
    expect(s.requests).toHaveLength(0);

    s.queue({ kind: 'text', text: '', toolInput: { route: ['Depot'], cost: 0 } });
    const r = await f.adapter(s).complete({ messages: routesPrompt(1).messages, reasoning: 'off', responseFormat });
    expect(optionFields(s.requests[0]!.body)).toMatchObject({ thinking: { type: 'disabled' }, tool_choice: { type: 'tool', name: 'route' } });
    expect(r.text).toBe('{"route":["Depot"],"cost":0}');
  });

  it('the fake server, like the API, answers 400 to thinking with a forced tool', async () => {
    const s = await track(f.start());
    const res = await fetch(`${s.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: f.model,
        max_tokens: 4000,
        messages: [{ role: 'user', content: 'hi' }],
        thinking: { type: 'enabled', budget_tokens: 2048 },
        tools: [{ name: 'answer', input_schema: { type: 'object' } }],
        tool_choice: { type: 'tool', name: 'answer' },
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', message: expect.stringContaining('tool_choice forces tool use') } });
  });

  it('the fake server renders thinking before the text, tool_use under the forced tool name, and the model', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'text', text: 'B', thinking: 'A or B?', model: 'claude-haiku-4-5-20251001' }, { kind: 'text', text: '', toolInput: { a: 1 } });
    const ask = (extra: Record<string, unknown>) =>
      fetch(`${s.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: f.model, max_tokens: 4000, messages: [{ role: 'user', content: 'hi' }], ...extra }),
      }).then((res) => res.json() as Promise<any>);
    const thought = await ask({ thinking: { type: 'enabled', budget_tokens: 2048 } });
    expect(thought.model).toBe('claude-haiku-4-5-20251001');
    expect(thought.content).toEqual([
      { type: 'thinking', thinking: 'A or B?', signature: expect.any(String) },
      { type: 'text', text: 'B' },
    ]);
    expect(thought.usage.output_tokens_details).toBeNull();
    const called = await ask({ tools: [{ name: 'route', input_schema: { type: 'object' } }], tool_choice: { type: 'tool', name: 'route' } });
    expect(called.model).toBe(f.model);
    expect(called.stop_reason).toBe('tool_use');
    expect(called.content).toEqual([{ type: 'tool_use', id: expect.stringMatching(/^toolu_/), caller: { type: 'direct' }, name: 'route', input: { a: 1 } }]);
  });

  it('prints the wire bodies for reasoning: {effort: low} and for responseFormat: {schema} (they cannot be combined)', async () => {
    const s = await track(f.start());
    const messages = [
      { role: 'system' as const, content: 'Answer with the route.' },
      { role: 'user' as const, content: 'Stores: A, B.' },
    ];
    await f.adapter(s).complete({ messages, reasoning: { effort: 'low' }, maxOutputTokens: 4096 });
    s.queue({ kind: 'text', text: '', toolInput: { route: ['Depot', 'A', 'B'], cost: 7 } });
    await f.adapter(s).complete({ messages, responseFormat: { type: 'schema', name: 'route', schema: ROUTE_SCHEMA }, maxOutputTokens: 512 });
    console.log(`anthropic wire body, reasoning: { effort: low }:\n${JSON.stringify(s.requests[0]!.body, null, 2)}`);
    console.log(`anthropic wire body, responseFormat: { schema: route.json }:\n${JSON.stringify(s.requests[1]!.body, null, 2)}`);
    expect(s.requests[0]!.body).toEqual({
      model: f.model,
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Stores: A, B.' }] }],
      system: [{ type: 'text', text: 'Answer with the route.' }],
      thinking: { type: 'enabled', budget_tokens: 2048 },
    });
    expect(Object.keys(s.requests[1]!.body)).toEqual(['model', 'max_tokens', 'messages', 'system', 'tools', 'tool_choice']);
  });
});

describe('anthropic options: the reply', () => {
  it('a thinking block that looks like an answer stays out of the reply; its tokens are estimated and marked', async () => {
    const s = await track(f.start());
    const thinking = `Trying the nearest store first.\n${ROUTE_ANSWER.replace('Store C', 'Store B')}\nNo: Store C is closer.`;
    s.queue({ kind: 'text', text: ROUTE_ANSWER, thinking, tokensOut: 400 });
    const r = await f.adapter(s).complete({ messages: routesPrompt(2).messages, reasoning: { effort: 'low' }, maxOutputTokens: 4000 });
    expect(r.text).toBe(ROUTE_ANSWER);
    expect(r.text).not.toContain('Trying');
    expect(r).toMatchObject({ finishReason: 'stop', tokensOut: 400, reasoningTokens: Math.ceil(thinking.length / 4), reasoningTokensEstimated: true });
  });

  it('a thinking count in usage.output_tokens_details is preferred to the estimate (not marked estimated)', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'text', text: 'ok', thinking: 'x'.repeat(4000), reasoningTokens: 777, tokensOut: 800 });
    const r = await f.adapter(s).complete({ messages: routesPrompt(0).messages, reasoning: { budgetTokens: 2000 }, maxOutputTokens: 4000 });
    expect(r.reasoningTokens).toBe(777);
    expect(r).not.toHaveProperty('reasoningTokensEstimated');
  });

  it('without thinking: no reasoningTokens (thinking_tokens 0 is not thinking)', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'text', text: 'ok' });
    const r = await f.adapter(s).complete({ messages: routesPrompt(0).messages });
    expect(r).not.toHaveProperty('reasoningTokens');
    expect(r).not.toHaveProperty('reasoningTokensEstimated');
  });

  it('thinking and redacted_thinking blocks are never text; the estimate is capped at output_tokens', async () => {
    const s = await track(f.start());
    s.queue({
      kind: 'raw',
      body: JSON.stringify({
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-haiku-4-5-20251001',
        content: [
          { type: 'thinking', thinking: 'ROUTE: Depot -> Store C\nCOST: 1', signature: 'sig' },
          { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB5URj' },
          { type: 'text', text: 'ROUTE: Depot -> Store A' },
        ],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 5 },
      }),
    });
    const r = await f.adapter(s).complete({ messages: routesPrompt(0).messages });
    expect(r).toMatchObject({
      text: 'ROUTE: Depot -> Store A',
      reasoningTokens: 5,
      reasoningTokensEstimated: true,
      snapshot: { model: 'claude-haiku-4-5-20251001' },
    });
  });

  it('cut at max_tokens while thinking, with no text block: length, empty text, reasoning tokens recorded', async () => {
    const s = await track(f.start());
    const thinking = 'Let me compare every ordering of the stores. '.repeat(40);
    s.queue({ kind: 'text', text: '', thinking, finish: 'length', tokensOut: 1100 });
    const r = await f.adapter(s).complete({ messages: routesPrompt(1).messages, reasoning: { effort: 'minimal' }, maxOutputTokens: 1100 });
    expect(r).toMatchObject({ text: '', finishReason: 'length', reasoningTokens: Math.ceil(thinking.length / 4), reasoningTokensEstimated: true });
  });

  it('snapshot: the response model (a dated snapshot), else the requested one echoed', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'text', text: 'ok', model: 'claude-haiku-4-5-20251001' }, { kind: 'text', text: 'ok' });
    expect((await f.adapter(s).complete({ messages: routesPrompt(0).messages })).snapshot).toEqual({ model: 'claude-haiku-4-5-20251001' });
    expect((await f.adapter(s).complete({ messages: routesPrompt(0).messages })).snapshot).toEqual({ model: f.model });
  });

  it('tool_use without responseFormat is not a reply (other), and a forced tool that was not called falls back to the text', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'text', text: 'a', toolInput: { x: 1 } }, { kind: 'text', text: 'plain text', finish: 'length' });
    const r1 = await f.adapter(s).complete({ messages: routesPrompt(0).messages });
    expect(r1).toMatchObject({ text: 'a', finishReason: 'other' });
    const r2 = await f.adapter(s).complete({ messages: routesPrompt(0).messages, responseFormat: { type: 'json' } });
    expect(r2).toMatchObject({ text: 'plain text', finishReason: 'length' });
  });
});

describe('anthropic options: countTokens', () => {
  it('POST /v1/messages/count_tokens with model, messages (as create sends them), system; returns input_tokens', async () => {
    const s = await track(f.start());
    const { messages } = routesPrompt(2);
    const counted = await count(s, { messages });
    const completed = await f.adapter(s).complete({ messages });
    // The server's default count is the same ceil(prompt chars / 4) a message's usage reports.
    expect(counted).toBe(completed.tokensIn);
    expect(counted).toBeGreaterThan(0);
    const req = s.requests[0]!;
    expect(req.path).toBe('/v1/messages/count_tokens');
    expect(Object.keys(req.body)).toEqual(['model', 'messages', 'system']);
    expect(req.body.messages).toEqual(s.requests[1]!.body.messages);
    expect(req.body.system).toEqual([{ type: 'text', text: SYSTEM_PROMPT }]);
  });

  it('thinking and the forced tool are counted too; the scripted count comes back', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'text', text: '', tokensIn: 4321 }, { kind: 'text', text: '', tokensIn: 99 });
    const { messages } = routesPrompt(1);
    expect(await count(s, { messages, reasoning: { effort: 'medium' }, maxOutputTokens: 9000, topP: 0.5, stop: ['x'] })).toBe(4321);
    expect(optionFields(s.requests[0]!.body)).toEqual({ thinking: { type: 'enabled', budget_tokens: 8192 } });
    expect(await count(s, { messages, responseFormat: { type: 'json' } })).toBe(99);
    expect(optionFields(s.requests[1]!.body)).toEqual({
      tools: [{ name: 'answer', description: expect.any(String), input_schema: { type: 'object' } }],
      tool_choice: { type: 'tool', name: 'answer' },
    });
  });

  it('through resolveProvider (the resilient wrapper), and errors are typed', async () => {
    const s = await track(f.start());
    const provider = resolveAt(f, s, { maxAttempts: 1 });
    expect(provider.capabilities.countTokens).toBe(true);
    s.queue({ kind: 'text', text: '', tokensIn: 1234 }, { kind: 'status', status: 401 });
    expect(await provider.countTokens!({ messages: routesPrompt(0).messages })).toBe(1234);
    await expect(provider.countTokens!({ messages: routesPrompt(0).messages })).rejects.toMatchObject({ kind: 'auth' });
    expect(s.requests.map((r) => r.path)).toEqual(['/v1/messages/count_tokens', '/v1/messages/count_tokens']);
  });
});
