/**
 * What a sweep's batch jobs answered, by response cache key, for the trials to pick up
 * (execute.ts): the trial that takes a key first is the paid request (`batch: <job>`), any other trial
 * of the same key shares it (`shared`, as single-flight does), a failed request is its trials' typed
 * provider error, and a request whose batch the budget refused is a trial not run.
 */
import type { CompletionResult, ProviderError } from '../../providers/provider.js';

export type BatchOutcome =
  | { kind: 'answer'; job: string; result: CompletionResult; first: boolean }
  | { kind: 'error'; job: string; error: ProviderError; first: boolean }
  | { kind: 'refused' };

export class BatchOutcomes {
  private readonly answers = new Map<string, { job: string; result: CompletionResult }>();
  private readonly errors = new Map<string, { job: string; error: ProviderError }>();
  private readonly refusedKeys = new Set<string>();
  private readonly taken = new Set<string>();

  answer(key: string, job: string, result: CompletionResult): void {
    this.errors.delete(key);
    this.answers.set(key, { job, result });
  }

  fail(key: string, job: string, error: ProviderError): void {
    if (!this.answers.has(key)) this.errors.set(key, { job, error });
  }

  /** The error is to be retried synchronously (--batch-retry sync): the trial calls as usual. */
  forget(key: string): void {
    this.errors.delete(key);
  }

  refuse(key: string): void {
    this.refusedKeys.add(key);
  }

  has(key: string): boolean {
    return this.answers.has(key) || this.errors.has(key) || this.refusedKeys.has(key);
  }

  get size(): number {
    return this.answers.size;
  }

  /** Failed keys with their errors (for a follow-up batch or the summary). */
  failures(): [string, { job: string; error: ProviderError }][] {
    return [...this.errors];
  }

  outcome(key: string): BatchOutcome | null {
    if (this.refusedKeys.has(key)) return { kind: 'refused' };
    const answered = this.answers.get(key);
    const failed = answered ? undefined : this.errors.get(key);
    if (!answered && !failed) return null;
    const first = !this.taken.has(key);
    this.taken.add(key);
    return answered ? { kind: 'answer', job: answered.job, result: answered.result, first } : { kind: 'error', job: failed!.job, error: failed!.error, first };
  }
}
