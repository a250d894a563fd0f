// SIGTERM (CI runners, `timeout`, Docker, systemd) and SIGHUP (the terminal closed) stop a sweep the way
// the first Ctrl-C does: no new calls, the calls in flight get the grace period, their answers are
// recorded and cached, a partial report is written; exit 143 (SIGTERM) or 129 (SIGHUP). A second signal
// of any kind quits at once, and `fewshot report` then calls the run interrupted rather than running.
// The built CLI (dist/bin.js, so `npm run build` first) against the fake OpenAI server on 127.0.0.1.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ResponseCache } from '../src/runner/cache.js';
import type { TrialRecord } from '../src/records/trial.js';
import { ROUTE_ANSWER, SENTINEL } from './providers-helpers.js';
import { startOpenAIServer, type FakeServer } from './servers/index.js';

const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-signals-'));
const servers: FakeServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** No key or cache folder from the developer's environment; SDK defaults point at a closed port. */
function testEnv(): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY', 'FEWSHOT_CACHE_DIR']) delete base[key];
  for (const key of ['OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'GOOGLE_GEMINI_BASE_URL']) base[key] = 'http://127.0.0.1:9';
  return { ...base, OPENAI_API_KEY: SENTINEL };
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** spawn, not spawnSync: the fake server runs in this process and must keep answering. */
function fewshot(args: string[], hooks: { onSpawn?: (child: ChildProcess) => void; onStderr?: (all: string, child: ChildProcess) => void } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: tmp, env: testEnv() });
    hooks.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      hooks.onStderr?.(stderr, child);
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

async function server(): Promise<FakeServer> {
  const s = await startOpenAIServer();
  servers.push(s);
  return s;
}

/** 6 items x shots [0, 1, 2] x 2 repeats = 36 calls; temperature 0.7, so every trial is its own call. */
const TOTAL = 36;

function experiment(name: string, s: FakeServer): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'exp.yaml');
  writeFileSync(
    path,
    [
      `name: ${name}`,
      'seed: 5',
      'task: { type: routes, stores: { min: 3, max: 4 }, windowTightness: 0.3, poolSize: 4, evalItems: 6 }',
      'shots: [0, 1, 2]',
      'selectors: [random]',
      'repeats: 2',
      'concurrency: 2',
      'providers:',
      `  - ${JSON.stringify({ id: 'openai:gpt-4o-mini', baseUrl: `${s.url}/v1`, temperature: 0.7 })}`,
    ].join('\n'),
  );
  return path;
}

function runDirOf(out: string): string {
  const runs = readdirSync(out);
  expect(runs).toHaveLength(1);
  return join(out, runs[0]!);
}

function trialsIn(runDir: string): TrialRecord[] {
  const text = readFileSync(join(runDir, 'trials.jsonl'), 'utf8').trim();
  return text === '' ? [] : text.split('\n').map((l) => JSON.parse(l) as TrialRecord);
}

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

function cachedEntries(dir: string): number {
  const cache = ResponseCache.openExisting(dir);
  if (!cache) return 0;
  try {
    return cache.stats().entries;
  } finally {
    cache.close();
  }
}

describe('a stop signal other than Ctrl-C during a sweep', () => {
  it.each([
    { signal: 'SIGTERM' as const, code: 143 },
    { signal: 'SIGHUP' as const, code: 129 },
  ])(
    '$signal mid-sweep: exit $code, the calls in flight are answered, recorded and cached, a partial report; the rerun pays only the rest',
    async ({ signal, code }) => {
      const s = await server();
      const name = `stopped-${signal.toLowerCase()}`;
      const exp = experiment(name, s);
      const cacheDir = join(tmp, `${name}-cache`);
      let child: ChildProcess | null = null;
      // A slow provider: every reply takes a while, so calls are in flight when the signal comes (as the seventh request arrives).
      s.script((_req, i) => {
        if (i === 6) child?.kill(signal);
        return { kind: 'text', text: ROUTE_ANSWER, tokensIn: 300, tokensOut: 12, delayMs: 300 };
      });
      const out = join(tmp, `${name}-1`);
      const stopped = await fewshot(['sweep', exp, '--out', out, '--cache-dir', cacheDir, '--quiet', '--grace', '30'], { onSpawn: (c) => (child = c) });

      expect(stopped.signal, stopped.stderr).toBeNull(); // handled, not killed by it
      expect(stopped.code, stopped.stderr).toBe(code);
      expect(stopped.stderr).toContain(`${signal} received; stopping: no new calls; up to 30s for the calls in flight`);
      expect(stopped.stderr).not.toMatch(/gave up waiting/);
      expect(stopped.stderr).not.toMatch(/\n\s+at /); // no stack trace

      const run = runDirOf(out);
      const trials = trialsIn(run);
      // Every call the provider received (and billed) was answered within the grace period and is on disk:
      // the one that arrived with the signal and whatever else was in flight included.
      const paid = s.requests.filter((r) => r.routed).length;
      expect(paid).toBeGreaterThanOrEqual(7);
      expect(paid).toBeLessThan(TOTAL);
      expect(trials).toHaveLength(paid);
      expect(trials.every((t) => t.error === null && t.output === ROUTE_ANSWER && !t.cached)).toBe(true);
      expect(stopped.stdout).toContain(`stopped early: ${paid} trials`);
      // ... and in the cache.
      expect(cachedEntries(cacheDir)).toBe(paid);

      // The partial report.
      const info = json(join(run, 'run.json'));
      expect(info).toMatchObject({ status: 'partial', plannedTrials: TOTAL, completedTrials: paid });
      expect(info.endedAt).not.toBeNull();
      const summary = json(join(run, 'summary.json'));
      expect(summary).toMatchObject({ status: 'partial', completedTrials: paid, totals: { trials: paid } });
      expect(existsSync(join(run, 'report.html'))).toBe(true);
      expect(existsSync(join(run, 'summary.md'))).toBe(true);

      // The same command again: only the calls not yet answered are paid for.
      s.script(() => ({ kind: 'text', text: ROUTE_ANSWER, tokensIn: 300, tokensOut: 12 }));
      const rerunOut = join(tmp, `${name}-2`);
      const rerun = await fewshot(['sweep', exp, '--out', rerunOut, '--cache-dir', cacheDir, '--quiet', '--grace', '30']);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(s.requests.filter((r) => r.routed).length - paid).toBe(TOTAL - paid);
      const again = trialsIn(runDirOf(rerunOut));
      expect(again).toHaveLength(TOTAL);
      expect(again.filter((t) => t.cached)).toHaveLength(paid);
      expect(json(join(runDirOf(rerunOut), 'run.json'))).toMatchObject({ status: 'complete', completedTrials: TOTAL });
    },
  );

  it('a second signal during the grace period (SIGTERM, then Ctrl-C) quits at once with 130; `fewshot report` then calls the run interrupted', async () => {
    const s = await server();
    const exp = experiment('twice', s);
    let child: ChildProcess | null = null;
    // Six answers; SIGTERM as the seventh request arrives; from then on the server never answers,
    // so only the second signal can end the 30 s grace period early.
    s.script((_req, i) => {
      if (i === 6) child?.kill('SIGTERM');
      return i < 6 ? { kind: 'text', text: ROUTE_ANSWER, tokensIn: 300, tokensOut: 12 } : { kind: 'hang' };
    });
    const out = join(tmp, 'twice-1');
    let sent = false;
    const quit = await fewshot(['sweep', exp, '--out', out, '--cache-dir', join(tmp, 'twice-cache'), '--quiet', '--grace', '30'], {
      onSpawn: (c) => (child = c),
      onStderr: (all, c) => {
        if (!sent && all.includes('SIGTERM received; stopping')) {
          sent = true;
          c.kill('SIGINT');
        }
      },
    });
    expect(quit.code, quit.stderr).toBe(130);
    expect(quit.stderr).toMatch(/stopping now \(Ctrl-C again\)/);
    expect(quit.stdout).not.toMatch(/stopped early/);

    // What the quit left: the answered trials on disk (the sixth answer may not have been read yet when
    // the second signal came; the seventh call never was answered) and run.json still saying running.
    const run = runDirOf(out);
    const onDisk = trialsIn(run).length;
    expect(onDisk).toBeGreaterThanOrEqual(5);
    expect(onDisk).toBeLessThanOrEqual(6);
    expect(json(join(run, 'run.json'))).toMatchObject({ status: 'running', endedAt: null, completedTrials: 0 });

    const report = await fewshot(['report', run]);
    expect(report.code, report.stderr).toBe(0);
    const summary = json(join(run, 'summary.json'));
    expect(summary).toMatchObject({ status: 'interrupted', endedAt: null, completedTrials: onDisk, plannedTrials: TOTAL, totals: { trials: onDisk } });
    expect(summary.notices.join('\n')).toMatch(/the sweep was interrupted/);
    expect(readFileSync(join(run, 'summary.md'), 'utf8')).toContain('Status: **interrupted**');
    expect(readFileSync(join(run, 'report.html'), 'utf8')).toContain('<span class="badge interrupted">interrupted</span>');
    // run.json itself is left as it was: the old value stays readable.
    expect(json(join(run, 'run.json')).status).toBe('running');
  });
});

describe('fewshot report on a run that never finished', () => {
  it('a run.json that says running with no end time (a crash) is reported as interrupted, not running', async () => {
    const s = await server();
    s.script(() => ({ kind: 'text', text: ROUTE_ANSWER, tokensIn: 300, tokensOut: 12 }));
    const exp = experiment('crashed', s);
    const out = join(tmp, 'crashed-1');
    const done = await fewshot(['sweep', exp, '--out', out, '--no-cache', '--quiet']);
    expect(done.code, done.stderr).toBe(0);
    const run = runDirOf(out);
    // What a crash (or SIGKILL) mid-sweep leaves: the run.json written at the start, and the first trials.
    const info = json(join(run, 'run.json'));
    writeFileSync(join(run, 'run.json'), JSON.stringify({ ...info, status: 'running', endedAt: null, completedTrials: 0 }, null, 2));
    const lines = readFileSync(join(run, 'trials.jsonl'), 'utf8').trim().split('\n');
    writeFileSync(join(run, 'trials.jsonl'), `${lines.slice(0, 10).join('\n')}\n`);

    const report = await fewshot(['report', run]);
    expect(report.code, report.stderr).toBe(0);
    const summary = json(join(run, 'summary.json'));
    expect(summary.status).toBe('interrupted');
    expect(summary).toMatchObject({ endedAt: null, completedTrials: 10, plannedTrials: TOTAL });
    expect(summary.notices.join('\n')).toMatch(/the sweep was interrupted \(run.json still says running and has no end time/);
    const md = readFileSync(join(run, 'summary.md'), 'utf8');
    expect(md).toContain('Status: **interrupted**, 10 trials recorded (10 of 36 planned)');
    expect(md).not.toContain('**running**');
    const html = readFileSync(join(run, 'report.html'), 'utf8');
    expect(html).toContain('The run is interrupted: 10 of 36 planned trials were recorded.');
    expect(html).not.toContain('badge running');
  });
});
