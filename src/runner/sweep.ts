import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { ExperimentConfig } from '../config/schema.js';
import type { TemplateFile } from '../tasks/task.js';
import { sha256 } from '../util/hash.js';
import { BASE_URL_VARIABLES, type ResolveOptions } from '../providers/registry.js';
import { TOOL_VERSION } from '../version.js';
import { BudgetTracker, checkBudgetEstimate, checkJudgePrice } from './budget.js';
import { checkCacheWritable, ResponseCache } from './cache.js';
import { SpendLedger } from './spend-ledger.js';
import { estimateSweep } from './estimate.js';
import { executePlan, type ExecuteContext, type ExecuteOptions, type ProviderRuntime } from './execute.js';
import type { PlanCell, PlanLook } from './plan.js';
import { cellKey, curveKey, lookSchedule, resolveSampling, splitCurveKey } from '../config/sampling.js';
import { promptFingerprint } from './fingerprint.js';
import { gitState } from './git.js';
import { trainingTokens } from './training-tokens.js';
import { prepareSelectors, prepareSweep, prepareTasks, type PreparedSweep } from './prepare.js';
import { Progress } from './progress.js';
import { sleepUnlessAborted } from '../providers/adaptive.js';
import { calibrationNotice, gradeCalibration } from './calibration.js';
import { ModelScorer } from './score.js';
import { writeRunInfo, type RunInfo } from '../records/run-info.js';
import { createRunDir } from './store.js';
import { TrialWriter } from '../records/trials-file.js';
import { BUILTIN_PROMPT, type TrialRecord } from '../records/trial.js';
import { runJobs, JobLog } from './batch/job-log.js';
import { BatchOutcomes } from './batch/outcomes.js';
import { DEFAULT_BATCH_POLL, runBatchPass, type BatchPassResult, type BatchRetry, type BatchSettings } from './batch/run-batches.js';

/** What the analysis says after a look: curves decided (curveKey), and cells (k > 0) of undecided curves that stop. */
export interface LookVerdict {
  decided: Iterable<string>;
  settled: Iterable<{ provider: string; prompt: string; selector: string; k: number }>;
}

export interface SweepOptions {
  experimentPath: string;
  /** Overrides the experiment's `out`. */
  outDir?: string;
  concurrency?: number;
  quiet?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Writes human-readable lines (notices, where the report is). */
  log?: (line: string) => void;
  progressStream?: NodeJS.WriteStream;
  /** Returns true once the user asked to stop (Ctrl-C): no new calls start, the report is marked partial. */
  shouldStop?: () => boolean;
  /** Aborts the calls in flight (Ctrl-C's grace period ran out): they are not recorded, and a rerun asks them again. */
  abortSignal?: AbortSignal;
  now?: () => Date;
  /** Passed to every network provider (tests replace retry waits). */
  providerOptions?: ResolveOptions;
  /**
   * The response cache's folder (see cache.ts; the CLI resolves its default). Absent: no cache, every
   * call is made. With it, running the same experiment again is a resume: answered calls are not repeated.
   */
  cacheDir?: string;
  /** Start even when the estimate exceeds the experiment's `budget` or cannot be priced (the cap still holds during the run). */
  force?: boolean;
  /** `--budget-reset`: do not count what earlier, unfinished attempts of this run spent (spend-ledger.ts); later attempts count from this one. */
  budgetReset?: boolean;
  /** `--batch`: send every provider's calls through its batch API where it has one (else the entries' `batch: true`). */
  batch?: boolean;
  /** `--detach`: submit the batch jobs and return without waiting (a rerun, or `fewshot batch collect`, collects). */
  detach?: boolean;
  /** `--batch-retry`: expired, cancelled or transiently failed batch requests are asked synchronously (default), in a follow-up batch, or not again. */
  batchRetry?: BatchRetry;
  /** Batch polling waits (--batch-poll; tests shorten them); default DEFAULT_BATCH_POLL. */
  batchPoll?: { firstMs: number; maxMs: number };
  /** `--batch-job-size`: at most this many requests per batch job (default: the provider's limit). */
  batchJobSize?: number;
  /** `--adaptive`: sample in looks (the experiment's `sampling:` numbers, or their defaults) even when it says `mode: full`. */
  adaptive?: boolean;
  /**
   * Adaptive sampling's decision after each look: the curves (curveKey) whose label is decided on the
   * trials so far, and the cells of undecided curves that no longer matter. The app computes it with
   * the analysis (the runner does not import it); without it a sweep runs every item, whatever
   * `sampling:` says.
   */
  afterLook?: (totals: TrialTotals, info: RunInfo, look: { index: number; items: number; looks: readonly number[] }) => LookVerdict;
}

/**
 * Running totals the sweep feeds every completed trial into, besides trials.jsonl (no record is kept
 * in memory). The caller makes them (the app passes the analysis' TrialAccumulator: the runner does
 * not import the analysis) once the task's measures are known, and gets them back in the SweepRun.
 */
export interface TrialTotals {
  add(record: TrialRecord): void;
  /** Trials added so far. */
  readonly trials: number;
}

/** A finished (or stopped) sweep: run.json is written with its final status; summary and report are not (the app draws them). */
export interface SweepRun<T extends TrialTotals> {
  runId: string;
  runDir: string;
  /** As written to run.json at the end. */
  info: RunInfo;
  /** What `newTotals` made, holding every trial of this run. */
  totals: T;
  trials: number;
  /** Trials answered from the response cache. */
  cacheHits: number;
  /** Provider calls made by this run (not from the cache; the local baseline makes none). */
  newCalls: number;
  /** Trials answered by an identical call another trial had in flight (single-flight): calls saved. */
  sharedCalls: number;
  status: RunInfo['status'];
  seconds: number;
  /** How the batch jobs ended this sweep: all collected, left running by --detach, or by a stop; absent without batch. */
  batch?: BatchPassResult;
}

/**
 * Runs the sweep's trials into trials.jsonl and `newTotals(measure keys)`, and writes run.json. Asked
 * to stop (`shouldStop`), it starts no new call and returns with status 'partial'; the app writes
 * the (partial) report from the totals (app/sweep-and-report.ts).
 */
export async function sweepTrials<T extends TrialTotals>(options: SweepOptions, newTotals: (measureKeys: string[]) => T): Promise<SweepRun<T>> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.log(line));
  const now = options.now ?? (() => new Date());
  const started = now();
  const prepared = prepareSweep(options.experimentPath, env, options.concurrency, options.providerOptions);
  // A scorer module is imported and tried here: a bad one stops the sweep before the results folder and any call.
  await prepareTasks(prepared);
  const { config, task, data, resolutions, plan } = prepared;
  // The budget is checked before anything is written: a refused sweep leaves no results folder.
  const budget = config.budget ?? null;
  if (budget !== null) {
    for (const notice of checkBudgetEstimate(estimateSweep(prepared), budget, options.force ?? false, config.prices ?? null)) data.notices.push(notice);
  }
  const judgeId = prepared.judge?.provider.id ?? null;
  if (budget !== null && judgeId !== null) {
    for (const notice of checkJudgePrice(judgeId, budget, options.force ?? false, config.prices ?? null)) data.notices.push(notice);
  }
  const tracker = new BudgetTracker(
    budget,
    resolutions.filter((r) => r.status === 'ready').map((r) => ({ name: r.name, id: r.id })),
    config.prices ?? null,
    judgeId !== null ? [judgeId] : [],
  );

  for (const r of resolutions) if (r.status === 'skipped') log(`skipping ${r.name}: ${r.reason}`);
  for (const r of resolutions) if (r.status === 'ready') for (const notice of r.notices ?? []) data.notices.push(notice);
  for (const notice of data.notices) log(`note: ${notice}`);

  // Opened only when a provider it serves will run (a judge too: its calls are cached): a local-only sweep leaves no cache file behind.
  // Providers are named by label, else id: the baseline (id `local`) may carry a label.
  const localNames = new Set(resolutions.filter((r) => r.id === 'local').map((r) => r.name));
  const useCache = options.cacheDir !== undefined && ([...plan.countByProvider().keys()].some((p) => !localNames.has(p)) || judgeId !== null);
  // An unwritable cache stops the sweep here (exit 2), before the results folder and any call: an answer paid for could not be kept.
  if (useCache) checkCacheWritable(options.cacheDir!);
  // Adaptive sampling's numbers resolved against the items (recorded so `fewshot report` tests at the same levels).
  const sampling = resolveSampling(options.adaptive ? { ...config.sampling, mode: 'adaptive' } : config.sampling, data.items.length);
  const adaptive = sampling.mode === 'adaptive' && options.afterLook !== undefined;
  if (config.sampling !== undefined || adaptive) config.sampling = sampling;
  const { runId, dir } = createRunDir(resolve(options.outDir ?? config.out), config.name, started);
  const info: RunInfo = {
    runId,
    experiment: { name: config.name, path: options.experimentPath },
    config,
    seed: config.seed,
    tool: { name: 'fewshot', version: TOOL_VERSION },
    git: gitState(dirname(resolve(options.experimentPath))),
    startedAt: started.toISOString(),
    endedAt: null,
    status: 'running',
    providers: resolutions.map((r) => {
      const named = { id: r.id, ...(r.name !== r.id && { label: r.name }) };
      return r.status === 'ready' ? { ...named, status: 'ran' as const } : { ...named, status: 'skipped' as const, reason: r.reason };
    }),
    notices: data.notices,
    plannedTrials: plan.length,
    completedTrials: 0,
    task: {
      type: task.type,
      poolSize: data.pool.length,
      evalItems: data.items.length,
      baseline: task.baselineDescription,
      measures: [...task.measures],
    },
    prompt: promptFingerprint(config, prepared.tasks, data, schemaFiles(config.providers, dirname(resolve(options.experimentPath)))),
  };
  // The pool as fine-tuning examples, counted per provider, for the advice's break-even (training-tokens.ts).
  const fineTune = trainingTokens(
    task,
    data.pool,
    resolutions.flatMap((r) => (r.status === 'ready' ? [{ name: r.name, id: r.id, systemPrompt: r.config.systemPrompt }] : [])),
  );
  if (fineTune && Object.keys(fineTune.tokensPerEpoch).length > 0) info.fineTune = fineTune;
  writeRunInfo(dir, info);

  const counts = plan.countByProvider();
  log(`run ${runId}: ${plan.length} trials (${[...counts].map(([p, n]) => `${p} ${n}`).join(', ') || 'no provider to run'})`);

  await prepareSelectors(prepared);
  // Cache problems (a damaged file moved aside, a failed write turning the cache off): one line on stderr, above the bars once they run, and a run.json notice.
  let cacheNote: (line: string) => void = (line) => (options.progressStream ?? process.stderr).write(`${line}\n`);
  const onNotice = (notice: string) => {
    info.notices.push(notice);
    cacheNote(`note: ${notice}`);
  };
  const cache = useCache ? ResponseCache.open(options.cacheDir!, { onNotice }) : null;
  if (cache) log(`cache: ${relative(process.cwd(), cache.path) || cache.path} (answers already there are not asked again)`);
  // What earlier attempts of this run (same experiment and prompt, same results folder) spent and did not finish counts against the budget.
  const spend =
    [...counts.keys()].some((p) => !localNames.has(p)) || judgeId !== null
      ? SpendLedger.open(resolve(options.outDir ?? config.out), {
          runId,
          experiment: config.name,
          prompt: info.prompt!,
          reset: options.budgetReset ?? false,
          now: started,
          onNotice,
        })
      : null;
  if (spend) {
    const carried = tracker.resume(spend.earlier, spend.ledger, spend.ignored);
    if (carried !== null) {
      log(carried);
      info.notices.push(carried);
    }
  }
  const writer = new TrialWriter(join(dir, 'trials.jsonl'));
  // Trials go to disk and into running totals as they complete; no record is kept in memory.
  const totals = newTotals(task.measures.map((m) => m.key));
  let cacheHits = 0;
  let newCalls = 0;
  let sharedCalls = 0;
  const done = new Map<string, number>();
  /** Trials the budget stopped, by cell, so the report can say which cells are incomplete because of it. */
  const budgetSkips = new Map<string, number>();
  let adaptiveComplete = false;
  let batchOutcome: BatchPassResult | undefined;
  const throttles = new Map(resolutions.flatMap((r) => (r.status === 'ready' && r.throttle ? [[r.name, r.throttle] as const] : [])));
  const progress = new Progress({
    providers: [...counts].map(([id, total]) => ({ id, total })),
    stream: options.progressStream ?? process.stderr,
    quiet: options.quiet ?? false,
    spend: (provider) => tracker.spentBy(provider),
    currency: tracker.currency,
    throttle: (provider) => throttles.get(provider)?.snapshot() ?? null,
    ...(judgeId !== null && {
      judge: { id: judgeId, spend: () => tracker.spentByJudge(judgeId), throttle: () => prepared.judge?.throttle?.snapshot() ?? null },
    }),
  });
  // While bars are live, lines go above them rather than through them.
  const say = (line: string) => (progress.live ? progress.note(line) : log(line));
  cacheNote = (line) => progress.note(line);
  try {
    // The judge's calls go through the same cache and budget as the answers (score.ts).
    const scorer = new ModelScorer(new Map(prepared.judge ? [['judge', prepared.judge] as const] : []), cache, tracker, options.shouldStop);
    const context: ExecuteContext = { ...buildContext(prepared, runId, env), cache, budget: tracker, scorer };
    // Batch: the providers sent by batch (--batch or `batch: true`) whose API has a batch engine (runner/batch/).
    const wantBatch = resolutions.filter((r) => r.status === 'ready' && r.id !== 'local' && (options.batch === true || r.config.batch === true));
    for (const r of wantBatch) if (r.status === 'ready' && !r.provider.batch) say(`note: ${r.name} has no batch API; its calls are made one by one`);
    const batchNames = new Set(wantBatch.flatMap((r) => (r.status === 'ready' && r.provider.batch ? [r.name] : [])));
    const batchSettings: BatchSettings = {
      providers: batchNames,
      retry: options.batchRetry ?? 'sync',
      detach: options.detach ?? false,
      poll: options.batchPoll ?? DEFAULT_BATCH_POLL,
      maxRounds: 3,
      ...(options.batchJobSize !== undefined && { maxRequestsPerJob: options.batchJobSize }),
    };
    const outcomes = batchNames.size > 0 ? new BatchOutcomes() : null;
    if (outcomes) context.batch = outcomes;
    const batchContext = outcomes
      ? {
          ctx: context,
          outcomes,
          log: new JobLog(dir),
          jobs: runJobs(resolve(options.outDir ?? config.out), { experiment: config.name, prompt: info.prompt! }),
          budget: tracker,
          say,
          shouldStop: () => options.shouldStop?.() === true || options.abortSignal?.aborted === true,
          ...(options.abortSignal && { signal: options.abortSignal }),
          sleep: sleepUnlessAborted,
        }
      : null;
    if (batchContext && batchContext.jobs.length > 0)
      say(`batch: ${batchContext.jobs.length} jobs submitted by earlier attempts of this run: waited for or collected, not submitted again`);
    /** Runs part of the plan: batch providers' requests by batch first (then their trials read the answers), the others as usual, side by side. False: stop (detached, or stopped while waiting). */
    const runPart = async (part: RunnablePart): Promise<boolean> => {
      if (!batchContext) {
        await executePlan(part, context, handlers);
        return true;
      }
      const byBatch = restrictPart(part, (p) => batchNames.has(p));
      const direct = restrictPart(part, (p) => !batchNames.has(p));
      if (batchSettings.detach) {
        batchOutcome = await runBatchPass(byBatch, batchSettings, batchContext);
        if (batchOutcome !== 'collected') return false;
        await executePlan(part, context, handlers);
        return true;
      }
      const [, passed] = await Promise.all([
        executePlan(direct, context, handlers),
        (async () => {
          const result = await runBatchPass(byBatch, batchSettings, batchContext);
          batchOutcome = result;
          if (result === 'collected') await executePlan(byBatch, context, handlers);
          return result;
        })(),
      ]);
      return passed === 'collected';
    };
    const handlers: ExecuteOptions = {
      onRecord: (record) => {
        writer.write(record);
        totals.add(record);
        done.set(record.provider, (done.get(record.provider) ?? 0) + 1);
        if (record.shared) sharedCalls++;
        else if (record.cached) cacheHits++;
        else if (!localNames.has(record.provider)) newCalls++;
        progress.record(record);
      },
      ...(options.shouldStop && { shouldStop: options.shouldStop }),
      ...(options.abortSignal && { signal: options.abortSignal }),
      onBudgetSkip: (spec) => {
        progress.skip(spec.provider, 1);
        const cell = `${spec.provider} / ${spec.prompt === BUILTIN_PROMPT ? '' : `${spec.prompt} / `}${spec.selector} / k=${spec.k}`;
        budgetSkips.set(cell, (budgetSkips.get(cell) ?? 0) + 1);
      },
      onProviderStopped: (provider, reason) => {
        const notice = `${provider} stopped after an error that retrying cannot fix; its remaining trials were not run: ${reason}`;
        say(`stopping ${notice}`);
        info.notices.push(notice);
        progress.skip(provider, plan.perProvider - (done.get(provider) ?? 0));
      },
    };
    if (adaptive) {
      const looks = lookSchedule(sampling.firstLook, sampling.step, sampling.maxItems);
      const curves = [...new Set(plan.providers.flatMap((p) => plan.cells.filter((c) => c.k > 0).map((c) => curveKey(p, c.prompt, c.selector))))];
      const wanted = new Set(curves);
      const decided = new Set<string>();
      const stopped = new Set<string>();
      // The shared zero-shot cell runs while any curve of its provider and prompt still takes items.
      const keep = (provider: string, cell: PlanCell) =>
        cell.k === 0
          ? plan.cells.some((c) => c.k > 0 && c.prompt === cell.prompt && !decided.has(curveKey(provider, c.prompt, c.selector)))
          : !decided.has(curveKey(provider, cell.prompt, cell.selector)) && !stopped.has(cellKey(provider, cell.prompt, cell.selector, cell.k));
      let from = 0;
      const record: NonNullable<RunInfo['sampling']> = { ...sampling, mode: 'adaptive', looks, decided: [] };
      info.sampling = record;
      for (const [index, to] of looks.entries()) {
        if (options.shouldStop?.() || options.abortSignal?.aborted) break;
        if (!(await runPart(plan.look(from, to, keep)))) break;
        from = to;
        if (options.shouldStop?.() || options.abortSignal?.aborted) break;
        record.completedLooks = index + 1;
        const verdict = options.afterLook!(totals, info, { index, items: to, looks });
        for (const key of verdict.decided) {
          if (!wanted.has(key) || decided.has(key)) continue;
          decided.add(key);
          const [provider, prompt, selector] = splitCurveKey(key);
          record.decided.push({ provider, prompt, selector, atItems: to });
        }
        for (const cell of verdict.settled) {
          const key = cellKey(cell.provider, cell.prompt, cell.selector, cell.k);
          if (stopped.has(key) || decided.has(curveKey(cell.provider, cell.prompt, cell.selector))) continue;
          stopped.add(key);
          (record.stopped ??= []).push({ ...cell, atItems: to });
        }
        const cellsNote = stopped.size > 0 ? `; ${stopped.size} cell${stopped.size === 1 ? '' : 's'} of undecided curves settled` : '';
        say(`look ${index + 1} of ${looks.length} (${to} items): ${decided.size} of ${curves.length} curves decided${cellsNote}`);
        if (decided.size === curves.length) break;
      }
      // What the decided curves did not need to ask: shown as done on the bars, not as missing.
      for (const provider of plan.providers) progress.skip(provider, Math.max(0, plan.perProvider - (done.get(provider) ?? 0)));
      adaptiveComplete = !(options.shouldStop?.() || options.abortSignal?.aborted) && batchOutcome !== 'detached' && batchOutcome !== 'stopped';
    } else {
      await runPart(plan);
    }
    // The judge's calibration set, after the trials, through the same cache and budget (calibration.ts).
    if (prepared.calibration && judgeId !== null) {
      const graded = await gradeCalibration(prepared.calibration, scorer, {
        judgeId,
        concurrency: config.concurrency,
        ...(options.abortSignal && { signal: options.abortSignal }),
        ...(options.shouldStop && { shouldStop: options.shouldStop }),
      });
      info.judgeCalibration = graded.run;
      say(`judge calibration: ${graded.run.records.length} records of ${graded.run.file}: ${graded.calls} judge calls, ${graded.cacheHits} from the cache`);
      const notice = calibrationNotice(graded);
      if (notice !== null) info.notices.push(notice);
    }
  } finally {
    writer.close();
    cache?.close();
    progress.finish();
  }

  if (batchOutcome === 'detached' || batchOutcome === 'stopped') {
    const how = batchOutcome === 'detached' ? 'submitted (--detach)' : 'left running';
    const folder = relative(process.cwd(), dir) || dir;
    const notice = `batch jobs ${how}: collect them with \`fewshot batch collect ${folder}\` (or run the same sweep again), see them with \`fewshot batch status ${folder}\`, cancel them with \`fewshot batch cancel ${folder}\``;
    log(notice);
    info.notices.push(notice);
  }
  const ended = now();
  info.endedAt = ended.toISOString();
  info.completedTrials = totals.trials;
  // An adaptive sweep that ran its looks to the end is complete without asking the whole grid.
  info.status = totals.trials === plan.length || adaptiveComplete ? 'complete' : 'partial';
  for (const [id, throttle] of throttles) {
    const { rateLimited, limit, max } = throttle.snapshot();
    if (rateLimited > 0) {
      info.notices.push(`${id}: ${rateLimited} rate-limited (429) responses; calls in flight were cut back while they lasted (ending at ${limit} of ${max})`);
    }
  }
  const judgeThrottle = prepared.judge?.throttle?.snapshot();
  if (judgeThrottle && judgeThrottle.rateLimited > 0) {
    const { rateLimited, limit, max } = judgeThrottle;
    const ending = Number.isFinite(max) ? `${limit} of ${max}` : `${limit}`;
    info.notices.push(
      `judge ${judgeId}: ${rateLimited} rate-limited (429) responses; judge calls in flight were cut back while they lasted (ending at ${ending})`,
    );
  }
  const budgetNotice = tracker.notice();
  if (budgetNotice) {
    log(budgetNotice);
    info.notices.push(budgetNotice);
    const perCell = plan.perProvider / plan.cells.length;
    const cells = [...budgetSkips].map(([cell, n]) => `${cell}: ${n} of ${perCell} trials not run`);
    info.notices.push(`cells incomplete because of the budget: ${cells.join('; ')}`);
  }
  info.spend = tracker.record();
  info.calls = { new: newCalls, cached: cacheHits, shared: sharedCalls };
  writeRunInfo(dir, info);
  return {
    runId,
    runDir: dir,
    info,
    totals,
    trials: totals.trials,
    cacheHits,
    newCalls,
    sharedCalls,
    status: info.status,
    seconds: (ended.getTime() - started.getTime()) / 1000,
    ...(batchOutcome !== undefined && { batch: batchOutcome }),
  };
}

/** What executePlan and a batch pass read of a plan or a look. */
type RunnablePart = Pick<PlanLook, 'providers' | 'forProvider'>;

/** The part of a plan or look that belongs to the providers `keep` accepts. */
function restrictPart(part: RunnablePart, keep: (provider: string) => boolean): RunnablePart {
  return { providers: part.providers.filter(keep), forProvider: (provider) => part.forProvider(provider) };
}

function buildContext(prepared: PreparedSweep, runId: string, env: NodeJS.ProcessEnv) {
  const { config, task, tasks, data, resolutions } = prepared;
  const providers = new Map<string, ProviderRuntime>();
  for (const r of resolutions) {
    if (r.status !== 'ready') continue;
    providers.set(r.name, {
      id: r.id,
      provider: r.provider,
      concurrency: r.config.concurrency ?? config.concurrency,
      ...endpointOf(r.id, r.config.baseUrl, env),
      ...(r.config.temperature !== undefined && { temperature: r.config.temperature }),
      ...(r.config.maxOutputTokens !== undefined && { maxOutputTokens: r.config.maxOutputTokens }),
      ...(r.config.systemPrompt !== undefined && { systemPrompt: r.config.systemPrompt }),
      options: prepared.requestOptions.get(r.name) ?? {},
    });
  }
  return {
    runId,
    experimentSeed: config.seed,
    task,
    tasks,
    pool: data.pool,
    items: data.items,
    providers,
    arms: new Map(prepared.arms.map((arm) => [arm.label, arm])),
    distractors: data.distractors ?? [],
    repeats: config.repeats,
  };
}

/** The base URL the provider talks to, as the registry resolves it (YAML, else environment); none for the SDK default. */
function endpointOf(id: string, baseUrl: string | undefined, env: NodeJS.ProcessEnv): { endpoint?: string } {
  const variable = BASE_URL_VARIABLES[id.slice(0, id.indexOf(':'))];
  const endpoint = baseUrl ?? ((variable && env[variable]) || undefined);
  return endpoint ? { endpoint } : {};
}

/** The JSON Schema files providers' `responseFormat` names, hashed: an edited schema changes what is asked, so the fingerprint. */
function schemaFiles(providers: ExperimentConfig['providers'], baseDir: string): TemplateFile[] {
  const names = [...new Set(providers.flatMap((p) => (typeof p.responseFormat === 'object' ? [p.responseFormat.schema] : [])))];
  return names.map((name) => ({ name, sha256: sha256(readFileSync(join(baseDir, name), 'utf8')) }));
}
