/**
 * Scoring that needs a model: the runner's side of the ModelCall seam (tasks/task.ts). A task's score
 * step describes the call (AdaptGauge's llm_judge: the grading prompt, temperature, output limit) and
 * never holds a provider; this makes it through the same path as an answer call:
 *
 * - the response cache: keyed like any call (cacheKey: the judge's provider id, model, endpoint and
 *   request; the request holds the answer graded, so a cached verdict is the verdict on that answer).
 *   A rerun asks the judge nothing it answered before. Only a verdict `finish` could read is stored;
 * - the budget: the call's worst case (its prompt, and its maxOutputTokens or the usual default) is
 *   reserved at the judge's price before it starts, and replaced by its real cost after; a call that
 *   cannot fit is not made, and the trial is not run (like an answer call the budget stops);
 * - retries, rate limits and the adaptive throttle: the judge's provider is resolved like any
 *   provider (runner/judge.ts), so its calls go through its ResilientProvider;
 * - progress and cost: the usage is returned for the trial record's `judge` field, and the tracker
 *   books the cost by judge (run.json's `spend.byJudge`, in `spend.total`).
 *
 * Equal requests in one run share one call (in flight or done): repeats and concurrent trials with the
 * same answer get the same verdict and pay once. A failed call or an unreadable verdict is forgotten,
 * so a later trial (or a rerun) asks again.
 */
import { ProviderError, type CompletionResult, type Provider } from '../providers/provider.js';
import { promptTokensForBudget } from '../providers/tokens.js';
import type { TrialJudge } from '../records/trial.js';
import type { ModelCall, ScoreResult, ScoringRole } from '../tasks/task.js';
import { CallReservation, type BudgetTracker } from './budget.js';
import { cacheKey, type ResponseCache } from './cache.js';

/** A scoring model ready to call: the resolved provider (retries, rate limits) and its cache identity. */
export interface ScoringModel {
  provider: Provider;
  /** Its base URL when not the SDK default; part of the cache key (see cache.ts). */
  endpoint?: string;
}

/** What scoring a trial with a model came to. */
export type ModelScoring =
  | { status: 'scored'; score: ScoreResult; judge: TrialJudge }
  /** The call failed (after retries) or `finish` could not read the reply: a failed measurement. */
  | { status: 'failed'; message: string; judge: TrialJudge }
  /** The call's worst case could cross the budget: not made, and the trial is not run. */
  | { status: 'over-budget' }
  /** The abort signal cut the call off, or the sweep was stopping before it started: nothing to record. */
  | { status: 'aborted' };

/** One call's outcome, shared by every trial asking the same request. */
type Asked =
  | { status: 'answered'; result: CompletionResult; fromCache: boolean }
  | { status: 'failed'; message: string; attempts: number }
  | { status: 'over-budget' }
  | { status: 'aborted' };

export class ModelScorer {
  private readonly asked = new Map<string, Promise<Asked>>();

  constructor(
    private readonly models: ReadonlyMap<ScoringRole, ScoringModel>,
    private readonly cache: ResponseCache | null,
    private readonly budget: BudgetTracker | null,
    /** Once true (Ctrl-C), no new call starts: the trial is dropped like an aborted one, its answer kept in the cache. */
    private readonly shouldStop?: () => boolean,
  ) {}

  /**
   * Makes (or reuses) the call `call` describes, for a trial of `provider` (the budget counts a call it
   * stops against that provider's trials), and scores the reply with `call.finish`. `provider` null: a
   * call for no trial (the judge's calibration set, runner/calibration.ts), which the budget may stop
   * but counts as no trial not run.
   */
  async score(call: ModelCall, provider: string | null, signal?: AbortSignal): Promise<ModelScoring> {
    const model = this.models.get(call.role);
    if (!model) throw new Error(`a ${call.role} call was asked for, but no ${call.role} model is configured`);
    const id = model.provider.id;
    const key = cacheKey({
      provider: id,
      model: model.provider.model,
      endpoint: model.endpoint,
      request: call.request,
      repeat: 0,
      honoursTemperature: model.provider.capabilities.honoursTemperature,
    });
    let pending = this.asked.get(key);
    const leader = pending === undefined;
    if (!pending) {
      pending = this.ask(call, model, key, provider, signal);
      this.asked.set(key, pending);
    }
    const asked = await pending;
    const usage = (result: CompletionResult | null, cached: boolean, attempts: number): TrialJudge => ({
      provider: id,
      model: model.provider.model,
      tokensIn: result?.tokensIn ?? 0,
      tokensOut: result?.tokensOut ?? 0,
      cachedTokens: result?.cachedTokens ?? 0,
      cached,
      attempts,
    });
    if (asked.status !== 'answered') {
      if (this.asked.get(key) === pending) this.asked.delete(key);
      if (asked.status === 'failed') return { status: 'failed', message: asked.message, judge: usage(null, !leader, leader ? asked.attempts : 0) };
      // A trial that shared a call the budget stopped asks the budget itself, so each trial not run is counted.
      if (asked.status === 'over-budget' && !leader && provider !== null) return this.score(call, provider, signal);
      return asked;
    }
    // Only the trial whose call paid for the reply records it as new; the others reuse it.
    const cached = asked.fromCache || !leader;
    const judge = usage(asked.result, cached, cached ? 0 : (asked.result.attempts ?? 1));
    const { text, finishReason, tokensIn, tokensOut } = asked.result;
    let score: ScoreResult;
    try {
      score = call.finish({ provider: id, text, finishReason, tokensIn, tokensOut });
    } catch (err) {
      // An unreadable verdict is not kept (in this run or the cache): a later trial or a rerun asks again.
      if (this.asked.get(key) === pending) this.asked.delete(key);
      return { status: 'failed', message: `${call.role} ${id}: ${err instanceof Error ? err.message : String(err)}`, judge };
    }
    // Stored before the trial line is written, as answers are: once a trial is on disk, its verdict is too.
    if (leader && !asked.fromCache) this.cache?.put(key, id, asked.result);
    return { status: 'scored', score, judge };
  }

  private async ask(call: ModelCall, model: ScoringModel, key: string, provider: string | null, signal?: AbortSignal): Promise<Asked> {
    const hit = this.cache?.get(key) ?? null;
    if (hit) return { status: 'answered', result: hit, fromCache: true };
    if (this.shouldStop?.()) return { status: 'aborted' };
    const id = model.provider.id;
    let reservation: CallReservation | null = null;
    if (this.budget) {
      const promptTokens = promptTokensForBudget(id, call.request.messages);
      const maxOutputTokens = call.request.maxOutputTokens ?? model.provider.capabilities.defaultMaxOutputTokens;
      reservation = CallReservation.open(this.budget, provider, promptTokens, maxOutputTokens, { judge: id });
      if (reservation === null) return { status: 'over-budget' };
    }
    let result: CompletionResult;
    try {
      result = await model.provider.complete({ ...call.request, ...(reservation && { beforeRetry: reservation.beforeRetry }) }, signal);
    } catch (err) {
      // Booked at what the provider may bill for each try: 0 when refused before it ran, else its worst case (budget.ts).
      reservation?.settleFailed(err);
      if (signal?.aborted) return { status: 'aborted' };
      if (reservation?.overBudget) return { status: 'over-budget' };
      return { status: 'failed', message: failureMessage(call.role, id, err), attempts: err instanceof ProviderError ? err.attempts : 1 };
    }
    reservation?.settle(result.tokensIn, result.tokensOut, result.cachedTokens);
    return { status: 'answered', result, fromCache: false };
  }
}

/** `judge <id>: <what went wrong>` (the adapters' messages start with the provider id already). */
function failureMessage(role: ScoringRole, id: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.startsWith(`${id}:`) ? `${role} ${message}` : `${role} ${id}: ${message}`;
}
