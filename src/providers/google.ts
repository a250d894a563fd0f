import type { GenerateContentConfig, GoogleGenAI, ThinkingConfig, ThinkingLevel } from '@google/genai';
import { z } from 'zod';
import type { ReasoningEffort, ReasoningSetting } from '../records/model-options.js';
import { GeminiBatchEngine } from './batch/gemini-batch.js';
import { HttpAdapter } from './http-adapter.js';
import { splitSystem } from './messages.js';
import { DEFAULT_CAPABILITIES, type CompletionRequest, type CompletionResult, type FinishReason, type ProviderCapabilities } from './provider.js';
import { ProviderError } from './provider.js';
import type { GenerateContentParams } from './batch/gemini-batch.js';

const responseSchema = z.looseObject({
  candidates: z
    .array(
      z.looseObject({
        content: z.looseObject({ parts: z.array(z.looseObject({ text: z.string().optional(), thought: z.boolean().optional() })).optional() }).optional(),
        finishReason: z.string().optional(),
      }),
    )
    .optional(),
  promptFeedback: z.looseObject({ blockReason: z.string().optional() }).optional(),
  usageMetadata: z
    .looseObject({
      promptTokenCount: z.number().optional(),
      candidatesTokenCount: z.number().optional(),
      thoughtsTokenCount: z.number().optional(),
      cachedContentTokenCount: z.number().optional(),
    })
    .optional(),
  responseId: z.string().optional(),
  modelVersion: z.string().optional(),
});

const countSchema = z.looseObject({ totalTokens: z.number() });

/**
 * An effort, as Gemini's `thinkingConfig.thinkingLevel` (the SDK's ThinkingLevel enum; the Gemini 3
 * control). Gemini 2.5 models take only `thinkingBudget`: set `budgetTokens` for them. Models that
 * lack a level (Gemini 3 Pro has only LOW and HIGH) refuse it with a 400, a `bad_request`.
 */
export const GEMINI_EFFORT_LEVEL = {
  minimal: 'MINIMAL',
  low: 'LOW',
  medium: 'MEDIUM',
  high: 'HIGH',
} as const satisfies Record<ReasoningEffort, `${ThinkingLevel}`>;

/**
 * An effort for the models before Gemini 3 (2.0, 2.5), which take only `thinkingBudget` and refuse
 * `thinkingLevel` with a 400: the budget it maps to (docs/providers.md). 2.5 Flash allows 0-24576,
 * 2.5 Pro 128-32768, so every value here fits both.
 */
export const GEMINI_EFFORT_BUDGET: Record<ReasoningEffort, number> = { minimal: 512, low: 1024, medium: 8192, high: 24_576 };

/** Models that take a thinking budget, not a level: every Gemini before 3 (matched on the model name). */
export function takesThinkingBudget(model: string): boolean {
  return /(^|\/)gemini-(1|2)(\.|-)/.test(model);
}

/**
 * `reasoning` as Gemini's thinkingConfig: a budget is `thinkingBudget` (and wins over an effort: the
 * API refuses both at once), an effort `thinkingLevel` (Gemini 3 and later) or the budget
 * GEMINI_EFFORT_BUDGET maps it to (2.x models, which refuse a level), `off` `thinkingBudget: 0`
 * (which models that cannot stop thinking, e.g. 2.5 Pro, refuse with a 400: a `bad_request`). Thought
 * text is never asked for (`includeThoughts` is not sent): the reply is the answer alone.
 */
export function thinkingConfig(reasoning: ReasoningSetting | undefined, model = ''): ThinkingConfig | undefined {
  if (reasoning === undefined) return undefined;
  if (reasoning === 'off') return { thinkingBudget: 0 };
  if (reasoning.budgetTokens !== undefined) return { thinkingBudget: reasoning.budgetTokens };
  if (reasoning.effort !== undefined) {
    return takesThinkingBudget(model)
      ? { thinkingBudget: GEMINI_EFFORT_BUDGET[reasoning.effort] }
      : { thinkingLevel: GEMINI_EFFORT_LEVEL[reasoning.effort] as ThinkingLevel };
  }
  return undefined;
}

/**
 * The request's generation settings as GenerateContentConfig (the SDK puts them in the body's
 * `generationConfig`). An option the request leaves unset is not sent, so a request without model
 * options is the one sent before they existed. A schema goes in `responseJsonSchema`, which takes
 * standard JSON Schema (`responseSchema` takes only Gemini's OpenAPI 3.0 subset).
 */
export function generationConfig(request: CompletionRequest, model = ''): GenerateContentConfig {
  const thinking = thinkingConfig(request.reasoning, model);
  const format = request.responseFormat;
  return {
    ...(request.temperature !== undefined && { temperature: request.temperature }),
    ...(request.maxOutputTokens !== undefined && { maxOutputTokens: request.maxOutputTokens }),
    ...(request.topP !== undefined && { topP: request.topP }),
    ...(request.stop !== undefined && { stopSequences: request.stop }),
    ...(request.seed !== undefined && { seed: request.seed }),
    ...(request.presencePenalty !== undefined && { presencePenalty: request.presencePenalty }),
    ...(request.frequencyPenalty !== undefined && { frequencyPenalty: request.frequencyPenalty }),
    ...(format !== undefined && { responseMimeType: 'application/json' }),
    ...(format?.type === 'schema' && { responseJsonSchema: format.schema }),
    ...(thinking !== undefined && { thinkingConfig: thinking }),
  };
}

type Content = { role: 'user' | 'model'; parts: { text: string }[] };

/**
 * The request as models.generateContent's parameters: the turns as `contents`, the system prompt as
 * `config.systemInstruction` and generationConfig's settings. complete() sends these, and a batch
 * job's inlined request carries the same (the SDK turns both into the same GenerateContentRequest).
 */
export function generateContentParams(request: CompletionRequest, model: string): GenerateContentParams {
  const { system, turns } = splitSystem(request);
  return {
    contents: contentsOf(turns),
    config: {
      ...(system !== null && { systemInstruction: system }),
      ...generationConfig(request, model),
    },
  };
}

/**
 * Google Gemini through @google/genai (the maintained SDK; @google/generative-ai is deprecated).
 * Gemini caches long shared prefixes implicitly; the cached share is usageMetadata.cachedContentTokenCount.
 *
 * Model options (docs/providers.md): see generationConfig and thinkingConfig. Thought parts are never
 * part of the reply; usageMetadata.thoughtsTokenCount is the reply's reasoningTokens (within tokensOut),
 * modelVersion its snapshot.
 */
export class GoogleProvider extends HttpAdapter<GoogleGenAI> {
  readonly capabilities: ProviderCapabilities = { ...DEFAULT_CAPABILITIES, countTokens: true };

  /**
   * Whether models.countTokens takes the system prompt as `systemInstruction`. The Gemini API's does
   * not (the SDK throws "systemInstruction parameter is only supported in ... not in Gemini Developer
   * API mode"), so there it is counted as a leading user turn; Vertex AI's does.
   */
  protected readonly countsSystemInstruction: boolean = false;

  protected async createClient(): Promise<GoogleGenAI> {
    const { GoogleGenAI: Client } = await import('@google/genai');
    return new Client({
      // The Gemini API with a key; GOOGLE_GENAI_USE_VERTEXAI in the environment must not switch it to Vertex.
      vertexai: false,
      apiKey: this.settings.apiKey,
      httpOptions: { timeout: this.settings.timeoutMs, ...(this.settings.baseUrl !== undefined && { baseUrl: this.settings.baseUrl }) },
    });
  }

  /**
   * The batch engine (Batch Mode, inlined requests): its requests are built and its answers read by the
   * same code as complete()'s. The Gemini API's alone: Vertex AI's batch prediction reads its input
   * from Cloud Storage or BigQuery, which this tool does not use, so a VertexProvider has none.
   */
  readonly batch: GeminiBatchEngine | undefined =
    this.settings.vertex === undefined
      ? new GeminiBatchEngine({
          providerId: this.settings.id,
          model: this.settings.model,
          params: (request) => generateContentParams(request, this.settings.model),
          readResponse: (raw) => this.readResponse(raw, 0),
          call: async (send, signal) => (await this.call(send, signal)).raw,
          validate: (schema, raw) => this.validate(schema, raw),
        })
      : undefined;

  async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
    const { contents, config } = generateContentParams(request, this.settings.model);
    const { raw, latencyMs } = await this.call(
      (client) =>
        client.models.generateContent({
          model: this.settings.model,
          contents,
          config: { ...config, ...(signal && { abortSignal: signal }) },
        }),
      signal,
    );
    return this.readResponse(raw, latencyMs);
  }

  /**
   * A GenerateContentResponse (a synchronous answer, or a batch job's inlined response) as a
   * CompletionResult; a blocked prompt, a refusal or a malformed body throws, as complete() does.
   */
  private readResponse(raw: unknown, latencyMs: number): CompletionResult {
    const data = this.validate(responseSchema, raw);
    if (data.promptFeedback?.blockReason) throw new ProviderError('refused', `${this.settings.id}: prompt blocked (${data.promptFeedback.blockReason})`);
    const candidate = data.candidates?.[0];
    if (!candidate) throw new ProviderError('malformed', `${this.settings.id}: malformed response (no candidates)`);
    const finishReason = mapFinish(candidate.finishReason);
    if (finishReason === 'refused') throw new ProviderError('refused', `${this.settings.id}: the model refused (${candidate.finishReason})`);
    const usage = data.usageMetadata ?? {};
    const thoughts = usage.thoughtsTokenCount ?? 0;
    return {
      // Thinking parts are not the answer. A reply that spent maxOutputTokens thinking (2.5 models think
      // by default) has no answer parts at all: '' with finish 'length' and its reasoningTokens.
      text: (candidate.content?.parts ?? [])
        .filter((p) => !p.thought)
        .map((p) => p.text ?? '')
        .join(''),
      finishReason,
      tokensIn: usage.promptTokenCount ?? 0,
      tokensOut: (usage.candidatesTokenCount ?? 0) + thoughts,
      cachedTokens: usage.cachedContentTokenCount ?? 0,
      latencyMs,
      requestId: data.responseId ?? null,
      ...(thoughts > 0 && { reasoningTokens: thoughts }),
      ...(data.modelVersion !== undefined && { snapshot: { model: data.modelVersion } }),
    };
  }

  /** The prompt's tokens as models.countTokens counts them (a free endpoint): the system prompt and the turns. */
  async countTokens(request: CompletionRequest, signal?: AbortSignal): Promise<number> {
    const { system, turns } = splitSystem(request);
    const folded = system !== null && !this.countsSystemInstruction;
    const contents = [...(folded ? [{ role: 'user' as const, parts: [{ text: system }] }] : []), ...contentsOf(turns)];
    const { raw } = await this.call(
      (client) =>
        client.models.countTokens({
          model: this.settings.model,
          contents,
          config: {
            ...(system !== null && !folded && { systemInstruction: system }),
            ...(signal && { abortSignal: signal }),
          },
        }),
      signal,
    );
    return this.validate(countSchema, raw).totalTokens;
  }
}

function contentsOf(turns: { role: string; content: string }[]): Content[] {
  return turns.map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: m.content }] }));
}

const REFUSALS = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']);

function mapFinish(reason: string | undefined): FinishReason {
  if (reason === 'STOP') return 'stop';
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason !== undefined && REFUSALS.has(reason)) return 'refused';
  return 'other';
}
