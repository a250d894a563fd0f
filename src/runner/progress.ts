import cliProgress from 'cli-progress';
import type { TrialRecord } from '../records/trial.js';

export interface ProgressOptions {
  /** One entry per provider that will run, with its number of planned trials, in display order. */
  providers: { id: string; total: number }[];
  /** Where progress goes (stderr, so stdout stays clean for paths and JSON). */
  stream: NodeJS.WriteStream;
  /** No progress at all; finish() still returns the summary lines. */
  quiet: boolean;
  /** Seconds between plain lines when the stream is not a terminal (CI logs); default 5. */
  intervalSeconds?: number;
  /** Money spent so far by a provider, or null when it has no price (shown as `unpriced`). */
  spend?: (provider: string) => number | null;
  /** Currency of `spend` (default USD, shown as `$`). */
  currency?: string;
  /** A provider's adaptive throttle (calls allowed in flight now, and its ceiling); shown while a 429 holds it below the ceiling. */
  throttle?: (provider: string) => { limit: number; max: number } | null;
  /** Clock in ms (tests); default Date.now. */
  now?: () => number;
  /**
   * The task's judge (AdaptGauge's llm_judge), shown on a line of its own: trials judged, new judge
   * calls, verdicts reused (response cache, or an equal answer's), judge failures, and its spend.
   */
  judge?: {
    id: string;
    /** Money spent on the judge's calls so far, or null when it has no price. */
    spend?: () => number | null;
    /** The judge's adaptive throttle, as for providers. */
    throttle?: () => { limit: number; max: number } | null;
  };
}

/** Calls per second are measured over this recent window, so a fast cache-hit start does not fool the ETA. */
const RATE_WINDOW_MS = 10_000;
/** At most one rate sample per provider per second. */
const SAMPLE_EVERY_MS = 1_000;

interface ProviderState {
  id: string;
  /** Planned trials minus those skipped. */
  total: number;
  done: number;
  errors: number;
  parseFailures: number;
  cacheHits: number;
  /** Trials answered by an identical call another trial had in flight (single-flight): calls saved. */
  shared: number;
  skipped: number;
  /** When the last trial of this provider completed (summary rate and duration). */
  lastAt: number | null;
  /** (time, done) samples for the recent rate; samples[0] is the baseline. */
  samples: { t: number; done: number }[];
  /** done + skipped at the last plain line, to print only providers that moved. */
  printedAt: number;
  bar: cliProgress.SingleBar | null;
}

/** The judge's line: counted from the trial records' `judge` field. */
interface JudgeState {
  label: string;
  judged: number;
  calls: number;
  cacheHits: number;
  failures: number;
  /** `judged` at the last plain line. */
  printedAt: number;
  bar: cliProgress.SingleBar | null;
}

/**
 * Live progress of a sweep, one entry per provider: done/total, calls per second (recent), call
 * errors, parse failures, cache hits, calls shared with an identical one in flight (once there are
 * any), spend and ETA.
 * - terminal (stream.isTTY): one cli-progress bar per provider, redrawn in place;
 * - otherwise (CI logs): a plain line per provider that moved, every `intervalSeconds`;
 * - quiet: nothing.
 * finish() prints (unless quiet) and returns one summary line per provider.
 */
export class Progress {
  private readonly states = new Map<string, ProviderState>();
  private readonly now: () => number;
  private readonly started: number;
  private readonly intervalMs: number;
  private readonly idWidth: number;
  private multibar: cliProgress.MultiBar | null = null;
  private lastPrint: number;
  private summary: string[] | null = null;
  private readonly judge: JudgeState | null;

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? Date.now;
    this.started = this.now();
    this.lastPrint = this.started;
    this.intervalMs = (options.intervalSeconds ?? 5) * 1000;
    this.judge = options.judge ? { label: `judge ${options.judge.id}`, judged: 0, calls: 0, cacheHits: 0, failures: 0, printedAt: 0, bar: null } : null;
    this.idWidth = Math.max(0, ...options.providers.map((p) => p.id.length), this.judge?.label.length ?? 0);
    for (const p of options.providers) this.addState(p.id, p.total);
    if (!options.quiet && options.stream.isTTY === true && this.states.size > 0) this.startBars();
  }

  /** True while the bars are drawn: other output to the terminal should then go through note(). */
  get live(): boolean {
    return this.multibar !== null;
  }

  /** Counts one completed trial: done, failed call (error), parse failure (!parseOk without error), cache hit or shared call. */
  record(trial: TrialRecord): void {
    const s = this.states.get(trial.provider) ?? this.addState(trial.provider, 0);
    const t = this.now();
    s.done++;
    if (s.done > s.total) s.total = s.done;
    if (trial.shared) s.shared++;
    else if (trial.cached) s.cacheHits++;
    if (trial.error) s.errors++;
    else if (!trial.parseOk) s.parseFailures++;
    s.lastAt = t;
    if (trial.judge && this.judge) {
      const j = this.judge;
      j.judged++;
      if (trial.judge.cached) j.cacheHits++;
      else j.calls++;
      // A trial with a judge failed only if its judge did: its answer call had answered.
      if (trial.error) j.failures++;
    }
    this.sample(s, t);
    this.maybePrint(t);
  }

  /** `n` trials of `provider` will not run (budget reached, provider stopped): they leave its total. */
  skip(provider: string, n: number): void {
    const s = this.states.get(provider);
    if (!s || n <= 0) return;
    const k = Math.min(n, s.total - s.done);
    s.skipped += k;
    s.total -= k;
    this.maybePrint(this.now());
  }

  /** Shows a message line: above the live bars without garbling them, or as a plain line (also when quiet). */
  note(line: string): void {
    if (this.multibar) this.multibar.log(line.endsWith('\n') ? line : `${line}\n`);
    else this.options.stream.write(line.endsWith('\n') ? line : `${line}\n`);
  }

  /** Stops the bars (no timer left behind); prints, unless quiet, and returns one summary line per provider. */
  finish(): string[] {
    if (this.summary) return this.summary;
    const t = this.now();
    if (this.multibar) {
      this.refreshBars();
      this.multibar.update(); // flushes pending note() lines; stop() alone would drop them
      this.multibar.stop();
      this.multibar = null;
    }
    this.summary = [...this.states.values()].map((s) => this.summaryLine(s, t));
    if (this.judge) this.summary.push(this.judgeLine(this.judge));
    if (!this.options.quiet) for (const line of this.summary) this.options.stream.write(`${line}\n`);
    return this.summary;
  }

  private addState(id: string, total: number): ProviderState {
    const s: ProviderState = {
      id,
      total,
      done: 0,
      errors: 0,
      parseFailures: 0,
      cacheHits: 0,
      shared: 0,
      skipped: 0,
      lastAt: null,
      samples: [{ t: this.started, done: 0 }],
      printedAt: 0,
      bar: null,
    };
    this.states.set(id, s);
    if (this.multibar) s.bar = this.multibar.create(s.total, 0, this.payload(s, this.now()));
    return s;
  }

  private startBars(): void {
    // The bar takes what the widest line leaves of the terminal (10 to 30 characters).
    const n = '9'.repeat(String(Math.max(...[...this.states.values()].map((s) => s.total))).length);
    const widest = `${'x'.repeat(this.idWidth)}  [] ${n}/${n}  999.9/s  errors ${n}  parse ${n}  cache ${n}${this.options.spend ? '  $0.0000' : ''}  eta 59m59s`;
    const multibar = new cliProgress.MultiBar({
      stream: this.options.stream,
      format: '{provider}  [{bar}] {value}/{total}  {rate}/s  errors {errors}  parse {parse}  cache {cache}{shared}{spend}  eta {left}',
      barsize: Math.max(10, Math.min(30, (this.options.stream.columns ?? 80) - widest.length - 1)),
      fps: 5,
      // Redraw every frame: after note() lines are flushed, unchanged bars must be drawn again below them.
      forceRedraw: true,
      // Cut lines at the terminal width rather than turning wrapping off (which a crash would leave off).
      linewrap: true,
      hideCursor: false,
      // Ours to handle: a SIGINT listener here would stop Ctrl-C from ending the process.
      gracefulExit: false,
      // Not a terminal: we print plain lines ourselves.
      noTTYOutput: false,
    });
    // Rate and ETA move with time, not only with records: recompute the fields before every frame.
    multibar.on('update-pre', () => this.refreshBars());
    this.multibar = multibar;
    const t = this.now();
    for (const s of this.states.values()) s.bar = multibar.create(s.total, 0, this.payload(s, t));
    if (this.judge) {
      // No total or ETA: how many answers need judging is known only once they are parsed.
      this.judge.bar = multibar.create(1, 0, this.judgePayload(this.judge), {
        format: '{provider}  judged {value}  calls {calls}  cache {cache}  failures {errors}{spend}',
      });
    }
  }

  private refreshBars(): void {
    const t = this.now();
    for (const s of this.states.values()) {
      if (!s.bar) continue;
      s.bar.setTotal(s.total);
      s.bar.update(s.done, this.payload(s, t));
    }
    const j = this.judge;
    if (j?.bar) {
      j.bar.setTotal(Math.max(1, j.judged));
      j.bar.update(j.judged, this.judgePayload(j));
    }
  }

  private judgePayload(j: JudgeState): Record<string, string> {
    const spend = this.judgeSpendText();
    return {
      provider: j.label.padEnd(this.idWidth),
      calls: String(j.calls),
      cache: String(j.cacheHits),
      errors: String(j.failures),
      spend: (spend ? `  ${spend}` : '') + this.throttleLimitText(this.options.judge?.throttle?.() ?? null),
    };
  }

  /** The judge's plain and summary line. */
  private judgeLine(j: JudgeState): string {
    const spend = this.judgeSpendText();
    return (
      `${j.label.padEnd(this.idWidth)}  judged ${j.judged}  calls ${j.calls}  cache hits ${j.cacheHits}  failures ${j.failures}` +
      (spend ? `  ${spend}` : '') +
      this.throttleLimitText(this.options.judge?.throttle?.() ?? null)
    );
  }

  private judgeSpendText(): string {
    const spend = this.options.judge?.spend;
    return spend ? this.money(spend()) : '';
  }

  /** The payload tokens of a bar. */
  private payload(s: ProviderState, t: number): Record<string, string> {
    const rate = this.recentRate(s, t);
    const spend = this.spendText(s.id);
    return {
      provider: s.id.padEnd(this.idWidth),
      rate: rate.toFixed(1),
      errors: String(s.errors),
      parse: String(s.parseFailures),
      cache: String(s.cacheHits),
      shared: sharedText(s),
      spend: (spend ? `  ${spend}` : '') + this.throttleText(s.id),
      left: eta(s, rate),
    };
  }

  /** A plain line per provider that moved, at most every intervalSeconds (not a terminal). */
  private maybePrint(t: number): void {
    if (this.options.quiet || this.multibar || this.summary) return;
    if (t - this.lastPrint < this.intervalMs) return;
    this.lastPrint = t;
    for (const s of this.states.values()) {
      if (s.done + s.skipped === s.printedAt) continue;
      s.printedAt = s.done + s.skipped;
      const percent = Math.floor((100 * s.done) / Math.max(s.total, 1));
      const rate = this.recentRate(s, t);
      this.options.stream.write(`${this.fields(s, `${s.done}/${s.total} (${percent}%)`, rate)}  eta ${eta(s, rate)}\n`);
    }
    const j = this.judge;
    if (j && j.judged !== j.printedAt) {
      j.printedAt = j.judged;
      this.options.stream.write(`${this.judgeLine(j)}\n`);
    }
  }

  private summaryLine(s: ProviderState, t: number): string {
    const ms = (s.lastAt ?? t) - this.started;
    const rate = ms > 0 ? (1000 * s.done) / ms : 0;
    return `${this.fields(s, `${s.done}/${s.total}`, rate)}  in ${(ms / 1000).toFixed(1)}s`;
  }

  /** The fields shared by plain lines and the summary. */
  private fields(s: ProviderState, count: string, rate: number): string {
    const spend = this.spendText(s.id);
    return (
      `${s.id.padEnd(this.idWidth)}  ${count}  ${rate.toFixed(1)}/s  call errors ${s.errors}  parse failures ${s.parseFailures}  cache hits ${s.cacheHits}` +
      sharedText(s) +
      (s.skipped > 0 ? `  not run ${s.skipped}` : '') +
      (spend ? `  ${spend}` : '') +
      this.throttleText(s.id)
    );
  }

  /** `  429: slowed to 3/8 in flight` while the throttle holds the provider below its ceiling, else ''. */
  private throttleText(provider: string): string {
    return this.throttleLimitText(this.options.throttle?.(provider) ?? null);
  }

  private throttleLimitText(t: { limit: number; max: number } | null): string {
    return t && Number.isFinite(t.max) && t.limit < t.max ? `  429: slowed to ${t.limit}/${t.max} in flight` : '';
  }

  /** `$0.4120`, `0.4120 EUR`, `unpriced`, or '' (no spend callback, or the local provider). */
  private spendText(provider: string): string {
    if (!this.options.spend || provider === 'local') return '';
    return this.money(this.options.spend(provider));
  }

  /** `$0.4120`, `0.4120 EUR`, or `unpriced` for null. */
  private money(n: number | null): string {
    if (n === null) return 'unpriced';
    const currency = this.options.currency ?? 'USD';
    const amount = n.toFixed(n < 1 ? 4 : 2);
    return currency === 'USD' ? `$${amount}` : `${amount} ${currency}`;
  }

  private sample(s: ProviderState, t: number): void {
    const last = s.samples[s.samples.length - 1];
    if (!last || t - last.t >= SAMPLE_EVERY_MS) s.samples.push({ t, done: s.done });
    // Keep as baseline the newest sample at or before the window's start.
    while (s.samples.length > 1 && s.samples[1]!.t <= t - RATE_WINDOW_MS) s.samples.shift();
  }

  /**
   * Trials per second over about the last RATE_WINDOW_MS (since the start when younger). A provider
   * that has finished keeps the rate it ended with, measured up to its last trial, rather than one
   * decaying while the others run.
   */
  private recentRate(s: ProviderState, t: number): number {
    if (s.done > 0 && s.done + s.skipped >= s.total && s.lastAt !== null) t = s.lastAt;
    this.sample(s, t);
    const base = s.samples[0]!;
    const seconds = (t - base.t) / 1000;
    return seconds > 0 ? (s.done - base.done) / seconds : 0;
  }
}

/** `  shared 3` once trials were answered by an identical call in flight (calls saved), else ''. */
function sharedText(s: ProviderState): string {
  return s.shared > 0 ? `  shared ${s.shared}` : '';
}

/** Time left at `rate`: `22s`, `3m05s`, `1h02m`; `0s` when done, `?` when nothing moves. */
function eta(s: ProviderState, rate: number): string {
  const remaining = s.total - s.done;
  if (remaining <= 0) return '0s';
  if (rate <= 0) return '?';
  const seconds = Math.ceil(remaining / rate);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}
