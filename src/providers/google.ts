import type { GoogleGenAI } from '@google/genai';
import { z } from 'zod';
import { HttpAdapter } from './http-adapter.js';
import { splitSystem } from './messages.js';
import { DEFAULT_CAPABILITIES, type CompletionRequest, type CompletionResult, type FinishReason, type ProviderCapabilities } from './provider.js';
import { ProviderError } from './provider.js';

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
});

/**
 * Google Gemini through @google/genai (the maintained SDK; @google/generative-ai is deprecated).
 * Gemini caches long shared prefixes implicitly; the cached share is usageMetadata.cachedContentTokenCount.
 */
export class GoogleProvider extends HttpAdapter<GoogleGenAI> {
  readonly capabilities: ProviderCapabilities = { ...DEFAULT_CAPABILITIES, countTokens: true };

  protected async createClient(): Promise<GoogleGenAI> {
    const { GoogleGenAI: Client } = await import('@google/genai');
    return new Client({
      // The Gemini API with a key; GOOGLE_GENAI_USE_VERTEXAI in the environment must not switch it to Vertex.
      vertexai: false,
      apiKey: this.settings.apiKey,
      httpOptions: { timeout: this.settings.timeoutMs, ...(this.settings.baseUrl !== undefined && { baseUrl: this.settings.baseUrl }) },
    });
  }

  async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
    const { system, turns } = splitSystem(request);
    const { raw, latencyMs } = await this.call(
      (client) =>
        client.models.generateContent({
          model: this.settings.model,
          contents: turns.map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: m.content }] })),
          config: {
            ...(system !== null && { systemInstruction: system }),
            ...(request.temperature !== undefined && { temperature: request.temperature }),
            ...(request.maxOutputTokens !== undefined && { maxOutputTokens: request.maxOutputTokens }),
            ...(signal && { abortSignal: signal }),
          },
        }),
      signal,
    );
    const data = this.validate(responseSchema, raw);
    if (data.promptFeedback?.blockReason) throw new ProviderError('refused', `${this.settings.id}: prompt blocked (${data.promptFeedback.blockReason})`);
    const candidate = data.candidates?.[0];
    if (!candidate) throw new ProviderError('malformed', `${this.settings.id}: malformed response (no candidates)`);
    const finishReason = mapFinish(candidate.finishReason);
    if (finishReason === 'refused') throw new ProviderError('refused', `${this.settings.id}: the model refused (${candidate.finishReason})`);
    const usage = data.usageMetadata ?? {};
    return {
      // Thinking parts are not the answer.
      text: (candidate.content?.parts ?? [])
        .filter((p) => !p.thought)
        .map((p) => p.text ?? '')
        .join(''),
      finishReason,
      tokensIn: usage.promptTokenCount ?? 0,
      tokensOut: (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0),
      cachedTokens: usage.cachedContentTokenCount ?? 0,
      latencyMs,
      requestId: data.responseId ?? null,
    };
  }
}

const REFUSALS = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']);

function mapFinish(reason: string | undefined): FinishReason {
  if (reason === 'STOP') return 'stop';
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason !== undefined && REFUSALS.has(reason)) return 'refused';
  return 'other';
}
