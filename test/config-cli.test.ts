// Issue 13, through the built CLI: bad experiment files, datasets and flags are bad input (exit 2,
// the file and line or the flag, what was expected), never a stack trace; validate prints selectors.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');
const ROOT = join(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-config-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function fewshot(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY', 'FEWSHOT_CACHE_DIR']) delete env[key];
  for (const key of ['OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'GOOGLE_GEMINI_BASE_URL']) env[key] = 'http://127.0.0.1:9';
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectBadInput(result: { code: number | null; stderr: string }, message: string | RegExp): void {
  expect(result.code).toBe(2);
  if (typeof message === 'string') expect(result.stderr).toContain(message);
  else expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

const routes = `name: cfg
seed: 1
task:
  type: routes
  poolSize: 4
  evalItems: 2
shots: [0, 1]
providers:
  - local
`;

function file(name: string, text: string | Buffer): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

describe('experiment files', () => {
  it('a YAML alias bomb is exit 2 naming the file, not a stack trace', () => {
    const lines = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 0; i < 9; i++)
      lines.push(
        `b${i}: &b${i} [${Array(9)
          .fill(`*${i === 0 ? 'a' : `b${i - 1}`}`)
          .join(', ')}]`,
      );
    const bomb = file('bomb.yaml', `${lines.join('\n')}\n`);
    expectBadInput(fewshot(['validate', bomb]), `error: invalid experiment\n${bomb}: invalid YAML: its aliases (*name) expand too far`);
  });

  it('an experiment file over 1 MB is refused with its size (a sparse 50 MB file: never read)', () => {
    const huge = file('huge.yaml', '');
    truncateSync(huge, 50 << 20);
    expectBadInput(fewshot(['validate', huge]), `${huge}: the experiment file is 50.0 MB; the limit is 1.0 MB`);
    expectBadInput(fewshot(['sweep', huge, '--dry-run']), 'the limit is 1.0 MB');
  });

  it('a selector labelled "none" is exit 2 at its line', () => {
    const exp = file('none.yaml', `${routes}selectors:\n  - random\n  - { name: first, label: none }\n`);
    expectBadInput(
      fewshot(['validate', exp]),
      `${exp}:12:27: selectors[1].label: "none" is reserved for the shared zero-shot (k = 0) cell: choose another label`,
    );
  });

  it("a dataset that cannot be read is reported at task.data.file's line, with where it was looked for", () => {
    const exp = file(
      'missing-data.yaml',
      'name: d\ntask:\n  type: classify\n  data:\n    file: data/missing.jsonl\n    fields: { input: text, label: label }\n  split: { poolSize: 4, evalItems: 4 }\nshots: [0, 1]\nproviders: [local]\n',
    );
    expectBadInput(
      fewshot(['validate', exp]),
      `${exp}:5:11: task.data.file: data/missing.jsonl: looked for at ${join(tmp, 'data', 'missing.jsonl')}: file not found (paths are relative to the experiment file's folder)`,
    );
  });

  it('a number flag given no value is refused, not silently ignored', () => {
    const exp = file('flag-value.yaml', routes);
    expectBadInput(fewshot(['sweep', exp, '--dry-run', '--concurrency']), 'Not enough arguments following: concurrency');
    expectBadInput(fewshot(['report', tmp, '--alpha']), 'Not enough arguments following: alpha');
  });

  it('an openai-compatible provider without baseUrl is exit 2 naming the field, not a skip', () => {
    const exp = file('compat.yaml', `${routes}  - openai-compatible:llama3\n`);
    const result = fewshot(['validate', exp]);
    expectBadInput(result, `${exp}:10:5: providers[1].baseUrl: openai-compatible providers need \`baseUrl:\``);
    expect(result.stdout).not.toMatch(/skipped/);
  });
});

describe('datasets', () => {
  it('invalid UTF-8 is exit 2 with file:line', () => {
    const dir = join(tmp, 'utf8');
    mkdirSync(dir);
    const rows = Array.from({ length: 8 }, (_, i) => `{"id":"t${i}","text":"ticket ${i} text","label":"${i % 2 ? 'a' : 'b'}"}`);
    const data = Buffer.concat([
      Buffer.from(`${rows.slice(0, 4).join('\n')}\n{"id":"t9","text":"caf`),
      Buffer.from([0xe9]),
      Buffer.from(`","label":"a"}\n${rows.slice(4).join('\n')}\n`),
    ]);
    writeFileSync(join(dir, 'd.jsonl'), data);
    const exp = join(dir, 'exp.yaml');
    writeFileSync(
      exp,
      'name: enc\ntask:\n  type: classify\n  data: { file: d.jsonl, fields: { input: text, label: label, id: id } }\n  split: { poolSize: 4, evalItems: 4 }\nshots: [0, 1]\nproviders: [local]\n',
    );
    expectBadInput(fewshot(['validate', exp]), `${join(dir, 'd.jsonl')}:5: not valid UTF-8 (byte 0xe9 at byte 23 of the line)`);
  });
});

describe('--resamples', () => {
  it('fewshot report caps it at 100000 like analysis.resamples', () => {
    expectBadInput(
      fewshot(['report', join(tmp, 'no-run'), '--resamples', '1e12']),
      'error: --resamples: expected a whole number from 200 to 100000, got 1000000000000',
    );
    expectBadInput(fewshot(['report', join(tmp, 'no-run'), '--resamples', '100001']), '--resamples: expected a whole number from 200 to 100000, got 100001');
    expectBadInput(fewshot(['report', join(tmp, 'no-run'), '--resamples', '150']), '--resamples: expected a whole number from 200 to 100000, got 150');
  });

  it('fewshot compare caps it the same way, before reading either run', () => {
    expectBadInput(
      fewshot(['compare', join(tmp, 'a'), join(tmp, 'b'), '--resamples', '1e12']),
      'error: --resamples: expected a whole number from 200 to 100000, got 1000000000000',
    );
  });
});

describe('printing the plan', () => {
  it('validate and --dry-run list the selectors by label, selector and options, not [object Object]', () => {
    const exp = file(
      'selectors.yaml',
      `${routes}selectors:\n  - random\n  - { name: first, label: curated }\n  - { name: diverse, label: mmr, lambda: 0.3 }\n  - diverse\n`,
    );
    for (const args of [
      ['validate', exp],
      ['sweep', exp, '--dry-run'],
    ]) {
      const result = fewshot(args);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('selectors random, curated (first), mmr (diverse, lambda 0.3), diverse; repeats 1');
      expect(result.stdout).not.toContain('[object Object]');
    }
  });
});
