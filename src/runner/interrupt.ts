/**
 * A stop request during a sweep: Ctrl-C (SIGINT), or SIGTERM (what CI runners, `timeout`, Docker and
 * systemd send) or SIGHUP (the terminal closed). The first one stops new calls and gives the calls in
 * flight a bounded grace period to finish (their answers are paid for); when it runs out, they are
 * aborted and left for the next run; the sweep then writes a partial report. A second one, of any
 * kind, quits at once: trials.jsonl is written line by line and synchronously, so what is on disk
 * stays consistent and a rerun resumes from the cache.
 */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** The signals a sweep handles, in the order they are registered. */
export const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The exit code after a stop, by the signal that asked for it: 128 + the signal's number, as a shell reports it. */
export const SIGNAL_EXIT_CODES: Readonly<Record<StopSignal, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/** How each signal is named to the user. */
const NAMES: Readonly<Record<StopSignal, string>> = { SIGINT: 'Ctrl-C', SIGTERM: 'SIGTERM', SIGHUP: 'SIGHUP' };

export class Interrupt {
  private first: StopSignal | null = null;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly graceMs: number,
    private readonly say: (line: string) => void,
    /** Ends the process at once (a second signal); given the exit code of the signal that asked. */
    private readonly quitNow: (exitCode: number) => void,
  ) {}

  /** True once a stop was asked for: no new call starts. */
  get stopping(): boolean {
    return this.first !== null;
  }

  /** The signal that asked to stop first; null while none has. */
  get stoppedBy(): StopSignal | null {
    return this.first;
  }

  /** The exit code for a sweep that stopped early because of it (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP); null while no stop was asked for. */
  get exitCode(): number | null {
    return this.first === null ? null : SIGNAL_EXIT_CODES[this.first];
  }

  /** Aborts the calls still in flight when the grace period ends. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Call on each stop signal (SIGINT when none is named). */
  handle(signal: StopSignal = 'SIGINT'): void {
    if (this.first !== null) {
      this.say(`stopping now (${NAMES[signal]} again)`);
      this.quitNow(SIGNAL_EXIT_CODES[signal]);
      return;
    }
    this.first = signal;
    const seconds = Math.round(this.graceMs / 100) / 10;
    const who = signal === 'SIGINT' ? '' : `${NAMES[signal]} received; `;
    this.say(`${who}stopping: no new calls; up to ${seconds}s for the calls in flight, then a partial report (Ctrl-C again to quit now)`);
    this.timer = setTimeout(() => {
      this.say(`stopping: gave up waiting after ${seconds}s; the calls still in flight are cancelled and will be asked again by the next run`);
      this.controller.abort();
    }, this.graceMs);
    // The grace timer must not keep a finished sweep alive.
    this.timer.unref();
  }

  /**
   * Handles SIGINT, SIGTERM and SIGHUP on `proc` (in place of Node's default of dying at once) until
   * the returned function is called.
   */
  listen(proc: NodeJS.Process): () => void {
    const handlers = STOP_SIGNALS.map((name) => {
      const handler = () => {
        // SIGHUP usually means the terminal is gone: a failed write to it must not crash the partial report.
        if (name === 'SIGHUP') for (const stream of [proc.stdout, proc.stderr]) stream.on('error', () => {});
        this.handle(name);
      };
      proc.on(name, handler);
      return [name, handler] as const;
    });
    return () => {
      for (const [name, handler] of handlers) proc.off(name, handler);
    };
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
