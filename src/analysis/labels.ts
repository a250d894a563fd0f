import { equivalenceBounds } from './test-family.js';
import type { CurveTests } from './curve-tests.js';
import { Z95 } from './stats.js';
import type { AnalysisSettings, Comparison, CurveLabel } from './verdict-types.js';

export interface LabelResult {
  label: CurveLabel;
  kneeK: number | null;
  peakK: number | null;
  reason: string;
  itemsNeeded: number | null;
}

/** z for 80% power, for the rough sample-size estimate of an inconclusive curve. */
const Z_POWER80 = 0.841621;
/** Item-difference spread assumed when the data cannot say (about that of 10-20% discordant pairs). */
const MIN_SD = 0.3;

const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;
const ci = (c: Comparison) => `[${pts(c.ciLow)}, ${pts(c.ciHigh)}]`;
const evidence = (c: Comparison) => `${pts(c.estimate)} points ${ci(c)}, adjusted ${pEquals(c.pAdjusted)}, n=${c.nItems}`;

/** `p=0.012`, or `p<0.001` below what three decimals show. */
export function pEquals(p: number): string {
  return p < 0.001 ? 'p<0.001' : `p=${p.toFixed(3)}`;
}

/**
 * Labels one curve from its Holm-corrected tests. A label needs both significance and a
 * difference of at least delta; a plateau or no-benefit needs equivalence (interval bounds
 * inside delta), never mere non-significance. Anything else is inconclusive.
 */
export function labelCurve(t: CurveTests, settings: AnalysisSettings): LabelResult {
  const { delta } = settings;
  const k = (i: number) => t.cells[i]!.ref.k;
  const materialGain = (c: Comparison | null): c is Comparison => c !== null && c.significant && c.estimate >= delta;

  if (t.drop) {
    const gain = t.gains[t.drop.peak] ?? null;
    const drop = t.drop.comparison;
    if (materialGain(gain) && drop.significant && drop.estimate <= -delta) {
      return {
        label: 'peak-regression',
        kneeK: null,
        peakK: k(t.drop.peak),
        reason: `peaks at k=${k(t.drop.peak)} (${evidence(gain)} over zero-shot), then falls by k=${k(t.drop.trough)} (${evidence(drop)}).`,
        itemsNeeded: null,
      };
    }
  }

  const m = t.cells.length - 1;
  if (t.lastStep && t.lastStep.significant && t.lastStep.estimate >= delta) {
    return {
      label: 'improving',
      kneeK: null,
      peakK: null,
      reason: `still rising at the end of the sweep: k=${k(m - 1)} to k=${k(m)} gains ${evidence(t.lastStep)}; try larger k.`,
      itemsNeeded: null,
    };
  }

  if (!t.hasZero) {
    return inconclusive(t, settings, 'the sweep has no k=0, so there is no zero-shot baseline to measure gains against');
  }

  for (let j = 1; j < m; j++) {
    const gain = t.gains[j] ?? null;
    if (!materialGain(gain)) continue;
    // Flat past the knee: every later point is shown to be within delta of the knee, either way
    // (a later decline is not a plateau, and an earlier higher peak fails this at its own knee).
    const later = t.cells.slice(j + 1).map((cell) => equivalenceBounds(t.cells[j]!, cell));
    if (later.every((r) => r.nItems > 0 && r.upper < delta && r.lower > -delta)) {
      const largest = Math.max(...later.map((r) => Math.max(r.upper, -r.lower)));
      return {
        label: 'plateau',
        kneeK: k(j),
        peakK: null,
        reason: `gains ${evidence(gain)} over zero-shot by k=${k(j)}; past it every k stays within ${pts(delta).slice(1)} points of it (largest one-sided 95% bound ${pts(largest).slice(1)}).`,
        itemsNeeded: null,
      };
    }
  }

  const gains = t.gains.slice(1).filter((g): g is Comparison => g !== null);
  const gainBounds = t.cells.slice(1).map((cell) => equivalenceBounds(t.cells[0]!, cell));
  if (gains.length > 0 && !gains.some((g) => g.significant && g.estimate > 0) && gainBounds.every((g) => g.nItems > 0 && g.upper < delta)) {
    const largest = Math.max(...gainBounds.map((g) => g.upper));
    return {
      label: 'no-benefit',
      kneeK: null,
      peakK: null,
      reason: `no k beats zero-shot, and every gain is ruled out above ${pts(delta)} points (largest one-sided 95% upper bound ${pts(largest)}, n=${Math.min(...gains.map((g) => g.nItems))}).`,
      itemsNeeded: null,
    };
  }

  return inconclusive(t, settings, undecidedPart(t, settings));
}

function undecidedPart(t: CurveTests, settings: AnalysisSettings): string {
  const gains = t.gains.filter((g): g is Comparison => g !== null);
  const significant = gains.filter((g) => g.significant && g.estimate >= settings.delta);
  if (significant.length > 0) {
    return 'shots help, but the data cannot tell whether the curve has flattened, keeps rising or falls';
  }
  return `no gain over zero-shot is significant, and gains of ${pts(settings.delta)} points cannot be ruled out either`;
}

function inconclusive(t: CurveTests, settings: AnalysisSettings, why: string): LabelResult {
  const tests = [...t.gains, t.lastStep, t.drop?.comparison ?? null].filter((c): c is Comparison => c !== null);
  const n = Math.max(0, ...tests.map((c) => c.nItems));
  const needed = itemsToDecide(tests, settings.delta);
  const more = needed !== null && needed > n ? `; roughly ${needed} items would decide it (now ${n})` : '';
  return { label: 'inconclusive', kneeK: null, peakK: null, reason: `${why}${more}.`, itemsNeeded: needed };
}

/**
 * Rough items needed to detect (or rule out) a difference of delta with 80% power at 5%, from the
 * spread of the observed item differences. A planning figure, not a promise: the Holm correction
 * over many tests needs somewhat more.
 */
export function itemsToDecide(tests: readonly Comparison[], delta: number): number | null {
  if (tests.length === 0 || !(delta > 0)) return null;
  const spreads = tests.map((c) => sdFromInterval(c)).filter(Number.isFinite);
  const sd = Math.max(MIN_SD, ...spreads);
  return Math.ceil((((Z95 + Z_POWER80) * sd) / delta) ** 2);
}

/** The item-difference SD implied by an interval's width (half-width = z * sd / sqrt(n)). */
function sdFromInterval(c: Comparison): number {
  if (c.nItems <= 0) return Number.NaN;
  return (((c.ciHigh - c.ciLow) / 2) * Math.sqrt(c.nItems + 2)) / Z95;
}
