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
