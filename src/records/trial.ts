import type { ModelSnapshot } from './model-options.js';
import { z } from 'zod';

/**
 * Why the provider stopped, as a trial records it: 'length' means it hit the output token limit
 * (truncated). The runner copies the provider's reason (providers/provider.ts's FinishReason) into the
 * record, so a reason added there fails to compile in the runner until it is added here too.
 */
export const TRIAL_FINISH_REASONS = ['stop', 'length', 'refused', 'other'] as const;
export type TrialFinishReason = (typeof TRIAL_FINISH_REASONS)[number];

/**
 * The kind of a failed call, as a trial records it (providers/provider.ts's ProviderErrorKind; the
 * runner and the importer write these, so a kind added there fails to compile until it is added here).
 * `malformed`: a 200 whose body is not what the API documents.
 */
export const TRIAL_ERROR_KINDS = [
  'rate_limit',
  'server',
  'timeout',
  'refused',
  'bad_request',
  'auth',
  'context_length',
  'malformed',
  'other',
  // A batch request not run within the batch's window, or cancelled with its job (issue 18).
  'expired',
  'cancelled',
] as const;
export type TrialErrorKind = (typeof TRIAL_ERROR_KINDS)[number];

/** What a task's scorer recorded beside the score (tasks/task.ts's ScoreDetails). */
export type TrialDetails = Record<string, number | boolean | string | null>;

/**
 * One line of results/<run>/trials.jsonl: one evaluation item asked once in one cell.
 * analysis/ and report/ read nothing else, so a report can be rebuilt from this file alone.
 */
export interface TrialRecord {
  runId: string;
  /** Provider id as written in the experiment, e.g. `local` or `openai:gpt-4o-mini`. */
  provider: string;
  model: string;
  /**
   * The prompt variant's id (the experiment's `prompts:` entry); `builtin` for the task's own prompt.
   * Absent in records from older versions, which read as `builtin`.
   */
  prompt?: string;
  /** Selector name; `none` for k = 0, which is shared by every selector's curve of one prompt. */
  selector: string;
  k: number;
  /** Repeat index (0-based): repeats are repeated measurements of the same item. Older versions wrote it as `seed`, which is read as this. */
  repeat: number;
  itemId: string;
  shotIds: string[];
  promptHash: string;
  /** Raw model output; null when the call failed. */
  output: string | null;
  finishReason: TrialFinishReason | null;
  parseOk: boolean;
  /** Why the output could not be read, when parseOk is false and the call succeeded. */
  parseError: string | null;
  /** The parsed answer in a JSON-safe form; null when parsing failed. */
  answer: unknown;
  /** In [0, 1]; 0 for failed calls and parse failures, which are counted apart by analysis. */
  score: number;
  details: TrialDetails;
  error: { kind: TrialErrorKind; message: string } | null;
  tokensIn: number;
  tokensOut: number;
  cachedTokens: number;
  latencyMs: number;
  /** True when no call was made for this trial: answered from the response cache, or shared (below). */
  cached: boolean;
  /**
   * True when the answer (or the failure) is that of an identical request another trial of this run
   * had in flight at the time (single-flight: one call, every waiting trial gets its outcome); `cached`
   * is then true too, and tokens, latency, requestId and attempts are the call's. Absent otherwise and
   * in older records.
   */
  shared?: boolean;
  /**
   * The provider's batch job that answered this trial (sweep --batch, issue 18), billed at the batch
   * price; latencyMs is then 0 (a batch has no per-request latency). Absent for synchronous calls.
   */
  batch?: string;
  requestId: string | null;
  /** Calls made for this trial, retries included (absent in records from older versions). */
  attempts?: number;
  /** The scoring model's call, when a model scored the answer (AdaptGauge's llm_judge); absent otherwise and in older records. */
  judge?: TrialJudge;
  /**
   * Why a scorer module of the user's own (`scoring: { module }`) gave no score for this answer: it threw
   * or rejected, timed out, or returned something other than a score in [0, 1] with valid details. The
   * trial's outcome is then `scorer_failure` (score 0). Absent when the scorer gave a score, and in older records.
   */
  scorerError?: string;
  /**
   * Of tokensOut, the tokens the model spent thinking (priced as output, as the APIs bill them).
   * Absent when it did not think or the API says nothing, and in older records.
   */
  reasoningTokens?: number;
  /** True when reasoningTokens is estimated from the thinking text (Anthropic, when the API does not count it). */
  reasoningTokensEstimated?: boolean;
  /** The snapshot that answered (OpenAI `model` + `system_fingerprint`, Anthropic `model`, Gemini `modelVersion`); absent when the API names none. */
  snapshot?: ModelSnapshot;
  /**
   * Of tokensIn, the tokens written to the provider's prompt cache (Anthropic's cache_creation_input_tokens,
   * priced at the cacheWrite rate). Absent when none were written, and in older records.
   */
  cacheWriteTokens?: number;
}

/**
 * The judge call behind a trial's score: which model, its usage, and whether it was answered without
 * a new call (the response cache, or a verdict shared with an equal answer in this run). Its tokens
 * are priced at the judge's price and counted in run.json's `spend.byJudge`, not in the trial's own tokens.
 */
export interface TrialJudge {
  /** The judge's provider id, e.g. `openai:gpt-4o-mini`. */
  provider: string;
  model: string;
  tokensIn: number;
  tokensOut: number;
  cachedTokens: number;
  /** True when no new call was made (nothing paid for it in this run). */
  cached: boolean;
  /** Calls made, retries included (0 when cached). */
  attempts: number;
}

/** The prompt id of trials asked with the task's built-in prompt (no `prompts:` in the experiment), and of records older than prompt variants. */
export const BUILTIN_PROMPT = 'builtin';

/** A trial's prompt variant: records from older versions have none and used the built-in prompt. */
export function promptOf(record: { prompt?: string | undefined }): string {
  return record.prompt ?? BUILTIN_PROMPT;
}

/** The selector name recorded for k = 0 cells: no shots, so no selection. */
export const ZERO_SHOT_SELECTOR = 'none';

/** What a score must be: a fraction of full credit. */
export const SCORE_RANGE_TEXT = 'a number in [0, 1]';

/** The repeat index's name in files written by older versions, read as `repeat`. */
export const LEGACY_REPEAT_FIELD = 'seed';

const trialFields = z.looseObject({
  runId: z.string(),
  provider: z.string(),
  model: z.string(),
  prompt: z.string().optional(),
  selector: z.string(),
  k: z.number().int().nonnegative(),
  repeat: z.number().int().nonnegative(),
  itemId: z.string(),
  shotIds: z.array(z.string()),
  promptHash: z.string(),
  output: z.string().nullable(),
  finishReason: z.enum(TRIAL_FINISH_REASONS).nullable(),
  parseOk: z.boolean(),
  parseError: z.string().nullable(),
  answer: z.unknown(),
  score: z.number().min(0, `expected ${SCORE_RANGE_TEXT}`).max(1, `expected ${SCORE_RANGE_TEXT}`),
  details: z.record(z.string(), z.union([z.number(), z.boolean(), z.string(), z.null()])),
  error: z.object({ kind: z.enum(TRIAL_ERROR_KINDS), message: z.string() }).nullable(),
  tokensIn: z.number().nonnegative(),
  tokensOut: z.number().nonnegative(),
  cachedTokens: z.number().nonnegative(),
  latencyMs: z.number().nonnegative(),
  cached: z.boolean(),
  shared: z.boolean().optional(),
  batch: z.string().optional(),
  requestId: z.string().nullable(),
  attempts: z.number().int().nonnegative().optional(),
  judge: z
    .looseObject({
      provider: z.string(),
      model: z.string(),
      tokensIn: z.number().nonnegative(),
      tokensOut: z.number().nonnegative(),
      cachedTokens: z.number().nonnegative(),
      cached: z.boolean(),
      attempts: z.number().int().nonnegative(),
    })
    .optional(),
  scorerError: z.string().optional(),
  reasoningTokens: z.number().nonnegative().optional(),
  reasoningTokensEstimated: z.boolean().optional(),
  snapshot: z.looseObject({ model: z.string(), fingerprint: z.string().optional() }).optional(),
  cacheWriteTokens: z.number().nonnegative().optional(),
});

/**
 * What one trials.jsonl line must hold (the reader of that file, records/trials-file.ts, validates
 * every line with it). Unknown extra fields are kept: newer writers may add some. A score outside
 * [0, 1] is refused rather than clamped: it means the file was not written by a task's scorer.
 * A record from an older version carries the repeat index as `seed`: without a `repeat`, that
 * field is read as `repeat`.
 */
export const trialSchema = z.preprocess(renameLegacyRepeat, trialFields);

function renameLegacyRepeat(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  if ('repeat' in value || !(LEGACY_REPEAT_FIELD in value)) return value;
  const { [LEGACY_REPEAT_FIELD]: repeat, ...rest } = value as Record<string, unknown>;
  return { ...rest, repeat };
}

/** A validated line as a TrialRecord (this fails to compile when the schema and the interface drift apart). */
export function asTrialRecord(t: z.output<typeof trialSchema>): TrialRecord {
  return t;
}
