import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TrialAccumulator } from '../analysis/index.js';
import { eachTrial, TrialsFileError } from '../records/trials-file.js';
import { readRunInfo as readSharedRunInfo, RunInfoError, type RunInfo } from '../records/run-info.js';
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
    throw new CompareError(
      `${side} ${path}: no run.json in it or in its subfolders; expected a results folder written by "fewshot sweep" (run.json and trials.jsonl)`,
    );
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
  const totals = new TrialAccumulator(info.task.measures.map((m) => m.key));
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

/** run.json, validated by the schema every reader shares (records/run-info.ts); a CompareError naming the side, file and field. */
function readRunInfo(path: string, side: Side): RunInfo {
  try {
    return readSharedRunInfo(path);
  } catch (err) {
    if (err instanceof RunInfoError) throw new CompareError(`${side} ${err.message}`);
    throw err;
  }
}
