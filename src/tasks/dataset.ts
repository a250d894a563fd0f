/**
 * Dataset files for the dataset-backed tasks (classify, generate): reading JSONL or CSV through a
 * field mapping, and dividing the records into pool examples and evaluation items.
 *
 * Rules (each violation is a TaskDataError naming the file and, where there is one, the line):
 * - Format: `format:` or the extension (.jsonl/.ndjson = JSONL, .csv = CSV with a header row).
 * - A JSONL line is one JSON object; blank lines are skipped. A mapped name with dots (`meta.text`)
 *   walks nested objects, unless the object has a key with that literal name. CSV columns are
 *   looked up by their header exactly; quoted fields may span lines (the line is the record's first).
 * - input, label and output must be present and non-blank (surrounding whitespace is trimmed).
 *   Numbers and booleans are read as text; a JSON object or array is accepted only as an output
 *   (written as compact JSON, for `scoring: json`).
 * - Ids: the mapped id column, or `<file>:<line>` with the file as written in the experiment.
 *   Ids must be unique within a file.
 *
 * Splitting:
 * - Fixed files (`pool` + `eval`): an evaluation item with the id or the normalized input
 *   (case and whitespace ignored) of a pool example is leakage and REFUSED: the whole load fails,
 *   listing up to 5 offenders, because a fixed evaluation set that silently shrinks is not the set
 *   the user meant to measure. Repeats within one file are kept (they are data) with a notice.
 * - One file with `split` (seeded): identical inputs within the file are first reduced to their
 *   first occurrence, with a notice, so that no input can land on both sides; then `evalItems`
 *   and `poolSize` records are drawn with the experiment seed, stratified by label when there
 *   are labels (each label keeps its share of the file, up to rounding). Pool and evaluation
 *   items keep the file's order. Records left over are unused.
 */
import { readFileSync } from 'node:fs';
import { extname, isAbsolute, join } from 'node:path';
import { parseCsvRecords } from '../util/csv-records.js';
import { Rng } from '../util/rng.js';
import { firstInvalidUtf8 } from '../util/utf8.js';
import { TaskDataError } from './errors.js';
import { normalizeText } from './leakage.js';

export type DataFormat = 'jsonl' | 'csv';

/** Which column holds what. A task maps either `label` (classify) or `output` (generate). */
export interface FieldMap {
  input: string;
  label?: string;
  output?: string;
  id?: string;
}

export interface DataFileSpec {
  file: string;
  format?: DataFormat;
  fields: FieldMap;
}

export interface SplitSpec {
  poolSize: number;
  evalItems: number;
}

/** Either `data` + `split` or `pool` + `eval` (the config schema makes sure of it). */
export interface DatasetSpec {
  data?: DataFileSpec;
  split?: SplitSpec;
  pool?: DataFileSpec;
  eval?: DataFileSpec;
}

/** One example or evaluation item as read from a file. */
export interface DataRecord {
  id: string;
  input: string;
  label?: string;
  output?: string;
  /** Every column (CSV) or top-level field (JSONL) of the record under its own name: prompt templates read them. */
  columns?: Record<string, unknown>;
  /** The file as errors name it (joined to the experiment's folder). */
  file: string;
  /** 1-based line where the record starts. */
  line: number;
}

export interface Dataset {
  pool: DataRecord[];
  items: DataRecord[];
  notices: string[];
}

/** Offenders listed in a refusal or notice before "and N more". */
const MAX_LISTED = 5;

/** Reads pool and evaluation records as the spec says; deterministic given the seed. */
export function loadDataset(spec: DatasetSpec, seed: number, baseDir: string): Dataset {
  if (spec.pool && spec.eval) return loadFixed(spec.pool, spec.eval, baseDir);
  if (spec.data && spec.split) return loadSplit(spec.data, spec.split, seed, baseDir);
  throw new Error('dataset: expected data + split or pool + eval');
}

/** The path errors name: the experiment's folder joined to the file as written. */
export function dataPath(file: string, baseDir: string): string {
  return isAbsolute(file) ? file : join(baseDir, file);
}

/** Reads one file through its field mapping. Every problem is a TaskDataError with the line. */
export function readDataFile(spec: DataFileSpec, baseDir: string): DataRecord[] {
  const path = dataPath(spec.file, baseDir);
  const format = spec.format ?? formatFromExtension(path);
  let buffer: Buffer;
  try {
    buffer = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a folder, not a file' : (e as Error).message;
    throw new TaskDataError(path, null, `cannot read the dataset: ${reason} (paths are relative to the experiment file's folder)`);
  }
  checkUtf8(path, buffer);
  const rows = format === 'csv' ? readCsvRows(path, buffer, spec.fields) : readJsonlRows(path, buffer);
  if (rows.length === 0)
    throw new TaskDataError(path, null, `no records: expected ${format === 'csv' ? 'a header row and data rows' : 'one JSON object a line'}`);

  const records: DataRecord[] = [];
  const idLines = new Map<string, number>();
  for (const row of rows) {
    const record = toRecord(path, spec, row);
    const earlier = idLines.get(record.id);
    if (earlier !== undefined) {
      throw new TaskDataError(path, row.line, `duplicate id ${JSON.stringify(record.id)} (also on line ${earlier}): ids must be unique within a file`);
    }
    idLines.set(record.id, row.line);
    records.push(record);
  }
  return records;
}

/**
 * Refuses a file that is not valid UTF-8 rather than reading its bad bytes as U+FFFD, which would
 * quietly change inputs and labels (a Latin-1 "café" becomes "caf\uFFFD"). The whole file is decoded
 * once; only on failure is it searched line by line for the first bad line, to name it.
 */
/** Throws a TaskDataError at the first line that is not UTF-8; `what` names the kind of file in the message. */
export function checkUtf8(path: string, buffer: Buffer, what = 'datasets'): void {
  const bad = firstInvalidUtf8(buffer);
  if (bad === null) return;
  const where = bad.line === null ? '' : ` (byte 0x${bad.value.toString(16).padStart(2, '0')} at byte ${bad.byteInLine} of the line)`;
  throw new TaskDataError(path, bad.line, `not valid UTF-8${where}: ${what} must be UTF-8 text; re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)`);
}

function formatFromExtension(path: string): DataFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csv';
  throw new TaskDataError(path, null, `cannot tell the format from the extension "${ext}": name the file .jsonl or .csv, or set format: jsonl | csv`);
}

/** A row before mapping: reads a column by name (undefined when absent). */
interface RawRow {
  line: number;
  get(column: string): unknown;
  /** The names available, for "missing field" messages. */
  columns(): string[];
}

function readJsonlRows(path: string, buffer: Buffer): RawRow[] {
  const text = buffer.toString('utf8').replace(/^\uFEFF/, '');
  const rows: RawRow[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw new TaskDataError(path, line, `not valid JSON (${(e as Error).message}): expected one JSON object a line`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new TaskDataError(path, line, `expected a JSON object, got ${describe(value)}`);
    }
    const obj = value as Record<string, unknown>;
    rows.push({ line, get: (column) => getPath(obj, column), columns: () => Object.keys(obj) });
  });
  return rows;
}

/** A literal key wins; otherwise `a.b.c` walks nested objects. */
export function getPath(obj: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(obj, path)) return obj[path];
  let current: unknown = obj;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function readCsvRows(path: string, buffer: Buffer, fields: FieldMap): RawRow[] {
  const records = parseCsvRecords(buffer, (line, reason) => new TaskDataError(path, line, reason));
  const header = records[0];
  if (!header) return [];
  const names = header.fields.map((f) => f.trim());
  const index = new Map<string, number>();
  names.forEach((name, i) => {
    if (!index.has(name)) index.set(name, i);
  });
  // A mapped column missing from the header is one error at the header, not one per row.
  for (const [role, column] of Object.entries(fields) as [string, string | undefined][]) {
    if (column !== undefined && !index.has(column)) {
      throw new TaskDataError(path, header.line, `no column "${column}" (fields.${role}) in the header; the columns are: ${names.join(', ')}`);
    }
  }
  return records.slice(1).map(({ fields: values, line }) => ({
    line,
    get: (column) => {
      const i = index.get(column);
      return i === undefined ? undefined : values[i];
    },
    columns: () => names,
  }));
}

function toRecord(path: string, spec: DataFileSpec, row: RawRow): DataRecord {
  const { fields } = spec;
  const fail = (reason: string): never => {
    throw new TaskDataError(path, row.line, reason);
  };
  const read = (role: keyof FieldMap, allowJson: boolean): string => {
    const column = fields[role]!;
    const value = row.get(column);
    const where = `field "${column}" (fields.${role})`;
    if (value === undefined) {
      const have = row.columns();
      return fail(`missing ${where}; the record has: ${have.length > 0 ? have.join(', ') : 'no fields'}`);
    }
    let text: string;
    if (typeof value === 'string') text = value.trim();
    else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
    else if (value !== null && typeof value === 'object' && allowJson) text = JSON.stringify(value);
    else return fail(`${where}: expected text, got ${describe(value)}`);
    if (text === '') fail(`${where} is empty: expected a non-empty ${role}`);
    return text;
  };

  const record: DataRecord = {
    id: fields.id !== undefined ? read('id', false) : `${spec.file}:${row.line}`,
    input: read('input', false),
    columns: Object.fromEntries(row.columns().map((c) => [c, row.get(c)])),
    file: path,
    line: row.line,
  };
  if (fields.label !== undefined) {
    const label = read('label', false);
    if (/[\r\n]/.test(label)) fail(`field "${fields.label}" (fields.label): a label must be one line`);
    record.label = label;
  }
  if (fields.output !== undefined) record.output = read('output', true);
  return record;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** `file:line` of a record, for messages. */
export function where(record: DataRecord): string {
  return `${record.file}:${record.line}`;
}

function listed(parts: readonly string[]): string {
  const shown = parts.slice(0, MAX_LISTED).join('; ');
  return parts.length > MAX_LISTED ? `${shown}; and ${parts.length - MAX_LISTED} more` : shown;
}

// ---------------------------------------------------------------------------------------------
// Fixed files

function loadFixed(poolSpec: DataFileSpec, evalSpec: DataFileSpec, baseDir: string): Dataset {
  const pool = readDataFile(poolSpec, baseDir);
  const items = readDataFile(evalSpec, baseDir);
  const leaks = findRecordLeaks(pool, items);
  if (leaks.length > 0) {
    const first = leaks[0]!.record;
    throw new TaskDataError(
      first.file,
      first.line,
      `${leaks.length} evaluation item(s) also appear in the pool, so a model could be shown the answer as a worked example: ` +
        `${listed(leaks.map((l) => `${where(l.record)} ${l.reason}`))}. Remove them from one of the files.`,
    );
  }
  const notices: string[] = [];
  for (const [name, records] of [
    ['pool', pool],
    ['evaluation', items],
  ] as const) {
    const repeats = findRepeats(records);
    if (repeats.length > 0) {
      notices.push(
        `dataset: ${repeats.length} ${name} record(s) repeat an earlier input of the same file (kept: repeats within a file are data, not leakage): ` +
          listed(repeats.map((r) => `${where(r.record)} (= line ${r.first.line})`)),
      );
    }
  }
  return { pool, items, notices };
}

interface RecordLeak {
  record: DataRecord;
  reason: string;
}

/** Evaluation records with the id or the normalized input of a pool record. */
export function findRecordLeaks(pool: readonly DataRecord[], items: readonly DataRecord[]): RecordLeak[] {
  const byId = new Map<string, DataRecord>();
  const byInput = new Map<string, DataRecord>();
  for (const p of pool) {
    if (!byId.has(p.id)) byId.set(p.id, p);
    const key = normalizeText(p.input);
    if (!byInput.has(key)) byInput.set(key, p);
  }
  const leaks: RecordLeak[] = [];
  for (const item of items) {
    const sameId = byId.get(item.id);
    if (sameId) {
      leaks.push({ record: item, reason: `(id ${JSON.stringify(item.id)} is also pool example ${where(sameId)})` });
      continue;
    }
    const sameInput = byInput.get(normalizeText(item.input));
    if (sameInput) leaks.push({ record: item, reason: `(same input as pool example ${where(sameInput)})` });
  }
  return leaks;
}

/** Records whose normalized input appeared earlier in the list, with that first occurrence. */
function findRepeats(records: readonly DataRecord[]): { record: DataRecord; first: DataRecord }[] {
  const seen = new Map<string, DataRecord>();
  const repeats: { record: DataRecord; first: DataRecord }[] = [];
  for (const record of records) {
    const key = normalizeText(record.input);
    const first = seen.get(key);
    if (first) repeats.push({ record, first });
    else seen.set(key, record);
  }
  return repeats;
}

// ---------------------------------------------------------------------------------------------
// One file, seeded split

function loadSplit(spec: DataFileSpec, split: SplitSpec, seed: number, baseDir: string): Dataset {
  const all = readDataFile(spec, baseDir);
  const notices: string[] = [];
  const repeats = findRepeats(all);
  let records = all;
  if (repeats.length > 0) {
    const dropped = new Set(repeats.map((r) => r.record));
    records = all.filter((r) => !dropped.has(r));
    const conflicts = repeats.filter((r) => r.record.label !== r.first.label || r.record.output !== r.first.output).length;
    notices.push(
      `dataset: ${repeats.length} record(s) of ${spec.file} repeat an earlier input and were left out before splitting, ` +
        `so that no input is both a pool example and an evaluation item` +
        (conflicts > 0 ? ` (${conflicts} of them with a different ${all[0]?.label !== undefined ? 'label' : 'output'} than the first)` : '') +
        `: ${listed(repeats.map((r) => `${where(r.record)} (= line ${r.first.line})`))}`,
    );
  }
  const needed = split.poolSize + split.evalItems;
  if (needed > records.length) {
    const path = dataPath(spec.file, baseDir);
    const distinct = repeats.length > 0 ? ` distinct inputs (${repeats.length} repeats left out)` : ' records';
    throw new TaskDataError(
      path,
      null,
      `split needs poolSize + evalItems = ${split.poolSize} + ${split.evalItems} = ${needed} records, but the file has ${records.length}${distinct}`,
    );
  }
  const { pool, items } = splitRecords(records, split, seed);
  return { pool, items, notices };
}

/**
 * Draws evaluation items and pool examples, seeded, stratified by label when every record has
 * one. Both keep the order of `records`.
 */
export function splitRecords(records: readonly DataRecord[], split: SplitSpec, seed: number): { pool: DataRecord[]; items: DataRecord[] } {
  const rng = new Rng([seed, 'dataset', 'split']);
  const order = new Map(records.map((r, i) => [r, i]));
  const byOrder = (a: DataRecord, b: DataRecord) => order.get(a)! - order.get(b)!;
  const pool: DataRecord[] = [];
  const items: DataRecord[] = [];

  const labelled = records.every((r) => r.label !== undefined);
  if (!labelled) {
    const shuffled = rng.shuffle(records);
    items.push(...shuffled.slice(0, split.evalItems));
    pool.push(...shuffled.slice(split.evalItems, split.evalItems + split.poolSize));
  } else {
    const groups = new Map<string, DataRecord[]>();
    for (const r of records) {
      const group = groups.get(r.label!);
      if (group) group.push(r);
      else groups.set(r.label!, [r]);
    }
    const labels = [...groups.keys()].sort();
    const sizes = labels.map((l) => groups.get(l)!.length);
    const evalCounts = apportion(split.evalItems, sizes, sizes);
    const poolCounts = apportion(
      split.poolSize,
      sizes,
      sizes.map((n, i) => n - evalCounts[i]!),
    );
    labels.forEach((label, i) => {
      const shuffled = rng.shuffle(groups.get(label)!);
      items.push(...shuffled.slice(0, evalCounts[i]));
      pool.push(...shuffled.slice(evalCounts[i], evalCounts[i]! + poolCounts[i]!));
    });
  }
  return { pool: pool.sort(byOrder), items: items.sort(byOrder) };
}

/**
 * Divides `total` units in proportion to `weights` without exceeding `caps` (largest remainder;
 * ties to the earlier index). The caps must sum to at least `total`.
 */
export function apportion(total: number, weights: readonly number[], caps: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const quotas = weights.map((w) => (sum > 0 ? (total * w) / sum : 0));
  const counts = quotas.map((q, i) => Math.min(Math.floor(q), caps[i]!));
  let left = total - counts.reduce((a, b) => a + b, 0);
  while (left > 0) {
    let best = -1;
    for (let i = 0; i < counts.length; i++) {
      if (counts[i]! >= caps[i]!) continue;
      if (best === -1 || quotas[i]! - counts[i]! > quotas[best]! - counts[best]!) best = i;
    }
    if (best === -1) throw new Error('apportion: the caps sum to less than the total');
    counts[best] = counts[best]! + 1;
    left--;
  }
  return counts;
}
