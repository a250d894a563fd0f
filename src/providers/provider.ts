// The providers' contract: what a provider is asked and answers, and how it fails. Tasks may import
// this file's types (they render prompts as ChatMessage, and describe a judge call as a request the
// runner makes); nothing here knows task types.

import type { ModelOptions, ModelSnapshot } from '../records/model-options.js';

export type { ModelOptions, ModelSnapshot, ReasoningSetting, ResponseFormatRequest } from '../records/model-options.js';

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

/** Model options (reasoning, sampling, structured output; records/model-options.ts): each adapter maps the ones its API has. */
export interface CompletionRequest extends ModelOptions {
  messages: ChatMessage[];
  /** Replaces the task's system prompt, when the experiment sets one for this provider. */
  systemPrompt?: string;
  temperature?: number;
  maxOutputTokens?: number;
  /** The item and shots behind the messages, for the `local` baseline only (see LocalSubject). */
  subject?: LocalSubject;
  /**
   * The runner's word that other requests of this run send the same prefix (the system prompt and the
   * shots, up to the last shot's answer): worth caching where the API caches only what is marked
   * (Anthropic's cache_control; see runner/prompt-cache.ts). Absent: nothing is marked. Like `subject`,
   * it is not part of the prompt hash or the response cache key.
   */
  cachePrefix?: boolean;
  /**
   * The runner's say before each retry of this request, given the try that failed: false stops the
   * retries (the budget cannot hold another try whose bill may be full; runner/budget.ts). Absent:
   * retry as the policy says. Like `subject`, not part of the prompt hash or the cache key.
   */
  beforeRetry?: (failed: ProviderError) => boolean;
}

/** Why the provider stopped: 'length' means it hit the output token limit (truncated). */
export type FinishReason = 'stop' | 'length' | 'refused' | 'other';

export interface CompletionResult {
  text: string;
  finishReason: FinishReason;
  tokensIn: number;
  tokensOut: number;
  cachedTokens: number;
  /**
   * Of tokensIn, the tokens written to the provider's prompt cache (Anthropic's
   * usage.cache_creation_input_tokens, billed above the input price); absent when none were written.
   */
  cacheWriteTokens?: number;
  latencyMs: number;
  requestId: string | null;
  /** Tries it took (1 when the first call answered). */
  attempts?: number;
  /**
   * Of tokensOut, the tokens spent thinking (OpenAI completion_tokens_details.reasoning_tokens,
   * Gemini thoughtsTokenCount, Anthropic: estimated from the thinking blocks when not reported).
   * Absent when the model did not think or the API says nothing.
   */
  reasoningTokens?: number;
  /** True when reasoningTokens is an estimate (Anthropic's thinking text, about four characters a token). */
  reasoningTokensEstimated?: boolean;
  /** The snapshot that answered, as the API reports it; absent when the response names none. */
  snapshot?: ModelSnapshot;
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
  /** A batch request the provider did not run within the batch's window (issue 18). */
  | 'expired'
  /** A batch request cancelled with its job before it ran. */
  | 'cancelled'
  | 'other';

/**
 * What the provider may bill for a failed call (classify-error.ts's failureBilling, which the budget
 * books by): 'none' when the call was refused before any generation (an HTTP error answer: 4xx, 429,
 * 5xx; a connection never made); 'maybe' when it was accepted and no usable answer came back (a
 * timeout, a connection dropped after the request went out, a refusal or malformed body after a 200),
 * so the generation may have run and been billed in full.
 */
export type FailureBilling = 'none' | 'maybe';

/** A typed failure of a call: recorded on the trial, never scored as a wrong answer. */
export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    /** The provider's Retry-After, when it sent one. */
    readonly retryAfterMs: number | null = null,
    readonly status: number | null = null,
    /** What the provider may bill for the call (see FailureBilling); absent: failureBilling() infers it from kind and status. */
    readonly billing?: FailureBilling,
  ) {
    super(message);
    this.name = 'ProviderError';
  }

  /** Tries made before giving up (set by the retry layer). */
  attempts = 1;
}

/**
 * What a provider's API does, so the runner, the cache and the estimator need not know providers
 * by name. Every Provider declares it (wrappers pass their inner provider's through).
 */
export interface ProviderCapabilities {
  /** How the API caches a repeated prompt prefix: on its own (OpenAI, Gemini), when marked (Anthropic's cache_control), or not at all. */
  promptCaching: 'automatic' | 'explicit' | 'none';
  /** Whether `temperature` reaches the model: without it (Anthropic) temperature 0 is no promise of one answer. */
  honoursTemperature: boolean;
  /** The output limit the adapter sends when the experiment sets none (Anthropic requires one); null: the API's own. */
  defaultMaxOutputTokens: number | null;
  /** Thinking/reasoning controls (`reasoning:`). */
  reasoning: boolean;
  /** Structured output (`responseFormat:`). */
  structuredOutput: boolean;
  /** A free token-counting endpoint (`sweep --count-tokens`). */
  countTokens: boolean;
  /** Whether the calls cost money (the `local` baseline does not: never priced, cached or budgeted). */
  billed: boolean;
}

/** A billed network API with no quirks: what an adapter declares unless its API differs (and what test doubles use). */
export const DEFAULT_CAPABILITIES: ProviderCapabilities = {
  promptCaching: 'automatic',
  honoursTemperature: true,
  defaultMaxOutputTokens: null,
  reasoning: true,
  structuredOutput: true,
  countTokens: false,
  billed: true,
};

export interface Provider {
  /** As written in the experiment, e.g. `local` or `openai:gpt-4o-mini`. */
  readonly id: string;
  readonly model: string;
  readonly capabilities: ProviderCapabilities;
  /**
   * The request's prompt tokens as the API counts them (Anthropic messages.countTokens, Gemini
   * models.countTokens: free endpoints), for `sweep --count-tokens`; present where capabilities.countTokens.
   */
  countTokens?(request: CompletionRequest, signal?: AbortSignal): Promise<number>;
  complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult>;
  /** The API's batch engine (batch.ts), where it has one: OpenAI, Anthropic, Gemini; not compatible servers or `local`. */
  readonly batch?: BatchEngine;
}

// The providers' batch engines (issue 18): see batch.ts.

/** One request of a batch: its id within the job (the runner's key for it) and the request. */
export interface BatchRequest {
  customId: string;
  request: CompletionRequest;
}

/**
 * A job's state, the same words for every provider: `validating` (accepted, not started),
 * `running`, `finalizing` (done, results being written), `ended` (results readable), `failed` (the
 * job as a whole was refused: no results), `expired` (the window passed: finished requests readable,
 * the rest expired), `cancelling`, `cancelled` (finished requests readable, the rest cancelled).
 */
export type BatchJobState = 'validating' | 'running' | 'finalizing' | 'ended' | 'failed' | 'expired' | 'cancelling' | 'cancelled';

export interface BatchJobStatus {
  /** The provider's job id (OpenAI `batch_...`, Anthropic `msgbatch_...`, Gemini `batches/...`). */
  id: string;
  state: BatchJobState;
  /** The state as the API names it (`in_progress`, `ended`, `JOB_STATE_RUNNING`), for the progress line. */
  providerState: string;
  /** Requests in the job, and of them those finished well and those finished with an error, as the API counts them (0 when it does not say). */
  counts: { total: number; succeeded: number; failed: number };
  /** Why a job failed as a whole (validation errors), when the API says. */
  message?: string;
}

/** One request's outcome: the answer (read as a synchronous answer is), or a typed provider error. */
export type BatchItemResult = { customId: string; result: CompletionResult } | { customId: string; error: ProviderError };

/**
 * A provider's batch engine. Submission uploads what the API needs (a file, or the requests inline)
 * and creates one job; the runner splits a sweep into jobs within `limits` (using `size`) first.
 */
export interface BatchEngine {
  /** The most requests and bytes one job may carry, as the provider documents them. */
  readonly limits: { maxRequests: number; maxBytes: number };
  /** The bytes one request takes in the job's upload (its JSONL line, or its inlined JSON). */
  size(request: BatchRequest): number;
  /** Submits one job; resolves once the provider has accepted it. */
  submit(requests: readonly BatchRequest[], signal?: AbortSignal): Promise<BatchJobStatus>;
  status(jobId: string, signal?: AbortSignal): Promise<BatchJobStatus>;
  /**
   * The results of a job in a terminal state, in any order. A request the job carries with no result
   * (an expired or cancelled job's unfinished requests) is reported with an `expired` or `cancelled`
   * error where the API says so; the runner treats any still missing as expired. `requests`: the job's
   * requests as submitted, when the caller knows them: a job another process submitted (a rerun after a
   * crash) is read with them (Anthropic's structured-output answers need the request's forced tool,
   * Gemini's responses are matched by position where keys are missing).
   */
  results(jobId: string, signal?: AbortSignal, requests?: readonly BatchRequest[]): Promise<BatchItemResult[]>;
  /** Asks the provider to cancel the job; resolves with its state then (usually `cancelling`). */
  cancel(jobId: string, signal?: AbortSignal): Promise<BatchJobStatus>;
}
