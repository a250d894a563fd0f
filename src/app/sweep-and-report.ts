import { relative } from 'node:path';
import { buildSummary, TrialAccumulator } from '../analysis/index.js';
import { curveKey } from '../config/sampling.js';
import { BUILTIN_PROMPT } from '../records/trial.js';
import { writeReport, writeReportCharts } from '../report/write.js';
import { sweepTrials, type SweepOptions, type SweepRun } from '../runner/sweep.js';

export type { SweepOptions } from '../runner/sweep.js';

export interface SweepResult {
  runId: string;
  runDir: string;
  reportPath: string;
  trials: number;
  /** Trials answered from the response cache. */
  cacheHits: number;
  /** Provider calls made by this run (not from the cache; the local baseline makes none). */
  newCalls: number;
  /** Trials answered by an identical call another trial had in flight (single-flight): calls saved. */
  sharedCalls: number;
  status: SweepRun<TrialAccumulator>['status'];
  seconds: number;
  /** Batch jobs: all collected, or left running (--detach, a stop); absent without batch. */
  batch?: SweepRun<TrialAccumulator>['batch'];
}

/**
 * `fewshot sweep`: the runner's trials, then the analysis and the report (summary.json, summary.md,
 * report.html and its charts), written from the running totals the runner fed. The runner draws no
 * report: a sweep stopped by Ctrl-C, SIGTERM or SIGHUP comes back 'partial', and gets its partial
 * report here the same way. A sweep that throws (a budget refused before the first call, say) writes none.
 */
export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  // Adaptive sampling: after each look, the analysis labels every curve on the trials so far; a decided
  // curve stops, and so does a cell of an undecided curve that no longer matters (analysis/cell-stopping.ts).
  const afterLook: SweepOptions['afterLook'] = (totals, info) => {
    const curves = buildSummary(totals as TrialAccumulator, info).curves;
    return {
      decided: curves.filter((c) => c.label !== 'inconclusive').map((c) => curveKey(c.provider, c.prompt ?? BUILTIN_PROMPT, c.selector)),
      settled: curves.flatMap((c) => (c.settledKs ?? []).map((k) => ({ provider: c.provider, prompt: c.prompt ?? BUILTIN_PROMPT, selector: c.selector, k }))),
    };
  };
  const run = await sweepTrials({ afterLook, ...options }, (measureKeys) => new TrialAccumulator(measureKeys));
  const { reportPath, summary } = writeReport(run.runDir, run.totals, run.info);
  await writeReportCharts(run.runDir, summary, run.info);
  log(`results: ${relative(process.cwd(), run.runDir) || run.runDir}`);
  log(`report:  ${relative(process.cwd(), reportPath) || reportPath}`);
  return {
    runId: run.runId,
    runDir: run.runDir,
    reportPath,
    trials: run.trials,
    cacheHits: run.cacheHits,
    newCalls: run.newCalls,
    sharedCalls: run.sharedCalls,
    status: run.status,
    seconds: run.seconds,
    ...(run.batch !== undefined && { batch: run.batch }),
  };
}
