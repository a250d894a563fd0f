/**
 * Each attempt's spend ledger (`<run folder>/spend.jsonl`): what an attempt of a run spent, written as
 * it is spent, so a sweep that is killed, crashes or is stopped and then run again does not spend the
 * budget a second time.
 *
 * - An attempt is one `fewshot sweep`; "the same run" is the same experiment name, prompt, settings
 *   and items (run.json's `experiment.name` and `prompt`: hash, settingsHash, itemsHash), written into
 *   the same results folder.
 * - Append-only JSON lines: `start` (when; `reset` for --budget-reset), `reserve` (a call's worst
 *   case, before it is sent), `settle` (the reservation released and the cost booked, when it ends).
 *   appendFileSync: a line is on disk before the call it describes goes on, and a kill loses at most
 *   the line being written (an unreadable line is skipped).
 * - What an attempt spent: its settled costs, plus every reservation never settled (a call in flight
 *   when the process died may have been billed: it counts at its worst case).
 * - A new attempt carries the attempts of the same run in the results folder since the last one that
 *   completed (run.json's status: `running` left by a kill or crash, or `partial`): a completed run is
 *   a finished measurement, and running it again is a new one, with the whole budget. An attempt
 *   started with --budget-reset carries nothing, and later attempts count from it. Deleting a run
 *   folder forgets its spend.
 * - No secrets: times and amounts in the price table's currency.
 *
 * One sweep at a time per results folder and experiment: a second one started while the first runs
 * counts the first's spend so far as an earlier attempt's.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EarlierAttemptsSpend, PromptFingerprint } from '../records/run-info.js';
import { readJsonLines } from '../util/json-lines.js';

/** The ledger's file name, in each run folder beside run.json. */
export const SPEND_LEDGER_FILE = 'spend.jsonl';

/** What makes two attempts the same run (besides the results folder): the experiment's name and what it asks. */
export interface RunIdentity {
  experiment: string;
  prompt: Pick<PromptFingerprint, 'hash' | 'settingsHash' | 'itemsHash'>;
}

type LedgerLine = { start: string; reset?: true } | { reserve: number } | { settle: number; cost: number };

/** An attempt's ledger read back: what it spent (calls in flight at their worst case), and whether it was started with --budget-reset. */
export function readAttemptSpend(runDir: string): { spent: number; reset: boolean } | null {
  const lines = readJsonLines(join(runDir, SPEND_LEDGER_FILE));
  if (lines === null) return null;
  let reserved = 0;
  let released = 0;
  let cost = 0;
  let reset = false;
  for (const line of lines) {
    if (typeof line.reserve === 'number') reserved += line.reserve;
    else if (typeof line.settle === 'number' && typeof line.cost === 'number') {
      released += line.settle;
      cost += line.cost;
    } else if (line.start !== undefined && line.reset === true) reset = true;
  }
  return { spent: cost + Math.max(0, reserved - released), reset };
}

/**
 * The earlier attempts of `run` in the results folder `root` that a new attempt (`runId`) carries:
 * those since the last one that completed or was started with --budget-reset (that one included),
 * oldest first. A run without a ledger (an older version's) counts its run.json `spend.total`.
 */
export function earlierAttempts(root: string, runId: string, run: RunIdentity): EarlierAttemptsSpend {
  const runs: { runId: string; startedAt: string; status: string; total: number; dir: string }[] = [];
  for (const { name, dir, info } of runFolders(root, run)) {
    if (name === runId || typeof info.startedAt !== 'string' || typeof info.status !== 'string') continue;
    runs.push({ runId: name, startedAt: info.startedAt, status: info.status, total: typeof info.spend?.total === 'number' ? info.spend.total : 0, dir });
  }
  runs.sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.runId < b.runId ? -1 : 1));
  let chain: EarlierAttemptsSpend['attempts'] = [];
  for (const r of runs) {
    const ledger = readAttemptSpend(r.dir);
    if (ledger?.reset) chain = [];
    if (r.status === 'complete') {
      chain = [];
      continue;
    }
    chain.push({ runId: r.runId, status: r.status === 'partial' ? 'partial' : 'interrupted', spent: ledger?.spent ?? r.total });
  }
  return { total: chain.reduce((n, a) => n + a.spent, 0), attempts: chain };
}

/** What runFolders reads of a run folder's run.json. */
export interface RunFolderInfo {
  runId?: unknown;
  experiment?: { name?: unknown };
  prompt?: Record<string, unknown>;
  startedAt?: unknown;
  status?: unknown;
  spend?: { total?: unknown };
}

/**
 * The run folders in the results folder `root` that are attempts of `run` (the same experiment name
 * and prompt fingerprint), whatever their status; a folder whose run.json cannot be read is skipped.
 * The spend ledger and the batch job log (batch/job-log.ts) both find a run's attempts this way.
 */
export function runFolders(root: string, run: RunIdentity): { name: string; dir: string; info: RunFolderInfo }[] {
  // Run folders are named `<experiment>-<time>` (store.ts): only those can hold this experiment's runs.
  const names = existsSync(root) ? readdirSync(root).filter((name) => name.startsWith(`${run.experiment}-`)) : [];
  const out: { name: string; dir: string; info: RunFolderInfo }[] = [];
  for (const name of names.sort()) {
    const dir = join(root, name);
    let info: RunFolderInfo;
    try {
      info = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    } catch {
      continue;
    }
    const same =
      info?.experiment?.name === run.experiment &&
      info.prompt?.hash === run.prompt.hash &&
      info.prompt?.settingsHash === run.prompt.settingsHash &&
      info.prompt?.itemsHash === run.prompt.itemsHash;
    if (same) out.push({ name, dir, info });
  }
  return out;
}

/**
 * Run folders of this experiment whose run.json cannot be read but whose ledger records spend: whether
 * they are attempts of this run is unknown, so their spend is not counted; the notices say so, with
 * the amount, rather than leave the budget silently short.
 */
function unreadableAttempts(root: string, experiment: string): string[] {
  const names = existsSync(root) ? readdirSync(root).filter((name) => name.startsWith(`${experiment}-`)) : [];
  const notices: string[] = [];
  for (const name of names.sort()) {
    const dir = join(root, name);
    try {
      JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
      continue;
    } catch {
      // unreadable or missing: fall through to its ledger
    }
    const spent = readAttemptSpend(dir)?.spent ?? 0;
    if (spent > 0) {
      notices.push(
        `${dir}: its run.json cannot be read, so whether it is an earlier attempt of this run is unknown; its spend ledger records ${spent.toFixed(4)} spent, not counted against this budget`,
      );
    }
  }
  return notices;
}

/** One attempt's ledger: BudgetTracker writes each reservation and settlement through it (budget.ts's SpendSink). */
export class SpendLedger {
  private broken = false;

  private constructor(
    readonly path: string,
    private readonly onNotice: (notice: string) => void,
  ) {}

  /**
   * Reads what earlier attempts of this run in the results folder `root` spent (none with `reset`,
   * which this attempt's ledger records so later attempts count from it) and starts this attempt's
   * ledger in its run folder (`root/runId`). `ignored`: what `reset` left uncounted.
   */
  static open(
    root: string,
    options: RunIdentity & { runId: string; reset: boolean; now: Date; onNotice: (notice: string) => void },
  ): { ledger: SpendLedger; earlier: EarlierAttemptsSpend; ignored: EarlierAttemptsSpend | null } {
    const found = earlierAttempts(root, options.runId, options);
    if (!options.reset) for (const notice of unreadableAttempts(root, options.experiment)) options.onNotice(notice);
    const ledger = new SpendLedger(join(root, options.runId, SPEND_LEDGER_FILE), options.onNotice);
    ledger.append({ start: options.now.toISOString(), ...(options.reset && { reset: true as const }) });
    return options.reset ? { ledger, earlier: { total: 0, attempts: [] }, ignored: found } : { ledger, earlier: found, ignored: null };
  }

  /** A call's worst case, reserved before it is sent. */
  reserved(amount: number): void {
    if (amount > 0) this.append({ reserve: amount });
  }

  /** A call ended: its reservation released, `cost` booked. */
  settled(reservation: number, cost: number): void {
    if (reservation > 0 || cost > 0) this.append({ settle: reservation, cost });
  }

  private append(line: LedgerLine): void {
    if (this.broken) return;
    try {
      appendFileSync(this.path, `${JSON.stringify(line)}\n`);
    } catch (err) {
      // The cap within this attempt still holds; only a rerun could not count what this one spends.
      this.broken = true;
      this.onNotice(
        `spend ledger ${this.path} cannot be written (${(err as Error).message}); a rerun will not count what this attempt spends against the budget`,
      );
    }
  }
}
