import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startOpenAIServer } from './servers/index.js';

// The built binary, as a user runs it (`npm test` builds dist/ first).
const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');
const ROOT = join(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const KEY_VARS = ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY'];

/** No key from the developer's environment, and every SDK pointed at a closed local port: nothing leaves 127.0.0.1. */
function testEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of KEY_VARS) delete base[key];
  for (const key of ['OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'GOOGLE_GEMINI_BASE_URL']) base[key] = 'http://127.0.0.1:9';
  return { ...base, ...env };
}

function fewshot(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: testEnv(env), encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** For runs that talk to a fake server in this process: spawnSync would block the server's event loop. */
function fewshotAsync(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: testEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function onlyRunDir(out: string): string {
  const runs = readdirSync(out);
  expect(runs).toHaveLength(1);
  return join(out, runs[0]!);
}

describe('fewshot CLI', () => {
  it('prints help for the tool and for sweep', () => {
    const top = fewshot(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['sweep <experiment>', 'validate <experiment>', 'report <run>']) expect(top.stdout).toContain(command);
    const sweep = fewshot(['sweep', '--help']);
    expect(sweep.code).toBe(0);
    expect(sweep.stdout).toContain('--dry-run');
    expect(sweep.stdout).toContain('--out');
  });

  it('exits 2 with usage help on an unknown command', () => {
    const result = fewshot(['sweeep', 'x.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Unknown argument|Unknown command/i);
  });

  it('refuses a bad --concurrency with exit 2', () => {
    const result = fewshot(['sweep', 'test/fixtures/small.yaml', '--concurrency', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--concurrency: expected a whole number > 0, got 0');
  });

  it('validates the flagship experiment and names the key each skipped provider needs', () => {
    const result = fewshot(['validate', 'experiments/routes.yaml']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('valid experiment "routes"');
    expect(result.stdout).toMatch(/local: \d+ calls, about [\d.]+[kM]? prompt tokens/);
    expect(result.stdout).toContain('set OPENAI_API_KEY');
    expect(result.stdout).toContain('set ANTHROPIC_API_KEY');
    expect(result.stdout).toContain('set GEMINI_API_KEY or GOOGLE_API_KEY');
  });

  it('refuses an invalid experiment with file, line and field, exit 2, and runs nothing', () => {
    const out = join(tmp, 'bad');
    const result = fewshot(['sweep', 'test/fixtures/bad.yaml', '--out', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('test/fixtures/bad.yaml:5:15: shots[2]: k = 8 needs at least 8 pool examples, but task.poolSize is 4');
    expect(existsSync(out)).toBe(false);
  });

  it('sweeps a small experiment end to end and rebuilds the report from trials alone', () => {
    const out = join(tmp, 'sweep');
    const result = fewshot(['sweep', 'test/fixtures/small.yaml', '--out', out, '--quiet']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('skipping openai:gpt-4o-mini: no API key: set OPENAI_API_KEY to run it');
    expect(result.stdout).toMatch(/report: .*report\.html/);

    const dir = onlyRunDir(out);
    expect(dir).toMatch(/small-routes-\d{8}T\d{6}Z$/);
    const info = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    // 5 items x 2 repeats x (1 zero-shot + 2 selectors x 3 k), local only
    expect(info).toMatchObject({ status: 'complete', plannedTrials: 70, completedTrials: 70, seed: 11 });
    expect(info.providers).toEqual([
      { id: 'local', status: 'ran' },
      { id: 'openai:gpt-4o-mini', status: 'skipped', reason: 'no API key: set OPENAI_API_KEY to run it' },
    ]);
    const lines = readFileSync(join(dir, 'trials.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(70);
    const trial = JSON.parse(lines[0]!);
    for (const field of [
      'provider',
      'selector',
      'k',
      'repeat',
      'itemId',
      'shotIds',
      'promptHash',
      'output',
      'parseOk',
      'score',
      'error',
      'tokensIn',
      'tokensOut',
      'latencyMs',
      'cached',
    ]) {
      expect(trial).toHaveProperty(field);
    }
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.cells.length).toBe(7);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('<html');

    rmSync(join(dir, 'summary.json'));
    rmSync(join(dir, 'report.html'));
    const rebuilt = fewshot(['report', dir]);
    expect(rebuilt.code).toBe(0);
    const again = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect({ ...again, generatedAt: null }).toEqual({ ...summary, generatedAt: null });
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
  });

  it('asks the same questions on a rerun: trials are identical but for run id and timing', () => {
    const runs = ['a', 'b'].map((name) => {
      const out = join(tmp, `det-${name}`);
      expect(fewshot(['sweep', 'test/fixtures/small.yaml', '--out', out, '--quiet']).code).toBe(0);
      return readFileSync(join(onlyRunDir(out), 'trials.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => ({ ...JSON.parse(line), runId: null, latencyMs: null }))
        .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
    });
    expect(runs[0]).toEqual(runs[1]);
  });

  it('never writes an API key into results', async () => {
    const out = join(tmp, 'secret');
    const secret = 'sk-test-THIS-MUST-NOT-LEAK-1234567890';
    const server = await startOpenAIServer();
    server.queue({ kind: 'text', text: 'ROUTE: Depot -> Store A -> Store B -> Store C\nCOST: 100' });
    const result = await fewshotAsync(['sweep', 'test/fixtures/small.yaml', '--out', out, '--quiet'], {
      OPENAI_API_KEY: secret,
      OPENAI_BASE_URL: `${server.url}/v1`,
    });
    await server.close();
    expect(result.code).toBe(0);
    // The key went to the (local) provider, in its auth header, and nowhere else.
    expect(server.requests.length).toBeGreaterThan(0);
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${secret}`);
    const dir = onlyRunDir(out);
    const files = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : [join(d, e.name)]));
    expect(files(dir).some((f) => f.endsWith('.svg'))).toBe(true); // charts/ is covered too
    for (const file of files(dir)) expect(readFileSync(file, 'utf8')).not.toContain(secret);
    expect(result.stdout + result.stderr).not.toContain(secret);
  });

  it('imports an AdaptGauge CSV into one run per task and re-analyses it with other settings', () => {
    const csv = join(tmp, 'raw.csv');
    const header =
      'run_id,task_id,category,model_name,shot_count,input,expected_output,actual_output,score,scoring_method,latency_ms,timestamp,trial_id,input_tokens,output_tokens';
    const rows = [0, 1, 2].flatMap((k) =>
      ['q1', 'q2'].map(
        (q, i) =>
          `r,t1,c,m,${k},${q},"A",${k === 2 && i === 0 ? '"ERROR: 504 Gateway Timeout"' : '"A\nbecause"'},${k === 2 && i === 0 ? 0 : 1},exact_match,10,2026-02-24 11:21:44,1,0,0`,
      ),
    );
    writeFileSync(csv, `${header}\n${rows.join('\n')}\n`);
    const out = join(tmp, 'imported');
    const result = fewshot(['import', 'adaptgauge', csv, '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('1 provider errors (timeout 1)');
    const run = join(out, 't1');
    const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
    expect(summary.curves[0].label).toBe('inconclusive');
    expect(summary.curves[0].points[2].failures.provider_error).toBe(1);

    expect(fewshot(['report', run, '--delta', '0.1', '--target', '0.9']).code).toBe(0);
    const again = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
    expect(again.settings.delta).toBe(0.1);
    expect(again.target).toBe(0.9);

    const bad = fewshot(['report', run, '--alpha', '2']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--alpha: expected a number in (0, 0.5), got 2');
    const missing = fewshot(['import', 'adaptgauge', join(tmp, 'none.csv'), '--out', out]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/none.csv: cannot read the file/);
    // --name becomes every run id and folder name; --out must be a folder.
    const badName = fewshot(['import', 'adaptgauge', csv, '--out', out, '--name', 'bad name/..']);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toBe('error: --name "bad name/..": expected letters, digits, ".", "_" or "-", starting with a letter or digit\n');
    const outFile = fewshot(['import', 'adaptgauge', csv, '--out', csv]);
    expect(outFile.code).toBe(2);
    expect(outFile.stderr).toBe(`error: --out ${csv}: is a file, not a folder; expected a folder for the runs (or one to create)\n`);
  });

  it('exits 2 when asked to rebuild a report from a folder that is not a run', () => {
    const result = fewshot(['report', join(tmp, 'nowhere')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/run.json: not found; expected a results folder/);
    // A results file replaced by a folder is refused the same way, not a system error.
    const odd = join(tmp, 'odd-run');
    mkdirSync(join(odd, 'run.json'), { recursive: true });
    const folder = fewshot(['report', odd]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toBe(`error: ${join(odd, 'run.json')}: is not a file; expected a results folder written by "fewshot sweep"\n`);
    // A report file replaced by a folder: refused before the rewrite starts, so no report is left half new.
    const exp = join(tmp, 'blocked.yaml');
    writeFileSync(exp, 'name: blocked\ntask: { type: routes, stores: { min: 3, max: 3 }, poolSize: 4, evalItems: 2 }\nshots: [0]\nproviders: [local]\n');
    expect(fewshot(['sweep', exp, '--out', join(tmp, 'blocked'), '--quiet']).code).toBe(0);
    const run = join(tmp, 'blocked', readdirSync(join(tmp, 'blocked'))[0]!);
    rmSync(join(run, 'summary.md'));
    mkdirSync(join(run, 'summary.md'));
    const blocked = fewshot(['report', run]);
    expect(blocked.code).toBe(2);
    expect(blocked.stderr).toContain(`error: ${run}: cannot write the report there (summary.md is a folder, not a file)`);
    expect(readdirSync(run).some((n) => n.includes('.tmp-'))).toBe(false);
    rmSync(join(run, 'summary.md'), { recursive: true });
  });
});
