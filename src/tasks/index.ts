import type { AdaptGaugeTaskConfig } from '../config/adaptgauge-schema.js';
import type { PromptConfig } from '../config/prompts-schema.js';
import type { TaskConfig } from '../config/schema.js';
import { createAdaptGaugeTask, type AdaptGaugeDeps } from './adaptgauge-pack.js';
import { createClassifyTask } from './classify.js';
import { createGenerateTask } from './generate.js';
import { createRoutesTask } from './routes.js';
import type { Task } from './task.js';
import { loadPromptTemplates, type PromptTemplates } from './templates.js';

function templatesOf(context: TaskContext): PromptTemplates | undefined {
  return context.prompt ? loadPromptTemplates(context.prompt, context.baseDir) : undefined;
}

/** Where a task finds its files and, for judged tasks, its judge. */
export interface TaskContext {
  /** The experiment file's folder: dataset paths are relative to it. */
  baseDir: string;
  /**
   * Whether AdaptGauge's `task.judge` can run (its id), or why not. Tasks do not resolve providers:
   * the runner resolves the judge (runner/judge.ts) and answers through this. Absent: no judge.
   */
  resolveJudge?: (options: Pick<AdaptGaugeTaskConfig, 'judge'>) => AdaptGaugeDeps;
  /** The experiment's `prompts:` entry: the prompt as template files (dataset tasks only; the schema refuses it for the others). */
  prompt?: PromptConfig;
}

/** The task an experiment names, built from its options and the experiment seed. */
export function createTask(config: TaskConfig, seed: number, context: TaskContext): Task {
  switch (config.type) {
    // Each task is a Task over its own item data; the runner treats the data as opaque.
    case 'routes':
      return createRoutesTask(config, seed);
    case 'classify':
      return createClassifyTask(config, seed, context.baseDir, templatesOf(context));
    case 'generate':
      return createGenerateTask(config, seed, context.baseDir, templatesOf(context));
    case 'adaptgauge':
      return createAdaptGaugeTask(config, seed, context.baseDir, context.resolveJudge?.(config) ?? { judge: null });
  }
}
