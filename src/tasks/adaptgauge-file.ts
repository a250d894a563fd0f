/**
 * Reading an AdaptGauge task file: a single task (`task_id`, `examples`, `test_cases`, ...) or a pack
 * (`pack_id`, `tasks: [...]`). Every problem is a TaskDataError with the file and, where it can be
 * found, the line, so the CLI can say `pack.json:42: ...` before any call is made.
 */
import { formatPath } from '../config/load.js';
import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { TaskDataError } from './errors.js';

export const SCORING_METHODS = ['exact_match', 'contains', 'f1', 'llm_judge'] as const;
export type ScoringMethod = (typeof SCORING_METHODS)[number];

const pairSchema = z.looseObject({
  input: z.string(),
  output: z.string(),
});

const testCaseSchema = z.looseObject({
  input: z.string(),
  // A rubric object is allowed for llm_judge (AdaptGauge accepts one); the other methods need text.
  expected_output: z.union([z.string(), z.record(z.string(), z.unknown())]),
  scoring_method: z.string(),
  acceptable_variations: z.array(z.string()).nullable().optional(),
});

const taskSchema = z.looseObject({
  task_id: z.string().min(1),
  instruction: z.string().optional(),
  description: z.string().optional(),
  examples: z.array(pairSchema),
  test_cases: z.array(testCaseSchema),
  distractors: z.array(pairSchema).nullable().optional(),
});

export interface PackExample {
  input: string;
  output: string;
  /** 1-based line in the file, for messages. */
  line: number | null;
}

export interface PackTestCase {
  input: string;
  /** The expected output; a rubric object's JSON for rubric-graded llm_judge cases. */
  expected: string;
  rubric: Record<string, unknown> | null;
  scoringMethod: ScoringMethod;
  acceptableVariations: string[];
  line: number | null;
}

export interface PackTask {
  taskId: string;
  /** The system prompt: the task's `instruction`, else its `description`. */
  instruction: string;
  examples: PackExample[];
  testCases: PackTestCase[];
  distractors: PackExample[];
  /** The file as the user should see it in messages (relative to the working directory where possible). */
  file: string;
  /** Line of the task object, and of its test_cases array. */
  line: number | null;
  testCasesLine: number | null;
}

/** Reads the file at `path` (resolved against baseDir) and returns the one task it names. */
export function readAdaptGaugeTask(file: string, baseDir: string, taskId: string | undefined): PackTask {
  const absolute = resolve(baseDir, file);
  const shown = displayPath(absolute);
  let source: string;
  try {
    source = readFileSync(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TaskDataError(
      shown,
      null,
      code === 'ENOENT' ? 'AdaptGauge task file not found' : `cannot read the AdaptGauge task file: ${(err as Error).message}`,
    );
  }
  if (source.charCodeAt(0) === 0xfeff) source = source.slice(1);
  return parseAdaptGaugeTask(source, shown, taskId);
}

/** Parses file content; `file` only names the file in errors. */
export function parseAdaptGaugeTask(source: string, file: string, taskId: string | undefined): PackTask {
  let data: unknown;
  try {
    data = JSON.parse(source);
  } catch (err) {
    throw new TaskDataError(file, jsonErrorLine(source, err), `invalid JSON: ${(err as Error).message}`);
  }
  const locate = locator(source);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new TaskDataError(file, 1, 'expected an AdaptGauge task (an object with task_id, examples, test_cases) or a pack (an object with tasks)');
  }
  const top = data as Record<string, unknown>;
  let path: (string | number)[];
  let raw: unknown;
  if ('tasks' in top) {
    if (!Array.isArray(top.tasks) || top.tasks.length === 0) {
      throw new TaskDataError(file, locate(['tasks']), 'a task pack needs a non-empty `tasks` array');
    }
    const tasks = top.tasks as unknown[];
    const ids = tasks.map((t, i) => {
      const id = t !== null && typeof t === 'object' ? (t as Record<string, unknown>).task_id : undefined;
      if (typeof id !== 'string' || id === '') throw new TaskDataError(file, locate(['tasks', i]), `tasks[${i}] has no task_id`);
      return id;
    });
    const listed = ids.join(', ');
    let index: number;
    if (taskId === undefined) {
      if (tasks.length > 1) {
        throw new TaskDataError(file, locate(['tasks']), `the pack holds ${tasks.length} tasks (${listed}): name one with task.taskId`);
      }
      index = 0;
    } else {
      const matches = ids.flatMap((id, i) => (id === taskId ? [i] : []));
      if (matches.length === 0) throw new TaskDataError(file, locate(['tasks']), `no task "${taskId}" in the pack; it holds: ${listed}`);
      if (matches.length > 1) throw new TaskDataError(file, locate(['tasks', matches[1]!]), `task_id "${taskId}" appears ${matches.length} times in the pack`);
      index = matches[0]!;
    }
    path = ['tasks', index];
    raw = tasks[index];
  } else {
    path = [];
    raw = top;
    const id = top.task_id;
    if (taskId !== undefined && typeof id === 'string' && id !== taskId) {
      throw new TaskDataError(file, locate(['task_id']), `task.taskId is "${taskId}" but this file holds the single task "${id}"`);
    }
  }

  const parsed = taskSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const issuePath = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const where = [...path, ...issuePath];
    throw new TaskDataError(file, locate(where), `${formatPath(where) || 'task'}: ${issue.message}`);
  }
  const task = parsed.data;
  const instruction = (task.instruction ?? '').trim() || (task.description ?? '').trim();
  if (!instruction) throw new TaskDataError(file, locate(path), `task ${task.task_id} has neither an instruction nor a description`);

  const pair =
    (key: 'examples' | 'distractors') =>
    (p: { input: string; output: string }, i: number): PackExample => {
      const at = [...path, key, i];
      if (p.input.trim() === '') throw new TaskDataError(file, locate([...at, 'input']), `${formatPath(at)}.input is empty`);
      return { input: p.input, output: p.output, line: locate(at) };
    };
  const examples = task.examples.map(pair('examples'));
  const distractors = (task.distractors ?? []).map(pair('distractors'));
  const testCases = task.test_cases.map((tc, i): PackTestCase => {
    const at = [...path, 'test_cases', i];
    const method = tc.scoring_method;
    if (!(SCORING_METHODS as readonly string[]).includes(method)) {
      throw new TaskDataError(file, locate([...at, 'scoring_method']), `unsupported scoring_method "${method}" (supported: ${SCORING_METHODS.join(', ')})`);
    }
    if (tc.input.trim() === '') throw new TaskDataError(file, locate([...at, 'input']), `${formatPath(at)}.input is empty`);
    const rubric = typeof tc.expected_output === 'string' ? null : tc.expected_output;
    if (rubric !== null && method !== 'llm_judge') {
      throw new TaskDataError(file, locate([...at, 'expected_output']), `a rubric object as expected_output needs scoring_method llm_judge, not ${method}`);
    }
    const expected = rubric === null ? (tc.expected_output as string) : JSON.stringify(rubric, null, 2);
    if (expected.trim() === '') {
      throw new TaskDataError(file, locate([...at, 'expected_output']), `${formatPath(at)}.expected_output is empty (every answer would match it)`);
    }
    return {
      input: tc.input,
      expected,
      rubric,
      scoringMethod: method as ScoringMethod,
      acceptableVariations: tc.acceptable_variations ?? [],
      line: locate(at),
    };
  });
  if (examples.length === 0) throw new TaskDataError(file, locate([...path, 'examples']), `task ${task.task_id} has no examples to draw shots from`);
  if (testCases.length === 0) throw new TaskDataError(file, locate([...path, 'test_cases']), `task ${task.task_id} has no test_cases`);

  return {
    taskId: task.task_id,
    instruction,
    examples,
    testCases,
    distractors,
    file,
    line: locate(path),
    testCasesLine: locate([...path, 'test_cases']),
  };
}

/** The path relative to the working directory when it lies below it, else absolute. */
function displayPath(absolute: string): string {
  const rel = relative(process.cwd(), absolute);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : absolute;
}

/** JSON.parse reports "at position N" (and, on newer Node, the line): turn it into a line. */
function jsonErrorLine(source: string, err: unknown): number | null {
  const message = err instanceof Error ? err.message : '';
  const line = /\(line (\d+) column \d+\)/.exec(message);
  if (line) return Number(line[1]);
  const position = /at position (\d+)/.exec(message);
  if (position) return lineAt(source, Number(position[1]));
  // "Unexpected end of JSON input": the problem is at the end.
  if (/end of JSON/i.test(message)) return lineAt(source, source.length);
  return null;
}

function lineAt(source: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < Math.min(offset, source.length); i++) if (source.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Finds the line of a value by its path. JSON is YAML, so the yaml parser's node ranges give
 * positions; a path that does not exist (a missing field) is located at its nearest existing parent.
 * Parsed only when an error needs a line.
 */
function locator(source: string): (path: readonly (string | number)[]) => number | null {
  let parsed: { doc: ReturnType<typeof parseDocument>; lines: LineCounter } | null | undefined;
  return (path) => {
    if (parsed === undefined) {
      try {
        const lines = new LineCounter();
        const doc = parseDocument(source, { lineCounter: lines, uniqueKeys: false });
        parsed = doc.errors.length === 0 ? { doc, lines } : null;
      } catch {
        parsed = null;
      }
    }
    if (!parsed) return null;
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? parsed.doc.contents : parsed.doc.getIn(path.slice(0, n), true);
      const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
      if (range) return parsed.lines.linePos(range[0]).line;
    }
    return null;
  };
}
