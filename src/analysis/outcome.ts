import type { TrialRecord } from '../runner/trial.js';

/** What happened to one trial. Only `answered` trials are scored; the rest are failures, counted apart. */
export type Outcome = 'answered' | 'provider_error' | 'empty' | 'truncated' | 'parse_failure';

/** Every outcome, in the order reports list them. */
export const OUTCOMES: readonly Outcome[] = ['answered', 'provider_error', 'empty', 'truncated', 'parse_failure'];

/** The failure outcomes (everything but `answered`). */
export type FailureOutcome = Exclude<Outcome, 'answered'>;
export const FAILURE_OUTCOMES: readonly FailureOutcome[] = ['provider_error', 'empty', 'truncated', 'parse_failure'];

/**
 * Classify a trial. The order matters: a failed call has no output to judge, an empty output
 * is not a truncation, and a truncated output is likely to fail parsing for that reason alone.
 * A failure is never a wrong answer: it says nothing about what the model knows.
 */
export function classifyOutcome(t: TrialRecord): Outcome {
  if (t.error != null) return 'provider_error';
  if ((t.output ?? '').trim() === '') return 'empty';
  if (t.finishReason === 'length') return 'truncated';
  if (!t.parseOk) return 'parse_failure';
  return 'answered';
}

/** Answered trials and failures by kind, over a whole run. */
export function countOutcomes(trials: readonly TrialRecord[]): { answered: number; failures: Record<FailureOutcome, number> } {
  const failures = Object.fromEntries(FAILURE_OUTCOMES.map((o) => [o, 0])) as Record<FailureOutcome, number>;
  let answered = 0;
  for (const t of trials) {
    const outcome = classifyOutcome(t);
    if (outcome === 'answered') answered += 1;
    else failures[outcome] += 1;
  }
  return { answered, failures };
}
