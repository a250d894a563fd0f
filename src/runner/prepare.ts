import { dirname, resolve } from 'node:path';
import { configFieldError, experimentNotices, loadExperiment } from '../config/load.js';
import type { ExperimentConfig, ProviderConfig } from '../config/schema.js';
import { resolveProvider, type ProviderResolution, type ResolveOptions } from '../providers/registry.js';
import { buildArms, selectorLabel, type Arm } from '../selectors/arms.js';
import { createSelector } from '../selectors/index.js';
import type { Selector, SelectorSpec } from '../selectors/selector.js';
import { TaskDataError } from '../tasks/errors.js';
import { createTask, type TaskContext } from '../tasks/index.js';
import { BUILTIN_PROMPT } from '../records/trial.js';
import { localBaseline } from '../tasks/local-baseline.js';
import type { Task, TaskData } from '../tasks/task.js';
import { prepareCalibration, type PreparedCalibration } from './calibration.js';
import { requestOptions } from './request-options.js';
import type { ModelOptions } from '../records/model-options.js';
import { resolveAdaptGaugeJudge, resolveScoringJudge, skipWithoutJudge, type ResolvedJudge } from './judge.js';
import { planTrials, type TrialPlan } from './plan.js';

// A sweep up to its first call (a dry run, the estimate, `validate` stop here; sweep.ts runs it).

export interface PreparedSweep {
  config: ExperimentConfig;
  /** The task with the built-in prompt, or with the first prompt variant. */
  task: Task;
  /** One task per prompt variant id (`builtin` when the experiment has no `prompts:`), over the same data. */
  tasks: ReadonlyMap<string, Task>;
  data: TaskData<unknown>;
  resolutions: ProviderResolution<ProviderConfig>[];
  /** The curves' ways of building shots (selector x order, distractor arms); skipped selectors are left out. */
  arms: Arm[];
  plan: TrialPlan;
  /** The task's judge (AdaptGauge's `task.judge`, or `scoring.provider` of method judge), ready to call through the runner's path (score.ts); null: none runs. */
  judge: ResolvedJudge['model'];
  /** The judge's calibration set (`scoring.calibration`), checked; graded after the trials when the judge runs. Null: none. */
  calibration: PreparedCalibration | null;
  /** Each ready provider's model options (reasoning, sampling, structured output), by name: what its requests carry. */
  requestOptions: ReadonlyMap<string, ModelOptions>;
}

/** Everything up to the first call: validate, load the task, resolve providers, expand the grid. */
export function prepareSweep(experimentPath: string, env: NodeJS.ProcessEnv, concurrency?: number, providerOptions: ResolveOptions = {}): PreparedSweep {
  const config = loadExperiment(experimentPath);
  if (concurrency !== undefined) config.concurrency = concurrency;
  // The task learns whether a judge answers; the runner keeps the judge, and makes the calls the task describes.
  // Model-graded scoring (`scoring: { method: judge }`): its judge is resolved here, like AdaptGauge's.
  const scoringJudge = resolveScoringJudge(config.task, env, providerOptions);
  let judge: ResolvedJudge['model'] = scoringJudge?.model ?? null;
  const context = {
    baseDir: dirname(resolve(experimentPath)),
    resolveJudge: (options: Parameters<NonNullable<TaskContext['resolveJudge']>>[0]) => {
      const resolved = resolveAdaptGaugeJudge(options, env, providerOptions);
      judge = resolved.model;
      return resolved.deps;
    },
  };
  // Each prompt variant is its own Task over the same data: only how the question is written differs.
  const tasks = new Map<string, Task>(
    config.prompts
      ? config.prompts.map((prompt) => [prompt.id, createTask(config.task, config.seed, { ...context, prompt })])
      : [[BUILTIN_PROMPT, createTask(config.task, config.seed, context)]],
  );
  const task = tasks.values().next().value!;
  const data = loadNamingTheField(task, config, experimentPath);
  // The other variants load the same files (a task keeps what its prompt needs, e.g. the label set, from its own load).
  for (const other of tasks.values()) if (other !== task) other.load();
  // A deprecated field name first: printed as a note by validate and sweep, kept in run.json's notices.
  data.notices.unshift(...experimentNotices(config));
  const largestK = Math.max(...config.shots);
  if (largestK > data.pool.length) {
    throw new TaskDataError(
      experimentPath,
      null,
      `shots: k = ${largestK} needs at least ${largestK} pool examples, but the task's pool has ${data.pool.length}`,
    );
  }
  // Prompt templates are rendered once against the first item and the first shots: an unknown variable stops here (exit 2), before any call.
  for (const t of tasks.values())
    if (t.templateFiles !== undefined && data.items[0] !== undefined) t.render(data.pool.slice(0, Math.max(2, largestK)), data.items[0]);
  // The experiment's concurrency is each provider's ceiling unless it sets its own (the adaptive throttle climbs back to it).
  const local = localBaseline(task);
  // Without its judge's key nothing could be graded: every provider is skipped, naming the variable to set.
  const resolutions = skipWithoutJudge(
    config.providers.map((p) => resolveProvider(p, local, env, { ...providerOptions, concurrency: config.concurrency })),
    scoringJudge,
  );
  // The judge's calibration set, checked now (file, records, the rubric for each); graded after the trials (sweep.ts).
  const calibration = prepareCalibration(config.task, dirname(resolve(experimentPath)));
  const arms = prepareArms(config, data, env, experimentPath);
  const plan = planTrials({
    itemCount: data.items.length,
    repeats: config.repeats,
    providers: resolutions.filter((r) => r.status === 'ready').map((r) => r.name),
    selectors: arms.map((a) => a.label),
    shots: config.shots,
    prompts: [...tasks.keys()],
  });
  // Each entry's model options, its responseFormat schema read now: a bad file stops here (exit 2), before any call.
  const requestOptionsByName = new Map(
    resolutions.filter((r) => r.status === 'ready').map((r) => [r.name, requestOptions(r.config, dirname(resolve(experimentPath)))]),
  );
  return { config, task, tasks, data, resolutions, arms, plan, judge, calibration, requestOptions: requestOptionsByName };
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

/**
 * The tasks' asynchronous checks (Task.prepare: a scorer module imported and tried on the first item),
 * before anything is written or asked: a TaskDataError stops validate and sweep (exit 2); notices join
 * the run's, once each (prompt variants share the task's scorer).
 */
export async function prepareTasks(prepared: Pick<PreparedSweep, 'task' | 'data'> & { tasks?: ReadonlyMap<string, Task> }): Promise<void> {
  const tasks = new Set(prepared.tasks ? prepared.tasks.values() : [prepared.task]);
  for (const task of tasks) {
    for (const notice of (await task.prepare?.()) ?? []) if (!prepared.data.notices.includes(notice)) prepared.data.notices.push(notice);
  }
}

/** Selectors' one-time work (indexes, embeddings), once per selector even when several arms share it. */
export async function prepareSelectors(prepared: PreparedSweep): Promise<void> {
  const selectors = new Set(prepared.arms.map((a) => a.selector));
  for (const selector of selectors) await selector.prepare?.(prepared.data.pool, prepared.data.items);
}

/**
 * Loads the task's data; a dataset file that cannot be read is reported at the experiment's
 * `task.data.file` line (where the user fixes it), with the path it was looked for at.
 */
function loadNamingTheField(task: Task, config: ExperimentConfig, experimentPath: string): ReturnType<Task['load']> {
  try {
    return task.load();
  } catch (err) {
    const file = (config.task as { data?: { file?: unknown } }).data?.file;
    if (err instanceof TaskDataError && err.line === null && typeof file === 'string' && err.reason.startsWith('cannot read the dataset')) {
      throw configFieldError(
        config,
        experimentPath,
        ['task', 'data', 'file'],
        `${file}: looked for at ${err.file}: ${err.reason.slice('cannot read the dataset: '.length)}`,
      );
    }
    throw err;
  }
}
