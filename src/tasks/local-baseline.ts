import type { LocalBaseline } from '../providers/provider.js';
import type { Task, TaskItem } from './task.js';

/**
 * The task's side of the `local` provider's seam (LocalSubject in providers/provider.ts): its
 * baseline, answering the subject the runner puts on each request. That subject's item and shots are
 * this task's own TaskItems (the runner renders the prompt from them and sends them along), so the
 * casts only undo the providers' opaque view of them.
 */
export function localBaseline(task: Pick<Task, 'type' | 'baseline'>): LocalBaseline {
  return {
    model: `${task.type}-baseline`,
    answer: (subject) => task.baseline(subject.item as TaskItem, subject.shots as readonly TaskItem[]),
  };
}
