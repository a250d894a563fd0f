import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseExperiment } from '../src/config/load.js';
import { runSweep } from '../src/app/sweep-and-report.js';
import type { TrialRecord } from '../src/records/trial.js';
import { arrangeShots, buildArms } from '../src/selectors/arms.js';
import { getSelector } from '../src/selectors/index.js';
import { TaskDataError } from '../src/tasks/errors.js';
import type { TaskItem } from '../src/tasks/task.js';
import { Rng } from '../src/util/rng.js';

const tmp = mkdtempSync(join(tmpdir(), 'fewshot-arms-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const items = (prefix: string, n: number): TaskItem<null>[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, text: `${prefix} ${i}`, data: null }));

describe('arms: order and distractors as their own curves', () => {
  const random = getSelector('random');

  it('names one arm per selector and order, plus a distractor arm per selector', () => {
    const arms = buildArms(
      [
        { spec: { name: 'random' }, selector: random },
        { spec: { name: 'random', label: 'random2' }, selector: random },
      ],
      ['selected', 'reversed', 'shuffled'],
      2,
    );
    expect(arms.map((a) => a.label)).toEqual([
      'random',
      'random@reversed',
      'random@shuffled',
      'random+distractors',
      'random2',
      'random2@reversed',
      'random2@shuffled',
      'random2+distractors',
    ]);
    expect(arms.find((a) => a.label === 'random@shuffled')!.selectorLabel).toBe('random');
  });

  it('rearranges exactly the selected shots, seeded, and mixes in the asked number of distractors', () => {
    const [selected, reversed, shuffled, withDistractors] = buildArms(
      [{ spec: { name: 'random' }, selector: random }],
      ['selected', 'reversed', 'shuffled'],
      2,
    );
    const shots = items('s', 6);
    const off = items('d', 5);
    expect(arrangeShots(selected!, shots, off, new Rng([1]))).toEqual(shots);
    expect(arrangeShots(reversed!, shots, off, new Rng([1]))).toEqual([...shots].reverse());
    const once = arrangeShots(shuffled!, shots, off, new Rng([1]));
    expect(arrangeShots(shuffled!, shots, off, new Rng([1]))).toEqual(once);
    expect([...once].sort((a, b) => a.id.localeCompare(b.id))).toEqual(shots);
    const mixed = arrangeShots(withDistractors!, shots, off, new Rng([2]));
    expect(mixed).toHaveLength(8);
    expect(mixed.filter((s) => s.id.startsWith('d'))).toHaveLength(2);
    expect(mixed.filter((s) => s.id.startsWith('s')).map((s) => s.id)).toEqual(shots.map((s) => s.id));
  });

  it('in a sweep, an order arm shows the same shots as its selector, rearranged, on the same items', async () => {
    const experiment = join(tmp, 'order.yaml');
    writeFileSync(
      experiment,
      'name: order\nseed: 4\ntask: { type: routes, poolSize: 8, evalItems: 4 }\nshots: [0, 4]\nselectors: [random]\norder: [selected, reversed, shuffled]\nproviders: [local]\n',
    );
    const result = await runSweep({ experimentPath: experiment, outDir: join(tmp, 'out'), quiet: true, log: () => {} });
    const trials = readFileSync(join(result.runDir, 'trials.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TrialRecord);
    expect(new Set(trials.map((t) => t.selector))).toEqual(new Set(['none', 'random', 'random@reversed', 'random@shuffled']));
    for (const t of trials.filter((x) => x.selector === 'random')) {
      const rev = trials.find((x) => x.selector === 'random@reversed' && x.itemId === t.itemId)!;
      const shuf = trials.find((x) => x.selector === 'random@shuffled' && x.itemId === t.itemId)!;
      expect(rev.shotIds).toEqual([...t.shotIds].reverse());
      expect([...shuf.shotIds].sort()).toEqual([...t.shotIds].sort());
    }
  });

  it('refuses a distractor arm for a task without off-task examples', async () => {
    const experiment = join(tmp, 'distract.yaml');
    writeFileSync(experiment, 'name: d\ntask: { type: routes, poolSize: 4, evalItems: 2 }\nshots: [0, 1]\ndistractors: { count: 1 }\nproviders: [local]\n');
    await expect(runSweep({ experimentPath: experiment, outDir: join(tmp, 'out2'), quiet: true, log: () => {} })).rejects.toThrow(TaskDataError);
    await expect(runSweep({ experimentPath: experiment, outDir: join(tmp, 'out2'), quiet: true, log: () => {} })).rejects.toThrow(/has no off-task examples/);
  });

  it('accepts selectors with options and refuses unknown ones with the list', () => {
    const base = 'name: x\ntask: { type: routes }\nshots: [0, 1]\nproviders: [local]\n';
    expect(parseExperiment(`${base}selectors: [random, { name: first, label: curated }]\n`, 'x.yaml').selectors).toEqual([
      { name: 'random' },
      { name: 'first', label: 'curated' },
    ]);
    expect(() => parseExperiment(`${base}selectors: [psychic]\n`, 'x.yaml')).toThrow(/x.yaml:5:\d+: selectors\[0\]: expected a selector: random, first/);
    expect(() => parseExperiment(`${base}selectors: [random, random]\n`, 'x.yaml')).toThrow(/distinct `label`/);
  });
});
