import { createRequire } from 'node:module';
import { splitSystem } from './messages.js';
import type { ChatMessage } from './provider.js';

// Prompt token counts: exact for OpenAI models (gpt-tokenizer, whose BPE ranks ship in the npm
// package: no network), about four characters a token for every other provider.

/**
 * A rough token count (about four characters a token for English text).
 * Used only where no provider reports real usage: the local baseline and plan estimates.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The BPE encodings fewshot counts with: o200k_base (gpt-4o, gpt-4.1, gpt-4.5, o-series, gpt-5) and cl100k_base (gpt-4, gpt-3.5). */
export type OpenAIEncoding = 'o200k_base' | 'cl100k_base';

/** A prompt's token count and how it was had. */
export interface PromptTokenCount {
  tokens: number;
  /** True when counted with the model's own tokenizer (OpenAI models fewshot knows the encoding of). */
  exact: boolean;
  /** The encoding counted with; absent for the ~4 chars/token estimate. */
  encoding?: OpenAIEncoding;
}

/** How `countPromptTokens` counts a provider's prompts, for labels (`exact (o200k_base)`, `estimated (~4 chars/token)`). */
export interface TokenCounting {
  exact: boolean;
  encoding?: OpenAIEncoding;
  /** E.g. `exact (o200k_base)`; `estimated (o200k_base; model not known to fewshot)`; `estimated (~4 chars/token)`. */
  label: string;
}

/** The estimate's label, for providers without a tokenizer that runs offline. */
export const ESTIMATE_LABEL = 'estimated (~4 chars/token)';

/**
 * How much the budget's worst case inflates a prompt that could not be counted exactly: the ~4
 * chars/token estimate runs low on code, numbers and non-English text (Claude's and Gemini's
 * tokenizers average nearer 3.2 to 3.5 characters a token on such prompts), and the budget is a cap.
 */
export const BUDGET_ESTIMATE_MARGIN = 1.25;

/**
 * OpenAI's chat format, as its cookbook counts it for gpt-3.5-turbo-0613 and later (gpt-4, gpt-4o,
 * gpt-4.1, o-series): each message costs 3 tokens of framing (`<|start|>`, `<|message|>`, `<|end|>`)
 * plus its role and its content; the reply is primed with 3 more (`<|start|>assistant<|message|>`).
 */
export const OPENAI_TOKENS_PER_MESSAGE = 3;
export const OPENAI_REPLY_PRIMING_TOKENS = 3;

/** Model-name families by encoding; a snapshot (`gpt-4o-2024-08-06`) or an Azure deployment named after its model matches its family. */
const O200K = /^(?:gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5(?:\.\d+)?|o1|o3|o4)(?:-|$)/;
const CL100K = /^(?:gpt-4|gpt-3\.5|gpt-35)(?:-|$)/;

/**
 * How a provider's prompts are counted: `openai:` and `azure-openai:` ids by their model's encoding
 * (an unknown model name, e.g. an Azure deployment called `prod-chat`, is counted with o200k_base
 * but not called exact: its encoding is a guess); every other provider by the estimate.
 */
export function tokenCounting(providerId: string): TokenCounting {
  const colon = providerId.indexOf(':');
  const kind = colon < 0 ? providerId : providerId.slice(0, colon);
  if (kind !== 'openai' && kind !== 'azure-openai') return { exact: false, label: ESTIMATE_LABEL };
  const model = providerId.slice(colon + 1).toLowerCase();
  if (O200K.test(model)) return { exact: true, encoding: 'o200k_base', label: 'exact (o200k_base)' };
  if (CL100K.test(model)) return { exact: true, encoding: 'cl100k_base', label: 'exact (cl100k_base)' };
  return {
    exact: false,
    encoding: 'o200k_base',
    label: `estimated (o200k_base; ${kind === 'azure-openai' ? 'the deployment name' : 'the model'} is not one fewshot knows the encoding of)`,
  };
}

/**
 * The prompt tokens of a chat: for OpenAI models the tokenizer's count of each message plus the chat
 * format's framing (OPENAI_TOKENS_PER_MESSAGE, OPENAI_REPLY_PRIMING_TOKENS); for other providers
 * the ~4 chars/token estimate of the messages' text (exact: false).
 */
export function countPromptTokens(providerId: string, messages: readonly { role: string; content: string }[]): PromptTokenCount {
  const counting = tokenCounting(providerId);
  if (counting.encoding === undefined) return { tokens: estimateTokens(messages.map((m) => m.content).join('\n')), exact: false };
  const count = textCounter(counting.encoding);
  let tokens = OPENAI_REPLY_PRIMING_TOKENS;
  for (const m of messages) tokens += OPENAI_TOKENS_PER_MESSAGE + count(m.role) + count(m.content);
  return { tokens, exact: counting.exact, encoding: counting.encoding };
}

/**
 * The prompt tokens the budget reserves for a call: the exact count where the tokenizer knows the
 * model, else the count times BUDGET_ESTIMATE_MARGIN (rounded up), since the budget is a real cap.
 * `systemPrompt` (the entry's override) replaces the task's system turns, as the adapters send it.
 */
export function promptTokensForBudget(providerId: string, messages: readonly ChatMessage[], systemPrompt?: string): number {
  const { tokens, exact } = countPromptTokens(providerId, wireMessages(messages, systemPrompt));
  return exact ? tokens : Math.ceil(tokens * BUDGET_ESTIMATE_MARGIN);
}

/**
 * The turns as the adapters send them (messages.ts's splitSystem): one system turn first (the
 * entry's `systemPrompt`, else the task's system turns joined by a blank line), then the others.
 */
export function wireMessages(messages: readonly ChatMessage[], systemPrompt?: string): ChatMessage[] {
  const { system, turns } = splitSystem({ messages: [...messages], ...(systemPrompt !== undefined && { systemPrompt }) });
  return system === null ? turns : [{ role: 'system', content: system }, ...turns];
}

/** What fewshot uses of gpt-tokenizer's per-encoding modules. */
interface EncodingModule {
  countTokens(text: string, options?: { disallowedSpecial?: Set<string> }): number;
}

// Loaded on first use, synchronously (the counts are asked from synchronous code): commands that
// never count tokens do not pay the ~0.2 s and ~50 MB of reading the BPE ranks.
const requireCjs = createRequire(import.meta.url);
const encodings = new Map<OpenAIEncoding, EncodingModule>();
/** Special-token text in a prompt (`<|endoftext|>`) is counted as the API counts it: as plain text. */
const AS_TEXT = { disallowedSpecial: new Set<string>() };
/** Counts per encoding and text: the shots recur in every prompt of a cell, so most texts are counted once. */
const memo = new Map<string, number>();
const MEMO_LIMIT = 50_000;

function textCounter(encoding: OpenAIEncoding): (text: string) => number {
  let module = encodings.get(encoding);
  if (!module) {
    module = requireCjs(`gpt-tokenizer/encoding/${encoding}`) as EncodingModule;
    encodings.set(encoding, module);
  }
  const loaded = module;
  return (text) => {
    if (text.length === 0) return 0;
    const key = `${encoding}\u0000${text}`;
    let n = memo.get(key);
    if (n === undefined) {
      n = loaded.countTokens(text, AS_TEXT);
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(key, n);
    }
    return n;
  };
}
