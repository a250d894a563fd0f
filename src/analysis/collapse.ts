import { points, signedPoints } from '../util/format-numbers.js';
import { CurveChecks, type CurveData } from './curve-tests.js';
import type { TestFamily } from './test-family.js';
import type { AnalysisSettings, CollapseSummary, Comparison, LabelCheck } from '../records/summary.js';

/**
 * Selection-collapse (per provider), its own family at alpha, split evenly between its two claims:
 * - collapse: at some k, selector a beats zero-shot (one-sided exact p) while selector b is more than
 *   delta below zero-shot (upper bound), each check at alpha/2 over the number of (a, b, k)
 *   candidates, since the triple is picked from the data;
 * - stable: no selector at any k is delta or more below zero-shot (every lower bound above -delta,
 *   at alpha/2: an all-must-hold claim needs no further split), given that some selector gains.
 * Otherwise inconclusive. The two claims exclude each other, so at most one is reported.
 */
export function detectCollapse(
  provider: string,
  curves: ReadonlyMap<string, CurveData>,
  settings: AnalysisSettings,
  selectorTests: Comparison[] = [],
  gains: readonly Comparison[] = [],
): CollapseSummary {
  const checks: LabelCheck[] = [];
  const none = (detail: string, label: CollapseSummary['label']): CollapseSummary => ({
    provider,
    label,
    detail,
    k: null,
    gainSelector: null,
    lossSelector: null,
    checks,
    selectorTests,
  });
  const selectors = [...curves.keys()];
  if (selectors.length < 2) return none('only one selector ran: selection-collapse needs two or more on the same items', 'inconclusive');
  if (![...curves.values()].every((c) => c.hasZero)) return none('no k=0 in the sweep: gains cannot be measured', 'inconclusive');

  const { alpha, delta } = settings;
  const checkers = new Map([...curves].map(([s, c]) => [s, new CurveChecks(c, settings)]));
  const indexAt = (selector: string, k: number) => curves.get(selector)!.cells.findIndex((c, j) => j > 0 && c.ref.k === k);
  const ks = [
    ...new Set(
      selectors.flatMap((s) =>
        curves
          .get(s)!
          .cells.slice(1)
          .map((c) => c.ref.k),
      ),
    ),
  ].sort((a, b) => a - b);
  const triples: { a: string; b: string; k: number; ja: number; jb: number }[] = [];
  for (const k of ks) {
    for (const a of selectors) {
      for (const b of selectors) {
        const ja = indexAt(a, k);
        const jb = indexAt(b, k);
        if (a !== b && ja > 0 && jb > 0) triples.push({ a, b, k, ja, jb });
      }
    }
  }
  const collect = () => {
    for (const c of checkers.values()) checks.push(...c.made);
  };
  const level = alpha / 2 / Math.max(1, triples.length);
  // The most extreme candidates first; every candidate's checks are at the split level, so trying
  // several costs nothing more.
  const gain = (s: string, j: number) => checkers.get(s)!.estimate(0, j);
  const promising = triples.filter((t) => gain(t.a, t.ja) > 0 && gain(t.b, t.jb) < -delta).sort((x, y) => gain(x.b, x.jb) - gain(y.b, y.jb));
  for (const t of promising) {
    const ca = checkers.get(t.a)!;
    const cb = checkers.get(t.b)!;
    const lost = cb.bound('collapse', 0, t.jb, 'upper', -delta, level, `${t.b} at k=${t.k} is more than ${points(delta)} points below zero-shot`);
    if (!lost) continue;
    if (!ca.better('collapse', 0, t.ja, level, `${t.a} at k=${t.k} beats zero-shot`)) continue;
    collect();
    return {
      provider,
      label: 'selection-collapse',
      detail:
        `at k=${t.k}, ${t.a} gains ${signedPoints(ca.estimate(0, t.ja))} points over zero-shot but ${t.b} loses ${signedPoints(cb.estimate(0, t.jb))} points, ` +
        `shown more than ${points(delta)} points below zero-shot (n=${cb.diffs(0, t.jb).length} items).`,
      k: t.k,
      gainSelector: t.a,
      lossSelector: t.b,
      checks,
      selectorTests,
    };
  }

  if (!gains.some((g) => g.significant && g.estimate > 0)) {
    collect();
    return none('no selector gains significantly over zero-shot, so there is no gain that could collapse', 'inconclusive');
  }
  let bounded = true;
  for (const s of selectors) {
    const c = checkers.get(s)!;
    for (let j = 1; j < curves.get(s)!.cells.length && bounded; j++) {
      bounded = c.bound('stable', 0, j, 'lower', -delta, alpha / 2, `${s} at k=${c.k(j)} is less than ${points(delta)} points below zero-shot`);
    }
  }
  collect();
  if (bounded) {
    return none(`no selector at any k is shown ${points(delta)} points or more below zero-shot: every one is bounded above that loss`, 'stable');
  }
  return none('no collapse is shown, but a loss of the margin under some selector cannot be ruled out', 'inconclusive');
}

/** Descriptive: every pair of selectors at every k > 0 both ran, which is better at that k? */
export function planSelectorTests(provider: string, curves: ReadonlyMap<string, CurveData>, family: TestFamily, prompt?: string): Comparison[] {
  const selectors = [...curves.keys()];
  const tests: Comparison[] = [];
  for (let x = 0; x < selectors.length; x++) {
    for (let y = x + 1; y < selectors.length; y++) {
      const a = curves.get(selectors[x]!)!.cells;
      const b = curves.get(selectors[y]!)!.cells;
      for (const cell of a) {
        const other = cell.ref.k > 0 ? b.find((c) => c.ref.k === cell.ref.k) : undefined;
        if (other) tests.push(family.compareAccuracy(provider, cell, other, prompt));
      }
    }
  }
  return tests;
}
