import type { TrialRecord } from '../runner/trial.js';

/**
 * What happened to one trial. Two kinds of failure are told apart:
 * - a provider failure (`provider_error`: rate limit, server, timeout, auth, bad request, context
 *   length, malformed response) produced no answer from the model: it says nothing about the prompt,
 *   so it is kept out of accuracy and reported apart;
 * - an answer failure (`empty`, `truncated`, `parse_failure`, `refusal`) is the model's answer to
 *   that prompt: it scores 0 in the accuracy that drives labels, advice and compare.
 */
export type Outcome = 'answered' | 'provider_error' | 'empty' | 'truncated' | 'parse_failure' | 'refusal';

/** Every outcome, in the order reports list them. */
export const OUTCOMES: readonly Outcome[] = ['answered', 'provider_error', 'empty', 'truncated', 'parse_failure', 'refusal'];

/** The failure outcomes (everything but `answered`). */
export type FailureOutcome = Exclude<Outcome, 'answered'>;
export const FAILURE_OUTCOMES: readonly FailureOutcome[] = ['provider_error', 'empty', 'truncated', 'parse_failure', 'refusal'];

/** The model answered, but not usably: scored 0. */
export type AnswerFailure = 'empty' | 'truncated' | 'parse_failure' | 'refusal';
export const ANSWER_FAILURES: readonly AnswerFailure[] = ['empty', 'truncated', 'parse_failure', 'refusal'];

export function isAnswerFailure(o: Outcome): o is AnswerFailure {
  return o === 'empty' || o === 'truncated' || o === 'parse_failure' || o === 'refusal';
}

/**
 * Classify a trial. The order matters: a refusal (the provider's `refused` error kind, also in runs
 * written before refusals counted as answers) is the model declining this prompt; any other failed
 * call has no output to judge; an empty output is not a truncation; and a truncated output is likely
 * to fail parsing for that reason alone.
 */
export function classifyOutcome(t: TrialRecord): Outcome {
  if (t.error != null) return t.error.kind === 'refused' ? 'refusal' : 'provider_error';
  if (t.finishReason === 'refused') return 'refusal';
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

/** Plural names of the failure kinds, as sentences and tables use them. */
export const FAILURE_NAMES: Record<FailureOutcome, string> = {
  provider_error: 'provider errors',
  empty: 'empty outputs',
  truncated: 'truncated outputs',
  parse_failure: 'parse failures',
  refusal: 'refusals',
};

/** What a rising rate of this failure kind means for the verdict. */
export function failureNature(kind: FailureOutcome): string {
  return kind === 'provider_error' ? 'operational: kept out of accuracy' : "the model's answers: counted wrong in accuracy";
}
