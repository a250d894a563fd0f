/**
 * A trials.jsonl that does not add up is said so, not summed as if it did: a record repeating an
 * earlier trial is counted once with a notice (report and compare alike), a file without a trial is
 * not reported as a complete run of its planned trials, and a score outside [0, 1] (or not a
 * number) is refused with the file and line instead of being clamped.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../src/records/summary.js';
import { eachTrial, readTrials, TrialsFileError } from '../src/records/trials-file.js';
import type { TrialRecord } from '../src/records/trial.js';
import { sweep, trial } from './analysis-fixtures.js';
import { thrownBy } from './thrown.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'dist', 'bin.js');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'run-v2');
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-trials-file-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function fewshot(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY']) delete env[key];
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

const jsonl = (trials: readonly unknown[]) => trials.map((t) => JSON.stringify(t)).join('\n') + '\n';

/** A copy of the version 2 fixture run with its trials.jsonl replaced. */
function run(name: string, trialsText: (original: string) => string): string {
  const dir = join(tmp, name);
  cpSync(FIXTURE, dir, { recursive: true });
  const path = join(dir, 'trials.jsonl');
  writeFileSync(path, trialsText(readFileSync(path, 'utf8')));
  return dir;
}

const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;

describe('duplicate trial records', () => {
  it('counts each trial once, keeps its first record, and names the count, the file and the first lines', () => {
    const trials = sweep();
    // The second copy differs in what was recorded: the first must be the one kept.
    const path = file('doubled.jsonl', jsonl(trials) + jsonl(trials.map((t) => ({ ...t, score: 1 - t.score, latencyMs: 999 }))));
    const seen: TrialRecord[] = [];
    const result = eachTrial(path, (t) => void seen.push(t));
    expect(result.count).toBe(trials.length);
    expect(result.duplicates).toBe(trials.length);
    expect(seen).toEqual(trials);
    expect(result.warnings).toEqual([
      `${path}: ${trials.length} records repeat an earlier record of the same trial (provider, model, selector, k, repeat, item and prompt), ` +
        `at lines ${trials.length + 1}, ${trials.length + 2}, ${trials.length + 3} and ${trials.length - 3} more; ` +
        'each trial is counted once, from its first record (was the file appended twice, or two files joined?)',
    ]);
  });

  it('a record differing in any part of the key is another trial', () => {
    const base = trial();
    const others = [
      { provider: 'openai:gpt-4o-mini' },
      { model: 'other-model' },
      { selector: 'similar' },
      { k: 4 },
      { repeat: 1 },
      { itemId: 'other-item' },
      { promptHash: 'other-hash' },
    ].map((patch) => ({ ...base, ...patch }));
    const result = eachTrial(file('distinct.jsonl', jsonl([base, ...others])), () => {});
    expect(result).toEqual({ count: 8, duplicates: 0, warnings: [] });
  });

  it('stays exact past the key table growing (20,000 trials, every other one repeated)', () => {
    const trials = Array.from({ length: 20_000 }, (_, i) => trial({ itemId: `item-${i}`, repeat: i % 3 }));
    const text = trials.map((t, i) => JSON.stringify(t) + '\n' + (i % 2 === 0 ? JSON.stringify(t) + '\n' : '')).join('');
    const result = eachTrial(file('many.jsonl', text), () => {});
    expect(result.count).toBe(20_000);
    expect(result.duplicates).toBe(10_000);
  });

  it('fewshot report on a run whose every line is doubled: the same figures as the run, with the notice', () => {
    const clean = run('report-clean', (t) => t);
    const doubled = run('report-doubled', (t) => t + t);
    expect(fewshot(['report', clean]).code).toBe(0);
    const r = fewshot(['report', doubled]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`warning: ${doubled}/trials.jsonl: 70 records repeat an earlier record of the same trial`);
    expect(r.stdout).toContain('rebuilt from 70 trials');
    const [a, b] = [summaryOf(clean), summaryOf(doubled)];
    expect(b.totals.trials).toBe(70);
    expect(b.cells.map((c) => c.nTrials)).toEqual(a.cells.map((c) => c.nTrials));
    expect(b.notices.at(-1)).toMatch(/70 records repeat an earlier record/);
    expect(readFileSync(join(doubled, 'summary.md'), 'utf8')).toContain('70 trials recorded (70 of 70 planned)');
  });

  it('fewshot compare with a doubled run: compared on each trial once, with the notice', () => {
    const doubled = run('compare-doubled', (t) => t + t);
    const out = join(tmp, 'compare.json');
    const r = fewshot(['compare', doubled, FIXTURE, '--json', out]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as { notices: string[] };
    expect(result.notices).toContainEqual(expect.stringMatching(/^baseline: .*trials\.jsonl: 70 records repeat an earlier record/));
    expect(r.stdout).toContain('(small-routes-20261206T034951Z, be4e751 (dirty), 70 trials)');
  });
});

describe('a trials.jsonl without a trial', () => {
  it('eachTrial says so', () => {
    const path = file('empty.jsonl', '');
    expect(eachTrial(path, () => {})).toEqual({ count: 0, duplicates: 0, warnings: [`${path} holds no trial, so the report has no results`] });
    expect(readTrials(path).trials).toEqual([]);
  });

  it("fewshot report keeps the run's status but says 0 of the planned trials were recorded, with a notice", () => {
    const dir = run('report-empty', () => '');
    const r = fewshot(['report', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`warning: ${dir}/trials.jsonl holds no trial`);
    const s = summaryOf(dir);
    expect(s.status).toBe('complete');
    expect(s.totals.trials).toBe(0);
    expect(s.notices).toContain(`${dir}/trials.jsonl holds no trial, so the report has no results`);
    const md = readFileSync(join(dir, 'summary.md'), 'utf8');
    expect(md).toContain('Status: **complete**, 0 trials recorded (0 of 70 planned; run.json counts 70 completed)');
    expect(md).not.toContain('(70 of 70 planned)');
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('0 trials recorded (0 of 70 planned; run.json counts 70 completed)');
    expect(html).toContain('holds no trial');
  });
});

describe('scores outside [0, 1]', () => {
  const cases: [string, string, string][] = [
    ['above 1', '1.5', 'got 1.5'],
    ['below 0', '-0.25', 'got -0.25'],
    ['infinite (1e999 parses as Infinity)', '1e999', 'got Infinity'],
    ['null (how JSON.stringify writes NaN)', 'null', 'got null (a NaN score is written as null)'],
    ['a string', '"0.5"', 'got "0.5"'],
  ];
  for (const [name, score, got] of cases) {
    it(`refuses a score ${name} with the file and line`, () => {
      const lines = jsonl(sweep()).split('\n');
      lines[3] = lines[3]!.replace(/"score":[^,]+/, `"score":${score}`);
      const path = file(`score-${score}.jsonl`, lines.join('\n'));
      const e = thrownBy(TrialsFileError, () => eachTrial(path, () => {}));
      expect(e.file).toBe(path);
      expect(e.line).toBe(4);
      expect(e.message).toBe(`${path}:4: not a trial record: field "score": expected a number in [0, 1], ${got}`);
    });
  }

  it('fewshot report exits 2 on a score of 1.5 (it was clamped to 1), naming the file and line', () => {
    const dir = run('report-score', (t) => {
      const lines = t.split('\n');
      lines[2] = lines[2]!.replace(/"score":[^,]+/, '"score":1.5');
      return lines.join('\n');
    });
    const r = fewshot(['report', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: ${dir}/trials.jsonl:3: not a trial record: field "score": expected a number in [0, 1], got 1.5\n`);
  });

  it('fewshot compare exits 2 on it too', () => {
    const dir = run('compare-score', (t) => t.replace(/"score":[^,]+/, '"score":-1'));
    const r = fewshot(['compare', FIXTURE, dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: candidate ${dir}/trials.jsonl:1: not a trial record: field "score": expected a number in [0, 1], got -1\n`);
  });
});
