// AdaptGauge's llm_judge items in a whole sweep: the task describes each judge call and the runner
// makes it through the answers' path (runner/score.ts): the response cache (a rerun asks the judge
// nothing), the budget (a judge call that cannot fit is not made, like an answer call), the judge's
// retries, progress and cost (run.json's spend.byJudge, the trial's `judge` field). Offline: the real
// openai SDK against two fake OpenAI servers on 127.0.0.1, one answering, one judging.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSweep } from '../src/app/sweep-and-report.js';
import { costPerRequest } from '../src/config/prices.js';
import type { TrialRecord } from '../src/records/trial.js';
import { BudgetError, BudgetTracker } from '../src/runner/budget.js';
import { resolveAdaptGaugeJudge } from '../src/runner/judge.js';
import { ModelScorer } from '../src/runner/score.js';
import { judgeCall } from '../src/tasks/adaptgauge-pack.js';
import { fakeSleep, SENTINEL, trackServers } from './providers-helpers.js';
import { startOpenAIServer, type FakeServer } from './servers/index.js';

const track = trackServers();
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-judge-sweep-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ENV = { OPENAI_API_KEY: SENTINEL };
const ANSWERER = 'openai:gpt-4o';
const JUDGE = 'openai:gpt-4o-mini';
const ANSWER_PRICE = { input: 1000, output: 1000 };
const JUDGE_PRICE = { input: 3000, output: 5000 };

/** Four examples, three llm_judge test cases of about the same size, one exact_match case. */
const PACK = {
  task_id: 'route_judged',
  category: 'custom',
  version: '1.0',
  measures: [],
  description: 'Plan a delivery route.',
  instruction: 'Plan the route from the depot through every stop. Reply with the route only, as "Depot -> ... -> Depot".',
  difficulty: 'hard',
  examples: [
    { input: 'Depot Alpha; stops North and East; North closes at noon.', output: 'Alpha -> North -> East -> Alpha' },
    { input: 'Depot Beta; stops South and West; West opens at ten.', output: 'Beta -> South -> West -> Beta' },
    { input: 'Depot Gamma; stops Hill and Lake; Hill needs a van.', output: 'Gamma -> Hill -> Lake -> Gamma' },
    { input: 'Depot Delta; stops Port and Mill; Mill is closed on Monday.', output: 'Delta -> Port -> Mill -> Delta' },
  ],
  test_cases: [
    { input: 'Depot Omega; stops Bridge and Tower; Tower closes at one.', expected_output: 'Omega -> Tower -> Bridge -> Omega', scoring_method: 'llm_judge' },
    { input: 'Depot Sigma; stops Market and Dock; Dock opens at nine.', expected_output: 'Sigma -> Dock -> Market -> Sigma', scoring_method: 'llm_judge' },
    { input: 'Depot Kappa; stops Field and Grove; Grove closes at two.', expected_output: 'Kappa -> Grove -> Field -> Kappa', scoring_method: 'llm_judge' },
    { input: 'Which stop of Depot Alpha closes at noon?', expected_output: 'North', scoring_method: 'exact_match' },
  ],
  distractors: [{ input: 'What a lovely day.', output: 'Indeed.' }],
};
const PACK_FILE = join(tmp, 'route-judged.json');
writeFileSync(PACK_FILE, JSON.stringify(PACK, null, 2));

let counter = 0;
function experiment(lines: {
  judge: Record<string, unknown>;
  providers: Record<string, unknown>[];
  extra?: string;
  repeats?: number;
  concurrency?: number;
}): string {
  const path = join(tmp, `exp-${++counter}.yaml`);
  const yaml = [
    `name: judge-sweep-${counter}`,
    'seed: 11',
    `task: { type: adaptgauge, file: ${JSON.stringify(PACK_FILE)}, judge: ${JSON.stringify(lines.judge)} }`,
    'shots: [0, 2]',
    'selectors: [first]',
    `repeats: ${lines.repeats ?? 1}`,
    `concurrency: ${lines.concurrency ?? 2}`,
    'providers:',
    ...lines.providers.map((p) => `  - ${JSON.stringify(p)}`),
    lines.extra ?? '',
  ].join('\n');
  writeFileSync(path, yaml);
  return path;
}

const prices = `prices: { "${ANSWERER}": ${JSON.stringify(ANSWER_PRICE)}, "${JUDGE}": ${JSON.stringify(JUDGE_PRICE)} }`;

/** A judge that grades everything 8/10, with the usage it reports. */
async function judgeServer(usage: { tokensIn?: number; tokensOut?: number } = {}): Promise<FakeServer> {
  const s = await track(startOpenAIServer());
  s.script(() => ({ kind: 'text', text: 'The route visits every stop.\nScore: 8', ...usage }));
  return s;
}

async function answerServer(): Promise<FakeServer> {
  const s = await track(startOpenAIServer());
  s.script(() => ({ kind: 'text', text: 'Omega -> Bridge -> Tower -> Omega', tokensIn: 50, tokensOut: 12 }));
  return s;
}

/** A non-terminal stream that keeps what is written (the progress lines). */
function captureStream() {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  Object.assign(stream, { isTTY: false });
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
}

function sweep(path: string, extra: Partial<Parameters<typeof runSweep>[0]> = {}) {
  const lines: string[] = [];
  const run = runSweep({
    experimentPath: path,
    outDir: join(tmp, 'out'),
    quiet: true,
    env: ENV,
    log: (l) => lines.push(l),
    providerOptions: { sleep: fakeSleep().sleep },
    ...extra,
  });
  return { run, lines };
}

function readRun(runDir: string) {
  const info = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
  const trials = readFileSync(join(runDir, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TrialRecord);
  return { info, trials };
}

const judged = (trials: TrialRecord[]) => trials.filter((t) => t.judge !== undefined);
const newJudgeCalls = (trials: TrialRecord[]) => judged(trials).filter((t) => !t.judge!.cached);
const cell = (t: TrialRecord) => `${t.provider}|${t.selector}|${t.k}|${t.repeat}|${t.itemId}`;

describe('judge calls go through the response cache', () => {
  it('a rerun of a sweep with llm_judge items makes zero judge requests: every verdict comes from the cache', async () => {
    const answers = await answerServer();
    const judge = await judgeServer();
    const path = experiment({
      judge: { id: JUDGE, baseUrl: `${judge.url}/v1`, maxOutputTokens: 30 },
      providers: [{ id: 'local' }, { id: ANSWERER, baseUrl: `${answers.url}/v1`, temperature: 0, maxOutputTokens: 40 }],
      repeats: 2,
    });
    const cacheDir = join(tmp, 'cache-rerun');

    const first = await sweep(path, { cacheDir }).run;
    expect(first.status).toBe('complete');
    const run1 = readRun(first.runDir);
    const judgeRequests = judge.requests.length;
    expect(judgeRequests).toBeGreaterThan(0);
    // Each judge call is recorded once, by the trial that made it; equal answers reuse its verdict.
    expect(newJudgeCalls(run1.trials)).toHaveLength(judgeRequests);
    expect(judge.requests.every((r) => r.model === 'gpt-4o-mini' && r.body.temperature === 0 && r.body.max_completion_tokens === 30)).toBe(true);
    // Both providers' answers to the llm_judge items were judged: 3 items x 2 shot counts x 2 repeats for
    // the answerer, and the local baseline's at k = 2 (at k = 0 it answers nothing: a parse failure, not judged).
    expect(judged(run1.trials).filter((t) => t.provider === ANSWERER)).toHaveLength(12);
    expect(judged(run1.trials).filter((t) => t.provider === 'local')).toHaveLength(6);
    for (const t of judged(run1.trials)) {
      expect(t).toMatchObject({ error: null, score: 0.8, details: { scoringMethod: 'llm_judge', judge: JUDGE, judgeScore: 8 } });
      expect(t.judge).toMatchObject({ provider: JUDGE, model: 'gpt-4o-mini' });
    }

    const answerRequests = answers.requests.length;
    const second = await sweep(path, { cacheDir }).run;
    expect(second.status).toBe('complete');
    expect(judge.requests).toHaveLength(judgeRequests);
    expect(answers.requests).toHaveLength(answerRequests);
    const run2 = readRun(second.runDir);
    expect(judged(run2.trials)).toHaveLength(judged(run1.trials).length);
    expect(newJudgeCalls(run2.trials)).toHaveLength(0);
    // The same verdicts, trial by trial, with the usage they were paid for.
    const before = new Map(run1.trials.map((t) => [cell(t), t]));
    for (const t of run2.trials) {
      const was = before.get(cell(t))!;
      expect(t.score).toBe(was.score);
      if (t.judge) expect({ ...t.judge, cached: false, attempts: 0 }).toEqual({ ...was.judge!, cached: false, attempts: 0 });
    }
  });

  it('an unreadable verdict is a failed measurement (kind other) and is not cached: the rerun asks again', async () => {
    const judge = await track(startOpenAIServer());
    judge.script(() => ({ kind: 'text', text: 'Mostly right, I would say' }));
    const path = experiment({ judge: { id: JUDGE, baseUrl: `${judge.url}/v1` }, providers: [{ id: 'local' }] });
    const cacheDir = join(tmp, 'cache-unreadable');
    const first = await sweep(path, { cacheDir }).run;
    const run1 = readRun(first.runDir);
    const failed = judged(run1.trials);
    expect(failed).toHaveLength(3);
    for (const t of failed) {
      expect(t.error).toEqual({
        kind: 'other',
        message: `judging failed: judge ${JUDGE}: no 0-10 score on the verdict's last line: "Mostly right, I would say"`,
      });
      expect(t.output).not.toBeNull();
      expect(t.judge).toMatchObject({ provider: JUDGE, cached: false });
    }
    const asked = judge.requests.length;
    expect(asked).toBe(3);
    await sweep(path, { cacheDir }).run;
    expect(judge.requests).toHaveLength(2 * asked);
  });

  it('a judge that fails after its retries (even on auth) is a failed measurement of kind other; the judged provider is not stopped', async () => {
    const answers = await answerServer();
    const judge = await track(startOpenAIServer());
    judge.script(() => ({ kind: 'status', status: 401 }));
    const path = experiment({
      judge: { id: JUDGE, baseUrl: `${judge.url}/v1`, maxAttempts: 2 },
      providers: [{ id: ANSWERER, baseUrl: `${answers.url}/v1`, temperature: 0 }],
      concurrency: 1,
    });
    const { run, lines } = sweep(path);
    const result = await run;
    expect(result.status).toBe('complete');
    const { info, trials } = readRun(result.runDir);
    expect(trials).toHaveLength(8);
    expect(info.notices.some((n: string) => /stopped/.test(n))).toBe(false);
    expect(lines.some((l) => /stopping/.test(l))).toBe(false);
    // 3 llm_judge items x 2 shot counts, all judged and all failed.
    const failed = judged(trials);
    expect(failed).toHaveLength(6);
    for (const t of failed) {
      expect(t.judge).toMatchObject({ provider: JUDGE, cached: false, tokensIn: 0, tokensOut: 0 });
      expect(t.error!.kind).toBe('other');
      expect(t.error!.message).toMatch(new RegExp(`^judging failed: judge ${JUDGE}: `));
      expect(t.error!.message).not.toContain(SENTINEL);
      expect(t.output).toBe('Omega -> Bridge -> Tower -> Omega');
    }
    // A failed call is forgotten: each trial asked again, the same answer too (auth is not retried).
    expect(judge.requests).toHaveLength(6);
  });
});

describe('the runner side of the seam (ModelScorer)', () => {
  it('trials that share a judge call the budget stopped are each counted as not run', async () => {
    const judge = await judgeServer();
    const { model } = resolveAdaptGaugeJudge({ judge: { id: JUDGE, baseUrl: `${judge.url}/v1` } }, ENV, { sleep: fakeSleep().sleep });
    const tracker = new BudgetTracker(0.000001, ['local'], { [JUDGE]: JUDGE_PRICE }, [JUDGE]);
    const scorer = new ModelScorer(new Map([['judge', model!]]), null, tracker);
    const call = judgeCall({ instruction: 'Plan.', input: 'Depot Omega.', expected: 'Omega', isRubric: false, acceptableVariations: [] }, 'Omega', undefined);
    const outcomes = await Promise.all([1, 2, 3].map(() => scorer.score(call, 'local')));
    expect(outcomes.map((o) => o.status)).toEqual(['over-budget', 'over-budget', 'over-budget']);
    expect(tracker.skippedTrials).toBe(3);
    expect(judge.requests).toHaveLength(0);
  });
});

describe('judge calls and stopping', () => {
  it('once the sweep is stopping (Ctrl-C), no judge call starts; the answer it would have judged stays in the cache', async () => {
    const answers = await answerServer();
    const judge = await judgeServer();
    const path = experiment({
      judge: { id: JUDGE, baseUrl: `${judge.url}/v1` },
      providers: [{ id: ANSWERER, baseUrl: `${answers.url}/v1`, temperature: 0 }],
      concurrency: 1,
    });
    const cacheDir = join(tmp, 'cache-stop');
    // Stopping as soon as the first answer was asked for: its judge call would be a new call.
    const stopped = await sweep(path, { cacheDir, shouldStop: () => answers.requests.length > 0 }).run;
    expect(stopped.status).toBe('partial');
    expect(answers.requests).toHaveLength(1);
    expect(judge.requests).toHaveLength(0);
    expect(stopped.trials).toBe(0);

    // The rerun answers that item from the cache and judges it.
    const rerun = await sweep(path, { cacheDir }).run;
    expect(rerun.status).toBe('complete');
    const { trials } = readRun(rerun.runDir);
    const first = trials.find((t) => t.cached);
    expect(first).toBeDefined();
    expect(answers.requests.length).toBe(1 + trials.filter((t) => !t.cached).length);
    expect(judge.requests.length).toBeGreaterThan(0);
  });
});

describe('judge calls are priced and counted', () => {
  it("the judge's tokens, at the judge's price, are in the run's spend (spend.byJudge and the total) and on the progress line", async () => {
    const answers = await answerServer();
    const judge = await judgeServer({ tokensIn: 111, tokensOut: 7 });
    const path = experiment({
      judge: { id: JUDGE, baseUrl: `${judge.url}/v1`, maxOutputTokens: 30 },
      providers: [{ id: 'local' }, { id: ANSWERER, baseUrl: `${answers.url}/v1`, temperature: 0, maxOutputTokens: 40 }],
      extra: prices,
    });
    const progress = captureStream();
    const result = await sweep(path, { quiet: false, progressStream: progress.stream }).run;
    const { info, trials } = readRun(result.runDir);

    const calls = newJudgeCalls(trials);
    expect(calls).toHaveLength(judge.requests.length);
    for (const t of calls) expect(t.judge).toMatchObject({ tokensIn: 111, tokensOut: 7, cachedTokens: 0, attempts: 1 });
    const judgeCost = calls.length * costPerRequest(JUDGE_PRICE, 111, 7);
    const answerCost = trials
      .filter((t) => t.provider === ANSWERER && !t.cached)
      .reduce((n, t) => n + costPerRequest(ANSWER_PRICE, t.tokensIn, t.tokensOut, t.cachedTokens), 0);
    expect(judgeCost).toBeGreaterThan(0);
    expect(info.spend.byJudge[JUDGE]).toBeCloseTo(judgeCost, 10);
    // The answerer's spend is its own answers only; the judge is not a provider of this run.
    expect(info.spend.byProvider).toEqual({ [ANSWERER]: expect.closeTo(answerCost, 10) });
    expect(info.spend.total).toBeCloseTo(answerCost + judgeCost, 10);

    // Progress: a line for the judge with its calls, reused verdicts, failures and spend.
    const judgeLine = progress
      .text()
      .split('\n')
      .find((l) => l.startsWith(`judge ${JUDGE}`));
    const reused = judged(trials).length - calls.length;
    const money = judgeCost.toFixed(judgeCost < 1 ? 4 : 2);
    expect(judgeLine).toMatch(new RegExp(`judged ${judged(trials).length}  calls ${calls.length}  cache hits ${reused}  failures 0  \\$${money}$`));
  });

  it('under a budget, a judge without a price refuses to start (no call, no results folder) unless --force', async () => {
    const judge = await judgeServer();
    const id = 'openai-compatible:grader';
    const path = experiment({ judge: { id, baseUrl: `${judge.url}/v1` }, providers: [{ id: 'local' }], extra: 'budget: 5' });
    const outDir = join(tmp, 'unpriced-judge');
    const refused = sweep(path, { outDir }).run;
    await expect(refused).rejects.toBeInstanceOf(BudgetError);
    await expect(refused).rejects.toThrow(`the judge's cost is unknown, no price for ${id}; add one under prices:`);
    expect(existsSync(outDir)).toBe(false);
    expect(judge.requests).toHaveLength(0);

    const forced = await sweep(path, { outDir, force: true }).run;
    expect(forced.status).toBe('complete');
    expect(judge.requests.length).toBeGreaterThan(0);
    const { info } = readRun(forced.runDir);
    expect(info.notices.some((n: string) => n.includes(`no price for ${id}`) && n.endsWith('(forced)'))).toBe(true);
    expect(info.spend).toMatchObject({ total: 0, byJudge: { [id]: 0 } });
  });

  it('a budget too small for the judge calls stops them like answer calls: not made, the trials not run, the run partial', async () => {
    const judge = await judgeServer();
    const judgeEntry = { id: JUDGE, baseUrl: `${judge.url}/v1`, maxOutputTokens: 20 };
    // The local baseline answers for free: all the money goes to the judge. One call at a time, so the
    // budget sees each call's real cost before the next one's worst case.
    const probe = experiment({ judge: judgeEntry, providers: [{ id: 'local' }], extra: prices, concurrency: 1 });
    const unlimited = readRun((await sweep(probe).run).runDir);
    const calls = newJudgeCalls(unlimited.trials).length;
    expect(calls).toBe(3);
    // Room for one call and a half: the first is made, the second's worst case no longer fits.
    const budget = Math.round((unlimited.info.spend.total / calls) * 1.5 * 1e6) / 1e6;
    judge.requests.length = 0;

    const path = experiment({ judge: judgeEntry, providers: [{ id: 'local' }], extra: `${prices}\nbudget: ${budget}`, concurrency: 1 });
    const { run, lines } = sweep(path);
    const result = await run;
    const { info, trials } = readRun(result.runDir);
    expect(judge.requests.length).toBeGreaterThanOrEqual(1);
    expect(judge.requests.length).toBeLessThan(calls);
    expect(newJudgeCalls(trials)).toHaveLength(judge.requests.length);
    expect(info.spend.total).toBeLessThanOrEqual(budget);
    expect(info.spend.byJudge[JUDGE]).toBeCloseTo(info.spend.total, 10);
    // The stopped judge calls' trials are not recorded (no wrong answer, no failure), and counted as not run.
    const skipped = calls - judge.requests.length;
    expect(info.spend.skippedTrials).toBe(skipped);
    expect(trials.length + skipped).toBe(unlimited.trials.length);
    expect(trials.every((t) => t.error === null)).toBe(true);
    expect(result.status).toBe('partial');
    const notice = `budget reached: ${skipped} trials not run (local: ${skipped})`;
    expect(info.notices.some((n: string) => n.startsWith(notice))).toBe(true);
    expect(lines.some((l) => l.startsWith(notice))).toBe(true);
    expect(info.notices).toContain(`cells incomplete because of the budget: local / first / k=2: ${skipped} of 4 trials not run`);
  });
});
