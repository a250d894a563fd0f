/** Requests and tokens a provider accepts per minute (either may be absent). */
export interface RateLimits {
  requestsPerMinute?: number | undefined;
  tokensPerMinute?: number | undefined;
}

/**
 * Two token buckets (requests, tokens) refilled continuously at the per-minute rates. Each holds
 * one second's allowance, so calls are paced evenly rather than fired in a minute-sized burst.
 * A request larger than the token bucket starts once the bucket is full and leaves it in debt, so
 * the long-run rate still holds. Callers wait in arrival order: large requests are not starved.
 */
export class RateLimiter {
  private requests: number;
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly limits: RateLimits,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.requests = this.requestCapacity;
    this.tokens = this.tokenCapacity;
    this.last = now();
  }

  private get requestCapacity(): number {
    const rpm = this.limits.requestsPerMinute;
    return rpm === undefined ? Infinity : Math.max(1, rpm / 60);
  }

  private get tokenCapacity(): number {
    const tpm = this.limits.tokensPerMinute;
    return tpm === undefined ? Infinity : Math.max(1, tpm / 60);
  }

  get active(): boolean {
    return this.limits.requestsPerMinute !== undefined || this.limits.tokensPerMinute !== undefined;
  }

  /** Resolves when one request of `tokens` tokens may start. */
  acquire(tokens: number): Promise<void> {
    if (!this.active) return Promise.resolve();
    const turn = this.queue.then(() => this.take(tokens));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async take(tokens: number): Promise<void> {
    const rpm = this.limits.requestsPerMinute;
    const tpm = this.limits.tokensPerMinute;
    const need = tpm !== undefined ? Math.min(tokens, this.tokenCapacity) : 0;
    for (;;) {
      this.refill();
      if (this.requests >= 1 && this.tokens >= need) {
        this.requests -= 1;
        if (tpm !== undefined) this.tokens -= tokens;
        return;
      }
      const waitRequests = rpm !== undefined && this.requests < 1 ? ((1 - this.requests) / rpm) * 60_000 : 0;
      const waitTokens = tpm !== undefined && this.tokens < need ? ((need - this.tokens) / tpm) * 60_000 : 0;
      await this.sleep(Math.max(1, Math.ceil(Math.max(waitRequests, waitTokens))));
    }
  }

  private refill(): void {
    const t = this.now();
    const elapsed = Math.max(0, t - this.last);
    this.last = t;
    const { requestsPerMinute: rpm, tokensPerMinute: tpm } = this.limits;
    if (rpm !== undefined) this.requests = Math.min(this.requestCapacity, this.requests + (elapsed / 60_000) * rpm);
    if (tpm !== undefined) this.tokens = Math.min(this.tokenCapacity, this.tokens + (elapsed / 60_000) * tpm);
  }
}
