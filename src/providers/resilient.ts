import type { BatchEngine } from './provider.js';
import { Rng } from '../util/rng.js';
import { AdaptiveThrottle, outcomeOf, sleepUnlessAborted, ThrottleAbortError, type Release, type TryOutcome } from './adaptive.js';
import type { CompletionRequest, CompletionResult, Provider, ProviderCapabilities } from './provider.js';
import { ProviderError } from './provider.js';
import type { RateLimiter } from './rate-limit.js';
import { withRetries, type RetryPolicy } from './retry.js';
import { estimateTokens } from './tokens.js';

/**
 * Wraps a network provider with the sweep's rate limits and its one retry policy: every try (the
 * first and each retry) waits for a slot in the provider's adaptive throttle (fewer tries in flight
 * after 429s, none during a Retry-After cool-down), then for its turn in the rate limiter; transient
 * failures are retried with backoff, and the result (or the final error) says how many tries it took.
 */
export class ResilientProvider implements Provider {
  private readonly gate: AdaptiveThrottle;

  constructor(
    private readonly inner: Provider,
    private readonly policy: RetryPolicy,
    private readonly limiter: RateLimiter,
    private readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>,
    /** One per provider (the registry makes it); absent: an unbounded one of its own. */
    throttle?: AdaptiveThrottle,
  ) {
    this.gate = throttle ?? new AdaptiveThrottle({ coolDownCapMs: policy.retryAfterCapMs });
  }

  get id(): string {
    return this.inner.id;
  }

  get model(): string {
    return this.inner.model;
  }

  get capabilities(): ProviderCapabilities {
    return this.inner.capabilities;
  }

  /** The inner provider's token count (no retries: a free endpoint, asked once per distinct prompt). */
  countTokens(request: CompletionRequest, signal?: AbortSignal): Promise<number> {
    if (!this.inner.countTokens) return Promise.reject(new ProviderError('bad_request', `${this.id}: the API has no token-counting endpoint`));
    return this.inner.countTokens(request, signal);
  }

  /** The inner provider's batch engine, as is: a job's calls are few and the runner polls at its own pace. */
  get batch(): BatchEngine | undefined {
    return this.inner.batch;
  }

  /** This provider's adaptive throttle: `throttle.snapshot()` is its state for a progress display. */
  get throttle(): AdaptiveThrottle {
    return this.gate;
  }

  async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
    // Tokens per minute count the prompt and the most the reply may use.
    const tokens = estimateTokens(request.messages.map((m) => m.content).join('\n')) + (request.maxOutputTokens ?? 0);
    const jitter = new Rng(['retry-jitter', this.inner.id, request.messages.at(-1)?.content ?? '']);
    const sleep = this.sleep ?? sleepUnlessAborted;
    // A completed retry wait tells the throttle that time has passed (an injected instant sleep moves its clock).
    const retrySleep = async (ms: number, s?: AbortSignal) => {
      const start = this.gate.time();
      await sleep(ms, s);
      if (!s?.aborted) this.gate.elapsed(start, ms);
    };
    let tries = 0;
    try {
      const { value, attempts } = await withRetries(
        async () => {
          tries++;
          const release = await this.enter(signal);
          let outcome: TryOutcome = { kind: 'other' };
          try {
            await untilAborted(this.limiter.acquire(tokens), signal, () => this.aborted());
            const result = await this.inner.complete(request, signal);
            outcome = { kind: 'success' };
            return result;
          } catch (err) {
            outcome = outcomeOf(err);
            throw err;
          } finally {
            release(outcome);
          }
        },
        this.policy,
        jitter,
        { sleep: retrySleep, ...(signal && { signal }), ...(request.beforeRetry && { shouldRetry: request.beforeRetry }) },
      );
      return { ...value, attempts };
    } catch (err) {
      if (err instanceof ProviderError) {
        err.attempts = tries;
        throw err;
      }
      throw err;
    }
  }

  private async enter(signal: AbortSignal | undefined): Promise<Release> {
    try {
      return await this.gate.acquire(signal);
    } catch (err) {
      if (err instanceof ThrottleAbortError) throw this.aborted();
      throw err;
    }
  }

  private aborted(): ProviderError {
    return new ProviderError('other', `${this.inner.id}: call aborted`);
  }
}

/** The promise, or a rejection as soon as the signal aborts (the work behind the promise goes on). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, error: () => Error): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(error());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(error());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
