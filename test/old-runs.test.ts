/**
 * Runs written before summary.json schema version 3 still work: `fewshot report` rebuilds a version 3
 * summary from their trials (a refusal then recorded as a provider error of kind `refused` now counts
 * as the model's answer), and `fewshot compare` reads them beside a run of this version.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../src/records/summary.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'dist', 'bin.js');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'run-v2');
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-old-runs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function fewshot(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY']) delete env[key];
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('runs written by earlier versions', () => {
  it('the fixture is a version 2 run', () => {
    const old = JSON.parse(readFileSync(join(FIXTURE, 'summary.json'), 'utf8')) as { schemaVersion: number; curves: { tests: { method: string }[] }[] };
    expect(old.schemaVersion).toBe(2);
    expect(old.curves[0]!.tests[0]!.method).toBe('paired-bootstrap');
  });

  it("fewshot report rebuilds a version 3 summary, reading an old refusal as the model's answer", () => {
    const dir = join(tmp, 'report');
    cpSync(FIXTURE, dir, { recursive: true });
    const r = fewshot(['report', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;
    expect(s.schemaVersion).toBe(3);
    expect(s.totals.failures.refusal).toBe(1);
    expect(s.totals.failures.provider_error).toBe(0);
    expect(s.totals.failures.parse_failure).toBe(1);
    const refused = s.cells.find((c) => c.selector === 'random' && c.k === 2)!;
    expect(refused.outcomes.refusal).toBe(1);
    // The refusal scores 0 in accuracy; among parsed replies it is not there.
    expect(refused.accuracy!.n).toBe(refused.nItems);
    expect(s.curves.every((c) => c.checks.length > 0 && c.scope.startsWith('k <= '))).toBe(true);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('refusals');
  });

  it('fewshot compare reads an old run beside a run of this version', () => {
    const candidate = join(tmp, 'candidate');
    expect(fewshot(['sweep', 'test/fixtures/small.yaml', '--out', candidate, '--quiet']).code).toBe(0);
    const r = fewshot(['compare', FIXTURE, candidate, '--json', join(tmp, 'compare.json')]);
    expect(r.stderr).toBe('');
    // The edited trials (a refusal, an unparseable reply) are the only differences: within noise.
    expect(r.code).toBe(0);
    const result = JSON.parse(readFileSync(join(tmp, 'compare.json'), 'utf8')) as { verdict: string; cells: unknown[] };
    expect(result.cells.length).toBeGreaterThan(5);
    expect(['clean', 'flagged']).toContain(result.verdict);
  });
});
