import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { TrialAccumulator } from '../analysis/accumulate.js';
import { eachTrial, TrialsFileError } from '../report/trials-file.js';
import type { RunInfo } from '../runner/run-info.js';
import { CompareError } from './errors.js';

export type Side = 'baseline' | 'candidate';

/** One side of a comparison: the run's record and its trials' running totals (trials.jsonl is the source of truth). */
export interface LoadedRun {
  side: Side;
  /** The run folder (the one holding run.json). */
  dir: string;
  info: RunInfo;
  totals: TrialAccumulator;
  /** Trials answered from the response cache. */
  cachedTrials: number;
  /** Trials that were provider calls made by the run (not cached, not the local baseline). */
  newCalls: number;
  /** E.g. a torn last line of trials.jsonl, or which run of a folder of runs was taken. */
  notices: string[];
}

// What compare reads from run.json; lenient about everything else (older versions, imports).
const runInfoSchema = z.looseObject({
  runId: z.string(),
  experiment: z.looseObject({ name: z.string() }),
  config: z.unknown(),
  seed: z.number().int(),
  status: z.enum(['running', 'complete', 'partial']),
  startedAt: z.string(),
  providers: z.array(z.looseObject({ id: z.string(), status: z.enum(['ran', 'skipped']) })),
  notices: z.array(z.string()),
  plannedTrials: z.number(),
  completedTrials: z.number(),
  task: z.looseObject({ type: z.string() }),
  prompt: z.looseObject({ hash: z.string(), settingsHash: z.string(), itemsHash: z.string(), template: z.string() }).optional(),
});

/**
 * The run folder a path names: the path itself when it holds run.json; else, when its subfolders
 * hold runs (say `--out baselines/routes` put one there), the one that started last, with a notice.
 */
export function resolveRunDir(path: string, side: Side): { dir: string; notice: string | null } {
  if (!existsSync(path)) throw new CompareError(`${side} ${path}: no such file or folder`);
  if (!statSync(path).isDirectory()) {
    throw new CompareError(`${side} ${path}: not a folder; expected a results folder written by "fewshot sweep" (run.json and trials.jsonl)`);
  }
  if (existsSync(join(path, 'run.json'))) return { dir: path, notice: null };
  const runs = readdirSync(path, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(path, e.name, 'run.json')))
    .map((e) => join(path, e.name));
  if (runs.length === 0) {
    throw new CompareError(`${side} ${path}: no run.json in it or in its subfolders; expected a results folder written by "fewshot sweep" (run.json and trials.jsonl)`);
  }
  if (runs.length === 1) return { dir: runs[0]!, notice: null };
  const started = runs.map((dir) => ({ dir, startedAt: readRunInfo(join(dir, 'run.json'), side).startedAt }));
  started.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : a.dir < b.dir ? 1 : -1));
  return { dir: started[0]!.dir, notice: `${side}: ${path} holds ${runs.length} runs; using the latest, ${started[0]!.dir}` };
}

/** Reads a run for comparison; anything unusable is a CompareError naming the file (and line). */
export function loadRun(path: string, side: Side): LoadedRun {
  const { dir, notice } = resolveRunDir(path, side);
  const info = readRunInfo(join(dir, 'run.json'), side);
  const trialsPath = join(dir, 'trials.jsonl');
  if (!existsSync(trialsPath)) throw new CompareError(`${side} ${trialsPath}: not found; a results folder holds the trials it recorded there`);
  // Streamed into running totals: no record is kept, so two large runs compare in flat memory.
  const totals = new TrialAccumulator((info.task.measures ?? []).map((m) => m.key));
  let cachedTrials = 0;
  let newCalls = 0;
  let read;
  try {
    read = eachTrial(trialsPath, (t) => {
      totals.add(t);
      if (t.cached) cachedTrials++;
      else if (t.provider !== 'local') newCalls++;
    });
  } catch (err) {
    if (err instanceof TrialsFileError) throw new CompareError(`${side} ${err.message}`);
    throw new CompareError(`${side} ${trialsPath}: cannot read (${(err as Error).message})`);
  }
  if (read.count === 0) throw new CompareError(`${side} ${trialsPath}: no trials recorded; nothing to compare`);
  return {
    side,
    dir,
    info,
    totals,
    cachedTrials,
    newCalls,
    notices: [...(notice ? [notice] : []), ...read.warnings.map((w) => `${side}: ${w}`)],
  };
}

function readRunInfo(path: string, side: Side): RunInfo {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CompareError(`${side} ${path}: cannot read (${(err as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CompareError(`${side} ${path}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = runInfoSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 3).map((issue) => {
      const field = issue.path.map(String).join('.') || '(file)';
      return `field "${field}": ${issue.message}`;
    });
    throw new CompareError(`${side} ${path}: not a fewshot run.json: ${problems.join('; ')}`);
  }
  const info = parsed.data as unknown as RunInfo;
  return { ...info, task: { ...info.task, measures: info.task.measures ?? [] } };
}
