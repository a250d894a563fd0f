import type { RunInfo } from '../records/run-info.js';
import { SUMMARY_SCHEMA_VERSION, type CellSummary, type ProviderSummary, type RunSummary } from '../records/summary.js';
import { accumulate, type TrialSource } from './accumulate.js';
import { summarizeJudgeCalibration } from './agreement.js';
import { analyzeRun } from './analyze.js';
import { summarizeCells } from './summarize.js';
import { decideAdvice, withCacheSavings, withReasons, type AdviceReasonRenderer } from './advise.js';
import { analysisOptions, DEFAULT_FINE_TUNE_HORIZON_MONTHS, type AnalysisOverrides } from './options.js';
import { withFineTune } from './fine-tune.js';
import { buildItemMatrices } from './item-scores.js';

// The summary's types, its schema and its reader are records/summary.ts's; this builds it.
export const CONFIDENCE_LEVEL = 0.95;
export const INTERVAL_METHOD =
  "Cell accuracy: 95% Wilson score interval with items as the unit (each item's mean over its repeats; answer " +
  'failures scored 0, provider failures left out; conservative for graded and repeated scores). Differences ' +
  'between cells: paired over items, adjusted Wald interval (Agresti-Min); p-values by exact McNemar for 0/1 ' +
  'scores with one trial per item, otherwise a sign-flip randomization test (exact, Monte Carlo, or its ' +
  "continuity-corrected normal tail, as each test's `method` says). Each claim is decided in its own family: " +
  "a curve's label by one-sided checks at shares of alpha (`checks`), a provider's collapse verdict likewise, " +
  "the advice's tied set by Holm over the cells compared with the best; descriptive comparisons and failure " +
  'trends are Holm-corrected within their own families.';

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
  const trials = accumulate(
    source,
    (runInfo.task.measures ?? []).map((m) => m.key),
  );
  const cells = withCacheSavings(summarizeCells(trials), options);
  const analysis = analyzeRun(trials, cells, settings);
  const decisions = decideAdvice({
    curves: analysis.curves,
    collapse: analysis.collapse,
    candidates: analysis.candidates,
    failureTrends: analysis.failureTrends,
    target: options.target,
    requestsPerMonth: options.requestsPerMonth,
    priceOverrides: options.priceOverrides,
    providerIds: options.providerIds ?? null,
    delta: settings.delta,
    promptComparisons: analysis.promptComparisons,
  });
  // Keep few-shot or fine-tune, priced: the break-even per provider (fine-tune.ts), with the training tokens the sweep counted.
  const advice = withFineTune(
    decisions.map((d) => withReasons(d, renderReasons)),
    analysis.candidates,
    () => buildItemMatrices(trials),
    runInfo.fineTune,
    {
      horizonMonths: options.fineTune?.horizonMonths ?? DEFAULT_FINE_TUNE_HORIZON_MONTHS,
      epochs: options.fineTune?.epochs,
      prices: options.fineTune?.prices ?? null,
      requestsPerMonth: options.requestsPerMonth,
      target: options.target,
      priceOverrides: options.priceOverrides,
      providerIds: options.providerIds ?? null,
      tunedFrom: options.tunedFrom ?? {},
    },
  );
  const { answered, failures } = trials.outcomeTotals();

  // Lanes (a provider under each prompt variant) merged back into providers.
  const modelsByProvider = new Map<string, Set<string>>();
  for (const lane of trials.providers.values()) {
    const set = modelsByProvider.get(lane.provider) ?? new Set<string>();
    for (const m of lane.models) set.add(m);
    modelsByProvider.set(lane.provider, set);
  }
  const modelOf = (id: string): string | null => {
    const set = modelsByProvider.get(id);
    return set ? [...set].sort().join(', ') : null;
  };

  // Trials name a provider by its label, else its id.
  const providers: ProviderSummary[] = runInfo.providers.map((p) => ({
    id: p.id,
    ...(p.label !== undefined ? { label: p.label } : {}),
    status: p.status,
    ...(p.reason !== undefined ? { reason: p.reason } : {}),
    model: modelOf(p.label ?? p.id),
  }));
  const notices: string[] = [];
  for (const p of runInfo.providers) {
    if (p.status === 'skipped') notices.push(`${p.label ?? p.id} skipped${p.reason ? `: ${p.reason}` : ''}`);
  }
  // Trials from a provider run.json does not list would otherwise appear without explanation.
  const listed = new Set(runInfo.providers.map((p) => p.label ?? p.id));
  for (const id of [...modelsByProvider.keys()].sort()) {
    if (listed.has(id)) continue;
    providers.push({ id, status: 'ran', model: modelOf(id) });
    notices.push(`${id} has trials but is not listed in run.json`);
  }
  notices.push(...runInfo.notices, ...extraNotices);
  notices.push(...modelNotices(providers, cells));
  if (runInfo.status === 'running')
    notices.push(
      'the sweep was interrupted (run.json still says running and has no end time: a second Ctrl-C, a kill or a crash); run the experiment again to resume from the cache',
    );

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
    totals: { trials: trials.trials, answered, failures, ...(trials.sharedTrials > 0 && { sharedTrials: trials.sharedTrials }) },
    settings,
    testCount: analysis.testCount,
    target: options.target,
    requestsPerMonth: options.requestsPerMonth,
    cells,
    curves: analysis.curves,
    collapse: analysis.collapse,
    failureTrends: analysis.failureTrends,
    advice,
    promptComparisons: analysis.promptComparisons,
    ...(runInfo.judgeCalibration && { judgeCalibration: summarizeJudgeCalibration(runInfo.judgeCalibration, settings) }),
  };
}

/**
 * Per provider, from its cells: the snapshots that answered (set on `providers`), a notice when more
 * than one model snapshot answered within the run (a silent update looks like a prompt effect), and a
 * notice with the setting to change when replies were cut off while thinking.
 */
function modelNotices(providers: ProviderSummary[], cells: readonly CellSummary[]): string[] {
  const notices: string[] = [];
  for (const p of providers) {
    const name = p.label ?? p.id;
    const own = cells.filter((c) => c.provider === name);
    const snapshots = new Map<string, number>();
    for (const c of own) for (const [s, n] of Object.entries(c.snapshots ?? {})) snapshots.set(s, (snapshots.get(s) ?? 0) + n);
    if (snapshots.size > 0) p.snapshots = Object.fromEntries([...snapshots].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const models = new Set([...snapshots.keys()].map((s) => s.split(' ')[0]!));
    if (models.size > 1) {
      notices.push(
        `${name}: ${models.size} model snapshots answered within this run (${[...models].sort().join(', ')}): the provider updated the model mid-run, so differences between cells may be the model's, not the prompt's`,
      );
    }
    const cutoffs = own.reduce((n, c) => n + (c.thinkingCutoffs ?? 0), 0);
    if (cutoffs > 0) {
      const ks = [...new Set(own.filter((c) => (c.thinkingCutoffs ?? 0) > 0).map((c) => c.k))].sort((a, b) => a - b);
      notices.push(
        `${name}: ${cutoffs} ${cutoffs === 1 ? 'reply was' : 'replies were'} cut off at the output limit while thinking, with no visible answer (k = ${ks.join(', ')}; counted as truncated): raise maxOutputTokens, or lower the thinking (reasoning: { effort: low }, a smaller budgetTokens, or reasoning: off)`,
      );
    }
  }
  return notices;
}
