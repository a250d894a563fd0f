/**
 * The `generate` task: free-text answers from a dataset file, scored against each item's expected
 * output by one of the methods of ./scoring.ts (exact, contains, regex, f1, json), or graded by a
 * judge model with the experiment's rubric (method judge, ./rubric-judge.ts: a ModelCall the runner makes).
 *
 * Prompt: a system turn (the instruction, or a default asking for the answer only; a JSON object
 * only for method json); each shot is a user turn (the input) and an assistant turn (its output);
 * then the item's input. An experiment's `prompts:` replaces this with its template files (./templates.ts).
 *
 * Reading an answer: any non-blank text is an answer (trimmed). For method json the answer must
 * contain a JSON object (otherwise a parse failure); the answer recorded is that object, as JSON.
 *
 * Checked when loading (TaskDataError with file:line): for method regex without a pattern, every
 * evaluation item's output must compile as a regular expression; for method json, every
 * evaluation item's output must be a JSON object that has the listed fields.
 *
 * The `local` baseline copies the output of the most similar shot (./knn.ts); at k = 0 there is
 * no shot to copy, so its answer is empty and counts as an 'empty' failure.
 */
import { judgeScoringOf, type JudgeScoringConfig } from '../config/judge-scoring-schema.js';
import { getPath, loadDataset, type DataFileSpec, type DataRecord, type DatasetSpec, type SplitSpec } from './dataset.js';
import { TaskDataError, TemplateError } from './errors.js';
import { nearestOutput } from './knn.js';
import { buildRegex, extractJsonObject, jsonFields, scoreOutput, scoringMeasures, type ScoringSpec } from './scoring.js';
import { templateRecord, type PromptTemplates, type TemplateRecord } from './templates.js';
import { loadRubricJudge, type RubricJudge, type RubricSubject } from './rubric-judge.js';
import type { ChatMessage, ParseResult, Task, TaskData, TaskItem } from './task.js';

export const GENERATE_TASK_TYPE = 'generate';

export interface GenerateOptions extends DatasetSpec {
  data?: DataFileSpec;
  split?: SplitSpec;
  pool?: DataFileSpec;
  eval?: DataFileSpec;
  instruction?: string;
  /** A method of ./scoring.ts, or method judge: a model grades each answer by a rubric (./rubric-judge.ts). */
  scoring: ScoringSpec | JudgeScoringInput;
}

/** `scoring` with method judge as the experiment schema reads it (config/judge-scoring-schema.ts). */
export type JudgeScoringInput = Omit<ScoringSpec, 'method'> & { method: 'judge' } & Partial<Omit<JudgeScoringConfig, 'method' | 'scale'>> & { scale?: string };

export interface GenerateItemData {
  input: string;
  output: string;
  /** `file:line` of the record. */
  source: string;
  /** The record's columns, for prompt templates. */
  columns?: Record<string, unknown>;
}

export const GENERATE_BASELINE_DESCRIPTION =
  "nearest shot: the output of the prompt's shot most similar to the item (TF-IDF cosine of words); at k = 0 there is no shot to copy and the answer is empty";

export function defaultGenerateInstruction(method: GenerateOptions['scoring']['method']): string {
  return method === 'json'
    ? 'Answer with a single JSON object only, with no explanation and no code fence.'
    : 'Answer with the answer only, with no explanation.';
}

export function createGenerateTask(options: GenerateOptions, seed: number, baseDir: string, templates?: PromptTemplates): Task<GenerateItemData, string> {
  let loaded: TaskData<GenerateItemData> | null = null;
  const scoring = options.scoring;
  // Method judge: the rubric is read now (a missing file stops here), and rendered for every item when loading.
  const judge = scoring.method === 'judge' ? loadRubricJudge(judgeScoringOf(scoring)!, baseDir) : null;
  const system = options.instruction ?? defaultGenerateInstruction(scoring.method);
  return {
    type: GENERATE_TASK_TYPE,
    load: () => (loaded ??= checkRubric(loadGenerate(options, seed, baseDir), judge)),
    render: (shots, item) => (templates ? templates.render(shots.map(generateRecord), generateRecord(item), {}) : renderGenerate(system, shots, item)),
    parse: (text) => parseGenerated(text, scoring.method),
    score: (answer, item) => (scoring.method === 'judge' ? judge!.call(judgeSubject(item, answer)) : scoreOutput(answer, item.data.output, scoring)),
    baseline: (item, shots) =>
      nearestOutput(
        item.text,
        shots.map((s) => ({ text: s.text, output: s.data.output })),
      ),
    baselineDescription: GENERATE_BASELINE_DESCRIPTION,
    measures: scoring.method === 'judge' ? [] : scoringMeasures(scoring.method),
    ...(templates ? { templateFiles: templates.files } : {}),
    ...(judge ? { scoringFiles: [judge.file] } : {}),
  };
}

/** What the rubric reads about an item's answer: the item's columns, its input and expected output, and the reply. */
function judgeSubject(item: TaskItem<GenerateItemData>, reply: string): RubricSubject {
  return { columns: item.data.columns ?? {}, id: item.id, input: item.data.input, expected: item.data.output, reply };
}

/** The rubric rendered for every evaluation item (with an empty reply): an unknown variable stops before any call, naming the item. */
function checkRubric(data: TaskData<GenerateItemData>, judge: RubricJudge | null): TaskData<GenerateItemData> {
  if (judge === null) return data;
  for (const item of data.items) {
    try {
      judge.render(judgeSubject(item, ''));
    } catch (e) {
      if (e instanceof TemplateError) throw new TemplateError(e.file, e.line!, e.column, `${e.reason} (rendering the rubric for ${item.data.source})`);
      throw e;
    }
  }
  return data;
}

function generateRecord(item: TaskItem<GenerateItemData>): TemplateRecord {
  return templateRecord(item.data.columns ?? {}, { id: item.id, input: item.data.input, output: item.data.output }, item.data.output);
}

function loadGenerate(options: GenerateOptions, seed: number, baseDir: string): TaskData<GenerateItemData> {
  const dataset = loadDataset(options, seed, baseDir);
  for (const record of dataset.items) checkExpected(record, options.scoring);
  const toItem = (r: DataRecord): TaskItem<GenerateItemData> => ({
    id: r.id,
    text: r.input,
    data: { input: r.input, output: r.output!, source: `${r.file}:${r.line}`, columns: r.columns ?? {} },
  });
  return { pool: dataset.pool.map(toItem), items: dataset.items.map(toItem), notices: dataset.notices };
}

/** An evaluation item's output must be usable by the scoring method. */
function checkExpected(record: DataRecord, scoring: GenerateOptions['scoring']): void {
  const output = record.output!;
  if (scoring.method === 'regex' && scoring.pattern === undefined) {
    try {
      buildRegex(output, undefined, scoring.caseSensitive ?? false);
    } catch (e) {
      throw new TaskDataError(
        record.file,
        record.line,
        `output is not a valid regular expression (scoring: regex without a pattern reads it as one): ${(e as Error).message}`,
      );
    }
  }
  if (scoring.method === 'json') {
    let value: unknown;
    try {
      value = JSON.parse(output);
    } catch {
      value = undefined;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new TaskDataError(record.file, record.line, 'output is not a JSON object (scoring: json compares its fields)');
    }
    const expected = value as Record<string, unknown>;
    const fields = jsonFields(expected, scoring.fields);
    if (fields.length === 0) throw new TaskDataError(record.file, record.line, 'output is an empty JSON object: there is no field to compare');
    const missing = fields.filter((f) => getPath(expected, f) === undefined);
    if (missing.length > 0) {
      throw new TaskDataError(record.file, record.line, `output has no field ${missing.join(', ')} (listed in scoring.fields)`);
    }
  }
}

export function renderGenerate(system: string, shots: readonly TaskItem<GenerateItemData>[], item: TaskItem<GenerateItemData>): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: system }];
  for (const shot of shots) messages.push({ role: 'user', content: shot.data.input }, { role: 'assistant', content: shot.data.output });
  messages.push({ role: 'user', content: item.data.input });
  return messages;
}

export function parseGenerated(text: string, method: GenerateOptions['scoring']['method']): ParseResult<string> {
  const answer = text.trim();
  if (answer === '') return { ok: false, reason: 'empty answer' };
  if (method !== 'json') return { ok: true, answer };
  const object = extractJsonObject(answer);
  return object === null ? { ok: false, reason: 'no JSON object in the answer' } : { ok: true, answer: JSON.stringify(object) };
}
