import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkReportFolderWritable, ReportFolderError, writeReport, writeReportFiles } from '../src/report/write.js';
import { eachTrial, readTrials, TrialsFileError } from '../src/records/trials-file.js';
import type { TrialRecord } from '../src/records/trial.js';
import { providerError, runInfo, sweep, trial } from './analysis-fixtures.js';
import { fixtureSummary } from './report-fixtures.js';
import { thrownBy } from './thrown.js';

const dir = mkdtempSync(join(tmpdir(), 'fewshot-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function jsonl(trials: readonly TrialRecord[]): string {
  return trials.map((t) => JSON.stringify(t)).join('\n') + '\n';
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('readTrials', () => {
  const trials = [trial(), providerError({ itemId: 'b' }), trial({ itemId: 'c', answer: { x: [1, 2] } })];

  it('reads what was written', () => {
    const result = readTrials(file('ok.jsonl', jsonl(trials)));
    expect(result.trials).toEqual(trials);
    expect(result.warnings).toEqual([]);
  });

  it('reads an empty file', () => {
    expect(readTrials(file('empty.jsonl', '')).trials).toEqual([]);
  });

  it('skips and reports a torn last line', () => {
    const whole = jsonl(trials);
    const path = file('torn.jsonl', whole + JSON.stringify(trial({ itemId: 'd' })).slice(0, 40));
    const result = readTrials(path);
    expect(result.trials).toEqual(trials);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/incomplete last line \(4\)/);
  });

  it('throws with the line number for a malformed line before the end', () => {
    const lines = jsonl(trials).split('\n');
    lines[1] = lines[1]!.slice(0, 30);
    const path = file('bad.jsonl', lines.join('\n'));
    const e = thrownBy(TrialsFileError, () => readTrials(path));
    expect(e.file).toBe(path);
    expect(e.line).toBe(2);
    expect(e.message).toContain(`${path}:2: not valid JSON`);
  });

  it('says which field is missing and what was expected', () => {
    const { score: _score, ...noScore } = trial();
    const path = file('missing.jsonl', jsonl(trials) + JSON.stringify(noScore) + '\n');
    const e = thrownBy(TrialsFileError, () => readTrials(path));
    expect(e.line).toBe(4);
    expect(e.reason).toContain('missing field "score" (expected number)');
  });

  it('says which field has the wrong type', () => {
    const path = file('type.jsonl', JSON.stringify({ ...trial(), k: '2' }) + '\n' + jsonl(trials));
    const e = thrownBy(TrialsFileError, () => readTrials(path));
    expect(e.line).toBe(1);
    expect(e.reason).toMatch(/field "k": .*expected number/);
  });

  it('rejects an unknown error kind', () => {
    const bad = { ...providerError(), error: { kind: 'gremlins', message: 'x' } };
    const e = thrownBy(TrialsFileError, () => readTrials(file('kind.jsonl', JSON.stringify(bad) + '\n')));
    expect(e.reason).toContain('field "error.kind"');
  });
});

describe('eachTrial', () => {
  it('streams a file larger than its read size, multi-byte characters split across reads included, in order', () => {
    // About 2.6 MB: three 1 MB reads, with 2- and 4-byte characters landing on the boundaries.
    const trials = Array.from({ length: 3000 }, (_, i) => trial({ itemId: `item-${i}`, output: `${'é🙂x'.repeat(150)} ${i}` }));
    const path = file('big.jsonl', jsonl(trials));
    const seen: TrialRecord[] = [];
    const { count, warnings } = eachTrial(path, (t) => void seen.push(t));
    expect(count).toBe(3000);
    expect(warnings).toEqual([]);
    expect(seen.map((t) => t.itemId)).toEqual(trials.map((t) => t.itemId));
    expect(seen.map((t) => t.output)).toEqual(trials.map((t) => t.output));
  });

  it('a bad line followed by a good one is an error at that line, not a torn write', () => {
    const path = file('bad-middle.jsonl', `${jsonl([trial()])}{"runId":\n\n${jsonl([trial()])}`);
    const e = thrownBy(TrialsFileError, () => eachTrial(path, () => {}));
    expect(e.line).toBe(2);
  });
});

describe('writeReportFiles', () => {
  it('writes summary.json, summary.md and report.html of a built summary', () => {
    const runDir = join(dir, 'run-files');
    const { trials, warnings } = readTrials(file('trials-files.jsonl', jsonl(sweep()) + '{"runId":'));
    const summary = fixtureSummary(trials, runInfo(), { notices: warnings, requestsPerMonth: 1000 });
    const paths = writeReportFiles(runDir, summary, runInfo());
    expect(paths).toEqual({
      summaryPath: join(runDir, 'summary.json'),
      reportPath: join(runDir, 'report.html'),
      markdownPath: join(runDir, 'summary.md'),
    });
    const written = JSON.parse(readFileSync(paths.summaryPath, 'utf8'));
    expect(written).toEqual(JSON.parse(JSON.stringify(summary)));
    expect(written).toMatchObject({ schemaVersion: 3, runId: 'run-1', generatedAt: '2025-02-03T04:05:06.000Z' });
    expect(written.advice).toHaveLength(1);
    expect(written.notices.at(-1)).toMatch(/incomplete last line/);
    const markdown = readFileSync(paths.markdownPath, 'utf8');
    expect(markdown).toContain('incomplete last line');
    expect(markdown).toContain('## Verdict');
    const html = readFileSync(paths.reportPath, 'utf8');
    expect(html).toContain('incomplete last line');
    expect(html).toContain('<article class="verdict" data-provider="local"');
  });
});

// Needs buildSummary to fill the schema-v2 summary (curves, collapse, failure trends, advice).
describe('writeReport', () => {
  it('writes summary.json, summary.md and report.html', () => {
    const runDir = join(dir, 'run-1');
    const path = file('trials.jsonl', jsonl(sweep()) + '{"runId":');
    const { trials, warnings } = readTrials(path);
    const { summary: built, ...paths } = writeReport(runDir, trials, runInfo(), { now: new Date('2025-02-03T04:05:06.000Z'), notices: warnings });
    expect(built.runId).toBe('run-1');
    expect(paths).toEqual({
      summaryPath: join(runDir, 'summary.json'),
      reportPath: join(runDir, 'report.html'),
      markdownPath: join(runDir, 'summary.md'),
    });
    for (const p of Object.values(paths)) expect(existsSync(p)).toBe(true);
    const summary = JSON.parse(readFileSync(paths.summaryPath, 'utf8'));
    expect(summary).toMatchObject({ schemaVersion: 3, runId: 'run-1', generatedAt: '2025-02-03T04:05:06.000Z' });
    expect(summary.curves).toHaveLength(2);
    expect(summary.advice).toHaveLength(1);
    expect(summary.notices.at(-1)).toMatch(/incomplete last line/);
    expect(readFileSync(paths.markdownPath, 'utf8')).toContain('incomplete last line');
    expect(readFileSync(paths.reportPath, 'utf8')).toContain('incomplete last line');
  });

  it("passes the report command's overrides to the summary", () => {
    const runDir = join(dir, 'run-overrides');
    const paths = writeReport(runDir, sweep(), runInfo(), { now: new Date('2025-02-03T04:05:06.000Z'), overrides: { target: 0.99, delta: 0.1 } });
    const summary = JSON.parse(readFileSync(paths.summaryPath, 'utf8'));
    expect(summary.target).toBe(0.99);
    expect(summary.settings.delta).toBe(0.1);
    expect(readFileSync(paths.markdownPath, 'utf8')).toContain('Target: 99.0% accuracy.');
  });
});

describe('checkReportFolderWritable', () => {
  it('passes a writable run folder (and its charts/ folder) and leaves no probe file behind', () => {
    const runDir = join(dir, 'writable-run');
    mkdirSync(join(runDir, 'charts'), { recursive: true });
    checkReportFolderWritable(runDir);
    expect(readdirSync(runDir)).toEqual(['charts']);
    expect(readdirSync(join(runDir, 'charts'))).toEqual([]);
  });

  it('names the folder it cannot write into and why (a path through a file: refused for root too)', () => {
    const notAFolder = file('not-a-folder', 'x');
    const e = thrownBy(ReportFolderError, () => checkReportFolderWritable(notAFolder));
    expect(e.dir).toBe(notAFolder);
    expect(e.message).toMatch(new RegExp(`^${notAFolder}: cannot write the report there \\(ENOTDIR: .*\\); "fewshot report" rewrites summary\\.json`));
  });
});
