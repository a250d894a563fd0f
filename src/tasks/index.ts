import type { TaskConfig } from '../config/schema.js';
import { createRoutesTask } from './routes.js';
import type { Task } from './task.js';

/** The task an experiment names, built from its options and the experiment seed. */
export function createTask(config: TaskConfig, seed: number): Task {
  switch (config.type) {
    case 'routes':
      return createRoutesTask(config, seed) as unknown as Task;
  }
}
