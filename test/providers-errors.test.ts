// Every ProviderError kind, for every adapter, produced by the real SDK from a real HTTP exchange
// (status codes, hangs, dropped sockets, malformed bodies) with the fake servers.

import { describe, expect, it } from 'vitest';
import { FLAVOURS, rejection, routesPrompt, SENTINEL, trackServers } from './providers-helpers.js';

const track = trackServers();
const { messages } = routesPrompt(1);

describe.each(FLAVOURS)('$name: errors', (f) => {
  it('429 -> rate_limit with the retry hint in retryAfterMs', async () => {
    const s = await track(f.start());
    s.queue(f.rateLimited(7));
    const e = await rejection(f.adapter(s).complete({ messages }));
    expect(e).toMatchObject({ kind: 'rate_limit', status: 429, retryAfterMs: 7000 });
    expect(s.requests).toHaveLength(1);
  });

  it('429 without a hint -> rate_limit with retryAfterMs null', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'status', status: 429 });
    const e = await rejection(f.adapter(s).complete({ messages }));
    expect(e.kind).toBe('rate_limit');
    expect(e.retryAfterMs).toBeNull();
  });

  it.each([500, 502, 503, 504, 529])('%i -> server', async (status) => {
    const s = await track(f.start());
    s.queue({ kind: 'status', status });
    const e = await rejection(f.adapter(s).complete({ messages }));
    expect(e.kind === 'server' || (status === 504 && e.kind === 'timeout')).toBe(true);
    expect(e.status).toBe(status);
  });

  it('a 5xx with a text/plain body (a proxy error page) -> server', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'raw', status: 502, body: '<html>Bad Gateway</html>', contentType: 'text/html' });
    const e = await rejection(f.adapter(s).complete({ messages }));
    expect(e).toMatchObject({ kind: 'server', status: 502 });
  });

  it.each([401, 403])('%i -> auth, and the message holds no key', async (status) => {
    const s = await track(f.start());
    s.queue({ kind: 'status', status });
    const e = await rejection(f.adapter(s).complete({ messages }));
    expect(e).toMatchObject({ kind: 'auth', status });
    expect(e.message).not.toContain(SENTINEL);
  });

  it('400 -> bad_request; 404 (unknown model) -> bad_request', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'status', status: 400 }, { kind: 'status', status: 404 });
    const p = f.adapter(s);
    expect(await rejection(p.complete({ messages }))).toMatchObject({ kind: 'bad_request', status: 400 });
    expect(await rejection(p.complete({ messages }))).toMatchObject({ kind: 'bad_request', status: 404 });
  });

  it("the provider's context-length 400 -> context_length", async () => {
    const s = await track(f.start());
    s.queue({ kind: 'status', status: 400, body: f.contextLengthBody() });
    const e = await rejection(f.adapter(s).complete({ messages }));
    expect(e).toMatchObject({ kind: 'context_length', status: 400 });
  });

  it('no answer before timeoutMs -> timeout, promptly', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'hang' });
    const t0 = performance.now();
    const e = await rejection(f.adapter(s, { timeoutMs: 250 }).complete({ messages }));
    expect(e.kind).toBe('timeout');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(200);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it("the caller's abort is not a timeout", async () => {
    const s = await track(f.start());
    s.queue({ kind: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const e = await rejection(f.adapter(s, { timeoutMs: 5000 }).complete({ messages }, controller.signal));
    expect(e.kind).toBe('other');
  });

  it('a dropped connection -> server', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'drop' });
    const e = await rejection(f.adapter(s).complete({ messages }));
    expect(e.kind).toBe('server');
  });

  it('a refused connection (nothing listening) -> server', async () => {
    const s = await track(f.start());
    const provider = f.adapter(s);
    await s.close();
    const e = await rejection(provider.complete({ messages }));
    expect(e.kind).toBe('server');
  });

  it.each([
    ['{} as JSON', { kind: 'raw', body: '{}' }],
    ['an empty JSON body', { kind: 'raw', body: '' }],
    ['not json as text/plain', { kind: 'raw', body: 'not json', contentType: 'text/plain' }],
    ['not json as JSON', { kind: 'raw', body: 'not json' }],
    ['JSON null', { kind: 'raw', body: 'null' }],
    ['a JSON array', { kind: 'raw', body: '[1,2]' }],
  ] as const)('a 200 with %s -> malformed', async (label, reply) => {
    // @google/genai itself throws a bare TypeError on a null body (it sets sdkHttpResponse on it):
    // indistinguishable from any other TypeError, so it stays 'other'.
    if (f.name === 'google' && label === 'JSON null') return;
    const s = await track(f.start());
    s.queue(reply);
    const e = await rejection(f.adapter(s).complete({ messages }));
    expect(e.kind).toBe('malformed');
    expect(e.message).toContain(f.id);
  });
});
