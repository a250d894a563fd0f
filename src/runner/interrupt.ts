/**
 * Ctrl-C during a sweep. The first one stops new calls and gives the calls in flight a bounded
 * grace period to finish (their answers are paid for); when it runs out, they are aborted and left
 * for the next run. A second Ctrl-C quits at once: trials.jsonl is written line by line and
 * synchronously, so what is on disk stays consistent and a rerun resumes from the cache.
 */
export class Interrupt {
  private stopRequested = false;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly graceMs: number,
    private readonly say: (line: string) => void,
    private readonly quitNow: () => void,
  ) {}

  /** True once the user asked to stop: no new call starts. */
  get stopping(): boolean {
    return this.stopRequested;
  }

  /** Aborts the calls still in flight when the grace period ends. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Call on each SIGINT. */
  handle(): void {
    if (this.stopRequested) {
      this.say('stopping now');
      this.quitNow();
      return;
    }
    this.stopRequested = true;
    const seconds = Math.round(this.graceMs / 100) / 10;
    this.say(`stopping: no new calls; up to ${seconds}s for the calls in flight, then a partial report (Ctrl-C again to quit now)`);
    this.timer = setTimeout(() => {
      this.say(`stopping: gave up waiting after ${seconds}s; the calls still in flight are cancelled and will be asked again by the next run`);
      this.controller.abort();
    }, this.graceMs);
    // The grace timer must not keep a finished sweep alive.
    this.timer.unref();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
