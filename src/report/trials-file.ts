import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import type { FinishReason, ProviderErrorKind } from '../providers/provider.js';
import type { TrialRecord } from '../runner/trial.js';

/** A trials.jsonl that cannot be read as written: which file, which line (1-based), and why. */
export class TrialsFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'TrialsFileError';
  }
}

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

/** What one trials.jsonl line must hold; unknown extra fields are kept (newer writers may add some). */
const trialSchema = z.looseObject({
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
  score: z.number(),
  details: z.record(z.string(), z.union([z.number(), z.boolean(), z.string(), z.null()])),
  error: z.object({ kind: z.enum(keysOf(ERROR_KINDS)), message: z.string() }).nullable(),
  tokensIn: z.number().nonnegative(),
  tokensOut: z.number().nonnegative(),
  cachedTokens: z.number().nonnegative(),
  latencyMs: z.number().nonnegative(),
  cached: z.boolean(),
  requestId: z.string().nullable(),
});

export interface ReadTrialsResult {
  trials: TrialRecord[];
  /** Human-readable notes, e.g. a torn last line that was skipped; meant for the report's notices. */
  warnings: string[];
}

/**
 * Read trials.jsonl. A last line that is not JSON is a write torn by a crash: it is skipped and
 * reported in `warnings`. Anything else wrong (bad JSON earlier, a record missing or mistyping a
 * field) throws a TrialsFileError naming the line, since silently dropping data would bias results.
 */
export function readTrials(path: string): ReadTrialsResult {
  const trials: TrialRecord[] = [];
  const { warnings } = eachTrial(path, (t) => void trials.push(t));
  return { trials, warnings };
}

/** Bytes read at a time: a large trials.jsonl streams through in pieces, never held whole. */
const CHUNK_BYTES = 1 << 20;

/**
 * readTrials without keeping the records: each validated record goes to `onTrial` as its line is
 * read, so a million-trial file folds into running totals in flat memory. Same rules as readTrials.
 */
export function eachTrial(path: string, onTrial: (trial: TrialRecord) => void): { count: number; warnings: string[] } {
  const fd = openSync(path, 'r');
  const decoder = new StringDecoder('utf8');
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let rest = '';
  let lineNo = 0;
  let count = 0;
  // A line that failed to parse: fatal if any non-empty line follows it, a torn write if none does.
  let torn: { line: number; error: Error } | null = null;
  const take = (raw: string) => {
    lineNo++;
    const text = raw.replace(/\r$/, '');
    if (text.trim() === '') return;
    if (torn) throw new TrialsFileError(path, torn.line, `not valid JSON (${torn.error.message})`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      torn = { line: lineNo, error: e as Error };
      return;
    }
    onTrial(parseTrial(value, path, lineNo));
    count++;
  };
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK_BYTES, null);
      if (n === 0) break;
      const lines = (rest + decoder.write(buffer.subarray(0, n))).split('\n');
      rest = lines.pop()!;
      for (const line of lines) take(line);
    }
    take(rest + decoder.end());
  } finally {
    closeSync(fd);
  }
  const warnings = torn ? [`${path}: skipped an incomplete last line (${(torn as { line: number }).line}), probably a write cut off by a crash`] : [];
  return { count, warnings };
}

/** Validate one parsed line as a TrialRecord. */
export function parseTrial(value: unknown, file: string, line: number): TrialRecord {
  const result = trialSchema.safeParse(value);
  if (result.success) return result.data as TrialRecord;
  const problems = result.error.issues.slice(0, 5).map((issue) => describeIssue(issue, value));
  const more = result.error.issues.length - problems.length;
  throw new TrialsFileError(
    file,
    line,
    `not a trial record: ${problems.join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
  );
}

function describeIssue(issue: z.core.$ZodIssue, record: unknown): string {
  const field = issue.path.map(String).join('.') || '(record)';
  if (issue.code === 'invalid_type' && valueAt(record, issue.path) === undefined) {
    return `missing field "${field}" (expected ${issue.expected})`;
  }
  return `field "${field}": ${issue.message}`;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}
