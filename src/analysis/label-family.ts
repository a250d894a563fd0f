import type { LabelQuestion } from '../records/summary.js';

/**
 * How one curve's label spends its error budget alpha. A label is one claim about the true curve
 * over the swept k; it is reported only when the checks behind it hold, and each kind of claim gets
 * a fixed share of alpha (a weighted Bonferroni split), so the chance that the reported label is
 * false is at most the sum of the shares: alpha, whatever the curve and whatever the k grid.
 *
 * - drop (peak-regression): the (peak, trough) pair is picked from the data, so its share is split
 *   again over every (earlier, later) pair of k it could have been;
 * - none (no-benefit): every k's gain over zero-shot below delta, all at the share (an
 *   intersection-union test: all must hold, so no split is needed);
 * - flat (plateau knees): knees are tested as a fixed sequence, from the reference k down to k = 1,
 *   each at the full share, stopping at the first that fails. A fixed sequence needs no correction
 *   for the number of knees tried (Maurer, Hothorn & Lehmacher 1995): a false knee can only be
 *   reached by passing the first false claim in the sequence, which happens with probability at
 *   most the share;
 * - gain (the plateau's "shots help by the knee"): split over the candidate knees;
 * - rise (improving): one check, the largest k against the reference k.
 * The shares favour the claims that need the most items (no-benefit and plateau bound every
 * difference within delta; peak-regression, gains and improving show one difference).
 */
export const LABEL_ALPHA_SHARES = { drop: 0.05, gain: 0.05, none: 0.3, flat: 0.45, rise: 0.15 } as const satisfies Record<LabelQuestion, number>;

/**
 * The reference k of a curve: the largest swept k at most a quarter of the largest (two doublings
 * below it), or the smallest k when none is. A plateau must be shown flat from a knee at or below it
 * to the end; improving is the largest k beating it by delta. Tying both to a fixed fraction of the
 * range, not to one adjacent step, is what keeps a label from depending on how densely k is swept.
 */
export function referenceIndex(ks: readonly number[]): number {
  const largest = ks[ks.length - 1]!;
  let ref = 0;
  for (let j = 0; j < ks.length - 1; j++) if (ks[j]! <= largest / 4) ref = j;
  return ref;
}
