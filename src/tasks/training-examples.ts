/**
 * The pool as fine-tuning examples (issue 19): each pool item's prompt exactly as the sweep sends it
 * at k = 0 (the task's system prompt and item template, `render([], item)`), and the expected answer
 * exactly as the prompt shows it for a shot (the assistant turn `render([item], ...)` writes for it),
 * so a tuned model learns to answer the very prompt it will be asked, in the very form the scorer reads.
 */
import type { ChatMessage, Task, TaskItem } from './task.js';

export interface TrainingExample {
  item: TaskItem;
  /** The k = 0 prompt: system (when the task has one) and the user turn. */
  prompt: ChatMessage[];
  /** The expected answer, as the assistant turn of a shot. */
  answer: string;
}

/**
 * The example for one pool item; null when the task's prompt writes shots inline (`shots: inline`):
 * then no assistant turn carries the answer alone, and the export asks for `shots: turns`.
 */
export function trainingExample(task: Pick<Task, 'render'>, item: TaskItem): TrainingExample | null {
  const prompt = task.render([], item);
  // The item as its own shot: [system?, user(item), assistant(answer), user(item)].
  const withShot = task.render([item], item);
  const turns = withShot.filter((m) => m.role !== 'system');
  if (turns.length < 3 || turns[1]!.role !== 'assistant') return null;
  return { item, prompt, answer: turns[1]!.content };
}
