import { formatP, pct, points, signedPointsPlainZero } from '../util/format-numbers.js';
import type { CellComparison, CellVerdict, CompareResult, RunRef } from './types.js';

/** Shared wording of the renderers (terminal, Markdown, JUnit). */

export const VERDICT_WORDS: Record<CellVerdict, string> = {
  regression: 'REGRESSION',
  improvement: 'improvement',
  'within-margin': 'within margin',
  'no-significant-change': 'ok',
  'no-pairs': 'no pairs',
};

export function headline(r: CompareResult): string {
  const { cells, regressions, flags } = r.counts;
  if (r.verdict === 'regression') return `${regressions} regression${regressions === 1 ? '' : 's'} in ${cells} compared cell${cells === 1 ? '' : 's'}`;
  if (r.verdict === 'flagged') return `no regression in ${cells} compared cell${cells === 1 ? '' : 's'}; ${flags} flag${flags === 1 ? '' : 's'}`;
  return `no regression in ${cells} compared cell${cells === 1 ? '' : 's'}`;
}

/** What a regression is, with the settings in force. */
export function rule(r: CompareResult): string {
  return (
    `regression = a drop in accuracy (answer failures counted wrong), or a rise in answer failures, of at least ${points(r.options.margin)} points ` +
    `that is significant after Holm over ${r.testCount} tests at alpha ${r.options.alpha}`
  );
}

export function cellName(c: Pick<CellComparison, 'provider' | 'selector' | 'k'>): string {
  return `${c.provider} / ${c.selector} / k=${c.k}`;
}

export function pctOrNa(x: number | null): string {
  return x === null ? 'n/a' : pct(x);
}

/** "-12.0 [-20.1, -3.9]" in points. */
export function difference(c: CellComparison): string {
  const a = c.accuracy;
  if (a.nItems === 0) return 'n/a';
  return `${signedPointsPlainZero(a.estimate)} [${points(a.ciLow)}, ${points(a.ciHigh)}]`;
}

export function pAdjusted(c: CellComparison): string {
  return c.accuracy.nItems === 0 ? 'n/a' : formatP(c.accuracy.pAdjusted);
}

/** "abc1234" (+ "dirty"), or "no commit". */
export function commitOf(run: RunRef): string {
  if (!run.git.commit) return 'no commit';
  return `${run.git.commit.slice(0, 7)}${run.git.dirty ? ' (dirty)' : ''}`;
}

/** "120 trials (96 from the cache, 24 new calls)". */
export function trialsOf(run: RunRef): string {
  const parts = [];
  if (run.cachedTrials > 0) parts.push(`${run.cachedTrials} from the cache`);
  if (run.cachedTrials > 0 || run.newCalls > 0) parts.push(`${run.newCalls} new call${run.newCalls === 1 ? '' : 's'}`);
  return `${run.trials} trials${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

export function hash8(hash: string | null): string {
  return hash === null ? 'none' : hash.slice(0, 8);
}

/** One line on what changed in what was asked. */
export function promptLine(r: CompareResult): string {
  const p = r.prompt;
  const template =
    p.templateChanged === null
      ? 'template not compared (a run has no fingerprint)'
      : p.templateChanged
        ? `template changed (${hash8(r.baseline.promptHash)} -> ${hash8(r.candidate.promptHash)})`
        : `template unchanged (${hash8(r.candidate.promptHash)})`;
  const settings = p.settingsChanged ? `settings changed (${p.settingsChanges.length} listed below)` : 'settings unchanged';
  const items = p.itemsChanged ? '; evaluation items changed' : '';
  const files = p.templateFiles.length > 0 ? `; template file${p.templateFiles.length === 1 ? '' : 's'} changed: ${p.templateFiles.join(', ')}` : '';
  const scorers = p.scoringFiles.length > 0 ? `; scoring file${p.scoringFiles.length === 1 ? '' : 's'} changed: ${p.scoringFiles.join(', ')}` : '';
  return `${template}${files}; ${settings}${items}${scorers}`;
}

/** "2 cells, 3 items (item-0001, ...)" of one side. */
export function oneSidedLines(side: CompareResult['onlyInBaseline']): string[] {
  const lines: string[] = [];
  for (const p of side.providers) lines.push(`provider ${p} (all its cells)`);
  for (const c of side.cells) if (!side.providers.includes(c.provider)) lines.push(`cell ${cellName(c)} (${c.nItems} items)`);
  for (const i of side.items) {
    const shown = i.ids.slice(0, 10).join(', ');
    lines.push(`${i.count} item${i.count === 1 ? '' : 's'} of ${i.provider}: ${shown}${i.count > 10 ? ', ...' : ''}`);
  }
  return lines;
}
