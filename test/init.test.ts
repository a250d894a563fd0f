import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The built binary, as a user runs it (`npm test` builds dist/ first).
const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-init-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const KEY_VARS = ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY'];

function fewshot(args: string[], cwd: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of KEY_VARS) delete env[key];
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const LABELS = ['billing', 'shipping', 'technical'] as const;
const WORDS: Record<string, string[]> = {
  billing: ['invoice', 'charge', 'refund', 'payment'],
  shipping: ['parcel', 'delivery', 'courier', 'tracking'],
  technical: ['crash', 'error', 'login', 'bug'],
};

/** 60 tickets, 3 labels (20 each), a 2-valued `priority` column that is label-like too. */
function tickets(): { id: string; text: string; label: string; priority: string }[] {
  return Array.from({ length: 60 }, (_, i) => {
    const label = LABELS[i % 3]!;
    const w = WORDS[label]!;
    return { id: `t${i}`, text: `Ticket ${i}: my ${w[i % 4]} has a problem with the ${w[(i + 1) % 4]}, please help`, label, priority: i % 2 ? 'high' : 'low' };
  });
}

function folder(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'data'), { recursive: true });
  return dir;
}

describe('fewshot init', () => {
  it('writes an experiment from a CSV that validates and sweeps keyless', () => {
    const dir = folder('csv');
    const csv = ['id,text,label,priority', ...tickets().map((t) => `${t.id},"${t.text}",${t.label},${t.priority}`)].join('\n');
    writeFileSync(join(dir, 'data', 'tickets.csv'), `${csv}\n`);
    const init = fewshot(['init', '--data', 'data/tickets.csv'], dir);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('label:  label (3 distinct values in 60 rows');
    expect(init.stdout).toContain('input:  text (the longest text column');
    expect(init.stdout).toContain('labels: billing, shipping, technical');
    expect(init.stdout).toContain('split:  poolSize 30, evalItems 30');
    expect(init.stdout).toContain('npx fewshot validate experiment.yaml');
    expect(init.stdout).toContain('npx fewshot sweep experiment.yaml');
    const yaml = readFileSync(join(dir, 'experiment.yaml'), 'utf8');
    expect(yaml).toContain('type: classify');
    expect(yaml).toContain('# - id: openai:gpt-4o-mini');
    expect(yaml).toContain('# - id: anthropic:claude-haiku-4-5');
    expect(yaml).toContain('# - id: google:gemini-2.5-flash');
    expect(readFileSync(join(dir, 'prompts', 'tickets.user.md'), 'utf8')).toContain('{{ text }}');
    expect(existsSync(join(dir, 'prompts', 'tickets.system.md'))).toBe(true);

    const validate = fewshot(['validate', 'experiment.yaml'], dir);
    expect(validate.stderr).toBe('');
    expect(validate.code).toBe(0);
    const sweep = fewshot(['sweep', 'experiment.yaml', '--quiet', '--out', 'results'], dir);
    expect(sweep.code).toBe(0);
    expect(sweep.stdout).toContain('270 trials');
  });

  it('writes a generate experiment from a JSONL with --output, beside a YAML in another folder', () => {
    const dir = folder('jsonl');
    const jsonl = tickets().map((t) => JSON.stringify({ id: t.id, question: t.text, answer: t.label, n: 1 }));
    writeFileSync(join(dir, 'data', 'qa.jsonl'), `${jsonl.join('\n')}\n`);
    const init = fewshot(['init', '--data', 'data/qa.jsonl', '--output', 'answer', '--out', 'exp/qa.yaml'], dir);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('output: answer (--output)');
    expect(init.stdout).toContain('input:  question');
    const yaml = readFileSync(join(dir, 'exp', 'qa.yaml'), 'utf8');
    expect(yaml).toContain('type: generate');
    expect(yaml).toContain('file: "../data/qa.jsonl"');
    expect(readFileSync(join(dir, 'exp', 'prompts', 'qa.user.md'), 'utf8')).toContain('{{ question }}');
    expect(fewshot(['validate', 'exp/qa.yaml'], dir).code).toBe(0);
    const sweep = fewshot(['sweep', 'exp/qa.yaml', '--quiet', '--out', 'results'], dir);
    expect(sweep.code).toBe(0);

    // With neither --label nor --output, the 3-valued answer column is the label.
    const auto = fewshot(['init', '--data', 'data/qa.jsonl', '--out', 'auto.yaml'], dir);
    expect(auto.code).toBe(0);
    expect(auto.stdout).toContain('label:  answer');
    expect(fewshot(['validate', 'auto.yaml'], dir).code).toBe(0);
  });

  it('refuses to overwrite, unknown columns, empty, missing and label-less files with exit 2', () => {
    const dir = folder('refusals');
    const csv = ['id,text,label', ...tickets().map((t) => `${t.id},"${t.text}",${t.label}`)].join('\n');
    writeFileSync(join(dir, 'data', 'tickets.csv'), `${csv}\n`);
    expect(fewshot(['init', '--data', 'data/tickets.csv'], dir).code).toBe(0);
    const before = readFileSync(join(dir, 'experiment.yaml'), 'utf8');

    const again = fewshot(['init', '--data', 'data/tickets.csv', '--input', 'id'], dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('experiment.yaml exists; pass --force');
    expect(readFileSync(join(dir, 'experiment.yaml'), 'utf8')).toBe(before);
    expect(fewshot(['init', '--data', 'data/tickets.csv', '--force'], dir).code).toBe(0);

    // --force never overwrites the data itself; --out a folder, or a folder that cannot be made, is refused.
    const onData = fewshot(['init', '--data', 'data/tickets.csv', '--out', 'data/tickets.csv', '--force'], dir);
    expect(onData.code).toBe(2);
    expect(onData.stderr).toContain('error: --out data/tickets.csv: would overwrite the data file data/tickets.csv itself; choose another file name');
    expect(readFileSync(join(dir, 'data', 'tickets.csv'), 'utf8')).toBe(`${csv}\n`);
    const onFolder = fewshot(['init', '--data', 'data/tickets.csv', '--out', 'data', '--force'], dir);
    expect(onFolder.code).toBe(2);
    expect(onFolder.stderr).toContain(`error: --out data: is a folder; expected a file name such as ${join('data', 'tickets.yaml')}`);
    const underFile = fewshot(['init', '--data', 'data/tickets.csv', '--out', 'experiment.yaml/x.yaml'], dir);
    expect(underFile.code).toBe(2);
    expect(underFile.stderr).toContain('error: --out experiment.yaml/x.yaml: the folder experiment.yaml/prompts cannot be created: ');
    expect(underFile.stderr).toContain('experiment.yaml is a file, not a folder');

    const unknown = fewshot(['init', '--data', 'data/tickets.csv', '--label', 'queue', '--out', 'other.yaml'], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('data/tickets.csv: --label queue: no such column (expected one of: id, text, label)');

    writeFileSync(join(dir, 'data', 'empty.csv'), '');
    const empty = fewshot(['init', '--data', 'data/empty.csv', '--out', 'other.yaml'], dir);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('data/empty.csv: the file is empty; expected a header row and records');

    const missing = fewshot(['init', '--data', 'data/nope.jsonl', '--out', 'other.yaml'], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('data/nope.jsonl: cannot read the data file (no such file)');

    const free = ['id,question,answer', ...tickets().map((t, i) => `${t.id},"${t.text}",answer ${i}`)].join('\n');
    writeFileSync(join(dir, 'data', 'free.csv'), `${free}\n`);
    const noLabel = fewshot(['init', '--data', 'data/free.csv', '--out', 'other.yaml'], dir);
    expect(noLabel.code).toBe(2);
    expect(noLabel.stderr).toContain('no label column found');
    expect(noLabel.stderr).toContain('Columns: id, question, answer');
    expect(existsSync(join(dir, 'other.yaml'))).toBe(false);
  });
});
