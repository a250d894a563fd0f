// Issue 13: results and cache folders that cannot be written are bad input (exit 2, the path and
// what is wrong), found by `validate` and before a sweep calls anything — not a stack trace later.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { folderProblem } from '../src/config/paths.js';
import { startOpenAIServer } from './servers/index.js';

const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');
const ROOT = join(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-paths-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Root writes through chmod 0o555, so a permission-bit case proves nothing there. */
const isRoot = process.getuid?.() === 0;
if (isRoot)
  console.warn(
    'notice: running as root: the chmod 0o555 cases are skipped (root writes through permission bits); the "parent is a file" cases cover unwritable folders',
  );

function testEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY', 'FEWSHOT_CACHE_DIR']) delete base[key];
  for (const key of ['OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'GOOGLE_GEMINI_BASE_URL']) base[key] = 'http://127.0.0.1:9';
  return { ...base, ...env };
}

function fewshot(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: testEnv(env), encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** With a fake server in this process: spawnSync would block its event loop. */
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

let counter = 0;
/** A fresh folder holding a small routes experiment (local, or with an OpenAI provider too) and a regular file. */
function setup(extra = '', openai = false): { dir: string; exp: string; file: string } {
  const dir = join(tmp, `case-${++counter}`);
  mkdirSync(dir);
  const file = join(dir, 'notes.txt');
  writeFileSync(file, 'a regular file\n');
  const exp = join(dir, 'exp.yaml');
  writeFileSync(
    exp,
    `name: paths\nseed: 1\ntask:\n  type: routes\n  poolSize: 4\n  evalItems: 2\nshots: [0, 1]\nproviders:\n  - local\n${openai ? '  - id: openai:gpt-4o-mini\n    temperature: 0\n' : ''}${extra}`,
  );
  return { dir, exp, file };
}

/** The rule: exit 2, the message, no stack trace. */
function expectBadInput(result: { code: number | null; stderr: string }, message: string | RegExp): void {
  expect(result.code).toBe(2);
  if (typeof message === 'string') expect(result.stderr).toContain(message);
  else expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('folderProblem', () => {
  it('accepts a writable folder and a missing one under it, leaving nothing behind and creating nothing', () => {
    const { dir } = setup();
    const before = readdirSync(dir).sort();
    expect(folderProblem(dir)).toBeNull();
    expect(folderProblem(join(dir, 'new', 'deeper'))).toBeNull();
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('refuses a file, and a path through a file (unwritable even for root)', () => {
    const { file } = setup();
    expect(folderProblem(file)).toBe('is a file, not a folder');
    expect(folderProblem(join(file, 'results'))).toBe(`cannot be created: ${file} is a file, not a folder`);
    expect(folderProblem(join(file, 'a', 'b'))).toBe(`cannot be created: ${file} is a file, not a folder`);
  });

  it.skipIf(isRoot)('refuses a read-only folder and a folder that would be created in one (chmod 0o555; skipped as root)', () => {
    const { dir } = setup();
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    try {
      expect(folderProblem(locked)).toBe('is not writable (permission denied)');
      expect(folderProblem(join(locked, 'results'))).toBe(`cannot be created: ${locked} is not writable (permission denied)`);
    } finally {
      chmodSync(locked, 0o755);
    }
  });
});

describe('out: and --out that cannot be written', () => {
  it('validate refuses out: naming an existing file, at the line of out:', () => {
    const { exp, file } = setup();
    writeFileSync(exp, `${readFileSync(exp, 'utf8')}out: ${file}\n`);
    const result = fewshot(['validate', exp]);
    expectBadInput(
      result,
      `${exp}:10:6: out: ${file} is a file, not a folder; expected a folder that can be written (or created) for the results (or pass --out)`,
    );
    expect(result.stdout).not.toMatch(/valid experiment/);
  });

  it('validate and sweep refuse out: under a regular file (cannot be created, even by root), and nothing is written', () => {
    const { exp, file } = setup();
    writeFileSync(exp, `${readFileSync(exp, 'utf8')}out: ${join(file, 'results')}\n`);
    expectBadInput(fewshot(['validate', exp]), `out: ${join(file, 'results')} cannot be created: ${file} is a file, not a folder`);
    expectBadInput(fewshot(['sweep', exp, '--quiet']), `${exp}:10:6: out: `);
  });

  it('sweep and --dry-run refuse --out naming a file or a path through a file', () => {
    const { exp, file } = setup();
    expectBadInput(
      fewshot(['sweep', exp, '--out', file, '--quiet']),
      `error: --out ${file}: is a file, not a folder; expected a folder that can be written (or created) for the results`,
    );
    expectBadInput(
      fewshot(['sweep', exp, '--out', join(file, 'runs'), '--dry-run']),
      `--out ${join(file, 'runs')}: cannot be created: ${file} is a file, not a folder`,
    );
  });

  it.skipIf(isRoot)('sweep refuses --out naming a read-only folder (chmod 0o555; skipped as root)', () => {
    const { dir, exp } = setup();
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    try {
      expectBadInput(fewshot(['sweep', exp, '--out', locked, '--quiet']), `--out ${locked}: is not writable (permission denied)`);
      expect(readdirSync(locked)).toEqual([]);
    } finally {
      chmodSync(locked, 0o755);
    }
  });

  it('a good --out still runs (the check leaves no probe file in the results)', () => {
    const { dir, exp } = setup();
    const out = join(dir, 'runs');
    const result = fewshot(['sweep', exp, '--out', out, '--quiet']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readdirSync(out)).toHaveLength(1);
    expect(readdirSync(dir).filter((f) => f.startsWith('.fewshot-write-check'))).toEqual([]);
  });
});

describe('--cache-dir that cannot be written', () => {
  it('sweep refuses --cache-dir naming a file before any call (the provider gets no request)', async () => {
    const { dir, exp, file } = setup('', true);
    const server = await startOpenAIServer();
    try {
      const out = join(dir, 'runs');
      const result = await fewshotAsync(['sweep', exp, '--out', out, '--cache-dir', file, '--quiet'], {
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: `${server.url}/v1`,
      });
      expectBadInput(
        result,
        `error: --cache-dir ${file}: is a file, not a folder; expected a folder that can be written (or created) for the response cache (or pass --no-cache)`,
      );
      expect(server.requests).toHaveLength(0);
      expect(existsSync(out)).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('names FEWSHOT_CACHE_DIR when the folder came from it, and --dry-run checks it too', () => {
    const { exp, file } = setup('', true);
    const cache = join(file, 'cache');
    expectBadInput(
      fewshot(['sweep', exp, '--dry-run'], { FEWSHOT_CACHE_DIR: cache, OPENAI_API_KEY: 'sk-test' }),
      `FEWSHOT_CACHE_DIR=${cache}: cannot be created: ${file} is a file, not a folder`,
    );
    // --no-cache: no cache folder is used, so none is checked.
    expect(fewshot(['sweep', exp, '--dry-run', '--no-cache'], { FEWSHOT_CACHE_DIR: cache, OPENAI_API_KEY: 'sk-test' }).code).toBe(0);
  });

  it('does not check the default cache folder of a local-only sweep (it never opens it)', () => {
    const { dir, exp } = setup();
    // .fewshot beside the experiment is a file: only a sweep with a network provider would need it.
    writeFileSync(join(dir, '.fewshot'), 'not a folder\n');
    expect(fewshot(['sweep', exp, '--out', join(dir, 'runs'), '--quiet']).code).toBe(0);
    const { dir: dir2, exp: exp2 } = setup('', true);
    writeFileSync(join(dir2, '.fewshot'), 'not a folder\n');
    expectBadInput(
      fewshot(['sweep', exp2, '--dry-run'], { OPENAI_API_KEY: 'sk-test' }),
      `response cache folder ${join(dir2, '.fewshot')} (the default, beside the experiment): is a file, not a folder`,
    );
  });
});
