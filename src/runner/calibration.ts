/**
 * The judge's calibration (`scoring.calibration` of method judge; docs/experiments.md, "Calibrating the
 * judge"): after the sweep's trials, the judge grades every human-graded reply of the calibration file
 * through the same path as the trials' judge calls (ModelScorer: response cache, budget, retries, rate
 * limits, cost booked by judge), and run.json records each pair (human grade, judge grade). The
 * agreement statistics are the analysis' (analysis/agreement.ts), drawn from run.json like every other
 * figure: `fewshot report` rebuilds them without a call.
 */
import type { TaskConfig } from '../config/schema.js';
import { judgeScoringOf } from '../config/judge-scoring-schema.js';
import type { JudgeCalibrationRecord, JudgeCalibrationRun } from '../records/run-info.js';
import { loadCalibration, type CalibrationSet } from '../tasks/judge-calibration.js';
import { loadRubricJudge, type RubricJudge } from '../tasks/rubric-judge.js';
import type { ModelScorer } from './score.js';

/** A calibration set checked before any call, with the rubric that grades it. */
export interface PreparedCalibration {
  set: CalibrationSet;
  judge: RubricJudge;
}

/** The experiment's calibration set (checked now: file, records, the rubric rendered for each), or null when it names none. */
export function prepareCalibration(task: TaskConfig, baseDir: string): PreparedCalibration | null {
  if (task.type !== 'generate' || !('method' in task.scoring)) return null;
  const scoring = judgeScoringOf(task.scoring);
  if (scoring?.calibration === undefined) return null;
  const judge = loadRubricJudge(scoring, baseDir);
  return { set: loadCalibration(scoring.calibration, baseDir, judge), judge };
}

export interface CalibrationOptions {
  /** The judge's provider id, as run.json names it. */
  judgeId: string;
  /** Calls in flight at once (the experiment's concurrency). */
  concurrency: number;
  signal?: AbortSignal;
  /** True once the sweep is stopping (Ctrl-C): no new grading starts. */
  shouldStop?: () => boolean;
}

/** What grading the calibration set came to, for run.json and a log line. */
export interface CalibrationOutcome {
  run: JudgeCalibrationRun;
  /** Judge calls made now (not from the cache). */
  calls: number;
  cacheHits: number;
  /** Records the budget kept from being graded. */
  overBudget: number;
  /** Records not graded because the sweep was stopping. */
  stopped: number;
}

/** Grades every record of the set through `scorer` (cache, budget, retries), `concurrency` at a time, in file order in the result. */
export async function gradeCalibration(prepared: PreparedCalibration, scorer: ModelScorer, options: CalibrationOptions): Promise<CalibrationOutcome> {
  const { cases } = prepared.set;
  const records: JudgeCalibrationRecord[] = new Array(cases.length);
  let calls = 0;
  let cacheHits = 0;
  let overBudget = 0;
  let stopped = 0;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < cases.length; i = next++) {
      const c = cases[i]!;
      const base = { line: c.line, id: c.id, human: c.human };
      if (options.shouldStop?.() || options.signal?.aborted) {
        stopped++;
        records[i] = { ...base, judge: null, failure: 'not graded: the sweep was stopped' };
        continue;
      }
      let outcome;
      try {
        outcome = await scorer.score(prepared.judge.call(c.subject), null, options.signal);
      } catch (err) {
        records[i] = { ...base, judge: null, failure: err instanceof Error ? err.message : String(err) };
        continue;
      }
      if (outcome.status === 'over-budget') {
        overBudget++;
        records[i] = { ...base, judge: null, failure: 'not graded: the budget was reached' };
        continue;
      }
      if (outcome.status === 'aborted') {
        stopped++;
        records[i] = { ...base, judge: null, failure: 'not graded: the sweep was stopped' };
        continue;
      }
      if (outcome.judge.cached) cacheHits++;
      else if (outcome.judge.attempts > 0) calls++;
      if (outcome.status === 'failed') {
        records[i] = { ...base, judge: null, cached: outcome.judge.cached, failure: outcome.message };
        continue;
      }
      const grade = outcome.score.details.judgeScore;
      records[i] = { ...base, judge: typeof grade === 'number' ? grade : null, cached: outcome.judge.cached };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, cases.length)) }, worker));
  return {
    run: { file: prepared.set.file, judge: options.judgeId, scale: prepared.judge.scale.text, rubric: prepared.judge.file, records },
    calls,
    cacheHits,
    overBudget,
    stopped,
  };
}

/** One line for the log and run.json's notices when something kept records from being graded; null when all were. */
export function calibrationNotice(outcome: CalibrationOutcome): string | null {
  const { records } = outcome.run;
  const ungraded = records.filter((r) => r.judge === null).length;
  if (ungraded === 0) return null;
  const why = [
    ...(outcome.overBudget > 0 ? [`${outcome.overBudget} by the budget`] : []),
    ...(outcome.stopped > 0 ? [`${outcome.stopped} by the stop`] : []),
    ...(ungraded - outcome.overBudget - outcome.stopped > 0
      ? [`${ungraded - outcome.overBudget - outcome.stopped} by a failed judge call or an unreadable grade`]
      : []),
  ];
  return `judge calibration: ${ungraded} of ${records.length} records of ${outcome.run.file} were not graded (${why.join(', ')}); the agreement is over the other ${records.length - ungraded}`;
}
