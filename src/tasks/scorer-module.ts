/**
 * Scorers of your own: `scoring: { module: ./scorers/refund.mjs }` on the `classify` and `generate`
 * tasks (docs/experiments.md, "Scorers of your own"; the schema is config/scorer-schema.ts).
 *
 * The module is a JavaScript file (.mjs, .js, .cjs; TypeScript only where Node imports it itself,
 * never on Node 20), imported once with `import()` of its file URL. Its function (the `export`
 * named in the experiment; by default the default export when it is a function, else the export
 * named `score`) is called once per answered trial with a ScorerContext and returns a score in
 * [0, 1], or `{ score, details }`, or a promise of either.
 *
 * Tasks stay synchronous and free of I/O: a task wrapped here scores an answer by returning a
 * ModuleScoring (`kind: 'needs-module'`), which the runner awaits within `timeoutMs`
 * (settleModuleScoring). A throw, a rejection, a timeout, a score that is not a finite number in
 * [0, 1], or details that are not numbers, booleans, strings or null is a *scorer failure*: the
 * trial records its message (`scorerError`) and the outcome `scorer_failure`; it is never a crash.
 *
 * Before any call (validate and sweep, through Task.prepare): a missing file, a module that does not
 * load, or a missing export is a TaskDataError naming the file (exit 2); the scorer is then tried on
 * the first evaluation item with its own expected output as the reply: a failure there is an error
 * too (exit 2), and a score other than 1 is a notice.
 *
 * A timeout stops waiting, not the scorer: JavaScript cannot cancel a function, so a scorer that
 * loops forever without awaiting blocks the process, and one that resolves late is ignored.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { scorerExtensionProblem, type ModuleScoringConfig } from '../config/scorer-schema.js';
import type { ClassifyItemData } from './classify.js';
import { sha256 } from '../util/hash.js';
import { TaskDataError } from './errors.js';
import type { GenerateItemData } from './generate.js';
import {
  isModelCall,
  isModuleScoring,
  type ModuleScoring,
  type ScoreContext,
  type ScoreDetails,
  type ScoreResult,
  type Task,
  type TaskItem,
  type TemplateFile,
} from './task.js';

/** What the scorer's function is called with (documented in docs/experiments.md; a fresh copy per call). */
export interface ScorerContext {
  /** The task type: `classify` or `generate`. */
  task: string;
  /** The item's id (`fields.id`, or `file:line`). */
  id: string;
  /** The item's whole record as read from the data file: a JSONL object's top-level fields, or a CSV row's columns (strings). */
  item: Record<string, unknown>;
  /** The item's input (`fields.input`). */
  input: string;
  /** What a right answer is: the item's label (classify) or expected output (generate). */
  expected: string;
  /** The model's raw reply text. */
  reply: string;
  /** The parsed answer: the label the reply names (classify), or the trimmed reply (generate). */
  answer: string;
  /** The number of shots in the prompt. */
  k: number;
  /** The ids of the shots shown, in prompt order (empty at k = 0). */
  shots: string[];
}

type ScorerFunction = (ctx: ScorerContext) => unknown;

/** What a scorer sees of one item of a task. */
export interface ScorerItemView {
  record: Record<string, unknown>;
  input: string;
  expected: string;
}

export const classifyScorerView = (item: TaskItem<ClassifyItemData>): ScorerItemView => ({
  record: item.data.columns ?? {},
  input: item.data.input,
  expected: item.data.label,
});

export const generateScorerView = (item: TaskItem<GenerateItemData>): ScorerItemView => ({
  record: item.data.columns ?? {},
  input: item.data.input,
  expected: item.data.output,
});

/** Why a scorer's call did not give a score: the message a trial records as `scorerError`. */
export class ScorerFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScorerFailure';
  }
}

/** A scorer module: its file checked when created, imported once on first use (or by Task.prepare). */
export class ScorerModule {
  /** Absolute path of the file. */
  readonly path: string;
  /** The module as the experiment names it. */
  readonly name: string;
  readonly timeoutMs: number;
  /** The module file as the fingerprint records it (path as written, sha256 of the content when created). */
  readonly file: TemplateFile;
  private readonly exportName: string | undefined;
  private loading: Promise<ScorerFunction> | null = null;

  constructor(config: ModuleScoringConfig, baseDir: string) {
    this.name = config.module;
    this.path = resolve(baseDir, config.module);
    this.timeoutMs = config.timeoutMs;
    this.exportName = config.export;
    const problem = scorerExtensionProblem(config.module);
    if (problem !== null) throw new TaskDataError(this.path, null, `task.scoring.module: ${problem}`);
    let isFile: boolean;
    try {
      isFile = statSync(this.path).isFile();
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      throw new TaskDataError(
        this.path,
        null,
        `cannot read the scorer module (task.scoring.module): ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
      );
    }
    if (!isFile) throw new TaskDataError(this.path, null, 'cannot read the scorer module (task.scoring.module): is a folder, not a file');
    this.file = { name: config.module, sha256: sha256(readFileSync(this.path, 'utf8')) };
  }

  /** The scorer's function; rejects with a TaskDataError naming the file when the module does not load or has no such export. */
  load(): Promise<ScorerFunction> {
    this.loading ??= this.importFunction();
    return this.loading;
  }

  private async importFunction(): Promise<ScorerFunction> {
    let namespace: Record<string, unknown>;
    try {
      namespace = (await import(pathToFileURL(this.path).href)) as Record<string, unknown>;
    } catch (e) {
      const line = thrownLine(e, this.path);
      // Node's SyntaxError from import() carries no line: `node --check` prints it.
      const hint = e instanceof SyntaxError && line === null ? ` (node --check ${this.path} shows where)` : '';
      throw new TaskDataError(this.path, line, `cannot load the scorer module (task.scoring.module): ${thrownText(e)}${hint}`);
    }
    const names = Object.keys(namespace).sort();
    const exports = names.length > 0 ? names.join(', ') : 'none';
    if (this.exportName !== undefined) {
      const fn = namespace[this.exportName];
      if (typeof fn === 'function') return fn as ScorerFunction;
      const what = fn === undefined ? `has no export named "${this.exportName}"` : `exports "${this.exportName}" as ${describeValue(fn)}, not a function`;
      throw new TaskDataError(this.path, null, `the scorer module ${what} (task.scoring.export; its exports: ${exports})`);
    }
    if (typeof namespace.default === 'function') return namespace.default as ScorerFunction;
    if (typeof namespace.score === 'function') return namespace.score as ScorerFunction;
    throw new TaskDataError(
      this.path,
      null,
      `the scorer module exports no function to call: expected a default export or an export named "score" that is a function, ` +
        `or name another with task.scoring.export (its exports: ${exports})`,
    );
  }

  /** The deferred call for one answer: the runner awaits it within the timeout (settleModuleScoring). */
  scoring(ctx: ScorerContext, extraDetails: ScoreDetails = {}): ModuleScoring {
    return {
      kind: 'needs-module',
      module: this.name,
      timeoutMs: this.timeoutMs,
      run: async () => {
        const fn = await this.load();
        let returned: unknown;
        try {
          returned = fn(structuredClone(ctx));
        } catch (e) {
          throw new ScorerFailure(`scorer ${this.name} threw: ${thrownText(e)}`);
        }
        let value: unknown;
        try {
          value = await returned;
        } catch (e) {
          throw new ScorerFailure(`scorer ${this.name} rejected: ${thrownText(e)}`);
        }
        const result = readScorerResult(value, `scorer ${this.name}`);
        // The task's own details (classify's expected and predicted, for the confusion matrix) win over the scorer's.
        return { score: result.score, details: { ...result.details, ...extraDetails } };
      },
    };
  }
}

/**
 * Awaits a scorer module's call within its timeout: the score, or the message of a scorer failure
 * (a throw, a rejection, a bad return value, or no answer within `timeoutMs`).
 */
export async function settleModuleScoring(scoring: ModuleScoring): Promise<{ ok: true; result: ScoreResult } | { ok: false; message: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ScorerFailure(`scorer ${scoring.module} did not finish within ${scoring.timeoutMs} ms (task.scoring.timeoutMs)`)),
      scoring.timeoutMs,
    );
  });
  try {
    const result = await Promise.race([Promise.resolve().then(() => scoring.run()), timeout]);
    return { ok: true, result };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A scorer's return value as a ScoreResult: a number in [0, 1], or `{ score, details? }` with details
 * of numbers (finite), booleans, strings and null. Anything else throws a ScorerFailure saying what came back.
 */
export function readScorerResult(value: unknown, who = 'scorer'): ScoreResult {
  const expected = 'expected a number in [0, 1] or { score, details }';
  if (typeof value === 'number') return { score: checkScore(value, who, ''), details: {} };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ScorerFailure(`${who} returned ${describeValue(value)}: ${expected}`);
  }
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => key !== 'score' && key !== 'details');
  if (unknown.length > 0) {
    throw new ScorerFailure(`${who} returned an object with ${unknown.length > 1 ? 'keys' : 'key'} ${unknown.map((k) => `"${k}"`).join(', ')}: ${expected}`);
  }
  if (typeof record.score !== 'number') {
    throw new ScorerFailure(`${who} returned ${record.score === undefined ? 'an object without score' : `score ${describeValue(record.score)}`}: ${expected}`);
  }
  const score = checkScore(record.score, who, 'score ');
  return { score, details: readDetails(record.details, who) };
}

function checkScore(score: number, who: string, what: string): number {
  if (!Number.isFinite(score)) throw new ScorerFailure(`${who} returned ${what}${String(score)}: a score must be a finite number in [0, 1]`);
  if (score < 0 || score > 1) throw new ScorerFailure(`${who} returned ${what}${score}: a score must be in [0, 1]`);
  return score;
}

function readDetails(details: unknown, who: string): ScoreDetails {
  if (details === undefined) return {};
  if (details === null || typeof details !== 'object' || Array.isArray(details) || Object.getPrototypeOf(details) !== Object.prototype) {
    throw new ScorerFailure(`${who} returned details ${describeValue(details)}: details must be an object whose values are numbers, booleans, strings or null`);
  }
  const out: ScoreDetails = {};
  for (const [key, v] of Object.entries(details)) {
    if (typeof v === 'number' && !Number.isFinite(v)) {
      throw new ScorerFailure(`${who} returned details.${key} = ${String(v)}: a detail number must be finite`);
    }
    if (v !== null && typeof v !== 'number' && typeof v !== 'boolean' && typeof v !== 'string') {
      throw new ScorerFailure(`${who} returned details.${key} = ${describeValue(v)}: a detail must be a number, boolean, string or null`);
    }
    out[key] = v;
  }
  return out;
}

/** A value as a message shows it: short, with its kind. */
function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined (did the function return a value?)';
  if (value === null) return 'null';
  if (typeof value === 'string') return `${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)} (a string)`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${String(value)} (a ${typeof value})`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `an object (${name})` : 'an object';
}

/** A thrown value's message (its first line), for a trial record or a config error. */
function thrownText(e: unknown): string {
  const text = e instanceof Error ? `${e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}` : typeof e === 'string' ? e : describeValue(e);
  const firstLine = text.split('\n')[0] ?? '';
  return firstLine.length > 300 ? `${firstLine.slice(0, 297)}...` : firstLine;
}

/** The line of the module a load error points at (a throw at its top level: `at file:///...:line:col` in the stack), or null (Node's SyntaxError from import() has none). */
function thrownLine(e: unknown, path: string): number | null {
  const stack = e instanceof Error ? (e.stack ?? '') : '';
  const url = pathToFileURL(path).href;
  for (const line of stack.split('\n').slice(0, 3)) {
    const at = line.indexOf(url);
    if (at === -1) continue;
    const match = /^:(\d+)/.exec(line.slice(at + url.length));
    if (match) return Number(match[1]);
  }
  return null;
}

/**
 * The task scored by a scorer module (when `config` names one), everything else its own: its
 * prompt, its parsing (an unparseable reply is still a parse failure, never shown to the scorer),
 * its baseline, and its details (classify's expected and predicted labels, kept beside the
 * scorer's details for the confusion matrix).
 */
export function withScorerModule<D>(
  task: Task<D, string>,
  config: ModuleScoringConfig | undefined,
  baseDir: string,
  view: (item: TaskItem<D>) => ScorerItemView,
): Task<D, string> {
  if (config === undefined) return task;
  const scorer = new ScorerModule(config, baseDir);
  const contextOf = (answer: string, item: TaskItem<D>, trial: ScoreContext): ScorerContext => {
    const { record, input, expected } = view(item);
    return { task: task.type, id: item.id, item: record, input, expected, reply: trial.reply, answer, k: trial.k, shots: [...trial.shotIds] };
  };
  const wrapped: Task<D, string> = {
    ...task,
    scoringFiles: [...(task.scoringFiles ?? []), scorer.file],
    score: (answer, item, context) => scorer.scoring(contextOf(answer, item, context ?? { reply: answer, k: 0, shotIds: [] }), ownDetails(task, answer, item)),
    prepare: async () => [...((await task.prepare?.()) ?? []), ...(await tryScorer(wrapped, scorer, view))],
  };
  return wrapped;
}

/** The details the task's own scoring records (classify: expected and predicted), when it scores without a call. */
function ownDetails<D>(task: Task<D, string>, answer: string, item: TaskItem<D>): ScoreDetails {
  const own = task.score(answer, item);
  return isModelCall(own) || isModuleScoring(own) ? {} : own.details;
}

/**
 * Before any call: the module is imported (a load error or a missing export is a TaskDataError),
 * then called on the first evaluation item with its own expected output as the reply. A failure
 * there would fail every trial: an error (exit 2). A score other than 1 may be meant (a scorer
 * that also grades style, say): a notice.
 */
async function tryScorer<D>(task: Task<D, string>, scorer: ScorerModule, view: (item: TaskItem<D>) => ScorerItemView): Promise<string[]> {
  await scorer.load();
  const item = task.load().items[0];
  if (item === undefined) return [];
  const { expected } = view(item);
  const parsed = task.parse(expected);
  if (!parsed.ok) {
    return [
      `scorer ${scorer.name} was not tried before the sweep: the first evaluation item's own expected output does not parse as an answer (${parsed.reason})`,
    ];
  }
  const scoring = task.score(parsed.answer, item, { reply: expected, k: 0, shotIds: [] }) as ModuleScoring;
  const settled = await settleModuleScoring(scoring);
  if (!settled.ok) {
    throw new TaskDataError(
      scorer.path,
      null,
      `tried on the first evaluation item (${item.id}) with its own expected output as the reply, the scorer failed: ${settled.message}`,
    );
  }
  if (settled.result.score !== 1) {
    return [
      `scorer ${scorer.name} gives ${settled.result.score} (not 1) to the first evaluation item (${item.id}) answered with its own expected output: check that this is intended`,
    ];
  }
  return [];
}
