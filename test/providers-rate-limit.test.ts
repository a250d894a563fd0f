// RateLimiter (src/providers/rate-limit.ts) on a fake clock, plus one short real-time check through
// resolveProvider and a fake server.

import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/providers/rate-limit.js';
import { flavour, resolveAt, routesPrompt, trackServers } from './providers-helpers.js';

const track = trackServers();

/** A clock that only moves when the limiter sleeps. */
function fakeClock() {
  const clock = { t: 0, sleeps: [] as number[] };
  const now = () => clock.t;
  const sleep = async (ms: number) => {
    clock.sleeps.push(ms);
    clock.t += ms;
  };
  return { clock, now, sleep };
}

/** Acquires one after another; returns the fake time at which each was granted. */
async function grantTimes(limiter: RateLimiter, clock: { t: number }, tokens: readonly number[]): Promise<number[]> {
  const times: number[] = [];
  for (const n of tokens) {
    await limiter.acquire(n);
    times.push(clock.t);
  }
  return times;
}

describe('RateLimiter (fake clock)', () => {
  it('no limits: never waits', async () => {
    const { clock, now, sleep } = fakeClock();
    const limiter = new RateLimiter({}, now, sleep);
    expect(limiter.active).toBe(false);
    await grantTimes(limiter, clock, [10, 10, 10, 1_000_000]);
    expect(clock.sleeps).toEqual([]);
  });

  it('requestsPerMinute 60: one call a second, so the 5th starts at 4 s', async () => {
    const { clock, now, sleep } = fakeClock();
    const limiter = new RateLimiter({ requestsPerMinute: 60 }, now, sleep);
    const times = await grantTimes(limiter, clock, [1, 1, 1, 1, 1]);
    expect(times).toEqual([0, 1000, 2000, 3000, 4000]);
  });

  it("requestsPerMinute 600: a burst of one second's allowance (10), then one every 100 ms", async () => {
    const { clock, now, sleep } = fakeClock();
    const limiter = new RateLimiter({ requestsPerMinute: 600 }, now, sleep);
    const times = await grantTimes(limiter, clock, Array(13).fill(1));
    expect(times.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(times.slice(10)).toEqual([100, 200, 300]);
  });

  it("an idle spell refills the bucket, but never beyond one second's allowance", async () => {
    const { clock, now, sleep } = fakeClock();
    const limiter = new RateLimiter({ requestsPerMinute: 120 }, now, sleep); // 2 a second
    await grantTimes(limiter, clock, [1, 1]);
    clock.t += 60_000; // a minute idle
    const start = clock.t;
    const times = await grantTimes(limiter, clock, [1, 1, 1, 1]);
    expect(times.map((t) => t - start)).toEqual([0, 0, 500, 1000]);
  });

  it('tokensPerMinute: paces by tokens; a request bigger than the bucket waits for a full bucket and leaves a debt', async () => {
    const { clock, now, sleep } = fakeClock();
    const limiter = new RateLimiter({ tokensPerMinute: 6000 }, now, sleep); // 100 tokens a second
    const times = await grantTimes(limiter, clock, [60, 60, 250, 10]);
    // 60 at 0 (40 left); 60 more needs 20 more: 200 ms; 250 > 100: waits for a full bucket (1 s), leaves -150;
    // 10 then needs 160: 1.6 s.
    const expected = [0, 200, 1200, 2800];
    times.forEach((t, i) => expect(Math.abs(t - expected[i]!)).toBeLessThanOrEqual(2));
  });

  it('both limits: the tighter one decides', async () => {
    const { clock, now, sleep } = fakeClock();
    const limiter = new RateLimiter({ requestsPerMinute: 600, tokensPerMinute: 60_000 }, now, sleep); // 10 req/s, 1000 tok/s
    const times = await grantTimes(limiter, clock, [500, 500, 500, 500]);
    const expected = [0, 0, 500, 1000];
    times.forEach((t, i) => expect(Math.abs(t - expected[i]!)).toBeLessThanOrEqual(2));
  });

  it('concurrent callers are served in arrival order (a big request is not starved)', async () => {
    const { clock, now, sleep } = fakeClock();
    const limiter = new RateLimiter({ tokensPerMinute: 6000 }, now, sleep);
    const order: string[] = [];
    await Promise.all([
      limiter.acquire(100).then(() => order.push('a')),
      limiter.acquire(100).then(() => order.push('big')),
      limiter.acquire(1).then(() => order.push('small')),
    ]);
    expect(order).toEqual(['a', 'big', 'small']);
    expect(clock.t).toBeGreaterThanOrEqual(1000);
  });
});

describe('RateLimiter (real time, short)', () => {
  it('requestsPerMinute 1200 through resolveProvider: 30 calls take >= ~0.5 s (20 at once, then 20/s)', async () => {
    const f = flavour('openai');
    const s = await track(f.start());
    s.queue({ kind: 'text', text: 'ok' });
    const p = resolveAt(f, s, { requestsPerMinute: 1200 });
    const { messages } = routesPrompt(0);
    const wallStart = Date.now();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 30 }, () => p.complete({ messages })));
    const elapsed = performance.now() - t0;
    expect(s.requests).toHaveLength(30);
    // The bucket holds one second's allowance (20), so the last 10 calls are spaced 50 ms apart.
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(3000);
    // The last request cannot reach the server before its turn (~500 ms in).
    expect(Math.max(...s.requests.map((r) => r.receivedAt)) - wallStart).toBeGreaterThanOrEqual(450);
  });
});
