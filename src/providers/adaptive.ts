import { ProviderError } from './provider.js';

/** A provider's throttle as the progress display shows it. */
export interface ThrottleSnapshot {
  /** Tries allowed in flight now. */
  limit: number;
  /** Where the limit starts and the most it climbs back to: the provider's concurrency (Infinity when the throttle was not told it). */
  max: number;
  /** Tries holding a slot now (waiting in the rate limiter or waiting for the provider's answer). */
  inFlight: number;
  /** 429s seen so far. */
  rateLimited: number;
  /** When the running cool-down ends, on the throttle's clock (Date.now() unless injected); null when none runs. */
  coolingDownUntil: number | null;
}

/** How a try ended, as far as the throttle cares. */
export type TryOutcome =
  | { kind: 'success' }
  /** A 429, with the provider's Retry-After when it sent one. */
  | { kind: 'rate_limit'; retryAfterMs: number | null }
  /** Any other failure, or an abort: neither slows the provider down nor counts towards speeding it up. */
  | { kind: 'other' };

/** Ends a try: frees its slot and reports how it went. Later calls are ignored. */
export type Release = (outcome: TryOutcome) => void;

export type ThrottleSleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface ThrottleOptions {
  /** The provider's concurrency; default unbounded (then the first 429 halves the tries in flight). */
  max?: number;
  /** A Retry-After longer than this is cut to it (retry.ts cuts its waits the same way). */
  coolDownCapMs?: number;
  /** The cool-down after a 429 that came without a Retry-After. */
  defaultCoolDownMs?: number;
  /** The clock, in milliseconds (tests inject a fake one). */
  now?: () => number;
  /** Waits out a cool-down; must resolve (early) when the signal aborts. Tests inject a fake one. */
  sleep?: ThrottleSleep;
  /** Called after each 429 and each change of the limit. */
  onChange?: (snapshot: ThrottleSnapshot) => void;
}

export const DEFAULT_COOL_DOWN_MS = 1_000;
const DEFAULT_COOL_DOWN_CAP_MS = 60_000;

/** Rejection of an acquire() whose signal aborted while it waited. */
export class ThrottleAbortError extends Error {
  constructor() {
    super('aborted while waiting for a slot');
    this.name = 'AbortError';
  }
}

interface Waiter {
  grant: (release: Release) => void;
}

/**
 * One provider's adaptive gate on tries in flight, AIMD as in TCP congestion control. It starts at the
 * provider's concurrency. A 429 halves the tries in flight (at most the limit; never below 1) and starts
 * a cool-down of the provider's Retry-After (capped; 1 s when it sent none) during which no new try
 * starts. 429s from tries that started before the last halving are the same burst and do not halve it
 * again, though each still extends the cool-down to its own Retry-After. Each clean round (as many
 * successes in a row as the limit) raises the limit by one, up to the concurrency. Waiters are served
 * in arrival order.
 *
 * The clock is `now()`, but never behind the end of a completed wait (see elapsed()): a fake sleep
 * injected into the retry layer moves it, so tests with instant retries see cool-downs already passed.
 */
export class AdaptiveThrottle {
  readonly max: number;
  private current: number;
  private inFlight = 0;
  private rateLimited = 0;
  private coolingUntil: number | null = null;
  /** How far completed waits have moved the clock. */
  private advancedTo = -Infinity;
  /** Halvings so far: a try remembers the epoch it started in. */
  private epoch = 0;
  private successes = 0;
  private readonly waiters: Waiter[] = [];
  private timer: { until: number; controller: AbortController } | null = null;
  private readonly now: () => number;
  private readonly sleep: ThrottleSleep;
  private readonly coolDownCapMs: number;
  private readonly defaultCoolDownMs: number;
  private readonly onChange: ((snapshot: ThrottleSnapshot) => void) | undefined;

  constructor(options: ThrottleOptions = {}) {
    const max = options.max ?? Infinity;
    if (!(max === Infinity || (Number.isInteger(max) && max >= 1))) throw new RangeError(`throttle max must be a whole number >= 1, got ${max}`);
    this.max = max;
    this.current = max;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleepUnlessAborted;
    this.coolDownCapMs = options.coolDownCapMs ?? DEFAULT_COOL_DOWN_CAP_MS;
    this.defaultCoolDownMs = options.defaultCoolDownMs ?? DEFAULT_COOL_DOWN_MS;
    this.onChange = options.onChange;
  }

  /** Tries allowed in flight now. */
  get limit(): number {
    return this.current;
  }

  snapshot(): ThrottleSnapshot {
    const until = this.coolingUntil !== null && this.time() < this.coolingUntil ? this.coolingUntil : null;
    return { limit: this.current, max: this.max, inFlight: this.inFlight, rateLimited: this.rateLimited, coolingDownUntil: until };
  }

  /** The throttle's clock: now(), or later where completed waits say more time has passed. */
  time(): number {
    return Math.max(this.now(), this.advancedTo);
  }

  /**
   * Says that a wait of `ms` that began at `start` (a reading of time()) has completed. With real
   * timers this changes nothing; with an injected instant sleep it is what moves the clock.
   */
  elapsed(start: number, ms: number): void {
    const to = start + ms;
    if (to <= this.advancedTo) return;
    this.advancedTo = to;
    this.pump();
  }

  /**
   * Resolves with a Release once a try may start: fewer tries in flight than the limit, no cool-down
   * running, and every earlier waiter served. Rejects with ThrottleAbortError as soon as `signal` aborts.
   */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(new ThrottleAbortError());
    return new Promise<Release>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new ThrottleAbortError());
        this.pump();
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.pump();
    });
  }

  /** Starts whatever may start now; otherwise arms one timer for the end of the cool-down. */
  private pump(): void {
    const t = this.time();
    if (this.coolingUntil !== null && t >= this.coolingUntil) this.coolingUntil = null;
    if (this.coolingUntil !== null) {
      if (this.waiters.length > 0) this.arm(this.coolingUntil, this.coolingUntil - t);
      else this.disarm();
      return;
    }
    this.disarm();
    while (this.waiters.length > 0 && this.inFlight < this.current) {
      this.inFlight++;
      this.waiters.shift()!.grant(this.permit());
    }
  }

  private arm(until: number, ms: number): void {
    if (this.timer?.until === until) return;
    this.disarm();
    const controller = new AbortController();
    this.timer = { until, controller };
    const start = this.time();
    const wait = Math.max(1, Math.ceil(ms));
    this.sleep(wait, controller.signal).then(
      () => {
        if (controller.signal.aborted) return;
        if (this.timer?.controller === controller) this.timer = null;
        this.elapsed(start, wait);
        this.pump();
      },
      () => undefined,
    );
  }

  /** Cancels the cool-down timer: nobody waits on it any more (a forgotten timer would keep the process alive). */
  private disarm(): void {
    if (!this.timer) return;
    this.timer.controller.abort();
    this.timer = null;
  }

  private permit(): Release {
    const epoch = this.epoch;
    let released = false;
    return (outcome) => {
      if (released) return;
      released = true;
      if (outcome.kind === 'rate_limit') this.rateLimit(epoch, outcome.retryAfterMs);
      else if (outcome.kind === 'success') this.succeed();
      this.inFlight--;
      this.pump();
    };
  }

  /** Called while the failed try still counts as in flight. */
  private rateLimit(epoch: number, retryAfterMs: number | null): void {
    this.rateLimited++;
    this.successes = 0;
    if (epoch === this.epoch) {
      this.epoch++;
      this.current = Math.max(1, Math.floor(Math.min(this.current, this.inFlight) / 2));
    }
    const wait = Math.min(Math.max(0, retryAfterMs ?? this.defaultCoolDownMs), this.coolDownCapMs);
    const until = this.time() + wait;
    if (wait > 0 && (this.coolingUntil === null || until > this.coolingUntil)) this.coolingUntil = until;
    this.onChange?.(this.snapshot());
  }

  private succeed(): void {
    this.successes++;
    if (this.successes < this.current) return;
    this.successes = 0;
    if (this.current < this.max) {
      this.current++;
      this.onChange?.(this.snapshot());
    }
  }
}

/** The throttle's view of an error a try ended with. */
export function outcomeOf(err: unknown): TryOutcome {
  if (err instanceof ProviderError && err.kind === 'rate_limit') return { kind: 'rate_limit', retryAfterMs: err.retryAfterMs };
  return { kind: 'other' };
}

/** setTimeout as a promise that resolves early, without error, when the signal aborts. */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
