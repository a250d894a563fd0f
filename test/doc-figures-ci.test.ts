// Prints the figures docs/ci.md gives for "How small a drop can a CI run see?": the fewest items that
// must flip from right to wrong (none the other way) for one cell to be called a regression after
// Holm over every regression test of a comparison (two per cell), at alpha 0.05, and the drop in
// points that makes with 60 and with 300 evaluation items. Both of compare's tests are shown: exact
// McNemar (0/1 scores, one trial per item) and the sign-flip test (repeats averaged per item).
import { describe, expect, it } from 'vitest';
import { holm, pairedDifference } from '../src/analysis/paired.js';

const ALPHA = 0.05;

/** The fewest items dropping 1 -> 0 that one cell needs among `tests` tests when every other test has p = 1. */
function fewestFlips(evalItems: number, tests: number, binarySingle: boolean): number {
  for (let flips = 1; flips <= evalItems; flips++) {
    const baseline = new Float64Array(evalItems).fill(1);
    const candidate = new Float64Array(evalItems).fill(1).fill(0, 0, flips);
    const { pValue } = pairedDifference(baseline, candidate, { resamples: 2000, seedParts: ['doc-ci', flips], binarySingle });
    const adjusted = holm([pValue, ...new Array<number>(tests - 1).fill(1)])[0]!;
    if (adjusted <= ALPHA) return flips;
  }
  return Number.NaN;
}

describe('docs/ci.md: how small a drop a CI run can see', () => {
  it('prints the fewest flipped items and the drop they make', () => {
    const lines: string[] = [];
    const result: Record<number, number> = {};
    for (const cells of [11, 44]) {
      const tests = 2 * cells;
      const mcnemar = fewestFlips(60, tests, true);
      const signFlip = fewestFlips(60, tests, false);
      result[cells] = mcnemar;
      lines.push(
        `  ${cells} cells (${tests} tests): at least ${mcnemar} items right -> wrong (McNemar; sign-flip: ${signFlip}), ` +
          `a drop of ${((100 * mcnemar) / 60).toFixed(1)} points with 60 items, ${((100 * mcnemar) / 300).toFixed(1)} with 300`,
      );
    }
    console.log(`ci.md: the smallest drop one cell can show, alpha ${ALPHA}, Holm over two tests a cell\n${lines.join('\n')}`);
    expect(result[11]).toBeLessThan(result[44]!);
  });
});
