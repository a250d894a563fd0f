/**
 * src/records/: the files a run leaves (trials.jsonl, run.json, summary.json) read back by their
 * schemas, including what older versions wrote: a trial's `seed` (the repeat index) is read as
 * `repeat`, an experiment's `analysis.bootstrapResamples` as `resamples`; a summary.json of another
 * schema version or shape is refused with the file, the field and what was expected.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analysisOptions } from '../src/analysis/options.js';
import { buildSummary } from '../src/analysis/summary.js';
import { readRunInfo } from '../src/records/run-info.js';
import { readSummary, SUMMARY_SCHEMA_VERSION, SummaryError, writeSummary, type RunSummary } from '../src/records/summary.js';
import { readTrials, TrialsFileError } from '../src/records/trials-file.js';
import { trial } from './analysis-fixtures.js';
import { thrownBy } from './thrown.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'run-v2');
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-records-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

const linesOf = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('trials.jsonl from older versions', () => {
  it('reads the repeat index written as `seed` (the version 2 fixture) as `repeat`', () => {
    const raw = linesOf(join(FIXTURE, 'trials.jsonl'));
    expect(raw.length).toBeGreaterThan(0);
    expect(raw.every((r) => typeof r.seed === 'number' && !('repeat' in r))).toBe(true);
    const { trials, warnings } = readTrials(join(FIXTURE, 'trials.jsonl'));
    expect(warnings).toEqual([]);
    expect(trials.map((t) => t.repeat)).toEqual(raw.map((r) => r.seed));
    expect(trials.some((t) => 'seed' in t)).toBe(false);
    expect(Object.keys(trials[0]!).sort()).toEqual(
      Object.keys(raw[0]!)
        .map((k) => (k === 'seed' ? 'repeat' : k))
        .sort(),
    );
  });

  it('reads any repeat index so, and keeps `repeat` when a record has both', () => {
    const { repeat: _, ...rest } = trial({ itemId: 'old' });
    const path = file(
      'mixed.jsonl',
      `${JSON.stringify({ ...rest, seed: 2 })}\n${JSON.stringify(trial({ itemId: 'new', repeat: 1 }))}\n${JSON.stringify({ ...trial({ itemId: 'both', repeat: 3 }), seed: 9 })}\n`,
    );
    const { trials } = readTrials(path);
    expect(trials.map((t) => [t.itemId, t.repeat])).toEqual([
      ['old', 2],
      ['new', 1],
      ['both', 3],
    ]);
  });

  it('counts an old and a new record of the same trial once: `seed` and `repeat` are one key', () => {
    const { repeat: _, ...rest } = trial();
    const path = file('twice.jsonl', `${JSON.stringify({ ...rest, seed: 0 })}\n${JSON.stringify(trial())}\n`);
    expect(readTrials(path).trials).toHaveLength(1);
  });

  it("names the field the file has when an old record's repeat index is wrong", () => {
    const { repeat: _, ...rest } = trial();
    const err = thrownBy(TrialsFileError, () => readTrials(file('bad-seed.jsonl', `${JSON.stringify({ ...rest, seed: -1 })}\n`)));
    expect(err.line).toBe(1);
    expect(err.reason).toMatch(/^not a trial record: field "seed" \(the repeat index\): /);
    const missing = thrownBy(TrialsFileError, () => readTrials(file('no-repeat.jsonl', `${JSON.stringify(rest)}\n`)));
    expect(missing.reason).toBe('not a trial record: missing field "repeat" (expected number)');
  });
});

describe('run.json from older versions', () => {
  it("reads the recorded experiment's analysis.bootstrapResamples as resamples", () => {
    const info = readRunInfo(join(FIXTURE, 'run.json'));
    expect((info.config as { analysis: Record<string, number> }).analysis).toHaveProperty('bootstrapResamples', 2000);
    expect(analysisOptions(info.config, info.seed).settings.resamples).toBe(2000);
    const config = { ...(info.config as object), analysis: { alpha: 0.05, delta: 0.05, bootstrapResamples: 700 } };
    expect(analysisOptions(config, info.seed).settings.resamples).toBe(700);
    expect(analysisOptions({ analysis: { resamples: 900 } }, 0).settings.resamples).toBe(900);
    expect(analysisOptions({ analysis: { resamples: 900 } }, 0, { resamples: 300 }).settings.resamples).toBe(300);
  });
});

describe('summary.json', () => {
  const info = readRunInfo(join(FIXTURE, 'run.json'));
  const summary = buildSummary(readTrials(join(FIXTURE, 'trials.jsonl')).trials, info, new Date('2026-01-01T00:00:00Z'));

  it('reads back what writeSummary wrote', () => {
    const path = join(tmp, 'summary.json');
    writeSummary(path, summary);
    const read = readSummary(path);
    expect(read).toEqual(summary);
    expect(read.schemaVersion).toBe(SUMMARY_SCHEMA_VERSION);
    expect(read.settings).toEqual({ alpha: 0.05, delta: 0.05, resamples: 2000, seed: 11, confidenceLevel: 0.95 });
  });

  it('reads a number JSON wrote as null (a NaN) back as NaN, and a nullable one as null', () => {
    const json = JSON.parse(JSON.stringify(summary)) as RunSummary;
    const check = json.curves[0]!.checks[0]!;
    (check as { value: number | null }).value = null;
    json.curves[0]!.points[0]!.accuracy = null;
    const read = readSummary(file('nan.json', JSON.stringify(json)));
    expect(read.curves[0]!.checks[0]!.value).toBeNaN();
    expect(read.curves[0]!.points[0]!.accuracy).toBeNull();
  });

  it('refuses a summary of another schema version, saying how to rebuild it', () => {
    const err = thrownBy(SummaryError, () => readSummary(join(FIXTURE, 'summary.json')));
    expect(err.field).toBe('schemaVersion');
    expect(err.message).toBe(
      `${join(FIXTURE, 'summary.json')}: summary.json schema version 2, this fewshot reads version 3 (written by an earlier fewshot: \`fewshot report <run folder>\` rebuilds it from trials.jsonl)`,
    );
  });

  it('refuses a file that is not a summary, naming the file, the field and what was expected', () => {
    const json = JSON.parse(JSON.stringify(summary)) as Record<string, unknown> & { settings: Record<string, unknown>; curves: Record<string, unknown>[] };
    delete json.settings.resamples;
    json.settings.bootstrapResamples = 2000;
    json.curves[0]!.label = 'great';
    const path = file('wrong.json', JSON.stringify(json));
    const err = thrownBy(SummaryError, () => readSummary(path));
    expect(err.file).toBe(path);
    expect(err.field).toBe('settings.resamples');
    expect(err.message).toBe(
      `${path}: not a fewshot summary.json: field "settings.resamples": missing (expected a number or null); ` +
        'field "curves.0.label": expected one of "improving", "plateau", "peak-regression", "no-benefit", "inconclusive", got "great"',
    );
    expect(thrownBy(SummaryError, () => readSummary(file('list.json', '[]'))).message).toBe(
      `${join(tmp, 'list.json')}: not a fewshot summary.json: expected a JSON object, got a list`,
    );
    expect(thrownBy(SummaryError, () => readSummary(file('torn.json', '{"schemaVersion": 3,'))).message).toMatch(/torn\.json: not valid JSON/);
    expect(thrownBy(SummaryError, () => readSummary(join(tmp, 'none.json'))).message).toBe(`${join(tmp, 'none.json')}: not found`);
  });
});
