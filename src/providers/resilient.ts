import { Rng } from '../util/rng.js';
import type { CompletionRequest, CompletionResult, Provider } from './provider.js';
import { ProviderError } from './provider.js';
import type { RateLimiter } from './rate-limit.js';
import { withRetries, type RetryPolicy } from './retry.js';
import { estimateTokens } from './tokens.js';

/**
 * Wraps a network provider with the sweep's rate limits and its one retry policy: every try waits
 * for its turn in the rate limiter, transient failures are retried with backoff, and the result
 * (or the final error) says how many tries it took.
 */
export class ResilientProvider implements Provider {
  constructor(
    private readonly inner: Provider,
    private readonly policy: RetryPolicy,
    private readonly limiter: RateLimiter,
    private readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>,
  ) {}

  get id(): string {
    return this.inner.id;
  }

  get model(): string {
    return this.inner.model;
  }

  async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
    // Tokens per minute count the prompt and the most the reply may use.
    const tokens = estimateTokens(request.messages.map((m) => m.content).join('\n')) + (request.maxOutputTokens ?? 0);
    const jitter = new Rng(['retry-jitter', this.inner.id, request.messages.at(-1)?.content ?? '']);
    let tries = 0;
    try {
      const { value, attempts } = await withRetries(
        async () => {
          tries++;
          await this.limiter.acquire(tokens);
          return this.inner.complete(request, signal);
        },
        this.policy,
        jitter,
        { ...(this.sleep && { sleep: this.sleep }), ...(signal && { signal }) },
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
}
