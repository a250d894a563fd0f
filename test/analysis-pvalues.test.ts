import { describe, expect, it } from 'vitest';
import {
  binomialCdfHalf,
  latticeStep,
  logBinomialCdfHalf,
  logNormalUpperTail,
  mcnemarExact,
  mcnemarLogPValue,
  normalUpperTail,
  pairedDifference,
  signFlipNormal,
  signFlipPValue,
  signFlipTest,
} from '../src/analysis/paired.js';
import type { PairedMethod } from '../src/records/summary.js';
import { Rng } from '../src/util/rng.js';

/** Exact two-sided / one-sided sign-test p-values from integer binomial coefficients (no floating sums). */
function exactSignTest(positive: number, m: number): { two: number; greater: number } {
  const choose: bigint[] = [1n];
  for (let i = 1; i <= m; i++) choose.push((choose[i - 1]! * BigInt(m - i + 1)) / BigInt(i));
  const cdf = (x: number) => Number(choose.slice(0, x + 1).reduce((s, c) => s + c, 0n)) / 2 ** m;
  return { two: Math.min(1, 2 * cdf(Math.min(positive, m - positive))), greater: cdf(m - positive) };
}

/** Exact sign-flip distribution of integer magnitudes (in units of the lattice step) by convolution. */
function exactSignFlip(magnitudes: readonly number[], observed: number): number {
  let dist = new Map<number, number>([[0, 1]]);
  for (const a of magnitudes) {
    const next = new Map<number, number>();
    for (const [s, c] of dist) {
      next.set(s + a, (next.get(s + a) ?? 0) + c);
      next.set(s - a, (next.get(s - a) ?? 0) + c);
    }
    dist = next;
  }
  let hits = 0;
  for (const [s, c] of dist) if (Math.abs(s) >= Math.abs(observed)) hits += c;
  return hits / 2 ** magnitudes.length;
}

/** The pre-fix normalUpperTail, kept as the mid-range reference (relative error < 1.2e-7). */
function oldNormalUpperTail(z: number): number {
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return (x >= 0 ? y : 2 - y) / 2;
}

const signs = (positive: number, negative: number, size = 1) => [...new Array<number>(positive).fill(size), ...new Array<number>(negative).fill(-size)];
const relative = (x: number, y: number) => Math.abs(x / y - 1);

describe('method says what was computed', () => {
  const pair = (diffs: readonly number[]) => ({ a: new Float64Array(diffs.length), b: Float64Array.from(diffs) });
  const run = (diffs: readonly number[], binarySingle = false) => {
    const { a, b } = pair(diffs);
    return pairedDifference(a, b, { resamples: 2000, seedParts: ['methods'], binarySingle });
  };

  it('labels each p-value by the test that produced it', () => {
    const none = pairedDifference(Float64Array.of(Number.NaN), Float64Array.of(1), { resamples: 100, seedParts: [], binarySingle: false });
    expect([none.method, none.pValue]).toEqual(['none', 1]);
    expect(run(signs(8, 2), true).method).toBe('mcnemar-exact');
    // Few differing items: enumerated.
    expect(run([1 / 3, 2 / 3, -1 / 3, 1, 0]).method).toBe('sign-flip-exact');
    // Many items of one magnitude: the binomial, exact at any size.
    expect(run(signs(300, 250)).method).toBe('sign-flip-exact');
    // Mixed magnitudes, a moderate effect: Monte Carlo.
    const mixed = Array.from({ length: 40 }, (_, i) => (i % 2 ? 2 / 3 : 1 / 3) * (i % 3 === 0 ? -1 : 1));
    expect(run(mixed).method).toBe('sign-flip-monte-carlo');
    // Mixed magnitudes, an overwhelming effect: Monte Carlo falls back to the normal tail.
    const strong = Array.from({ length: 60 }, (_, i) => (i % 2 ? 2 / 3 : 1 / 3));
    const method: PairedMethod = run(strong).method;
    expect(method).toBe('sign-flip-normal');
  });
});

describe('sign-flip with equal magnitudes is the exact binomial test', () => {
  it('20 differing items of +-1 give the binomial p, not the normal one', () => {
    // Bug report: 18 of 20 positive gave 3.47e-4 from the normal fallback; exact is 2 * 211 / 2^20.
    const r18 = signFlipPValue(signs(18, 2), 2000, new Rng(['b']));
    expect(r18.method).toBe('sign-flip-exact');
    expect(relative(r18.pValue, 422 / 2 ** 20)).toBeLessThan(1e-12);
    expect(r18.pValue).toBeCloseTo(4.0245e-4, 7);
    // 16 of 20 positive: 2 * 6196 / 2^20 = 0.011818.
    const r16 = signFlipPValue(signs(16, 4), 2000, new Rng(['b']));
    expect(r16.method).toBe('sign-flip-exact');
    expect(relative(r16.pValue, 12392 / 2 ** 20)).toBeLessThan(1e-12);
    console.log(`exact sign-flip p: 18 vs 2 = ${r18.pValue.toPrecision(6)}, 16 vs 4 = ${r16.pValue.toPrecision(6)}`);
  });

  it('equal-sized graded differences (with float noise) give the same exact p as +-1', () => {
    const third = [2 / 3 - 1 / 3, 1 - 2 / 3, 1 / 3 - 0]; // not bit-identical
    const diffs = Array.from({ length: 30 }, (_, i) => third[i % 3]! * (i < 22 ? 1 : -1));
    const r = signFlipPValue(diffs, 500, new Rng(['g']));
    expect(r.method).toBe('sign-flip-exact');
    expect(relative(r.pValue, exactSignTest(22, 30).two)).toBeLessThan(1e-12);
  });

  it('matches the exact binomial for every split of 15..40 differing items', () => {
    for (let m = 15; m <= 40; m++) {
      for (let k = 0; k <= m; k++) {
        const ref = exactSignTest(k, m);
        const p = signFlipTest(signs(k, m - k), 100, new Rng([m, k]));
        expect(relative(p, ref.two)).toBeLessThan(1e-11);
      }
    }
  });
});

describe('continuity-corrected normal fallback', () => {
  it('detects the lattice of graded differences', () => {
    expect(latticeStep([1 / 3, 2 / 3, -1 / 3])).toBeCloseTo(1 / 3, 12);
    expect(latticeStep([0.5, -1, 0])).toBeCloseTo(0.5, 12);
    expect(latticeStep([2 / 3, -4 / 3])).toBeCloseTo(2 / 3, 12);
    expect(latticeStep([0.5 - 1 / 3, 1 / 3])).toBeCloseTo(1 / 6, 12);
    expect(latticeStep([1, -1, 1])).toBe(1);
    expect(latticeStep([5 / 24, 1 / 8])).toBeCloseTo(1 / 24, 12);
    expect(latticeStep([1 / 25, 2 / 25])).toBeNull();
    expect(latticeStep([Math.PI / 10, 0.2])).toBeNull();
    expect(latticeStep([0, 0])).toBeNull();
  });

  it('is at least the exact p for 15-20 binary differing items in the tail (exact p < 0.3)', () => {
    let checked = 0;
    let uncorrectedBelow = 0;
    const rows: string[] = [];
    for (let m = 15; m <= 20; m++) {
      for (let k = Math.ceil(m / 2); k <= m; k++) {
        const exact = exactSignTest(k, m);
        if (exact.two >= 0.3) continue;
        const diffs = signs(k, m - k);
        const corrected = signFlipNormal(diffs).pValue;
        expect(corrected).toBeGreaterThanOrEqual(exact.two);
        expect(signFlipNormal(diffs, 'greater').pValue).toBeGreaterThanOrEqual(exact.greater);
        const uncorrected = Math.min(1, 2 * normalUpperTail((2 * k - m) / Math.sqrt(m)));
        if (uncorrected < exact.two) uncorrectedBelow++;
        checked++;
        if (m === 20)
          rows.push(`${k}/${m - k}: exact ${exact.two.toPrecision(4)}, corrected ${corrected.toPrecision(4)}, uncorrected ${uncorrected.toPrecision(4)}`);
      }
    }
    console.log(
      `binary, m = 20:\n  ${rows.join('\n  ')}\ncorrected normal >= exact p in all ${checked} tail splits of 15 to 20 items; the uncorrected tail falls below it in ${uncorrectedBelow}`,
    );
    expect(checked).toBe(39);
    // Without the correction the normal tail is below the exact p in nearly every case.
    expect(uncorrectedBelow).toBe(29);
    // The bug report's case, 18 vs 2.
    expect(signFlipNormal(signs(18, 2)).pValue).toBeCloseTo(7.962e-4, 6);
  });

  it('is at least the exact p for mixed 1/3 and 2/3 differences where the fallback applies (exact p < 0.02)', () => {
    let checked = 0;
    let uncorrectedBelow = 0;
    for (let m = 15; m <= 18; m++) {
      for (let twos = 1; twos < m; twos++) {
        const magnitudes = [...new Array<number>(twos).fill(2), ...new Array<number>(m - twos).fill(1)];
        // Every sign pattern with the negatives on the first items.
        for (let negatives = 0; negatives <= m; negatives++) {
          const units = magnitudes.map((a, i) => (i < negatives ? -a : a));
          const observed = units.reduce((s, u) => s + u, 0);
          const exact = exactSignFlip(magnitudes, observed);
          if (exact >= 0.02) continue;
          const diffs = units.map((u) => u / 3);
          expect(signFlipNormal(diffs).pValue).toBeGreaterThanOrEqual(exact);
          const sd = Math.sqrt(diffs.reduce((s, d) => s + d * d, 0));
          if (2 * normalUpperTail(Math.abs(observed / 3) / sd) < exact) uncorrectedBelow++;
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(uncorrectedBelow).toBeGreaterThan(checked / 4);
  });

  it('makes no correction without a detectable lattice', () => {
    const diffs = Array.from({ length: 30 }, (_, i) => 0.1 + Math.sqrt(i) / 17);
    const sum = diffs.reduce((s, d) => s + d, 0);
    const sd = Math.sqrt(diffs.reduce((s, d) => s + d * d, 0));
    expect(relative(signFlipNormal(diffs).pValue, 2 * normalUpperTail(sum / sd))).toBeLessThan(1e-12);
  });
});

describe('p-values are never 0', () => {
  it('2000 discordant pairs all one way: McNemar p > 0 and its log is -1999 ln 2', () => {
    expect(mcnemarExact(2000, 0)).toBeGreaterThan(0);
    expect(mcnemarExact(2000, 0)).toBe(Number.MIN_VALUE);
    expect(relative(mcnemarLogPValue(2000, 0), -1999 * Math.LN2)).toBeLessThan(1e-13);
    expect(relative(mcnemarLogPValue(0, 2000, 'less'), -2000 * Math.LN2)).toBeLessThan(1e-13);
    const a = new Float64Array(2000);
    const b = new Float64Array(2000).fill(1);
    expect(pairedDifference(a, b, { resamples: 100, seedParts: [], binarySingle: true }).pValue).toBeGreaterThan(0);
    expect(pairedDifference(a, b, { resamples: 100, seedParts: [], binarySingle: false }).pValue).toBeGreaterThan(0);
  });

  it('binomial tails in log space match references (mpmath, 40 digits)', () => {
    expect(relative(logBinomialCdfHalf(0, 2000), -2000 * Math.LN2)).toBeLessThan(1e-13);
    expect(relative(logBinomialCdfHalf(10, 5000), -3395.675383951270562)).toBeLessThan(1e-12);
    expect(relative(logBinomialCdfHalf(450, 1000), -7.052471223325102)).toBeLessThan(1e-11);
    expect(relative(logBinomialCdfHalf(2400, 5000), -6.015009622180366)).toBeLessThan(1e-11);
    expect(binomialCdfHalf(10, 5000)).toBe(Number.MIN_VALUE);
    expect(binomialCdfHalf(4, 20)).toBeCloseTo(6196 / 2 ** 20, 15);
    expect(binomialCdfHalf(20, 20)).toBe(1);
    expect(binomialCdfHalf(-1, 20)).toBe(0);
  });

  it('normal tails at z = 40 and 60 are > 0 and follow the asymptotic expansion', () => {
    const asymptotic = (z: number) => -(z * z) / 2 - Math.log(z * Math.sqrt(2 * Math.PI)) + Math.log(1 - 1 / z ** 2 + 3 / z ** 4);
    for (const z of [40, 60]) {
      expect(normalUpperTail(z)).toBeGreaterThan(0);
      expect(Math.abs(logNormalUpperTail(z) - asymptotic(z))).toBeLessThan(1e-8);
    }
    // mpmath: log Q(40) = -804.60844201375378817, log Q(60) = -1805.0135606805671387, log Q(20) = -203.91715537109726
    expect(Math.abs(logNormalUpperTail(40) + 804.6084420137538)).toBeLessThan(1e-9);
    expect(Math.abs(logNormalUpperTail(60) + 1805.0135606805671)).toBeLessThan(1e-9);
    expect(Math.abs(logNormalUpperTail(20) + 203.91715537109726)).toBeLessThan(1e-7);
    expect(normalUpperTail(1e6)).toBe(Number.MIN_VALUE);
  });

  it('mid-range normal tails still match the old function to its stated accuracy', () => {
    for (let z = -8; z < 10; z += 0.125) expect(relative(normalUpperTail(z), oldNormalUpperTail(z))).toBeLessThan(1e-12);
    // The asymptotic series from z = 10 on: within the fit's 1.2e-7 plus the series' 1e-7.
    for (let z = 10; z <= 37; z += 0.25) expect(relative(normalUpperTail(z), oldNormalUpperTail(z))).toBeLessThan(2.5e-7);
    // No jump where the two meet.
    expect(Math.abs(logNormalUpperTail(10 - 1e-12) - logNormalUpperTail(10))).toBeLessThan(2.5e-7);
    // mpmath references.
    expect(relative(normalUpperTail(3), 0.0013498980316300946)).toBeLessThan(1.2e-7);
    expect(relative(normalUpperTail(5), 2.866515718791939e-7)).toBeLessThan(1.2e-7);
    expect(relative(normalUpperTail(8), 6.220960574271784e-16)).toBeLessThan(1.2e-7);
    expect(relative(normalUpperTail(10), 7.619853024160526e-24)).toBeLessThan(1.2e-7);
  });

  it('the normal fallback reports a positive p for an overwhelming graded effect (z about 60)', () => {
    const diffs = Array.from({ length: 4000 }, (_, i) => (i % 2 ? 2 / 3 : 1 / 3));
    const r = signFlipPValue(diffs, 200, new Rng(['huge']));
    expect(r.method).toBe('sign-flip-normal');
    expect(r.pValue).toBeGreaterThan(0);
    const z = (2000 - 1 / 3) / Math.sqrt((4000 * (1 / 9 + 4 / 9)) / 2);
    expect(Math.abs(r.logPValue - (Math.LN2 + logNormalUpperTail(z)))).toBeLessThan(1e-9);
    expect(r.logPValue).toBeLessThan(-1700);
  });
});

describe('one-sided alternatives', () => {
  it('McNemar: the one-tailed binomial probability', () => {
    expect(mcnemarExact(16, 4, 'greater')).toBeCloseTo(6196 / 2 ** 20, 15);
    expect(mcnemarExact(16, 4, 'greater')).toBeCloseTo(mcnemarExact(16, 4) / 2, 15);
    // P(X <= 16 | n = 20) = 1 - (1 + 20 + 190 + 1140) / 2^20
    expect(mcnemarExact(16, 4, 'less')).toBeCloseTo(1 - 1351 / 2 ** 20, 13);
    expect(mcnemarExact(4, 16, 'less')).toBeCloseTo(6196 / 2 ** 20, 15);
    expect(mcnemarExact(0, 0, 'greater')).toBe(1);
  });

  it('sign-flip exact: the one-tailed count, enumerated or binomial', () => {
    // Enumerated: [2/3, 1/3, 1/3, -1/3], observed sum 1; patterns with sum >= 1: 4 of 16.
    const graded = [2 / 3, 1 / 3, 1 / 3, -1 / 3];
    expect(signFlipTest(graded, 0, new Rng([1]), 'greater')).toBeCloseTo(4 / 16, 12);
    expect(signFlipTest(graded, 0, new Rng([1]), 'less')).toBeCloseTo(15 / 16, 12);
    expect(signFlipTest(graded, 0, new Rng([1]))).toBeCloseTo(8 / 16, 12);
    const binomial = signFlipPValue(signs(30, 10), 0, new Rng([1]), 'greater');
    expect(binomial.method).toBe('sign-flip-exact');
    expect(relative(binomial.pValue, exactSignTest(30, 40).greater)).toBeLessThan(1e-11);
  });

  it('pairedDifference: one-sided p about half the two-sided for a clear effect; "less" on a positive effect near 1', () => {
    const rng = new Rng(['effect']);
    const n = 120;
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      a[i] = rng.int(0, 3) / 3;
      b[i] = Math.min(1, a[i]! + (rng.next() < 0.45 ? rng.int(1, 2) / 3 : rng.next() < 0.5 ? -1 / 3 : 0));
    }
    const options = { resamples: 20000, seedParts: ['one-sided'], binarySingle: false };
    const two = pairedDifference(a, b, options);
    const greater = pairedDifference(a, b, { ...options, alternative: 'greater' });
    const less = pairedDifference(a, b, { ...options, alternative: 'less' });
    console.log(
      `graded effect ${two.estimate.toFixed(3)}: two-sided ${two.pValue.toPrecision(3)} (${two.method}), greater ${greater.pValue.toPrecision(3)} (${greater.method}), less ${less.pValue.toPrecision(3)} (${less.method})`,
    );
    expect(two.estimate).toBeGreaterThan(0);
    expect([two.method, greater.method, less.method]).toEqual(['sign-flip-monte-carlo', 'sign-flip-monte-carlo', 'sign-flip-monte-carlo']);
    expect(two.pValue).toBeLessThan(0.05);
    expect(greater.pValue / two.pValue).toBeGreaterThan(0.4);
    expect(greater.pValue / two.pValue).toBeLessThan(0.6);
    expect(less.pValue).toBeGreaterThan(0.95);

    // Binary, one trial per item: exactly half.
    // 16 items b right and a wrong, 4 the other way, 5 both right.
    const x = Float64Array.from([...new Array<number>(16).fill(0), ...new Array<number>(4).fill(1), ...new Array<number>(5).fill(1)]);
    const y = Float64Array.from([...new Array<number>(16).fill(1), ...new Array<number>(4).fill(0), ...new Array<number>(5).fill(1)]);
    const bin = { resamples: 0, seedParts: [], binarySingle: true };
    expect(pairedDifference(x, y, { ...bin, alternative: 'greater' }).pValue).toBeCloseTo(pairedDifference(x, y, bin).pValue / 2, 15);
    expect(pairedDifference(x, y, { ...bin, alternative: 'less' }).pValue).toBeGreaterThan(0.99);
  });

  it('normal fallback: one tail, continuity-corrected in the right direction', () => {
    const strong = Array.from({ length: 60 }, (_, i) => (i % 2 ? 2 / 3 : 1 / 3));
    const two = signFlipPValue(strong, 2000, new Rng(['n']));
    const greater = signFlipPValue(strong, 2000, new Rng(['n']), 'greater');
    expect([two.method, greater.method]).toEqual(['sign-flip-normal', 'sign-flip-normal']);
    expect(relative(greater.pValue, two.pValue / 2)).toBeLessThan(1e-12);
    // 'less' on this positive effect: nearly every resample is at or below it, so Monte Carlo answers.
    const less = signFlipPValue(strong, 2000, new Rng(['n']), 'less');
    expect(less.pValue).toBeGreaterThan(0.99);
    // 'less' from the normal directly: P(S <= s) read as P(N <= s + h).
    const mixed = [...strong.slice(0, 20), ...strong.slice(20, 30).map((d) => -d)];
    const sum = mixed.reduce((s, d) => s + d, 0);
    const sd = Math.sqrt(mixed.reduce((s, d) => s + d * d, 0));
    expect(relative(signFlipNormal(mixed, 'less').pValue, 1 - normalUpperTail((sum + 1 / 3) / sd))).toBeLessThan(1e-9);
    expect(relative(signFlipNormal(mixed, 'greater').pValue, normalUpperTail((sum - 1 / 3) / sd))).toBeLessThan(1e-9);
  });
});
