/**
 * The pool's training tokens per provider (issue 19), counted when a sweep starts and kept in run.json
 * so the analysis can price fine-tuning without the task: each pool item as a training example (its
 * k = 0 prompt as the provider is sent it, the entry's systemPrompt included, and its expected answer,
 * tasks/training-examples.ts), counted for the provider's model: exact for OpenAI models, estimated
 * otherwise. Null when the prompt writes shots inline (no answer turn to train on).
 */
import type { ChatMessage } from '../providers/provider.js';
import { countPromptTokens, wireMessages } from '../providers/tokens.js';
import type { RunInfo } from '../records/run-info.js';
import type { Task, TaskItem } from '../tasks/task.js';
import { trainingExample } from '../tasks/training-examples.js';

export function trainingTokens(
  task: Pick<Task, 'render'>,
  pool: readonly TaskItem[],
  providers: readonly { name: string; id: string; systemPrompt?: string | undefined }[],
): NonNullable<RunInfo['fineTune']> | null {
  const examples = [];
  for (const item of pool) {
    const example = trainingExample(task, item);
    if (example === null) return null;
    examples.push(example);
  }
  const tokensPerEpoch: Record<string, number> = {};
  for (const p of providers) {
    if (p.id === 'local') continue;
    let total = 0;
    for (const e of examples) {
      const messages: ChatMessage[] = [...wireMessages(e.prompt, p.systemPrompt), { role: 'assistant', content: e.answer }];
      total += countPromptTokens(p.id, messages).tokens;
    }
    tokensPerEpoch[p.name] = total;
  }
  return { examples: examples.length, tokensPerEpoch };
}
