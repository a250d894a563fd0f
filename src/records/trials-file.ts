import { hash } from 'node:crypto';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { z } from 'zod';
import { valueAt } from './issues.js';
import { asTrialRecord, LEGACY_REPEAT_FIELD, SCORE_RANGE_TEXT, trialSchema, type TrialRecord } from './trial.js';

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

export interface ReadTrialsResult {
  trials: TrialRecord[];
  /** Human-readable notes, e.g. a torn last line that was skipped; meant for the report's notices. */
  warnings: string[];
}

/** What eachTrial read: the trials it passed on, the repeated records it dropped, and notes for the report. */
export interface EachTrialResult {
  /** Trials passed to `onTrial` (duplicates not counted). */
  count: number;
  /** Records that repeated an earlier record's trial key (see trialKey) and were skipped. */
  duplicates: number;
  /** Human-readable notes (torn last line, duplicates, no trial at all); meant for the report's notices. */
  warnings: string[];
}

/**
 * Read trials.jsonl. A last line that is not JSON is a write torn by a crash: it is skipped and
 * reported in `warnings`. A record that repeats an earlier one's trial (same provider, model,
 * selector, k, repeat, item and prompt) is skipped and reported too. Anything else wrong (bad JSON
 * earlier, a record missing or mistyping a field, a score outside [0, 1]) throws a TrialsFileError
 * naming the line, since silently dropping or bending data would bias results.
 */
export function readTrials(path: string): ReadTrialsResult {
  const trials: TrialRecord[] = [];
  const { warnings } = eachTrial(path, (t) => void trials.push(t));
  return { trials, warnings };
}

/** Bytes read at a time: a large trials.jsonl streams through in pieces, never held whole. */
const CHUNK_BYTES = 1 << 20;

/** Duplicate line numbers named in the notice; the rest are counted. */
const NAMED_DUPLICATES = 3;

/**
 * readTrials without keeping the records: each validated record goes to `onTrial` as its line is
 * read, so a million-trial file folds into running totals in flat memory. Same rules as readTrials.
 *
 * A sweep writes each planned trial once, so a second record of the same trial can only come from
 * the file being appended twice or two files joined: it is skipped (the first is kept) with a notice
 * naming the count, instead of silently counting as extra repeats. Detecting it keeps one 16-byte
 * digest per distinct trial (16 to 32 bytes with the table's free slots: at most 32 MB for a million
 * trials, in one typed array), the one thing read here that grows with the file.
 */
export function eachTrial(path: string, onTrial: (trial: TrialRecord) => void): EachTrialResult {
  const fd = openSync(path, 'r');
  const decoder = new StringDecoder('utf8');
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  const seen = new TrialKeySet();
  const duplicateLines: number[] = [];
  let duplicates = 0;
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
    const trial = parseTrial(value, path, lineNo);
    if (!seen.add(trial)) {
      duplicates++;
      if (duplicateLines.length < NAMED_DUPLICATES) duplicateLines.push(lineNo);
      return;
    }
    onTrial(trial);
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
  const warnings: string[] = [];
  if (torn) warnings.push(`${path}: skipped an incomplete last line (${(torn as { line: number }).line}), probably a write cut off by a crash`);
  if (duplicates > 0) {
    const more = duplicates - duplicateLines.length;
    warnings.push(
      `${path}: ${duplicates} ${duplicates === 1 ? 'record repeats' : 'records repeat'} an earlier record of the same trial ` +
        `(provider, model, selector, k, repeat, item and prompt), at line${duplicateLines.length === 1 ? '' : 's'} ${duplicateLines.join(', ')}${more > 0 ? ` and ${more} more` : ''}; ` +
        'each trial is counted once, from its first record (was the file appended twice, or two files joined?)',
    );
  }
  if (count === 0) warnings.push(`${path} holds no trial, so the report has no results`);
  return { count, duplicates, warnings };
}

/**
 * The identity of a trial: one item asked once in one cell and repeat, with one prompt. A sweep
 * writes each at most once (an order or distractor arm is its own selector; imports give repeated
 * rows their own repeat index).
 */
export function trialKey(t: Pick<TrialRecord, 'provider' | 'model' | 'selector' | 'k' | 'repeat' | 'itemId' | 'promptHash'>): string {
  return `${t.provider}\u0000${t.model}\u0000${t.selector}\u0000${t.k}\u0000${t.repeat}\u0000${t.itemId}\u0000${t.promptHash}`;
}

/**
 * The trial keys seen so far, as 128-bit MD5 digests in an open-addressing table of plain numbers
 * (a collision is about as likely as 1 in 10^26 for a million trials). A typed array rather than a
 * Set of strings: 16 to 32 bytes per trial (the table doubles at half full), no object per trial
 * for the garbage collector to trace, and no 2^24-entry limit.
 */
class TrialKeySet {
  private table = new Uint32Array(4 * 1024);
  private size = 0;

  /** Adds the trial's key; false when it was already there. */
  add(t: TrialRecord): boolean {
    const d = hash('md5', trialKey(t), 'buffer');
    // All zeros marks an empty slot; a digest of zeros moves aside (as unlikely as any collision).
    const a = d.readUInt32LE(0) || 1;
    if ((this.size + 1) * 8 > this.table.length) this.grow();
    return this.insert(this.table, a, d.readUInt32LE(4), d.readUInt32LE(8), d.readUInt32LE(12));
  }

  private insert(table: Uint32Array, a: number, b: number, c: number, e: number): boolean {
    const mask = table.length / 4 - 1;
    for (let i = a & mask; ; i = (i + 1) & mask) {
      const at = i * 4;
      if (table[at] === 0) {
        table[at] = a;
        table[at + 1] = b;
        table[at + 2] = c;
        table[at + 3] = e;
        this.size++;
        return true;
      }
      if (table[at] === a && table[at + 1] === b && table[at + 2] === c && table[at + 3] === e) return false;
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    this.size = 0;
    for (let at = 0; at < old.length; at += 4) {
      if (old[at] !== 0) this.insert(this.table, old[at]!, old[at + 1]!, old[at + 2]!, old[at + 3]!);
    }
  }
}

/** Validate one parsed line as a TrialRecord (schema: trialSchema in records/trial.ts). */
export function parseTrial(value: unknown, file: string, line: number): TrialRecord {
  const result = trialSchema.safeParse(value);
  if (result.success) return asTrialRecord(result.data);
  const problems = result.error.issues.slice(0, 5).map((issue) => describeIssue(issue, value));
  const more = result.error.issues.length - problems.length;
  throw new TrialsFileError(file, line, `not a trial record: ${problems.join('; ')}${more > 0 ? `; and ${more} more` : ''}`);
}

function describeIssue(issue: z.core.$ZodIssue, record: unknown): string {
  // An older record's `seed` was read as `repeat`: name the field the file has.
  const legacy =
    issue.path.length === 1 && issue.path[0] === 'repeat' && valueAt(record, ['repeat']) === undefined && valueAt(record, [LEGACY_REPEAT_FIELD]) !== undefined;
  const path = legacy ? [LEGACY_REPEAT_FIELD] : issue.path;
  const field = path.map(String).join('.') || '(record)';
  const value = valueAt(record, path);
  if (issue.code === 'invalid_type' && value === undefined) {
    return `missing field "${field}" (expected ${issue.expected})`;
  }
  if (field === 'score') {
    // JSON has no NaN: JSON.stringify writes a NaN score as null.
    const got = value === null ? 'null (a NaN score is written as null)' : typeof value === 'number' ? String(value) : JSON.stringify(value);
    return `field "score": expected ${SCORE_RANGE_TEXT}, got ${got}`;
  }
  return `field "${field}"${legacy ? ' (the repeat index)' : ''}: ${issue.message}`;
}

/**
 * Appends one JSON line per trial as soon as it completes, with a synchronous write,
 * so a crash loses at most the line being written (readers tolerate a torn last line).
 */
export class TrialWriter {
  private readonly fd: number;
  count = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  write(record: TrialRecord): void {
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    this.count++;
  }

  close(): void {
    closeSync(this.fd);
  }
}
