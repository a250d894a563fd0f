import type { CurveTests } from './curve-tests.js';
import type { TestFamily } from './test-family.js';
import { pEquals } from './labels.js';
import type { AnalysisSettings, CollapseSummary, Comparison } from './verdict-types.js';

const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;

/**
 * Selection-collapse (per provider): at some k, one selector's significant gain over zero-shot of
 * at least delta turns, under another selector at the same k, into a significant loss of at least
 * delta against zero-shot. Stable when, wherever a selector gains, every other selector at that k
 * is shown to lose less than delta; inconclusive otherwise.
 */
export function detectCollapse(
  provider: string,
  curves: ReadonlyMap<string, CurveTests>,
  settings: AnalysisSettings,
  selectorTests: Comparison[] = [],
): CollapseSummary {
  const none = (detail: string, label: CollapseSummary['label']): CollapseSummary => ({
    provider,
    label,
    detail,
    k: null,
    gainSelector: null,
    lossSelector: null,
    selectorTests,
  });
  const selectors = [...curves.keys()];
  if (selectors.length < 2) return none('only one selector ran: selection-collapse needs two or more on the same items', 'inconclusive');
  if (![...curves.values()].every((c) => c.hasZero)) return none('no k=0 in the sweep: gains cannot be measured', 'inconclusive');

  const gainAt = (selector: string, k: number): Comparison | null => {
    const tests = curves.get(selector)!;
    const j = tests.cells.findIndex((c) => c.ref.k === k);
    return j > 0 ? (tests.gains[j] ?? null) : null;
  };
  const ks = [...new Set(selectors.flatMap((s) => curves.get(s)!.cells.map((c) => c.ref.k)))].filter((k) => k > 0).sort((a, b) => a - b);

  let anyGain = false;
  let allBounded = true;
  for (const k of ks) {
    for (const a of selectors) {
      const gain = gainAt(a, k);
      if (!gain || !(gain.significant && gain.estimate >= settings.delta)) continue;
      anyGain = true;
      for (const b of selectors) {
        if (b === a) continue;
        const other = gainAt(b, k);
        if (!other) continue;
        if (other.significant && other.estimate <= -settings.delta) {
          return {
            provider,
            label: 'selection-collapse',
            detail:
              `at k=${k}, ${a} gains ${pts(gain.estimate)} points over zero-shot [${pts(gain.ciLow)}, ${pts(gain.ciHigh)}] ` +
              `but ${b} loses ${pts(other.estimate)} points [${pts(other.ciLow)}, ${pts(other.ciHigh)}], adjusted ${pEquals(other.pAdjusted)}, n=${other.nItems}.`,
            k,
            gainSelector: a,
            lossSelector: b,
            selectorTests,
          };
        }
        if (!(other.ciLow > -settings.delta)) allBounded = false;
      }
    }
  }
  if (!anyGain) return none('no selector gains significantly over zero-shot, so there is no gain that could collapse', 'inconclusive');
  if (allBounded) {
    return none(`wherever a selector gains, every other selector at that k is shown to lose less than ${pts(settings.delta)} points against zero-shot`, 'stable');
  }
  return none('no collapse is shown, but a loss of the margin under another selector cannot be ruled out', 'inconclusive');
}

/** Every pair of selectors at every k > 0 both ran: which selector is better at that k? */
export function planSelectorTests(provider: string, curves: ReadonlyMap<string, CurveTests>, family: TestFamily): Comparison[] {
  const selectors = [...curves.keys()];
  const tests: Comparison[] = [];
  for (let x = 0; x < selectors.length; x++) {
    for (let y = x + 1; y < selectors.length; y++) {
      const a = curves.get(selectors[x]!)!.cells;
      const b = curves.get(selectors[y]!)!.cells;
      for (const cell of a) {
        const other = cell.ref.k > 0 ? b.find((c) => c.ref.k === cell.ref.k) : undefined;
        if (other) tests.push(family.compareAccuracy(provider, cell, other));
      }
    }
  }
  return tests;
}
