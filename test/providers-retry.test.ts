// Our one retry policy (ResilientProvider via resolveProvider) over each real SDK, with the SDKs' own
// retries off: the fake server counts the HTTP requests, an injected sleep records the waits.

import { describe, expect, it } from 'vitest';
import { ResilientProvider } from '../src/providers/resilient.js';
import { RateLimiter } from '../src/providers/rate-limit.js';
import { DEFAULT_RETRY_POLICY, parseRetryAfter } from '../src/providers/retry.js';
import { fakeSleep, FLAVOURS, rejection, resolveAt, routesPrompt, trackServers } from './providers-helpers.js';

const track = trackServers();
const { messages } = routesPrompt(1);

describe.each(FLAVOURS)('$name: retries', (f) => {
  it("429 then success: 2 requests, attempts 2, the wait is the provider's retry hint", async () => {
    const s = await track(f.start());
    s.queue(f.rateLimited(3), { kind: 'text', text: 'ok' });
    const { delays, sleep } = fakeSleep();
    const r = await resolveAt(f, s, {}, sleep).complete({ messages });
    expect(r.text).toBe('ok');
    expect(r.attempts).toBe(2);
    expect(s.requests).toHaveLength(2);
    expect(delays).toEqual([3000]);
  });

  it('a huge retry hint is capped at retryAfterCapMs', async () => {
    const s = await track(f.start());
    s.queue(f.rateLimited(3600), { kind: 'text', text: 'ok' });
    const { delays, sleep } = fakeSleep();
    expect((await resolveAt(f, s, {}, sleep).complete({ messages })).attempts).toBe(2);
    expect(delays).toEqual([DEFAULT_RETRY_POLICY.retryAfterCapMs]);
  });

  it('500 four times: gives up after maxAttempts (4) with kind server, attempts 4, backoff within its ceilings', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'status', status: 500 });
    const { delays, sleep } = fakeSleep();
    const e = await rejection(resolveAt(f, s, {}, sleep).complete({ messages }));
    expect(e).toMatchObject({ kind: 'server', attempts: 4, status: 500 });
    expect(s.requests).toHaveLength(4);
    expect(delays).toHaveLength(3);
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.baseDelayMs * 2 ** i);
    });
  });

  it('maxAttempts from the experiment: 2 tries, then the error', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'status', status: 503 });
    const e = await rejection(resolveAt(f, s, { maxAttempts: 2 }).complete({ messages }));
    expect(e).toMatchObject({ kind: 'server', attempts: 2 });
    expect(s.requests).toHaveLength(2);
  });

  it('401 is never retried: exactly 1 request', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'status', status: 401 }, { kind: 'text', text: 'ok' });
    const { delays, sleep } = fakeSleep();
    const e = await rejection(resolveAt(f, s, {}, sleep).complete({ messages }));
    expect(e).toMatchObject({ kind: 'auth', attempts: 1 });
    expect(s.requests).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('400 and context-length 400 are never retried', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'status', status: 400 }, { kind: 'status', status: 400, body: f.contextLengthBody() }, { kind: 'text', text: 'ok' });
    const p = resolveAt(f, s);
    expect(await rejection(p.complete({ messages }))).toMatchObject({ kind: 'bad_request', attempts: 1 });
    expect(await rejection(p.complete({ messages }))).toMatchObject({ kind: 'context_length', attempts: 1 });
    expect(s.requests).toHaveLength(2);
  });

  it("the SDK's own retries are off: a single 500 with maxAttempts 1 is exactly 1 request", async () => {
    const s = await track(f.start());
    s.queue({ kind: 'status', status: 500 }, { kind: 'text', text: 'ok' });
    const e = await rejection(resolveAt(f, s, { maxAttempts: 1 }).complete({ messages }));
    expect(e).toMatchObject({ kind: 'server', attempts: 1 });
    // The bare adapter: one 429 and one 503 are one request each.
    s.queue({ kind: 'status', status: 429, headers: { 'retry-after': '0' } }, { kind: 'status', status: 503 }, { kind: 'text', text: 'ok' });
    const bare = f.adapter(s);
    expect((await rejection(bare.complete({ messages }))).kind).toBe('rate_limit');
    expect((await rejection(bare.complete({ messages }))).kind).toBe('server');
    expect(s.requests).toHaveLength(3);
  });

  it('a dropped connection, a malformed body and a timeout are retried', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'drop' }, { kind: 'raw', body: '{}' }, { kind: 'hang' }, { kind: 'text', text: 'fine', requestId: 'req_4' });
    const r = await resolveAt(f, s, { timeoutMs: 200 }).complete({ messages });
    expect(r).toMatchObject({ text: 'fine', attempts: 4 });
    expect(s.requests).toHaveLength(4);
  });

  it('a refusal is not retried', async () => {
    const s = await track(f.start());
    s.queue({ kind: 'text', text: '', finish: 'refused' }, { kind: 'text', text: 'ok' });
    expect(await rejection(resolveAt(f, s).complete({ messages }))).toMatchObject({ kind: 'refused', attempts: 1 });
    expect(s.requests).toHaveLength(1);
  });
});

describe('ResilientProvider', () => {
  it('wraps a bare adapter: the retry count comes back on the result, the waits go through the injected sleep', async () => {
    const f = FLAVOURS[0]!;
    const s = await track(f.start());
    s.queue({ kind: 'status', status: 429, headers: { 'retry-after': '1.5' } }, { kind: 'status', status: 529 }, { kind: 'text', text: 'third' });
    const { delays, sleep } = fakeSleep();
    const p = new ResilientProvider(f.adapter(s), { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100 }, new RateLimiter({}), sleep);
    expect(p.id).toBe(f.id);
    expect(p.model).toBe(f.model);
    const r = await p.complete({ messages });
    expect(r).toMatchObject({ text: 'third', attempts: 3 });
    expect(delays[0]).toBe(1500);
    expect(delays[1]).toBeLessThanOrEqual(200);
  });

  it('the jittered backoff is seeded: the same call waits the same', async () => {
    const f = FLAVOURS[2]!;
    const s = await track(f.start());
    s.queue({ kind: 'status', status: 500 });
    const a = fakeSleep();
    const b = fakeSleep();
    await rejection(resolveAt(f, s, {}, a.sleep).complete({ messages }));
    await rejection(resolveAt(f, s, {}, b.sleep).complete({ messages }));
    expect(a.delays).toEqual(b.delays);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates; ignores junk', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter(new Date(1_000).toUTCString(), 4_000)).toBe(0);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('')).toBeNull();
  });
});
