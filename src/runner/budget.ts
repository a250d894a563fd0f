import { costPerRequest, resolvePrice, type PriceOverrides, type ResolvedPrice } from '../config/prices.js';
import { failureBilling } from '../providers/classify-error.js';
import type { EarlierAttemptsSpend, SpendRecord } from '../records/run-info.js';

/** Output tokens assumed for a call whose maxOutputTokens is not known (no limit set, not Anthropic). */
export const UNKNOWN_MAX_OUTPUT_TOKENS = 4096;

/** A sweep that would not start within its `budget` (or cannot be priced): exit 2, nothing was run. */
export class BudgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BudgetError';
  }
}

function money(n: number, currency: string): string {
  return `${n.toFixed(n < 1 ? 4 : 2)} ${currency}`;
}

/**
 * What checkBudgetEstimate reads of a provider's dry-run estimate (estimate.ts's ProviderEstimate;
 * named here because estimate.ts renders prompts through execute.ts, which imports this file).
 */
export interface BudgetEstimate {
  /** The provider's name (its label, else its id). */
  provider: string;
  /** Its id, where prices are looked up, when the name is a label. */
  id?: string;
  calls: number;
  promptTokens: number;
  cost: { upToWithOutput: number | null; currency: string } | null;
}

/**
 * Before the first call: the summed upper bound of the dry-run estimate (every reply at
 * maxOutputTokens; UNKNOWN_MAX_OUTPUT_TOKENS per call where no maximum is known) against the
 * budget. Throws BudgetError unless `force`; returns notices to log when forced past a refusal.
 */
export function checkBudgetEstimate(estimates: readonly BudgetEstimate[], budget: number, force: boolean, prices: PriceOverrides | null): string[] {
  const unpriced = estimates.filter((e) => (e.id ?? e.provider) !== 'local' && e.calls > 0 && e.cost === null).map((e) => e.id ?? e.provider);
  let total = 0;
  let currency = 'USD';
  for (const e of estimates) {
    if ((e.id ?? e.provider) === 'local' || e.cost === null) continue;
    currency = e.cost.currency;
    if (e.cost.upToWithOutput !== null) total += e.cost.upToWithOutput;
    else {
      const price = resolvePrice(e.id ?? e.provider, prices)!;
      total += costPerRequest(price, e.promptTokens, e.calls * UNKNOWN_MAX_OUTPUT_TOKENS);
    }
  }
  const notices: string[] = [];
  if (unpriced.length > 0) {
    const message =
      `budget ${money(budget, currency)}: the cost is unknown, no price for ${unpriced.join(', ')}; add one under prices: in the experiment ` +
      `(e.g. prices: { "${unpriced[0]}": { input: 0.5, output: 1.5 } }, per 1M tokens), or pass --force to run anyway (unpriced calls are not counted against the budget)`;
    if (!force) throw new BudgetError(message);
    notices.push(`${message} (forced)`);
  }
  if (total > budget) {
    const message = `estimated cost up to ${money(total, currency)} (every reply at maxOutputTokens) exceeds the budget of ${money(budget, currency)}; raise budget:, trim the sweep, or pass --force to run until the budget is reached`;
    if (!force) throw new BudgetError(message);
    notices.push(`${message} (forced)`);
  }
  return notices;
}

/**
 * Before the first call, with a judge (AdaptGauge's `task.judge`): a judge without a price could not
 * be held to the budget, so the sweep refuses to start (BudgetError) unless `force`, as for an
 * unpriced provider. The dry-run estimate does not count judge calls (their prompts hold answers not
 * yet given); during the run each one is reserved at its worst case like any call.
 */
export function checkJudgePrice(judge: string, budget: number, force: boolean, prices: PriceOverrides | null): string[] {
  if (resolvePrice(judge, prices)) return [];
  const message =
    `budget ${money(budget, 'USD')}: the judge's cost is unknown, no price for ${judge}; add one under prices: in the experiment ` +
    `(e.g. prices: { "${judge}": { input: 0.5, output: 1.5 } }, per 1M tokens), or pass --force to run anyway (unpriced judge calls are not counted against the budget)`;
  if (!force) throw new BudgetError(message);
  return [`${message} (forced)`];
}

/** Where a tracker writes each reservation and settlement as it happens (spend-ledger.ts's SpendLedger), so a killed run's spend outlives it. */
export interface SpendSink {
  reserved(amount: number): void;
  settled(reservation: number, cost: number): void;
}

/**
 * The spending cap during a run. A call starts only when spent (by this attempt and by the earlier
 * attempts of the run it resumes) + reserved + its worst case fits the budget; its reservation is
 * replaced by its real cost when it completes, or by what the provider may bill when it fails
 * (settleFailed). Single-threaded: reserve() is synchronous, so concurrent calls cannot both take the
 * last of the budget. Judge calls (passed with `judge`, the judge's provider id) go through the same
 * cap at the judge's price; their cost is booked by judge, and a judge call that cannot fit counts as
 * a trial not run for the judged provider.
 */
export class BudgetTracker {
  private spent = 0;
  private reserved = 0;
  private earlier: EarlierAttemptsSpend | null = null;
  private sink: SpendSink | null = null;
  private readonly failed = { calls: 0, cost: 0 };
  private readonly batchSpend = { total: 0, requests: 0, byProvider: new Map<string, number>() };
  private readonly byProvider = new Map<string, number>();
  private readonly byJudge = new Map<string, number>();
  private readonly skipped = new Map<string, number>();
  private readonly prices = new Map<string, ResolvedPrice | null>();
  readonly currency: string;

  constructor(
    readonly budget: number | null,
    /** Ids, or names (labels) with the id their price is looked up by. */
    providers: readonly (string | { name: string; id: string })[],
    overrides: PriceOverrides | null,
    /** The judges' provider ids (AdaptGauge's `task.judge`), priced like providers. */
    judges: readonly string[] = [],
  ) {
    let currency = 'USD';
    const named = [...providers, ...judges].map((p) => (typeof p === 'string' ? { name: p, id: p } : p));
    for (const { name, id } of named) {
      const price = id === 'local' ? null : resolvePrice(id, overrides);
      this.prices.set(name, price);
      if (price) currency = price.currency;
    }
    for (const { name, id } of named.slice(0, providers.length)) if (id !== 'local') this.byProvider.set(name, 0);
    for (const id of judges) this.byJudge.set(id, 0);
    this.currency = currency;
  }

  /**
   * The reservation for one call (0 when free or unpriced), or null when it would cross the budget.
   * `judge`: the call is the judge's, for a trial of `provider`, and is priced at the judge's price.
   * `provider` null: a judge call for no trial (grading the judge's calibration set): a refusal counts no trial as not run.
   * `cacheWrite`: the call marks its prefix for the prompt cache, so its prompt may be billed at the cache-write rate.
   */
  reserve(provider: string | null, promptTokens: number, maxOutputTokens: number | null, judge?: string, cacheWrite = false): number | null {
    const price = this.prices.get(judge ?? provider ?? '');
    if (!price) return 0;
    const output = maxOutputTokens ?? UNKNOWN_MAX_OUTPUT_TOKENS;
    // A marked prefix may be written (above the input price): the worst case prices the whole prompt so.
    const worst = Math.max(costPerRequest(price, promptTokens, output), cacheWrite ? costPerRequest(price, promptTokens, output, 0, promptTokens) : 0);
    if (this.budget !== null && this.earlierTotal + this.spent + this.reserved + worst > this.budget) {
      if (provider !== null) this.skipped.set(provider, (this.skipped.get(provider) ?? 0) + 1);
      return null;
    }
    this.reserved += worst;
    // On disk before the call is sent: a kill while it is in flight leaves it booked at its worst case.
    this.sink?.reserved(worst);
    return worst;
  }

  /**
   * Releases a reservation and books the call's real cost (tokens as the provider reported them: cache
   * reads and writes at their own rates); `judge` as for reserve().
   */
  settle(provider: string | null, reservation: number, tokensIn: number, tokensOut: number, cachedTokens: number, judge?: string, cacheWriteTokens = 0): void {
    const price = this.prices.get(judge ?? provider ?? '');
    this.book(provider, reservation, price ? costPerRequest(price, tokensIn, tokensOut, cachedTokens, cacheWriteTokens) : 0, judge);
  }

  /**
   * Releases the reservation of a call that failed (`err`, as the provider threw it) or was aborted,
   * and books what the provider may bill for it (classify-error.ts's failureBilling): nothing for a
   * call refused before it ran (an HTTP error answer such as 400, 401, 403, 404, 429 or a 5xx, or a
   * connection never made); the whole reservation, its worst case, for one that may have run with no
   * answer coming back (a timeout, a connection dropped after the request went out, a call aborted in
   * flight), whose bill is unknown and may be full. Returns the cost booked.
   */
  settleFailed(provider: string | null, reservation: number, err: unknown, judge?: string): number {
    const cost = failureBilling(err) === 'maybe' ? reservation : 0;
    this.book(provider, reservation, cost, judge);
    if (cost > 0) {
      this.failed.calls++;
      this.failed.cost += cost;
    }
    return cost;
  }

  private book(provider: string | null, reservation: number, cost: number, judge: string | undefined): void {
    this.reserved = Math.max(0, this.reserved - reservation);
    this.sink?.settled(reservation, cost);
    if (!this.prices.get(judge ?? provider ?? '')) return;
    this.spent += cost;
    if (judge !== undefined) this.byJudge.set(judge, (this.byJudge.get(judge) ?? 0) + cost);
    else if (provider !== null) this.byProvider.set(provider, (this.byProvider.get(provider) ?? 0) + cost);
  }

  /**
   * A batch job's reservation: every request's worst case at the provider's batch price, reserved at
   * once before the job is submitted (a submitted job is billed whatever happens to this process), or
   * null when the whole job would cross the budget.
   */
  reserveBatch(provider: string, calls: readonly { promptTokens: number; maxOutputTokens: number | null }[]): number | null {
    const price = this.prices.get(provider);
    if (!price) return 0;
    const worst = calls.reduce((sum, c) => sum + costPerRequest(price.batch, c.promptTokens, c.maxOutputTokens ?? UNKNOWN_MAX_OUTPUT_TOKENS), 0);
    if (this.budget !== null && this.earlierTotal + this.spent + this.reserved + worst > this.budget) {
      this.skipped.set(provider, (this.skipped.get(provider) ?? 0) + calls.length);
      return null;
    }
    this.reserved += worst;
    this.sink?.reserved(worst);
    return worst;
  }

  /**
   * Releases a batch job's reservation and books what its answered requests cost at the batch price
   * (failed, expired and cancelled requests are not billed). `carried`: the job was submitted by an
   * earlier attempt, whose ledger already counts it at its reservation, so nothing is booked again.
   */
  settleBatch(
    provider: string,
    reservation: number,
    answers: readonly { tokensIn: number; tokensOut: number; cachedTokens: number }[],
    carried = false,
  ): number {
    const price = this.prices.get(provider);
    const cost = price && !carried ? answers.reduce((sum, a) => sum + costPerRequest(price.batch, a.tokensIn, a.tokensOut, a.cachedTokens), 0) : 0;
    this.book(provider, reservation, cost, undefined);
    if (!carried) {
      this.batchSpend.total += cost;
      this.batchSpend.requests += answers.length;
      this.batchSpend.byProvider.set(provider, (this.batchSpend.byProvider.get(provider) ?? 0) + cost);
    }
    return cost;
  }

  /** The batch price of a provider (null when unpriced), for the dry run and the advice. */
  batchPriceOf(provider: string): ResolvedPrice['batch'] | null {
    return this.prices.get(provider)?.batch ?? null;
  }

  /**
   * Resuming a run: books what its earlier attempts spent (spend-ledger.ts) against the budget, and
   * writes this attempt's reservations and settlements to `sink` from now on. Returns the line to
   * print, or null when there is nothing to say (no budget, or nothing spent before). `ignored`: what
   * --budget-reset left uncounted.
   */
  resume(earlier: EarlierAttemptsSpend, sink: SpendSink | null, ignored: EarlierAttemptsSpend | null = null): string | null {
    this.sink = sink;
    if (earlier.attempts.length > 0) this.earlier = earlier;
    if (this.budget === null) return null;
    const left = `${money(Math.max(0, this.budget - earlier.total), this.currency)} left`;
    if (ignored && ignored.total > 0) {
      return `budget: --budget-reset: ${money(ignored.total, this.currency)} spent by ${attempts(ignored)} is not counted; ${left}`;
    }
    if (earlier.total <= 0) return null;
    return `budget: ${money(earlier.total, this.currency)} already spent by ${attempts(earlier)}; ${left}`;
  }

  private get earlierTotal(): number {
    return this.earlier?.total ?? 0;
  }

  /** Spent so far on one provider; null when its calls cannot be priced (local, or no price known). */
  spentBy(provider: string): number | null {
    return this.prices.get(provider) ? (this.byProvider.get(provider) ?? 0) : null;
  }

  /** Spent so far on a judge's calls; null when they cannot be priced. */
  spentByJudge(judge: string): number | null {
    return this.prices.get(judge) ? (this.byJudge.get(judge) ?? 0) : null;
  }

  get skippedTrials(): number {
    return [...this.skipped.values()].reduce((a, b) => a + b, 0);
  }

  /** "budget reached: N trials not run (provider X: n, ...)", or null when nothing was skipped. */
  notice(): string | null {
    const n = this.skippedTrials;
    if (n === 0) return null;
    const parts = [...this.skipped].map(([p, k]) => `${p}: ${k}`).join(', ');
    const before = this.earlier && this.earlier.total > 0 ? ` (and ${money(this.earlier.total, this.currency)} by ${attempts(this.earlier)})` : '';
    return `budget reached: ${n} trials not run (${parts}); spent ${money(this.spent, this.currency)}${before} of ${money(this.budget ?? 0, this.currency)}`;
  }

  record(): SpendRecord {
    return {
      total: this.spent,
      byProvider: Object.fromEntries(this.byProvider),
      budget: this.budget,
      currency: this.currency,
      skippedTrials: this.skippedTrials,
      ...(this.byJudge.size > 0 && { byJudge: Object.fromEntries(this.byJudge) }),
      ...(this.failed.calls > 0 && { failedCallsBooked: { ...this.failed } }),
      ...(this.batchSpend.requests > 0 && {
        batch: { total: this.batchSpend.total, byProvider: Object.fromEntries(this.batchSpend.byProvider), requests: this.batchSpend.requests },
      }),
      ...(this.earlier && { earlierAttempts: this.earlier }),
    };
  }
}

/** "1 earlier attempt of this run (interrupted)", "3 earlier attempts of this run (2 interrupted, 1 partial)". */
function attempts(earlier: EarlierAttemptsSpend): string {
  const n = earlier.attempts.length;
  const interrupted = earlier.attempts.filter((a) => a.status === 'interrupted').length;
  const how =
    n === 1
      ? earlier.attempts[0]!.status
      : [interrupted > 0 && `${interrupted} interrupted`, n > interrupted && `${n - interrupted} partial`].filter(Boolean).join(', ');
  return `${n} earlier attempt${n === 1 ? '' : 's'} of this run (${how})`;
}

/**
 * One call's hold on the budget over all its tries. The first try is reserved before the call (open);
 * a try that fails and may have been billed (a timeout: the generation may have run) is booked at its
 * worst case before the retry, which reserves anew, so N such tries cost N worst cases, not one. When
 * the budget cannot hold another try, the retries stop (`beforeRetry` answers false) and the call
 * ends over budget.
 */
export class CallReservation {
  /** True once a retry was refused because the budget could not hold it. */
  overBudget = false;

  private constructor(
    private readonly budget: BudgetTracker,
    private readonly provider: string | null,
    private readonly promptTokens: number,
    private readonly maxOutputTokens: number | null,
    private readonly judge: string | undefined,
    private readonly cacheWrite: boolean,
    private amount: number,
  ) {}

  /** The first try's reservation, or null when it would cross the budget. */
  static open(
    budget: BudgetTracker,
    provider: string | null,
    promptTokens: number,
    maxOutputTokens: number | null,
    options: { judge?: string; cacheWrite?: boolean } = {},
  ): CallReservation | null {
    const amount = budget.reserve(provider, promptTokens, maxOutputTokens, options.judge, options.cacheWrite ?? false);
    if (amount === null) return null;
    return new CallReservation(budget, provider, promptTokens, maxOutputTokens, options.judge, options.cacheWrite ?? false, amount);
  }

  /** For CompletionRequest.beforeRetry: books a possibly billed failed try and reserves the next, or refuses it. */
  readonly beforeRetry = (failed: unknown): boolean => {
    if (failureBilling(failed) === 'none') return true;
    this.budget.settleFailed(this.provider, this.amount, failed, this.judge);
    const next = this.budget.reserve(this.provider, this.promptTokens, this.maxOutputTokens, this.judge, this.cacheWrite);
    this.amount = 0;
    if (next === null) {
      this.overBudget = true;
      return false;
    }
    this.amount = next;
    return true;
  };

  settle(tokensIn: number, tokensOut: number, cachedTokens: number, cacheWriteTokens = 0): void {
    this.budget.settle(this.provider, this.amount, tokensIn, tokensOut, cachedTokens, this.judge, cacheWriteTokens);
  }

  settleFailed(err: unknown): void {
    // The last try's reservation; a try refused for the budget has none left to book.
    if (this.amount > 0 || !this.overBudget) this.budget.settleFailed(this.provider, this.amount, err, this.judge);
  }
}
