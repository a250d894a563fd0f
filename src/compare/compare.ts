import {
  analysisOptions,
  ANSWER_FAILURES,
  buildItemMatrices,
  buildSummary,
  costPerRequest,
  resolvePrice,
  type CellItems,
  type ResolvedPrice,
} from '../analysis/index.js';
import type { CellSummary, FailureKey, RunSummary } from '../records/summary.js';
import { testCells, type CellTests } from './cell-tests.js';
import { CompareError } from './errors.js';
import { adviceFlags, costFlags, coverageFlags, failureFlags, labelFlags, snapshotFlags } from './flags.js';
import type { LoadedRun } from './load.js';
import { hasPromptVariants, matchCells, mergeLanes, type CellPair } from './match.js';
import { variantView } from '../report/variants.js';
import { promptChange, settingsHashOf } from './prompt-change.js';
import { COMPARE_SCHEMA_VERSION, type CellComparison, type CellSide, type CompareOptions, type CompareResult, type RunRef } from './types.js';

/**
 * Compares a candidate run with a baseline run of the same experiment, cell by cell (provider x
 * selector x k), paired over the item ids both asked. Pure apart from `generatedAt`: the same two
 * runs and options give the same result. Throws a CompareError when the runs cannot be compared
 * (different task types, different experiments unless allowed, no cell in common).
 */
export function compareRuns(baseline: LoadedRun, candidate: LoadedRun, options: CompareOptions, now: Date = new Date()): CompareResult {
  checkSameExperiment(baseline, candidate, options);
  const lanesB = buildItemMatrices(baseline.totals);
  const lanesC = buildItemMatrices(candidate.totals);
  // With prompt variants on either side, cells are named `<prompt> · <selector>` on both (as the report names them).
  const named = hasPromptVariants(lanesB) || hasPromptVariants(lanesC);
  const matched = matchCells(mergeLanes(lanesB, named), mergeLanes(lanesC, named));
  if (!matched.pairs.some(hasSharedItems)) {
    const list = (run: LoadedRun) =>
      [...run.totals.providers.values()]
        .flatMap((p) => [...p.cells.values()].map((c) => `${p.provider} / ${c.selector} / k=${c.k}`))
        .sort()
        .slice(0, 8)
        .join(', ');
    throw new CompareError(
      `nothing to compare: no provider x selector x k cell has items asked in both runs ` +
        `(baseline ${baseline.dir}: ${list(baseline)}; candidate ${candidate.dir}: ${list(candidate)})`,
    );
  }
  const { tests, testCount } = testCells(matched.pairs, options, candidate.info.seed);
  // Labels and advice come from each run's own analysis (its alpha and delta), recomputed from its trials.
  const fixed = new Date(0);
  const summaryB = variantView(buildSummary(baseline.totals, baseline.info, fixed), named);
  const summaryC = variantView(buildSummary(candidate.totals, candidate.info, fixed), named);
  const priceOf = (run: LoadedRun) => {
    const { priceOverrides: overrides, providerIds } = analysisOptions(run.info.config, run.info.seed);
    const cache = new Map<string, ResolvedPrice | null>();
    return (provider: string) => {
      // A labelled provider is priced by its model id.
      if (!cache.has(provider)) cache.set(provider, resolvePrice(providerIds?.[provider] ?? provider, overrides));
      return cache.get(provider)!;
    };
  };
  const pricesB = priceOf(baseline);
  const pricesC = priceOf(candidate);
  const cells = tests.map((t) => cellComparison(t, summaryB, summaryC, pricesB(t.pair.provider), pricesC(t.pair.provider)));

  const flags = [
    ...coverageFlags(matched.onlyInBaseline),
    ...snapshotFlags(summaryB, summaryC),
    ...labelFlags(summaryB, summaryC),
    ...adviceFlags(summaryB, summaryC),
    ...failureFlags(cells),
    ...costFlags(cells, options.costThreshold),
  ];
  const prompt = promptChange(baseline.info, candidate.info);
  const regressions = cells.filter((c) => c.verdict === 'regression').length;
  return {
    schemaVersion: COMPARE_SCHEMA_VERSION,
    generatedAt: now.toISOString(),
    baseline: runRef(baseline),
    candidate: runRef(candidate),
    options: { margin: options.margin, alpha: options.alpha, costThreshold: options.costThreshold, resamples: options.resamples },
    verdict: regressions > 0 ? 'regression' : flags.length > 0 ? 'flagged' : 'clean',
    counts: { cells: cells.length, regressions, improvements: cells.filter((c) => c.verdict === 'improvement').length, flags: flags.length },
    testCount,
    cells,
    flags,
    onlyInBaseline: matched.onlyInBaseline,
    onlyInCandidate: matched.onlyInCandidate,
    prompt,
    notices: notices(baseline, candidate, prompt.itemsChanged),
  };
}

/**
 * Two runs are comparable when they ran the same kind of task under the same experiment name
 * (a renamed experiment with `allowDifferentExperiments`). Everything else (template, settings,
 * selectors, providers) may differ: that is what a comparison is for.
 */
export function checkSameExperiment(baseline: LoadedRun, candidate: LoadedRun, options: Pick<CompareOptions, 'allowDifferentExperiments'>): void {
  checkComparable(
    { dir: baseline.dir, name: baseline.info.experiment.name, taskType: baseline.info.task.type },
    { dir: candidate.dir, name: candidate.info.experiment.name, taskType: candidate.info.task.type },
    options.allowDifferentExperiments,
  );
}

/** The same check against an experiment about to run (`sweep --baseline`), before any call is made. */
export function checkComparable(
  baseline: { dir: string; name: string; taskType: string },
  candidate: { dir: string; name: string; taskType: string },
  allowDifferentExperiments: boolean,
): void {
  if (baseline.taskType !== candidate.taskType) {
    throw new CompareError(
      `mismatched experiments: the baseline (${baseline.dir}) ran a ${baseline.taskType} task, the candidate (${candidate.dir}) a ${candidate.taskType} task; their items cannot be paired`,
    );
  }
  if (baseline.name !== candidate.name && !allowDifferentExperiments) {
    throw new CompareError(
      `mismatched experiments: the baseline (${baseline.dir}) is experiment "${baseline.name}", the candidate (${candidate.dir}) "${candidate.name}"; ` +
        'pass --allow-different-experiments to compare a renamed experiment',
    );
  }
}

function hasSharedItems(pair: CellPair): boolean {
  for (let j = 0; j < pair.itemIds.length; j++) if (pair.baseline.trialCount[j]! > 0 && pair.candidate.trialCount[j]! > 0) return true;
  return false;
}

function cellComparison(t: CellTests, summaryB: RunSummary, summaryC: RunSummary, priceB: ResolvedPrice | null, priceC: ResolvedPrice | null): CellComparison {
  const { provider, ref } = t.pair;
  const find = (s: RunSummary) => s.cells.find((c) => c.provider === provider && c.selector === ref.selector && c.k === ref.k) ?? null;
  return {
    provider,
    selector: ref.selector,
    k: ref.k,
    verdict: t.verdict,
    reasons: t.reasons,
    baseline: side(t.pair.baseline, t.pair.candidate, find(summaryB), priceB),
    candidate: side(t.pair.candidate, t.pair.baseline, find(summaryC), priceC),
    accuracy: t.accuracy,
    answerFailures: t.answerFailures,
    providerErrors: t.providerErrors,
    currency: priceB?.currency ?? priceC?.currency ?? null,
  };
}

/** One side's figures over the paired items, so candidate minus baseline is the tested difference. */
function side(own: CellItems, other: CellItems, summary: CellSummary | null, price: ResolvedPrice | null): CellSide {
  let accSum = 0;
  let accN = 0;
  let answerSum = 0;
  let errorSum = 0;
  let askedN = 0;
  for (let j = 0; j < own.accuracy.length; j++) {
    if (Number.isFinite(own.accuracy[j]!) && Number.isFinite(other.accuracy[j]!)) {
      accSum += own.accuracy[j]!;
      accN++;
    }
    if (own.trialCount[j]! > 0 && other.trialCount[j]! > 0) {
      answerSum += sumOf(own, ANSWER_FAILURES, j);
      errorSum += own.failure.provider_error[j]!;
      askedN++;
    }
  }
  const tokensIn = summary?.meanTokensIn ?? null;
  const tokensPerRequest = tokensIn === null ? null : tokensIn + (summary?.meanTokensOut ?? 0);
  const costPer1k =
    price && summary && tokensIn !== null ? 1000 * costPerRequest(price, tokensIn, summary.meanTokensOut ?? 0, summary.meanCachedTokens ?? 0) : null;
  return {
    accuracy: accN > 0 ? accSum / accN : null,
    answerFailureRate: askedN > 0 ? answerSum / askedN : null,
    providerErrorRate: askedN > 0 ? errorSum / askedN : null,
    nTrials: summary?.nTrials ?? 0,
    tokensPerRequest,
    costPer1k,
  };
}

function sumOf(cell: CellItems, kinds: readonly FailureKey[], j: number): number {
  let s = 0;
  for (const k of kinds) s += cell.failure[k][j]!;
  return s;
}

function runRef(run: LoadedRun): RunRef {
  const { info } = run;
  return {
    dir: run.dir,
    runId: info.runId,
    experimentName: info.experiment.name,
    taskType: info.task.type,
    status: info.status,
    startedAt: info.startedAt,
    git: { commit: info.git?.commit ?? null, dirty: info.git?.dirty ?? null },
    trials: run.totals.trials,
    cachedTrials: run.cachedTrials,
    newCalls: run.newCalls,
    promptHash: info.prompt?.hash ?? null,
    settingsHash: settingsHashOf(info),
    itemsHash: info.prompt?.itemsHash ?? null,
  };
}

function notices(baseline: LoadedRun, candidate: LoadedRun, itemsChanged: boolean | null): string[] {
  const out = [...baseline.notices, ...candidate.notices];
  for (const run of [baseline, candidate]) {
    if (run.info.status !== 'complete') {
      // run.json still saying `running` means the sweep never finished: a second signal, a kill or a crash.
      const status = run.info.status === 'running' ? 'interrupted (run.json has no end time)' : run.info.status;
      out.push(`the ${run.side} run is ${status}: cells and items it did not reach are listed as one-sided`);
    }
    if (!run.info.prompt) out.push(`the ${run.side} run.json has no prompt fingerprint (an older fewshot, or an import): templates are not compared`);
  }
  if (baseline.info.experiment.name !== candidate.info.experiment.name) {
    out.push(`different experiments compared: "${baseline.info.experiment.name}" and "${candidate.info.experiment.name}"`);
  }
  if (itemsChanged) {
    out.push('the evaluation items differ in content: items are paired by id, but some ids now hold other questions (task data or task settings changed)');
  }
  return out;
}
