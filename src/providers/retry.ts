import { Rng } from '../util/rng.js';
import { ProviderError, type ProviderErrorKind } from './provider.js';

/** One retry policy for every provider (the SDKs' own retries are switched off, so no call is retried twice over). */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A provider's Retry-After is honoured up to this; longer waits are cut to it. */
  retryAfterCapMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 20_000, retryAfterCapMs: 60_000 };

/** Transient failures worth another try; the rest (auth, bad request, refusals, context length) would fail again. */
const RETRYABLE: ReadonlySet<ProviderErrorKind> = new Set(['rate_limit', 'server', 'timeout', 'malformed']);

export function isRetryable(err: unknown): boolean {
  return err instanceof ProviderError && RETRYABLE.has(err.kind);
}

export interface RetryHooks {
  /** Waits; tests and the scheduler may replace it. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called before each retry, e.g. to slow a provider down after a 429. */
  onRetry?: (err: ProviderError, attempt: number, delayMs: number) => void;
  /** Asked before each retry with the try that failed: false gives up (the caller cannot afford another try). */
  shouldRetry?: (err: ProviderError) => boolean;
  signal?: AbortSignal;
}

/**
 * Runs `call` until it succeeds, fails with a non-retryable error, or runs out of tries.
 * Delay: the provider's Retry-After when given (capped), else exponential backoff with full
 * jitter (seeded, so a rerun waits the same). The last error is rethrown for the trial record.
 */
export async function withRetries<T>(
  call: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  jitter: Rng,
  hooks: RetryHooks = {},
): Promise<{ value: T; attempts: number }> {
  const sleep = hooks.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await call(attempt), attempts: attempt };
    } catch (err) {
      if (!isRetryable(err) || attempt >= policy.maxAttempts || hooks.signal?.aborted) throw err;
      if (hooks.shouldRetry && !hooks.shouldRetry(err as ProviderError)) throw err;
      const delay = retryDelay(err as ProviderError, attempt, policy, jitter);
      hooks.onRetry?.(err as ProviderError, attempt, delay);
      await sleep(delay, hooks.signal);
    }
  }
}

export function retryDelay(err: ProviderError, attempt: number, policy: RetryPolicy, jitter: Rng): number {
  if (err.retryAfterMs !== null) return Math.min(Math.max(0, err.retryAfterMs), policy.retryAfterCapMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(jitter.next() * ceiling);
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    // The listener goes when the wait ends either way: a long-lived signal must not collect one per retry.
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Retry-After as seconds or an HTTP date, in milliseconds; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
