/**
 * The `classify` task: label a text with one of a fixed set of labels, from a dataset file.
 *
 * Prompt: the system turn holds the instruction, the label list and "Answer with the label only.";
 * each shot is a user turn (the input) and an assistant turn (its label); then the item's input.
 * An experiment's `prompts:` replaces this with its template files (./templates.ts).
 *
 * Reading an answer (parseLabel): markdown, quotes, surrounding punctuation and a leading
 * "Label:" / "Category:" / "Answer:" (and "The category is ...") are stripped; labels compare
 * without case and with spaces, "_" and "-" alike. The first line that IS a label wins; failing
 * that, the first line that mentions exactly one label (as whole words) wins. A line naming two
 * labels is ambiguous and an answer naming none is unknown: both are parse failures, counted apart
 * from wrong answers.
 *
 * Score: 1 when the label is the item's, else 0; details { expected, predicted } feed the
 * confusion matrix. The `local` baseline is a kNN vote over the prompt's shots (./knn.ts).
 */
import { labelKey } from '../config/dataset-schema.js';
import { loadDataset, type DataFileSpec, type DataRecord, type DatasetSpec, type SplitSpec } from './dataset.js';
import { TaskDataError } from './errors.js';
import { KNN_NEIGHBOURS, knnLabel } from './knn.js';
import { templateRecord, type PromptTemplates, type TemplateRecord } from './templates.js';
import type { ChatMessage, ExactTask, ParseResult, ScoreResult, TaskData, TaskItem } from './task.js';

export const CLASSIFY_TASK_TYPE = 'classify';

export interface ClassifyOptions extends DatasetSpec {
  data?: DataFileSpec;
  split?: SplitSpec;
  pool?: DataFileSpec;
  eval?: DataFileSpec;
  /** The label list, in order; default: the data's labels, sorted. */
  labels?: string[];
  instruction?: string;
}

/** What an item carries: its input, its label, and where it came from (`file:line`). */
export interface ClassifyItemData {
  input: string;
  label: string;
  source: string;
  /** The record's columns, for prompt templates. */
  columns?: Record<string, unknown>;
}

export const CLASSIFY_BASELINE_DESCRIPTION =
  `kNN over the prompt's shots: the ${KNN_NEIGHBOURS} shots most similar to the item (TF-IDF cosine of words) vote, weighted by similarity; ` +
  'at k = 0 the local learner can only guess (the first label of the list)';

export function createClassifyTask(options: ClassifyOptions, seed: number, baseDir: string, templates?: PromptTemplates): ExactTask<ClassifyItemData, string> {
  let loaded: { data: TaskData<ClassifyItemData>; labels: string[] } | null = null;
  const load = () => (loaded ??= loadClassify(options, seed, baseDir));
  const labels = () => load().labels;
  return {
    type: CLASSIFY_TASK_TYPE,
    load: () => load().data,
    render: (shots, item) =>
      templates
        ? templates.render(shots.map(classifyRecord), classifyRecord(item), { labels: labels() })
        : renderClassify(systemPrompt(options.instruction, labels()), shots, item),
    parse: (text) => parseLabel(text, labels()),
    score: (answer, item) => scoreLabel(answer, item.data.label),
    baseline: (item, shots) =>
      knnLabel(
        item.text,
        shots.map((s) => ({ text: s.text, label: s.data.label })),
        labels(),
      ),
    baselineDescription: CLASSIFY_BASELINE_DESCRIPTION,
    measures: [],
    ...(templates ? { templateFiles: templates.files } : {}),
  };
}

function classifyRecord(item: TaskItem<ClassifyItemData>): TemplateRecord {
  return templateRecord(item.data.columns ?? {}, { id: item.id, input: item.data.input, label: item.data.label }, item.data.label);
}

function loadClassify(options: ClassifyOptions, seed: number, baseDir: string): { data: TaskData<ClassifyItemData>; labels: string[] } {
  const dataset = loadDataset(options, seed, baseDir);
  const records = [...dataset.pool, ...dataset.items];
  const labels = options.labels ?? inferLabels(records);
  const known = new Map(labels.map((l) => [labelKey(l), l]));
  const toItem = (r: DataRecord): TaskItem<ClassifyItemData> => {
    // A label written in another case or with "_" for " " is the listed label (the prompt shows that form).
    const label = known.get(labelKey(r.label!));
    if (label === undefined) {
      throw new TaskDataError(r.file, r.line, `label ${JSON.stringify(r.label)} is not one of the task's labels: ${labels.join(', ')}`);
    }
    return { id: r.id, text: r.input, label, data: { input: r.input, label, source: `${r.file}:${r.line}`, columns: r.columns ?? {} } };
  };
  const pool = dataset.pool.map(toItem);
  const items = dataset.items.map(toItem);
  const notices = [...dataset.notices];
  const unseen = labels.filter((l) => !pool.some((p) => p.label === l));
  if (unseen.length > 0) notices.push(`classify: no pool example has the label(s) ${unseen.join(', ')}; shots can never show them`);
  return { data: { pool, items, notices }, labels };
}

/** The data's labels, sorted; labels equal up to case, spaces, "_" and "-" are one (the first spelling met). */
function inferLabels(records: readonly DataRecord[]): string[] {
  const byKey = new Map<string, string>();
  for (const r of records) if (!byKey.has(labelKey(r.label!))) byKey.set(labelKey(r.label!), r.label!);
  const labels = [...byKey.values()].sort();
  if (labels.length < 2) {
    const first = records[0];
    throw new TaskDataError(
      first?.file ?? 'dataset',
      null,
      `a classification needs at least two labels; the data has ${labels.length === 0 ? 'none' : `only ${JSON.stringify(labels[0])}`}`,
    );
  }
  return labels;
}

export function defaultInstruction(labels: readonly string[]): string {
  return `Classify the text into exactly one of these labels: ${labels.join(', ')}.`;
}

export function systemPrompt(instruction: string | undefined, labels: readonly string[]): string {
  return `${instruction ?? defaultInstruction(labels)}\n\nLabels:\n${labels.map((l) => `- ${l}`).join('\n')}\n\nAnswer with the label only.`;
}

export function renderClassify(system: string, shots: readonly TaskItem<ClassifyItemData>[], item: TaskItem<ClassifyItemData>): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: system }];
  for (const shot of shots) {
    messages.push({ role: 'user', content: shot.data.input }, { role: 'assistant', content: shot.data.label });
  }
  messages.push({ role: 'user', content: item.data.input });
  return messages;
}

const LEAD_IN = /^(?:(?:final|predicted|my)\s+)?(?:label|category|class|classification|answer|intent|topic)\s*(?:is\b\s*:?|:|=|[-–—](?=\s))\s*/i;
const SENTENCE_LEAD_IN =
  /^(?:(?:so|therefore|thus|i think|i would say)\s*,?\s*)?the\s+(?:label|category|class|classification|answer|intent|topic)\s+(?:is|would be|should be)\b\s*:?\s*/i;
const EDGES = /^[\s"'“”‘’«»()[\]{}<>.,:;!?_~-]+|[\s"'“”‘’«»()[\]{}<>.,:;!?_~-]+$/g;

/** A line without markdown, quotes and surrounding punctuation. */
function stripLine(line: string): string {
  return line
    .replace(/[*`]/g, '')
    .replace(/^\s*#+\s*/, '')
    .replace(/^\s*(?:[-+>•]|\d+[.)])\s+/, '')
    .replace(EDGES, '')
    .trim();
}

/** A stripped line without a "Label:"-style lead-in ("Category: x", "The answer is x"). */
export function cleanAnswerLine(line: string): string {
  const stripped = stripLine(line);
  return stripped.replace(SENTENCE_LEAD_IN, '').replace(LEAD_IN, '').replace(EDGES, '').trim();
}

/** The listed label an answer names (see the module comment for the rules). */
export function parseLabel(text: string, labels: readonly string[]): ParseResult<string> {
  const byKey = new Map(labels.map((l) => [labelKey(l), l]));
  const lines = text
    .split(/\r?\n/)
    .map((raw) => ({ stripped: stripLine(raw), cleaned: cleanAnswerLine(raw) }))
    .filter((l) => l.stripped !== '');
  if (lines.length === 0) return { ok: false, reason: 'empty answer' };

  // A line that is a label, with or without its lead-in (a label may itself start like one).
  for (const { stripped, cleaned } of lines) {
    const exact = byKey.get(labelKey(stripped)) ?? byKey.get(labelKey(cleaned));
    if (exact !== undefined) return { ok: true, answer: exact };
  }
  for (const { stripped } of lines) {
    const mentioned = mentionedLabels(stripped, labels);
    if (mentioned.length === 1) return { ok: true, answer: mentioned[0]! };
    if (mentioned.length > 1) return { ok: false, reason: `ambiguous answer: names ${mentioned.join(' and ')}` };
  }
  const first = lines[0]!.stripped;
  const shown = first.length > 60 ? `${first.slice(0, 57)}...` : first;
  return { ok: false, reason: `unknown label "${shown}" (expected one of ${labels.join(', ')})` };
}

/** Labels a line names as whole words, in the label list's order. */
function mentionedLabels(line: string, labels: readonly string[]): string[] {
  const words = ` ${wordsOf(line)} `;
  return labels.filter((l) => {
    const key = wordsOf(l);
    return key !== '' && words.includes(` ${key} `);
  });
}

function wordsOf(text: string): string {
  return labelKey(text)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export function scoreLabel(predicted: string, expected: string): ScoreResult {
  return { score: predicted === expected ? 1 : 0, details: { expected, predicted } };
}
