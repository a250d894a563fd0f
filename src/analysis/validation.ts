/**
 * Ground truth for validating labels: true curves defined on any k grid, a fast simulator of paired
 * 0/1 item scores, and what each label claims about the true curve. The validation test and the
 * table in docs/statistics.md use these; the claims here are the ones labels.ts states in its reasons.
 */
import type { CurveData } from './curve-tests.js';
import type { CellItems } from './item-scores.js';
import { referenceIndex } from './label-family.js';
import type { LabelResult } from './labels.js';
import { FAILURE_OUTCOMES, type CurveLabel, type FailureKey } from '../records/summary.js';
import { Rng } from '../util/rng.js';

/** A true curve: accuracy at anchor k values, linear in log2(1 + k) between them, flat beyond. */
export interface TrueShape {
  name: string;
  anchors: readonly (readonly [number, number])[];
  /** What the shape probes. */
  note: string;
}

const riser = (start: number, perDoubling: number): (readonly [number, number])[] =>
  [0, 1, 2, 4, 8, 16, 32, 64].map((k) => [k, start + perDoubling * Math.log2(1 + k)] as const);

/** The shapes of the validation: the four label shapes, then shapes at every boundary. */
export const TRUE_SHAPES: readonly TrueShape[] = [
  {
    name: 'steep riser',
    note: 'improving',
    anchors: [
      [0, 0.3],
      [1, 0.4],
      [2, 0.5],
      [4, 0.6],
      [8, 0.7],
      [16, 0.85],
      [32, 0.9],
      [64, 0.93],
    ],
  },
  {
    name: 'plateau from k=2',
    note: 'plateau',
    anchors: [
      [0, 0.3],
      [1, 0.5],
      [2, 0.65],
      [64, 0.65],
    ],
  },
  {
    name: 'peak at 2-4, falls 30',
    note: 'peak-regression',
    anchors: [
      [0, 0.3],
      [1, 0.5],
      [2, 0.7],
      [4, 0.7],
      [8, 0.45],
      [16, 0.4],
    ],
  },
  {
    name: 'flat',
    note: 'no-benefit',
    anchors: [
      [0, 0.5],
      [64, 0.5],
    ],
  },
  { name: 'slow riser, 4 points a doubling', note: 'improving near delta', anchors: riser(0.4, 0.04) },
  { name: 'slow riser, 2 points a doubling', note: 'plateau near delta', anchors: riser(0.4, 0.02) },
  {
    name: 'late peak at 8, falls 10',
    note: 'peak-regression late',
    anchors: [
      [0, 0.3],
      [1, 0.4],
      [2, 0.5],
      [4, 0.6],
      [8, 0.7],
      [16, 0.6],
    ],
  },
  {
    name: 'decline of 6 points past k=4',
    note: 'drop just over delta',
    anchors: [
      [0, 0.3],
      [1, 0.5],
      [2, 0.65],
      [4, 0.65],
      [8, 0.62],
      [16, 0.59],
    ],
  },
  {
    name: 'decline of 4 points past k=4',
    note: 'drop just under delta',
    anchors: [
      [0, 0.3],
      [1, 0.5],
      [2, 0.65],
      [4, 0.65],
      [8, 0.63],
      [16, 0.61],
    ],
  },
  {
    name: 'gain of 4 points from k=1',
    note: 'gain below delta',
    anchors: [
      [0, 0.6],
      [1, 0.64],
      [64, 0.64],
    ],
  },
  {
    name: 'gain of 6 points from k=1',
    note: 'gain just over delta',
    anchors: [
      [0, 0.6],
      [1, 0.66],
      [64, 0.66],
    ],
  },
  {
    name: 'review curve (0.30 ... 0.70 at 16)',
    note: 'slowing riser',
    anchors: [
      [0, 0.3],
      [1, 0.42],
      [2, 0.52],
      [4, 0.6],
      [8, 0.66],
      [16, 0.7],
      [32, 0.74],
      [64, 0.78],
    ],
  },
];

/** The k grids every shape is swept on. */
export const K_GRIDS: Readonly<Record<string, readonly number[]>> = {
  sparse: [0, 4, 16],
  doubling: [0, 1, 2, 4, 8, 16],
  dense: [0, 1, 2, 3, 4, 6, 8, 12, 16],
  wide: [0, 1, 2, 4, 8, 16, 32, 64],
};

/** The true accuracy at each k of the grid. */
export function trueAccuracy(shape: TrueShape, ks: readonly number[]): number[] {
  const x = (k: number) => Math.log2(1 + k);
  const a = shape.anchors;
  return ks.map((k) => {
    if (k <= a[0]![0]) return a[0]![1];
    for (let i = 1; i < a.length; i++) {
      const [k1, p1] = a[i]!;
      if (k <= k1) {
        const [k0, p0] = a[i - 1]!;
        return p0 + ((p1 - p0) * (x(k) - x(k0))) / (x(k1) - x(k0));
      }
    }
    return a[a.length - 1]![1];
  });
}

/**
 * One simulated curve of 0/1 scores, one trial per item: item i is right at k when V < p_k, V being
 * the item's latent ease with probability `consistency` and a fresh uniform draw otherwise, so the
 * accuracy at k is exactly p_k and items stay correlated across k as real items do.
 */
export function simulateCurve(accuracy: readonly number[], ks: readonly number[], items: number, consistency: number, seed: string): CurveData {
  const rng = new Rng(['validation', seed]);
  const columns = ks.map(() => new Float64Array(items));
  for (let i = 0; i < items; i++) {
    const ease = rng.next();
    for (let j = 0; j < ks.length; j++) {
      const v = rng.next() < consistency ? ease : rng.next();
      columns[j]![i] = v < accuracy[j]! ? 1 : 0;
    }
  }
  const ones = new Uint32Array(items).fill(1);
  const cells: CellItems[] = ks.map((k, j) => ({
    ref: { selector: k === 0 ? 'none' : 'sim', k },
    accuracy: columns[j]!,
    scoredCount: ones,
    binary: true,
    failure: Object.fromEntries(FAILURE_OUTCOMES.map((f) => [f, new Float64Array(items)])) as Record<FailureKey, Float64Array>,
    trialCount: ones,
  }));
  return { provider: 'sim', selector: 'sim', cells, hasZero: ks[0] === 0 };
}

/** Does the label's stated claim hold on the true curve? (Inconclusive claims nothing: false.) */
export function claimHolds(
  label: Pick<LabelResult, 'label' | 'kneeK' | 'peakK' | 'troughK'>,
  p: readonly number[],
  ks: readonly number[],
  delta: number,
): boolean {
  const at = (k: number | null) => (k === null ? -1 : ks.indexOf(k));
  const m = ks.length - 1;
  const eps = 1e-12;
  switch (label.label) {
    case 'peak-regression': {
      const j = at(label.peakK);
      const l = at(label.troughK);
      return j > 0 && l > j && p[j]! > p[0]! + eps && p[l]! < p[j]! - delta - eps;
    }
    case 'plateau': {
      const j = at(label.kneeK);
      return j > 0 && p[j]! > p[0]! + eps && p.slice(j + 1).every((x) => x < p[j]! + delta - eps);
    }
    case 'no-benefit':
      return p.slice(1).every((x) => x < p[0]! + delta - eps);
    case 'improving': {
      const r = referenceIndex(ks);
      return p[m]! > p[r]! + delta + eps;
    }
    default:
      return false;
  }
}

/**
 * The label a curve should get with unlimited items, by the same rules as labels.ts applied to the
 * true accuracies (peak-regression, then the flat sequence from the reference k down, then
 * improving); `inconclusive` where no claim holds.
 */
export function idealLabel(p: readonly number[], ks: readonly number[], delta: number): CurveLabel {
  const m = ks.length - 1;
  const eps = 1e-12;
  for (let j = 1; j < m; j++) {
    if (!(p[j]! > p[0]! + eps)) continue;
    for (let l = j + 1; l <= m; l++) if (p[l]! < p[j]! - delta - eps) return 'peak-regression';
  }
  const r = referenceIndex(ks);
  let knee = -1;
  for (let j = r; j >= 0; j--) {
    if (!p.slice(j + 1).every((x) => x < p[j]! + delta - eps)) break;
    knee = j;
  }
  if (knee === 0) return 'no-benefit';
  if (knee > 0 && p[knee]! > p[0]! + eps) return 'plateau';
  if (p[m]! > p[r]! + delta + eps) return 'improving';
  return 'inconclusive';
}
