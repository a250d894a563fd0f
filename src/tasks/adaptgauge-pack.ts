/**
 * AdaptGauge task packs as a fewshot task (`task: { type: adaptgauge, file, taskId?, judge? }`).
 *
 * The task's examples are the shot pool, its test cases the evaluation items, its distractors the
 * off-task examples of the distractor arm. The prompt is chat-shaped: the task's instruction as the
 * system prompt, each shot a user/assistant pair, the item a user turn; an experiment's `prompts:`
 * replaces it with its template files (./templates.ts; variables in adaptgaugeRecord and
 * createAdaptGaugeTask's render). Each item is scored by its
 * own test case's method: exact_match and contains 0/1 on normalized text, f1 graded, llm_judge by
 * a judge model (score = verdict / 10).
 */
import type { AdaptGaugeTaskConfig } from '../config/adaptgauge-schema.js';
import { sha256 } from '../util/hash.js';
import { TaskDataError } from './errors.js';
import { readAdaptGaugeTask, type PackTask, type ScoringMethod } from './adaptgauge-file.js';
import { judgeCall, type AdaptGaugeDeps } from './adaptgauge-judge.js';
import { containsExpected, exactMatch, jaccard, normalizeAnswer, tokenF1 } from './adaptgauge-score.js';
import { excludeLeaks } from './leakage.js';
import type { ParseResult, Scoring, Task, TaskData, TaskItem, TaskMeasure } from './task.js';
import type { PromptTemplates, TemplateRecord } from './templates.js';

export { SCORING_METHODS, parseAdaptGaugeTask, readAdaptGaugeTask } from './adaptgauge-file.js';
export type { PackExample, PackTask, PackTestCase, ScoringMethod } from './adaptgauge-file.js';
export { judgeCall, judgeMessages, parseVerdict, JUDGE_SYSTEM_PROMPT } from './adaptgauge-judge.js';
export type { AdaptGaugeDeps, JudgeCase } from './adaptgauge-judge.js';
export { containsExpected, exactMatch, jaccard, normalizeAnswer, tokenF1, tokens } from './adaptgauge-score.js';

export const ADAPTGAUGE_TASK_TYPE = 'adaptgauge';

/** What one pool example, distractor or evaluation item carries. */
export interface AdaptGaugeItemData {
  role: 'example' | 'distractor' | 'test';
  input: string;
  /** An example's output; a test case's expected output (a rubric's JSON for rubric cases). */
  output: string;
  /** Test cases only. */
  scoringMethod?: ScoringMethod;
  /** Test cases only: graded by the judge against this rubric rather than against `output` as an answer. */
  isRubric?: boolean;
  /** Test cases only: other phrasings the judge accepts. */
  acceptableVariations?: string[];
}

export type AdaptGaugeAnswer = string;

/** Labels only for classification-like tasks: every case exact_match over a small set of short outputs. */
const MAX_LABELS = 20;
const MAX_LABEL_LENGTH = 40;

export const ADAPTGAUGE_BASELINE_DESCRIPTION =
  "answers with the output of the shot whose input shares the most words with the item's (Jaccard); " +
  'with no shots (k = 0) it answers nothing, an empty answer that counts as a parse failure';

/**
 * Builds the task. Nothing is read until load() (errors are TaskDataError: file and line, exit 2).
 * `baseDir` is the experiment file's folder, against which `options.file` is resolved.
 * llm_judge cases are scored by a judge call the runner makes (judgeCall); without a judge (`deps.judge`)
 * those cases are left out with a notice. With `templates` (an experiment's `prompts:` entry) the
 * prompt is written by the template files; parsing and scoring are the same.
 */
export function createAdaptGaugeTask(
  options: AdaptGaugeTaskConfig,
  _seed: number,
  baseDir: string,
  deps: AdaptGaugeDeps = {},
  templates?: PromptTemplates,
): Task<AdaptGaugeItemData, AdaptGaugeAnswer> {
  const judged = Boolean(deps.judge);
  // Read once: the file does not change during a sweep, and every caller sees the same items.
  let pack: PackTask | null = null;
  let loaded: TaskData<AdaptGaugeItemData> | null = null;
  let labelIndexCache: Map<string, string> | null = null;
  const readPack = () => (pack ??= readAdaptGaugeTask(options.file, baseDir, options.taskId));
  const load = () => (loaded ??= assemble(readPack(), deps));
  const instruction = () => readPack().instruction;
  /** The task's labels by normalized form (an answer in another case or with markdown still names its label). */
  const labelsOf = () => (labelIndexCache ??= labelIndex(load()));
  // Task-wide template variables (the same in every template of the prompt).
  let globals: Record<string, unknown> | null = null;
  const templateGlobals = () => (globals ??= { instruction: instruction(), taskId: readPack().taskId, labels: [...labelsOf().values()].sort() });

  return {
    type: ADAPTGAUGE_TASK_TYPE,
    load,
    render: (shots, item) =>
      templates
        ? templates.render(shots.map(adaptgaugeRecord), adaptgaugeRecord(item), templateGlobals())
        : [
            { role: 'system', content: instruction() },
            ...shots.flatMap((shot) => [
              { role: 'user' as const, content: shot.data.input },
              { role: 'assistant' as const, content: shot.data.output },
            ]),
            { role: 'user', content: item.data.input },
          ],
    parse: parseAnswer,
    score: (answer, item): Scoring => {
      const data = item.data;
      switch (data.scoringMethod) {
        case 'exact_match': {
          const ok = exactMatch(data.output, answer);
          // Label tasks also record expected and predicted labels, for the per-label confusion.
          if (item.label !== undefined) {
            const predicted = labelsOf().get(normalizeAnswer(answer)) ?? UNRECOGNIZED_LABEL;
            return { score: ok ? 1 : 0, details: { scoringMethod: 'exact_match', expected: item.label, predicted } };
          }
          return { score: ok ? 1 : 0, details: { scoringMethod: 'exact_match' } };
        }
        case 'contains': {
          const ok = containsExpected(data.output, answer);
          return { score: ok ? 1 : 0, details: { scoringMethod: 'contains' } };
        }
        case 'f1': {
          const { f1, precision, recall } = tokenF1(data.output, answer);
          return { score: f1, details: { scoringMethod: 'f1', precision: round(precision), recall: round(recall) } };
        }
        case 'llm_judge': {
          if (!judged) throw new Error(`adaptgauge: item ${item.id} needs a judge, but none is configured (it should have been left out at load)`);
          return judgeCall(
            {
              instruction: instruction(),
              input: data.input,
              expected: data.output,
              isRubric: data.isRubric ?? false,
              acceptableVariations: data.acceptableVariations ?? [],
            },
            answer,
            options.judge,
          );
        }
        default:
          throw new Error(`adaptgauge: ${item.id} is not a test case (it has no scoring method)`);
      }
    },
    baseline: (item, shots) => baselineAnswer(item, shots),
    baselineDescription: ADAPTGAUGE_BASELINE_DESCRIPTION,
    measures: ADAPTGAUGE_MEASURES,
    ...(templates ? { templateFiles: templates.files } : {}),
  };
}

/** A shot's or an item's template variables: `id`, `input`, `output` (a test case's expected output); the assistant turn of a shot is its output. */
function adaptgaugeRecord(item: TaskItem<AdaptGaugeItemData>): TemplateRecord {
  return { vars: { id: item.id, input: item.data.input, output: item.data.output }, answer: item.data.output };
}

/** The `predicted` label of an exact_match answer that names none of the task's labels. */
export const UNRECOGNIZED_LABEL = '(unrecognized)';

function labelIndex(data: TaskData<AdaptGaugeItemData>): Map<string, string> {
  const index = new Map<string, string>();
  for (const x of [...data.pool, ...data.items]) {
    if (x.label !== undefined && !index.has(normalizeAnswer(x.label))) index.set(normalizeAnswer(x.label), x.label);
  }
  return index;
}

/** Scores are the only quality measure: f1 is already graded, and precision/recall sit in the details. */
export const ADAPTGAUGE_MEASURES: readonly TaskMeasure[] = [];

/** The answer is the model's whole text (normalized when scored); an empty answer is a parse failure. */
export function parseAnswer(text: string): ParseResult<AdaptGaugeAnswer> {
  return text.trim() === '' ? { ok: false, reason: 'empty answer' } : { ok: true, answer: text.trim() };
}

/**
 * The keyless reference answer: the output of the shot whose input is most like the item's
 * (token-set Jaccard; ties go to the earlier shot). With no shots there is nothing to copy: ''.
 */
export function baselineAnswer(item: TaskItem<AdaptGaugeItemData>, shots: readonly TaskItem<AdaptGaugeItemData>[]): string {
  let best: TaskItem<AdaptGaugeItemData> | null = null;
  let bestSimilarity = -1;
  for (const shot of shots) {
    const similarity = jaccard(item.data.input, shot.data.input);
    if (similarity > bestSimilarity) {
      best = shot;
      bestSimilarity = similarity;
    }
  }
  return best ? best.data.output : '';
}

/** A test case's id: the same formula as the AdaptGauge importer's (task id + hash of input and expected output), so imported and swept runs of one pack share item ids. */
export function testCaseId(taskId: string, input: string, expected: string): string {
  return `${taskId}:${sha256(`${input}\u0000${expected}`).slice(0, 12)}`;
}

/** Turns the pack's task into pool, items and distractors, applying the leakage guard and the judge rule. */
export function assemble(task: PackTask, deps: AdaptGaugeDeps = {}): TaskData<AdaptGaugeItemData> {
  const notices: string[] = [];
  const labelled = isLabelTask(task);
  const pool: TaskItem<AdaptGaugeItemData>[] = task.examples.map((ex, i) => ({
    id: `${task.taskId}:example-${i + 1}`,
    text: ex.input,
    data: { role: 'example', input: ex.input, output: ex.output },
    ...(labelled && { label: ex.output.trim() }),
  }));
  const distractors: TaskItem<AdaptGaugeItemData>[] = task.distractors.map((d, i) => ({
    id: `${task.taskId}:distractor-${i + 1}`,
    text: d.input,
    data: { role: 'distractor', input: d.input, output: d.output },
  }));

  let items: TaskItem<AdaptGaugeItemData>[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  for (const tc of task.testCases) {
    const id = testCaseId(task.taskId, tc.input, tc.expected);
    if (seen.has(id)) {
      duplicates++;
      continue;
    }
    seen.add(id);
    items.push({
      id,
      text: tc.input,
      data: {
        role: 'test',
        input: tc.input,
        output: tc.expected,
        scoringMethod: tc.scoringMethod,
        ...(tc.rubric !== null && { isRubric: true }),
        ...(tc.acceptableVariations.length > 0 && { acceptableVariations: tc.acceptableVariations }),
      },
      ...(labelled && { label: tc.expected.trim() }),
    });
  }
  if (duplicates > 0) notices.push(`${task.taskId}: ${duplicates} duplicate test case${duplicates === 1 ? '' : 's'} (same input and expected output) left out`);

  // A test case that is also an example (or a distractor) could be shown as its own answer.
  const { items: clean, refused } = excludeLeaks([...pool, ...distractors], items);
  if (refused.length > 0) {
    notices.push(
      `${task.taskId}: ${refused.length} test case${refused.length === 1 ? '' : 's'} refused by the leakage guard: ${refused.map((r) => `${r.id} (${r.reason})`).join('; ')}`,
    );
  }
  items = clean;

  if (!deps.judge) {
    const judged = items.filter((item) => item.data.scoringMethod === 'llm_judge').length;
    if (judged > 0) {
      items = items.filter((item) => item.data.scoringMethod !== 'llm_judge');
      const why = deps.judgeUnavailable ? `${deps.judgeUnavailable}` : 'name a judge provider under task.judge (e.g. judge: openai:gpt-4o-mini)';
      notices.push(`${task.taskId}: ${judged} llm_judge item${judged === 1 ? '' : 's'} skipped: ${why}`);
    }
  }

  if (items.length === 0) {
    throw new TaskDataError(task.file, task.testCasesLine, `task ${task.taskId}: no test case is left to evaluate (${notices.join('; ') || 'none given'})`);
  }
  return { pool, items, distractors, notices };
}

/**
 * A classification-like task: every test case is exact_match and the example outputs are a small
 * set of short, one-line answers. Its outputs become labels, so label-balanced selection works.
 */
export function isLabelTask(task: PackTask): boolean {
  if (!task.testCases.every((tc) => tc.scoringMethod === 'exact_match')) return false;
  const outputs = [...task.examples.map((e) => e.output), ...task.testCases.map((tc) => tc.expected)];
  if (!outputs.every((o) => o.trim() !== '' && o.trim().length <= MAX_LABEL_LENGTH && !/\n/.test(o.trim()))) return false;
  return new Set(outputs.map(normalizeAnswer)).size <= MAX_LABELS;
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
