/**
 * A sweep's calls through the providers' batch engines (`sweep --batch`, `batch: true`; issue 18).
 * Before the trials of a plan (or of an adaptive look) run, the requests of the providers sent by batch
 * are gathered (each distinct request once, by response cache key; those the cache already answers
 * are not asked), split into jobs within the provider's limits, reserved against the budget at the
 * batch price job by job, submitted, logged in the results folder (job-log.ts), waited for and
 * collected: answers go into the response cache and into BatchOutcomes, which the trials then read
 * (execute.ts), so the trials, the report and compare are those of a synchronous sweep.
 *
 * A rerun finds the jobs any attempt of the run submitted and waits for them or collects them again
 * instead of submitting their requests twice. Requests that expired, were cancelled or failed in a
 * way a retry could fix are retried as the user chose (`--batch-retry`): synchronously (the trials
 * call as usual), in a follow-up batch, or not at all (recorded as the provider error they are).
 */
import { groupBy } from '../../util/group-by.js';
import type { BatchEngine, BatchItemResult, BatchJobStatus, BatchRequest } from '../../providers/batch.js';
import { isTerminalState } from '../../providers/batch.js';
import { ProviderError } from '../../providers/provider.js';
import { promptTokensForBudget } from '../../providers/tokens.js';
import type { BudgetTracker } from '../budget.js';
import { trialCall, type ExecuteContext } from '../execute.js';
import type { PlanLook } from '../plan.js';
import { JobLog, type LoggedJob } from './job-log.js';
import type { BatchOutcomes } from './outcomes.js';

export type BatchRetry = 'sync' | 'batch' | 'none';

export interface BatchSettings {
  /** Provider names whose calls go by batch (those whose API has no batch engine run synchronously). */
  providers: ReadonlySet<string>;
  retry: BatchRetry;
  /** Submit and return without waiting. */
  detach: boolean;
  /** Polling: the first wait and the longest, in ms (each wait 1.5x the last). */
  poll: { firstMs: number; maxMs: number };
  /** Follow-up batches at most, with --batch-retry batch. */
  maxRounds: number;
  /** At most this many requests per job (--batch-job-size), below the provider's own limit; absent: the provider's limit. */
  maxRequestsPerJob?: number;
}

/** Polling defaults: 5 s, growing to a minute (documented in docs/large-sweeps.md). */
export const DEFAULT_BATCH_POLL = { firstMs: 5_000, maxMs: 60_000 } as const;

/** How often a wait between polls checks whether the sweep was asked to stop. */
const STOP_CHECK_MS = 250;

/** Failures a retry may fix: the request never ran, or the provider was busy. */
const RETRYABLE = new Set(['expired', 'cancelled', 'rate_limit', 'server', 'timeout']);

export interface BatchContext {
  ctx: ExecuteContext;
  outcomes: BatchOutcomes;
  log: JobLog;
  /** Jobs any attempt of this run submitted (job-log.ts's runJobs), updated as this one submits. */
  jobs: LoggedJob[];
  budget: BudgetTracker | null;
  say: (line: string) => void;
  shouldStop: () => boolean;
  signal?: AbortSignal;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

interface Pending {
  provider: string;
  providerId: string;
  engine: BatchEngine;
  key: string;
  request: BatchRequest['request'];
  promptTokens: number;
  maxOutputTokens: number | null;
}

export type BatchPassResult = 'collected' | 'detached' | 'stopped';

/** Sends the look's batchable requests by batch, waits and collects (or returns at once with `detach`). */
export async function runBatchPass(look: Pick<PlanLook, 'providers' | 'forProvider'>, settings: BatchSettings, b: BatchContext): Promise<BatchPassResult> {
  let pending = gather(look, settings, b);
  const requests = new Map(pending.map((p) => [p.key, p.request] as const));
  // Requests a job of this run already carries (any attempt's) are waited for, not submitted again.
  const inJobs = new Map<string, LoggedJob>();
  for (const job of b.jobs) for (const key of job.keys) inJobs.set(key, job);
  for (let round = 0; ; round++) {
    const waiting = new Set<LoggedJob>();
    const fresh: Pending[] = [];
    for (const p of pending) {
      // A follow-up round sends its requests again: the job that carried them let them expire.
      const job = round === 0 ? inJobs.get(p.key) : undefined;
      if (job) waiting.add(job);
      else fresh.push(p);
    }
    for (const job of await submitAll(fresh, settings, b)) waiting.add(job);
    if (waiting.size === 0) return 'collected';
    if (settings.detach) return 'detached';
    const done = await waitFor([...waiting], settings, b);
    if (done === 'stopped') return 'stopped';
    const retry = await collectAll([...waiting], b, requests);
    // Only this pass's requests: a job an earlier attempt submitted may carry others.
    const ours = new Set(pending.map((p) => p.key));
    const again = new Set(retry.filter((key) => ours.has(key)));
    if (again.size === 0 || settings.retry === 'none') return 'collected';
    for (const key of again) b.outcomes.forget(key);
    if (settings.retry === 'sync' || round + 1 >= settings.maxRounds) {
      b.say(`batch: ${again.size} requests that expired or failed transiently will be asked synchronously`);
      return 'collected';
    }
    b.say(`batch: ${again.size} requests that expired or failed transiently go in a follow-up batch`);
    pending = pending.filter((p) => again.has(p.key));
  }
}

/** The distinct billed requests of the look's batch providers that neither the cache nor this sweep's batches answered. */
function gather(look: Pick<PlanLook, 'providers' | 'forProvider'>, settings: BatchSettings, b: BatchContext): Pending[] {
  const out = new Map<string, Pending>();
  for (const provider of look.providers) {
    if (!settings.providers.has(provider)) continue;
    const runtime = b.ctx.providers.get(provider);
    const engine = runtime?.provider.batch;
    if (!runtime || !engine) continue;
    for (const spec of look.forProvider(provider)) {
      const call = trialCall(spec, b.ctx);
      if (call.key === null || out.has(call.key) || b.outcomes.has(call.key) || b.ctx.cache?.get(call.key)) continue;
      out.set(call.key, {
        provider,
        providerId: call.id,
        engine,
        key: call.key,
        request: call.request,
        promptTokens: promptTokensForBudget(call.id, call.request.messages, call.request.systemPrompt),
        maxOutputTokens: call.request.maxOutputTokens ?? runtime.provider.capabilities.defaultMaxOutputTokens,
      });
    }
  }
  return [...out.values()];
}

/** Splits each provider's requests into jobs within its limits, reserves and submits them; the jobs submitted. */
async function submitAll(pending: readonly Pending[], settings: BatchSettings, b: BatchContext): Promise<LoggedJob[]> {
  const byProvider = groupBy(pending, (p) => p.provider);
  const submitted: LoggedJob[] = [];
  for (const [provider, requests] of byProvider) {
    const engine = requests[0]!.engine;
    const limits = {
      maxRequests: Math.min(engine.limits.maxRequests, settings.maxRequestsPerJob ?? Number.POSITIVE_INFINITY),
      maxBytes: engine.limits.maxBytes,
    };
    const chunks = splitJobs(requests, { limits, size: (r) => engine.size(r) });
    for (const [i, chunk] of chunks.entries()) {
      if (b.shouldStop()) return submitted;
      const reserved = b.budget ? b.budget.reserveBatch(provider, chunk) : 0;
      if (reserved === null) {
        for (const p of chunk) b.outcomes.refuse(p.key);
        b.say(`batch: ${provider}: a job of ${chunk.length} requests would cross the budget; not submitted`);
        continue;
      }
      let status: BatchJobStatus;
      try {
        status = await chunk[0]!.engine.submit(
          chunk.map((p) => ({ customId: p.key, request: p.request })),
          b.signal,
        );
      } catch (err) {
        b.budget?.settleBatch(provider, reserved, []);
        const why = err instanceof Error ? err.message : String(err);
        b.say(`batch: ${provider}: submitting a job of ${chunk.length} requests failed (${why}); they will be asked synchronously`);
        continue;
      }
      const job: LoggedJob = {
        runDir: b.log.runDir,
        jobId: status.id,
        provider,
        providerId: chunk[0]!.providerId,
        submittedAt: new Date(now(b)).toISOString(),
        keys: chunk.map((p) => p.key),
        reserved,
        state: status.state,
        stateAt: new Date(now(b)).toISOString(),
        collectedAt: null,
        cancelRequestedAt: null,
      };
      b.log.submitted(job);
      b.jobs.push(job);
      submitted.push(job);
      b.say(`batch: ${provider}: submitted job ${i + 1} of ${chunks.length}, ${status.id} (${chunk.length} requests)`);
    }
  }
  return submitted;
}

/** Jobs within the engine's limits: at most maxRequests requests and maxBytes bytes each. */
export function splitJobs<T extends { key: string; request: BatchRequest['request'] }>(
  requests: readonly T[],
  engine: Pick<BatchEngine, 'limits' | 'size'>,
): T[][] {
  const jobs: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const r of requests) {
    const size = engine.size({ customId: r.key, request: r.request });
    if (current.length > 0 && (current.length >= engine.limits.maxRequests || bytes + size > engine.limits.maxBytes)) {
      jobs.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) jobs.push(current);
  return jobs;
}

/** Polls the jobs with backoff until every one is in a terminal state, or the sweep is stopped. */
async function waitFor(jobs: LoggedJob[], settings: BatchSettings, b: BatchContext): Promise<'done' | 'stopped'> {
  let wait = settings.poll.firstMs;
  const engineOf = (job: LoggedJob) => b.ctx.providers.get(job.provider)?.provider.batch;
  const statuses = new Map<string, BatchJobStatus>();
  let lastLine = '';
  for (;;) {
    const open = jobs.filter((job) => !isTerminalState(statuses.get(job.jobId)?.state ?? job.state));
    for (const job of open) {
      const engine = engineOf(job);
      if (!engine) throw new ProviderError('other', `${job.provider}: job ${job.jobId} was submitted by batch, but the provider is not in this sweep`);
      try {
        const status = await engine.status(job.jobId, b.signal);
        if (status.state !== job.state) {
          b.log.state(job.jobId, status.state);
          job.state = status.state;
        }
        statuses.set(job.jobId, status);
      } catch (err) {
        if (b.shouldStop() || b.signal?.aborted) return 'stopped';
        if (err instanceof ProviderError && !RETRYABLE.has(err.kind)) throw err;
        // A transient failure of the status call: the job runs on; ask again at the next poll.
      }
    }
    const line = progressLine(jobs, statuses, now(b));
    if (line !== lastLine) {
      b.say(line);
      lastLine = line;
    }
    if (jobs.every((job) => isTerminalState(job.state))) return 'done';
    if (b.shouldStop() || b.signal?.aborted) return 'stopped';
    // In slices, so a Ctrl-C is answered within a quarter second, not after a minute's poll.
    for (let slept = 0; slept < wait && !b.shouldStop() && !b.signal?.aborted; slept += STOP_CHECK_MS)
      await b.sleep(Math.min(STOP_CHECK_MS, wait - slept), b.signal);
    if (b.shouldStop() || b.signal?.aborted) return 'stopped';
    wait = Math.min(settings.poll.maxMs, Math.round(wait * 1.5));
  }
}

/** "batch openai:gpt-4o-mini: 2 jobs (1 running, 1 ended), 480 of 500 requests done, 3 failed, 2m13s since submission" per provider. */
function progressLine(jobs: readonly LoggedJob[], statuses: ReadonlyMap<string, BatchJobStatus>, at: number): string {
  const byProvider = groupBy(jobs, (job) => job.provider);
  const parts: string[] = [];
  for (const [provider, own] of byProvider) {
    const states = new Map<string, number>();
    let total = 0;
    let done = 0;
    let failed = 0;
    for (const job of own) {
      const s = statuses.get(job.jobId);
      states.set(job.state, (states.get(job.state) ?? 0) + 1);
      total += s?.counts.total || job.keys.length;
      done += (s?.counts.succeeded ?? 0) + (s?.counts.failed ?? 0);
      failed += s?.counts.failed ?? 0;
    }
    const first = Math.min(...own.map((j) => Date.parse(j.submittedAt)));
    const since = Math.max(0, Math.round((at - first) / 1000));
    const stateText = [...states].map(([s, n]) => `${n} ${s}`).join(', ');
    parts.push(
      `batch ${provider}: ${own.length} job${own.length === 1 ? '' : 's'} (${stateText}), ${done} of ${total} requests done, ${failed} failed, ${Math.floor(since / 60)}m${String(since % 60).padStart(2, '0')}s since submission`,
    );
  }
  return parts.join('\n');
}

/**
 * Reads every terminal job's results into the cache and the outcomes, books their cost at the batch
 * price, and returns the keys whose failure a retry may fix.
 */
async function collectAll(jobs: readonly LoggedJob[], b: BatchContext, requests: ReadonlyMap<string, BatchRequest['request']>): Promise<string[]> {
  const retry: string[] = [];
  for (const job of jobs) {
    const runtime = b.ctx.providers.get(job.provider);
    const engine = runtime?.provider.batch;
    if (!engine) continue;
    let results: BatchItemResult[];
    if (job.state === 'failed') {
      const status = await engine.status(job.jobId, b.signal).catch(() => null);
      const error = new ProviderError(
        'bad_request',
        `${job.providerId}: batch job ${job.jobId} failed${status?.message ? ` (${status.message})` : ''}`,
        null,
        null,
        'none',
      );
      results = job.keys.map((customId) => ({ customId, error }));
    } else {
      // The job's requests as this sweep builds them: what reading a job another process submitted may need.
      const asSubmitted = job.keys.flatMap((customId) => {
        const request = requests.get(customId);
        return request ? [{ customId, request }] : [];
      });
      results = await engine.results(job.jobId, b.signal, asSubmitted);
    }
    const carries = new Set(job.keys);
    const seen = new Set<string>();
    const answers: { tokensIn: number; tokensOut: number; cachedTokens: number }[] = [];
    let failed = 0;
    for (const item of results) {
      if (!carries.has(item.customId) || seen.has(item.customId)) continue;
      seen.add(item.customId);
      if ('result' in item) {
        b.outcomes.answer(item.customId, job.jobId, item.result);
        b.ctx.cache?.put(item.customId, job.providerId, item.result);
        answers.push(item.result);
      } else {
        failed++;
        b.outcomes.fail(item.customId, job.jobId, item.error);
        if (RETRYABLE.has(item.error.kind)) retry.push(item.customId);
      }
    }
    // A request the job carries with no result never ran.
    for (const key of job.keys) {
      if (seen.has(key)) continue;
      failed++;
      b.outcomes.fail(
        key,
        job.jobId,
        new ProviderError('expired', `${job.providerId}: batch request expired before it ran (job ${job.jobId})`, null, null, 'none'),
      );
      retry.push(key);
    }
    // Submitted by an earlier attempt: its ledger already counts the job at its reservation.
    const carried = job.runDir !== b.log.runDir;
    b.budget?.settleBatch(job.provider, carried ? 0 : job.reserved, answers, carried);
    b.log.collected(job.jobId, answers.length, failed);
    job.collectedAt = new Date(now(b)).toISOString();
  }
  return retry;
}

function now(b: BatchContext): number {
  return (b.now ?? Date.now)();
}
