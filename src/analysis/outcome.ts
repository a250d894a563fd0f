import { FAILURE_OUTCOMES, type FailureOutcome, type Outcome } from '../records/summary.js';
import type { TrialRecord } from '../records/trial.js';

// The outcomes themselves (Outcome, OUTCOMES, FAILURE_OUTCOMES) are what summary.json counts: records/summary.ts.

/**
 * The model answered, but not usably: scored 0. `scorer_failure` is here too: the answer was read,
 * but the experiment's own scorer module gave no score for it (a throw, a timeout, a value outside
 * [0, 1]); like an unreadable answer, it cannot be shown to be right, so it counts 0.
 */
export type AnswerFailure = 'empty' | 'truncated' | 'parse_failure' | 'refusal' | 'scorer_failure';
export const ANSWER_FAILURES: readonly AnswerFailure[] = ['empty', 'truncated', 'parse_failure', 'refusal', 'scorer_failure'];

export function isAnswerFailure(o: Outcome): o is AnswerFailure {
  return o === 'empty' || o === 'truncated' || o === 'parse_failure' || o === 'refusal' || o === 'scorer_failure';
}

/**
 * Classify a trial. The order matters: a refusal (the provider's `refused` error kind, also in runs
 * written before refusals counted as answers) is the model declining this prompt; any other failed
 * call has no output to judge; an empty output is not a truncation, unless the model thought until the
 * output limit and had no room left to answer (truncated with no visible answer); and a truncated
 * output is likely to fail parsing for that reason alone.
 */
export function classifyOutcome(t: TrialRecord): Outcome {
  if (t.error != null) return t.error.kind === 'refused' ? 'refusal' : 'provider_error';
  if (t.finishReason === 'refused') return 'refusal';
  if ((t.output ?? '').trim() === '') return t.finishReason === 'length' && (t.reasoningTokens ?? 0) > 0 ? 'truncated' : 'empty';
  if (t.finishReason === 'length') return 'truncated';
  if (!t.parseOk) return 'parse_failure';
  if (t.scorerError != null) return 'scorer_failure';
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

/** Plural names of the failure kinds, as sentences and tables use them. */
export const FAILURE_NAMES: Record<FailureOutcome, string> = {
  provider_error: 'provider errors',
  empty: 'empty outputs',
  truncated: 'truncated outputs',
  parse_failure: 'parse failures',
  refusal: 'refusals',
  scorer_failure: 'scorer failures',
};

/** What a rising rate of this failure kind means for the verdict. */
export function failureNature(kind: FailureOutcome): string {
  if (kind === 'provider_error') return 'operational: kept out of accuracy';
  if (kind === 'scorer_failure') return "the experiment's scorer gave no score: counted wrong in accuracy (see the trials' scorerError)";
  return "the model's answers: counted wrong in accuracy";
}
