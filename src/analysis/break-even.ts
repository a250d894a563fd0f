/**
 * The fine-tune break-even (issue 19): at what monthly volume does a fine-tuned model at k = 0 (its
 * training amortized over a horizon, plus any hosting fee, plus its per-request price) cost less than
 * the recommended few-shot cell (its per-request price, shots included)?
 *
 *   few-shot per month   F(V) = V * f
 *   fine-tuned per month T(V) = training / horizon + hosting + V * t
 *   break-even           V*   = (training / horizon + hosting) / (f - t)   when f > t
 *
 * When the tuned model's request costs as much or more than the few-shot one (t >= f), fine-tuning
 * never pays off on price ("never"); when a fee is unknown, the break-even is unknown and says why.
 */

export interface BreakEvenInput {
  /** Training cost, once. */
  trainingCost: number;
  /** Fixed monthly fee of the tuned model; null when the provider charges one the price does not state. */
  hostingPerMonth: number | null;
  horizonMonths: number;
  /** Cost of one request of the recommended few-shot cell. */
  fewShotPerRequest: number;
  /** Cost of one request of the tuned model at k = 0. */
  tunedPerRequest: number;
}

export type BreakEven = { kind: 'volume'; requestsPerMonth: number } | { kind: 'never'; reason: string } | { kind: 'unknown'; reason: string };

export function breakEven(input: BreakEvenInput): BreakEven {
  if (input.hostingPerMonth === null) {
    return { kind: 'unknown', reason: 'the tuned model has a hosting fee the price table does not state' };
  }
  const saving = input.fewShotPerRequest - input.tunedPerRequest;
  if (!(saving > 0)) {
    return { kind: 'never', reason: 'a tuned request costs as much as a few-shot one or more, so no volume pays the training back' };
  }
  const fixed = input.trainingCost / input.horizonMonths + input.hostingPerMonth;
  return { kind: 'volume', requestsPerMonth: fixed / saving };
}

/** Monthly cost of the fine-tuned model at `requests` a month (training spread over the horizon). */
export function tunedMonthlyCost(input: BreakEvenInput, requests: number): number | null {
  if (input.hostingPerMonth === null) return null;
  return input.trainingCost / input.horizonMonths + input.hostingPerMonth + requests * input.tunedPerRequest;
}
