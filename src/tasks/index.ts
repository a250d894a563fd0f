import type { TaskConfig } from '../config/schema.js';
import type { ResolveOptions } from '../providers/registry.js';
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
    case 'routes':
      // Task<RouteInstance, RouteAnswer> is a Task over its own item data; the runner treats data as opaque.
      return createRoutesTask(config, seed) as unknown as Task;
  }
}
