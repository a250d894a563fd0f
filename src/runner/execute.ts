import { setMaxListeners } from 'node:events';
import type { Provider, CompletionRequest, CompletionResult, ModelOptions } from '../providers/provider.js';
import { ProviderError } from '../providers/provider.js';
import { arrangeShots, type Arm } from '../selectors/arms.js';
import { settleModuleScoring } from '../tasks/scorer-module.js';
import { isModelCall, isModuleScoring, type ScoreResult, type Task, type TaskItem } from '../tasks/task.js';
import { canonicalJson, sha256 } from '../util/hash.js';
import { Rng } from '../util/rng.js';
import { promptTokensForBudget } from '../providers/tokens.js';
import { CallReservation, type BudgetTracker } from './budget.js';
import type { BatchOutcomes } from './batch/outcomes.js';
import { cacheKey, type ResponseCache } from './cache.js';
import type { PlanLook, TrialSpec } from './plan.js';
import { promptCacheFor } from './prompt-cache.js';
import type { ModelScorer } from './score.js';
import type { TrialJudge, TrialRecord } from '../records/trial.js';

export interface ProviderRuntime {
  /**
   * The entry's id (`local` or `<kind>:<model>`) when the plan, the trials and the budget name it by a
   * label; absent: the name is the id. The cache key, the cache's provider column and the
   * Anthropic and `local` rules read the id, never the label.
   */
  id?: string;
  provider: Provider;
  temperature?: number;
  maxOutputTokens?: number;
  systemPrompt?: string;
  /** The entry's model options (reasoning, sampling, structured output), sent with every request. */
  options?: ModelOptions;
  concurrency: number;
  /** The provider's base URL when not the SDK default; part of the cache key (see cache.ts). */
  endpoint?: string;
}

export interface ExecuteContext {
  runId: string;
  experimentSeed: number;
  /** The task with the built-in prompt or the first variant; asks every trial when `tasks` is absent. */
  task: Task;
  /** The task per prompt variant id (one Task instance per `prompts:` entry over the same data); absent: `task` for all. */
  tasks?: ReadonlyMap<string, Task>;
  pool: readonly TaskItem[];
  items: readonly TaskItem[];
  providers: ReadonlyMap<string, ProviderRuntime>;
  /** The arms by label (the trial's `selector`). */
  arms: ReadonlyMap<string, Arm>;
  /** Off-task examples for distractor arms. */
  distractors: readonly TaskItem[];
  /** Repeats per item (the plan's); absent: 1. Tells which prefixes an item's other repeats share (prompt-cache.ts). */
  repeats?: number;
  /** Answers earlier calls from disk and stores new successful ones; absent: every call is made. */
  cache?: ResponseCache | null;
  /** The spending cap: a call that could cross it is not made (the trial is skipped, not recorded). */
  budget?: BudgetTracker | null;
  /** What the sweep's batch jobs answered, by cache key (runner/batch/); absent without --batch. */
  batch?: BatchOutcomes | null;
  /**
   * Makes the model calls a task's scoring describes (AdaptGauge's judge) through the cache, the budget
   * and the judge's retries (score.ts); absent: a trial whose scoring needs a model is a failed measurement.
   */
  scorer?: ModelScorer | null;
}

export interface ExecuteOptions {
  onRecord: (record: TrialRecord) => void;
  /** Checked before each call: once true, no new call starts and queued trials are dropped. */
  shouldStop?: () => boolean;
  /**
   * Aborts the calls in flight (the end of Ctrl-C's grace period). An aborted call is not recorded:
   * it has no answer, and a rerun asks it again.
   */
  signal?: AbortSignal;
  /** A provider stopped after an error no retry can fix (bad key, bad request): its remaining trials are not run. */
  onProviderStopped?: (provider: string, reason: string) => void;
  /** A trial not run because its worst-case cost could cross the budget. */
  onBudgetSkip?: (spec: TrialSpec) => void;
}

/** Errors that would fail every later call the same way: stop the provider rather than pay for them. */
const FATAL = new Set(['auth', 'bad_request']);

/** How long a worker may keep the event loop busy with calls that answer at once (local, cache hits) before it yields. */
const YIELD_EVERY_MS = 20;

/**
 * Runs the plan with a pool of `concurrency` workers per provider, each pulling the provider's next
 * trial from one lazy queue: a slow or failing provider never stalls the others, and memory does not
 * grow with the size of the plan (no promise per trial is created up front).
 */
export async function executePlan(plan: Pick<PlanLook, 'forProvider' | 'providers'>, ctx: ExecuteContext, options: ExecuteOptions): Promise<number> {
  let completed = 0;
  // Each call in flight links one listener to the sweep's signal (linkedSignal, removed when it ends):
  // as many as the providers' concurrency, which may pass Node's default warning threshold of 10.
  if (options.signal) {
    const inFlight = plan.providers.reduce((n, p) => n + Math.max(1, ctx.providers.get(p)?.concurrency ?? 1), 0);
    setMaxListeners(Math.max(10, inFlight + 10), options.signal);
  }
  // One map for every provider: two labelled entries of one model and settings ask identical requests.
  const flights: Flights = new Map();
  const runProvider = async (provider: string): Promise<void> => {
    const runtime = ctx.providers.get(provider);
    if (!runtime) return;
    const queue = plan.forProvider(provider)[Symbol.iterator]();
    let stopped = false;
    const worker = async (): Promise<void> => {
      let lastYield = performance.now();
      for (;;) {
        if (stopped || options.shouldStop?.() || options.signal?.aborted) return;
        const next = queue.next();
        if (next.done) return;
        const spec = next.value;
        const record = await attemptTrial(spec, ctx, options.signal, flights);
        if (record === ABORTED) return;
        if (record === null) {
          options.onBudgetSkip?.(spec);
          continue;
        }
        options.onRecord(record);
        completed++;
        if (record.error && FATAL.has(record.error.kind) && !stopped) {
          stopped = true;
          options.onProviderStopped?.(provider, record.error.message);
        }
        // Answers that need no I/O (local, cache hits) would otherwise starve timers and signals (Ctrl-C).
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          lastYield = performance.now();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, runtime.concurrency) }, worker));
  };
  await Promise.all(plan.providers.map(runProvider));
  return completed;
}

/** attemptTrial's answer for a call cut off by the abort signal: nothing to record. */
const ABORTED = Symbol('aborted');

/** How one provider call ended: its answer, the error it failed with (after its retries), or cut off by the abort signal. */
/** A call whose retry the budget could not hold (its tries may each have been billed): the trial is not run. */
const OVER_BUDGET = Symbol('over-budget');
type FlightOutcome = { result: CompletionResult } | { error: unknown } | typeof ABORTED | typeof OVER_BUDGET;

/**
 * Single-flight: the calls in flight by request key (see attemptTrial). A trial whose request is
 * identical to one in flight waits for that call and records its outcome (`shared: true`) instead of
 * paying for its own. An entry lives while its call runs; once answered, the response cache (when on)
 * answers later trials.
 */
type Flights = Map<string, Promise<FlightOutcome>>;

/**
 * The shots for one trial. Selection is seeded by (experiment seed, selector, repeat, item), not by
 * k, provider or order: every provider sees the same shots, the k-shot set is a prefix of the
 * larger ones, and an order arm shows exactly the shots its selector chose, rearranged.
 */
export function selectShots(spec: TrialSpec, ctx: Pick<ExecuteContext, 'experimentSeed' | 'pool' | 'items' | 'arms' | 'distractors'>): TaskItem[] {
  if (spec.k === 0) return [];
  const item = ctx.items[spec.itemIndex]!;
  const arm = ctx.arms.get(spec.selector);
  if (!arm) throw new Error(`no selector named ${spec.selector}`);
  const rng = new Rng([ctx.experimentSeed, 'select', arm.selectorLabel, spec.repeat, item.id]);
  const shots = arm.selector.select(item, ctx.pool, spec.k, rng);
  if (arm.order === 'selected' && arm.distractors === 0) return shots;
  return arrangeShots(arm, shots, ctx.distractors, new Rng([ctx.experimentSeed, 'arrange', arm.label, spec.repeat, item.id]));
}

/** The task that writes this trial's prompt: its variant's, or the one task when there are no variants. */
function taskFor(spec: TrialSpec, ctx: Pick<ExecuteContext, 'task' | 'tasks'>): Task {
  if (!ctx.tasks) return ctx.task;
  const task = ctx.tasks.get(spec.prompt);
  if (!task) throw new Error(`no prompt variant named ${spec.prompt}`);
  return task;
}

export async function runTrial(spec: TrialSpec, ctx: ExecuteContext): Promise<TrialRecord> {
  const record = await attemptTrial(spec, { ...ctx, budget: null });
  if (record === null || record === ABORTED) throw new Error('unreachable: no budget and no abort signal');
  return record;
}

/** Worst-case tokens of one call: its prompt (estimated) and the most output it may produce (thinking included: it is billed as output). */
function worstCaseTokens(provider: Provider, request: CompletionRequest): { promptTokens: number; maxOutputTokens: number | null } {
  // Exact where a tokenizer runs offline (OpenAI), else the estimate with a safety margin: the budget is a cap.
  const promptTokens = promptTokensForBudget(provider.id, request.messages, request.systemPrompt);
  const maxOutputTokens = request.maxOutputTokens ?? provider.capabilities.defaultMaxOutputTokens;
  return { promptTokens, maxOutputTokens };
}

/**
 * runTrial under the budget: null when the call was not made because it could cross the budget,
 * ABORTED when the signal cut the call off. With `flights`, a trial whose identical request is in
 * flight waits for that call instead of making its own (single-flight; see mergeable below).
 */
/** What a trial sends: its provider, item and shots, the request as built for the provider, and its response cache key (null when the provider is not billed). */
export interface TrialCall {
  runtime: ProviderRuntime;
  /** The provider's id (the name when it has no label). */
  id: string;
  item: TaskItem;
  shots: TaskItem[];
  task: Task;
  request: CompletionRequest;
  billed: boolean;
  key: string | null;
}

/** The request a trial sends and its cache key, built once here for the synchronous path and for batches (runner/batch/). */
export function trialCall(spec: TrialSpec, ctx: ExecuteContext): TrialCall {
  const runtime = ctx.providers.get(spec.provider)!;
  const id = runtime.id ?? spec.provider;
  const item = ctx.items[spec.itemIndex]!;
  const shots = selectShots(spec, ctx);
  const task = taskFor(spec, ctx);
  const messages = task.render(shots, item);
  const request: CompletionRequest = {
    messages,
    ...(runtime.temperature !== undefined && { temperature: runtime.temperature }),
    ...(runtime.maxOutputTokens !== undefined && { maxOutputTokens: runtime.maxOutputTokens }),
    ...(runtime.systemPrompt !== undefined && { systemPrompt: runtime.systemPrompt }),
    ...runtime.options,
  };
  // The local baseline is not cached: it answers in microseconds, and a cached answer would hide a
  // change to the baseline's code behind its old answers.
  const billed = runtime.provider.capabilities.billed;
  const honoursTemperature = runtime.provider.capabilities.honoursTemperature;
  // The key is computed for every billed call, cache or not: single-flight merges by it, batches name requests by it.
  const key = billed
    ? cacheKey({ provider: id, model: runtime.provider.model, endpoint: runtime.endpoint, request, repeat: spec.repeat, honoursTemperature })
    : null;
  return { runtime, id, item, shots, task, request, billed, key };
}

async function attemptTrial(spec: TrialSpec, ctx: ExecuteContext, signal?: AbortSignal, flights?: Flights): Promise<TrialRecord | null | typeof ABORTED> {
  const { runtime, id, item, shots, task, request, billed, key } = trialCall(spec, ctx);
  const base: TrialBase = {
    runId: ctx.runId,
    provider: spec.provider,
    model: runtime.provider.model,
    prompt: spec.prompt,
    selector: spec.selector,
    k: spec.k,
    repeat: spec.repeat,
    itemId: item.id,
    shotIds: shots.map((s) => s.id),
    promptHash: sha256(canonicalJson({ model: runtime.provider.model, ...request })),
    cached: false,
  };
  const cache = billed ? (ctx.cache ?? null) : null;
  const honoursTemperature = runtime.provider.capabilities.honoursTemperature;
  // Which trials merge: those whose key matches. The key leaves the repeat index out only for a
  // deterministic request (temperature 0 on an API that honours it, the rule of cacheKey), so repeats
  // of a sampled request never merge. Identical sampled requests of different cells (prompt variants
  // that render alike, two labels of one model) do share a key: with the cache on they merge, as the
  // cache would answer one with the other's answer anyway (so the outcome does not depend on timing);
  // with the cache off only deterministic requests merge, and sampled ones stay separate draws.
  const deterministic = request.temperature === 0 && honoursTemperature;
  const mergeable = flights !== undefined && key !== null && (cache !== null || deterministic);
  // Answered by a batch job this sweep collected (runner/batch/): the first trial of a key is its paid
  // call, any other with the same key shares it, as single-flight would.
  const batched = key !== null ? (ctx.batch?.outcome(key) ?? null) : null;
  if (batched) {
    if (batched.kind === 'refused') return null;
    base.batch = batched.job;
    if (!batched.first) {
      base.cached = true;
      base.shared = true;
    }
    if (batched.kind === 'error') return { ...base, ...failedCall(batched.error) };
  }
  let result = batched?.kind === 'answer' ? batched.result : cache && key ? cache.get(key) : null;
  if (result) {
    // The batch's answer (nothing more to ask), or the cache's.
    if (!batched) base.cached = true;
  } else {
    // Where the API caches only a marked prefix (Anthropic), one shared with other trials is marked, and
    // its first call goes before the others so that one writes and the rest read (prompt-cache.ts).
    const sharing = runtime.provider.capabilities.promptCaching === 'explicit' && billed ? promptCacheFor(ctx) : null;
    const prefix =
      sharing?.sharedPrefix(spec, request, (other) => ({
        ...request,
        messages: taskFor(other, ctx).render(selectShots(other, ctx), ctx.items[other.itemIndex]!),
      })) ?? null;
    const primed = sharing && prefix !== null ? await sharing.prime(prefix, signal) : null;
    if (prefix !== null && primed === null) return ABORTED;
    // The wait for the prefix may have outlasted an identical call (a repeat at temperature 0): its answer is in the cache now.
    const meanwhile = primed && cache && key ? cache.get(key) : null;
    if (meanwhile) {
      primed!(false);
      base.cached = true;
      result = meanwhile;
    } else {
      // No await between this look-up and the leader's set() below: exactly one trial per key calls.
      const running = mergeable ? flights.get(key) : undefined;
      let outcome: FlightOutcome;
      if (running) {
        // Recorded like a cache hit (no call of its own, nothing reserved or spent) and marked shared.
        base.cached = true;
        base.shared = true;
        outcome = await running;
      } else {
        const budget = billed ? (ctx.budget ?? null) : null;
        let reservation: CallReservation | null = null;
        if (budget) {
          // Only the trial that makes the call reserves: those that join it cost nothing.
          const worst = worstCaseTokens(runtime.provider, request);
          reservation = CallReservation.open(budget, spec.provider, worst.promptTokens, worst.maxOutputTokens, { cacheWrite: prefix !== null });
          if (reservation === null) {
            primed?.(false);
            return null;
          }
        }
        let land: (outcome: FlightOutcome) => void = () => {};
        if (mergeable) flights.set(key, new Promise<FlightOutcome>((resolve) => (land = resolve)));
        // The call gets a signal of its own, linked to the sweep's only while it runs: the SDKs add an
        // abort listener to the signal they are given and never remove it, so handing them the sweep's
        // signal would leave one listener on it per call (MaxListenersExceededWarning after ten).
        const call = linkedSignal(signal);
        outcome = ABORTED;
        try {
          const answer = await runtime.provider.complete(
            {
              ...request,
              subject: { item, shots },
              ...(prefix !== null && { cachePrefix: true }),
              ...(reservation && { beforeRetry: reservation.beforeRetry }),
            },
            call.signal,
          );
          reservation?.settle(answer.tokensIn, answer.tokensOut, answer.cachedTokens, answer.cacheWriteTokens ?? 0);
          // Stored before the trial line is written: once a trial is on disk, its answer is too.
          if (cache && key) cache.put(key, id, answer);
          outcome = { result: answer };
        } catch (err) {
          // Booked at what the provider may bill for it: 0 when refused before it ran, else its worst case (budget.ts).
          reservation?.settleFailed(err);
          outcome = signal?.aborted ? ABORTED : reservation?.overBudget ? OVER_BUDGET : { error: err };
        } finally {
          call.unlink();
          // Gone from the map before those waiting resume: a trial starting later asks the cache, or calls anew.
          if (mergeable) flights.delete(key);
          land(outcome);
        }
      }
      primed?.(typeof outcome !== 'symbol' && 'result' in outcome);
      if (outcome === ABORTED) return ABORTED;
      if (outcome === OVER_BUDGET) return null;
      // A failed call is recorded with its kind and the sweep goes on; it is never a wrong answer, and
      // never cached: a rerun tries it again. Trials that shared it record the same error (marked shared)
      // rather than calling again: the call already had its retries, and a rerun asks them all again.
      if ('error' in outcome) return { ...base, ...failedCall(outcome.error) };
      result = outcome.result;
    }
  }
  const parsed = task.parse(result.text);
  let scored: ScoreResult | null = null;
  let judge: TrialJudge | undefined;
  let failure: string | null = null;
  let scorerError: string | undefined;
  try {
    const scoring = parsed.ok ? task.score(parsed.answer, item, { reply: result.text, k: spec.k, shotIds: base.shotIds }) : null;
    if (scoring && isModelCall(scoring)) {
      // The task describes the judge call; the scorer makes it (cache, budget, retries, cost).
      if (!ctx.scorer) throw new Error(`no ${scoring.role} to make the call this item's scoring needs`);
      const link = linkedSignal(signal);
      let outcome;
      try {
        outcome = await ctx.scorer.score(scoring, spec.provider, link.signal);
      } finally {
        link.unlink();
      }
      if (outcome.status === 'over-budget') return null;
      if (outcome.status === 'aborted') return ABORTED;
      judge = outcome.judge;
      if (outcome.status === 'failed') failure = outcome.message;
      else scored = outcome.score;
    } else if (scoring && isModuleScoring(scoring)) {
      // A scorer module of the user's own, awaited within its timeout: its failure is the scorer's (scorer_failure), not the call's.
      const settled = await settleModuleScoring(scoring);
      if (settled.ok) scored = settled.result;
      else scorerError = settled.message;
    } else {
      scored = scoring;
    }
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  }
  if (failure !== null) {
    // A judge that failed (after its retries) or whose verdict could not be read (AdaptGauge's llm_judge):
    // a failed measurement, not a wrong answer. Its kind is `other`: the judge's failure must not stop
    // the provider being judged.
    return {
      ...base,
      ...failedCall(new Error(`judging failed: ${failure}`)),
      output: result.text,
      tokensIn: result.tokensIn,
      tokensOut: result.tokensOut,
      latencyMs: result.latencyMs,
      attempts: result.attempts ?? 1,
      ...(judge && { judge }),
    };
  }
  return {
    ...base,
    output: result.text,
    finishReason: result.finishReason,
    parseOk: parsed.ok,
    parseError: parsed.ok ? null : parsed.reason,
    answer: parsed.ok ? parsed.answer : null,
    score: scored?.score ?? 0,
    details: scored?.details ?? {},
    error: null,
    tokensIn: result.tokensIn,
    tokensOut: result.tokensOut,
    cachedTokens: result.cachedTokens,
    latencyMs: Math.round(result.latencyMs * 100) / 100,
    requestId: result.requestId,
    attempts: result.attempts ?? 1,
    ...(judge && { judge }),
    ...(scorerError !== undefined && { scorerError }),
    ...(result.reasoningTokens !== undefined && { reasoningTokens: result.reasoningTokens }),
    ...(result.reasoningTokensEstimated && { reasoningTokensEstimated: true }),
    ...(result.snapshot !== undefined && { snapshot: result.snapshot }),
    ...(result.cacheWriteTokens !== undefined && { cacheWriteTokens: result.cacheWriteTokens }),
  };
}

/**
 * A child of `parent` for one call: aborted when the parent aborts, until unlink() removes the one
 * listener it put on the parent. Without a parent: no signal (the call cannot be cancelled).
 */
export function linkedSignal(parent?: AbortSignal): { signal: AbortSignal | undefined; unlink: () => void } {
  if (!parent) return { signal: undefined, unlink: () => {} };
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { signal: controller.signal, unlink: () => {} };
  }
  const onAbort = () => controller.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return { signal: controller.signal, unlink: () => parent.removeEventListener('abort', onAbort) };
}

/** The fields of a record that come from the call, as opposed to the cell and item. */
type CallOutcome = Omit<
  TrialRecord,
  'runId' | 'provider' | 'model' | 'prompt' | 'selector' | 'k' | 'repeat' | 'itemId' | 'shotIds' | 'promptHash' | 'cached' | 'shared' | 'batch'
>;

/** The fields of a record that come from the cell and item, and whether a call of the trial's own answered it. */
type TrialBase = Pick<
  TrialRecord,
  'runId' | 'provider' | 'model' | 'prompt' | 'selector' | 'k' | 'repeat' | 'itemId' | 'shotIds' | 'promptHash' | 'cached' | 'shared' | 'batch'
>;

function failedCall(err: unknown): CallOutcome {
  const error =
    err instanceof ProviderError
      ? { kind: err.kind, message: err.message }
      : { kind: 'other' as const, message: err instanceof Error ? err.message : String(err) };
  return {
    output: null,
    finishReason: null,
    parseOk: false,
    parseError: null,
    answer: null,
    score: 0,
    details: {},
    error,
    tokensIn: 0,
    tokensOut: 0,
    cachedTokens: 0,
    latencyMs: 0,
    requestId: null,
    attempts: err instanceof ProviderError ? err.attempts : 1,
  };
}
