import type { RunInfo } from '../runner/run-info.js';
import { accumulate, type TrialSource } from './accumulate.js';
import type { FailureOutcome } from './outcome.js';
import { analyzeRun } from './analyze.js';
import { summarizeCells, type CellSummary } from './summarize.js';
import { decideAdvice, withReasons, type AdviceReasonRenderer } from './advise.js';
import { analysisOptions, type AnalysisOverrides } from './options.js';
import { type Advice, type AnalysisSettings, type CollapseSummary, type CurveSummary, type FailureTrend } from './verdict-types.js';

export const SUMMARY_SCHEMA_VERSION = 3;
export const CONFIDENCE_LEVEL = 0.95;
export const INTERVAL_METHOD =
  'Cell accuracy: 95% Wilson score interval with items as the unit (each item\'s mean over its repeats; answer ' +
  'failures scored 0, provider failures left out; conservative for graded and repeated scores). Differences ' +
  'between cells: paired over items, adjusted Wald interval (Agresti-Min); p-values by exact McNemar for 0/1 ' +
  'scores with one trial per item, otherwise a sign-flip randomization test (exact, Monte Carlo, or its ' +
  'continuity-corrected normal tail, as each test\'s `method` says). Each claim is decided in its own family: ' +
  'a curve\'s label by one-sided checks at shares of alpha (`checks`), a provider\'s collapse verdict likewise, ' +
  'the advice\'s tied set by Holm over the cells compared with the best; descriptive comparisons and failure ' +
  'trends are Holm-corrected within their own families.';

export interface ProviderSummary {
  id: string;
  status: 'ran' | 'skipped';
  reason?: string;
  /** Model(s) seen in the trials; null when the provider has none (e.g. skipped). */
  model: string | null;
}

/** results/<run>/summary.json: everything the reports show, computed from trials.jsonl and run.json. */
export interface RunSummary {
  schemaVersion: typeof SUMMARY_SCHEMA_VERSION;
  runId: string;
  experimentName: string;
  generatedAt: string;
  confidenceLevel: typeof CONFIDENCE_LEVEL;
  intervalMethod: string;
  /** run.json's status; `interrupted` when it still says `running` (the sweep never finished: no end time). Reports from older versions may say `running`. */
  status: RunInfo['status'] | 'interrupted';
  startedAt: string;
  endedAt: string | null;
  plannedTrials: number;
  completedTrials: number;
  providers: ProviderSummary[];
  /** Skipped providers first, then run.json's notices, then notices passed in (e.g. a torn trials line). */
  notices: string[];
  task: RunInfo['task'];
  totals: { trials: number; answered: number; failures: Record<FailureOutcome, number> };
  /** The statistics' settings: with the trials they reproduce every number here. */
  settings: AnalysisSettings;
  /** Tests in the run's descriptive family (Holm within it): each k against zero-shot, selector against selector. */
  testCount: number;
  /** The experiment's target accuracy, when it states one. */
  target: number | null;
  requestsPerMonth: number | null;
  cells: CellSummary[];
  /** One per provider x selector: points with intervals, the label and the tests behind it. */
  curves: CurveSummary[];
  /** One per provider: does the gain survive a change of selector? */
  collapse: CollapseSummary[];
  /** Failure rates that rise with k: operational findings, reported beside the labels. */
  failureTrends: FailureTrend[];
  /** One per provider: keep few-shot (at which selector and k), fine-tune, extend the sweep, or inconclusive. */
  advice: Advice[];
}

/**
 * Build the run summary. Deterministic for the same inputs except `generatedAt` (pass `now` to pin it).
 * `renderReasons` writes each advice's reasons (src/report/advice-text.ts's `adviceReasons`, passed
 * in by the report: analysis holds no wording and does not import report/); without it every
 * `Advice.reasons` is empty, for callers that read only the decisions (compare).
 */
export function buildSummary(
  source: TrialSource,
  runInfo: RunInfo,
  now: Date = new Date(),
  extraNotices: readonly string[] = [],
  overrides: AnalysisOverrides = {},
  renderReasons: AdviceReasonRenderer = () => [],
): RunSummary {
  const options = analysisOptions(runInfo.config, runInfo.seed, overrides);
  const { settings } = options;
  // One pass over the trials (or none: a sweep hands over its running totals); all else reads the totals.
  const trials = accumulate(source, (runInfo.task.measures ?? []).map((m) => m.key));
  const cells = summarizeCells(trials);
  const analysis = analyzeRun(trials, cells, settings);
  const decisions = decideAdvice({
    curves: analysis.curves,
    collapse: analysis.collapse,
    candidates: analysis.candidates,
    failureTrends: analysis.failureTrends,
    target: options.target,
    requestsPerMonth: options.requestsPerMonth,
    priceOverrides: options.priceOverrides,
    delta: settings.delta,
  });
  const advice = decisions.map((d) => withReasons(d, renderReasons));
  const { answered, failures } = trials.outcomeTotals();

  const modelsByProvider = new Map([...trials.providers].map(([id, p]) => [id, p.models]));
  const modelOf = (id: string): string | null => {
    const set = modelsByProvider.get(id);
    return set ? [...set].sort().join(', ') : null;
  };

  const providers: ProviderSummary[] = runInfo.providers.map((p) => ({
    id: p.id,
    status: p.status,
    ...(p.reason !== undefined ? { reason: p.reason } : {}),
    model: modelOf(p.id),
  }));
  const notices: string[] = [];
  for (const p of runInfo.providers) {
    if (p.status === 'skipped') notices.push(`${p.id} skipped${p.reason ? `: ${p.reason}` : ''}`);
  }
  // Trials from a provider run.json does not list would otherwise appear without explanation.
  const listed = new Set(runInfo.providers.map((p) => p.id));
  for (const id of [...modelsByProvider.keys()].sort()) {
    if (listed.has(id)) continue;
    providers.push({ id, status: 'ran', model: modelOf(id) });
    notices.push(`${id} has trials but is not listed in run.json`);
  }
  notices.push(...runInfo.notices, ...extraNotices);
  if (runInfo.status === 'running') notices.push('the sweep was interrupted (run.json still says running and has no end time: a second Ctrl-C, a kill or a crash); run the experiment again to resume from the cache');

  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    runId: runInfo.runId,
    experimentName: runInfo.experiment.name,
    generatedAt: now.toISOString(),
    confidenceLevel: CONFIDENCE_LEVEL,
    intervalMethod: INTERVAL_METHOD,
    // The live sweep settles run.json's status before its report; `running` here means nothing ever did.
    status: runInfo.status === 'running' ? 'interrupted' : runInfo.status,
    startedAt: runInfo.startedAt,
    endedAt: runInfo.endedAt,
    plannedTrials: runInfo.plannedTrials,
    completedTrials: runInfo.status === 'running' ? trials.trials : runInfo.completedTrials,
    providers,
    notices,
    task: runInfo.task,
    totals: { trials: trials.trials, answered, failures },
    settings,
    testCount: analysis.testCount,
    target: options.target,
    requestsPerMonth: options.requestsPerMonth,
    cells,
    curves: analysis.curves,
    collapse: analysis.collapse,
    failureTrends: analysis.failureTrends,
    advice,
  };
}
