import type { Task } from '../tasks/task.js';
import type { CompletionRequest, CompletionResult, Provider } from './provider.js';
import { ProviderError } from './provider.js';
import { estimateTokens } from './tokens.js';

/**
 * The built-in, keyless reference: the task's own non-LLM baseline answers each item.
 * It runs on every machine, so a sweep always has a yardstick an LLM curve should beat.
 */
export class LocalProvider implements Provider {
  readonly id = 'local';
  readonly model: string;

  constructor(private readonly task: Task) {
    this.model = `${task.type}-baseline`;
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    if (!request.subject) throw new ProviderError('bad_request', 'the local provider needs the item behind the prompt');
    const started = performance.now();
    const text = this.task.baseline(request.subject.item, request.subject.shots);
    return {
      text,
      finishReason: 'stop',
      // No tokenizer runs here; an estimate keeps prompt growth with k visible in reports.
      tokensIn: estimateTokens(request.messages.map((m) => m.content).join('\n')),
      tokensOut: estimateTokens(text),
      cachedTokens: 0,
      latencyMs: performance.now() - started,
      requestId: null,
    };
  }
}
