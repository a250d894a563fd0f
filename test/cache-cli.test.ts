// The response cache end to end: the built CLI against the fake OpenAI server (127.0.0.1 only).
// A rerun is answered from the cache, --no-cache calls again, `fewshot cache` reports and clears,
// the key never reaches the SQLite file, and a sweep killed with SIGKILL resumes without paying twice.
// A damaged cache (random bytes, overwritten pages) is moved aside and the sweep completes; `cache stats`
// calls it damaged and `cache clear` removes it; an unwritable cache stops the sweep before any call
// (chmod tests run the CLI as `nobody` when this is root); a write failing mid-run turns the cache off.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { ResponseCache } from '../src/runner/cache.js';
import type { TrialRecord } from '../src/records/trial.js';
import { ROUTE_ANSWER, SENTINEL } from './providers-helpers.js';
import { cannotRunCli, type RunAs } from './unprivileged.js';
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

/** A user to run the CLI as (see asUnprivileged); absent: this process's user. */

/** spawn, not spawnSync: the fake server runs in this process and must keep answering. */
function fewshot(args: string[], env: Record<string, string> = {}, onSpawn?: (child: ChildProcess) => void, as?: RunAs): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: tmp, env: testEnv(env), ...as });
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

const cellOf = (t: TrialRecord) => `${t.selector}/${t.k}/${t.repeat}/${t.itemId}`;
const bySpec = (trials: TrialRecord[]) => new Map(trials.map((t) => [cellOf(t), t]));

function cacheFileBytes(dir: string): Buffer {
  return Buffer.concat(
    ['cache.sqlite', 'cache.sqlite-wal']
      .map((f) => join(dir, f))
      .filter(existsSync)
      .map((f) => readFileSync(f)),
  );
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
    const misspelt = await fewshot(['cache', 'clear', '--cache-dir', envDir, '--provider', 'openai:gpt-4o-mnii']);
    expect(misspelt.stdout).toContain('removed 0 entries; 24 left');
    expect(misspelt.stdout).toContain('no entries of openai:gpt-4o-mnii; the cache holds openai-compatible:llama3, openai:gpt-4o-mini');

    // --cache-dir wins over the environment.
    const byProvider = await fewshot(['cache', 'clear', '--cache-dir', envDir, '--provider', 'openai-compatible:llama3'], {
      FEWSHOT_CACHE_DIR: join(tmp, 'elsewhere'),
    });
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
    // A mistyped experiment, or --cache-dir naming a file: refused, not some other folder's cache shown.
    const typo = await fewshot(['cache', 'stats', join(tmp, 'no-such.yaml')]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(`error: ${join(tmp, 'no-such.yaml')}: no such experiment file; the response cache is found beside the experiment\n`);
    const file = await fewshot(['cache', 'clear', '--cache-dir', exp]);
    expect(file.code).toBe(2);
    expect(file.stderr).toBe(`error: --cache-dir ${exp}: is a file; expected the response cache folder\n`);
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
    const partial = readFileSync(join(tmp, 'killed-1', killedRun, 'trials.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim()).length;
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
    const stopped = await fewshot(
      ['sweep', exp, '--out', join(tmp, 'interrupted-1'), '--cache-dir', cacheDir, '--quiet', '--grace', '0.5'],
      {},
      (c) => (child = c),
    );
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

/** Bytes from a fixed seed: damage that is the same on every run. */
function noise(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    bytes[i] = (x >> 16) & 255;
  }
  return bytes;
}

/** Overwrites pages [from, to) of a SQLite file (4096-byte pages) with noise. */
function damagePages(file: string, from: number, to: number): void {
  const fd = openSync(file, 'r+');
  for (let page = from; page < to; page++) writeSync(fd, noise(4096, page + 1), 0, 4096, page * 4096);
  closeSync(fd);
}

const CORRUPT_NAME = /^cache\.sqlite\.corrupt-\d{8}T\d{6}Z$/;

/** The lines of a run's stderr about the response cache. */
const cacheNotes = (r: Run) => r.stderr.split('\n').filter((l) => l.includes('response cache'));

function expectNoStack(r: Run): void {
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toContain('SqliteError');
}

function runInfoOf(out: string): { notices: string[]; status: string; completedTrials: number } {
  return JSON.parse(readFileSync(join(out, readdirSync(out)[0]!, 'run.json'), 'utf8'));
}

describe('a damaged response cache', () => {
  it('random bytes named cache.sqlite: stats calls it damaged (exit 2), the sweep moves it aside with one notice and completes, clear removes one', async () => {
    const s = await server();
    const exp = experiment('junk', [openai(s)]);
    const cacheDir = join(tmp, 'junk-cache');
    mkdirSync(cacheDir);
    const file = join(cacheDir, 'cache.sqlite');
    const junk = noise(50_000, 9);
    writeFileSync(file, junk);
    writeFileSync(`${file}-wal`, noise(1000, 10));

    const stats = await fewshot(['cache', 'stats', '--cache-dir', cacheDir]);
    expect(stats.code).toBe(2);
    expect(stats.stderr).toContain('cache.sqlite: damaged (SQLITE_NOTADB: file is not a database); expected a readable SQLite response cache.');
    expect(stats.stderr).toContain('"fewshot cache clear" removes it');
    expect(stats.stdout).not.toContain('entries');
    expectNoStack(stats);
    expect(readFileSync(file).equals(junk)).toBe(true); // stats leaves it as it is

    const out = join(tmp, 'junk-out');
    const run = await fewshot(['sweep', exp, '--out', out, '--cache-dir', cacheDir, '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    expectNoStack(run);
    const notes = cacheNotes(run);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      /^note: response cache .*cache\.sqlite is damaged \(SQLITE_NOTADB: file is not a database\); moved it to .*cache\.sqlite\.corrupt-\d{8}T\d{6}Z and started a fresh cache: calls answered before are asked again$/,
    );
    // Moved with its WAL, bytes as they were.
    const moved = readdirSync(cacheDir).filter((f) => CORRUPT_NAME.test(f));
    expect(moved).toHaveLength(1);
    expect(readFileSync(join(cacheDir, moved[0]!)).equals(junk)).toBe(true);
    expect(readFileSync(join(cacheDir, `${moved[0]!}-wal`)).equals(noise(1000, 10))).toBe(true);
    // Every trial ran and was recorded; run.json says what happened.
    expect(s.requests).toHaveLength(12);
    const trials = trialsOf(out);
    expect(trials).toHaveLength(12);
    expect(trials.every((t) => t.error === null && t.parseOk && !t.cached)).toBe(true);
    expect(runInfoOf(out)).toMatchObject({ status: 'complete', notices: expect.arrayContaining([notes[0]!.replace(/^note: /, '')]) });

    // The fresh cache is a working cache: stats reads it, a rerun is answered from it.
    const after = await fewshot(['cache', 'stats', '--cache-dir', cacheDir]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toMatch(/cache\.sqlite: 12 entries/);
    const rerun = await fewshot(['sweep', exp, '--out', join(tmp, 'junk-out-2'), '--cache-dir', cacheDir, '--quiet']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(cacheNotes(rerun)).toEqual([]);
    expect(s.requests).toHaveLength(12);

    // clear on a damaged file: removed, with its WAL.
    const other = join(tmp, 'junk-clear');
    mkdirSync(other);
    writeFileSync(join(other, 'cache.sqlite'), junk);
    writeFileSync(join(other, 'cache.sqlite-wal'), noise(1000, 10));
    const clear = await fewshot(['cache', 'clear', '--cache-dir', other]);
    expect(clear.code, clear.stderr).toBe(0);
    expect(clear.stdout).toMatch(/removed .*cache\.sqlite: it was damaged \(SQLITE_NOTADB: file is not a database\); the next sweep starts a fresh cache/);
    expectNoStack(clear);
    expect(readdirSync(other)).toEqual([]);
  });

  it('a real cache with pages overwritten in the middle: stats calls it damaged, the sweep moves it aside and completes, clear --provider moves it aside whole', async () => {
    const s = await server();
    const exp = experiment('pages', [openai(s)]);
    const cacheDir = join(tmp, 'pages-cache');
    const first = await fewshot(['sweep', exp, '--out', join(tmp, 'pages-out-1'), '--cache-dir', cacheDir, '--quiet']);
    expect(first.code, first.stderr).toBe(0);
    expect(s.requests).toHaveLength(12);
    // A few hundred more real entries, so the middle of the file is table and index pages.
    const cache = new ResponseCache(cacheDir);
    for (let i = 0; i < 400; i++)
      cache.put(`filler-${i}`, 'openai:gpt-4o-mini', {
        text: `${ROUTE_ANSWER} ${'x'.repeat(500)}`,
        finishReason: 'stop',
        tokensIn: 1,
        tokensOut: 1,
        cachedTokens: 0,
        latencyMs: 1,
        requestId: null,
      });
    cache.close();
    const file = join(cacheDir, 'cache.sqlite');
    expect(existsSync(`${file}-wal`)).toBe(false);
    const pages = statSync(file).size / 4096;
    damagePages(file, Math.floor(pages / 2) - 2, Math.floor(pages / 2) + 2);
    const damaged = readFileSync(file);
    const clearDir = join(tmp, 'pages-clear');
    mkdirSync(clearDir);
    copyFileSync(file, join(clearDir, 'cache.sqlite'));

    const stats = await fewshot(['cache', 'stats', '--cache-dir', cacheDir]);
    expect(stats.code).toBe(2);
    expect(stats.stderr).toMatch(/^error: .*cache\.sqlite: damaged \(quick_check: .*\); expected a readable SQLite response cache\./);
    expectNoStack(stats);

    const out = join(tmp, 'pages-out-2');
    const run = await fewshot(['sweep', exp, '--out', out, '--cache-dir', cacheDir, '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    expectNoStack(run);
    const notes = cacheNotes(run);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      /^note: response cache .*cache\.sqlite is damaged \(quick_check: .*\); moved it to .*cache\.sqlite\.corrupt-\d{8}T\d{6}Z and started a fresh cache/,
    );
    const moved = readdirSync(cacheDir).filter((f) => CORRUPT_NAME.test(f));
    expect(moved).toHaveLength(1);
    expect(readFileSync(join(cacheDir, moved[0]!)).equals(damaged)).toBe(true);
    // The answers in the damaged file are asked again (and kept in the moved file); all are recorded.
    expect(s.requests).toHaveLength(24);
    expect(trialsOf(out).filter((t) => t.error === null && !t.cached)).toHaveLength(12);
    expect(runInfoOf(out).notices).toContain(notes[0]!.replace(/^note: /, ''));

    const clear = await fewshot(['cache', 'clear', '--cache-dir', clearDir, '--provider', 'openai:gpt-4o-mini']);
    expect(clear.code, clear.stderr).toBe(0);
    expect(clear.stdout).toMatch(
      /cache\.sqlite is damaged \(quick_check: .*\): entries cannot be picked out of it, so it was moved whole to .*cache\.sqlite\.corrupt-\d{8}T\d{6}Z/,
    );
    expectNoStack(clear);
    expect(existsSync(join(clearDir, 'cache.sqlite'))).toBe(false);
    expect(readdirSync(clearDir).filter((f) => CORRUPT_NAME.test(f))).toHaveLength(1);
  });
});

/**
 * The user to run the CLI as for a chmod test: this one when not root; as root (CI), `nobody`, since
 * chmod does not stop root writing. Skips, saying why, when even that user can still write `target`
 * (tried with a probe file) or this process cannot switch users.
 */
function asUnprivileged(ctx: TestContext, target: string, isFile: boolean): RunAs {
  const as: RunAs = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
  const probe = isFile ? `fs.openSync(${JSON.stringify(target)}, 'r+')` : `fs.writeFileSync(${JSON.stringify(join(target, 'probe'))}, '')`;
  const tried = spawnSync(process.execPath, ['-e', `const fs = require('fs'); ${probe}`], { ...as, stdio: 'ignore' });
  const who = as ? 'uid 65534 (nobody; this test runs as root)' : `uid ${process.getuid?.()}`;
  if (tried.error) ctx.skip(`cannot run a process as ${who}: ${tried.error.message}`);
  const unreachable = cannotRunCli(BIN, as);
  if (unreachable) ctx.skip(unreachable);
  if (tried.status === 0) {
    rmSync(join(target, 'probe'), { force: true });
    ctx.skip(`chmod does not stop ${who} writing ${target} (a probe write succeeded), so a read-only cache cannot be made here`);
  }
  return as;
}

/**
 * One error line naming the cache folder, saying it cannot be written or created, and offering
 * --no-cache; no stack. (The CLI's check of its folders or the sweep's own check may be the one that
 * speaks: the wording differs, the facts do not.)
 */
function expectUnwritableFolder(r: Run, dir: string): void {
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toContain(relativeOrAbsolute(dir));
  expect(lines[0]).toMatch(/not writable|cannot be created|cannot create|is a file, not a folder/);
  expect(lines[0]).toContain('--no-cache');
  expectNoStack(r);
}

/** How the CLI (run in `tmp`) may name a path: relative to tmp, or absolute. */
function relativeOrAbsolute(path: string): string {
  return path.startsWith(`${tmp}/`) ? path.slice(tmp.length + 1) : path;
}

/** A folder the runner of the CLI can write (its results go there). */
function writableBy(as: RunAs, dir: string): string {
  mkdirSync(dir, { recursive: true });
  if (as) chownSync(dir, as.uid, as.gid);
  return dir;
}

describe('an unwritable response cache', () => {
  // The CLI may run as `nobody`: it must reach the experiment and the built CLI.
  chmodSync(tmp, 0o755);

  it('a read-only cache folder (chmod 0o555): exit 2 naming the folder, before any call and before the results folder', async (ctx) => {
    const s = await server();
    const exp = experiment('ro-dir', [openai(s)]);
    const cacheDir = join(tmp, 'ro-dir-cache');
    mkdirSync(cacheDir);
    chmodSync(cacheDir, 0o555);
    const as = asUnprivileged(ctx, cacheDir, false);
    const outParent = writableBy(as, join(tmp, 'ro-dir-out'));
    const out = join(outParent, 'runs');

    const run = await fewshot(['sweep', exp, '--out', out, '--cache-dir', cacheDir, '--quiet'], {}, undefined, as);
    expect(run.code).toBe(2);
    expectUnwritableFolder(run, cacheDir);
    expect(s.requests).toHaveLength(0);
    expect(existsSync(out)).toBe(false);

    // As the message says: --no-cache runs it.
    const uncached = await fewshot(['sweep', exp, '--out', out, '--cache-dir', cacheDir, '--quiet', '--no-cache'], {}, undefined, as);
    expect(uncached.code, uncached.stderr).toBe(0);
    expect(s.requests).toHaveLength(12);
  });

  it('a read-only cache file (chmod 0o444): exit 2 naming the file, before any call; its answers are kept', async (ctx) => {
    const s = await server();
    const exp = experiment('ro-file', [openai(s)]);
    const cacheDir = join(tmp, 'ro-file-cache');
    const cache = new ResponseCache(cacheDir);
    cache.put('k1', 'openai:gpt-4o-mini', {
      text: ROUTE_ANSWER,
      finishReason: 'stop',
      tokensIn: 1,
      tokensOut: 1,
      cachedTokens: 0,
      latencyMs: 1,
      requestId: null,
    });
    cache.close();
    const file = join(cacheDir, 'cache.sqlite');
    chmodSync(file, 0o444);
    const as = asUnprivileged(ctx, file, true);
    writableBy(as, cacheDir); // the folder is writable: only the file is not
    if (as) chownSync(file, as.uid, as.gid); // the user's own file, read-only
    const before = readFileSync(file);
    const out = join(writableBy(as, join(tmp, 'ro-file-out')), 'runs');

    const run = await fewshot(['sweep', exp, '--out', out, '--cache-dir', cacheDir, '--quiet'], {}, undefined, as);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: .*ro-file-cache\/cache\.sqlite: the response cache file is not writable \(EACCES: permission denied/m);
    expect(run.stderr).toContain('expected a file this user can write; nothing was run');
    expectNoStack(run);
    expect(s.requests).toHaveLength(0);
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('as root too: a cache folder whose parent is a regular file, and a folder under /proc, stop the sweep with exit 2 before any call', async () => {
    const s = await server();
    const exp = experiment('no-dir', [openai(s)]);
    const parent = join(tmp, 'no-dir-file');
    writeFileSync(parent, 'a file, not a folder');
    const out = join(tmp, 'no-dir-out');

    const run = await fewshot(['sweep', exp, '--out', out, '--cache-dir', join(parent, 'cache'), '--quiet']);
    expect(run.code).toBe(2);
    expectUnwritableFolder(run, join(parent, 'cache'));
    // The default place, .fewshot beside the experiment, when that is a file.
    writeFileSync(join(tmp, 'no-dir', '.fewshot'), 'a file, not a folder');
    const byDefault = await fewshot(['sweep', exp, '--out', out, '--quiet']);
    expect(byDefault.code).toBe(2);
    expectUnwritableFolder(byDefault, join(tmp, 'no-dir', '.fewshot'));

    if (existsSync('/proc/self')) {
      const proc = await fewshot(['sweep', exp, '--out', out, '--cache-dir', '/proc/self', '--quiet']);
      expect(proc.code).toBe(2);
      expectUnwritableFolder(proc, '/proc/self');
    }
    expect(s.requests).toHaveLength(0);
    expect(existsSync(out)).toBe(false);
  });

  it('a write that fails during the run (another process holds the write lock): every trial is still written, the cache is turned off with one notice, exit 0', async () => {
    const s = await server();
    const exp = experiment('locked', [openai(s)]);
    const cacheDir = join(tmp, 'locked-cache');
    new ResponseCache(cacheDir).close();
    let lock: Database.Database | null = null;
    // From the fourth request on, this process holds the cache's write lock, longer than the CLI waits (5 s).
    s.script((_req, i) => {
      if (i === 3) {
        lock = new Database(join(cacheDir, 'cache.sqlite'));
        lock.exec('BEGIN IMMEDIATE');
      }
      return { kind: 'text', text: ROUTE_ANSWER, tokensIn: 300, tokensOut: 12 };
    });
    const out = join(tmp, 'locked-out');
    let run: Run;
    try {
      run = await fewshot(['sweep', exp, '--out', out, '--cache-dir', cacheDir, '--quiet']);
    } finally {
      const held = lock as Database.Database | null;
      held?.exec('ROLLBACK');
      held?.close();
    }
    expect(run.code, run.stderr).toBe(0);
    expectNoStack(run);
    const notes = cacheNotes(run);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      /^note: response cache .*cache\.sqlite could not be written \(SQLITE_BUSY: database is locked\); the cache is off for the rest of this run: answers still go to trials\.jsonl/,
    );
    // Every answer paid for is in trials.jsonl, and run.json says the cache was turned off.
    expect(s.requests).toHaveLength(12);
    const trials = trialsOf(out);
    expect(trials).toHaveLength(12);
    expect(trials.every((t) => t.error === null && t.output === ROUTE_ANSWER)).toBe(true);
    expect(runInfoOf(out)).toMatchObject({ status: 'complete', completedTrials: 12, notices: expect.arrayContaining([notes[0]!.replace(/^note: /, '')]) });
    // What was stored before the lock is still there.
    const after = new ResponseCache(cacheDir);
    expect(after.stats().entries).toBeGreaterThanOrEqual(2);
    expect(after.stats().entries).toBeLessThan(12);
    after.close();
  });
});
