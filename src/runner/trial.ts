import { z } from 'zod';
import type { FinishReason, ProviderErrorKind } from '../providers/provider.js';
import type { ScoreDetails } from '../tasks/task.js';

/**
 * One line of results/<run>/trials.jsonl: one evaluation item asked once in one cell.
 * analysis/ and report/ read nothing else, so a report can be rebuilt from this file alone.
 */
export interface TrialRecord {
  runId: string;
  /** Provider id as written in the experiment, e.g. `local` or `openai:gpt-4o-mini`. */
  provider: string;
  model: string;
  /** Selector name; `none` for k = 0, which is shared by every selector's curve. */
  selector: string;
  k: number;
  /** Repeat index (0-based): repeats are repeated measurements of the same item. */
  seed: number;
  itemId: string;
  shotIds: string[];
  promptHash: string;
  /** Raw model output; null when the call failed. */
  output: string | null;
  finishReason: FinishReason | null;
  parseOk: boolean;
  /** Why the output could not be read, when parseOk is false and the call succeeded. */
  parseError: string | null;
  /** The parsed answer in a JSON-safe form; null when parsing failed. */
  answer: unknown;
  /** In [0, 1]; 0 for failed calls and parse failures, which are counted apart by analysis. */
  score: number;
  details: ScoreDetails;
  error: { kind: ProviderErrorKind; message: string } | null;
  tokensIn: number;
  tokensOut: number;
  cachedTokens: number;
  latencyMs: number;
  cached: boolean;
  requestId: string | null;
  /** Calls made for this trial, retries included (absent in records from older versions). */
  attempts?: number;
}

/** The selector name recorded for k = 0 cells: no shots, so no selection. */
export const ZERO_SHOT_SELECTOR = 'none';

// Records keyed by the union types, so adding a kind or reason to provider.ts fails to compile
// here until the schema accepts it too.
const FINISH_REASONS: Record<FinishReason, true> = { stop: true, length: true, refused: true, other: true };
const ERROR_KINDS: Record<ProviderErrorKind, true> = {
  rate_limit: true,
  server: true,
  timeout: true,
  refused: true,
  bad_request: true,
  auth: true,
  context_length: true,
  malformed: true,
  other: true,
};
const keysOf = <K extends string>(r: Record<K, true>) => Object.keys(r) as [K, ...K[]];

/** What a score must be: a fraction of full credit. */
export const SCORE_RANGE_TEXT = 'a number in [0, 1]';

/**
 * What one trials.jsonl line must hold (the reader of that file, report/trials-file.ts, validates
 * every line with it). Unknown extra fields are kept: newer writers may add some. A score outside
 * [0, 1] is refused rather than clamped: it means the file was not written by a task's scorer.
 */
export const trialSchema = z.looseObject({
  runId: z.string(),
  provider: z.string(),
  model: z.string(),
  selector: z.string(),
  k: z.number().int().nonnegative(),
  seed: z.number().int().nonnegative(),
  itemId: z.string(),
  shotIds: z.array(z.string()),
  promptHash: z.string(),
  output: z.string().nullable(),
  finishReason: z.enum(keysOf(FINISH_REASONS)).nullable(),
  parseOk: z.boolean(),
  parseError: z.string().nullable(),
  answer: z.unknown(),
  score: z.number().min(0, `expected ${SCORE_RANGE_TEXT}`).max(1, `expected ${SCORE_RANGE_TEXT}`),
  details: z.record(z.string(), z.union([z.number(), z.boolean(), z.string(), z.null()])),
  error: z.object({ kind: z.enum(keysOf(ERROR_KINDS)), message: z.string() }).nullable(),
  tokensIn: z.number().nonnegative(),
  tokensOut: z.number().nonnegative(),
  cachedTokens: z.number().nonnegative(),
  latencyMs: z.number().nonnegative(),
  cached: z.boolean(),
  requestId: z.string().nullable(),
  attempts: z.number().int().nonnegative().optional(),
});

/** A validated line as a TrialRecord (this fails to compile when the schema and the interface drift apart). */
export function asTrialRecord(t: z.output<typeof trialSchema>): TrialRecord {
  return t;
}
