import type Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import { ANTHROPIC_EFFORT_BUDGET } from '../records/model-options.js';
import { AnthropicBatchEngine } from './batch/anthropic-batch.js';
import { HttpAdapter } from './http-adapter.js';
import { splitSystem } from './messages.js';
import {
  DEFAULT_CAPABILITIES,
  type CompletionRequest,
  type CompletionResult,
  type FinishReason,
  type ProviderCapabilities,
  type ReasoningSetting,
  type ResponseFormatRequest,
} from './provider.js';
import { ProviderError } from './provider.js';
import { BUDGET_ESTIMATE_MARGIN, estimateTokens } from './tokens.js';
import type { AnthropicMessageBody, ForcedTool } from './batch/anthropic-batch.js';

/** Anthropic requires max_tokens; used when the experiment sets no maxOutputTokens. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

/** The forced tool's name for `responseFormat: json` (a schema's tool is named after its file). */
export const ANTHROPIC_JSON_TOOL = 'answer';

/**
 * The shortest prefix Anthropic caches, in tokens, by model family, as the prompt-caching guide's
 * "Cache limitations" lists it (docs.claude.com/en/docs/build-with-claude/prompt-caching, quoted in
 * anthropics/anthropic-sdk-python#1194): 4096 for Claude Opus 4.5 and later Opus 4.x and for Haiku 4.5,
 * 2048 for Haiku 3.5 and Haiku 3, 1024 for the others (Sonnet 4.5, Sonnet 4, Opus 4.1, Opus 4,
 * Sonnet 3.7, ...). A shorter prefix marked with cache_control is processed uncached (no error, no
 * write charge), so a model not listed gets the smallest minimum.
 */
const CACHE_MINIMUMS: readonly [RegExp, number][] = [
  [/^claude-(opus-4-[5-9]|haiku-4-[5-9])/, 4096],
  [/^claude-(3-5-haiku|3-haiku|haiku-3)/, 2048],
];
export const ANTHROPIC_DEFAULT_MIN_CACHE_TOKENS = 1024;

/** The model's minimum cacheable prefix (CACHE_MINIMUMS); a dated snapshot or `-latest` alias matches its family. */
export function anthropicMinCacheTokens(model: string): number {
  return CACHE_MINIMUMS.find(([family]) => family.test(model))?.[1] ?? ANTHROPIC_DEFAULT_MIN_CACHE_TOKENS;
}

// The content blocks the adapter reads; any other block type (server tools, …) passes through unread.
const contentBlock = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  /** `thinking` blocks: the model's thinking text (never part of the reply). */
  thinking: z.string().optional(),
  /** `tool_use` blocks: the forced tool's name and input (the reply, for structured output). */
  name: z.string().optional(),
  input: z.unknown().optional(),
});

const responseSchema = z.looseObject({
  /** The snapshot that answered. */
  model: z.string().optional(),
  content: z.array(contentBlock),
  stop_reason: z.string().nullable().optional(),
  usage: z.looseObject({
    input_tokens: z.number(),
    output_tokens: z.number(),
    cache_read_input_tokens: z.number().nullable().optional(),
    cache_creation_input_tokens: z.number().nullable().optional(),
    /** Of output_tokens, the thinking ones (SDK 1.x Usage.output_tokens_details; null or absent when not reported). */
    output_tokens_details: z.looseObject({ thinking_tokens: z.number().nullable().optional() }).nullable().optional(),
  }),
});

const countSchema = z.looseObject({ input_tokens: z.number() });

type Block = z.output<typeof contentBlock>;

/** The part of a request countTokens and create share (create adds the model, limits and sampling). */
interface MessagesParams {
  messages: Anthropic.MessageParam[];
  system?: Anthropic.TextBlockParam[];
  thinking?: Anthropic.ThinkingConfigParam;
  tools?: Anthropic.Tool[];
  tool_choice?: Anthropic.ToolChoiceTool;
}

/**
 * Anthropic messages. When the runner says the prefix is shared (`request.cachePrefix`: other
 * requests of the run send the same system prompt and shots) and it is long enough to be cached
 * (anthropicMinCacheTokens), the last shot carries cache_control: the first call writes the prefix
 * (usage.cache_creation_input_tokens, billed at 1.25x input for the 5-minute cache) and later calls
 * read it (usage.cache_read_input_tokens, 0.1x input). A prefix seeded per item is never marked: its
 * write would never be read.
 *
 * Model options (docs/providers.md): reasoning becomes `thinking` (a budget; an effort maps to one
 * through ANTHROPIC_EFFORT_BUDGET), topP `top_p`, stop `stop_sequences`, responseFormat a forced tool
 * whose input is the reply. Thinking blocks are never part of the reply.
 */
export class AnthropicProvider extends HttpAdapter<Anthropic> {
  readonly capabilities: ProviderCapabilities = {
    ...DEFAULT_CAPABILITIES,
    // A shared shot prefix carries cache_control; temperature is not sent (see complete); max_tokens is required.
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

  /** The batch engine (Message Batches): its requests are built and its answers read by the same code as complete()'s. */
  readonly batch: AnthropicBatchEngine = new AnthropicBatchEngine({
    providerId: this.settings.id,
    messageBody: (request) => this.messageBody(request),
    readMessage: (raw, forced, requestId) => this.readMessage(raw, forced, 0, requestId),
    call: async (send, signal) => (await this.call(send, signal)).raw,
    validate: (schema, raw) => this.validate(schema, raw),
  });

  async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
    const { body, forced } = this.messageBody(request);
    const { raw, latencyMs } = await this.call((client) => client.messages.create(body, signal ? { signal } : undefined), signal);
    return this.readMessage(raw, forced, latencyMs, (raw as { _request_id?: string | null } | null | undefined)?._request_id ?? null);
  }

  /**
   * The body complete() sends to /v1/messages (and a batch request's `params`: the same), with the
   * forced tool its answer is read by; throws the bad_request the API would answer for a request it refuses.
   */
  private messageBody(request: CompletionRequest): { body: AnthropicMessageBody; forced: ForcedTool | null } {
    const { params, forced } = this.params(request);
    const body: AnthropicMessageBody = {
      model: this.settings.model,
      max_tokens: request.maxOutputTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
      messages: params.messages,
      // No temperature: the Messages API has deprecated it and the SDK no longer accepts it.
      ...(params.system !== undefined && { system: params.system }),
      ...(params.thinking !== undefined && { thinking: params.thinking }),
      ...(request.topP !== undefined && { top_p: request.topP }),
      ...(request.stop !== undefined && { stop_sequences: request.stop }),
      ...(params.tools !== undefined && { tools: params.tools }),
      ...(params.tool_choice !== undefined && { tool_choice: params.tool_choice }),
    };
    return { body, forced };
  }

  /** A Message (a synchronous answer, or a batch's succeeded result) as a CompletionResult; a refusal or a malformed body throws. */
  private readMessage(raw: unknown, forced: ForcedTool | null, latencyMs: number, requestId: string | null): CompletionResult {
    const data = this.validate(responseSchema, raw);
    const finishReason = mapFinish(data.stop_reason, forced !== null);
    if (finishReason === 'refused') throw new ProviderError('refused', `${this.settings.id}: the model refused to answer`);
    const usage = data.usage;
    const cacheRead = usage.cache_read_input_tokens ?? 0;
    const cacheWrite = usage.cache_creation_input_tokens ?? 0;
    return {
      text: replyText(data.content, forced),
      finishReason,
      // Anthropic's input_tokens excludes cached and cache-written tokens; the prompt is all three.
      tokensIn: usage.input_tokens + cacheRead + cacheWrite,
      tokensOut: usage.output_tokens,
      cachedTokens: cacheRead,
      ...(cacheWrite > 0 && { cacheWriteTokens: cacheWrite }),
      latencyMs,
      requestId,
      ...reasoningTokens(data.content, usage.output_tokens, usage.output_tokens_details?.thinking_tokens),
      ...(data.model !== undefined && { snapshot: { model: data.model } }),
    };
  }

  /** The prompt's tokens as messages.countTokens counts them (a free endpoint): system, messages, thinking and the forced tool. */
  async countTokens(request: CompletionRequest, signal?: AbortSignal): Promise<number> {
    const { params } = this.params(request);
    const body: Anthropic.MessageCountTokensParams = { model: this.settings.model, ...params };
    const { raw } = await this.call((client) => client.messages.countTokens(body, signal ? { signal } : undefined), signal);
    return this.validate(countSchema, raw).input_tokens;
  }

  /** Messages (cache_control on a shared shot prefix), system, thinking and the forced tool; refuses what the API would. */
  private params(request: CompletionRequest): { params: MessagesParams; forced: ForcedTool | null } {
    const { system, turns } = splitSystem(request);
    // The prefix worth caching ends at the last assistant turn (the last shot's answer): marked only
    // when the runner says other requests share it and it reaches the model's minimum.
    const lastAssistant = turns.map((m) => m.role).lastIndexOf('assistant');
    const lastShot = request.cachePrefix === true && this.cacheable(system, turns, lastAssistant) ? lastAssistant : -1;
    const messages = turns.map((m, i) => ({
      role: m.role as 'user' | 'assistant',
      content: [{ type: 'text' as const, text: m.content, ...(i === lastShot && { cache_control: { type: 'ephemeral' as const } }) }],
    }));
    const thinking = thinkingConfig(request.reasoning);
    const forced = request.responseFormat !== undefined ? forcedTool(request.responseFormat) : null;
    if (forced !== null && thinking?.type === 'enabled') {
      // The API answers 400 ("Thinking may not be enabled when tool_choice forces tool use"): say why, before the call.
      throw new ProviderError(
        'bad_request',
        `${this.settings.id}: Anthropic cannot think and give structured output in one call (responseFormat is a forced tool call, which the Messages API refuses with extended thinking): set reasoning: off or drop responseFormat`,
      );
    }
    return {
      params: {
        messages,
        ...(system !== null && { system: [{ type: 'text' as const, text: system }] }),
        ...(thinking !== undefined && { thinking }),
        ...(forced !== null && { tools: [forced.tool], tool_choice: { type: 'tool' as const, name: forced.tool.name } }),
      },
      forced,
    };
  }

  /**
   * Whether the prefix (system prompt and turns up to `end`) reaches the model's minimum cacheable
   * length, by the ~4 chars/token estimate times BUDGET_ESTIMATE_MARGIN (Claude's tokenizer averages
   * fewer characters a token than four): an estimate on the high side risks only a mark the API
   * ignores, one on the low side a saving lost.
   */
  private cacheable(system: string | null, turns: readonly { content: string }[], end: number): boolean {
    if (end < 0) return false;
    let chars = system?.length ?? 0;
    for (let i = 0; i <= end; i++) chars += turns[i]!.content.length;
    // estimateTokens' ~4 chars/token, on the summed length rather than one joined string.
    return Math.ceil(Math.ceil(chars / 4) * BUDGET_ESTIMATE_MARGIN) >= anthropicMinCacheTokens(this.settings.model);
  }
}

/** `off` disables thinking; a budget (or an effort's budget, ANTHROPIC_EFFORT_BUDGET) enables it. Config has checked the budget. */
function thinkingConfig(reasoning: ReasoningSetting | undefined): Anthropic.ThinkingConfigParam | undefined {
  if (reasoning === undefined) return undefined;
  if (reasoning === 'off') return { type: 'disabled' };
  // Both given: the budget wins (Anthropic takes budgets; the effort is for the APIs that take efforts).
  const budget = reasoning.budgetTokens ?? (reasoning.effort !== undefined ? ANTHROPIC_EFFORT_BUDGET[reasoning.effort] : undefined);
  return budget === undefined ? undefined : { type: 'enabled', budget_tokens: budget };
}

/** Tool names must match ^[a-zA-Z0-9_-]{1,64}$. */
function toolName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  return clean === '' ? ANTHROPIC_JSON_TOOL : clean;
}

function forcedTool(format: ResponseFormatRequest): ForcedTool {
  if (format.type === 'json') {
    return {
      tool: {
        name: ANTHROPIC_JSON_TOOL,
        description: 'Give your answer by calling this tool: its input, a JSON object, is your answer.',
        input_schema: { type: 'object' },
      },
      unwrap: (input) => input,
    };
  }
  const name = toolName(format.name);
  const description = `Give your answer by calling this tool: its input, JSON matching the ${format.name} schema, is your answer.`;
  if (format.schema.type === 'object') {
    return { tool: { name, description, input_schema: format.schema as Anthropic.Tool.InputSchema }, unwrap: (input) => input };
  }
  // A tool's input is an object: a schema for anything else (an array, a string enum, …) is wrapped in one.
  return {
    tool: { name, description, input_schema: { type: 'object', properties: { value: format.schema }, required: ['value'] } },
    unwrap: (input) => (input !== null && typeof input === 'object' ? (input as { value?: unknown }).value : input),
  };
}

/** The forced tool's input as JSON when it was called, else the text blocks; thinking never. */
function replyText(content: readonly Block[], forced: ForcedTool | null): string {
  if (forced !== null) {
    const call = content.find((b) => b.type === 'tool_use' && b.name === forced.tool.name);
    if (call !== undefined) return JSON.stringify(forced.unwrap(call.input)) ?? '';
  }
  return content
    .filter((b) => b.type === 'text')
    .map((b) => b.text ?? '')
    .join('');
}

/**
 * The thinking tokens: usage.output_tokens_details.thinking_tokens when the API reports some; else,
 * when the response shows thinking text, an estimate from it (about four characters a token, at most
 * output_tokens). Absent when the model did not think (or thought only in redacted blocks, unreported).
 */
function reasoningTokens(
  content: readonly Block[],
  outputTokens: number,
  reported: number | null | undefined,
): Pick<CompletionResult, 'reasoningTokens' | 'reasoningTokensEstimated'> {
  if (typeof reported === 'number' && reported > 0) return { reasoningTokens: reported };
  const thought = content
    .filter((b) => b.type === 'thinking')
    .map((b) => b.thinking ?? '')
    .join('');
  if (thought === '') return {};
  return { reasoningTokens: Math.min(estimateTokens(thought), outputTokens), reasoningTokensEstimated: true };
}

function mapFinish(reason: string | null | undefined, forcedTool: boolean): FinishReason {
  if (reason === 'end_turn' || reason === 'stop_sequence') return 'stop';
  // The forced tool call is the answer: the model stopped because it gave it.
  if (reason === 'tool_use' && forcedTool) return 'stop';
  if (reason === 'max_tokens') return 'length';
  if (reason === 'refusal') return 'refused';
  return 'other';
}
