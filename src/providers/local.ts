import type { CompletionRequest, CompletionResult, LocalBaseline, Provider, ProviderCapabilities } from './provider.js';
import { ProviderError } from './provider.js';
import { estimateTokens } from './tokens.js';

/**
 * The built-in, keyless reference: the task's own non-LLM baseline answers each item.
 * It runs on every machine, so a sweep always has a yardstick an LLM curve should beat.
 * The task reaches it only through a LocalBaseline (see LocalSubject in provider.ts).
 */
export class LocalProvider implements Provider {
  readonly id = 'local';
  readonly model: string;
  readonly capabilities: ProviderCapabilities = {
    promptCaching: 'none',
    honoursTemperature: true,
    defaultMaxOutputTokens: null,
    reasoning: false,
    structuredOutput: false,
    countTokens: false,
    billed: false,
  };

  constructor(private readonly baseline: LocalBaseline) {
    this.model = baseline.model;
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    if (!request.subject) throw new ProviderError('bad_request', 'the local provider needs the item behind the prompt');
    const started = performance.now();
    const text = this.baseline.answer(request.subject);
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
