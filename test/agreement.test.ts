// The judge's agreement with people (src/analysis/agreement.ts): quadratic-weighted kappa and
// Spearman's correlation against examples computed by hand, and their seeded bootstrap intervals.

import { describe, expect, it } from 'vitest';
import { bootstrapPairInterval, meanDifference, quadraticWeightedKappa, ranks, spearman, summarizeJudgeCalibration } from '../src/analysis/agreement.js';
import type { JudgeCalibrationRun } from '../src/records/run-info.js';
import { Rng } from '../src/util/rng.js';

/**
 * The textbook weighted kappa over a table of K categories: 1 - sum w_ij O_ij / sum w_ij E_ij, with
 * w_ij = (i - j)^2 / (K - 1)^2 and E_ij = row_i col_j / n. Written out here to check the moment form.
 */
function kappaFromTable(human: number[], judge: number[], categories: number[]): number {
  const K = categories.length;
  const n = human.length;
  const at = (v: number) => categories.indexOf(v);
  const observed = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  human.forEach((h, i) => observed[at(h)]![at(judge[i]!)]!++);
  const rows = observed.map((r) => r.reduce((a, b) => a + b, 0));
  const cols = categories.map((_, j) => observed.reduce((a, r) => a + r[j]!, 0));
  let wo = 0;
  let we = 0;
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) {
      const w = (i - j) ** 2 / (K - 1) ** 2;
      wo += w * observed[i]![j]!;
      we += (w * rows[i]! * cols[j]!) / n;
    }
  }
  return 1 - wo / we;
}

describe('quadratic-weighted kappa', () => {
  it('matches a kappa computed by hand from the table (scale 1-3, five pairs: 9/14)', () => {
    // human 1 2 3 3 2, judge 1 3 3 2 2. Table (human rows, judge columns): [1 0 0; 0 1 1; 0 1 1].
    // Weighted observed disagreement: w23 + w32 = 1/4 + 1/4 = 0.5. Expected: row sums 1 2 2, column
    // sums 1 2 2, E = r c / 5; sum w E = 0.1 + 0.4 + 0.1 + 0.2 + 0.4 + 0.2 = 1.4. Kappa = 1 - 0.5 / 1.4 = 9/14.
    const human = [1, 2, 3, 3, 2];
    const judge = [1, 3, 3, 2, 2];
    expect(quadraticWeightedKappa(human, judge)).toBeCloseTo(9 / 14, 12);
    expect(kappaFromTable(human, judge, [1, 2, 3])).toBeCloseTo(9 / 14, 12);
    console.log(`hand example: kappa ${quadraticWeightedKappa(human, judge).toFixed(4)} (9/14), Spearman ${spearman(human, judge).toFixed(4)} (5/9)`);
  });

  it('equals the table form on a 0-10 scale, whatever categories the table lists', () => {
    const rng = new Rng(['kappa-table']);
    for (let t = 0; t < 20; t++) {
      const human = Array.from({ length: 30 }, () => rng.int(0, 10));
      const judge = human.map((h) => Math.min(10, Math.max(0, h + rng.int(-2, 3))));
      expect(quadraticWeightedKappa(human, judge)).toBeCloseTo(
        kappaFromTable(
          human,
          judge,
          Array.from({ length: 11 }, (_, i) => i),
        ),
        12,
      );
    }
  });

  it('is 1 for the same grades, 0 for grades paired at random, negative for reversed ones', () => {
    expect(quadraticWeightedKappa([0, 5, 10, 3], [0, 5, 10, 3])).toBe(1);
    // Two each of 1 and 2 on both sides, crossed so that the observed disagreement is what chance gives:
    // observed sum (h - j)^2 = 2; expected = (sum over all 16 pairs) / 4 = 8 / 4 = 2.
    expect(quadraticWeightedKappa([1, 1, 2, 2], [1, 2, 1, 2])).toBeCloseTo(0, 12);
    expect(quadraticWeightedKappa([1, 2, 3], [3, 2, 1])).toBeLessThan(0);
  });

  it('costs a constant shift, which Spearman ignores', () => {
    const human = [1, 2, 3, 4, 5, 2, 3];
    const shifted = human.map((h) => h + 1);
    expect(spearman(human, shifted)).toBeCloseTo(1, 12);
    expect(quadraticWeightedKappa(human, shifted)).toBeLessThan(1);
    expect(meanDifference(human, shifted)).toBe(1);
  });

  it('is undefined (NaN) without pairs or when neither side varies', () => {
    expect(quadraticWeightedKappa([], [])).toBeNaN();
    expect(quadraticWeightedKappa([3, 3], [3, 3])).toBeNaN();
    expect(spearman([3, 3, 3], [1, 2, 3])).toBeNaN();
  });
});

describe("Spearman's rank correlation", () => {
  it('gives ties their mean rank, and matches a value computed by hand (5/9)', () => {
    expect([...ranks([1, 2, 3, 3, 2])]).toEqual([1, 2.5, 4.5, 4.5, 2.5]);
    // Ranks 1 2.5 4.5 4.5 2.5 and 1 4.5 4.5 2.5 2.5, mean 3: sum dx dy = 5, sum dx^2 = sum dy^2 = 9.
    expect(spearman([1, 2, 3, 3, 2], [1, 3, 3, 2, 2])).toBeCloseTo(5 / 9, 12);
  });
});

describe('bootstrap intervals', () => {
  const human = Float64Array.from([0, 2, 4, 6, 8, 10, 3, 7, 5, 9, 1, 6]);
  const judge = Float64Array.from([1, 2, 5, 6, 7, 10, 2, 8, 5, 8, 2, 7]);

  it('are seeded: the same pairs and seed give the same interval, bit for bit; the estimate lies inside', () => {
    const a = bootstrapPairInterval(human, judge, quadraticWeightedKappa, 2000, new Rng([1, 'x']))!;
    const b = bootstrapPairInterval(human, judge, quadraticWeightedKappa, 2000, new Rng([1, 'x']))!;
    expect(a).toEqual(b);
    expect(a.n).toBe(12);
    expect(a.lower).toBeLessThanOrEqual(a.estimate);
    expect(a.upper).toBeGreaterThanOrEqual(a.estimate);
    expect(a.upper).toBeLessThanOrEqual(1);
  });

  it('summarize: only graded records count; each statistic with its interval and n; undefined ones are null', () => {
    const run: JudgeCalibrationRun = {
      file: 'data/human-labels.jsonl',
      judge: 'openai:gpt-4o-mini',
      scale: '1-3',
      rubric: { name: 'prompts/rubric.md', sha256: 'x' },
      records: [
        { line: 1, id: 'a', human: 1, judge: 1 },
        { line: 2, id: 'b', human: 2, judge: 3 },
        { line: 3, id: 'c', human: 3, judge: 3 },
        { line: 4, id: 'd', human: 3, judge: 2 },
        { line: 5, id: 'e', human: 2, judge: 2 },
        { line: 6, id: 'f', human: 1, judge: null, failure: 'no grade' },
      ],
    };
    const settings = { resamples: 500, seed: 7, confidenceLevel: 0.95 };
    const s = summarizeJudgeCalibration(run, settings);
    expect(s).toMatchObject({ records: 6, n: 5, ungraded: 1, scale: '1-3', rubric: 'prompts/rubric.md' });
    expect(s.kappa!.estimate).toBeCloseTo(9 / 14, 12);
    expect(s.spearman!.estimate).toBeCloseTo(5 / 9, 12);
    expect(s.meanDifference!.estimate).toBeCloseTo(0, 12);
    expect(summarizeJudgeCalibration(run, settings)).toEqual(s);
    const flat = summarizeJudgeCalibration({ ...run, records: run.records.map((r) => ({ ...r, human: 2, judge: 2 })) }, settings);
    expect([flat.kappa, flat.spearman]).toEqual([null, null]);
    expect(flat.meanDifference).toEqual({ estimate: 0, lower: 0, upper: 0, n: 6 });
  });
});
