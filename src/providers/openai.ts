import type OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { z } from 'zod';
import type { BatchEngine } from './batch.js';
import { OpenAIBatchEngine, type OpenAIBatchPort } from './batch/openai-batch.js';
import { HttpAdapter, type HttpProviderSettings } from './http-adapter.js';
import { splitSystem } from './messages.js';
import {
  DEFAULT_CAPABILITIES,
  type CompletionRequest,
  type CompletionResult,
  type FinishReason,
  type ModelOptions,
  type ModelSnapshot,
  type ProviderCapabilities,
} from './provider.js';
import { ProviderError } from './provider.js';
import { estimateTokens } from './tokens.js';

export type { HttpProviderSettings } from './http-adapter.js';

// The SDK does not validate responses: an empty body would come back as an empty answer. What only
// describes the call (the snapshot, the reasoning count) never fails it: an odd value there is dropped.
const responseSchema = z.looseObject({
  model: z.string().nullable().optional().catch(undefined),
  system_fingerprint: z.string().nullable().optional().catch(undefined),
  choices: z
    .array(
      z.looseObject({
        message: z.looseObject({ content: z.string().nullable().optional(), refusal: z.string().nullable().optional() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: z
    .looseObject({
      prompt_tokens: z.number(),
      completion_tokens: z.number(),
      prompt_tokens_details: z.looseObject({ cached_tokens: z.number().optional() }).nullable().optional(),
      completion_tokens_details: z.looseObject({ reasoning_tokens: z.number().nullable().optional() }).nullable().optional().catch(undefined),
    })
    .nullable()
    .optional(),
});

/**
 * What `reasoning: off` sends as `reasoning_effort`: `none`, the least reasoning openai 6.49's
 * ReasoningEffort type allows ('none' | 'minimal' | 'low' | ...). gpt-5.1 and later take it (and
 * default to it); Ollama's compatible endpoint turns thinking off with it. Models before gpt-5.1
 * refuse it (400): for gpt-5 write `reasoning: { effort: minimal }`, for o-series `{ effort: low }`.
 */
export const OPENAI_REASONING_OFF = 'none' as const;

/** A Structured Outputs name: OpenAI allows ^[a-zA-Z0-9_-]{1,64}$ (anything else becomes `_`). */
export function schemaName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'response';
}

/**
 * The Chat Completions fields for a request's model options (docs/providers.md has the table). An
 * option the request does not set adds no field, so a request without options is what it was.
 * `reasoning: { budgetTokens }` alone adds nothing: this API takes an effort only (config refuses a
 * budget without an effort for these kinds; given both, the effort is sent).
 */
export function openAIOptionFields(options: ModelOptions): Partial<ChatCompletionCreateParamsNonStreaming> {
  const { reasoning, responseFormat: format } = options;
  const effort = reasoning === 'off' ? OPENAI_REASONING_OFF : reasoning?.effort;
  return {
    ...(effort !== undefined && { reasoning_effort: effort }),
    ...(options.topP !== undefined && { top_p: options.topP }),
    ...(options.stop !== undefined && { stop: options.stop }),
    ...(options.seed !== undefined && { seed: options.seed }),
    ...(options.presencePenalty !== undefined && { presence_penalty: options.presencePenalty }),
    ...(options.frequencyPenalty !== undefined && { frequency_penalty: options.frequencyPenalty }),
    ...(format?.type === 'json' && { response_format: { type: 'json_object' } }),
    ...(format?.type === 'schema' && {
      response_format: { type: 'json_schema', json_schema: { name: schemaName(format.name), schema: format.schema, strict: true } },
    }),
  };
}

/**
 * OpenAI chat completions, also used for any OpenAI-compatible server (Ollama, vLLM, llama.cpp,
 * LM Studio, OpenRouter) with a base URL. OpenAI caches long prompt prefixes on its own; the
 * cached share is read from usage.prompt_tokens_details.cached_tokens.
 */
export class OpenAIProvider extends HttpAdapter<OpenAI> {
  /**
   * OpenAI (and Azure) cache prompt prefixes on their own. A compatible server may or may not (vLLM's
   * prefix caching is a server flag, Ollama reuses its KV cache without billing it, OpenRouter passes on
   * whatever its upstream does): `none` promises no discount, so an estimate is an upper bound. The
   * cached tokens a server does report are still read from usage either way.
   */
  readonly capabilities: ProviderCapabilities;

  /**
   * OpenAI's Batch API (batch/openai-batch.ts), on OpenAI's own API only: compatible servers have no
   * batch API, and Azure's (a global-batch deployment with its own paths) is not supported.
   */
  readonly batch: BatchEngine | undefined;

  constructor(
    settings: HttpProviderSettings,
    /** OpenAI's own API wants max_completion_tokens; compatible servers know max_tokens. */
    private readonly compatible: boolean,
  ) {
    super(settings);
    this.capabilities = compatible ? { ...DEFAULT_CAPABILITIES, promptCaching: 'none' } : DEFAULT_CAPABILITIES;
    this.batch = compatible || settings.azure !== undefined ? undefined : new OpenAIBatchEngine(this.batchPort());
  }

  /** What the batch engine uses of this adapter: its calls, and the body and reading complete() uses. */
  private batchPort(): OpenAIBatchPort {
    return {
      providerId: this.settings.id,
      send: async (send, signal) => (await this.call(send, signal)).raw,
      chatBody: (request) => this.chatBody(request),
      readCompletion: (raw, call, prompt) => this.readCompletion(raw, call, prompt),
    };
  }

  protected async createClient(): Promise<OpenAI> {
    const { default: Client } = await import('openai');
    return new Client({
      apiKey: this.settings.apiKey,
      ...(this.settings.baseUrl !== undefined && { baseURL: this.settings.baseUrl }),
      maxRetries: 0, // one retry policy, ours (providers/retry.ts)
      timeout: this.settings.timeoutMs,
      // The SDK reads OPENAI_ORG_ID / OPENAI_PROJECT_ID from process.env and sends them as headers:
      // not to someone else's server.
      ...(this.compatible && { organization: null, project: null }),
    });
  }

  async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
    const body = this.chatBody(request);
    const { raw, latencyMs } = await this.call((client) => client.chat.completions.create(body, signal ? { signal } : undefined), signal);
    // Read before the body is validated: an empty (undefined) or null body has no request id either.
    const requestId = (raw as { _request_id?: string | null } | null | undefined)?._request_id ?? null;
    return this.readCompletion(raw, { latencyMs, requestId }, () => promptText(body));
  }

  /** The Chat Completions body for a request: what complete() sends, and what a batch line carries. */
  chatBody(request: CompletionRequest): ChatCompletionCreateParamsNonStreaming {
    const { system, turns } = splitSystem(request);
    const messages = [
      ...(system !== null ? [{ role: 'system' as const, content: system }] : []),
      ...turns.map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content })),
    ];
    const limit = request.maxOutputTokens;
    // extraBody (openai-compatible only; config refuses it elsewhere) goes in as given, the SDK's
    // documented way for parameters it does not type: extra keys of the params object are sent as is.
    // Its keys come first, so the fields this adapter sets win; `stream` is never taken from it (the
    // answer is read as one JSON body).
    const { stream: _stream, ...extra } = this.compatible ? (request.extraBody ?? {}) : {};
    return {
      ...extra,
      model: this.settings.model,
      messages,
      // Sent as set, reasoning models included: an API that refuses it says so (a bad_request).
      ...(request.temperature !== undefined && { temperature: request.temperature }),
      ...(limit !== undefined && (this.compatible ? { max_tokens: limit } : { max_completion_tokens: limit })),
      ...openAIOptionFields(request),
    };
  }

  /**
   * A chat completion body read into a result, for a synchronous answer and a batch line alike.
   * Throws the typed `malformed` or `refused` ProviderError. `prompt` gives the text sent, asked for
   * only when the body reports no usage (a compatible server may not).
   */
  readCompletion(raw: unknown, call: { latencyMs: number; requestId: string | null }, prompt: () => string): CompletionResult {
    const data = this.validate(responseSchema, raw);
    const choice = data.choices[0]!;
    const finishReason = mapFinish(choice.finish_reason);
    if (finishReason === 'refused' || choice.message.refusal) {
      throw new ProviderError('refused', `${this.settings.id}: the model refused (${choice.message.refusal ?? choice.finish_reason})`);
    }
    // A reasoning model that spent the whole output limit thinking answers finish_reason `length` with
    // empty content: kept as a truncation with text '', its reasoningTokens showing where the limit went.
    const text = choice.message.content ?? '';
    const usage = data.usage;
    const reasoningTokens = usage?.completion_tokens_details?.reasoning_tokens;
    const snapshot: ModelSnapshot | undefined = data.model
      ? { model: data.model, ...(data.system_fingerprint && { fingerprint: data.system_fingerprint }) }
      : undefined;
    return {
      text,
      finishReason,
      // A compatible server may report no usage: estimate rather than claim the call was free.
      tokensIn: usage?.prompt_tokens ?? estimateTokens(prompt()),
      tokensOut: usage?.completion_tokens ?? estimateTokens(text),
      cachedTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
      latencyMs: call.latencyMs,
      requestId: call.requestId,
      // Set when reported and above 0: most models report 0, which says nothing worth keeping.
      ...(reasoningTokens && reasoningTokens > 0 && { reasoningTokens }),
      ...(snapshot && { snapshot }),
    };
  }
}

/** The messages' text of a chat body, joined, for a token estimate. */
export function promptText(body: Pick<ChatCompletionCreateParamsNonStreaming, 'messages'>): string {
  return body.messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n');
}

function mapFinish(reason: string | null | undefined): FinishReason {
  if (reason === 'stop') return 'stop';
  if (reason === 'length') return 'length';
  if (reason === 'content_filter') return 'refused';
  return 'other';
}
