import { dirname, join, relative, resolve } from 'node:path';
import { loadExperiment } from '../config/load.js';
import type { ExperimentConfig } from '../config/schema.js';
import { BASE_URL_VARIABLES, resolveProvider, type ProviderResolution, type ResolveOptions } from '../providers/registry.js';
import { writeReport, writeReportCharts } from '../report/write.js';
import { buildArms, selectorLabel, type Arm } from '../selectors/arms.js';
import { createSelector } from '../selectors/index.js';
import type { Selector, SelectorSpec } from '../selectors/selector.js';
import { TaskDataError } from '../tasks/errors.js';
import { createTask } from '../tasks/index.js';
import type { Task, TaskData } from '../tasks/task.js';
import { TOOL_VERSION } from '../version.js';
import { BudgetTracker, checkBudgetEstimate } from './budget.js';
import { checkCacheWritable, ResponseCache } from './cache.js';
import { estimateSweep } from './estimate.js';
import { executePlan, type ProviderRuntime } from './execute.js';
import { promptFingerprint } from './fingerprint.js';
import { gitState } from './git.js';
import { planTrials, type TrialPlan } from './plan.js';
import { Progress } from './progress.js';
import type { RunInfo } from './run-info.js';
import { createRunDir, TrialWriter, writeRunInfo } from './store.js';
import { TrialAccumulator } from '../analysis/accumulate.js';

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
}

export interface PreparedSweep {
  config: ExperimentConfig;
  task: Task;
  data: TaskData<unknown>;
  resolutions: ProviderResolution[];
  /** The curves' ways of building shots (selector x order, distractor arms); skipped selectors are left out. */
  arms: Arm[];
  plan: TrialPlan;
}

/** Everything up to the first call: validate, load the task, resolve providers, expand the grid. */
export function prepareSweep(experimentPath: string, env: NodeJS.ProcessEnv, concurrency?: number, providerOptions: ResolveOptions = {}): PreparedSweep {
  const config = loadExperiment(experimentPath);
  if (concurrency !== undefined) config.concurrency = concurrency;
  const task = createTask(config.task, config.seed, { baseDir: dirname(resolve(experimentPath)), env, providerOptions });
  const data = task.load();
  const largestK = Math.max(...config.shots);
  if (largestK > data.pool.length) {
    throw new TaskDataError(experimentPath, null, `shots: k = ${largestK} needs at least ${largestK} pool examples, but the task's pool has ${data.pool.length}`);
  }
  // The experiment's concurrency is each provider's ceiling unless it sets its own (the adaptive throttle climbs back to it).
  const resolutions = config.providers.map((p) => resolveProvider(p, task, env, { ...providerOptions, concurrency: config.concurrency }));
  const arms = prepareArms(config, data, env, experimentPath);
  const plan = planTrials({
    itemCount: data.items.length,
    repeats: config.repeats,
    providers: resolutions.filter((r) => r.status === 'ready').map((r) => r.id),
    selectors: arms.map((a) => a.label),
    shots: config.shots,
  });
  return { config, task, data, resolutions, arms, plan };
}

/** Creates each selector once (skipping, with a notice, one that cannot run, e.g. embeddings without a key) and expands the arms. */
function prepareArms(config: ExperimentConfig, data: TaskData<unknown>, env: NodeJS.ProcessEnv, experimentPath: string): Arm[] {
  const ready: { spec: SelectorSpec; selector: Selector }[] = [];
  for (const spec of config.selectors) {
    const r = createSelector(spec, { env });
    if (r.status === 'ready') ready.push({ spec, selector: r.selector });
    else data.notices.push(`selector ${selectorLabel(spec)} skipped: ${r.reason}`);
  }
  const count = config.distractors?.count ?? 0;
  if (count > 0 && (data.distractors ?? []).length === 0) {
    throw new TaskDataError(experimentPath, null, `distractors: task "${config.task.type}" has no off-task examples to mix in (AdaptGauge packs have them)`);
  }
  return buildArms(ready, config.order, count);
}

export interface SweepResult {
  runId: string;
  runDir: string;
  reportPath: string;
  trials: number;
  /** Trials answered from the response cache. */
  cacheHits: number;
  /** Provider calls made by this run (not from the cache; the local baseline makes none). */
  newCalls: number;
  status: RunInfo['status'];
  seconds: number;
}

export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.log(line));
  const now = options.now ?? (() => new Date());
  const started = now();
  const prepared = prepareSweep(options.experimentPath, env, options.concurrency, options.providerOptions);
  const { config, task, data, resolutions, plan } = prepared;
  // The budget is checked before anything is written: a refused sweep leaves no results folder.
  const budget = config.budget ?? null;
  if (budget !== null) {
    for (const notice of checkBudgetEstimate(estimateSweep(prepared), budget, options.force ?? false, config.prices ?? null)) data.notices.push(notice);
  }
  const tracker = new BudgetTracker(
    budget,
    resolutions.filter((r) => r.status === 'ready').map((r) => r.id),
    config.prices ?? null,
  );

  for (const r of resolutions) if (r.status === 'skipped') log(`skipping ${r.id}: ${r.reason}`);
  for (const r of resolutions) if (r.status === 'ready') for (const notice of r.notices ?? []) data.notices.push(notice);
  for (const notice of data.notices) log(`note: ${notice}`);

  // Opened only when a provider it serves will run: a local-only sweep leaves no cache file behind.
  const useCache = options.cacheDir !== undefined && [...plan.countByProvider().keys()].some((p) => p !== 'local');
  // An unwritable cache stops the sweep here (exit 2), before the results folder and any call: an answer paid for could not be kept.
  if (useCache) checkCacheWritable(options.cacheDir!);
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
    providers: resolutions.map((r) => (r.status === 'ready' ? { id: r.id, status: 'ran' } : { id: r.id, status: 'skipped', reason: r.reason })),
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
    prompt: promptFingerprint(config, task, data),
  };
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
  const writer = new TrialWriter(join(dir, 'trials.jsonl'));
  // Trials go to disk and into running totals as they complete; no record is kept in memory.
  const totals = new TrialAccumulator(task.measures.map((m) => m.key));
  let cacheHits = 0;
  let newCalls = 0;
  const done = new Map<string, number>();
  /** Trials the budget stopped, by cell, so the report can say which cells are incomplete because of it. */
  const budgetSkips = new Map<string, number>();
  const throttles = new Map(resolutions.flatMap((r) => (r.status === 'ready' && r.throttle ? [[r.id, r.throttle] as const] : [])));
  const progress = new Progress({
    providers: [...counts].map(([id, total]) => ({ id, total })),
    stream: options.progressStream ?? process.stderr,
    quiet: options.quiet ?? false,
    spend: (provider) => tracker.spentBy(provider),
    currency: tracker.currency,
    throttle: (provider) => throttles.get(provider)?.snapshot() ?? null,
  });
  // While bars are live, lines go above them rather than through them.
  const say = (line: string) => (progress.live ? progress.note(line) : log(line));
  cacheNote = (line) => progress.note(line);
  try {
    await executePlan(plan, { ...buildContext(prepared, runId, env), cache, budget: tracker }, {
      onRecord: (record) => {
        writer.write(record);
        totals.add(record);
        done.set(record.provider, (done.get(record.provider) ?? 0) + 1);
        if (record.cached) cacheHits++;
        else if (record.provider !== 'local') newCalls++;
        progress.record(record);
      },
      ...(options.shouldStop && { shouldStop: options.shouldStop }),
      ...(options.abortSignal && { signal: options.abortSignal }),
      onBudgetSkip: (spec) => {
        progress.skip(spec.provider, 1);
        const cell = `${spec.provider} / ${spec.selector} / k=${spec.k}`;
        budgetSkips.set(cell, (budgetSkips.get(cell) ?? 0) + 1);
      },
      onProviderStopped: (provider, reason) => {
        const notice = `${provider} stopped after an error that retrying cannot fix; its remaining trials were not run: ${reason}`;
        say(`stopping ${notice}`);
        info.notices.push(notice);
        progress.skip(provider, plan.perProvider - (done.get(provider) ?? 0));
      },
    });
  } finally {
    writer.close();
    cache?.close();
    progress.finish();
  }

  const ended = now();
  info.endedAt = ended.toISOString();
  info.completedTrials = totals.trials;
  info.status = totals.trials === plan.length ? 'complete' : 'partial';
  for (const [id, throttle] of throttles) {
    const { rateLimited, limit, max } = throttle.snapshot();
    if (rateLimited > 0) {
      info.notices.push(`${id}: ${rateLimited} rate-limited (429) responses; calls in flight were cut back while they lasted (ending at ${limit} of ${max})`);
    }
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
  writeRunInfo(dir, info);
  const { reportPath, summary } = writeReport(dir, totals, info);
  await writeReportCharts(dir, summary, info);
  log(`results: ${relative(process.cwd(), dir) || dir}`);
  log(`report:  ${relative(process.cwd(), reportPath) || reportPath}`);
  return {
    runId,
    runDir: dir,
    reportPath,
    trials: totals.trials,
    cacheHits,
    newCalls,
    status: info.status,
    seconds: (ended.getTime() - started.getTime()) / 1000,
  };
}

function buildContext(prepared: PreparedSweep, runId: string, env: NodeJS.ProcessEnv) {
  const { config, task, data, resolutions } = prepared;
  const providers = new Map<string, ProviderRuntime>();
  for (const r of resolutions) {
    if (r.status !== 'ready') continue;
    providers.set(r.id, {
      provider: r.provider,
      concurrency: r.config.concurrency ?? config.concurrency,
      ...endpointOf(r.id, r.config.baseUrl, env),
      ...(r.config.temperature !== undefined && { temperature: r.config.temperature }),
      ...(r.config.maxOutputTokens !== undefined && { maxOutputTokens: r.config.maxOutputTokens }),
      ...(r.config.systemPrompt !== undefined && { systemPrompt: r.config.systemPrompt }),
    });
  }
  return {
    runId,
    experimentSeed: config.seed,
    task,
    pool: data.pool,
    items: data.items,
    providers,
    arms: new Map(prepared.arms.map((arm) => [arm.label, arm])),
    distractors: data.distractors ?? [],
  };
}

/** The base URL the provider talks to, as the registry resolves it (YAML, else environment); none for the SDK default. */
function endpointOf(id: string, baseUrl: string | undefined, env: NodeJS.ProcessEnv): { endpoint?: string } {
  const variable = BASE_URL_VARIABLES[id.slice(0, id.indexOf(':'))];
  const endpoint = baseUrl ?? ((variable && env[variable]) || undefined);
  return endpoint ? { endpoint } : {};
}

/** Selectors' one-time work (indexes, embeddings), once per selector even when several arms share it. */
export async function prepareSelectors(prepared: PreparedSweep): Promise<void> {
  const selectors = new Set(prepared.arms.map((a) => a.selector));
  for (const selector of selectors) await selector.prepare?.(prepared.data.pool, prepared.data.items);
}
