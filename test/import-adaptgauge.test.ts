import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyOutcome } from '../src/analysis/outcome.js';
import { inferErrorKind } from '../src/import/adaptgauge-map.js';
import { importAdaptGauge, ImportError, type ImportResult } from '../src/import/index.js';
import { readTrials } from '../src/records/trials-file.js';
import type { RunInfo } from '../src/records/run-info.js';
import type { TrialRecord } from '../src/records/trial.js';
import { thrownBy } from './thrown.js';

const root = mkdtempSync(join(tmpdir(), 'fewshot-import-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const NOW = new Date('2026-11-25T12:00:00Z');

const BASE_COLUMNS = [
  'run_id',
  'task_id',
  'category',
  'model_name',
  'shot_count',
  'input',
  'expected_output',
  'actual_output',
  'score',
  'scoring_method',
  'latency_ms',
  'timestamp',
  'trial_id',
  'input_tokens',
  'output_tokens',
];

type Row = Record<string, string | number>;

/** A correct classification row unless overridden. */
function row(overrides: Row = {}): Row {
  return {
    run_id: '20260224_112144',
    task_id: 'classification_001',
    category: 'classification',
    model_name: 'model-a',
    shot_count: 0,
    input: 'My card was charged twice',
    expected_output: 'Billing',
    actual_output: 'Billing',
    score: '1.0',
    scoring_method: 'exact_match',
    latency_ms: 1200,
    timestamp: '2026-02-24T11:22:22.866243',
    trial_id: 1,
    input_tokens: 0,
    output_tokens: 0,
    ...overrides,
  };
}

function quote(value: string | number): string {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvText(rows: readonly Row[], columns = BASE_COLUMNS, eol = '\n'): string {
  return [columns.join(','), ...rows.map((r) => columns.map((c) => quote(r[c] ?? '')).join(','))].join(eol) + eol;
}

let counter = 0;
/** Write a CSV and import it into a fresh folder. */
function importRows(rows: readonly Row[], columns = BASE_COLUMNS): { result: ImportResult; out: string; csv: string } {
  const dir = join(root, `case-${++counter}`);
  const csv = writeCsv(dir, csvText(rows, columns));
  const out = join(dir, 'out');
  return { result: importAdaptGauge(csv, out, { name: 'demo', now: NOW }), out, csv };
}

function writeCsv(dir: string, text: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'raw_results_demo.csv');
  writeFileSync(path, text);
  return path;
}

function trialsOf(out: string, taskId = 'classification_001'): TrialRecord[] {
  return readTrials(join(out, taskId, 'trials.jsonl')).trials;
}

describe('importAdaptGauge: mapping', () => {
  it('keeps multi-line quoted outputs exactly', () => {
    const output = 'def add(a, b):\n    return a + b\n\nprint("ok, done")';
    const { out } = importRows([row({ actual_output: output, input: 'line one\nline "two"' })]);
    const [t] = trialsOf(out);
    expect(t!.output).toBe(output);
    expect(t!.promptHash).toMatch(/^[0-9a-f]{64}$/);
    expect(classifyOutcome(t!)).toBe('answered');
    expect(t!.parseOk).toBe(true);
    expect(t!.finishReason).toBe('stop');
    expect(t!.score).toBe(1);
    expect(t!.details.scoringMethod).toBe('exact_match');
  });

  it('turns each kind of ERROR row into a provider error that is never scored', () => {
    const messages: [string, string][] = [
      ['ERROR: Request timed out.', 'timeout'],
      ["ERROR: 504 DEADLINE_EXCEEDED. {'error': {'code': 504, 'message': 'Deadline expired before operation could complete.'}}", 'timeout'],
      ["ERROR: 429 RESOURCE_EXHAUSTED. {'error': {'code': 429, 'message': 'Resource exhausted. Please try again later.'}}", 'rate_limit'],
      ['ERROR: Error code: 429 - rate limit reached for requests', 'rate_limit'],
      ["ERROR: 503 UNAVAILABLE. {'error': {'code': 503, 'message': 'The model is overloaded.'}}", 'server'],
      ['ERROR: Server disconnected without sending a response.', 'server'],
      ['ERROR: [Errno 104] Connection reset by peer', 'server'],
      ["ERROR: 499 CANCELLED. {'error': {'code': 499, 'message': 'The operation was cancelled.'}}", 'other'],
    ];
    // A score of 1 on an ERROR row must not leak into the trial.
    const rows = messages.map(([m], i) => row({ actual_output: m, score: i === 0 ? '1.0' : '0.0', latency_ms: 0, input: `q${i}` }));
    const { out, result } = importRows(rows);
    const trials = trialsOf(out);
    expect(trials.map((t) => t.error?.kind)).toEqual(messages.map(([, kind]) => kind));
    for (const t of trials) {
      expect(classifyOutcome(t)).toBe('provider_error');
      expect(t.output).toBeNull();
      expect(t.finishReason).toBeNull();
      expect(t.parseOk).toBe(false);
      expect(t.score).toBe(0);
      expect(t.error!.message).not.toMatch(/^ERROR:/);
    }
    expect(result.runs[0]!.errors).toBe(messages.length);
    expect(result.runs[0]!.errorsByKind).toEqual({ other: 1, rate_limit: 2, server: 3, timeout: 2 });
  });

  it('infers error kinds from the message alone', () => {
    expect(inferErrorKind('ReadTimeout: HTTPSConnectionPool')).toBe('timeout');
    expect(inferErrorKind('You exceeded your current quota')).toBe('rate_limit');
    expect(inferErrorKind('500 INTERNAL. An internal error has occurred')).toBe('server');
    expect(inferErrorKind('502 Bad Gateway')).toBe('server');
    expect(inferErrorKind('401 UNAUTHENTICATED')).toBe('auth');
    expect(inferErrorKind('400 INVALID_ARGUMENT')).toBe('bad_request');
    expect(inferErrorKind('runtime output mismatch')).toBe('other');
    expect(inferErrorKind('something odd')).toBe('other');
  });

  it('cuts long error messages to 500 characters', () => {
    const { out } = importRows([row({ actual_output: `ERROR: 500 ${'x'.repeat(2000)}` })]);
    expect(trialsOf(out)[0]!.error!.message).toHaveLength(500);
  });

  it('records an empty output as empty, not as a wrong answer', () => {
    const { out, result } = importRows([row({ actual_output: '', score: '0.0' }), row({ actual_output: '  \n ', input: 'b' })]);
    const trials = trialsOf(out);
    expect(trials.map(classifyOutcome)).toEqual(['empty', 'empty']);
    expect(trials[0]!.output).toBe('');
    expect(trials[0]!.error).toBeNull();
    expect(result.runs[0]!.empty).toBe(2);
  });

  it('records k = 0 under selector none and k > 0 under the example selection (tfidf when absent)', () => {
    const plain = trialsOf(importRows([row({ shot_count: 0 }), row({ shot_count: 4 })]).out);
    expect(plain.map((t) => [t.k, t.selector])).toEqual([
      [0, 'none'],
      [4, 'tfidf'],
    ]);

    const columns = [...BASE_COLUMNS, 'example_selection'];
    const withColumn = trialsOf(
      importRows(
        [row({ shot_count: 0, example_selection: 'fixed' }), row({ shot_count: 2, example_selection: 'fixed' }), row({ shot_count: 2, example_selection: '' })],
        columns,
      ).out,
    );
    expect(withColumn.map((t) => [t.k, t.selector])).toEqual([
      [0, 'none'],
      [2, 'fixed'],
      [2, 'tfidf'],
    ]);
  });

  it('gives repeats of one item the same itemId and seeds 0, 1, 2', () => {
    const rows = ['t1', 't2', 't3'].flatMap((trial) => [
      row({ trial_id: trial, input: 'a' }),
      row({ trial_id: trial, input: 'b' }),
      row({ trial_id: trial, input: 'a', expected_output: 'Other' }),
    ]);
    const trials = trialsOf(importRows(rows).out);
    const byItem = new Map<string, number[]>();
    for (const t of trials) byItem.set(t.itemId, [...(byItem.get(t.itemId) ?? []), t.repeat]);
    expect([...byItem.values()]).toEqual([
      [0, 1, 2],
      [0, 1, 2],
      [0, 1, 2],
    ]);
    for (const id of byItem.keys()) expect(id).toMatch(/^classification_001:[0-9a-f]{12}$/);
  });

  it('pools k = 0 rows run once per selection as further repeats, without repeat collisions', () => {
    const columns = [...BASE_COLUMNS, 'example_selection'];
    const rows = ['fixed', 'tfidf'].flatMap((sel) => [1, 2, 3].map((trial) => row({ example_selection: sel, trial_id: trial })));
    const { out, result } = importRows(rows, columns);
    expect(trialsOf(out).map((t) => t.repeat)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(result.runs[0]!.repeatsPerItem).toEqual({ min: 6, max: 6 });
    const info = JSON.parse(readFileSync(join(out, 'classification_001', 'run.json'), 'utf8')) as RunInfo;
    expect(info.notices.join('\n')).toMatch(/k = 0 once per example selection \(fixed, tfidf\)/);
  });

  it('reads numbers written as strings and blank counts as 0', () => {
    const { out } = importRows([row({ shot_count: '8.0', score: '0.25', latency_ms: '', input_tokens: '', output_tokens: '12.0' })]);
    const [t] = trialsOf(out);
    expect([t!.k, t!.score, t!.latencyMs, t!.tokensIn, t!.tokensOut]).toEqual([8, 0.25, 0, 0, 12]);
  });
});

describe('importAdaptGauge: folders', () => {
  it('writes one results folder per task, with run.json, trials and the report', () => {
    const rows = [
      row({ timestamp: '2026-02-24T11:22:22.866243' }),
      row({ task_id: 'code_fix_001', scoring_method: 'contains', model_name: 'model-b', timestamp: '2026-02-24T10:00:00' }),
      row({ shot_count: 1, model_name: 'model-b', timestamp: '2026-02-25T01:26:05.917450' }),
      row({ task_id: 'custom_route_001', scoring_method: 'llm_judge', score: '0.6' }),
    ];
    const { out, result, csv } = importRows(rows);
    expect(result.rows).toBe(4);
    expect(result.runs.map((r) => [r.taskId, r.trials])).toEqual([
      ['classification_001', 2],
      ['code_fix_001', 1],
      ['custom_route_001', 1],
    ]);
    for (const r of result.runs) {
      for (const f of ['run.json', 'trials.jsonl', 'summary.json', 'report.html']) expect(existsSync(join(r.dir, f)), f).toBe(true);
      expect(trialsOf(out, r.taskId).every((t) => t.itemId.startsWith(`${r.taskId}:`) && t.runId === `demo-${r.taskId}`)).toBe(true);
    }
    const info = JSON.parse(readFileSync(join(out, 'classification_001', 'run.json'), 'utf8')) as RunInfo;
    expect(info).toMatchObject({
      runId: 'demo-classification_001',
      experiment: { name: 'demo', path: csv },
      config: { source: 'adaptgauge', taskId: 'classification_001', rows: 2 },
      seed: 0,
      git: { commit: null, dirty: null },
      startedAt: '2026-02-24T11:22:22.866Z',
      endedAt: '2026-02-25T01:26:05.917Z',
      status: 'complete',
      providers: [
        { id: 'model-a', status: 'ran' },
        { id: 'model-b', status: 'ran' },
      ],
      plannedTrials: 2,
      completedTrials: 2,
      task: { type: 'adaptgauge', poolSize: 0, evalItems: 1, baseline: 'none (imported run)', measures: [] },
    });
    expect(info.notices[0]).toMatch(/^imported from AdaptGauge raw results \(raw_results_demo\.csv\): 2 rows; 0 ERROR rows/);
    const route = JSON.parse(readFileSync(join(out, 'custom_route_001', 'run.json'), 'utf8')) as RunInfo;
    expect(route.notices.join('\n')).toMatch(/llm_judge for 1 rows: scores are an LLM judge's keyword coverage, not exact/);
  });

  it('refuses a folder that holds another run, and replaces its own run on re-import', () => {
    const dir = join(root, 'reimport');
    const csv = writeCsv(dir, csvText([row(), row({ trial_id: 2 })]));
    const out = join(dir, 'out');
    importAdaptGauge(csv, out, { name: 'demo', now: NOW });
    const first = readFileSync(join(out, 'classification_001', 'trials.jsonl'), 'utf8');
    importAdaptGauge(csv, out, { name: 'demo', now: NOW });
    expect(readFileSync(join(out, 'classification_001', 'trials.jsonl'), 'utf8')).toBe(first);
    const e = thrownBy(ImportError, () => importAdaptGauge(csv, out, { name: 'other', now: NOW }));
    expect(e.reason).toMatch(/already holds run demo-classification_001/);
  });

  it('is deterministic: the same CSV gives byte-identical trials.jsonl', () => {
    const rows = [row({ actual_output: 'ERROR: 429 quota' }), row({ shot_count: 2, trial_id: 'x' }), row({ task_id: 'other_task' })];
    const dir = join(root, 'determinism');
    const csv = writeCsv(dir, csvText(rows));
    importAdaptGauge(csv, join(dir, 'a'), { now: NOW });
    importAdaptGauge(csv, join(dir, 'b'), { now: NOW });
    for (const task of ['classification_001', 'other_task']) {
      const a = readFileSync(join(dir, 'a', task, 'trials.jsonl'));
      expect(a.equals(readFileSync(join(dir, 'b', task, 'trials.jsonl')))).toBe(true);
      expect(readFileSync(join(dir, 'a', task, 'run.json')).equals(readFileSync(join(dir, 'b', task, 'run.json')))).toBe(true);
    }
    // The default name is the file name without raw_results_.
    expect(existsSync(join(dir, 'a', 'other_task', 'run.json'))).toBe(true);
    expect((JSON.parse(readFileSync(join(dir, 'a', 'other_task', 'run.json'), 'utf8')) as RunInfo).runId).toBe('demo-other_task');
  });
});

describe('importAdaptGauge: bad input', () => {
  function failing(text: string): { e: ImportError; csv: string; out: string } {
    const dir = join(root, `bad-${++counter}`);
    const csv = writeCsv(dir, text);
    const out = join(dir, 'out');
    return { e: thrownBy(ImportError, () => importAdaptGauge(csv, out)), csv, out };
  }

  it('names missing required columns', () => {
    const columns = BASE_COLUMNS.filter((c) => c !== 'shot_count' && c !== 'score');
    const { e, csv } = failing(csvText([row()], columns));
    expect(e.file).toBe(csv);
    expect(e.line).toBe(1);
    expect(e.reason).toMatch(/missing required columns shot_count, score/);
  });

  it('gives the line of an unparseable shot_count, counting lines inside quoted fields', () => {
    const { e, out } = failing(csvText([row({ actual_output: 'a\nb\nc' }), row({ shot_count: 'two' })]));
    expect(e.line).toBe(5);
    expect(e.reason).toMatch(/column shot_count: expected a whole number >= 0, got "two"/);
    expect(e.message).toMatch(/raw_results_demo\.csv:5: /);
    // Nothing is written when the file is bad.
    expect(existsSync(out)).toBe(false);
  });

  it('gives the line of an unparseable score, also in a CRLF file', () => {
    const { e } = failing(csvText([row({ actual_output: 'x\r\ny' }), row(), row({ score: 'n/a' })], BASE_COLUMNS, '\r\n'));
    expect(e.line).toBe(5);
    expect(e.reason).toMatch(/column score: expected a number, got "n\/a"/);
  });

  it('accepts a blank score on an ERROR row (it is ignored there)', () => {
    const { out } = importRows([row({ actual_output: 'ERROR: timeout', score: '' })]);
    expect(trialsOf(out)[0]!.score).toBe(0);
  });

  it('rejects a task_id that is not a plain folder name', () => {
    expect(failing(csvText([row({ task_id: '../escape' })])).e.reason).toMatch(/column task_id/);
  });

  it('refuses a file that is not UTF-8 at its line (a latin1 model name would become another model)', () => {
    const dir = join(root, `bad-${++counter}`);
    const csv = writeCsv(dir, csvText([row(), row({ model_name: 'cafXgemini' })]));
    const bytes = readFileSync(csv);
    bytes[bytes.indexOf('cafX') + 3] = 0xe9;
    writeFileSync(csv, bytes);
    const e = thrownBy(ImportError, () => importAdaptGauge(csv, join(dir, 'out')));
    expect([e.line, e.reason]).toEqual([3, 'not valid UTF-8 (byte 0xe9): re-save the CSV as UTF-8 (e.g. iconv -f latin1 -t utf-8)']);
  });

  it('reports malformed CSV and an empty file', () => {
    expect(failing('task_id,model_name\n"unclosed,x\n').e.reason).toMatch(/not valid CSV/);
    expect(failing('').e.reason).toMatch(/empty file/);
    expect(failing(csvText([])).e.reason).toMatch(/no data rows/);
    const short = failing(`${BASE_COLUMNS.join(',')}\na,b,c\n`).e;
    expect(short.reason).toMatch(/not valid CSV/);
    expect(short.line).toBe(2);
  });
});
