/**
 * `fewshot batch status|cancel <results folder>`: the batch jobs of a run (all its attempts in the
 * results folder), asked of the providers that hold them. `collect` is the sweep run again on the
 * run's experiment with --batch (cli.ts): it finds these jobs, waits for them and collects them.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isTerminalState, type BatchJobStatus } from '../../providers/batch.js';
import type { Provider } from '../../providers/provider.js';
import type { ResolveOptions } from '../../providers/registry.js';
import { readRunInfo, RunInfoError, type RunInfo } from '../../records/run-info.js';
import { prepareSweep } from '../prepare.js';
import { BATCH_LOG_FILE, JobLog, runJobs, type LoggedJob } from './job-log.js';

export interface RunBatches {
  info: RunInfo;
  jobs: LoggedJob[];
  /** The experiment's providers by name, built with the keys in the environment (none for a skipped one). */
  providers: Map<string, Provider>;
}

/** A results folder the batch commands cannot use (no run.json, an older run, its experiment not found): exit 2. */
export class BatchRunError extends Error {}

/** The run's run.json and the jobs of all its attempts (no provider is built). */
export function jobsOfRun(runDir: string): { info: RunInfo; jobs: LoggedJob[] } {
  const info = readRun(runDir);
  if (!info.prompt) throw new BatchRunError(`${runDir}: run.json has no prompt fingerprint (an older run): it holds no batch jobs`);
  try {
    return { info, jobs: runJobs(dirname(resolve(runDir)), { experiment: info.experiment.name, prompt: info.prompt }) };
  } catch (err) {
    throw new BatchRunError(`${runDir}: the batch job logs (${BATCH_LOG_FILE}) of its run cannot be read (${(err as Error).message})`);
  }
}

/** The run's jobs and the providers to ask about them. */
export function loadRunBatches(runDir: string, env: NodeJS.ProcessEnv, providerOptions: ResolveOptions = {}, cwd = process.cwd()): RunBatches {
  const { info, jobs } = jobsOfRun(runDir);
  const { experiment, ranIn } = locateExperiment(runDir, info.experiment.path, cwd);
  const prepared = prepareSweep(resolve(ranIn, experiment), env, undefined, providerOptions);
  const providers = new Map(prepared.resolutions.flatMap((r) => (r.status === 'ready' ? [[r.name, r.provider] as const] : [])));
  return { info, jobs, providers };
}

/** One line per job: provider, id, state, counts, age. */
export async function batchStatus(run: RunBatches, now = Date.now()): Promise<string[]> {
  if (run.jobs.length === 0) return ['no batch jobs in this run'];
  const lines: string[] = [];
  for (const job of run.jobs) {
    const status = await ask(run, job, (engine) => engine.status(job.jobId));
    const age = Math.round((now - Date.parse(job.submittedAt)) / 60_000);
    const collected = job.collectedAt ? ', collected' : '';
    lines.push(
      typeof status === 'string'
        ? `${job.provider}  ${job.jobId}  ${job.keys.length} requests  (last seen ${job.state}${collected}; ${status})`
        : `${job.provider}  ${job.jobId}  ${status.state} (${status.providerState})  ${status.counts.succeeded} done, ${status.counts.failed} failed of ${status.counts.total || job.keys.length}  submitted ${age} min ago${collected}`,
    );
  }
  return lines;
}

/** Asks the providers to cancel every job not yet finished; the lines say what each answered. */
export async function batchCancel(run: RunBatches, runDir: string): Promise<string[]> {
  const open = run.jobs.filter((job) => !isTerminalState(job.state) && job.collectedAt === null);
  if (open.length === 0) return ['no unfinished batch jobs to cancel'];
  const log = new JobLog(resolve(runDir));
  const lines: string[] = [];
  for (const job of open) {
    const status = await ask(run, job, (engine) => engine.cancel(job.jobId));
    if (typeof status !== 'string') log.cancelRequested(job.jobId);
    lines.push(typeof status === 'string' ? `${job.provider}  ${job.jobId}  not cancelled: ${status}` : `${job.provider}  ${job.jobId}  ${status.state}`);
  }
  lines.push('requests already answered stay billed; run the sweep again to collect them and ask the rest');
  return lines;
}

async function ask(
  run: RunBatches,
  job: LoggedJob,
  call: (engine: NonNullable<Provider['batch']>) => Promise<BatchJobStatus>,
): Promise<BatchJobStatus | string> {
  const engine = run.providers.get(job.provider)?.batch;
  if (!engine) return `${job.provider} is not available here (its API key unset, or no longer in the experiment)`;
  try {
    return await call(engine);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * The experiment a run folder was swept from, and the folder the sweep ran in: run.json records the
 * experiment's path as the sweep was given it, relative to where it ran. That is the current folder,
 * or (run from elsewhere) the folder holding the results folder, as `fewshot sweep X.yaml` with the
 * default `results/` leaves it. `batch collect` runs from that folder, so that what the sweep found
 * from its working folder (the embedding cache, FEWSHOT_CACHE_DIR given as a relative path) is found again.
 */
export function experimentOfRun(runDir: string, cwd = process.cwd()): { experiment: string; ranIn: string } {
  return locateExperiment(runDir, readRun(runDir).experiment.path, cwd);
}

function locateExperiment(runDir: string, recorded: string, cwd: string): { experiment: string; ranIn: string } {
  // `experiment` stays as recorded (relative to `ranIn`), so the collecting attempt's run.json records it the same way.
  if (isAbsolute(recorded)) return { experiment: recorded, ranIn: cwd };
  const candidates = [...new Set([resolve(cwd), dirname(dirname(resolve(cwd, runDir)))])];
  for (const ranIn of candidates) {
    if (existsSync(resolve(ranIn, recorded))) return { experiment: recorded, ranIn };
  }
  throw new BatchRunError(
    `${runDir}: run.json names the experiment ${recorded}, relative to where the sweep ran; not found from ${candidates.join(' or ')}: run the command from the folder the sweep ran in`,
  );
}

function readRun(runDir: string): RunInfo {
  const path = resolve(runDir, 'run.json');
  if (!existsSync(path)) throw new BatchRunError(`${runDir}: no run.json here; expected a results folder written by "fewshot sweep --batch"`);
  try {
    return readRunInfo(path);
  } catch (err) {
    if (err instanceof RunInfoError) throw new BatchRunError(err.message);
    throw err;
  }
}
