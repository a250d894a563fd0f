import { decideAdvice, withReasons, type AdviceFact, type AdviseInput, type CellFact, type PromptAlternative } from '../analysis/advise.js';
import { FAILURE_NAMES, failureNature } from '../analysis/outcome.js';
import type { Advice } from '../records/summary.js';
import { ZERO_SHOT_SELECTOR } from '../records/trial.js';
import { pct, pEquals, points, signedPoints } from '../util/format-numbers.js';

/**
 * The advice's reasons in English: one sentence per fact the analysis found (src/analysis/advise.ts
 * decides; this module only words it). `adviceReasons` is what buildSummary is given to fill
 * summary.json's `Advice.reasons`.
 */
export function adviceReasons(facts: readonly AdviceFact[]): string[] {
  return facts.map(reasonText);
}

/** The advice of summary.json, reasons written: decideAdvice, then adviceReasons. */
export function advise(input: AdviseInput): Advice[] {
  return decideAdvice(input).map((d) => withReasons(d, adviceReasons));
}

/** One fact as its sentence. */
export function reasonText(f: AdviceFact): string {
  switch (f.kind) {
    case 'no-answers':
      return `No answered trials for ${f.provider}: nothing to compare, so nothing is recommended.`;
    case 'extend-sweep':
      return (
        `${curveName(f.curve, f.best)} is still improving at k=${f.largestK}: extend the sweep to k=${f.nextK} ` +
        'before deciding (more shots may still help).'
      );
    case 'fine-tune': {
      const why =
        f.because === 'settled'
          ? `more shots will not close the gap (${curveName(f.curve, f.best)}: ${f.label})`
          : 'the few-shot gain does not survive a change of selector (selection-collapse)';
      return (
        `The best setting (${cellName(f.best)}, ${formatAccuracy(f.best)}) is below the target of ${pct(f.target)} ` +
        `even at its upper bound, and ${why}: consider fine-tuning.`
      );
    }
    case 'misses-target':
      return (
        `The best setting (${cellName(f.best)}, ${formatAccuracy(f.best)}) misses the target of ${pct(f.target)} ` +
        `even at its upper bound, but the ${curveName(f.curve, f.best)} curve is not settled (${f.label}): ` +
        'measure more items before choosing between more shots and fine-tuning.'
      );
    case 'zero-shot-enough':
      return (
        `Zero-shot is enough: it is statistically tied with the best setting, so shots buy nothing measurable ` +
        `(no gain of ${points(f.delta)} points or more shown).`
      );
    case 'keep-few-shot':
      return `Keep few-shot: ${cellName(f.recommended)}.`;
    case 'not-settled':
      return `Not settled yet: the ${curveName(f.curve, f.best)} curve is ${f.label}.`;
    case 'recommended': {
      const rec = f.recommended;
      if (f.isBest) {
        return `${capitalize(cellName(rec))} is the best setting, ${formatAccuracy(rec)}, and no cheaper setting is statistically tied with it.`;
      }
      const bestShort = `${cellName(f.best)}, ${pct(f.best.accuracy)}`;
      return `${capitalize(cellName(rec))} is the cheapest setting statistically tied with the best (${bestShort}): ` + `${formatAccuracy(rec)}.`;
    }
    case 'curve': {
      let where = '';
      if (f.turn?.at === 'knee') where = ` from k=${f.turn.k}`;
      else if (f.turn?.at === 'peak') where = ` (peak at k=${f.turn.k}, significantly lower after)`;
      else if (f.turn?.at === 'end') where = ` up to k=${f.turn.k}`;
      let first = `${f.selector}: ${f.label}${where}`;
      const p = f.point;
      if (p) {
        first += `; accuracy at k=${p.k} is ${pct(p.accuracy)} [${points(p.ciLow)}, ${points(p.ciHigh)}] (n=${p.nScoredItems} items)`;
      }
      return `${first}.`;
    }
    case 'curve-reason': {
      let reason = capitalize(sentence(f.reason));
      if (f.itemsNeeded !== null && !reason.includes(String(f.itemsNeeded))) {
        reason += ` About ${f.itemsNeeded} items would decide it.`;
      }
      return reason;
    }
    case 'items-needed':
      return `About ${f.itemsNeeded} items would decide it.`;
    case 'no-curve':
      return `No curve was summarized for ${f.provider}, so the shape of accuracy vs k is unknown.`;
    case 'target-met':
      return `The best setting (${cellName(f.best)}) meets the target of ${pct(f.target)}: its interval [${points(f.best.ciLow)}, ${points(f.best.ciHigh)}] lies above it.`;
    case 'target-in-interval':
      return (
        `The target of ${pct(f.target)} lies inside the best setting's interval [${points(f.best.ciLow)}, ${points(f.best.ciHigh)}] ` +
        `(${cellName(f.best)}, n=${f.best.nItems} items): it may or may not be met.`
      );
    case 'selection-collapse':
      return `selection-collapse: ${f.detail}`;
    case 'failure-trend': {
      const span = f.span ? ` from ${pct(f.span.from.rate)} at k=${f.span.from.k} to ${pct(f.span.to.rate)} at k=${f.span.to.k}` : '';
      return (
        `Failure rate of ${FAILURE_NAMES[f.failure]} rises with k for ${f.selector}${span ? `:${span}` : ''}, ` +
        `${signedPoints(f.estimate)} points [${points(f.ciLow)}, ${points(f.ciHigh)}] (${failureNature(f.failure)}).`
      );
    }
    case 'prompt-size':
      return (
        `${cellName(f.recommended)} sends about ${Math.round(f.tokens)} tokens per request ` +
        `vs ${Math.round(f.zeroShotTokens)} zero-shot (${(f.tokens / f.zeroShotTokens).toFixed(1)}x).`
      );
    case 'no-price':
      return `No price for ${f.provider}: add it under prices: in the experiment to see costs.`;
    case 'prompt-choice':
      return promptChoiceText(f.prompt, f.others);
  }
}

/** "Prompt terse: its best setting is the most accurate of 2 variants; against verbose at that setting +3.0 points [...]". */
function promptChoiceText(prompt: string, others: readonly PromptAlternative[]): string {
  const parts = others.map((o) => {
    const own = o.recommended ? `its own best ${cellName(o.recommended)}, ${formatAccuracy(o.recommended)}` : 'no answers';
    const t = o.atChosen;
    if (!t) return `${o.prompt} (${own}; not run at this setting)`;
    const verdict = t.significant ? 'significantly better' : 'not a significant difference';
    return `${o.prompt}: ${signedPoints(t.estimate)} points [${points(t.ciLow)}, ${points(t.ciHigh)}] at this setting, n=${t.nItems} items, adjusted ${pEquals(t.pAdjusted)} (${verdict}; ${own})`;
  });
  const allBetter = others.every((o) => o.atChosen?.significant === true && o.atChosen.estimate > 0);
  const lead = allBetter
    ? `Prompt ${prompt} is recommended: at its best setting it is significantly more accurate than every other prompt variant`
    : `Prompt ${prompt} is recommended: its best setting is the most accurate of ${others.length + 1} prompt variants (ties: fewer tokens per request), but it is not shown better than every other variant there`;
  return `${lead}. Against ${parts.join('; against ')}.`;
}

/** The deciding curve by its selector; without one, the best cell's selector ("zero-shot" for k = 0's). */
function curveName(curve: string | null, best: CellFact): string {
  if (curve !== null) return curve;
  return best.selector === ZERO_SHOT_SELECTOR ? 'zero-shot' : best.selector;
}

function cellName(cell: CellFact): string {
  if (cell.k === 0 || cell.selector === ZERO_SHOT_SELECTOR) return 'zero-shot (k=0)';
  return `k=${cell.k} with ${cell.selector}`;
}

/** "72.0% [65.1, 78.3] (n=60 items)". */
function formatAccuracy(cell: CellFact): string {
  return `${pct(cell.accuracy)} [${points(cell.ciLow)}, ${points(cell.ciHigh)}] (n=${cell.nItems} items)`;
}

/** Sentence case, except a leading "k=" which reads as a symbol. */
function capitalize(s: string): string {
  return s.length > 0 && !s.startsWith('k=') ? s[0]!.toUpperCase() + s.slice(1) : s;
}

function sentence(s: string): string {
  const t = s.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}
