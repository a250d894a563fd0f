// The model options an experiment may set per provider entry (issue 16: reasoning, native sampling
// parameters, structured output, pass-through body), in the provider-neutral form the runner puts on
// each request. Config validates them against KIND_SUPPORT; each adapter maps them to its API's own
// fields (docs/providers.md has the table). Records is the shared leaf both config and providers read.

export const REASONING_EFFORTS = ['minimal', 'low', 'medium', 'high'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/** `off`, an effort, a budget of thinking tokens, or both (an API takes the one it has). */
export type ReasoningSetting = 'off' | { effort?: ReasoningEffort; budgetTokens?: number };

/**
 * Structured output: any JSON object (`json`), or JSON matching a schema (`schema`, read from the
 * file the experiment names; `name` is the file's base name, which OpenAI and Anthropic's tool want).
 */
export type ResponseFormatRequest = { type: 'json' } | { type: 'schema'; name: string; schema: Record<string, unknown> };

/** What a request may carry beyond messages, temperature and the output limit. */
export interface ModelOptions {
  reasoning?: ReasoningSetting;
  topP?: number;
  /** Stop sequences (at most 4: the tightest of the three APIs). */
  stop?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseFormat?: ResponseFormatRequest;
  /** openai-compatible servers only: merged into the request body as given (vLLM guided decoding, Ollama options). */
  extraBody?: Record<string, unknown>;
}

export const MODEL_OPTION_NAMES = ['reasoning', 'topP', 'stop', 'seed', 'presencePenalty', 'frequencyPenalty', 'responseFormat', 'extraBody'] as const;
export type ModelOptionName = (typeof MODEL_OPTION_NAMES)[number];

export interface KindSupport {
  /** The options this kind's API takes; any other is refused at validation, naming the field. */
  options: readonly ModelOptionName[];
  /** Reasoning as an effort level (OpenAI `reasoning_effort`; mapped to a budget where the API only has budgets). */
  reasoningEffort: boolean;
  /** Reasoning as a token budget (Anthropic `budget_tokens`, Gemini `thinkingBudget`). */
  reasoningBudget: boolean;
}

const SAMPLING = ['topP', 'stop', 'seed', 'presencePenalty', 'frequencyPenalty'] as const;

/** Per provider kind (the part of the id before the colon). `local` takes none. */
export const KIND_SUPPORT: Record<string, KindSupport> = {
  openai: { options: ['reasoning', ...SAMPLING, 'responseFormat'], reasoningEffort: true, reasoningBudget: false },
  'azure-openai': { options: ['reasoning', ...SAMPLING, 'responseFormat'], reasoningEffort: true, reasoningBudget: false },
  'openai-compatible': { options: ['reasoning', ...SAMPLING, 'responseFormat', 'extraBody'], reasoningEffort: true, reasoningBudget: false },
  // Messages API: top_p and stop_sequences; no seed, no penalties.
  anthropic: { options: ['reasoning', 'topP', 'stop', 'responseFormat'], reasoningEffort: true, reasoningBudget: true },
  google: { options: ['reasoning', ...SAMPLING, 'responseFormat'], reasoningEffort: true, reasoningBudget: true },
  vertex: { options: ['reasoning', ...SAMPLING, 'responseFormat'], reasoningEffort: true, reasoningBudget: true },
  local: { options: [], reasoningEffort: false, reasoningBudget: false },
};

/** Anthropic's smallest thinking budget (`budget_tokens` >= 1024; it must also be below `max_tokens`). */
export const ANTHROPIC_MIN_THINKING_BUDGET = 1024;

/**
 * An effort for Anthropic, which takes only a budget: the budget it maps to (documented in
 * docs/providers.md). `minimal` is the API's floor.
 */
export const ANTHROPIC_EFFORT_BUDGET: Record<ReasoningEffort, number> = { minimal: 1024, low: 2048, medium: 8192, high: 24_576 };

/** The model that answered, as the API reports it: a dated snapshot, and OpenAI's backend fingerprint. */
export interface ModelSnapshot {
  /** OpenAI and Anthropic `model`, Gemini `modelVersion`. */
  model: string;
  /** OpenAI `system_fingerprint`, when sent. */
  fingerprint?: string;
}
