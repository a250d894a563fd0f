// AdaptGauge task packs as a fewshot task: loading (single tasks and packs), errors with file:line,
// the leakage guard, rendering, every scoring method, the judge (through the real openai SDK against
// the fake server on 127.0.0.1), the local baseline, and the shipped experiment.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adaptgaugeTaskSchema } from '../src/config/adaptgauge-schema.js';
import { itemIdOf } from '../src/import/adaptgauge-map.js';
import type { AdaptGaugeRow } from '../src/import/adaptgauge-csv.js';
import { LocalProvider } from '../src/providers/local.js';
import {
  createAdaptGaugeTask,
  isLabelTask,
  judgeMessages,
  normalizeAnswer,
  parseAdaptGaugeTask,
  parseVerdict,
  tokenF1,
  type AdaptGaugeDeps,
  type AdaptGaugeItemData,
} from '../src/tasks/adaptgauge-pack.js';
import { TaskDataError } from '../src/tasks/errors.js';
import { localBaseline } from '../src/tasks/local-baseline.js';
import { resolveAdaptGaugeJudge } from '../src/runner/judge.js';
import { ModelScorer, type ModelScoring } from '../src/runner/score.js';
import { isModelCall, type ScoreResult, type Task, type TaskItem } from '../src/tasks/task.js';
import { startOpenAIServer, type FakeServer } from './servers/index.js';
import { thrownBy } from './thrown.js';

const SENTINEL = 'sk-JUDGE-SECRET-SENTINEL-456';
const REPO = join(import.meta.dirname, '..');
// AdaptGauge's task packs, copied into the repository (see data/adaptgauge/SOURCE.md).
const PACKS = join(REPO, 'data', 'adaptgauge', 'tasks');

let tmp: string;
const servers: FakeServer[] = [];
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fewshot-adaptgauge-pack-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  rmSync(tmp, { recursive: true, force: true });
});

type Json = Record<string, unknown>;

function taskJson(id: string, overrides: Json = {}): Json {
  return {
    task_id: id,
    category: 'classification',
    version: '1.0',
    measures: [],
    description: 'Sort the message.',
    instruction: 'Reply with the category only.',
    difficulty: 'easy',
    examples: [
      { input: 'My package never came.', output: 'Shipping' },
      { input: 'I was billed twice for one order.', output: 'Billing' },
      { input: 'The app crashes on start.', output: 'Technical' },
      { input: 'Where is my package, it is late.', output: 'Shipping' },
    ],
    test_cases: [
      { input: 'The package is lost.', expected_output: 'Shipping', scoring_method: 'exact_match' },
      { input: 'Why was I billed twice?', expected_output: 'Billing', scoring_method: 'exact_match' },
    ],
    distractors: [{ input: 'What a lovely day.', output: 'Other' }],
    ...overrides,
  };
}

function write(name: string, content: unknown): string {
  writeFileSync(join(tmp, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return name;
}

function load(file: string, taskId?: string, deps: AdaptGaugeDeps = {}) {
  const task = createAdaptGaugeTask({ type: 'adaptgauge', file, ...(taskId !== undefined && { taskId }) }, 0, tmp, deps);
  return { task, data: task.load() };
}

/** How a sweep scores an answer: the task scores it, or describes a judge call that the runner's ModelScorer makes. */
const judgeOutcome = async (
  task: Task<AdaptGaugeItemData, string>,
  text: string,
  item: TaskItem<AdaptGaugeItemData>,
  scorer?: ModelScorer,
): Promise<ModelScoring | null> => {
  const parsed = task.parse(text);
  if (!parsed.ok) return null;
  const scoring = task.score(parsed.answer, item);
  if (!isModelCall(scoring)) return { status: 'scored', score: scoring as ScoreResult, judge: null as never };
  expect(scoring).toMatchObject({ kind: 'needs-model', role: 'judge' });
  if (!scorer) throw new Error(`${item.id} needs a judge`);
  return scorer.score(scoring, 'openai:answerer');
};

const scoreOf = async (
  task: Task<AdaptGaugeItemData, string>,
  text: string,
  item: TaskItem<AdaptGaugeItemData>,
  scorer?: ModelScorer,
): Promise<ScoreResult | null> => {
  const outcome = await judgeOutcome(task, text, item, scorer);
  if (outcome === null) return null;
  if (outcome.status !== 'scored') throw new Error(outcome.status === 'failed' ? outcome.message : outcome.status);
  return outcome.score;
};

describe('loading', () => {
  it('a single task: examples are the pool, test cases the items, distractors off-task; labels for label tasks', () => {
    const { data, task } = load(write('one.json', taskJson('cls_001')));
    expect(task.type).toBe('adaptgauge');
    expect(data.pool.map((p) => p.id)).toEqual(['cls_001:example-1', 'cls_001:example-2', 'cls_001:example-3', 'cls_001:example-4']);
    expect(data.pool[0]).toEqual({
      id: 'cls_001:example-1',
      text: 'My package never came.',
      data: { role: 'example', input: 'My package never came.', output: 'Shipping' },
      label: 'Shipping',
    });
    expect(data.items).toHaveLength(2);
    expect(data.items[0]).toMatchObject({
      text: 'The package is lost.',
      label: 'Shipping',
      data: { role: 'test', output: 'Shipping', scoringMethod: 'exact_match' },
    });
    expect(data.distractors).toEqual([
      { id: 'cls_001:distractor-1', text: 'What a lovely day.', data: { role: 'distractor', input: 'What a lovely day.', output: 'Other' } },
    ]);
    expect(data.notices).toEqual([]);
    expect(task.load()).toBe(data);
  });

  it('item ids are the AdaptGauge importer ids, so imported and swept runs of a pack pair up', () => {
    const { data } = load(write('one.json', taskJson('cls_001')));
    const row = { taskId: 'cls_001', input: 'The package is lost.', expectedOutput: 'Shipping' } as AdaptGaugeRow;
    expect(data.items[0]!.id).toBe(itemIdOf(row));
  });

  it('tasks that are not exact_match label tasks get no labels', () => {
    const f1 = taskJson('sum_001', {
      test_cases: [{ input: 'Long article about rain.', expected_output: 'rain, weekend', scoring_method: 'f1' }],
    });
    const { data } = load(write('f1.json', f1));
    expect(data.pool.every((p) => p.label === undefined)).toBe(true);
    expect(data.items[0]!.label).toBeUndefined();
    const long = parseAdaptGaugeTask(
      JSON.stringify(taskJson('x', { examples: [{ input: 'a', output: 'a very long answer that is surely not a label at all, no' }] })),
      'f',
      undefined,
    );
    expect(isLabelTask(long)).toBe(false);
  });

  it('a pack: taskId picks the task; without it, a pack of several is an error listing the ids', () => {
    const pack = { pack_id: 'p', pack_name: 'P', description: '', version: '1.0', categories: [], tasks: [taskJson('a_001'), taskJson('b_001')] };
    const file = write('pack.json', pack);
    expect(load(file, 'b_001').data.pool[0]!.id).toBe('b_001:example-1');
    const missing = thrownBy(TaskDataError, () => load(file));
    expect(missing.message).toMatch(/pack\.json:\d+: the pack holds 2 tasks \(a_001, b_001\): name one with task\.taskId/);
    expect(thrownBy(TaskDataError, () => load(file, 'zzz')).reason).toBe('no task "zzz" in the pack; it holds: a_001, b_001');
    // A pack of one needs no taskId.
    expect(load(write('pack1.json', { ...pack, tasks: [taskJson('a_001')] })).data.items).toHaveLength(2);
    // A single-task file with another taskId is a mistake worth naming.
    expect(thrownBy(TaskDataError, () => load(write('one.json', taskJson('cls_001')), 'other')).reason).toMatch(/single task "cls_001"/);
  });

  it('bad files are TaskDataErrors with the file and the line', () => {
    expect(thrownBy(TaskDataError, () => load('absent.json')).reason).toBe('AdaptGauge task file not found');
    const broken = thrownBy(TaskDataError, () => load(write('broken.json', '{\n  "task_id": "x",\n  "examples": [\n    {"input": "a" "output": "b"}\n  ]\n}')));
    expect(broken.line).toBe(4);
    expect(broken.reason).toMatch(/^invalid JSON/);

    const noOutput = taskJson('x');
    (noOutput.examples as Json[])[2] = { input: 'The app crashes on start.' };
    const e1 = thrownBy(TaskDataError, () => load(write('no-output.json', noOutput)));
    expect(e1.message).toMatch(/no-output\.json:\d+: examples\[2\]\.output: /);
    const source = readFileSync(join(tmp, 'no-output.json'), 'utf8').split('\n');
    expect(source[e1.line! - 1]).toContain('{');
    expect(source[e1.line!]).toContain('The app crashes on start.');

    const custom = taskJson('x');
    (custom.test_cases as Json[])[1]!.scoring_method = 'custom:route';
    const e2 = thrownBy(TaskDataError, () => load(write('custom.json', custom)));
    expect(e2.reason).toBe('unsupported scoring_method "custom:route" (supported: exact_match, contains, f1, llm_judge)');
    expect(readFileSync(join(tmp, 'custom.json'), 'utf8').split('\n')[e2.line! - 1]).toContain('custom:route');

    const emptyExpected = taskJson('x', { test_cases: [{ input: 'q', expected_output: '  ', scoring_method: 'contains' }] });
    expect(thrownBy(TaskDataError, () => load(write('empty.json', emptyExpected))).reason).toMatch(/expected_output is empty/);
    expect(thrownBy(TaskDataError, () => load(write('list.json', [1, 2]))).reason).toMatch(/expected an AdaptGauge task/);
    expect(thrownBy(TaskDataError, () => load(write('noex.json', taskJson('x', { examples: [] })))).reason).toMatch(/no examples/);
    const rubricExact = taskJson('x', { test_cases: [{ input: 'q', expected_output: { must: 'x' }, scoring_method: 'exact_match' }] });
    expect(thrownBy(TaskDataError, () => load(write('rubric.json', rubricExact))).reason).toMatch(/rubric object .* needs scoring_method llm_judge/);
  });

  it('the leakage guard refuses test cases that are examples or distractors, with a notice', () => {
    const leaky = taskJson('x', {
      test_cases: [
        { input: '  my PACKAGE never   came. ', expected_output: 'Shipping', scoring_method: 'exact_match' },
        { input: 'what a lovely day.', expected_output: 'Other', scoring_method: 'exact_match' },
        { input: 'Why was I billed twice?', expected_output: 'Billing', scoring_method: 'exact_match' },
        { input: 'Why was I billed twice?', expected_output: 'Billing', scoring_method: 'exact_match' },
      ],
    });
    const { data } = load(write('leaky.json', leaky));
    expect(data.items.map((i) => i.text)).toEqual(['Why was I billed twice?']);
    expect(data.notices).toHaveLength(2);
    expect(data.notices[0]).toBe('x: 1 duplicate test case (same input and expected output) left out');
    expect(data.notices[1]).toMatch(
      /^x: 2 test cases refused by the leakage guard: .*same content as pool example x:example-1.*same content as pool example x:distractor-1/,
    );
  });

  it('llm_judge cases without a judge are left out with a notice; a task left with nothing is an error', () => {
    const mixed = taskJson('mix', {
      test_cases: [
        { input: 'Plan a route A to B.', expected_output: 'A -> B', scoring_method: 'llm_judge' },
        { input: 'Plan a route C to D.', expected_output: 'C -> D', scoring_method: 'llm_judge' },
        { input: 'Summarize: rain all weekend.', expected_output: 'rain weekend', scoring_method: 'f1' },
      ],
    });
    const { data } = load(write('mixed.json', mixed));
    expect(data.items.map((i) => i.data.scoringMethod)).toEqual(['f1']);
    expect(data.notices).toEqual(['mix: 2 llm_judge items skipped: name a judge provider under task.judge (e.g. judge: openai:gpt-4o-mini)']);

    const unavailable = resolveAdaptGaugeJudge({ judge: { id: 'openai:gpt-4o-mini' } }, {}).deps;
    expect(unavailable).toEqual({ judge: null, judgeUnavailable: 'judge openai:gpt-4o-mini: no API key: set OPENAI_API_KEY to run it' });
    expect(load('mixed.json', undefined, unavailable).data.notices).toEqual([
      'mix: 2 llm_judge items skipped: judge openai:gpt-4o-mini: no API key: set OPENAI_API_KEY to run it',
    ]);
    expect(resolveAdaptGaugeJudge({}, { OPENAI_API_KEY: 'k' })).toEqual({ deps: { judge: null }, model: null });

    const allJudged = taskJson('route', { test_cases: (mixed.test_cases as Json[]).slice(0, 2) });
    const err = thrownBy(TaskDataError, () => load(write('judged.json', allJudged)));
    expect(err.reason).toMatch(/^task route: no test case is left to evaluate \(route: 2 llm_judge items skipped/);
    expect(readFileSync(join(tmp, 'judged.json'), 'utf8').split('\n')[err.line! - 1]).toContain('"test_cases"');
  });
});

describe('prompt and scoring', () => {
  it('renders the instruction as the system prompt, shots as user/assistant pairs, the item as a user turn', () => {
    const { task, data } = load(write('one.json', taskJson('cls_001')));
    expect(task.render(data.pool.slice(0, 2), data.items[0]!)).toEqual([
      { role: 'system', content: 'Reply with the category only.' },
      { role: 'user', content: 'My package never came.' },
      { role: 'assistant', content: 'Shipping' },
      { role: 'user', content: 'I was billed twice for one order.' },
      { role: 'assistant', content: 'Billing' },
      { role: 'user', content: 'The package is lost.' },
    ]);
    expect(task.render([], data.items[0]!)).toHaveLength(2);
    // No instruction: the description is the system prompt.
    const { task: t2, data: d2 } = load(write('desc.json', taskJson('d', { instruction: '' })));
    expect(t2.render([], d2.items[0]!)[0]).toEqual({ role: 'system', content: 'Sort the message.' });
  });

  it('scores each item by its own method: exact_match, contains, f1', async () => {
    const mixed = taskJson('mix', {
      test_cases: [
        { input: 'Classify: lost parcel', expected_output: 'Shipping/Logistics', scoring_method: 'exact_match' },
        { input: 'Fix: max of list', expected_output: 'max_val = numbers[0]', scoring_method: 'contains' },
        { input: 'Summarize: heavy rain all weekend in Tokyo', expected_output: 'Tokyo, heavy rain, weekend', scoring_method: 'f1' },
      ],
    });
    const { task, data } = load(write('mixed.json', mixed));
    const [exact, contains, f1] = data.items as [TaskItem<AdaptGaugeItemData>, TaskItem<AdaptGaugeItemData>, TaskItem<AdaptGaugeItemData>];

    expect(await scoreOf(task, '  **shipping/LOGISTICS**  '.replace(/\*/g, ''), exact)).toEqual({ score: 1, details: { scoringMethod: 'exact_match' } });
    expect(await scoreOf(task, '`Shipping/Logistics`', exact)).toMatchObject({ score: 1 });
    expect(await scoreOf(task, 'Shipping/Logistics.', exact)).toMatchObject({ score: 0 });
    expect(await scoreOf(task, 'Category: Shipping/Logistics', exact)).toMatchObject({ score: 0 });

    expect(await scoreOf(task, '```python\ndef f(numbers):\n    max_val = numbers[0]\n```', contains)).toEqual({
      score: 1,
      details: { scoringMethod: 'contains' },
    });
    expect(await scoreOf(task, 'max_val = numbers[1]', contains)).toMatchObject({ score: 0 });

    const full = await scoreOf(task, 'Tokyo: heavy rain this weekend', f1);
    // expected tokens tokyo heavy rain weekend (4); answer tokyo heavy rain this weekend (5); 4 shared
    expect(full!.score).toBeCloseTo((2 * (4 / 5) * 1) / (4 / 5 + 1), 10);
    expect(full!.details).toEqual({ scoringMethod: 'f1', precision: 0.8, recall: 1 });
    expect((await scoreOf(task, 'sunny', f1))!.score).toBe(0);

    // An empty answer is a parse failure, not a scored answer.
    expect(task.parse('   ')).toEqual({ ok: false, reason: 'empty answer' });
    // A pool example is not scorable.
    expect(() => task.score('x', data.pool[0]!)).toThrow(/not a test case/);
  });

  it('label tasks record expected and predicted labels (for the per-label confusion)', async () => {
    const { task, data } = load(write('one.json', taskJson('cls_001')));
    const lost = data.items[0]!;
    expect(await scoreOf(task, 'shipping', lost)).toEqual({ score: 1, details: { scoringMethod: 'exact_match', expected: 'Shipping', predicted: 'Shipping' } });
    expect(await scoreOf(task, '- Billing', lost)).toEqual({ score: 0, details: { scoringMethod: 'exact_match', expected: 'Shipping', predicted: 'Billing' } });
    expect(await scoreOf(task, 'I think Shipping', lost)).toMatchObject({ score: 0, details: { predicted: '(unrecognized)' } });
  });

  it('normalization and token F1', () => {
    expect(normalizeAnswer('- Billing\n')).toBe('billing');
    expect(normalizeAnswer('1. ＢＩＬＬＩＮＧ')).toBe('billing');
    expect(tokenF1('a b b', 'b b c')).toEqual({ f1: 2 / 3, precision: 2 / 3, recall: 2 / 3 });
    expect(tokenF1('東京 雨', '東京は雨').recall).toBe(1);
    expect(tokenF1('', 'x').f1).toBe(0);
  });

  it('the local baseline copies the most similar shot; with no shots it answers nothing', async () => {
    const { task, data } = load(write('one.json', taskJson('cls_001')));
    const [lost, billed] = data.items as [TaskItem<AdaptGaugeItemData>, TaskItem<AdaptGaugeItemData>];
    expect(task.baseline(lost, data.pool)).toBe('Shipping');
    expect(task.baseline(billed, data.pool)).toBe('Billing');
    // No shot shares a word with the item: the tie goes to the earlier shot.
    expect(task.baseline(billed, data.pool.slice(2))).toBe('Technical');
    expect(task.baseline(billed, data.pool.slice(2).reverse())).toBe('Shipping');
    expect(task.baseline(lost, [])).toBe('');
    expect(task.parse(task.baseline(lost, []))).toEqual({ ok: false, reason: 'empty answer' });
    expect(await scoreOf(task, task.baseline(billed, data.pool), billed)).toMatchObject({ score: 1 });
    expect(task.baselineDescription).toMatch(/k = 0/);
  });
});

describe('llm_judge through a judge model (openai SDK against the fake server)', () => {
  const judgedTask = () =>
    taskJson('route_001', {
      test_cases: [
        { input: 'Plan: depot A, stops B and C.', expected_output: 'A -> B -> C', scoring_method: 'llm_judge', acceptable_variations: ['A -> C -> B'] },
        { input: 'Plan: depot X, stop Y.', expected_output: { must_visit: ['Y'], start: 'X' }, scoring_method: 'llm_judge' },
        { input: 'Which stop is first?', expected_output: 'B', scoring_method: 'exact_match' },
      ],
    });

  async function setup(judge: unknown = 'openai:gpt-4o-mini') {
    const s = await startOpenAIServer();
    servers.push(s);
    const options = adaptgaugeTaskSchema.parse({ type: 'adaptgauge', file: write('route.json', judgedTask()), judge });
    const { deps, model } = resolveAdaptGaugeJudge(options, { OPENAI_API_KEY: SENTINEL, OPENAI_BASE_URL: `${s.url}/v1` }, { sleep: async () => {} });
    // The task knows only that a judge answers; the runner's scorer holds it (no cache or budget here).
    expect(deps).toEqual({ judge: 'openai:gpt-4o-mini' });
    expect(model!.endpoint).toBe(`${s.url}/v1`);
    const scorer = new ModelScorer(new Map([['judge', model!]]), null, null);
    const task = createAdaptGaugeTask(options, 0, tmp, deps);
    return { s, task, scorer, data: task.load() };
  }

  it('sends a rubric prompt with the input, the reference and the answer; reads the score on the last line', async () => {
    const { s, task, scorer, data } = await setup();
    expect(data.items.map((i) => i.data.scoringMethod)).toEqual(['llm_judge', 'llm_judge', 'exact_match']);
    expect(data.notices).toEqual([]);
    s.queue({ kind: 'text', text: 'The route matches the reference except the order.\nScore: 7', tokensIn: 120, tokensOut: 9 });
    const scored = await scoreOf(task, 'A -> C -> B', data.items[0]!, scorer);
    expect(scored).toEqual({
      score: 0.7,
      details: { scoringMethod: 'llm_judge', judge: 'openai:gpt-4o-mini', judgeScore: 7, judgeTokensIn: 120, judgeTokensOut: 9 },
    });
    const req = s.requests[0]!;
    expect(req.model).toBe('gpt-4o-mini');
    expect(req.body.temperature).toBe(0);
    expect(req.headers.authorization).toBe(`Bearer ${SENTINEL}`);
    const prompt = req.body.messages[1].content as string;
    expect(req.body.messages[0].role).toBe('system');
    for (const part of [
      'Plan: depot A, stops B and C.',
      'Reference answer:\nA -> B -> C',
      'Also acceptable:\n- A -> C -> B',
      'Answer to grade:\nA -> C -> B',
      'from 0 to 10',
      'Reply with the category only.',
    ]) {
      expect(prompt).toContain(part);
    }
    expect(JSON.stringify(scored)).not.toContain(SENTINEL);

    // A rubric object goes to the judge as a rubric.
    s.queue({ kind: 'text', text: '10' });
    expect(await scoreOf(task, 'X -> Y', data.items[1]!, scorer)).toMatchObject({ score: 1 });
    expect(s.requests[1]!.body.messages[1].content).toContain('Rubric (the criteria a good answer meets):\n{\n  "must_visit"');

    // Exact items never call the judge.
    expect(await scoreOf(task, 'B', data.items[2]!, scorer)).toMatchObject({ score: 1 });
    expect(s.requests).toHaveLength(2);
  });

  it('one verdict per (item, answer): repeats and concurrent trials share one judge call', async () => {
    const { s, task, scorer, data } = await setup();
    s.queue({ kind: 'text', text: '4', delayMs: 50 });
    const results = await Promise.all([1, 2, 3].map(() => judgeOutcome(task, 'A -> B', data.items[0]!, scorer)));
    expect(results.map((r) => r!.status === 'scored' && r!.score.score)).toEqual([0.4, 0.4, 0.4]);
    // One trial paid for the call; the others reused its verdict.
    expect(results.map((r) => r!.status === 'scored' && r!.judge.cached)).toEqual([false, true, true]);
    expect(await scoreOf(task, 'A -> B', data.items[0]!, scorer)).toMatchObject({ score: 0.4 });
    expect(s.requests).toHaveLength(1);
  });

  it('an unreadable verdict or a failed judge call is a failure naming the judge (a failed measurement, not a 0)', async () => {
    const { s, task, scorer, data } = await setup({ id: 'openai:gpt-4o-mini', maxAttempts: 2, temperature: 1, maxOutputTokens: 64 });
    s.queue({ kind: 'text', text: 'I would say it is quite good, maybe 8 out of 10, but', tokensIn: 30, tokensOut: 12 });
    const unreadable = await judgeOutcome(task, 'A -> B', data.items[0]!, scorer);
    expect(unreadable).toMatchObject({ status: 'failed', judge: { provider: 'openai:gpt-4o-mini', tokensIn: 30, tokensOut: 12, cached: false, attempts: 1 } });
    expect(unreadable!.status === 'failed' && unreadable!.message).toMatch(/^judge openai:gpt-4o-mini: no 0-10 score on the verdict's last line: "I would say/);
    expect(s.requests[0]!.body).toMatchObject({ temperature: 1, max_completion_tokens: 64 });

    s.queue({ kind: 'status', status: 500 });
    const failed = await judgeOutcome(task, 'A -> B', data.items[0]!, scorer);
    expect(failed).toMatchObject({ status: 'failed', judge: { tokensIn: 0, tokensOut: 0, cached: false, attempts: 2 } });
    const message = failed!.status === 'failed' ? failed!.message : '';
    expect(message).toMatch(/^judge openai:gpt-4o-mini: \S/);
    expect(message).not.toMatch(/gpt-4o-mini: openai:/);
    expect(message).not.toContain(SENTINEL);
    expect(s.requests).toHaveLength(3);

    // A failure is not remembered: the next trial asks again.
    s.queue({ kind: 'text', text: '9' });
    expect(await scoreOf(task, 'A -> B', data.items[0]!, scorer)).toMatchObject({ score: 0.9 });
  });

  it('verdict parsing reads only the last line', () => {
    expect(parseVerdict('8')).toBe(8);
    expect(parseVerdict('Reasoning: covers 3 of 4 stops.\n\n**Score: 7/10**\n')).toBe(7);
    expect(parseVerdict('final score = 6.5')).toBe(6.5);
    expect(parseVerdict('10 out of 10')).toBe(10);
    expect(parseVerdict('Score: 9\nThat is my verdict.')).toBeNull();
    expect(parseVerdict('11')).toBeNull();
    expect(parseVerdict('')).toBeNull();
    const messages = judgeMessages({ instruction: 'I', input: 'In', expected: 'E', isRubric: false, acceptableVariations: [] }, 'Ans');
    expect(messages[1]!.content).not.toContain('Also acceptable');
  });
});

describe('experiment configuration', () => {
  it('the task schema: strict, judge as an id or an object, local refused as a judge', () => {
    expect(adaptgaugeTaskSchema.parse({ type: 'adaptgauge', file: 'p.json', judge: 'openai:gpt-4o-mini' })).toEqual({
      type: 'adaptgauge',
      file: 'p.json',
      judge: { id: 'openai:gpt-4o-mini' },
    });
    expect(
      adaptgaugeTaskSchema.parse({ type: 'adaptgauge', file: 'p.json', taskId: 't', judge: { id: 'google:gemini-2.5-flash', temperature: 1 } }).judge,
    ).toEqual({
      id: 'google:gemini-2.5-flash',
      temperature: 1,
    });
    expect(adaptgaugeTaskSchema.safeParse({ type: 'adaptgauge', file: 'p.json', judge: 'local' }).success).toBe(false);
    expect(adaptgaugeTaskSchema.safeParse({ type: 'adaptgauge', file: 'p.json', poolSize: 3 }).success).toBe(false);
    expect(adaptgaugeTaskSchema.safeParse({ type: 'adaptgauge' }).success).toBe(false);
  });

  it('experiments/adaptgauge.yaml runs the bundled copy of the classification pack, keyless with local', async () => {
    const path = join(REPO, 'experiments', 'adaptgauge.yaml');
    const config = parseYaml(readFileSync(path, 'utf8')) as Json;
    const options = adaptgaugeTaskSchema.parse(config.task);
    expect(config).toMatchObject({ shots: [0, 1, 2, 4], selectors: ['random', 'first'], repeats: 3, providers: ['local', { id: 'openai:gpt-4o-mini' }] });
    const task = createAdaptGaugeTask(options, 0, join(REPO, 'experiments'), resolveAdaptGaugeJudge(options, {}).deps);
    const data = task.load();
    expect(data.pool).toHaveLength(8);
    expect(data.items).toHaveLength(5);
    expect(data.distractors).toHaveLength(2);
    expect(data.notices).toEqual([]);
    expect(Math.max(...(config.shots as number[]))).toBeLessThanOrEqual(data.pool.length);
    expect(new Set(data.pool.map((p) => p.label)).size).toBe(8);
    // The keyless baseline answers every item, and scores are in [0, 1].
    for (const item of data.items) {
      const score = await scoreOf(task, task.baseline(item, data.pool.slice(0, 4)), item);
      expect(score!.score === 0 || score!.score === 1).toBe(true);
    }
    // Through the local provider, as a sweep calls it.
    const shots = data.pool.slice(0, 2);
    const local = new LocalProvider(localBaseline(task as unknown as Task));
    const answer = await local.complete({ messages: task.render(shots, data.items[0]!), subject: { item: data.items[0]!, shots } });
    expect(answer.text).toBe(task.baseline(data.items[0]!, shots));
    expect(answer.tokensIn).toBeGreaterThan(0);
    // The copy is unchanged from AdaptGauge's task file, and its licence travels with it.
    const copy = readFileSync(join(REPO, 'experiments', 'data', 'adaptgauge-classification.json'), 'utf8');
    expect(copy).toBe(readFileSync(join(PACKS, 'classification.json'), 'utf8'));
    expect(readFileSync(join(REPO, 'experiments', 'data', 'ADAPTGAUGE-LICENSE'), 'utf8')).toMatch(/MIT License[\s\S]*Copyright \(c\) 2026 Shuntaro Okuma/);
  });
});

describe('every AdaptGauge task file loads', () => {
  const packs: [string, string | undefined][] = [
    ['classification.json', undefined],
    ['code_fix.json', undefined],
    ['custom_route_001.json', undefined],
    ['sentiment_analysis.json', undefined],
    ['summarization.json', undefined],
    ['task_pack_core_demo.json', 'code_fix_001'],
    ['task_pack_english_small.json', 'classification_en_001'],
    ['task_pack_phase15.json', 'sentiment_analysis_001'],
  ];
  it.each(packs)('%s %s', (file, taskId) => {
    const isRoute = file === 'custom_route_001.json';
    const options = { type: 'adaptgauge' as const, file, ...(taskId !== undefined && { taskId }) };
    if (isRoute) {
      // Every case is llm_judge: without a judge nothing is left, and the error says why.
      expect(() => createAdaptGaugeTask(options, 0, PACKS, {}).load()).toThrow(/llm_judge items skipped: name a judge provider/);
      return;
    }
    const data = createAdaptGaugeTask(options, 0, PACKS, {}).load();
    expect(data.pool.length).toBeGreaterThanOrEqual(4);
    expect(data.items.length).toBeGreaterThanOrEqual(3);
    expect(data.distractors!.length).toBeGreaterThan(0);
    expect(data.notices).toEqual([]);
  });

  it('the multi-task packs need a taskId, and the error lists them', () => {
    expect(() => createAdaptGaugeTask({ type: 'adaptgauge', file: 'task_pack_phase15.json' }, 0, PACKS, {}).load()).toThrow(
      /the pack holds 5 tasks \(classification_001, summarization_001, code_fix_001, custom_route_001, sentiment_analysis_001\)/,
    );
  });
});
