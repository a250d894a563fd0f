// AdaptiveThrottle (src/providers/adaptive.ts) on a fake clock: AIMD on 429s, Retry-After cool-downs,
// arrival order, aborts. Then ResilientProvider over it: outcomes reach the throttle, aborts are prompt.

import { describe, expect, it } from 'vitest';
import { AdaptiveThrottle, ThrottleAbortError, type Release, type ThrottleOptions } from '../src/providers/adaptive.js';
import { DEFAULT_CAPABILITIES, ProviderError, type CompletionRequest, type CompletionResult, type Provider } from '../src/providers/provider.js';
import { RateLimiter } from '../src/providers/rate-limit.js';
import { ResilientProvider } from '../src/providers/resilient.js';
import { resolveProvider } from '../src/providers/registry.js';
import { DEFAULT_RETRY_POLICY } from '../src/providers/retry.js';
import type { ProviderConfig } from '../src/config/schema.js';
import { localBaseline } from '../src/tasks/local-baseline.js';
import { routesTask } from './providers-helpers.js';

/** A clock that moves only when the test says so; sleeps are timers on it. */
function fakeClock() {
  let t = 0;
  const timers: { at: number; resolve: () => void }[] = [];
  const settle = () => new Promise<void>((r) => setImmediate(r));
  return {
    now: () => t,
    sleep(ms: number, signal: AbortSignal): Promise<void> {
      return new Promise<void>((resolve) => {
        const timer = { at: t + ms, resolve };
        timers.push(timer);
        signal.addEventListener(
          'abort',
          () => {
            timers.splice(timers.indexOf(timer), 1);
            resolve();
          },
          { once: true },
        );
      });
    },
    /** Moves the clock by `ms`, firing due timers in order and letting their effects settle. */
    async advance(ms: number): Promise<void> {
      const end = t + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (!next || next.at > end) break;
        timers.shift();
        t = next.at;
        next.resolve();
        await settle();
      }
      t = end;
      await settle();
    },
    pendingTimers: () => timers.length,
    settle,
  };
}

function setup(options: Omit<ThrottleOptions, 'now' | 'sleep'> = {}) {
  const clock = fakeClock();
  const limits: number[] = [];
  const throttle = new AdaptiveThrottle({ ...options, now: clock.now, sleep: clock.sleep.bind(clock), onChange: (s) => limits.push(s.limit) });
  return { clock, throttle, limits };
}

/** Tracks an acquire: `granted` once it resolves, `error` once it rejects. */
function track(p: Promise<Release>) {
  const state: { release: Release | null; error: unknown } = { release: null, error: null };
  p.then(
    (r) => (state.release = r),
    (e: unknown) => (state.error = e),
  );
  return state;
}

async function acquireN(throttle: AdaptiveThrottle, n: number): Promise<Release[]> {
  const out: Release[] = [];
  for (let i = 0; i < n; i++) out.push(await throttle.acquire());
  return out;
}

const ok = { kind: 'success' } as const;
const limited = (retryAfterMs: number | null = null) => ({ kind: 'rate_limit', retryAfterMs }) as const;

describe('AdaptiveThrottle', () => {
  it('starts at max: max tries at once, the next waits for a release', async () => {
    const { throttle, clock } = setup({ max: 3 });
    const held = await acquireN(throttle, 3);
    const fourth = track(throttle.acquire());
    await clock.settle();
    expect(fourth.release).toBeNull();
    expect(throttle.snapshot()).toEqual({ limit: 3, max: 3, inFlight: 3, rateLimited: 0, coolingDownUntil: null });
    held[0]!(ok);
    await clock.settle();
    expect(fourth.release).not.toBeNull();
    expect(throttle.snapshot().inFlight).toBe(3);
  });

  it('a burst of 429s from tries already in flight halves the limit once; a 429 after the cool-down halves it again', async () => {
    const { throttle, clock, limits } = setup({ max: 8 });
    const held = await acquireN(throttle, 8);
    for (const release of held) release(limited(100));
    expect(throttle.snapshot()).toMatchObject({ limit: 4, inFlight: 0, rateLimited: 8, coolingDownUntil: 100 });
    await clock.advance(100);
    const again = await acquireN(throttle, 4);
    again[0]!(limited(100));
    expect(throttle.limit).toBe(2);
    // The other three started before that halving: the same burst.
    for (const release of again.slice(1)) release(limited(100));
    expect(throttle.limit).toBe(2);
    expect(limits).toEqual([4, 4, 4, 4, 4, 4, 4, 4, 2, 2, 2, 2]);
  });

  it('halves the tries actually in flight when fewer than the limit; an unbounded throttle halves from its flight', async () => {
    const a = setup({ max: 8 });
    const two = await acquireN(a.throttle, 2);
    two[0]!(limited(0));
    expect(a.throttle.limit).toBe(1);
    const b = setup();
    expect(b.throttle.limit).toBe(Infinity);
    const six = await acquireN(b.throttle, 6);
    six[0]!(limited(0));
    expect(b.throttle.limit).toBe(3);
  });

  it('never below 1', async () => {
    const { throttle, clock } = setup({ max: 1 });
    for (let i = 0; i < 3; i++) {
      (await throttle.acquire())(limited(10));
      expect(throttle.limit).toBe(1);
      await clock.advance(10);
    }
    expect(throttle.snapshot()).toMatchObject({ limit: 1, rateLimited: 3 });
  });

  it('a cool-down holds every new try until the Retry-After has passed, then lets them go in arrival order', async () => {
    const { throttle, clock } = setup({ max: 4 });
    const [first] = await acquireN(throttle, 1);
    first!(limited(500));
    expect(throttle.snapshot()).toMatchObject({ limit: 1, coolingDownUntil: 500 });
    const order: string[] = [];
    const a = track(throttle.acquire().then((r) => (order.push('a'), r)));
    const b = track(throttle.acquire().then((r) => (order.push('b'), r)));
    await clock.advance(499);
    expect(a.release).toBeNull();
    expect(b.release).toBeNull();
    await clock.advance(1);
    expect(a.release).not.toBeNull();
    expect(b.release).toBeNull(); // limit 1
    expect(throttle.snapshot().coolingDownUntil).toBeNull();
    a.release!(ok); // a clean round at limit 1: the limit goes to 2
    await clock.settle();
    expect(order).toEqual(['a', 'b']);
    expect(throttle.limit).toBe(2);
  });

  it('each 429 extends the cool-down to its own Retry-After, never shortens it; no hint means 1 s; long hints are capped', async () => {
    const { throttle, clock } = setup({ max: 4, coolDownCapMs: 5_000 });
    const held = await acquireN(throttle, 3);
    held[0]!(limited(300));
    held[1]!(limited(100));
    expect(throttle.snapshot().coolingDownUntil).toBe(300);
    held[2]!(limited(null));
    expect(throttle.snapshot().coolingDownUntil).toBe(1_000);
    await clock.advance(1_000);
    (await throttle.acquire())(limited(3_600_000));
    expect(throttle.snapshot().coolingDownUntil).toBe(6_000);
    const waiting = track(throttle.acquire());
    await clock.advance(4_999);
    expect(waiting.release).toBeNull();
    await clock.advance(1);
    expect(waiting.release).not.toBeNull();
  });

  it('additive increase: one step per clean round (as many successes as the limit), capped at max; a 429 restarts the round', async () => {
    const { throttle, clock } = setup({ max: 4 });
    const run = async (outcomes: ('ok' | '429')[]) => {
      for (const o of outcomes) {
        (await throttle.acquire())(o === 'ok' ? ok : limited(0));
        await clock.settle();
      }
    };
    const held = await acquireN(throttle, 4);
    held[0]!(limited(0));
    expect(throttle.limit).toBe(2);
    held[1]!(ok);
    held[2]!(limited(0)); // the same burst: no second halving, but the round starts over
    expect(throttle.limit).toBe(2);
    held[3]!(ok);
    expect(throttle.limit).toBe(2);
    await run(['ok']);
    expect(throttle.limit).toBe(3);
    await run(['ok', 'ok']);
    expect(throttle.limit).toBe(3);
    await run(['ok']);
    expect(throttle.limit).toBe(4);
    await run(Array(20).fill('ok'));
    expect(throttle.limit).toBe(4);
    await run(['429']); // one try in flight: halved to 1
    expect(throttle.limit).toBe(1);
    await run(['ok']);
    expect(throttle.limit).toBe(2);
    await run(['ok', 'ok']);
    expect(throttle.limit).toBe(3);
  });

  it('other failures neither slow it down nor count towards speeding it up', async () => {
    const { throttle } = setup({ max: 4 });
    (await throttle.acquire())(limited(0));
    expect(throttle.limit).toBe(1);
    for (let i = 0; i < 5; i++) (await throttle.acquire())({ kind: 'other' });
    expect(throttle.limit).toBe(1);
  });

  it('an abort while waiting (for a slot or for a cool-down) rejects at once and frees nothing it did not hold', async () => {
    const { throttle, clock } = setup({ max: 1 });
    const [held] = await acquireN(throttle, 1);
    const controller = new AbortController();
    const waiting = track(throttle.acquire(controller.signal));
    const behind = track(throttle.acquire());
    await clock.settle();
    controller.abort();
    await clock.settle();
    expect(waiting.error).toBeInstanceOf(ThrottleAbortError);
    expect(behind.release).toBeNull();
    expect(throttle.snapshot().inFlight).toBe(1);
    held!(limited(60_000));
    await clock.settle();
    expect(behind.release).toBeNull(); // cooling down
    expect(clock.pendingTimers()).toBe(1);

    const c2 = new AbortController();
    const second = track(throttle.acquire(c2.signal));
    c2.abort();
    await clock.settle();
    expect(second.error).toBeInstanceOf(ThrottleAbortError);
    // Already aborted: rejected without queueing.
    await expect(throttle.acquire(c2.signal)).rejects.toBeInstanceOf(ThrottleAbortError);
    await clock.advance(60_000);
    expect(behind.release).not.toBeNull();
    expect(throttle.snapshot().inFlight).toBe(1);
  });

  it('leaves no timer behind once nobody waits for the cool-down', async () => {
    const { throttle, clock } = setup({ max: 2 });
    (await throttle.acquire())(limited(60_000));
    expect(clock.pendingTimers()).toBe(0); // no waiter, no timer
    const controller = new AbortController();
    track(throttle.acquire(controller.signal));
    await clock.settle();
    expect(clock.pendingTimers()).toBe(1);
    controller.abort();
    await clock.settle();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('elapsed(): a completed wait moves its clock, so a cool-down passes with an instant (injected) retry sleep', async () => {
    const { throttle, clock } = setup({ max: 2 });
    (await throttle.acquire())(limited(1_000));
    const waiting = track(throttle.acquire());
    await clock.settle();
    expect(waiting.release).toBeNull();
    throttle.elapsed(throttle.time(), 1_000);
    await clock.settle();
    expect(waiting.release).not.toBeNull();
    expect(throttle.time()).toBe(1_000);
    expect(clock.now()).toBe(0);
  });
});

/** A provider that answers from a script of outcomes, one per call. */
class ScriptedProvider implements Provider {
  readonly id = 'openai:scripted';
  readonly model = 'scripted';
  readonly capabilities = DEFAULT_CAPABILITIES;
  calls = 0;
  constructor(private readonly script: (call: number) => 'ok' | ProviderError) {}
  async complete(_request: CompletionRequest): Promise<CompletionResult> {
    const step = this.script(this.calls++);
    await new Promise((r) => setTimeout(r, 1));
    if (step instanceof ProviderError) throw step;
    return { text: 'ok', finishReason: 'stop', tokensIn: 1, tokensOut: 1, cachedTokens: 0, latencyMs: 1, requestId: null };
  }
}

const request: CompletionRequest = { messages: [{ role: 'user', content: 'hi' }] };

describe('ResilientProvider with a throttle', () => {
  it('reports every try: 429s halve and count, the retry waits the cool-down (moved by the injected sleep), success counts', async () => {
    const inner = new ScriptedProvider((i) => (i < 2 ? new ProviderError('rate_limit', '429', 2_000, 429) : 'ok'));
    const throttle = new AdaptiveThrottle({ max: 4 });
    const delays: number[] = [];
    const p = new ResilientProvider(inner, DEFAULT_RETRY_POLICY, new RateLimiter({}), async (ms) => void delays.push(ms), throttle);
    expect(p.throttle).toBe(throttle);
    const started = Date.now();
    const r = await p.complete(request);
    expect(Date.now() - started).toBeLessThan(1_900); // the 2 s cool-downs passed on the injected clock (a real one alone takes 2 s)
    expect(r.attempts).toBe(3);
    expect(delays).toEqual([2_000, 2_000]);
    expect(throttle.snapshot()).toMatchObject({ limit: 2, inFlight: 0, rateLimited: 2 });
  });

  it("an abort while waiting out another call's cool-down rejects promptly, as an aborted call", async () => {
    const inner = new ScriptedProvider((i) => (i === 0 ? new ProviderError('rate_limit', '429', 60_000, 429) : 'ok'));
    const p = new ResilientProvider(inner, { ...DEFAULT_RETRY_POLICY, maxAttempts: 1 }, new RateLimiter({}), undefined, new AdaptiveThrottle({ max: 2 }));
    await expect(p.complete(request)).rejects.toMatchObject({ kind: 'rate_limit' });
    expect(p.throttle.snapshot().coolingDownUntil).toBeGreaterThan(Date.now() + 50_000);
    const controller = new AbortController();
    const started = Date.now();
    const pending = p.complete(request, controller.signal);
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ kind: 'other', message: 'openai:scripted: call aborted' });
    expect(Date.now() - started).toBeLessThan(10_000); // not the 60 s cool-down
    expect(inner.calls).toBe(1);
    expect(p.throttle.snapshot().inFlight).toBe(0);
  });

  it('an abort during the retry wait ends the call at once', async () => {
    const inner = new ScriptedProvider(() => new ProviderError('rate_limit', '429', 60_000, 429));
    const p = new ResilientProvider(inner, DEFAULT_RETRY_POLICY, new RateLimiter({}), undefined, new AdaptiveThrottle({ max: 2 }));
    const controller = new AbortController();
    const started = Date.now();
    const pending = p.complete(request, controller.signal);
    setTimeout(() => controller.abort(), 30);
    await expect(pending).rejects.toMatchObject({ kind: 'other', message: 'openai:scripted: call aborted' });
    expect(Date.now() - started).toBeLessThan(10_000); // not the 60 s cool-down
    expect(inner.calls).toBe(1);
  });
});

describe('resolveProvider: one throttle per provider', () => {
  const env = { OPENAI_API_KEY: 'sk-test' };
  const resolve = (config: Record<string, unknown>, options: Parameters<typeof resolveProvider>[3] = {}) => {
    const r = resolveProvider(
      { id: 'openai:gpt-4o-mini', baseUrl: 'http://127.0.0.1:9/v1', ...config } as ProviderConfig,
      localBaseline(routesTask),
      env,
      options,
    );
    if (r.status !== 'ready') throw new Error(r.reason);
    return r;
  };

  it("starts at the provider's concurrency, else the experiment's (options.concurrency), else unbounded", () => {
    expect(resolve({ concurrency: 3 }, { concurrency: 16 }).throttle!.snapshot().max).toBe(3);
    expect(resolve({}, { concurrency: 16 }).throttle!.snapshot()).toMatchObject({ limit: 16, max: 16 });
    expect(resolve({}).throttle!.limit).toBe(Infinity);
  });

  it('each resolution has its own, the one its provider uses', () => {
    const a = resolve({});
    const b = resolve({});
    expect(a.throttle).not.toBe(b.throttle);
    expect((a.provider as ResilientProvider).throttle).toBe(a.throttle);
  });
});
