import type Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import { HttpAdapter } from './http-adapter.js';
import { splitSystem } from './messages.js';
import { DEFAULT_CAPABILITIES, type CompletionRequest, type CompletionResult, type FinishReason, type ProviderCapabilities } from './provider.js';
import { ProviderError } from './provider.js';

/** Anthropic requires max_tokens; used when the experiment sets no maxOutputTokens. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

const responseSchema = z.looseObject({
  content: z.array(z.looseObject({ type: z.string(), text: z.string().optional() })),
  stop_reason: z.string().nullable().optional(),
  usage: z.looseObject({
    input_tokens: z.number(),
    output_tokens: z.number(),
    cache_read_input_tokens: z.number().nullable().optional(),
    cache_creation_input_tokens: z.number().nullable().optional(),
  }),
});

/**
 * Anthropic messages. The shots are the same for every item at a given (selector, repeat) prefix,
 * so the last shot carries cache_control: the system prompt and shots are cached and later calls
 * read them at the cached price (usage.cache_read_input_tokens).
 */
export class AnthropicProvider extends HttpAdapter<Anthropic> {
  readonly capabilities: ProviderCapabilities = {
    ...DEFAULT_CAPABILITIES,
    // The last shot carries cache_control; temperature is not sent (see complete); max_tokens is required.
    promptCaching: 'explicit',
    honoursTemperature: false,
    defaultMaxOutputTokens: ANTHROPIC_DEFAULT_MAX_TOKENS,
    countTokens: true,
  };

  protected async createClient(): Promise<Anthropic> {
    const { default: Client } = await import('@anthropic-ai/sdk');
    return new Client({
      apiKey: this.settings.apiKey,
      ...(this.settings.baseUrl !== undefined && { baseURL: this.settings.baseUrl }),
      maxRetries: 0,
      timeout: this.settings.timeoutMs,
    });
  }

  async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
    const { system, turns } = splitSystem(request);
    // The prefix worth caching ends at the last assistant turn (the last shot's answer).
    const lastShot = turns.map((m) => m.role).lastIndexOf('assistant');
    const messages = turns.map((m, i) => ({
      role: m.role as 'user' | 'assistant',
      content: [{ type: 'text' as const, text: m.content, ...(i === lastShot && { cache_control: { type: 'ephemeral' as const } }) }],
    }));
    const { raw, latencyMs } = await this.call(
      (client) =>
        client.messages.create(
          {
            model: this.settings.model,
            max_tokens: request.maxOutputTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
            messages,
            // No temperature: the Messages API has deprecated it and the SDK no longer accepts it.
            ...(system !== null && { system: [{ type: 'text' as const, text: system }] }),
          },
          signal ? { signal } : undefined,
        ),
      signal,
    );
    const data = this.validate(responseSchema, raw);
    const finishReason = mapFinish(data.stop_reason);
    if (finishReason === 'refused') throw new ProviderError('refused', `${this.settings.id}: the model refused to answer`);
    const usage = data.usage;
    const cacheRead = usage.cache_read_input_tokens ?? 0;
    const cacheWrite = usage.cache_creation_input_tokens ?? 0;
    return {
      text: data.content
        .filter((b) => b.type === 'text')
        .map((b) => b.text ?? '')
        .join(''),
      finishReason,
      // Anthropic's input_tokens excludes cached and cache-written tokens; the prompt is all three.
      tokensIn: usage.input_tokens + cacheRead + cacheWrite,
      tokensOut: usage.output_tokens,
      cachedTokens: cacheRead,
      latencyMs,
      requestId: (raw as { _request_id?: string | null })._request_id ?? null,
    };
  }
}

function mapFinish(reason: string | null | undefined): FinishReason {
  if (reason === 'end_turn' || reason === 'stop_sequence') return 'stop';
  if (reason === 'max_tokens') return 'length';
  if (reason === 'refusal') return 'refused';
  return 'other';
}
