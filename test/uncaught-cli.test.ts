// An error thrown outside every call the CLI awaits (here a scorer module's timer) reaches the user
// as one line saying what and where, never Node's raw stack (the built CLI, dist/bin.js:
// `npm run build` first); FEWSHOT_DEBUG=1 shows the stack.

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const tmp = mkdtempSync(join(tmpdir(), 'fewshot-uncaught-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'dist', 'bin.js');

describe('an uncaught error', () => {
  it("a scorer's timer that throws: one line naming the error and its origin, exit 1, the trials so far kept", () => {
    mkdirSync(join(tmp, 'scorers'));
    mkdirSync(join(tmp, 'data'));
    copyFileSync(join(ROOT, 'experiments', 'data', 'tickets.jsonl'), join(tmp, 'data', 'tickets.jsonl'));
    writeFileSync(
      join(tmp, 'scorers', 'late.mjs'),
      "let n = 0;\nexport default function score(ctx) {\n  if (++n === 30) setTimeout(() => { throw new Error('late async boom'); }, 0);\n  return ctx.answer === ctx.expected ? 1 : 0;\n}\n",
    );
    writeFileSync(
      join(tmp, 'exp.yaml'),
      [
        'name: late',
        'task:',
        '  type: classify',
        '  data: { file: data/tickets.jsonl, fields: { input: text, label: label, id: id } }',
        '  split: { poolSize: 50, evalItems: 40 }',
        '  scoring: { module: ./scorers/late.mjs }',
        'shots: [0, 1, 2]',
        'selectors: [random]',
        'providers: [local]',
      ].join('\n'),
    );
    const run = (env: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, [BIN, 'sweep', 'exp.yaml', '--quiet'], { cwd: tmp, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });

    const plain = run({});
    expect(plain.status).toBe(1);
    expect(plain.stderr).toMatch(/^error: uncaught exception: late async boom \(at .*scorers\/late\.mjs:3:\d+\)\)\n/);
    expect(plain.stderr).toContain('fewshot stopped here; a sweep run again resumes (answers already paid for come from the cache)');
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    const runDir = join(tmp, 'results', readdirSync(join(tmp, 'results'))[0]!);
    expect(readFileSync(join(runDir, 'trials.jsonl'), 'utf8').split('\n').filter(Boolean).length).toBeGreaterThan(0);

    const debug = run({ FEWSHOT_DEBUG: '1' });
    expect(debug.status).toBe(1);
    expect(debug.stderr).toMatch(/error: uncaught exception: Error: late async boom\n\s+at /);
  });
});
