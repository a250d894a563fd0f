/**
 * The batch jobs of a run, kept in its results folder (`<run folder>/batches.jsonl`), so a rerun after
 * a crash, a SIGKILL, a reboot or `--detach` never submits again what was submitted: it finds the jobs
 * and waits for them or collects them.
 *
 * - Append-only JSON lines, written with appendFileSync right after the provider accepted a job (the
 *   only window in which a kill can lose a job is between the provider's answer and this line: one
 *   request round trip), then as its state changes and when it is collected.
 * - `submitted`: the provider (the entry's name and id), the job id, when, the reservation, and the
 *   requests it carries by response cache key (the key is also the request's custom id at the provider).
 * - The jobs of a run are those of all its attempts in the results folder (the same experiment name
 *   and prompt fingerprint, as the spend ledger counts attempts): earlierJobs() reads them.
 * - No secrets: ids, times, counts and hashes.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BatchJobState } from '../../providers/batch.js';
import { runFolders, type RunIdentity } from '../spend-ledger.js';
import { readJsonLines } from '../../util/json-lines.js';

export const BATCH_LOG_FILE = 'batches.jsonl';

const JOB_STATES = new Set<BatchJobState>(['validating', 'running', 'finalizing', 'ended', 'failed', 'expired', 'cancelling', 'cancelled']);

export interface LoggedJob {
  /** The run folder whose log holds the job. */
  runDir: string;
  jobId: string;
  /** The provider's name in the experiment (its label, else its id), and its id. */
  provider: string;
  providerId: string;
  submittedAt: string;
  /** Response cache keys of the requests it carries (its custom ids). */
  keys: string[];
  reserved: number;
  /** The last state seen, with when. */
  state: BatchJobState | 'submitted';
  stateAt: string;
  collectedAt: string | null;
  cancelRequestedAt: string | null;
}

type LogLine =
  | { submitted: string; provider: string; providerId: string; at: string; keys: string[]; reserved: number }
  | { job: string; state: BatchJobState; at: string }
  | { collected: string; at: string; answered: number; failed: number }
  | { cancelRequested: string; at: string };

export class JobLog {
  private readonly path: string;

  constructor(readonly runDir: string) {
    this.path = join(runDir, BATCH_LOG_FILE);
  }

  submitted(job: { jobId: string; provider: string; providerId: string; keys: readonly string[]; reserved: number }, at = new Date()): void {
    this.write({ submitted: job.jobId, provider: job.provider, providerId: job.providerId, at: at.toISOString(), keys: [...job.keys], reserved: job.reserved });
  }

  state(jobId: string, state: BatchJobState, at = new Date()): void {
    this.write({ job: jobId, state, at: at.toISOString() });
  }

  collected(jobId: string, answered: number, failed: number, at = new Date()): void {
    this.write({ collected: jobId, at: at.toISOString(), answered, failed });
  }

  cancelRequested(jobId: string, at = new Date()): void {
    this.write({ cancelRequested: jobId, at: at.toISOString() });
  }

  private write(line: LogLine): void {
    appendFileSync(this.path, `${JSON.stringify(line)}\n`);
  }
}

/** The jobs of one run folder's log, in submission order (a line torn by a kill is skipped). */
export function readJobs(runDir: string): LoggedJob[] {
  return jobsOf([runDir]);
}

/**
 * Every job submitted for `run` in the results folder `root`, by any attempt (this one's folder
 * included when it has a log), oldest first: what a rerun must not submit again.
 */
export function runJobs(root: string, run: RunIdentity): LoggedJob[] {
  const jobs = jobsOf(runFolders(root, run).map(({ dir }) => dir));
  return jobs.sort((a, b) => (a.submittedAt < b.submittedAt ? -1 : a.submittedAt > b.submittedAt ? 1 : 0));
}

/**
 * The jobs submitted in these run folders, with what any of them later logged about each: a job one
 * attempt submitted may be watched, collected or cancelled by a later one, which logs it in its own
 * folder. The newest state seen wins.
 */
function jobsOf(runDirs: readonly string[]): LoggedJob[] {
  const logs = runDirs.map((runDir) => ({ runDir, lines: readJsonLines(join(runDir, BATCH_LOG_FILE)) ?? [] }));
  const jobs = new Map<string, LoggedJob>();
  for (const { runDir, lines } of logs) {
    for (const line of lines) {
      if (typeof line.submitted !== 'string' || typeof line.provider !== 'string' || !Array.isArray(line.keys) || jobs.has(line.submitted)) continue;
      const at = String(line.at);
      jobs.set(line.submitted, {
        runDir,
        jobId: line.submitted,
        provider: String(line.provider),
        providerId: typeof line.providerId === 'string' ? line.providerId : line.provider,
        submittedAt: at,
        keys: line.keys.map(String),
        reserved: typeof line.reserved === 'number' ? line.reserved : 0,
        state: 'submitted',
        stateAt: at,
        collectedAt: null,
        cancelRequestedAt: null,
      });
    }
  }
  for (const { lines } of logs) {
    for (const line of lines) {
      const at = String(line.at);
      if (typeof line.job === 'string' && jobs.has(line.job)) {
        if (!JOB_STATES.has(line.state as BatchJobState)) continue; // a line this version never writes
        const job = jobs.get(line.job)!;
        if (at >= job.stateAt) {
          job.state = line.state as BatchJobState;
          job.stateAt = at;
        }
      } else if (typeof line.collected === 'string' && jobs.has(line.collected)) {
        jobs.get(line.collected)!.collectedAt ??= at;
      } else if (typeof line.cancelRequested === 'string' && jobs.has(line.cancelRequested)) {
        jobs.get(line.cancelRequested)!.cancelRequestedAt ??= at;
      }
    }
  }
  return [...jobs.values()];
}
