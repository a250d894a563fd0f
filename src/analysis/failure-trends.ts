import { pct, pEquals, points } from '../util/format-numbers.js';
import { FAILURE_NAMES, failureNature } from './outcome.js';
import { FAILURE_OUTCOMES, type Comparison, type FailureKey, type FailureTrend } from '../records/summary.js';
import type { CellItems } from './item-scores.js';
import type { TestFamily } from './test-family.js';
import { BUILTIN_PROMPT } from '../records/trial.js';

const KINDS: readonly FailureKey[] = FAILURE_OUTCOMES;
const KIND_NAMES = FAILURE_NAMES;

export interface PlannedTrend {
  provider: string;
  prompt: string;
  selector: string;
  kind: FailureKey;
  cells: CellItems[];
  comparison: Comparison;
}

/**
 * For each failure kind seen in a curve, tests its rate at the largest k against the smallest
 * (normally zero-shot), paired over items: a failure rate that rises with k (timeouts as prompts
 * grow, truncation) is reported beside the accuracy label: for provider failures an operational
 * finding kept out of accuracy; for answer failures, the reason accuracy moved (they count wrong in it).
 */
export function planFailureTrends(provider: string, selector: string, cells: CellItems[], family: TestFamily, prompt: string = BUILTIN_PROMPT): PlannedTrend[] {
  if (cells.length < 2) return [];
  const first = cells[0]!;
  const last = cells[cells.length - 1]!;
  const planned: PlannedTrend[] = [];
  for (const kind of KINDS) {
    if (!cells.some((c) => c.failure[kind].some((v) => v > 0))) continue;
    const single = (c: CellItems) => c.trialCount.every((n) => n <= 1);
    const comparison = family.compareRates(
      provider,
      { ref: first.ref, values: first.failure[kind], single: single(first) },
      { ref: last.ref, values: last.failure[kind], single: single(last) },
      kind,
      prompt,
    );
    planned.push({ provider, prompt, selector, kind, cells, comparison });
  }
  return planned;
}

export function summarizeTrend(p: PlannedTrend): FailureTrend {
  const c = p.comparison;
  const rates = p.cells.map((cell) => {
    let failed = 0;
    let trials = 0;
    cell.failure[p.kind].forEach((share, i) => {
      const n = cell.trialCount[i]!;
      if (n > 0) {
        failed += share * n;
        trials += n;
      }
    });
    return { k: cell.ref.k, rate: trials > 0 ? failed / trials : 0, nTrials: trials };
  });
  const flagged = c.significant && c.estimate > 0;
  const from = rates[0]!;
  const to = rates[rates.length - 1]!;
  const detail = flagged
    ? `${KIND_NAMES[p.kind]} rise from ${pct(from.rate)} at k=${from.k} to ${pct(to.rate)} at k=${to.k} ` +
      `(+${points(c.estimate)} points [${points(c.ciLow)}, ${points(c.ciHigh)}], adjusted ${pEquals(c.pAdjusted)}, n=${c.nItems} items): ${failureNature(p.kind)}.`
    : `${KIND_NAMES[p.kind]}: ${pct(from.rate)} at k=${from.k}, ${pct(to.rate)} at k=${to.k}; no significant rise with k (adjusted ${pEquals(c.pAdjusted)}).`;
  return {
    provider: p.provider,
    prompt: p.prompt,
    selector: p.selector,
    kind: p.kind,
    rates,
    estimate: c.estimate,
    ciLow: c.ciLow,
    ciHigh: c.ciHigh,
    pAdjusted: c.pAdjusted,
    flagged,
    detail,
  };
}
