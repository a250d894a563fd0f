import type { TrialRecord } from './trial.js';

export interface ProgressOptions {
  total: number;
  /** Where progress goes (stderr, so stdout stays clean for paths and JSON). */
  stream: NodeJS.WriteStream;
  quiet: boolean;
  /** Seconds between plain lines when the stream is not a terminal (CI logs). */
  intervalSeconds?: number;
}

/**
 * Live progress: one rewritten line in a terminal, a plain line every few seconds in CI logs.
 * Counts answered, failed calls and parse failures separately, as the report does, and the trials
 * answered from the response cache (a resumed run shows them racing ahead).
 */
export class Progress {
  private done = 0;
  private errors = 0;
  private parseFailures = 0;
  private cacheHits = 0;
  private readonly started = Date.now();
  private lastPrint = Date.now();
  private readonly tty: boolean;

  constructor(private readonly options: ProgressOptions) {
    this.tty = Boolean(options.stream.isTTY);
  }

  record(trial: TrialRecord): void {
    this.done++;
    if (trial.cached) this.cacheHits++;
    if (trial.error) this.errors++;
    else if (!trial.parseOk) this.parseFailures++;
    const now = Date.now();
    const interval = this.tty ? 100 : (this.options.intervalSeconds ?? 5) * 1000;
    if (now - this.lastPrint >= interval) {
      this.lastPrint = now;
      this.print(false);
    }
  }

  finish(): void {
    this.print(true);
  }

  private print(final: boolean): void {
    if (this.options.quiet) return;
    const { total } = this.options;
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? this.done / seconds : 0;
    const eta = rate > 0 && this.done < total ? ` eta ${Math.ceil((total - this.done) / rate)}s` : '';
    const line =
      `trials ${this.done}/${total} (${Math.floor((100 * this.done) / Math.max(total, 1))}%)` +
      ` ${rate.toFixed(1)}/s  call errors ${this.errors}  parse failures ${this.parseFailures}  cache hits ${this.cacheHits}` +
      (final ? `  in ${seconds.toFixed(1)}s` : eta);
    if (this.tty) this.options.stream.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    else this.options.stream.write(`${line}\n`);
  }
}
