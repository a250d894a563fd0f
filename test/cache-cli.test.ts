// The response cache end to end: the built CLI against the fake OpenAI server (127.0.0.1 only).
// A rerun is answered from the cache, --no-cache calls again, `fewshot cache` reports and clears,
// the key never reaches the SQLite file, and a sweep killed with SIGKILL resumes without paying twice.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ResponseCache } from '../src/runner/cache.js';
import type { TrialRecord } from '../src/runner/trial.js';
import { ROUTE_ANSWER, SENTINEL } from './providers-helpers.js';
import { startOpenAIServer, type FakeServer } from './servers/index.js';

const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-cache-cli-'));
const servers: FakeServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** No key or cache folder from the developer's environment; SDK defaults point at a closed port. */
function testEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY', 'FEWSHOT_CACHE_DIR']) delete base[key];
  for (const key of ['OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'GOOGLE_GEMINI_BASE_URL']) base[key] = 'http://127.0.0.1:9';
  return { ...base, OPENAI_API_KEY: SENTINEL, ...env };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** spawn, not spawnSync: the fake server runs in this process and must keep answering. */
function fewshot(args: string[], env: Record<string, string> = {}, onSpawn?: (child: ChildProcess) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: tmp, env: testEnv(env) });
    onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function server(delayMs = 0): Promise<FakeServer> {
  const s = await startOpenAIServer();
  servers.push(s);
  s.script(() => ({ kind: 'text', text: ROUTE_ANSWER, tokensIn: 300, tokensOut: 12, delayMs }));
  return s;
}

/** A routes experiment in its own folder; temperature 0.7, so every trial (repeats included) is its own call. */
function experiment(name: string, providers: Record<string, unknown>[], over: { evalItems?: number; shots?: string } = {}): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'exp.yaml');
  writeFileSync(
    path,
    [
      `name: ${name}`,
      'seed: 5',
      `task: { type: routes, stores: { min: 3, max: 4 }, windowTightness: 0.3, poolSize: 4, evalItems: ${over.evalItems ?? 3} }`,
      `shots: ${over.shots ?? '[0, 2]'}`,
      'selectors: [random]',
      'repeats: 2',
      'concurrency: 2',
      'providers:',
      ...providers.map((p) => `  - ${JSON.stringify({ temperature: 0.7, ...p })}`),
    ].join('\n'),
  );
  return path;
}

function openai(s: FakeServer) {
  return { id: 'openai:gpt-4o-mini', baseUrl: `${s.url}/v1` };
}

function trialsOf(out: string): TrialRecord[] {
  const runs = readdirSync(out);
  expect(runs).toHaveLength(1);
  return readFileSync(join(out, runs[0]!, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TrialRecord);
}

const cellOf = (t: TrialRecord) => `${t.selector}/${t.k}/${t.seed}/${t.itemId}`;
const bySpec = (trials: TrialRecord[]) => new Map(trials.map((t) => [cellOf(t), t]));

function cacheFileBytes(dir: string): Buffer {
  return Buffer.concat(['cache.sqlite', 'cache.sqlite-wal'].map((f) => join(dir, f)).filter(existsSync).map((f) => readFileSync(f)));
}

describe('fewshot sweep with the response cache', () => {
  it('a rerun is answered from the cache (no request), --no-cache calls everything again; the key is never stored', async () => {
    const s = await server();
    const exp = experiment('rerun', [openai(s)]);
    const trialsPerRun = 3 * 2 * 2; // items x repeats x (k = 0, random k = 2)

    const first = await fewshot(['sweep', exp, '--out', join(tmp, 'rerun-1')]);
    expect(first.code, first.stderr).toBe(0);
    expect(s.requests).toHaveLength(trialsPerRun);
    // Default place: .fewshot/ beside the experiment.
    const cacheDir = join(tmp, 'rerun', '.fewshot');
    expect(existsSync(join(cacheDir, 'cache.sqlite'))).toBe(true);

    const second = await fewshot(['sweep', exp, '--out', join(tmp, 'rerun-2')]);
    expect(second.code, second.stderr).toBe(0);
    expect(s.requests).toHaveLength(trialsPerRun); // not one new request
    expect(second.stdout).toContain(`${trialsPerRun} trials (${trialsPerRun} answered from the cache)`);
    expect(second.stderr).toContain(`cache hits ${trialsPerRun}`); // the progress line

    const a = trialsOf(join(tmp, 'rerun-1'));
    const b = bySpec(trialsOf(join(tmp, 'rerun-2')));
    expect(b.size).toBe(trialsPerRun);
    for (const t of a) {
      const again = b.get(cellOf(t))!;
      expect(t.cached).toBe(false);
      expect(again.cached).toBe(true);
      for (const field of ['output', 'answer', 'score', 'promptHash', 'tokensIn', 'tokensOut', 'latencyMs', 'requestId'] as const) {
        expect(again[field], field).toEqual(t[field]);
      }
    }

    const third = await fewshot(['sweep', exp, '--out', join(tmp, 'rerun-3'), '--no-cache', '--quiet']);
    expect(third.code, third.stderr).toBe(0);
    expect(s.requests).toHaveLength(2 * trialsPerRun);
    expect(trialsOf(join(tmp, 'rerun-3')).every((t) => !t.cached)).toBe(true);

    // The key travelled (in the auth header), and is nowhere in the cache; the answers are.
    expect(s.requests.every((r) => r.headers.authorization === `Bearer ${SENTINEL}`)).toBe(true);
    const bytes = cacheFileBytes(cacheDir);
    expect(bytes.includes(ROUTE_ANSWER.split('\n')[0]!)).toBe(true);
    expect(bytes.includes(SENTINEL)).toBe(false);
  });

  it('cache stats and clear: FEWSHOT_CACHE_DIR and --cache-dir, by provider, by age, bad durations refused', async () => {
    const s = await server();
    const exp = experiment('stats', [openai(s), { id: 'openai-compatible:llama3', baseUrl: `${s.url}/v1` }]);
    const envDir = join(tmp, 'env-cache');
    const run = await fewshot(['sweep', exp, '--out', join(tmp, 'stats-out'), '--quiet'], { FEWSHOT_CACHE_DIR: envDir });
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(join(envDir, 'cache.sqlite'))).toBe(true);
    expect(existsSync(join(tmp, 'stats', '.fewshot'))).toBe(false);
    expect(cacheFileBytes(envDir).includes(SENTINEL)).toBe(false);

    const stats = await fewshot(['cache', 'stats'], { FEWSHOT_CACHE_DIR: envDir });
    expect(stats.code, stats.stderr).toBe(0);
    expect(stats.stdout).toMatch(/24 entries, [\d.]+ (B|KiB|MiB) on disk/);
    expect(stats.stdout).toMatch(/openai-compatible:llama3\s+12/);
    expect(stats.stdout).toMatch(/openai:gpt-4o-mini\s+12/);

    const bad = await fewshot(['cache', 'clear', '--cache-dir', envDir, '--older-than', '7x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--older-than: expected a duration such as 30m, 12h, 7d or 2w, got "7x"');

    const young = await fewshot(['cache', 'clear', '--cache-dir', envDir, '--older-than', '7d']);
    expect(young.stdout).toContain('removed 0 entries; 24 left');

    // --cache-dir wins over the environment.
    const byProvider = await fewshot(['cache', 'clear', '--cache-dir', envDir, '--provider', 'openai-compatible:llama3'], { FEWSHOT_CACHE_DIR: join(tmp, 'elsewhere') });
    expect(byProvider.code, byProvider.stderr).toBe(0);
    expect(byProvider.stdout).toContain('removed 12 entries; 12 left');
    const after = new ResponseCache(envDir);
    expect(after.stats().byProvider).toEqual([{ provider: 'openai:gpt-4o-mini', entries: 12 }]);
    after.close();

    await new Promise((r) => setTimeout(r, 1100));
    const old = await fewshot(['cache', 'clear', '--cache-dir', envDir, '--older-than', '1s']);
    expect(old.stdout).toContain('removed 12 entries; 0 left');

    const none = await fewshot(['cache', 'stats', '--cache-dir', join(tmp, 'no-such-cache')]);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('no response cache in');
  });

  it('SIGKILL mid-sweep, then the same command: completed calls are not paid again, and trials.jsonl is complete', async () => {
    const s = await server(30);
    const exp = experiment('killed', [openai(s)], { evalItems: 6, shots: '[0, 1, 2]' });
    const total = 6 * 2 * 3; // every trial its own call (temperature 0.7, one selector)
    const killAfter = 12;
    const cacheDir = join(tmp, 'killed-cache');
    let child: ChildProcess | null = null;
    s.script((_req, i) => {
      if (i === killAfter - 1) child?.kill('SIGKILL'); // as request 12 arrives
      return { kind: 'text', text: ROUTE_ANSWER, tokensIn: 300, tokensOut: 12, delayMs: 30 };
    });

    const killed = await fewshot(['sweep', exp, '--out', join(tmp, 'killed-1'), '--cache-dir', cacheDir, '--quiet'], {}, (c) => (child = c));
    expect(killed.code).toBeNull(); // killed by the signal
    child = null;
    const paidBefore = s.requests.length;
    const cache = new ResponseCache(cacheDir);
    const completed = cache.stats().entries;
    cache.close();
    // Every answer that reached the process was stored; only calls in flight (concurrency 2) were lost.
    expect(paidBefore).toBeGreaterThanOrEqual(killAfter);
    expect(paidBefore - completed).toBeGreaterThanOrEqual(0);
    expect(paidBefore - completed).toBeLessThanOrEqual(2);
    expect(completed).toBeLessThan(total);
    // The killed run's folder still holds what it wrote (no more trials than cached answers), and
    // `fewshot report` reads it, torn last line or not.
    const killedRun = readdirSync(join(tmp, 'killed-1'))[0]!;
    const partial = readFileSync(join(tmp, 'killed-1', killedRun, 'trials.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).length;
    expect(partial).toBeLessThanOrEqual(completed);
    expect((await fewshot(['report', join(tmp, 'killed-1', killedRun)])).code).toBe(0);

    const rerun = await fewshot(['sweep', exp, '--out', join(tmp, 'killed-2'), '--cache-dir', cacheDir, '--quiet']);
    expect(rerun.code, rerun.stderr).toBe(0);
    const paidAgain = s.requests.length - paidBefore;
    expect(paidAgain).toBe(total - completed); // only what had not completed
    expect(paidBefore + paidAgain).toBeLessThanOrEqual(total + 2); // at most the in-flight calls paid twice

    const trials = trialsOf(join(tmp, 'killed-2'));
    expect(trials).toHaveLength(total);
    expect(new Set(trials.map(cellOf)).size).toBe(total);
    expect(trials.every((t) => t.error === null && t.parseOk)).toBe(true);
    expect(trials.filter((t) => t.cached)).toHaveLength(completed);
    const info = JSON.parse(readFileSync(join(tmp, 'killed-2', readdirSync(join(tmp, 'killed-2'))[0]!, 'run.json'), 'utf8'));
    expect(info).toMatchObject({ status: 'complete', plannedTrials: total, completedTrials: total });
  });
  it('Ctrl-C (SIGINT) mid-sweep: exit 130 after the grace period, a partial report, and the rerun completes from the cache', async () => {
    const s = await server();
    const exp = experiment('interrupted', [openai(s)], { evalItems: 6, shots: '[0, 1, 2]' });
    const total = 6 * 2 * 3;
    const cacheDir = join(tmp, 'interrupted-cache');
    let child: ChildProcess | null = null;
    // Six answers; Ctrl-C as the seventh request arrives; then the server stops answering.
    s.script((_req, i) => {
      if (i === 6) child?.kill('SIGINT');
      return i < 6 ? { kind: 'text', text: ROUTE_ANSWER, tokensIn: 300, tokensOut: 12 } : { kind: 'hang' };
    });
    const stopped = await fewshot(['sweep', exp, '--out', join(tmp, 'interrupted-1'), '--cache-dir', cacheDir, '--quiet', '--grace', '0.5'], {}, (c) => (child = c));
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(/up to 0.5s for the calls in flight/);
    expect(stopped.stderr).toMatch(/gave up waiting after 0.5s/);
    expect(stopped.stdout).toMatch(/stopped early: 6 trials/);
    const run = join(tmp, 'interrupted-1', readdirSync(join(tmp, 'interrupted-1'))[0]!);
    expect(JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'))).toMatchObject({ status: 'partial', completedTrials: 6 });
    expect(existsSync(join(run, 'report.html'))).toBe(true);

    s.script(() => ({ kind: 'text', text: ROUTE_ANSWER, tokensIn: 300, tokensOut: 12 }));
    const before = s.requests.length;
    const rerun = await fewshot(['sweep', exp, '--out', join(tmp, 'interrupted-2'), '--cache-dir', cacheDir, '--quiet']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(s.requests.length - before).toBe(total - 6);
    expect(trialsOf(join(tmp, 'interrupted-2')).filter((t) => t.cached)).toHaveLength(6);
  });
});
