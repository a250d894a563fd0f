import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createClassifyTask, type ClassifyItemData } from '../src/tasks/classify.js';
import { knnLabel, nearestOutput, similarities, tokenize } from '../src/tasks/knn.js';
import type { TaskItem } from '../src/tasks/task.js';
import { Rng } from '../src/util/rng.js';

const LABELS = ['a', 'b', 'c'];

describe('similarity', () => {
  it('tokenizes words of letters and digits, without stop words and one-letter words', () => {
    expect(tokenize("I can't log in to my Account #42, error E-500!")).toEqual(['log', 'account', '42', 'error', '500']);
  });

  it('is a cosine in [0, 1], 1 for the same words and 0 without shared words', () => {
    const sims = similarities('refund my card', ['refund my card', 'card refund please', 'parcel late', '']);
    expect(sims[0]).toBeCloseTo(1, 12);
    expect(sims[1]).toBeGreaterThan(0);
    expect(sims[1]).toBeLessThan(1);
    expect(sims[2]).toBe(0);
    expect(sims[3]).toBe(0);
  });
});

describe('knnLabel', () => {
  const shots = [
    { text: 'charged twice on my card', label: 'b' },
    { text: 'parcel never arrived', label: 'c' },
    { text: 'card payment declined', label: 'b' },
    { text: 'tracking not updated for the parcel', label: 'c' },
  ];

  it('at k = 0 can only guess: the first label of the list', () => {
    expect(knnLabel('anything at all', [], LABELS)).toBe('a');
    expect(knnLabel('anything at all', [], ['z', 'a'])).toBe('z');
  });

  it('follows the most similar shots', () => {
    expect(knnLabel('my card was charged', shots, LABELS)).toBe('b');
    expect(knnLabel('where is my parcel', shots, LABELS)).toBe('c');
  });

  it('breaks ties by the label count among the shots, then the label order', () => {
    // No shared word: every label weighs 0, and b is the most frequent.
    expect(knnLabel('zzz', [...shots, { text: 'card again', label: 'b' }], LABELS)).toBe('b');
    // Equal counts: the list order decides.
    expect(knnLabel('zzz', shots, LABELS)).toBe('b');
    expect(knnLabel('zzz', shots, ['c', 'b', 'a'])).toBe('c');
  });

  it('is deterministic and ignores the order of equal shots only through the earlier-shot rule', () => {
    const text = 'card parcel';
    expect(knnLabel(text, shots, LABELS)).toBe(knnLabel(text, shots, LABELS));
  });

  it('nearestOutput copies the most similar shot, and is empty without shots', () => {
    const outs = [
      { text: 'capital of France', output: 'Paris' },
      { text: 'capital of Norway', output: 'Oslo' },
    ];
    expect(nearestOutput('what is the capital of Norway', outs)).toBe('Oslo');
    expect(nearestOutput('unrelated', outs)).toBe('Paris');
    expect(nearestOutput('anything', [])).toBe('');
  });
});

describe('the local learner on the tickets experiment', () => {
  const task = createClassifyTask(
    { data: { file: 'data/tickets.jsonl', fields: { input: 'text', label: 'label', id: 'id' } }, split: { poolSize: 300, evalItems: 150 } },
    20261125,
    'experiments',
  );
  const data = task.load();

  /** Accuracy of the baseline, through parse and score like a model's answer. */
  function accuracy(shotsFor: (item: TaskItem<ClassifyItemData>) => TaskItem<ClassifyItemData>[]): number {
    let total = 0;
    for (const item of data.items) {
      const parsed = task.parse(task.baseline(item, shotsFor(item)));
      if (!parsed.ok) throw new Error(parsed.reason);
      total += task.score(parsed.answer, item).score;
    }
    return total / data.items.length;
  }

  const nearest = (k: number) => (item: TaskItem<ClassifyItemData>) => {
    const sims = similarities(
      item.text,
      data.pool.map((p) => p.text),
    );
    return data.pool
      .map((shot, i) => ({ shot, sim: sims[i]!, i }))
      .sort((a, b) => b.sim - a.sim || a.i - b.i)
      .slice(0, k)
      .map((x) => x.shot);
  };
  /** Mean accuracy over a few random draws of k shots for every item. */
  const randomAccuracy = (k: number, draws = 4) => {
    let sum = 0;
    for (let d = 0; d < draws; d++) {
      const rng = new Rng(['knn-test', k, d]);
      sum += accuracy(() => rng.shuffle(data.pool).slice(0, k));
    }
    return sum / draws;
  };

  it('guesses at k = 0 (chance: one label in six) and learns from nearest shots', () => {
    const k0 = accuracy(() => []);
    expect(k0).toBeCloseTo(25 / 150, 12); // the stratified split gives 25 items a label; the guess is "account"
    const k4 = accuracy(nearest(4));
    const k16 = accuracy(nearest(16));
    expect(k4).toBeGreaterThan(0.6);
    expect(k16).toBeGreaterThan(0.6);
    expect(k16).toBeLessThan(0.9);
  });

  it('learns from random shots too: accuracy rises with k', () => {
    // Measured: about 0.17, 0.27, 0.43, 0.55.
    const [k0, k4, k16, k32] = [0, 4, 16, 32].map((k) => randomAccuracy(k));
    expect(k4!).toBeGreaterThan(k0! + 0.05);
    expect(k16!).toBeGreaterThan(k4! + 0.08);
    expect(k32!).toBeGreaterThan(k16! + 0.05);
  });

  it('is deterministic', () => {
    const item = data.items[3]!;
    const shots = data.pool.slice(0, 16);
    expect(task.baseline(item, shots)).toBe(task.baseline(item, shots));
    expect(
      createClassifyTask(
        { data: { file: 'data/tickets.jsonl', fields: { input: 'text', label: 'label', id: 'id' } }, split: { poolSize: 300, evalItems: 150 } },
        20261125,
        'experiments',
      ).load(),
    ).toEqual(data);
  });
});

describe('the tickets generator', () => {
  const committed = readFileSync('experiments/data/tickets.jsonl', 'utf8');

  it('reproduces the committed file byte for byte', () => {
    const generated = execFileSync(process.execPath, ['scripts/make-tickets.mjs', '--stdout'], { encoding: 'utf8' });
    expect(generated === committed).toBe(true);
  });

  it('writes 600 unique tickets, 100 for each of 6 labels', () => {
    const rows = committed
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; text: string; label: string });
    expect(rows).toHaveLength(600);
    expect(new Set(rows.map((r) => r.id)).size).toBe(600);
    expect(new Set(rows.map((r) => r.text.toLowerCase().replace(/\s+/g, ' '))).size).toBe(600);
    const counts: Record<string, number> = {};
    for (const r of rows) counts[r.label] = (counts[r.label] ?? 0) + 1;
    expect(counts).toEqual({ account: 100, billing: 100, product_question: 100, returns: 100, shipping: 100, technical: 100 });
  });
});
