import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { TaskMeasure } from '../tasks/task.js';
import type { SpendRecord } from './budget.js';
import type { PromptFingerprint } from './fingerprint.js';

/** results/<run>/run.json: what was run, with what, when, and what was skipped. */
export interface RunInfo {
  runId: string;
  experiment: { name: string; path: string };
  /** The experiment after defaults were applied (never holds secrets: keys come from the environment). */
  config: unknown;
  seed: number;
  tool: { name: string; version: string };
  git: { commit: string | null; dirty: boolean | null };
  startedAt: string;
  endedAt: string | null;
  status: 'running' | 'complete' | 'partial';
  providers: ProviderStatus[];
  /** Task-level notes (e.g. items refused by the leakage guard) and run-level notes. */
  notices: string[];
  plannedTrials: number;
  completedTrials: number;
  /** Real cost of the calls made, against the experiment's `budget` (absent in runs from older versions). */
  spend?: SpendRecord;
  /** Hashes of the prompt template, the answer-shaping settings and the items, with a rendered template, for `fewshot compare` (absent in older runs and imports). */
  prompt?: PromptFingerprint;
  task: { type: string; poolSize: number; evalItems: number; baseline: string; measures: TaskMeasure[] };
}

export interface ProviderStatus {
  id: string;
  status: 'ran' | 'skipped';
  /** Why a provider was skipped, e.g. "set OPENAI_API_KEY to run it". */
  reason?: string;
}

/**
 * What run.json must hold, for everything that reads it (`fewshot report`, `fewshot compare` and
 * the `sweep --baseline` gate, `fewshot import` finding its own earlier run). Required: every field
 * fewshot has written since its first version, and imports write too. Optional, because some runs
 * lack them: `task.measures` (older versions; read as none), `spend` (older versions), `prompt`
 * (older versions and imports). Unknown fields are kept: a newer version may add some.
 */
export const runInfoSchema = z.looseObject({
  runId: z.string().min(1),
  experiment: z.looseObject({ name: z.string(), path: z.string() }),
  // The resolved experiment, or an import's provenance: read leniently by analysis/options.ts.
  config: z.unknown(),
  seed: z.number().int(),
  tool: z.looseObject({ name: z.string(), version: z.string() }),
  git: z.looseObject({ commit: z.string().nullable(), dirty: z.boolean().nullable() }),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  status: z.enum(['running', 'complete', 'partial']),
  providers: z.array(z.looseObject({ id: z.string(), status: z.enum(['ran', 'skipped']), reason: z.string().optional() })),
  notices: z.array(z.string()),
  plannedTrials: z.number().int().nonnegative(),
  completedTrials: z.number().int().nonnegative(),
  spend: z
    .looseObject({
      total: z.number(),
      byProvider: z.record(z.string(), z.number()),
      budget: z.number().nullable(),
      currency: z.string(),
      skippedTrials: z.number(),
    })
    .optional(),
  prompt: z.looseObject({ hash: z.string(), settingsHash: z.string(), itemsHash: z.string(), template: z.string() }).optional(),
  task: z.looseObject({
    type: z.string(),
    poolSize: z.number().int().nonnegative(),
    evalItems: z.number().int().nonnegative(),
    baseline: z.string(),
    measures: z.array(z.looseObject({ key: z.string(), label: z.string(), description: z.string() })).default([]),
  }),
});

/** A validated run.json as a RunInfo (this fails to compile when the schema and the interface drift apart). */
function asRunInfo(info: z.output<typeof runInfoSchema>): RunInfo {
  return info;
}

/** A run.json that cannot be used: which file, which field (null: the file as a whole), and what was expected. */
export class RunInfoError extends Error {
  constructor(
    readonly file: string,
    readonly field: string | null,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'RunInfoError';
  }
}

/** Validate a parsed run.json; `file` is named in the error. Older runs come back with `task.measures` filled ([]). */
export function parseRunInfo(value: unknown, file: string): RunInfo {
  const result = runInfoSchema.safeParse(value);
  if (result.success) return asRunInfo(result.data);
  const issues = result.error.issues;
  const problems = issues.slice(0, 3).map((issue) => describeIssue(issue, value));
  const more = issues.length - problems.length;
  throw new RunInfoError(
    file,
    issues[0]!.path.map(String).join('.') || null,
    `not a fewshot run.json: ${problems.join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
  );
}

/** Read and validate results/<run>/run.json: a RunInfoError for a file that is missing, unreadable, not JSON or not a run. */
export function readRunInfo(path: string): RunInfo {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RunInfoError(path, null, code === 'ENOENT' ? 'not found' : `cannot read (${(err as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RunInfoError(path, null, `not valid JSON (${(err as Error).message})`);
  }
  return parseRunInfo(value, path);
}

function describeIssue(issue: z.core.$ZodIssue, record: unknown): string {
  const value = valueAt(record, issue.path);
  if (issue.path.length === 0) return `expected a JSON object, got ${describeValue(value)}`;
  const field = `field "${issue.path.map(String).join('.')}"`;
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? `a ${issue.expected}`;
      return value === undefined ? `${field}: missing (expected ${expected})` : `${field}: expected ${expected}, got ${describeValue(value)}`;
    }
    case 'invalid_value':
      return `${field}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(value)}`;
    case 'too_small':
      if (issue.origin === 'string') return `${field}: expected a non-empty string, got ${describeValue(value)}`;
      return `${field}: expected a number ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}, got ${describeValue(value)}`;
    default:
      return `${field}: ${issue.message}, got ${describeValue(value)}`;
  }
}

const EXPECTED: Record<string, string> = {
  object: 'an object',
  array: 'a list',
  int: 'a whole number',
  nonoptional: 'a value',
};

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}
