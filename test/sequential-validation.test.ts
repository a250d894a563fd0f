/**
 * Adaptive sampling's labels under optional stopping (issue 17): items enter in looks, a curve stops at
 * the first look whose label is decided, and every check runs at the group-sequential nominal level of
 * the schedule (src/analysis/sequential.ts). Simulated on the true curves of the fixed-n validation
 * (the four label shapes, the null and shapes near every boundary), the wrong-label rate must stay at or
 * below alpha, the same bar as the fixed-n analysis; the table printed here is the one in
 * docs/statistics.md. The boundary itself is checked against Pocock's published constant.
 */
import { describe, expect, it } from 'vitest';
import { settledCells } from '../src/analysis/cell-stopping.js';
import type { CurveData } from '../src/analysis/curve-tests.js';
import { labelCurve } from '../src/analysis/labels.js';
import { DEFAULT_ANALYSIS_SETTINGS } from '../src/analysis/options.js';
import { boundaryFor, crossingProbability, itemsForDifference, SequentialLevels } from '../src/analysis/sequential.js';
import { claimHolds, idealLabel, K_GRIDS, simulateCurve, TRUE_SHAPES, trueAccuracy } from '../src/analysis/validation.js';
import { lookSchedule, resolveSampling } from '../src/config/sampling.js';
import type { AnalysisSettings } from '../src/records/summary.js';

const CONSISTENCY = 0.7;
const RUNS = 200;
const MAX_ITEMS = 1000;
const SCHEDULES: Record<string, number[]> = {
  'quarters (the default)': lookSchedule(250, 250, MAX_ITEMS),
  'ten looks of 100': lookSchedule(100, 100, MAX_ITEMS),
};

/**
 * The curve as the sweep has it after a look of n items: each cell holds the first n items, or the
 * first items up to the look where it stopped (a settled cell, analysis/cell-stopping.ts); the rest NaN.
 */
function prefix(curve: CurveData, n: number, stoppedAt: ReadonlyMap<number, number> = new Map()): CurveData {
  const cut = <T extends Float64Array | Uint32Array>(a: T, upTo: number, fill: number): T => {
    const out = (a instanceof Float64Array ? new Float64Array(n) : new Uint32Array(n)).fill(fill) as T;
    out.set(a.subarray(0, upTo));
    return out;
  };
  return {
    ...curve,
    cells: curve.cells.map((c) => {
      const upTo = Math.min(n, stoppedAt.get(c.ref.k) ?? n);
      return {
        ...c,
        accuracy: cut(c.accuracy, upTo, Number.NaN),
        scoredCount: cut(c.scoredCount, upTo, 0),
        trialCount: cut(c.trialCount, upTo, 0),
        failure: Object.fromEntries(Object.entries(c.failure).map(([k, v]) => [k, cut(v, upTo, 0)])) as typeof c.failure,
      };
    }),
  };
}

interface Outcome {
  right: number;
  wrong: number;
  inconclusive: number;
  /** Mean items per curve at its stop (maxItems when never decided). */
  meanItems: number;
  /** Items asked over all cells, as a share of every cell asking maxItems (what the sweep pays). */
  askedShare: number;
}

/** One curve sampled as the adaptive sweep samples it: looks, settled cells stop, the curve stops once labelled. */
function adaptiveRates(p: readonly number[], ks: readonly number[], looks: readonly number[], seed: string): Outcome {
  const settings: AnalysisSettings = { ...DEFAULT_ANALYSIS_SETTINGS, resamples: 400, sequential: { looks: [...looks] } };
  const out = { right: 0, wrong: 0, inconclusive: 0, items: 0, asked: 0 };
  for (let s = 0; s < RUNS; s++) {
    const curve = simulateCurve(p, ks, MAX_ITEMS, CONSISTENCY, `${seed}/${s}`);
    const stoppedAt = new Map<number, number>();
    let label = null;
    let at = MAX_ITEMS;
    for (const n of looks) {
      const data = prefix(curve, n, stoppedAt);
      const l = labelCurve(data, settings);
      if (l.label !== 'inconclusive') {
        label = l;
        at = n;
        break;
      }
      for (const k of settledCells(data, settings)) if (!stoppedAt.has(k)) stoppedAt.set(k, n);
    }
    out.items += at;
    out.asked += ks.reduce((sum, k) => sum + Math.min(at, stoppedAt.get(k) ?? at), 0);
    if (label === null) out.inconclusive++;
    else if (claimHolds(label, p, ks, settings.delta)) out.right++;
    else out.wrong++;
  }
  return {
    right: out.right / RUNS,
    wrong: out.wrong / RUNS,
    inconclusive: out.inconclusive / RUNS,
    meanItems: out.items / RUNS,
    askedShare: out.asked / (RUNS * ks.length * MAX_ITEMS),
  };
}

const pct = (x: number) => `${Math.round(100 * x)}`;

describe('the group-sequential boundary', () => {
  it("matches Pocock's constant for five equal looks (2.413 at one-sided 0.025) and the fixed-n quantile for one look", () => {
    expect(boundaryFor(0.025, [0.2, 0.4, 0.6, 0.8, 1])).toBeCloseTo(2.413, 3);
    expect(boundaryFor(0.025, [1])).toBeCloseTo(1.96, 3);
    expect(crossingProbability(boundaryFor(0.001, [0.25, 0.5, 0.75, 1]), [0.25, 0.5, 0.75, 1])).toBeCloseTo(0.001, 6);
  });

  it('tests each check at a smaller nominal level, between the fixed-n level and Bonferroni over the looks', () => {
    const levels = new SequentialLevels(lookSchedule(250, 250, 1000));
    for (const a of [0.0225, 0.0075, 0.0025, 0.0002]) {
      const nominal = levels.nominal(a);
      expect(nominal).toBeLessThan(a);
      expect(nominal).toBeGreaterThan(a / 4);
    }
    console.log(
      `nominal level of a check at 0.0225 (the plateau share): quarters ${levels.nominal(0.0225).toFixed(4)}, ten looks ${new SequentialLevels(lookSchedule(100, 100, 1000)).nominal(0.0225).toFixed(4)}`,
    );
  });

  it('resolves the sampling defaults: every item, a look at each quarter', () => {
    expect(resolveSampling({ mode: 'adaptive' }, 1200)).toEqual({ mode: 'adaptive', maxItems: 1200, firstLook: 300, step: 300 });
    expect(lookSchedule(300, 300, 1200)).toEqual([300, 600, 900, 1200]);
    expect(lookSchedule(100, 250, 600)).toEqual([100, 350, 600]);
    expect(resolveSampling({ mode: 'adaptive', maxItems: 5000 }, 800).maxItems).toBe(800);
    expect(itemsForDifference(0.05, 0.025, 0.4)).toBe(503);
  });
});

describe('adaptive labels near every boundary: wrong at or below alpha under optional stopping', () => {
  const ks = K_GRIDS.doubling!;
  const rows: string[] = [
    `| true curve | label with unlimited items | ${Object.keys(SCHEDULES)
      .map((s) => `${s}: right / wrong / inconclusive (mean items; calls %)`)
      .join(' | ')} |`,
    `|---|---|${Object.keys(SCHEDULES)
      .map(() => '---')
      .join('|')}|`,
  ];
  for (const shape of TRUE_SHAPES) {
    it(`${shape.name}`, () => {
      const p = trueAccuracy(shape, ks);
      const measured = Object.entries(SCHEDULES).map(([name, looks]) => adaptiveRates(p, ks, looks, `${shape.name}/${name}`));
      rows.push(
        `| ${shape.name} | ${idealLabel(p, ks, DEFAULT_ANALYSIS_SETTINGS.delta)} | ${measured.map((r) => `${pct(r.right)} / ${pct(r.wrong)} / ${pct(r.inconclusive)} (${Math.round(r.meanItems)}; ${pct(r.askedShare)}%)`).join(' | ')} |`,
      );
      for (const r of measured) expect(r.wrong).toBeLessThanOrEqual(DEFAULT_ANALYSIS_SETTINGS.alpha);
    });
  }
  it('prints the table', () => {
    console.log(
      `\nadaptive label validation, doubling grid, up to ${MAX_ITEMS} items, consistency ${CONSISTENCY}, ${RUNS} runs a cell, alpha ${DEFAULT_ANALYSIS_SETTINGS.alpha}\n${rows.join('\n')}`,
    );
    expect(rows.length).toBe(2 + TRUE_SHAPES.length);
  });
});
