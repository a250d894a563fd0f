import type { ChatMessage, TaskItem } from '../tasks/task.js';

export interface CompletionRequest {
  messages: ChatMessage[];
  /** Replaces the task's system prompt, when the experiment sets one for this provider. */
  systemPrompt?: string;
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
  /** Tries it took (1 when the first call answered). */
  attempts?: number;
}

export type ProviderErrorKind =
  | 'rate_limit'
  | 'server'
  | 'timeout'
  | 'refused'
  | 'bad_request'
  | 'auth'
  | 'context_length'
  /** A 200 whose body is not what the API documents (the SDKs do not check). */
  | 'malformed'
  | 'other';

/** A typed failure of a call: recorded on the trial, never scored as a wrong answer. */
export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    /** The provider's Retry-After, when it sent one. */
    readonly retryAfterMs: number | null = null,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'ProviderError';
  }

  /** Tries made before giving up (set by the retry layer). */
  attempts = 1;
}

export interface Provider {
  /** As written in the experiment, e.g. `local` or `openai:gpt-4o-mini`. */
  readonly id: string;
  readonly model: string;
  complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult>;
}
