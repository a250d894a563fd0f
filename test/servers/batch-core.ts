// The state machine shared by the fake batch servers (openai-batch.ts, anthropic-batch.ts,
// gemini-batch.ts): a job is validating, then running, then finalizing, then ended, by the time
// elapsed since it was created (read on every status request, so a test sets the pace and a
// SIGKILLed client finds the job where time has taken it). When a job ends its requests are answered
// by the server's own script, through ServerTools.answer, exactly as the synchronous route would answer
// them; a job may be made to expire (some requests never run) or be cancelled (the unrun ones cancelled).

import type { Rendered, ServerTools } from './core.js';

export interface BatchOptions {
  /** Milliseconds a new job spends in each phase (default 0 / 40 / 0). */
  validatingMs?: number;
  runningMs?: number;
  finalizingMs?: number;
  /**
   * Which requests of a job the provider does not get to before the window closes: the job then ends
   * `expired`, those requests expired and the rest answered. Called with the job's index (0-based, in
   * creation order) and the request's index within the job. Default: none.
   */
  expire?: (jobIndex: number, requestIndex: number) => boolean;
  /** Order of the results: shuffled (default, seeded per job) or as submitted. */
  order?: 'shuffled' | 'submitted';
  /** A job refused as a whole (validation failed): called with the job's index. Default: none. */
  fail?: (jobIndex: number) => string | null;
  /**
   * The clock the phases are read from (default Date.now). A test that checks each phase by name
   * moves a ManualClock between polls, so a slow machine cannot skip a phase.
   */
  clock?: () => number;
}

/** A clock that moves only when told to. */
export class ManualClock {
  private t = Date.now();
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export type FakeBatchPhase = 'validating' | 'running' | 'finalizing' | 'ended' | 'expired' | 'failed' | 'cancelling' | 'cancelled';

export interface FakeBatchRequest {
  customId: string;
  /** The request body as the chat route would receive it. */
  body: any;
}

/** One request's outcome: its answer as the chat route renders it, or why it has none. */
export type FakeBatchOutcome = { customId: string; rendered: Rendered } | { customId: string; missing: 'expired' | 'cancelled' | 'hang' };

export interface FakeBatchJob {
  id: string;
  index: number;
  createdAt: number;
  requests: FakeBatchRequest[];
  /** Set by cancel(). */
  cancelledAt: number | null;
  /** Set once the job reached a terminal phase and its requests were answered. */
  outcomes: FakeBatchOutcome[] | null;
  failure: string | null;
  /** Extra fields a dialect keeps (input file id, display name, ...). */
  meta: Record<string, unknown>;
}

/** Milliseconds a cancelled job stays `cancelling`. */
const CANCELLING_MS = 20;

export class FakeBatchJobs {
  readonly jobs: FakeBatchJob[] = [];
  private readonly now: () => number;
  /** Jobs whose requests are being answered right now. */
  private readonly answering = new Map<FakeBatchJob, Promise<FakeBatchOutcome[] | null>>();

  constructor(
    private readonly options: BatchOptions,
    private readonly chatPath: (job: FakeBatchJob, request: FakeBatchRequest) => string,
  ) {
    this.now = options.clock ?? Date.now;
  }

  create(id: string, requests: FakeBatchRequest[], meta: Record<string, unknown> = {}): FakeBatchJob {
    const index = this.jobs.length;
    const job: FakeBatchJob = {
      id,
      index,
      createdAt: this.now(),
      requests,
      cancelledAt: null,
      outcomes: null,
      failure: this.options.fail?.(index) ?? null,
      meta,
    };
    this.jobs.push(job);
    return job;
  }

  get(id: string): FakeBatchJob | undefined {
    return this.jobs.find((j) => j.id === id);
  }

  /**
   * The job's phase as a status body shows it: where time has taken it, except that a job whose time
   * is up but whose requests are not answered yet still shows as finalizing (or cancelling). A status
   * handler answers the requests first (outcomes()) and reads the phase after, so a clock tick between
   * the two can never show a finished job with no counts or results.
   */
  phase(job: FakeBatchJob): FakeBatchPhase {
    const phase = this.phaseByTime(job);
    if (job.outcomes !== null) return phase;
    if (phase === 'ended' || phase === 'expired') return 'finalizing';
    return phase === 'cancelled' ? 'cancelling' : phase;
  }

  /** Where time has taken the job. */
  private phaseByTime(job: FakeBatchJob, now = this.now()): FakeBatchPhase {
    if (job.failure !== null) return 'failed';
    if (job.cancelledAt !== null) return now - job.cancelledAt < CANCELLING_MS ? 'cancelling' : 'cancelled';
    const { validatingMs = 0, runningMs = 40, finalizingMs = 0 } = this.options;
    const age = now - job.createdAt;
    if (age < validatingMs) return 'validating';
    if (age < validatingMs + runningMs) return 'running';
    if (age < validatingMs + runningMs + finalizingMs) return 'finalizing';
    return job.requests.some((_, i) => this.options.expire?.(job.index, i)) ? 'expired' : 'ended';
  }

  cancel(job: FakeBatchJob): void {
    const phase = this.phaseByTime(job);
    if (phase === 'validating' || phase === 'running' || phase === 'finalizing') job.cancelledAt = this.now();
  }

  /** Answers the job's requests once it is terminal (each asked of the script once, ever). */
  async outcomes(job: FakeBatchJob, tools: ServerTools): Promise<FakeBatchOutcome[] | null> {
    if (job.outcomes) return job.outcomes;
    // Two status requests at once answer the requests once.
    const answering = this.answering.get(job) ?? this.answer(job, tools);
    this.answering.set(job, answering);
    try {
      return await answering;
    } finally {
      this.answering.delete(job);
    }
  }

  private async answer(job: FakeBatchJob, tools: ServerTools): Promise<FakeBatchOutcome[] | null> {
    const phase = this.phaseByTime(job);
    if (phase !== 'ended' && phase !== 'expired' && phase !== 'cancelled') return null;
    const out: FakeBatchOutcome[] = [];
    for (const [i, request] of job.requests.entries()) {
      if (phase === 'cancelled') out.push({ customId: request.customId, missing: 'cancelled' });
      else if (this.options.expire?.(job.index, i)) out.push({ customId: request.customId, missing: 'expired' });
      else {
        const rendered = await tools.answer(this.chatPath(job, request), request.body);
        out.push(rendered ? { customId: request.customId, rendered } : { customId: request.customId, missing: 'hang' });
      }
    }
    job.outcomes = this.options.order === 'submitted' ? out : shuffle(out, job.id);
    return job.outcomes;
  }

  /** Counts for a status body: requests, finished well (a 2xx answer), finished with an error. */
  counts(job: FakeBatchJob): { total: number; succeeded: number; failed: number } {
    const total = job.requests.length;
    if (!job.outcomes) return { total, succeeded: 0, failed: 0 };
    const succeeded = job.outcomes.filter((o) => 'rendered' in o && o.rendered.status < 300).length;
    return { total, succeeded, failed: total - succeeded };
  }
}

/** A deterministic shuffle (seeded by the job id), so results never come back in submission order by accident. */
function shuffle<T>(items: readonly T[], seed: string): T[] {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
    const j = h % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
