import type { Interval, JudgeCalibrationSummary } from '../records/summary.js';

// The judge's calibration (summary.json's `judgeCalibration`) in words, for the methodology of
// report.html and summary.md.

/** "0.71 [0.55, 0.83]", or "undefined" when the statistic has no value on these grades. */
function statistic(iv: Interval | null, signed = false): string {
  if (iv === null) return 'undefined';
  const f = (x: number) => (signed && x > 0 ? `+${x.toFixed(2)}` : x.toFixed(2));
  return `${f(iv.estimate)} [${f(iv.lower)}, ${f(iv.upper)}]`;
}

/** One sentence: who graded what, and the three agreement figures with their intervals and n. */
export function calibrationSentence(c: JudgeCalibrationSummary): string {
  const ungraded = c.ungraded > 0 ? ` (${c.ungraded} not graded: see the notices)` : '';
  return (
    `${c.judge} graded ${c.n} of the ${c.records} human-graded replies in ${c.file}${ungraded}, with the rubric ${c.rubric} on the scale ${c.scale}: ` +
    `quadratic-weighted kappa ${statistic(c.kappa)}, Spearman correlation ${statistic(c.spearman)}, ` +
    `mean difference judge - human ${statistic(c.meanDifference, true)} points; n = ${c.n}, 95% bootstrap intervals.`
  );
}

/** How to read the figures. */
export const CALIBRATION_GUIDE =
  "Kappa is 1 when the judge gives the people's grades, 0 when it agrees no better than chance; a disagreement of 2 points costs 4 times one of 1. " +
  'Spearman asks only whether the judge orders replies as the people do (a constant shift costs nothing); the mean difference is that shift. ' +
  "Read the lower end of each interval: it is what the data rule out. A low kappa with a high Spearman is a judge that ranks well but is harsher or more lenient: its scores compare cells fairly, but do not read them as the people's grades.";
