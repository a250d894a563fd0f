// The providers' contract: what a provider is asked and answers, and how it fails. Tasks may import
// this file's types (they render prompts as ChatMessage, and describe a judge call as a request the
// runner makes); nothing here knows task types.

/** A chat turn, in the provider-neutral form every provider adapter maps from (tasks render prompts as these). */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * The seam between the keyless `local` provider and the task, which providers do not import.
 * The runner puts on each request the evaluation item and the shots its prompt was rendered from
 * (`CompletionRequest.subject`); providers treat them as opaque. Only the `local` provider reads
 * them, and only by handing them to its LocalBaseline, which the task supplies (tasks/local-baseline.ts
 * builds one from a Task; the runner passes it to resolveProvider). Network providers see nothing
 * but the messages.
 */
export interface LocalSubject {
  readonly item: unknown;
  readonly shots: readonly unknown[];
}

/** The task's non-LLM answer to a request's subject, as raw text in the format an LLM is asked for. */
export type LocalAnswerer = (subject: LocalSubject) => string;

/** What the `local` provider runs: the task's baseline (see LocalSubject for the seam). */
export interface LocalBaseline {
  /** The model the trials record, e.g. `routes-baseline`. */
  readonly model: string;
  readonly answer: LocalAnswerer;
}

export interface CompletionRequest {
  messages: ChatMessage[];
  /** Replaces the task's system prompt, when the experiment sets one for this provider. */
  systemPrompt?: string;
  temperature?: number;
  maxOutputTokens?: number;
  /** The item and shots behind the messages, for the `local` baseline only (see LocalSubject). */
  subject?: LocalSubject;
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
