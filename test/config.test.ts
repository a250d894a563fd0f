import { describe, expect, it } from 'vitest';
import { ConfigError, loadExperiment, parseExperiment } from '../src/config/load.js';
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
