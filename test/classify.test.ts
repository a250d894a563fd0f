import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { classifyTaskSchema, declaredPoolSize } from '../src/config/dataset-schema.js';
import { createClassifyTask, parseLabel, type ClassifyOptions } from '../src/tasks/classify.js';
import { TaskDataError } from '../src/tasks/errors.js';

const LABELS = ['account', 'billing', 'product_question', 'returns', 'shipping', 'technical'];

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fewshot-classify-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('parseLabel', () => {
  const ok = (text: string) => parseLabel(text, LABELS);

  it.each([
    ['billing', 'billing'],
    ['Label: Billing.', 'billing'],
    ['**shipping**', 'shipping'],
    ['The category is returns', 'returns'],
    ['Category - technical', 'technical'],
    ['"Account"', 'account'],
    ['`returns`', 'returns'],
    ['Answer: PRODUCT QUESTION', 'product_question'],
    ['product-question', 'product_question'],
    ['**Product_Question**', 'product_question'],
    ['_billing_', 'billing'],
    ['  \n\nshipping\n', 'shipping'],
    ['- technical', 'technical'],
    ['## Label\nbilling', 'billing'],
    ['Billing\n\nThe customer was charged twice, which is a billing matter.', 'billing'],
    ['I think this is about shipping.', 'shipping'],
    ['Final answer: <returns>', 'returns'],
  ])('reads %j as %s', (text, label) => {
    expect(ok(text)).toEqual({ ok: true, answer: label });
  });

  it('fails on an unknown label, an ambiguous answer and an empty one, with a reason', () => {
    expect(ok('Label: refunds')).toEqual({
      ok: false,
      reason: 'unknown label "Label: refunds" (expected one of account, billing, product_question, returns, shipping, technical)',
    });
    expect(ok('It is either billing or returns.')).toEqual({ ok: false, reason: 'ambiguous answer: names billing and returns' });
    expect(ok('  \n ** ')).toEqual({ ok: false, reason: 'empty answer' });
    expect(ok(`x${'y'.repeat(100)}`)).toMatchObject({ ok: false, reason: expect.stringMatching(/^unknown label "xy{56}\.\.\."/) });
  });

  it('does not mistake a label that starts like a lead-in for one', () => {
    expect(parseLabel('class_a', ['class_a', 'class_b'])).toEqual({ ok: true, answer: 'class_a' });
    expect(parseLabel('Class: class_b', ['class_a', 'class_b'])).toEqual({ ok: true, answer: 'class_b' });
  });
});

const rows = [
  { id: 'p1', text: 'I was charged twice', label: 'billing' },
  { id: 'p2', text: 'My parcel never came', label: 'Shipping' },
  { id: 'p3', text: 'The app crashes on start', label: 'technical' },
  { id: 'p4', text: 'My invoice shows an extra fee', label: 'billing' },
];
const evalRows = [
  { id: 'e1', text: 'Double charge on my card', label: 'billing' },
  { id: 'e2', text: 'Where is my parcel', label: 'shipping' },
];

function fixedTask(extra: Partial<ClassifyOptions> = {}) {
  const dir = tempDir({ 'pool.jsonl': jsonl(rows), 'eval.jsonl': jsonl(evalRows) });
  const fields = { input: 'text', label: 'label', id: 'id' };
  return { dir, task: createClassifyTask({ pool: { file: 'pool.jsonl', fields }, eval: { file: 'eval.jsonl', fields }, ...extra }, 0, dir) };
}

describe('classify task', () => {
  it('infers the labels, sorted, and folds a label spelt differently into the listed one', () => {
    const { task } = fixedTask();
    const data = task.load();
    // "Shipping" (met first) and "shipping" are one label.
    expect(data.pool.map((p) => p.label)).toEqual(['billing', 'Shipping', 'technical', 'billing']);
    expect(data.items.map((p) => [p.id, p.text, p.label])).toEqual([
      ['e1', 'Double charge on my card', 'billing'],
      ['e2', 'Where is my parcel', 'Shipping'],
    ]);
    expect(data.items[0]!.data.source).toMatch(/eval\.jsonl:1$/);
    const system = task.render([], data.items[0]!)[0]!.content;
    expect(system).toContain('Classify the text into exactly one of these labels: Shipping, billing, technical.');
  });

  it('renders the instruction, the label list, the answer rule, shot pairs and the question', () => {
    const { task } = fixedTask({ labels: ['billing', 'shipping', 'technical', 'account'], instruction: 'Route the ticket.' });
    const data = task.load();
    const messages = task.render(data.pool.slice(0, 2), data.items[1]!);
    expect(messages).toEqual([
      { role: 'system', content: 'Route the ticket.\n\nLabels:\n- billing\n- shipping\n- technical\n- account\n\nAnswer with the label only.' },
      { role: 'user', content: 'I was charged twice' },
      { role: 'assistant', content: 'billing' },
      { role: 'user', content: 'My parcel never came' },
      { role: 'assistant', content: 'shipping' },
      { role: 'user', content: 'Where is my parcel' },
    ]);
    expect(data.notices).toEqual(['classify: no pool example has the label(s) account; shots can never show them']);
  });

  it('scores exact matches with expected and predicted in the details', () => {
    const { task } = fixedTask();
    const item = task.load().items[0]!;
    expect(task.score('billing', item)).toEqual({ score: 1, details: { expected: 'billing', predicted: 'billing' } });
    expect(task.score('technical', item)).toEqual({ score: 0, details: { expected: 'billing', predicted: 'technical' } });
    const parsed = task.parse('Label: Billing.');
    expect(parsed.ok && task.score(parsed.answer, item).score).toBe(1);
    expect(task.measures).toEqual([]);
  });

  it('runs the kNN baseline through parse: k = 0 guesses the first label, shots teach it', () => {
    const { task } = fixedTask();
    const data = task.load();
    const [billing, shipping] = data.items;
    expect(task.baseline(billing!, [])).toBe('Shipping');
    expect(task.parse(task.baseline(billing!, data.pool))).toEqual({ ok: true, answer: 'billing' });
    expect(task.baseline(shipping!, data.pool)).toBe('Shipping');
  });

  it('refuses a data label outside the listed labels, with its line', () => {
    const { task } = fixedTask({ labels: ['billing', 'technical'] });
    let error: unknown;
    try {
      task.load();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TaskDataError);
    expect((error as TaskDataError).line).toBe(2);
    expect((error as TaskDataError).reason).toBe('label "Shipping" is not one of the task\'s labels: billing, technical');
  });

  it('refuses data with a single label', () => {
    const dir = tempDir({
      'd.jsonl': jsonl([
        { t: 'a', l: 'x' },
        { t: 'b', l: 'x' },
        { t: 'c', l: 'x' },
      ]),
    });
    const task = createClassifyTask({ data: { file: 'd.jsonl', fields: { input: 't', label: 'l' } }, split: { poolSize: 2, evalItems: 1 } }, 0, dir);
    expect(() => task.load()).toThrow(/at least two labels; the data has only "x"/);
  });
});

describe('classifyTaskSchema', () => {
  it('accepts the tickets experiment task and its output fits createClassifyTask', () => {
    const yaml = parseYaml(readFileSync('experiments/tickets.yaml', 'utf8')) as { task: unknown; shots: number[] };
    const task = classifyTaskSchema.parse(yaml.task);
    const options: ClassifyOptions = task;
    expect(options.split).toEqual({ poolSize: 300, evalItems: 150 });
    expect(declaredPoolSize(task)).toBe(300);
    const data = createClassifyTask(options, 20261125, 'experiments').load();
    expect([data.pool.length, data.items.length]).toEqual([300, 150]);
    expect(data.notices).toEqual([]);
    expect(Math.max(...yaml.shots)).toBeLessThanOrEqual(300);
  });

  it('requires exactly one of data + split or pool + eval, and rejects unknown keys', () => {
    const fields = { input: 'text', label: 'label' };
    const messages = (value: unknown) => {
      const result = classifyTaskSchema.safeParse(value);
      return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(messages({ type: 'classify', data: { file: 'd.jsonl', fields } })).toEqual([
      'split: data needs split: { poolSize, evalItems } (how to divide data into pool and evaluation items)',
    ]);
    expect(messages({ type: 'classify', pool: { file: 'p.jsonl', fields }, eval: { file: 'e.jsonl', fields } })).toEqual([]);
    expect(declaredPoolSize({})).toBeNull();
    expect(messages({ type: 'classify' })).toEqual([': expected data + split (one file, split by the seed) or pool + eval (two fixed files)']);
    expect(
      messages({ type: 'classify', data: { file: 'd.jsonl', fields }, split: { poolSize: 1, evalItems: 1 }, pool: { file: 'p.jsonl', fields } })[0],
    ).toMatch(/either data \+ split .* or pool \+ eval .* not both/);
    expect(
      messages({ type: 'classify', data: { file: 'd.jsonl', fields: { input: 'q', output: 'a' } }, split: { poolSize: 1, evalItems: 1 } }).join('\n'),
    ).toMatch(/data\.fields/);
    expect(messages({ type: 'classify', pool: { file: 'p.jsonl', fields }, eval: { file: 'e.jsonl', fields }, labels: ['A b', 'a_B'] })).toEqual([
      'labels: labels must not repeat (case, spaces, "_" and "-" do not count)',
    ]);
    expect(messages({ type: 'classify', pool: { file: 'p.jsonl', fields }, eval: { file: 'e.jsonl', fields }, shots: 3 })[0]).toMatch(/shots/);
  });
});
