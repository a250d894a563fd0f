/**
 * The providers' batch engines (issue 18): OpenAI's Batch API, Anthropic's Message Batches and
 * Gemini's Batch Mode each take many requests at once, run them on the provider's fleet within 24
 * hours and bill them at a discount. An adapter whose API has one offers it as `Provider.batch`; the
 * runner (runner/batch/) decides what to submit, keeps the jobs in the results folder, waits and
 * collects. A request of a batch is the same request the adapter would send alone (built by the same
 * code), and a result is read by the same code as a synchronous answer, so a trial answered by batch
 * is the trial answered synchronously, up to latency and request ids.
 */
import type { BatchJobState } from './provider.js';

export type { BatchEngine, BatchItemResult, BatchJobState, BatchJobStatus, BatchRequest } from './provider.js';

/** States after which a job changes no more and its results (if any) can be read. */
export const BATCH_TERMINAL_STATES: ReadonlySet<BatchJobState> = new Set(['ended', 'failed', 'expired', 'cancelled']);

/** Whether a state (a job's, or `submitted` as the runner's log says before the first poll) is terminal. */
export function isTerminalState(state: string): boolean {
  return BATCH_TERMINAL_STATES.has(state as BatchJobState);
}
