import type { ChatMessage, TaskItem } from '../tasks/task.js';

export interface CompletionRequest {
  messages: ChatMessage[];
  temperature?: number;
  maxOutputTokens?: number;
  /**
   * The item and shots behind the messages. Only the built-in `local` baseline reads them;
   * network providers see nothing but the messages.
   */
  subject?: { item: TaskItem; shots: readonly TaskItem[] };
}

/** Why the provider stopped: 'length' means it hit the output token limit (truncated). */
export type FinishReason = 'stop' | 'length' | 'refused' | 'other';

export interface CompletionResult {
  text: string;
  finishReason: FinishReason;
  tokensIn: number;
  tokensOut: number;
  cachedTokens: number;
  latencyMs: number;
  requestId: string | null;
}

export type ProviderErrorKind =
  | 'rate_limit'
  | 'server'
  | 'timeout'
  | 'refused'
  | 'bad_request'
  | 'auth'
  | 'context_length'
  | 'other';

/** A typed failure of a call: recorded on the trial, never scored as a wrong answer. */
export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

export interface Provider {
  /** As written in the experiment, e.g. `local` or `openai:gpt-4o-mini`. */
  readonly id: string;
  readonly model: string;
  complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult>;
}
