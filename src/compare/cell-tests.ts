import { ANSWER_FAILURES, TestFamily, type CellItems } from '../analysis/index.js';
import type { AnalysisSettings, Comparison, FailureKey } from '../records/summary.js';
import { points, pRelation } from '../util/format-numbers.js';
import type { CellPair } from './match.js';
import type { CellVerdict, CompareOptions, PairedTest } from './types.js';

export interface CellTests {
  pair: CellPair;
  accuracy: PairedTest;
  answerFailures: PairedTest;
  providerErrors: PairedTest;
  verdict: CellVerdict;
  reasons: string[];
}

/**
 * The paired tests of every compared cell, candidate minus baseline over the shared items (each
 * item's mean over its repeats; exact McNemar for 0/1 scores with one trial per item, else the
 * sign-flip randomization test; adjusted-Wald intervals; all from src/analysis/paired.ts):
 * - accuracy (answer failures scored 0) and the share of answer failures: one Holm family over every compared cell
 *   (two tests a cell), since either can make a regression;
 * - the share of provider errors: its own Holm family, for flags only.
 */
export function testCells(pairs: readonly CellPair[], options: CompareOptions, seed: number): { tests: CellTests[]; testCount: number } {
  const settings: AnalysisSettings = { alpha: options.alpha, delta: options.margin, resamples: options.resamples, seed, confidenceLevel: 0.95 };
  const regressionFamily = new TestFamily(settings, 'compare-regression');
  const errorFamily = new TestFamily(settings, 'compare-provider-errors');
  const planned = pairs.map((pair) => {
    const { provider, baseline: b, candidate: c } = pair;
    return {
      pair,
      accuracy: regressionFamily.compareAccuracy(provider, b, c),
      answerFailures: regressionFamily.compareRates(provider, shares(b, ANSWER_FAILURES), shares(c, ANSWER_FAILURES), 'answer'),
      providerErrors: errorFamily.compareRates(provider, shares(b, ['provider_error']), shares(c, ['provider_error']), 'provider_error'),
    };
  });
  regressionFamily.correct();
  errorFamily.correct();
  const tests = planned.map((p) => {
    const accuracy = paired(p.accuracy);
    const answerFailures = paired(p.answerFailures);
    const { verdict, reasons } = judge(accuracy, answerFailures, options.margin);
    return { pair: p.pair, accuracy, answerFailures, providerErrors: paired(p.providerErrors), verdict, reasons };
  });
  return { tests, testCount: regressionFamily.size };
}

/** Float slack, so a drop of exactly the margin (0.03 written as 0.97 - 1.00) counts as the margin. */
const EPS = 1e-9;

function judge(accuracy: PairedTest, failures: PairedTest, margin: number): { verdict: CellVerdict; reasons: string[] } {
  const reasons: string[] = [];
  if (accuracy.significant && accuracy.estimate <= -margin + EPS) {
    reasons.push(
      `accuracy dropped ${points(-accuracy.estimate)} points (p ${pRelation(accuracy.pAdjusted)} after Holm), at least the ${points(margin)}-point margin`,
    );
  }
  if (failures.significant && failures.estimate >= margin - EPS) {
    reasons.push(
      `answer failures (empty, truncated, unparseable, refused, scorer failures) rose ${points(failures.estimate)} points (p ${pRelation(failures.pAdjusted)} after Holm)`,
    );
  }
  if (reasons.length > 0) return { verdict: 'regression', reasons };
  if (accuracy.significant && accuracy.estimate >= margin - EPS) {
    return { verdict: 'improvement', reasons: [`accuracy rose ${points(accuracy.estimate)} points (p ${pRelation(accuracy.pAdjusted)} after Holm)`] };
  }
  if (accuracy.significant || failures.significant) return { verdict: 'within-margin', reasons: ['a significant change smaller than the margin'] };
  if (accuracy.nItems === 0) return { verdict: 'no-pairs', reasons: ['no item was answered by the model on both sides'] };
  return { verdict: 'no-significant-change', reasons: [] };
}

/** Per item, the share of its trials that failed in one of the given ways (NaN where the item was not asked). */
function shares(cell: CellItems, kinds: readonly FailureKey[]) {
  const n = cell.trialCount.length;
  const values = new Float64Array(n);
  let single = true;
  for (let j = 0; j < n; j++) {
    if (cell.trialCount[j] === 0) {
      values[j] = Number.NaN;
      continue;
    }
    if (cell.trialCount[j] !== 1) single = false;
    let s = 0;
    for (const kind of kinds) s += cell.failure[kind][j]!;
    values[j] = s;
  }
  return { ref: cell.ref, values, single };
}

function paired(c: Comparison): PairedTest {
  return {
    nItems: c.nItems,
    estimate: c.estimate,
    ciLow: c.ciLow,
    ciHigh: c.ciHigh,
    method: c.method,
    pValue: c.pValue,
    pAdjusted: c.pAdjusted,
    significant: c.significant,
    family: c.family,
  };
}

// flags.ts takes `points` from here; its one home is src/util/format-numbers.ts.
export { points } from '../util/format-numbers.js';
