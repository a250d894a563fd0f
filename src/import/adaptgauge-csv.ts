import { readFileSync } from 'node:fs';
import { parseCsvRecords } from '../util/csv-records.js';
import { firstInvalidUtf8 } from '../util/utf8.js';
import { ImportError } from './import-error.js';

/** Columns the mapping cannot do without. */
export const REQUIRED_COLUMNS = [
  'task_id',
  'model_name',
  'shot_count',
  'input',
  'expected_output',
  'actual_output',
  'score',
  'scoring_method',
  'trial_id',
] as const;

/** Columns AdaptGauge writes that only add context; when absent they default (blank, 0) and a notice says so. */
export const OPTIONAL_COLUMNS = ['run_id', 'category', 'latency_ms', 'timestamp', 'input_tokens', 'output_tokens', 'example_selection'] as const;

/** One data row of a raw_results_*.csv, validated and typed. */
export interface AdaptGaugeRow {
  /** First line of the row in the file (1-based; a quoted field may span several lines). */
  line: number;
  runId: string;
  taskId: string;
  category: string;
  model: string;
  shotCount: number;
  input: string;
  expectedOutput: string;
  actualOutput: string;
  /** The CSV's score; null only on an ERROR row whose score is blank or not a number (it is ignored there). */
  score: number | null;
  scoringMethod: string;
  latencyMs: number;
  timestamp: string;
  trialId: string;
  inputTokens: number;
  outputTokens: number;
  /** null when the column is absent or the field blank. */
  exampleSelection: string | null;
}

export interface AdaptGaugeCsv {
  file: string;
  /** The file's text, for provenance (hash) in run.json. */
  text: string;
  columns: string[];
  missingOptional: string[];
  /** Columns this importer does not read (kept out of the trials, listed in run.json). */
  extraColumns: string[];
  rows: AdaptGaugeRow[];
}

/** AdaptGauge's marker for a failed API call, stored in actual_output with score 0. */
export function isErrorOutput(actualOutput: string): boolean {
  return /^\s*ERROR:/.test(actualOutput);
}

/** Read and validate a raw results CSV; every problem is an ImportError naming the line and column. */
export function readAdaptGaugeCsv(file: string): AdaptGaugeCsv {
  let buffer: Buffer;
  try {
    buffer = readFileSync(file);
  } catch (e) {
    throw new ImportError(file, null, `cannot read the file (${(e as Error).message})`);
  }
  // A model or task name in another encoding would become a different name of replacement characters.
  const bad = firstInvalidUtf8(buffer);
  if (bad !== null) {
    throw new ImportError(
      file,
      bad.line,
      `not valid UTF-8 (byte 0x${bad.value.toString(16).padStart(2, '0')}): re-save the CSV as UTF-8 (e.g. iconv -f latin1 -t utf-8)`,
    );
  }
  const records = parseCsvRecords(buffer, (line, reason) => new ImportError(file, line, reason));
  const header = records[0];
  if (!header) throw new ImportError(file, null, 'empty file: expected a header row naming the columns');

  const columns = header.fields.map((name) => name.trim());
  const seen = new Set<string>();
  for (const name of columns) {
    if (seen.has(name)) throw new ImportError(file, header.line, `column "${name}" appears twice in the header`);
    seen.add(name);
  }
  const missing = REQUIRED_COLUMNS.filter((c) => !seen.has(c));
  if (missing.length > 0) {
    throw new ImportError(
      file,
      header.line,
      `missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (header has: ${columns.join(', ')})`,
    );
  }
  if (records.length === 1) throw new ImportError(file, null, 'no data rows after the header');

  const index = new Map(columns.map((name, i) => [name, i]));
  const known = new Set<string>([...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]);
  const rows = records.slice(1).map(({ fields, line }) => {
    const get = (column: string): string | undefined => {
      const i = index.get(column);
      return i === undefined ? undefined : fields[i];
    };
    return toRow(file, line, get);
  });
  return {
    file,
    text: buffer.toString('utf8'),
    columns,
    missingOptional: OPTIONAL_COLUMNS.filter((c) => !seen.has(c)),
    extraColumns: columns.filter((c) => !known.has(c)),
    rows,
  };
}

function toRow(file: string, line: number, get: (column: string) => string | undefined): AdaptGaugeRow {
  const fail = (column: string, expected: string, value: string | undefined): never => {
    throw new ImportError(file, line, `column ${column}: expected ${expected}, got ${JSON.stringify(value ?? '')}`);
  };
  const text = (column: string): string => get(column) ?? '';
  const nonBlank = (column: string): string => {
    const value = text(column).trim();
    return value === '' ? fail(column, 'a non-empty value', value) : value;
  };

  const taskId = nonBlank('task_id');
  // task_id names a folder: keep it one plain path segment.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(taskId)) fail('task_id', 'letters, digits, ".", "_" or "-" (it names a folder)', taskId);
  const actualOutput = text('actual_output');
  const isError = isErrorOutput(actualOutput);

  const shotText = text('shot_count').trim();
  // pandas may write whole numbers as "8.0".
  if (!/^\d+(\.0*)?$/.test(shotText)) fail('shot_count', 'a whole number >= 0', shotText);

  const scoreText = text('score').trim();
  const score = parseNumber(scoreText);
  // An ERROR row's score is ignored (the call failed), so only a scored row must carry a number.
  if (score === null && !isError) fail('score', 'a number', scoreText);

  const count = (column: string): number => {
    const raw = get(column);
    if (raw === undefined || raw.trim() === '') return 0;
    const value = parseNumber(raw.trim());
    return value === null || value < 0 ? fail(column, 'a number >= 0 or blank', raw) : value;
  };

  const selection = get('example_selection')?.trim();
  return {
    line,
    runId: text('run_id').trim(),
    taskId,
    category: text('category').trim(),
    model: nonBlank('model_name'),
    shotCount: Number.parseInt(shotText, 10),
    input: text('input'),
    expectedOutput: text('expected_output'),
    actualOutput,
    score,
    scoringMethod: text('scoring_method').trim(),
    latencyMs: count('latency_ms'),
    timestamp: text('timestamp').trim(),
    trialId: text('trial_id').trim(),
    inputTokens: Math.round(count('input_tokens')),
    outputTokens: Math.round(count('output_tokens')),
    exampleSelection: selection ? selection : null,
  };
}

/** A plain decimal number (as Python writes them); null for anything else, including blank and NaN. */
function parseNumber(text: string): number | null {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}
