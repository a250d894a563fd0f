import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describeFieldIssue } from './issues.js';

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
  /**
   * How the trials were answered: `new` provider calls made (the local baseline's excluded), `cached`
   * from the response cache, `shared` by an identical call another trial had in flight (single-flight:
   * the calls saved). Written when the sweep ends; absent in older runs and imports.
   */
  calls?: { new: number; cached: number; shared: number };
  /** Hashes of the prompt template, the answer-shaping settings and the items, with a rendered template, for `fewshot compare` (absent in older runs and imports). */
  prompt?: PromptFingerprint;
  task: { type: string; poolSize: number; evalItems: number; baseline: string; measures: MeasureInfo[] };
  /** The judge's grades of the calibration set's human-graded replies (`scoring.calibration`); absent without one, and in older runs. */
  judgeCalibration?: JudgeCalibrationRun;
  /**
   * Adaptive sampling (`sampling: { mode: adaptive }` or `--adaptive`): the resolved plan, the looks'
   * cumulative item counts, how many looks ran, and each curve decided with the items it had then
   * (it took no more). Absent under full sampling, and in older runs.
   */
  sampling?: RunSampling;
  /**
   * The pool as fine-tuning examples (issue 19), counted when the sweep starts: the examples and, per
   * provider (its name), the training tokens of one epoch (prompt and expected answer, counted for that
   * model: exact for OpenAI models, estimated otherwise). Absent when the prompt writes shots inline,
   * and in older runs.
   */
  fineTune?: { examples: number; tokensPerEpoch: Record<string, number> };
}

export interface RunSampling {
  mode: 'adaptive';
  maxItems: number;
  firstLook: number;
  step: number;
  looks: number[];
  completedLooks?: number;
  decided: { provider: string; prompt: string; selector: string; atItems: number }[];
  /** Cells of undecided curves that stopped taking items because they no longer mattered (analysis/cell-stopping.ts). */
  stopped?: { provider: string; prompt: string; selector: string; k: number; atItems: number }[];
}

/**
 * run.json's `judgeCalibration`: each human-graded reply of the calibration file with the judge's
 * grade of it (runner/calibration.ts). The agreement statistics are drawn from these pairs by the
 * analysis (summary.json's `judgeCalibration`).
 */
export interface JudgeCalibrationRun {
  /** The calibration file as the experiment names it. */
  file: string;
  /** The judge's provider id. */
  judge: string;
  /** The grading scale, e.g. `0-10`. */
  scale: string;
  /** The rubric file, by path as written and sha256 of its content. */
  rubric: { name: string; sha256: string };
  /** One per record, in file order. */
  records: JudgeCalibrationRecord[];
}

export interface JudgeCalibrationRecord {
  /** 1-based line in the calibration file. */
  line: number;
  id: string;
  /** The human grade. */
  human: number;
  /** The judge's grade, or null when there is none (failure says why). */
  judge: number | null;
  /** Whether the judge's verdict came from the response cache. */
  cached?: boolean;
  /** Why the record has no judge grade: a failed call, an unreadable verdict, the budget, a stop. */
  failure?: string;
}

/** A quality measure the task records beside the score (tasks/task.ts's TaskMeasure), valued in [0, 1]. */
export interface MeasureInfo {
  key: string;
  label: string;
  description: string;
}

/** run.json's `spend`: real cost of the calls made (cache hits and the local provider cost nothing). */
export interface SpendRecord {
  total: number;
  byProvider: Record<string, number>;
  budget: number | null;
  currency: string;
  /** Trials not run because the budget would have been crossed (an answer call's or a judge call's). */
  skippedTrials: number;
  /**
   * What the judge's calls cost (AdaptGauge's llm_judge), by the judge's provider id, at the judge's
   * price; included in `total`, not in `byProvider`. Absent when no judge ran, and in older runs.
   */
  byJudge?: Record<string, number>;
  /**
   * Failed calls booked at their reservation (their worst case) because the provider may bill them: a
   * timeout or a connection dropped after the request went out (runner/budget.ts). In `total`. Absent
   * when there were none, and in older runs.
   */
  failedCallsBooked?: { calls: number; cost: number };
  /**
   * What the provider batch jobs of this attempt cost (sweep --batch), at the batch price, by provider;
   * included in `total` and `byProvider`. Jobs an earlier attempt submitted are carried in
   * `earlierAttempts` at their reservation. Absent without batch jobs.
   */
  batch?: { total: number; byProvider: Record<string, number>; requests: number };
  /**
   * The spend of earlier attempts of this run (the same experiment, prompt, settings and items, into
   * the same results folder) that did not complete: counted against `budget` besides `total`, which is
   * this attempt's alone (runner/spend-ledger.ts). Absent when there were none, and in older runs.
   */
  earlierAttempts?: EarlierAttemptsSpend;
}

/** run.json's `spend.earlierAttempts`: what the attempts this one resumes spent, from the results folder's spend ledger. */
export interface EarlierAttemptsSpend {
  total: number;
  /** Oldest first. `interrupted`: killed or crashed (no end recorded; calls in flight counted at their worst case). */
  attempts: { runId: string; status: 'partial' | 'interrupted'; spent: number }[];
}

/**
 * What a run asked, in a form two runs can be compared by (run.json's `prompt`, built by
 * runner/fingerprint.ts): `fewshot compare` says whether the prompt or the settings changed between
 * a baseline and a candidate, and prints the diff of the rendered templates when they differ.
 */
export interface PromptFingerprint {
  /** sha256 of `template`. */
  hash: string;
  /** sha256 of the canonical JSON of `answerSettings(config)`: everything in the experiment that shapes a prompt or an answer. */
  settingsHash: string;
  /** sha256 of the evaluation items' ids and texts, in order: the same ids under another hash are other questions. */
  itemsHash: string;
  /**
   * A canonical prompt: the task's rendering of the first evaluation item with the first two pool
   * examples as shots, as `[role]` + content blocks; then, per provider whose `systemPrompt`
   * replaces the task's, that system turn.
   */
  template: string;
  /**
   * The prompt's template files (`prompts:`), by path as written and sha256 of the content; their
   * hashes are also listed at the end of `template`. Absent for a task's built-in prompt and in older runs.
   */
  templateFiles?: { name: string; sha256: string }[];
  /**
   * The files that score the answers (`task.scoring.module`, a judge's `scoring.rubric`), by path as
   * written and sha256 of the content. Not part of `hash`: they change scores, not what is asked.
   * Absent when the task scores by a built-in method, and in older runs.
   */
  scoringFiles?: { name: string; sha256: string }[];
}

export interface ProviderStatus {
  id: string;
  /** The entry's `label`, which names its trials and curves in place of the id (absent when none was set). */
  label?: string;
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
  providers: z.array(z.looseObject({ id: z.string(), label: z.string().optional(), status: z.enum(['ran', 'skipped']), reason: z.string().optional() })),
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
      byJudge: z.record(z.string(), z.number()).optional(),
      failedCallsBooked: z.looseObject({ calls: z.number(), cost: z.number() }).optional(),
      batch: z.looseObject({ total: z.number(), byProvider: z.record(z.string(), z.number()), requests: z.number() }).optional(),
      earlierAttempts: z
        .looseObject({
          total: z.number(),
          attempts: z.array(z.looseObject({ runId: z.string(), status: z.enum(['partial', 'interrupted']), spent: z.number() })),
        })
        .optional(),
    })
    .optional(),
  calls: z.looseObject({ new: z.number().int().nonnegative(), cached: z.number().int().nonnegative(), shared: z.number().int().nonnegative() }).optional(),
  prompt: z
    .looseObject({
      hash: z.string(),
      settingsHash: z.string(),
      itemsHash: z.string(),
      template: z.string(),
      templateFiles: z.array(z.object({ name: z.string(), sha256: z.string() })).optional(),
      scoringFiles: z.array(z.object({ name: z.string(), sha256: z.string() })).optional(),
    })
    .optional(),
  sampling: z
    .looseObject({
      mode: z.literal('adaptive'),
      maxItems: z.number().int(),
      firstLook: z.number().int(),
      step: z.number().int(),
      looks: z.array(z.number().int()),
      completedLooks: z.number().int().optional(),
      decided: z.array(z.looseObject({ provider: z.string(), prompt: z.string(), selector: z.string(), atItems: z.number().int() })),
      stopped: z
        .array(z.looseObject({ provider: z.string(), prompt: z.string(), selector: z.string(), k: z.number().int(), atItems: z.number().int() }))
        .optional(),
    })
    .optional(),
  fineTune: z.looseObject({ examples: z.number().int(), tokensPerEpoch: z.record(z.string(), z.number()) }).optional(),
  judgeCalibration: z
    .looseObject({
      file: z.string(),
      judge: z.string(),
      scale: z.string(),
      rubric: z.looseObject({ name: z.string(), sha256: z.string() }),
      records: z.array(
        z.looseObject({
          line: z.number().int(),
          id: z.string(),
          human: z.number(),
          judge: z.number().nullable(),
          cached: z.boolean().optional(),
          failure: z.string().optional(),
        }),
      ),
    })
    .optional(),
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
  const problems = issues.slice(0, 3).map((issue) => describeFieldIssue(issue, value));
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

/** Writes run.json atomically (temp file + rename), so it is never half-written. */
export function writeRunInfo(dir: string, info: RunInfo): void {
  const path = join(dir, 'run.json');
  writeFileSync(`${path}.tmp`, `${JSON.stringify(info, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}
