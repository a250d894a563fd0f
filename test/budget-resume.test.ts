// The budget as a real cap (issue 17): a failed call is booked at what the provider may bill for it,
// and what earlier attempts of a run spent (stopped, out of budget, killed) counts against the budget
// of the attempt that resumes it, through the results folder's spend ledger (runner/spend-ledger.ts).
// The real openai SDK against the fake server on 127.0.0.1; the killed attempt is the built CLI
// (dist/bin.js, so `npm run build` first) killed with SIGKILL.

import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { costPerRequest } from '../src/config/prices.js';
import { classifyError, failureBilling } from '../src/providers/classify-error.js';
import { ProviderError } from '../src/providers/provider.js';
import type { RunInfo } from '../src/records/run-info.js';
import type { TrialRecord } from '../src/records/trial.js';
import { BudgetTracker } from '../src/runner/budget.js';
import { earlierAttempts, SPEND_LEDGER_FILE, SpendLedger } from '../src/runner/spend-ledger.js';
import { readJsonLines } from '../src/util/json-lines.js';
import { sweepTrials, type SweepOptions, type TrialTotals } from '../src/runner/sweep.js';
import { fakeSleep, flavour, rejection, ROUTE_ANSWER, routesExperimentYaml, SENTINEL, trackServers } from './providers-helpers.js';
import type { FakeServer, Reply } from './servers/index.js';

const track = trackServers();
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-budget-resume-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ENV = { OPENAI_API_KEY: SENTINEL };
const ID = 'openai:gpt-4o-mini';
/** 1 000 per 1M tokens: a thousandth a token, so a call costs a few tenths. */
const PRICE = { input: 1000, output: 1000 };
const PRICES = `prices: { "${ID}": { input: ${PRICE.input}, output: ${PRICE.output} } }`;
const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');

let counter = 0;
/** A routes experiment of `items` items x shots [0, 1, 2], one provider; `name` fixed so reruns are the same run. */
function experiment(name: string, provider: Record<string, unknown>, extra: string, items = 3): string {
  const dir = join(tmp, `exp-${++counter}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'exp.yaml');
  writeFileSync(path, routesExperimentYaml(name, [provider], `${PRICES}\n${extra}`, { evalItems: items, shots: '[0, 1, 2]' }));
  return path;
}

function entry(s: FakeServer, extra: Record<string, unknown> = {}) {
  return { id: ID, baseUrl: `${s.url}/v1`, maxOutputTokens: 50, ...extra };
}

class Count implements TrialTotals {
  trials = 0;
  add(_record: TrialRecord): void {
    this.trials++;
  }
}

/** The runner alone (no report): trials, run.json, the ledger. */
async function sweep(path: string, outDir: string, extra: Partial<SweepOptions> = {}) {
  const lines: string[] = [];
  const run = await sweepTrials(
    { experimentPath: path, outDir, quiet: true, env: ENV, log: (l) => lines.push(l), providerOptions: { sleep: fakeSleep().sleep }, ...extra },
    () => new Count(),
  );
  const info = JSON.parse(readFileSync(join(run.runDir, 'run.json'), 'utf8')) as RunInfo;
  const trials = readFileSync(join(run.runDir, 'trials.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TrialRecord);
  return { run, info, trials, lines };
}

/** The ledger's lines for one attempt: the worst cases reserved, and the costs booked when they settled. */
function ledgerOf(outDir: string, runId: string) {
  // A line torn by a kill is skipped.
  const lines = readJsonLines(join(outDir, runId, SPEND_LEDGER_FILE)) ?? [];
  const reserves = lines.flatMap((l) => (typeof l.reserve === 'number' ? [l.reserve] : []));
  const settles = lines.flatMap((l) => (typeof l.settle === 'number' ? [{ reservation: l.settle, cost: l.cost as number }] : []));
  return { lines, reserves, settles };
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
/** As budget.ts prints amounts. */
const money = (n: number) => `${n.toFixed(n < 1 ? 4 : 2)} USD`;
const realCost = (trials: readonly TrialRecord[]) => sum(trials.map((t) => costPerRequest(PRICE, t.tokensIn, t.tokensOut, t.cachedTokens)));

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('failed calls are booked at what the provider may bill', () => {
  const cases: { name: string; reply: Reply | null; kind: string; billed: boolean }[] = [
    { name: 'a hanging server (timeout): the reservation is kept', reply: { kind: 'hang' }, kind: 'timeout', billed: true },
    { name: 'a connection dropped after the request went out: the reservation is kept', reply: { kind: 'drop' }, kind: 'server', billed: true },
    { name: '429: nothing', reply: { kind: 'status', status: 429, headers: { 'retry-after': '0' } }, kind: 'rate_limit', billed: false },
    { name: '500: nothing', reply: { kind: 'status', status: 500 }, kind: 'server', billed: false },
    { name: '504 from a gateway (timed out behind it): the reservation is kept', reply: { kind: 'status', status: 504 }, kind: 'server', billed: true },
    { name: 'a connection refused (never sent): nothing', reply: null, kind: 'server', billed: false },
  ];

  it.each(cases)('$name', async ({ reply, kind, billed }) => {
    const s = await track(flavour('openai').start());
    s.script(() => reply ?? { kind: 'text', text: ROUTE_ANSWER });
    const baseUrl = reply === null ? `http://127.0.0.1:${await closedPort()}/v1` : `${s.url}/v1`;
    // One try per call, so one reservation is one try (see the report on retries).
    const path = experiment(`failed-${counter}`, { ...entry(s), baseUrl, timeoutMs: 150, maxAttempts: 1 }, 'budget: 1000');
    const outDir = join(tmp, `failed-${counter}`);
    const { run, info, trials } = await sweep(path, outDir);
    expect(trials.length).toBe(9);
    expect(trials.map((t) => t.error?.kind)).toEqual(Array(9).fill(kind));
    const { reserves, settles } = ledgerOf(outDir, run.runId);
    expect(reserves).toHaveLength(9);
    expect(settles).toHaveLength(9);
    const reserved = sum(reserves);
    const booked = info.spend!.total;
    console.log(
      `${kind} (${reply?.kind === 'status' ? reply.status : (reply?.kind ?? 'refused')}): 9 failed calls, ${reserved.toFixed(4)} USD reserved, ${booked.toFixed(4)} USD booked` +
        (info.spend!.failedCallsBooked ? ` (failedCallsBooked ${JSON.stringify(info.spend!.failedCallsBooked)})` : ''),
    );
    if (billed) {
      expect(booked).toBeCloseTo(reserved, 10);
      expect(info.spend!.failedCallsBooked).toEqual({ calls: 9, cost: expect.closeTo(reserved, 10) });
      expect(settles.every((x) => x.cost === x.reservation)).toBe(true);
    } else {
      expect(booked).toBe(0);
      expect(info.spend).not.toHaveProperty('failedCallsBooked');
      expect(settles.every((x) => x.cost === 0)).toBe(true);
    }
  });

  it('a call retried after timeouts books every try that may have been billed, and each retry reserves anew', async () => {
    const s = await track(flavour('openai').start());
    s.script(() => ({ kind: 'hang' }));
    const path = experiment(`retried-${counter}`, { ...entry(s), timeoutMs: 150, maxAttempts: 3 }, 'budget: 1000');
    const outDir = join(tmp, `retried-${counter}`);
    const { run, info, trials } = await sweep(path, outDir);
    expect(trials).toHaveLength(9);
    expect(trials.every((t) => t.error?.kind === 'timeout' && t.attempts === 3)).toBe(true);
    expect(s.requests).toHaveLength(27);
    const { reserves, settles } = ledgerOf(outDir, run.runId);
    // One reservation per try, each booked at its worst case: 27 tries, not 9 calls.
    expect(reserves).toHaveLength(27);
    expect(settles).toHaveLength(27);
    expect(info.spend!.failedCallsBooked).toEqual({ calls: 27, cost: expect.closeTo(sum(reserves), 10) });
    console.log(`retried timeouts: 9 calls, 27 tries, ${sum(reserves).toFixed(4)} USD booked (${(sum(reserves) / 9).toFixed(4)} USD a call)`);
  });

  it('a retry the budget cannot hold is not sent: the trial counts as not run for the budget', async () => {
    const s = await track(flavour('openai').start());
    s.script(() => ({ kind: 'hang' }));
    // The calls' worst cases, from a run that reserves them with room to spare; the zero-shot call (the smallest) goes first.
    const probePath = experiment(`probe-retry-${counter}`, { ...entry(s), timeoutMs: 150, maxAttempts: 1 }, 'budget: 1000', 1);
    const probeDir = join(tmp, `probe-retry-${counter}`);
    const probe = await sweep(probePath, probeDir);
    const worst = Math.min(...ledgerOf(probeDir, probe.run.runId).reserves);
    const before = s.requests.length;
    // Room for one and a half tries of the first call, one call at a time: its retry does not fit.
    const path = experiment(`retry-cap-${counter}`, { ...entry(s), timeoutMs: 150, maxAttempts: 3, concurrency: 1 }, `budget: ${worst * 1.5}`, 1);
    const { info, trials, lines } = await sweep(path, join(tmp, `retry-cap-${counter}`), { force: true });
    expect(s.requests.length - before).toBe(1);
    expect(trials).toHaveLength(0);
    expect(info.spend!.total).toBeLessThanOrEqual(worst * 1.5);
    expect(info.spend!.skippedTrials).toBe(3);
    expect(lines.join('\n')).toContain('budget reached: 3 trials not run');
  });

  it('classifyError says which failures the provider may bill, through the real SDK', async () => {
    const s = await track(flavour('openai').start());
    const adapter = flavour('openai').adapter(s, { timeoutMs: 150 });
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const billing: Record<string, string | undefined> = {};
    for (const [label, reply] of [
      ['400', { kind: 'status', status: 400 }],
      ['401', { kind: 'status', status: 401 }],
      ['403', { kind: 'status', status: 403 }],
      ['404', { kind: 'status', status: 404 }],
      ['429', { kind: 'status', status: 429 }],
      ['500', { kind: 'status', status: 500 }],
      ['503', { kind: 'status', status: 503 }],
      ['504', { kind: 'status', status: 504 }],
      ['hang', { kind: 'hang' }],
      ['drop', { kind: 'drop' }],
      ['malformed', { kind: 'raw', body: 'not json' }],
    ] as const) {
      s.queue(reply as Reply);
      const err = await rejection(adapter.complete({ messages }));
      billing[label] = err.billing;
      expect(failureBilling(err)).toBe(err.billing);
    }
    const refused = flavour('openai').adapter({ url: `http://127.0.0.1:${await closedPort()}` } as FakeServer);
    billing.refused = (await rejection(refused.complete({ messages }))).billing;
    // An abort in flight: the request is out, and may run to the end.
    s.queue({ kind: 'hang' });
    const controller = new AbortController();
    const pending = rejection(adapter.complete({ messages }, controller.signal));
    setTimeout(() => controller.abort(), 30);
    billing.aborted = (await pending).billing;
    console.log(`billing by failure: ${JSON.stringify(billing)}`);
    expect(billing).toEqual({
      400: 'none',
      401: 'none',
      403: 'none',
      404: 'none',
      429: 'none',
      500: 'none',
      503: 'none',
      504: 'maybe',
      hang: 'maybe',
      drop: 'maybe',
      malformed: 'maybe',
      refused: 'none',
      aborted: 'maybe',
    });
    // Errors made outside classifyError: inferred from kind and status; anything else is taken as billed.
    expect(failureBilling(new ProviderError('refused', 'x'))).toBe('maybe');
    expect(failureBilling(new ProviderError('bad_request', 'x'))).toBe('none');
    expect(failureBilling(new ProviderError('other', 'x: call aborted'))).toBe('none');
    expect(failureBilling(new TypeError('x'))).toBe('maybe');
    expect(classifyError(Object.assign(new Error('Gateway Timeout'), { status: 524 }), ID).billing).toBe('maybe');
  });

  it('the tracker releases a reservation and books the worst case or nothing', () => {
    const t = new BudgetTracker(1, [ID], { [ID]: PRICE });
    const a = t.reserve(ID, 300, 100)!; // 0.4
    const b = t.reserve(ID, 300, 100)!; // 0.8 reserved
    expect(t.settleFailed(ID, a, new ProviderError('timeout', 'x', null, null, 'maybe'))).toBeCloseTo(0.4);
    expect(t.settleFailed(ID, b, new ProviderError('rate_limit', 'x', null, 429))).toBe(0);
    expect(t.reserve(ID, 300, 100)).toBeCloseTo(0.4); // 0.4 spent + 0.4 reserved
    expect(t.reserve(ID, 300, 100)).toBeNull(); // 1.2 > 1
    expect(t.record()).toMatchObject({ total: expect.closeTo(0.4, 10), failedCallsBooked: { calls: 1, cost: expect.closeTo(0.4, 10) } });
  });
});

describe('the spend of earlier attempts of a run carries into the attempt that resumes it', () => {
  it('a stopped attempt (partial) carries its spend: the rerun stops within what is left, and together they stay within the budget', async () => {
    const s = await track(flavour('openai').start());
    s.script(() => ({ kind: 'text', text: ROUTE_ANSWER, delayMs: 2 }));
    const probe = await sweep(experiment('probe-stop', entry(s), ''), join(tmp, 'probe-stop'));
    const fullCost = probe.info.spend!.total;
    const budget = Math.round(fullCost * 0.8 * 1e6) / 1e6;
    const path = experiment('resume-stop', entry(s), `budget: ${budget}`, 3);
    const outDir = join(tmp, 'resume-stop');
    const cacheDir = join(tmp, 'cache-stop');
    // Attempt 1: Ctrl-C after 4 calls (no new call starts; the run is partial).
    const before = s.requests.length;
    const first = await sweep(path, outDir, { cacheDir, force: true, shouldStop: () => s.requests.length - before >= 4 });
    expect(first.run.status).toBe('partial');
    const spent1 = first.info.spend!.total;
    expect(spent1).toBeCloseTo(realCost(first.trials), 10);
    // Attempt 2, the same run: starts with attempt 1's spend booked.
    const second = await sweep(path, outDir, { cacheDir, force: true });
    const spent2 = second.info.spend!.total;
    console.log(
      `stopped run: full grid costs ${fullCost.toFixed(4)} USD, budget ${budget.toFixed(4)}; attempt 1 (partial) spent ${spent1.toFixed(4)}, ` +
        `attempt 2 spent ${spent2.toFixed(4)} (${second.run.cacheHits} from the cache, ${second.info.spend!.skippedTrials} not run); together ${(spent1 + spent2).toFixed(4)}`,
    );
    console.log(`  attempt 2 said: ${second.lines.find((l) => l.startsWith('budget: '))}`);
    expect(second.lines).toContain(`budget: ${money(spent1)} already spent by 1 earlier attempt of this run (partial); ${money(budget - spent1)} left`);
    expect(second.info.spend!.earlierAttempts).toEqual({
      total: expect.closeTo(spent1, 10),
      attempts: [{ runId: first.run.runId, status: 'partial', spent: expect.closeTo(spent1, 10) }],
    });
    expect(spent1 + spent2).toBeLessThanOrEqual(budget);
    // Without the carry the second attempt could have spent the whole budget again: here it had to stop.
    expect(second.info.spend!.skippedTrials).toBeGreaterThan(0);
    expect(second.info.notices.some((n) => /^budget reached: .* \(and \d+\.\d+ USD by 1 earlier attempt of this run \(partial\)\) of /.test(n))).toBe(true);

    // Attempt 3 carries both (a chain of unfinished attempts); --budget-reset counts none of them.
    const third = await sweep(path, outDir, { cacheDir, force: true, budgetReset: true });
    expect(third.info.spend).not.toHaveProperty('earlierAttempts');
    expect(third.lines).toContain(
      `budget: --budget-reset: ${money(spent1 + spent2)} spent by 2 earlier attempts of this run (2 partial) is not counted; ${money(budget)} left`,
    );
    console.log(`  attempt 3 (--budget-reset) said: ${third.lines.find((l) => l.startsWith('budget: '))}; it spent ${third.info.spend!.total.toFixed(4)}`);
    // The reset attempt is where later attempts start counting.
    const earlier = earlierAttempts(outDir, 'next', { experiment: 'resume-stop', prompt: third.info.prompt! });
    expect(earlier.attempts.map((a) => a.runId)).toEqual(third.run.status === 'complete' ? [] : [third.run.runId]);
  });

  it('a folder of this experiment whose run.json cannot be read: its recorded spend is named in a notice, not silently dropped', () => {
    const root = join(tmp, 'unreadable-attempt');
    mkdirSync(join(root, 'torn-20261206T000000Z'), { recursive: true });
    mkdirSync(join(root, 'torn-20261206T010000Z'), { recursive: true });
    writeFileSync(join(root, 'torn-20261206T000000Z', 'run.json'), '{ "runId": ');
    writeFileSync(
      join(root, 'torn-20261206T000000Z', 'spend.jsonl'),
      '{"start":"2026-12-06T00:00:00Z"}\n{"reserve":0.5}\n{"settle":0.5,"cost":0.3}\n{"reserve":0.2}\n',
    );
    const notices: string[] = [];
    const prompt = { hash: 'h', settingsHash: 's', itemsHash: 'i' };
    const open = (reset: boolean) =>
      SpendLedger.open(root, { experiment: 'torn', prompt, runId: 'torn-20261206T010000Z', reset, now: new Date(), onNotice: (n) => notices.push(n) });
    expect(open(false).earlier).toEqual({ total: 0, attempts: [] });
    expect(notices).toEqual([
      `${join(root, 'torn-20261206T000000Z')}: its run.json cannot be read, so whether it is an earlier attempt of this run is unknown; its spend ledger records 0.5000 spent, not counted against this budget`,
    ]);
    // --budget-reset counts nothing anyway: no notice.
    notices.length = 0;
    open(true);
    expect(notices).toEqual([]);
  });

  it('a completed run does not carry: running it again is a new measurement with the whole budget', async () => {
    const s = await track(flavour('openai').start());
    s.script(() => ({ kind: 'text', text: ROUTE_ANSWER, delayMs: 2 }));
    const path = experiment('complete-run', entry(s), 'budget: 1000');
    const outDir = join(tmp, 'complete');
    const first = await sweep(path, outDir, { shouldStop: () => s.requests.length >= 3 });
    expect(first.run.status).toBe('partial');
    const second = await sweep(path, outDir);
    expect(second.run.status).toBe('complete');
    expect(second.info.spend!.earlierAttempts?.total).toBeCloseTo(first.info.spend!.total, 10);
    const third = await sweep(path, outDir);
    expect(third.run.status).toBe('complete');
    expect(third.info.spend).not.toHaveProperty('earlierAttempts');
    expect(third.lines.some((l) => l.startsWith('budget: '))).toBe(false);
    console.log(
      `completed run: attempt 1 (partial) ${first.info.spend!.total.toFixed(4)} USD, attempt 2 (complete) ${second.info.spend!.total.toFixed(4)} carrying ` +
        `${second.info.spend!.earlierAttempts!.total.toFixed(4)}; attempt 3 carries nothing (spent ${third.info.spend!.total.toFixed(4)} with the whole budget)`,
    );
    // Another experiment, or the same one with another prompt, into the same folder is another run.
    const other = await sweep(experiment('complete-run', entry(s, { temperature: 0.5 }), 'budget: 1000'), outDir, { shouldStop: () => true });
    expect(other.info.spend).not.toHaveProperty('earlierAttempts');
  });

  it('an attempt aborted with calls in flight books them at their worst case, and the rerun counts them', async () => {
    const s = await track(flavour('openai').start());
    // The first 3 answer; the rest hang until the abort cuts them off.
    s.script((_req, i) => (i < 3 ? { kind: 'text', text: ROUTE_ANSWER } : { kind: 'hang' }));
    const path = experiment('aborted-run', entry(s), 'budget: 1000');
    const outDir = join(tmp, 'aborted');
    const controller = new AbortController();
    let stop = false;
    const watch = setInterval(() => {
      if (s.requests.length >= 5 && s.inFlight >= 2) {
        stop = true;
        controller.abort();
      }
    }, 5);
    const first = await sweep(path, outDir, { shouldStop: () => stop, abortSignal: controller.signal });
    clearInterval(watch);
    expect(first.run.status).toBe('partial');
    expect(first.trials).toHaveLength(3);
    const { reserves, settles } = ledgerOf(outDir, first.run.runId);
    const inFlight = settles.filter((x) => x.cost === x.reservation);
    expect(inFlight).toHaveLength(2);
    expect(first.info.spend!.total).toBeCloseTo(realCost(first.trials) + sum(inFlight.map((x) => x.reservation)), 10);
    expect(sum(reserves)).toBeCloseTo(sum(settles.map((x) => x.reservation)), 10);
    s.script(() => ({ kind: 'text', text: ROUTE_ANSWER }));
    const second = await sweep(path, outDir);
    expect(second.info.spend!.earlierAttempts!.total).toBeCloseTo(first.info.spend!.total, 10);
    console.log(
      `aborted run: 3 answered (${realCost(first.trials).toFixed(4)} USD) + 2 in flight at their worst case (${sum(inFlight.map((x) => x.reservation)).toFixed(4)}) = ` +
        `${first.info.spend!.total.toFixed(4)} carried into the rerun`,
    );
  });

  it('a SIGKILLed attempt (no end recorded) carries its settled calls and the calls it had in flight at their worst case', async () => {
    expect(existsSync(BIN), 'npm run build first').toBe(true);
    const s = await track(flavour('openai').start());
    const answered = 4;
    s.script((_req, i) => (i < answered ? { kind: 'text', text: ROUTE_ANSWER } : { kind: 'hang' }));
    const probeServer = await track(flavour('openai').start());
    probeServer.script(() => ({ kind: 'text', text: ROUTE_ANSWER }));
    const worst = await sweep(experiment('probe-kill', entry(probeServer), ''), join(tmp, 'probe-kill'), { force: true });
    // 5 items x 3 shot counts = 15 calls; a budget of 70% of what they really cost.
    const fullCost = (worst.info.spend!.total * 5) / 3;
    const budget = Math.round(fullCost * 0.7 * 1e6) / 1e6;
    const path = experiment('killed-run', entry(s), `budget: ${budget}`, 5);
    const outDir = join(tmp, 'killed');
    const cacheDir = join(tmp, 'cache-killed');
    /** The killed attempt's ledger, once its run folder exists. */
    const ledgerPath = () => (existsSync(outDir) && readdirSync(outDir).length === 1 ? join(outDir, readdirSync(outDir)[0]!, SPEND_LEDGER_FILE) : '');
    const child = spawn(process.execPath, [BIN, 'sweep', path, '--out', outDir, '--cache-dir', cacheDir, '--quiet', '--force'], {
      cwd: tmp,
      env: { ...process.env, ...ENV, NO_COLOR: '1', FEWSHOT_CACHE_DIR: '' },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
    // Killed once 4 calls are settled on disk and 2 more are in flight (reserved, never answered).
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ledger = ledgerPath();
      const text = ledger && existsSync(ledger) ? readFileSync(ledger, 'utf8') : '';
      const settled = (text.match(/"settle":/g) ?? []).length;
      const reserved = (text.match(/"reserve":/g) ?? []).length;
      if (settled >= answered && reserved >= answered + 2) break;
      if (Date.now() > deadline) throw new Error(`the child never got there: ${stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    await closed;
    // A kill mid-line leaves a torn line: the reader skips it.
    appendFileSync(ledgerPath(), '{"reserve":1');
    const runId = readdirSync(outDir)[0]!;
    const { reserves, settles } = ledgerOf(outDir, runId);
    const settledCost = sum(settles.map((x) => x.cost));
    const inFlight = sum(reserves) - sum(settles.map((x) => x.reservation));
    expect(JSON.parse(readFileSync(join(outDir, runId, 'run.json'), 'utf8')).status).toBe('running');

    s.script(() => ({ kind: 'text', text: ROUTE_ANSWER }));
    const second = await sweep(path, outDir, { cacheDir, force: true });
    const carried = second.info.spend!.earlierAttempts!;
    expect(carried.attempts).toEqual([{ runId, status: 'interrupted', spent: expect.closeTo(settledCost + inFlight, 10) }]);
    expect(inFlight).toBeGreaterThan(0);
    expect(carried.total + second.info.spend!.total).toBeLessThanOrEqual(budget);
    expect(second.run.cacheHits).toBe(answered);
    console.log(
      `killed run: budget ${budget.toFixed(4)} USD (70% of the grid's real cost ${fullCost.toFixed(4)}); attempt 1 SIGKILLed after ${settles.length} settled calls ` +
        `(${settledCost.toFixed(4)}) with ${reserves.length - settles.length} in flight (${inFlight.toFixed(4)} at their worst case)`,
    );
    console.log(`  rerun said: ${second.lines.find((l) => l.startsWith('budget: '))}`);
    console.log(
      `  rerun spent ${second.info.spend!.total.toFixed(4)} (${second.run.cacheHits} from the cache, ${second.info.spend!.skippedTrials} not run); ` +
        `across attempts ${(carried.total + second.info.spend!.total).toFixed(4)} <= ${budget.toFixed(4)}`,
    );
    // Nothing secret in the ledgers.
    for (const run of readdirSync(outDir)) expect(readFileSync(join(outDir, run, SPEND_LEDGER_FILE), 'utf8')).not.toContain(SENTINEL);
  }, 30_000);
});
