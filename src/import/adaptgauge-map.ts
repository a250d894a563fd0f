import { ZERO_SHOT_SELECTOR, type TrialErrorKind, type TrialRecord } from '../records/trial.js';
import { sha256 } from '../util/hash.js';
import { isErrorOutput, type AdaptGaugeRow } from './adaptgauge-csv.js';

/** AdaptGauge's default example selection, assumed when a file has no example_selection column. */
export const DEFAULT_SELECTION = 'tfidf';
const MAX_ERROR_MESSAGE = 500;

/**
 * The kind of a failed call, read from AdaptGauge's ERROR text (it keeps only the SDK's message).
 * Keyword order matters: "504 DEADLINE_EXCEEDED" is a timeout before it is a server error.
 */
export function inferErrorKind(message: string): TrialErrorKind {
  if (/time[\s_-]?out(?!put)|timed[\s_-]?out|deadline/i.test(message)) return 'timeout';
  if (/\b429\b|rate[\s_-]?limit|quota|resource[\s_-]?exhausted|too many requests/i.test(message)) return 'rate_limit';
  const code = leadingStatus(message);
  if (
    (code !== null && code >= 500 && code <= 599) ||
    /\bcode['"]?\s*[:=]\s*5\d\d\b|overloaded|unavailable|internal|bad gateway|connection (reset|error|aborted|closed|refused)|disconnect|server/i.test(message)
  ) {
    return 'server';
  }
  if (code === 401 || code === 403) return 'auth';
  if (code === 400) return 'bad_request';
  return 'other';
}

/** The HTTP status an SDK message starts with ("ERROR: 429 RESOURCE_EXHAUSTED ..."), if any. */
function leadingStatus(message: string): number | null {
  const match = /^\s*(?:ERROR:\s*)?(?:Error code:\s*)?(\d{3})\b/i.exec(message);
  return match ? Number(match[1]) : null;
}

/** The ERROR text without its marker, cut to a size a report can show. */
export function errorMessage(actualOutput: string): string {
  return actualOutput
    .replace(/^\s*ERROR:\s*/, '')
    .trim()
    .slice(0, MAX_ERROR_MESSAGE);
}

/** A test case is its input and expected output; the task prefix keeps ids of different tasks apart. */
export function itemIdOf(row: AdaptGaugeRow): string {
  return `${row.taskId}:${sha256(`${row.input}\u0000${row.expectedOutput}`).slice(0, 12)}`;
}

/** The selector a row is recorded under: k = 0 has no shots to select, so every selection shares `none`. */
export function selectorOf(row: AdaptGaugeRow): string {
  return row.shotCount === 0 ? ZERO_SHOT_SELECTOR : (row.exampleSelection ?? DEFAULT_SELECTION);
}

export interface MappedTask {
  taskId: string;
  runId: string;
  rows: AdaptGaugeRow[];
  /** In file order; trials[i] comes from rows[i]. */
  trials: TrialRecord[];
  /** Rows repeating an earlier (model, selection, shots, item, trial_id): kept as further repeats. */
  duplicateRows: number;
  /** Scores outside [0, 1] that were clamped. */
  clampedScores: number;
}

/**
 * Map rows to trial records, one group per task in order of first appearance.
 * Repeats: per (model, selector, k, item), each distinct (example_selection, trial_id) gets 0, 1, 2, ...
 * in order of appearance, so the k = 0 rows that AdaptGauge ran once per selection become further
 * repeats of the shared zero-shot cell instead of colliding.
 */
export function mapAdaptGaugeRows(rows: readonly AdaptGaugeRow[], runIdOf: (taskId: string) => string): MappedTask[] {
  const tasks = new Map<string, MappedTask>();
  const repeats = new Map<string, Map<string, number>>();
  for (const row of rows) {
    let task = tasks.get(row.taskId);
    if (!task) {
      task = { taskId: row.taskId, runId: runIdOf(row.taskId), rows: [], trials: [], duplicateRows: 0, clampedScores: 0 };
      tasks.set(row.taskId, task);
    }
    const selector = selectorOf(row);
    const itemId = itemIdOf(row);
    // JSON of a tuple is an unambiguous key whatever characters the names hold.
    const cellKey = JSON.stringify([row.model, selector, row.shotCount, itemId]);
    const trialKey = JSON.stringify([row.exampleSelection ?? '', row.trialId]);
    const cell = repeats.get(cellKey) ?? new Map<string, number>();
    repeats.set(cellKey, cell);
    let repeat = cell.get(trialKey);
    if (repeat === undefined) {
      repeat = cell.size;
      cell.set(trialKey, repeat);
    } else {
      task.duplicateRows++;
      repeat = cell.size;
      cell.set(`${trialKey}#${row.line}`, repeat);
    }

    const isError = isErrorOutput(row.actualOutput);
    let score = 0;
    if (!isError && row.score !== null) {
      score = Math.min(1, Math.max(0, row.score));
      if (score !== row.score) task.clampedScores++;
    }
    const details: TrialRecord['details'] = { scoringMethod: row.scoringMethod, adaptgaugeTrialId: row.trialId };
    if (row.exampleSelection !== null) details.adaptgaugeSelection = row.exampleSelection;

    task.rows.push(row);
    task.trials.push({
      runId: task.runId,
      provider: row.model,
      model: row.model,
      selector,
      k: row.shotCount,
      repeat,
      itemId,
      shotIds: [],
      promptHash: sha256(row.input),
      output: isError ? null : row.actualOutput,
      // AdaptGauge does not record truncation, so a returned call is taken as a normal stop.
      finishReason: isError ? null : 'stop',
      // There is no answer format to parse: a non-empty output is an answer.
      parseOk: !isError && row.actualOutput.trim() !== '',
      parseError: null,
      answer: null,
      score,
      details,
      error: isError ? { kind: inferErrorKind(errorMessage(row.actualOutput)), message: errorMessage(row.actualOutput) } : null,
      tokensIn: row.inputTokens,
      tokensOut: row.outputTokens,
      cachedTokens: 0,
      latencyMs: row.latencyMs,
      cached: false,
      requestId: null,
    });
  }
  return [...tasks.values()];
}
