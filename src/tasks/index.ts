import type { AdaptGaugeTaskConfig } from '../config/adaptgauge-schema.js';
import type { PromptConfig } from '../config/prompts-schema.js';
import { isModuleScoring } from '../config/scorer-schema.js';
import type { TaskConfig } from '../config/schema.js';
import { createAdaptGaugeTask, type AdaptGaugeDeps } from './adaptgauge-pack.js';
import { createClassifyTask } from './classify.js';
import { createGenerateTask } from './generate.js';
import { createRoutesTask } from './routes.js';
import { classifyScorerView, generateScorerView, withScorerModule } from './scorer-module.js';
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
  /** One `prompts:` entry: the prompt as template files (every task renders it; parsing and scoring stay the task's own). */
  prompt?: PromptConfig;
}

/** The task an experiment names, built from its options and the experiment seed. */
export function createTask(config: TaskConfig, seed: number, context: TaskContext): Task {
  switch (config.type) {
    // Each task is a Task over its own item data; the runner treats the data as opaque.
    case 'routes':
      return createRoutesTask(config, seed, templatesOf(context));
    case 'classify':
      return withScorerModule(createClassifyTask(config, seed, context.baseDir, templatesOf(context)), config.scoring, context.baseDir, classifyScorerView);
    case 'generate': {
      // A scorer module scores the plain-text answer of a generate task (its prompt and parsing: method exact's).
      const { scoring } = config;
      if (isModuleScoring(scoring)) {
        const task = createGenerateTask({ ...config, scoring: { method: 'exact', caseSensitive: false } }, seed, context.baseDir, templatesOf(context));
        return withScorerModule(task, scoring, context.baseDir, generateScorerView);
      }
      return createGenerateTask({ ...config, scoring }, seed, context.baseDir, templatesOf(context));
    }
    case 'adaptgauge':
      return createAdaptGaugeTask(config, seed, context.baseDir, context.resolveJudge?.(config) ?? { judge: null }, templatesOf(context));
  }
}
