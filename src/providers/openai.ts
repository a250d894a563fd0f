import type OpenAI from 'openai';
import { z } from 'zod';
import { HttpAdapter, type HttpProviderSettings } from './http-adapter.js';
import { splitSystem } from './messages.js';
import { DEFAULT_CAPABILITIES, type CompletionRequest, type CompletionResult, type FinishReason, type ProviderCapabilities } from './provider.js';
import { ProviderError } from './provider.js';
import { estimateTokens } from './tokens.js';

export type { HttpProviderSettings } from './http-adapter.js';

// The SDK does not validate responses: an empty body would come back as an empty answer.
const responseSchema = z.looseObject({
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
    })
    .nullable()
    .optional(),
});

/**
 * OpenAI chat completions, also used for any OpenAI-compatible server (Ollama, vLLM, llama.cpp,
 * LM Studio, OpenRouter) with a base URL. OpenAI caches long prompt prefixes on its own; the
 * cached share is read from usage.prompt_tokens_details.cached_tokens.
 */
export class OpenAIProvider extends HttpAdapter<OpenAI> {
  readonly capabilities: ProviderCapabilities = DEFAULT_CAPABILITIES;

  constructor(
    settings: HttpProviderSettings,
    /** OpenAI's own API wants max_completion_tokens; compatible servers know max_tokens. */
    private readonly compatible: boolean,
  ) {
    super(settings);
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
    const { system, turns } = splitSystem(request);
    const messages = [
      ...(system !== null ? [{ role: 'system' as const, content: system }] : []),
      ...turns.map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content })),
    ];
    const limit = request.maxOutputTokens;
    const { raw, latencyMs } = await this.call(
      (client) =>
        client.chat.completions.create(
          {
            model: this.settings.model,
            messages,
            ...(request.temperature !== undefined && { temperature: request.temperature }),
            ...(limit !== undefined && (this.compatible ? { max_tokens: limit } : { max_completion_tokens: limit })),
          },
          signal ? { signal } : undefined,
        ),
      signal,
    );
    const data = this.validate(responseSchema, raw);
    const choice = data.choices[0]!;
    const finishReason = mapFinish(choice.finish_reason);
    if (finishReason === 'refused' || choice.message.refusal) {
      throw new ProviderError('refused', `${this.settings.id}: the model refused (${choice.message.refusal ?? choice.finish_reason})`);
    }
    const text = choice.message.content ?? '';
    const usage = data.usage;
    return {
      text,
      finishReason,
      // A compatible server may report no usage: estimate rather than claim the call was free.
      tokensIn: usage?.prompt_tokens ?? estimateTokens(messages.map((m) => m.content).join('\n')),
      tokensOut: usage?.completion_tokens ?? estimateTokens(text),
      cachedTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
      latencyMs,
      requestId: (raw as { _request_id?: string | null })._request_id ?? null,
    };
  }
}

function mapFinish(reason: string | null | undefined): FinishReason {
  if (reason === 'stop') return 'stop';
  if (reason === 'length') return 'length';
  if (reason === 'content_filter') return 'refused';
  return 'other';
}
