import type { TaskConfig } from '../config/schema.js';
import type { ResolveOptions } from '../providers/registry.js';
import { createAdaptGaugeTask, resolveAdaptGaugeJudge } from './adaptgauge-pack.js';
import { createClassifyTask } from './classify.js';
import { createGenerateTask } from './generate.js';
import { createRoutesTask } from './routes.js';
import type { Task } from './task.js';

/** Where a task finds its files and, for judged tasks, the keys of its judge. */
export interface TaskContext {
  /** The experiment file's folder: dataset paths are relative to it. */
  baseDir: string;
  env: NodeJS.ProcessEnv;
  providerOptions?: ResolveOptions;
}

/** The task an experiment names, built from its options and the experiment seed. */
export function createTask(config: TaskConfig, seed: number, context: TaskContext): Task {
  switch (config.type) {
    // Each task is a Task over its own item data; the runner treats the data as opaque.
    case 'routes':
      return createRoutesTask(config, seed);
    case 'classify':
      return createClassifyTask(config, seed, context.baseDir);
    case 'generate':
      return createGenerateTask(config, seed, context.baseDir);
    case 'adaptgauge':
      return createAdaptGaugeTask(config, seed, context.baseDir, resolveAdaptGaugeJudge(config, context.env, context.providerOptions));
  }
}
