import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, configFieldError, experimentNotices, loadExperiment, MAX_EXPERIMENT_BYTES, parseExperiment } from '../src/config/load.js';
import { MAX_RESAMPLES } from '../src/config/schema.js';
import { thrownBy } from './thrown.js';

const valid = `name: small
seed: 7
task:
  type: routes
  poolSize: 8
  evalItems: 5
shots: [0, 1, 2]
providers:
  - local
  - id: openai:gpt-4o-mini
    temperature: 0
`;

function issuesOf(source: string) {
  return thrownBy(ConfigError, () => parseExperiment(source, 'exp.yaml')).issues;
}

describe('experiment config', () => {
  it('accepts a valid file and fills defaults', () => {
    const config = parseExperiment(valid, 'exp.yaml');
    expect(config.name).toBe('small');
    expect(config.selectors).toEqual([{ name: 'random' }]);
    expect(config.order).toEqual(['selected']);
    expect(config.repeats).toBe(1);
    expect(config.concurrency).toBe(8);
    expect(config.out).toBe('results');
    expect(config.providers).toEqual([{ id: 'local' }, { id: 'openai:gpt-4o-mini', temperature: 0 }]);
    expect(config.task).toMatchObject({ type: 'routes', stores: { min: 3, max: 6 }, windowTightness: 0.5 });
  });

  it('reports YAML syntax errors with their line', () => {
    const issues = issuesOf('name: x\nshots: [0, 1\nproviders: [local]\n');
    expect(issues[0]!.message).toMatch(/invalid YAML/);
    expect(issues[0]!.line).toBeGreaterThanOrEqual(2);
  });

  it("YAML messages carry our file:line:col only (not the library's own), name a second document, and stop listing after 20", () => {
    const issues = issuesOf('name: x\nshots: [0, 1\nproviders: [local]\n');
    for (const issue of issues) expect(issue.message).not.toMatch(/at line \d+, column \d+/);
    const two = issuesOf(`${valid}---\nname: other\n`);
    expect(two[0]!.message).toBe('invalid YAML: the file holds more than one document (a `---` line starts another); an experiment is one document');
    // A dataset passed as the experiment: thousands of issues, twenty shown and the rest counted.
    const jsonl = Array.from({ length: 60 }, (_, i) => `{"id": "t${i}", "text": "x, y", "label": "a"}`).join('\n');
    const err = thrownBy(ConfigError, () => parseExperiment(jsonl, 'data.jsonl'));
    const lines = err.message.split('\n');
    expect(lines).toHaveLength(21);
    expect(lines[20]).toBe(`... and ${err.issues.length - 20} more (is data.jsonl the experiment YAML, not a dataset?)`);
  });

  it('shows NaN and Infinity as such, not as null', () => {
    expect(issuesOf(valid.replace('seed: 7', 'seed: .nan'))[0]!.message).toMatch(/\(got NaN\)$/);
    expect(issuesOf(valid.replace('seed: 7', 'seed: 1e400'))[0]!.message).toMatch(/\(got Infinity\)$/);
  });

  it('names a missing required field', () => {
    const issues = issuesOf(valid.replace('shots: [0, 1, 2]\n', ''));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ field: 'shots', line: 1 });
    expect(issues[0]!.message).toMatch(/required field is missing/);
  });

  it('points at a misspelled field by its own line', () => {
    const issues = issuesOf(valid.replace('temperature: 0', 'temprature: 0'));
    expect(issues[0]).toMatchObject({ field: 'providers[1]', line: 11, column: 5 });
    expect(issues[0]!.message).toMatch(/unknown field "temprature"/);
  });

  it('explains the provider id format', () => {
    const issues = issuesOf(valid.replace('  - local\n', '  - gpt4\n'));
    expect(issues[0]).toMatchObject({ field: 'providers[0]', line: 9, column: 5 });
    expect(issues[0]!.message).toMatch(/"local" or "<provider>:<model>"/);
    expect(issues[0]!.message).toMatch(/got "gpt4"/);
  });

  it('refuses a shot count larger than the pool, at that entry', () => {
    const issues = issuesOf(valid.replace('shots: [0, 1, 2]', 'shots: [0, 1, 16]'));
    expect(issues[0]).toMatchObject({ field: 'shots[2]', line: 7 });
    expect(issues[0]!.message).toMatch(/k = 16 needs at least 16 pool examples, but task.poolSize is 8/);
  });

  it('reports a wrong type with the value it got', () => {
    const issues = issuesOf(valid.replace('shots: [0, 1, 2]', 'shots: [0, four]'));
    expect(issues[0]).toMatchObject({ field: 'shots[1]', line: 7, column: 12 });
    expect(issues[0]!.message).toMatch(/expected number/);
    expect(issues[0]!.message).toMatch(/got "four"/);
  });

  it('checks ranges of task knobs', () => {
    const issues = issuesOf(valid.replace('  evalItems: 5', '  evalItems: 5\n  windowTightness: 1.5'));
    expect(issues[0]).toMatchObject({ field: 'task.windowTightness', line: 7 });
    expect(issues[0]!.message).toMatch(/<=1/);
  });

  it('refuses an unknown task type and lists every problem at once', () => {
    const issues = issuesOf(valid.replace('type: routes', 'type: poems').replace('seed: 7', 'seed: -1'));
    expect(issues.map((i) => i.field).sort()).toEqual(['seed', 'task.type']);
  });

  it('says when the file cannot be read', () => {
    expect(() => loadExperiment('does/not/exist.yaml')).toThrow(/does\/not\/exist.yaml: cannot read the experiment: file not found/);
  });

  it('formats issues as file:line:col: field: message', () => {
    const err = thrownBy(ConfigError, () => parseExperiment(valid.replace('  - local\n', '  - gpt4\n'), 'experiments/x.yaml'));
    expect(err.message).toMatch(/^experiments\/x.yaml:9:5: providers\[0\]: expected "local"/);
  });
});

describe('experiment files that would exhaust memory (issue 13)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'fewshot-config-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** 10 levels of 9 aliases each: 9^10 (~3.5 billion) strings once expanded. */
  function aliasBomb(): string {
    const lines = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    let previous = 'a';
    for (let i = 0; i < 9; i++) {
      lines.push(`b${i}: &b${i} [${Array(9).fill(`*${previous}`).join(', ')}]`);
      previous = `b${i}`;
    }
    return `${lines.join('\n')}\n`;
  }

  it('refuses a YAML alias bomb ("billion laughs") as a ConfigError naming the file', () => {
    const err = thrownBy(ConfigError, () => parseExperiment(aliasBomb(), 'bomb.yaml'));
    expect(err.message).toMatch(/^bomb\.yaml: invalid YAML: its aliases \(\*name\) expand too far/);
  });

  it('refuses an experiment file over 1 MB from its size, before reading it', () => {
    expect(MAX_EXPERIMENT_BYTES).toBe(1 << 20);
    // 50 MB, sparse: reading it would take the memory the limit is there to keep.
    const huge = join(tmp, 'huge.yaml');
    writeFileSync(huge, '');
    truncateSync(huge, 50 << 20);
    const err = thrownBy(ConfigError, () => loadExperiment(huge));
    expect(err.message).toBe(
      `${huge}: the experiment file is 50.0 MB; the limit is 1.0 MB (an experiment is a few KB of YAML: is this the right file? datasets belong in their own files, named under task:)`,
    );
  });

  it('refuses a valid experiment padded just past 1 MB, and reads one just under it', () => {
    const padded = (bytes: number) => {
      const file = join(tmp, `padded-${bytes}.yaml`);
      writeFileSync(file, valid + '#'.repeat(bytes - Buffer.byteLength(valid) - 1) + '\n');
      return file;
    };
    expect(loadExperiment(padded(MAX_EXPERIMENT_BYTES)).name).toBe('small');
    expect(() => loadExperiment(padded(MAX_EXPERIMENT_BYTES + 1))).toThrow(/the limit is 1\.0 MB/);
  });
});

describe('reserved and required fields (issue 13)', () => {
  it('refuses a selector labelled "none": the shared zero-shot cell has that name', () => {
    const issues = issuesOf(`${valid}selectors:\n  - random\n  - name: first\n    label: none\n`);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ field: 'selectors[1].label', line: 15, column: 12 });
    expect(issues[0]!.message).toMatch(/"none" is reserved for the shared zero-shot \(k = 0\) cell/);
    // Any other label is fine, "None" included.
    expect(parseExperiment(`${valid}selectors: [random, { name: first, label: None }]\n`, 'exp.yaml').selectors[1]).toEqual({ name: 'first', label: 'None' });
  });

  it('the embedding selector needs a provider, written bare or as an object: the line and field, not a failure later', () => {
    const bare = issuesOf(`${valid}selectors: [random, embedding]\n`);
    expect(bare).toHaveLength(1);
    expect(bare[0]).toMatchObject({ field: 'selectors[1]' });
    expect(bare[0]!.message).toMatch(/^the embedding selector needs a provider: write it as \{ name: embedding, provider: openai:text-embedding-3-small \}/);
    const object = issuesOf(`${valid}selectors: [{ name: embedding }]\n`);
    expect(object[0]).toMatchObject({ field: 'selectors[0].provider' });
  });

  it('requires baseUrl for an openai-compatible provider, written as a string or an object', () => {
    const bare = issuesOf(valid.replace('  - local\n', '  - openai-compatible:llama3\n'));
    expect(bare).toHaveLength(1);
    expect(bare[0]).toMatchObject({ field: 'providers[0].baseUrl', line: 9, column: 5 });
    expect(bare[0]!.message).toMatch(/openai-compatible providers need `baseUrl:`/);
    const object = issuesOf(valid.replace('  - local\n', '  - id: openai-compatible:llama3\n    apiKeyEnv: LOCAL_KEY\n'));
    expect(object[0]).toMatchObject({ field: 'providers[0].baseUrl', line: 9 });
    const ok = parseExperiment(valid.replace('  - local\n', '  - { id: openai-compatible:llama3, baseUrl: "http://localhost:11434/v1" }\n'), 'exp.yaml');
    expect(ok.providers[0]).toEqual({ id: 'openai-compatible:llama3', baseUrl: 'http://localhost:11434/v1' });
    // Only http(s): another scheme would pass and then fail every call.
    const ftp = issuesOf(valid.replace('  - local\n', '  - { id: openai-compatible:llama3, baseUrl: "ftp://127.0.0.1/v1" }\n'));
    expect(ftp[0]).toMatchObject({ field: 'providers[0].baseUrl', line: 9 });
    expect(ftp[0]!.message).toBe('expected an http(s) URL such as http://localhost:11434/v1 (got "ftp://127.0.0.1/v1")');
  });

  it('caps analysis.resamples at MAX_RESAMPLES (the --resamples flags share it)', () => {
    expect(MAX_RESAMPLES).toBe(100_000);
    expect(issuesOf(`${valid}analysis: { resamples: 100001 }\n`)[0]).toMatchObject({ field: 'analysis.resamples' });
    // The deprecated name is checked the same way.
    expect(issuesOf(`${valid}analysis: { bootstrapResamples: 100001 }\n`)[0]).toMatchObject({ field: 'analysis.bootstrapResamples' });
  });

  it('reads analysis.resamples, 2000 when absent, with no notice', () => {
    const config = parseExperiment(`${valid}analysis: { alpha: 0.1, resamples: 5000 }\n`, 'exp.yaml');
    expect(config.analysis).toEqual({ alpha: 0.1, delta: 0.05, resamples: 5000 });
    expect(experimentNotices(config)).toEqual([]);
    expect(parseExperiment(valid, 'exp.yaml').analysis).toEqual({ alpha: 0.05, delta: 0.05, resamples: 2000 });
    expect(parseExperiment(`${valid}analysis: { alpha: 0.1 }\n`, 'exp.yaml').analysis).toEqual({ alpha: 0.1, delta: 0.05, resamples: 2000 });
  });

  it('reads the deprecated analysis.bootstrapResamples as analysis.resamples, with a notice naming the new key', () => {
    const config = parseExperiment(`${valid}analysis:\n  bootstrapResamples: 3000\n`, 'exp.yaml');
    expect(config.analysis).toEqual({ alpha: 0.05, delta: 0.05, resamples: 3000 });
    expect(experimentNotices(config)).toEqual([
      'exp.yaml:13:3: analysis.bootstrapResamples is deprecated, rename it analysis.resamples (same meaning; the old name is still read)',
    ]);
  });

  it('refuses analysis.resamples and analysis.bootstrapResamples together', () => {
    const issues = issuesOf(`${valid}analysis:\n  resamples: 3000\n  bootstrapResamples: 3000\n`);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ field: 'analysis.bootstrapResamples', line: 14 });
    expect(issues[0]!.message).toBe('give `resamples` only: `bootstrapResamples` is its old name (got 3000)');
  });

  it("points an error found after validation at the field's line (configFieldError)", () => {
    const config = parseExperiment(`${valid}out: somewhere\n`, 'exp.yaml');
    expect(configFieldError(config, 'exp.yaml', ['out'], 'is a file').message).toBe('exp.yaml:12:6: out: is a file');
  });
});
