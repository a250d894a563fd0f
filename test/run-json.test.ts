/**
 * run.json is validated by one schema (runInfoSchema in src/records/run-info.ts) wherever it is read:
 * `fewshot report`, `fewshot compare`, and `fewshot import` checking a folder it would replace. A
 * run.json that does not fit is bad input (exit 2) naming the file, the field and what was expected,
 * never a TypeError with a stack; runs from older versions and imports still read. `fewshot report`
 * into a folder it cannot write is bad input too, checked before anything is rebuilt.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importAdaptGauge } from '../src/import/adaptgauge.js';
import { ImportError } from '../src/import/import-error.js';
import { parseRunInfo, readRunInfo, RunInfoError, runInfoSchema } from '../src/records/run-info.js';
import { runInfo } from './analysis-fixtures.js';
import { thrownBy } from './thrown.js';
import { cannotRunCli } from './unprivileged.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'dist', 'bin.js');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'run-v2');
const CSV = join(ROOT, 'test', 'fixtures', 'adaptgauge-raw-results-small.csv');
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-run-json-'));
afterAll(() => {
  chmodSync(tmp, 0o700);
  rmSync(tmp, { recursive: true, force: true });
});

function fewshot(args: string[], as?: { uid: number; gid: number }) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY']) delete env[key];
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: 'utf8', ...as });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A copy of the version 2 fixture run, with run.json replaced when `info` is given. */
function run(name: string, info?: unknown): string {
  const dir = join(tmp, name);
  cpSync(FIXTURE, dir, { recursive: true });
  if (info !== undefined) writeFileSync(join(dir, 'run.json'), typeof info === 'string' ? info : JSON.stringify(info));
  return dir;
}

const fixtureInfo = () => JSON.parse(readFileSync(join(FIXTURE, 'run.json'), 'utf8')) as Record<string, unknown> & { task: Record<string, unknown> };

/** Bad input as the project wants it: exit 2, one `error:` line, no stack trace. */
function expectBadInput(r: { code: number | null; stderr: string }, message: string): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain(`error: ${message}`);
  expect(r.stderr).not.toMatch(/\n\s+at |TypeError/);
}

describe('runInfoSchema', () => {
  it('names the file and the first missing fields of an empty object', () => {
    const e = thrownBy(RunInfoError, () => parseRunInfo({}, 'r/run.json'));
    expect(e.file).toBe('r/run.json');
    expect(e.field).toBe('runId');
    expect(e.message).toMatch(
      /^r\/run\.json: not a fewshot run\.json: field "runId": missing \(expected a string\); field "experiment": missing \(expected an object\); .* and \d+ more$/,
    );
  });

  it('says what was expected and what it got', () => {
    const wrong = (patch: Record<string, unknown>) => thrownBy(RunInfoError, () => parseRunInfo({ ...runInfo(), ...patch }, 'run.json'));
    expect(wrong({ status: 'done' }).message).toContain('field "status": expected one of "running", "complete", "partial", got "done"');
    expect(wrong({ seed: 1.5 }).message).toContain('field "seed": expected a whole number, got 1.5');
    expect(wrong({ plannedTrials: -1 }).message).toContain('field "plannedTrials": expected a number >= 0, got -1');
    expect(wrong({ task: { ...runInfo().task, measures: 'feasible' } }).message).toContain('field "task.measures": expected a list, got "feasible"');
    expect(wrong({ providers: [{ id: 'local' }] }).field).toBe('providers.0.status');
    expect(thrownBy(RunInfoError, () => parseRunInfo([], 'run.json')).message).toBe('run.json: not a fewshot run.json: expected a JSON object, got a list');
  });

  it('reads a run of an older version: no task.measures (read as none), spend or prompt', () => {
    const { measures: _m, ...task } = fixtureInfo().task;
    const { spend: _s, prompt: _p, ...old } = fixtureInfo();
    const info = parseRunInfo({ ...old, task }, 'run.json');
    expect(info.task.measures).toEqual([]);
    expect(info.spend).toBeUndefined();
    expect(info.prompt).toBeUndefined();
  });

  it('reads the version 2 fixture and keeps fields it does not know', () => {
    const info = readRunInfo(join(FIXTURE, 'run.json'));
    expect(info.task.measures.map((m) => m.key)).toEqual(['feasible', 'optimalityRatio']);
    expect(runInfoSchema.parse({ ...fixtureInfo(), addedLater: 1 })).toMatchObject({ addedLater: 1 });
  });

  it('reads the run.json of an imported run', () => {
    const result = importAdaptGauge(CSV, join(tmp, 'imported'), { now: new Date('2026-11-25T00:00:00Z') });
    expect(result.runs.length).toBeGreaterThan(0);
    for (const r of result.runs) expect(readRunInfo(join(r.dir, 'run.json')).task.type).toBe('adaptgauge');
  });

  it('a missing file and a file that is not JSON are RunInfoErrors naming the file', () => {
    expect(thrownBy(RunInfoError, () => readRunInfo(join(tmp, 'nowhere', 'run.json'))).message).toBe(`${join(tmp, 'nowhere', 'run.json')}: not found`);
    const dir = run('not-json', '{ "runId": ');
    expect(thrownBy(RunInfoError, () => readRunInfo(join(dir, 'run.json'))).message).toMatch(/run\.json: not valid JSON \(/);
  });
});

describe('fewshot report reads run.json by the schema', () => {
  it('exits 2 on a run.json that is {}, naming the file and field (was a TypeError on "measures")', () => {
    const dir = run('report-empty-object', {});
    expectBadInput(fewshot(['report', dir]), `${dir}/run.json: not a fewshot run.json: field "runId": missing (expected a string)`);
  });

  it('exits 2 on a run.json without its task, or with measures of the wrong type', () => {
    const { task: _t, ...noTask } = fixtureInfo();
    const dir = run('report-no-task', noTask);
    expectBadInput(fewshot(['report', dir]), `${dir}/run.json: not a fewshot run.json: field "task": missing (expected an object)`);
    const bad = run('report-bad-measures', { ...fixtureInfo(), task: { ...fixtureInfo().task, measures: [{ key: 'feasible' }] } });
    expectBadInput(fewshot(['report', bad]), `${bad}/run.json: not a fewshot run.json: field "task.measures.0.label": missing (expected a string)`);
  });

  it('rebuilds a run whose run.json an older version wrote (no measures, spend or prompt)', () => {
    const { spend: _s, prompt: _p, ...old } = fixtureInfo();
    const { measures: _m, ...task } = old.task;
    const dir = run('report-older', { ...old, task });
    const r = fewshot(['report', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('fewshot compare reads run.json by the same schema', () => {
  it('exits 2 on a run.json that is {}, naming the side, file and field', () => {
    const dir = run('compare-empty-object', {});
    expectBadInput(fewshot(['compare', dir, FIXTURE]), `baseline ${dir}/run.json: not a fewshot run.json: field "runId": missing (expected a string)`);
  });

  it('exits 2 on a status no version writes', () => {
    const dir = run('compare-bad-status', { ...fixtureInfo(), status: 'done' });
    expectBadInput(
      fewshot(['compare', FIXTURE, dir]),
      `candidate ${dir}/run.json: not a fewshot run.json: field "status": expected one of "running", "complete", "partial", got "done"`,
    );
  });
});

describe('fewshot import reads an existing run.json by the schema', () => {
  it('refuses a folder whose run.json is not a run, saying why', () => {
    const out = join(tmp, 'import-over');
    const first = importAdaptGauge(CSV, out, { now: new Date('2026-11-25T00:00:00Z') });
    const dir = first.runs[0]!.dir;
    writeFileSync(join(dir, 'run.json'), '{}');
    const e = thrownBy(ImportError, () => importAdaptGauge(CSV, out, { now: new Date('2026-11-25T00:00:00Z') }));
    expect(e.message).toContain(`${dir} already holds other files (${dir}/run.json: not a fewshot run.json: field "runId": missing (expected a string)`);
  });
});

describe('fewshot report into a folder it cannot write', () => {
  it('exits 2 naming the folder, before rebuilding anything (was a stack trace and exit 1)', (ctx) => {
    // Root ignores permission bits: as root, run the CLI as the unprivileged user `nobody`.
    const root = process.getuid?.() === 0;
    const as = root ? { uid: 65534, gid: 65534 } : undefined;
    const unreachable = cannotRunCli(BIN, as);
    if (unreachable) {
      console.warn(`skipped: running as root, and ${unreachable}, so a read-only folder cannot be made`);
      ctx.skip();
    }
    const parent = join(tmp, 'read-only');
    mkdirSync(parent);
    const dir = join(parent, 'run');
    cpSync(FIXTURE, dir, { recursive: true });
    const before = readFileSync(join(dir, 'summary.json'), 'utf8');
    chmodSync(tmp, 0o755);
    chmodSync(parent, 0o755);
    chmodSync(dir, 0o555);
    try {
      const r = fewshot(['report', dir], as);
      expectBadInput(r, `${dir}: cannot write the report there (permission denied); "fewshot report" rewrites summary.json`);
      expect(readFileSync(join(dir, 'summary.json'), 'utf8')).toBe(before);
    } finally {
      chmodSync(dir, 0o755);
    }
  });
});
