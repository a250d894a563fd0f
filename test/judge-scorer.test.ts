// Model-graded scoring of the generate task (`scoring: { method: judge, provider, rubric, scale }`) and
// the judge's calibration (`scoring.calibration`), in whole sweeps: the rubric rendered with the
// item's variables reaches the judge through the real openai SDK; the judge's calls go through the
// answers' path (runner/score.ts: response cache, budget, retries, cost); a verdict without a grade is
// a failed measurement; the calibration set is graded through the same path and its agreement lands in
// run.json, summary.json and the reports. Offline: fake OpenAI servers on 127.0.0.1 only.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildSummary } from '../src/analysis/summary.js';
import { runSweep } from '../src/app/sweep-and-report.js';
import { main } from '../src/cli.js';
import { costPerRequest } from '../src/config/prices.js';
import { ConfigError, loadExperiment } from '../src/config/load.js';
import { readRunInfo } from '../src/records/run-info.js';
import { readSummary } from '../src/records/summary.js';
import type { TrialRecord } from '../src/records/trial.js';
import { prepareSweep } from '../src/runner/prepare.js';
import { TaskDataError, TemplateError } from '../src/tasks/errors.js';
import { parseScaledVerdict } from '../src/tasks/rubric-judge.js';
import { fakeSleep, SENTINEL, trackServers } from './providers-helpers.js';
import { startOpenAIServer, type FakeServer, type RecordedRequest } from './servers/index.js';
import { thrownBy } from './thrown.js';

const track = trackServers();
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-judge-scorer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ENV = { OPENAI_API_KEY: SENTINEL };
const ANSWERER = 'openai:gpt-4o';
const JUDGE = 'openai:gpt-4o-mini';
const JUDGE_PRICE = { input: 3000, output: 5000 };

const jsonl = (rows: readonly object[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;

const POOL = [
  { q: 'Capital of France?', a: 'Paris', lang: 'en' },
  { q: 'Capital of Norway?', a: 'Oslo', lang: 'en' },
  { q: 'Hauptstadt von Italien?', a: 'Rom', lang: 'de' },
];
const EVAL = [
  { q: 'Capital of Spain?', a: 'Madrid', lang: 'en' },
  { q: 'Hauptstadt von Polen?', a: 'Warschau', lang: 'de' },
  { q: 'Capital of Peru?', a: 'Lima', lang: 'en' },
];
const RUBRIC = [
  'Question ({{ lang }}): {{ input }}',
  'Reference answer: {{ expected }}',
  'Reply to grade: {{ reply }}',
  'Grade from {{ low }} to {{ high }} ({{ scale }}): {{ high }} when the reply names the same city as the reference.',
].join('\n');

/** The hand example of test/agreement.test.ts: human 1 2 3 3 2, judge 1 3 3 2 2 (kappa 9/14, Spearman 5/9). */
const CALIBRATION = [
  { id: 'c1', input: 'Capital of Chile?', expected: 'Santiago', reply: 'reply-1', score: 1, lang: 'en' },
  { id: 'c2', input: 'Capital of Kenya?', expected: 'Nairobi', reply: 'reply-2', score: 2, lang: 'en' },
  { id: 'c3', input: 'Capital of Japan?', expected: 'Tokyo', reply: 'reply-3', score: 3, lang: 'en' },
  { id: 'c4', input: 'Capital of Egypt?', expected: 'Cairo', reply: 'reply-4', score: 3, lang: 'en' },
  { id: 'c5', input: 'Capital of Ghana?', expected: 'Accra', reply: 'reply-5', score: 2, lang: 'en' },
];
const JUDGE_GRADES: Record<string, number> = { 'reply-1': 1, 'reply-2': 3, 'reply-3': 3, 'reply-4': 2, 'reply-5': 2 };

let counter = 0;
/** A folder with the data, the rubric and an experiment; returns the experiment's path. */
function experiment(options: {
  scoring: Record<string, unknown>;
  providers: Record<string, unknown>[];
  extra?: string;
  files?: Record<string, string>;
  concurrency?: number;
  shots?: number[];
}): string {
  const dir = join(tmp, `exp-${++counter}`);
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(join(dir, 'prompts'), { recursive: true });
  const files: Record<string, string> = {
    'data/pool.jsonl': jsonl(POOL),
    'data/eval.jsonl': jsonl(EVAL),
    'data/human-labels.jsonl': jsonl(CALIBRATION),
    'prompts/rubric.md': `${RUBRIC}\n`,
    ...options.files,
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const fields = '{ input: q, output: a }';
  const yaml = [
    `name: judge-scorer-${counter}`,
    'seed: 5',
    'task:',
    '  type: generate',
    `  pool: { file: data/pool.jsonl, fields: ${fields} }`,
    `  eval: { file: data/eval.jsonl, fields: ${fields} }`,
    `  scoring: ${JSON.stringify(options.scoring)}`,
    `shots: ${JSON.stringify(options.shots ?? [0, 1])}`,
    'selectors: [first]',
    'repeats: 1',
    `concurrency: ${options.concurrency ?? 2}`,
    'providers:',
    ...options.providers.map((p) => `  - ${JSON.stringify(p)}`),
    options.extra ?? '',
  ].join('\n');
  const path = join(dir, 'experiment.yaml');
  writeFileSync(path, yaml);
  return path;
}

/** The rubric as the judge received it (the user turn), and the reply it grades. */
function graded(req: RecordedRequest): { rubric: string; reply: string } {
  const messages = req.body.messages as { role: string; content: string }[];
  const rubric = messages.find((m) => m.role === 'user')!.content;
  return { rubric, reply: /^Reply to grade: (.*)$/m.exec(rubric)?.[1] ?? '' };
}

/** A judge grading 7 on its last line, except the calibration replies (their grades above). */
async function judgeServer(usage: { tokensIn?: number; tokensOut?: number } = {}): Promise<FakeServer> {
  const s = await track(startOpenAIServer());
  s.script((req) => {
    const { reply } = graded(req);
    const grade = JUDGE_GRADES[reply] ?? (reply === 'Madrid' ? 10 : 7);
    return { kind: 'text', text: `The reply was compared with the reference.\nGrade: ${grade}`, ...usage };
  });
  return s;
}

async function answerServer(): Promise<FakeServer> {
  const s = await track(startOpenAIServer());
  s.script((req) => {
    const last = (req.body.messages as { content: string }[]).at(-1)!.content;
    return { kind: 'text', text: last.includes('Spain') ? 'Madrid' : 'Lisbon', tokensIn: 40, tokensOut: 3 };
  });
  return s;
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

function readTrials(runDir: string): TrialRecord[] {
  return readFileSync(join(runDir, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TrialRecord);
}

const judgedTrials = (trials: TrialRecord[]) => trials.filter((t) => t.judge !== undefined);
const newJudgeCalls = (trials: TrialRecord[]) => judgedTrials(trials).filter((t) => !t.judge!.cached);

describe('scoring: method judge, through the real openai SDK', () => {
  it("the rubric, rendered with the item's variables, is the judge's prompt; the grade on the scale is the score", async () => {
    const answers = await answerServer();
    const judge = await judgeServer();
    const path = experiment({
      scoring: { method: 'judge', provider: { id: JUDGE, baseUrl: `${judge.url}/v1`, maxOutputTokens: 40 }, rubric: 'prompts/rubric.md', scale: '0-10' },
      providers: [{ id: 'local' }, { id: ANSWERER, baseUrl: `${answers.url}/v1`, temperature: 0 }],
    });
    const result = await sweep(path).run;
    expect(result.status).toBe('complete');
    const trials = readTrials(result.runDir);

    // The answerer's 6 answers (3 items x k 0, 1) and the local baseline's 3 at k = 1 (empty at k = 0: a parse failure, not judged).
    expect(judgedTrials(trials).filter((t) => t.provider === ANSWERER)).toHaveLength(6);
    expect(judgedTrials(trials).filter((t) => t.provider === 'local')).toHaveLength(3);
    const seven = judgedTrials(trials).find((t) => t.details.judgeScore === 7)!;
    console.log(`scale 0-10: grade ${seven.details.judgeScore} scores ${seven.score}`);
    for (const t of judgedTrials(trials)) {
      const grade = t.output === 'Madrid' ? 10 : 7;
      expect(t).toMatchObject({ error: null, score: grade / 10, details: { scoringMethod: 'judge', judge: JUDGE, judgeScore: grade } });
      expect(t.judge).toMatchObject({ provider: JUDGE, model: 'gpt-4o-mini' });
    }
    // Equal answers to one item share one verdict: one judge request per distinct (item, reply).
    const distinct = new Set(judgedTrials(trials).map((t) => `${t.itemId}|${t.output}`));
    expect(judge.requests).toHaveLength(distinct.size);
    const first = judge.requests.find((r) => graded(r).reply === 'Madrid')!;
    expect(first.body).toMatchObject({ model: 'gpt-4o-mini', temperature: 0, max_completion_tokens: 40 });
    expect(first.body.messages[0]).toMatchObject({ role: 'system' });
    expect(first.body.messages[0].content).toMatch(/a whole number from 0 \(worst\) to 10 \(best\), on its own last line\.$/);
    expect(graded(first).rubric).toBe(
      [
        'Question (en): Capital of Spain?',
        'Reference answer: Madrid',
        'Reply to grade: Madrid',
        'Grade from 0 to 10 (0-10): 10 when the reply names the same city as the reference.',
      ].join('\n'),
    );
    // The judge is paid for apart from the answerer, and named in run.json's spend.
    const info = readRunInfo(join(result.runDir, 'run.json'));
    expect(Object.keys(info.spend!.byJudge ?? {})).toEqual([JUDGE]);
    // The rubric is fingerprinted apart from the prompt (it changes scores, not what is asked).
    expect(info.prompt!.scoringFiles?.map((f) => f.name)).toHaveLength(1);
    expect(info.prompt!.template).not.toContain(info.prompt!.scoringFiles![0]!.sha256);
  });

  it('--dry-run names the judge and bounds its calls, calibration included, without calling it', async () => {
    const path = experiment({
      scoring: {
        method: 'judge',
        provider: { id: JUDGE, baseUrl: 'http://127.0.0.1:9/v1' },
        rubric: 'prompts/rubric.md',
        calibration: 'data/human-labels.jsonl',
      },
      providers: [{ id: 'local' }],
    });
    vi.stubEnv('OPENAI_API_KEY', SENTINEL);
    const out: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
    try {
      expect(await main(['sweep', path, '--dry-run'])).toBe(0);
    } finally {
      spy.mockRestore();
      vi.unstubAllEnvs();
    }
    expect(out.join('\n')).toContain(`judge ${JUDGE}: up to 6 grading calls (one per answer that parses) plus ${CALIBRATION.length} for the calibration set`);
  });

  it('a scale of 1-5 maps the grade to (grade - 1) / 4', async () => {
    const judge = await track(startOpenAIServer());
    judge.script(() => ({ kind: 'text', text: '**4/5**' }));
    const path = experiment({
      scoring: { method: 'judge', provider: { id: JUDGE, baseUrl: `${judge.url}/v1` }, rubric: 'prompts/rubric.md', scale: '1-5' },
      providers: [{ id: 'local' }],
    });
    const trials = readTrials((await sweep(path).run).runDir);
    console.log(`scale 1-5: grade ${judgedTrials(trials)[0]!.details.judgeScore} scores ${judgedTrials(trials)[0]!.score}`);
    expect(judgedTrials(trials).map((t) => [t.score, t.details.judgeScore])).toEqual([
      [0.75, 4],
      [0.75, 4],
      [0.75, 4],
    ]);
  });

  it('an unchanged rerun makes zero calls, judge and calibration included: every answer and verdict comes from the cache', async () => {
    const answers = await answerServer();
    const judge = await judgeServer();
    const path = experiment({
      scoring: {
        method: 'judge',
        provider: { id: JUDGE, baseUrl: `${judge.url}/v1` },
        rubric: 'prompts/rubric.md',
        scale: '0-10',
        calibration: 'data/human-labels.jsonl',
      },
      providers: [{ id: 'local' }, { id: ANSWERER, baseUrl: `${answers.url}/v1`, temperature: 0 }],
    });
    const cacheDir = join(tmp, 'cache-rerun');
    const first = await sweep(path, { cacheDir }).run;
    const trials1 = readTrials(first.runDir);
    const calibration1 = readRunInfo(join(first.runDir, 'run.json')).judgeCalibration!;
    expect(calibration1.records.every((r) => r.cached === false)).toBe(true);
    const judgeRequests = judge.requests.length;
    const answerRequests = answers.requests.length;
    // The trials' distinct verdicts and the five calibration records.
    expect(judgeRequests).toBe(newJudgeCalls(trials1).length + CALIBRATION.length);

    const second = sweep(path, { cacheDir });
    const rerun = await second.run;
    expect(judge.requests).toHaveLength(judgeRequests);
    expect(answers.requests).toHaveLength(answerRequests);
    const trials2 = readTrials(rerun.runDir);
    expect(newJudgeCalls(trials2)).toHaveLength(0);
    expect(trials1.every((t) => t.error === null)).toBe(true);
    const byCell = (ts: TrialRecord[]) => new Map(ts.map((t) => [`${t.provider}|${t.k}|${t.itemId}`, t.score]));
    expect(byCell(trials2)).toEqual(byCell(trials1));
    const calibration2 = readRunInfo(join(rerun.runDir, 'run.json')).judgeCalibration!;
    expect(calibration2.records.every((r) => r.cached === true)).toBe(true);
    expect(calibration2.records.map((r) => r.judge)).toEqual(calibration1.records.map((r) => r.judge));
    const line = second.lines.find((l) => l.startsWith('judge calibration:'));
    console.log(`rerun: ${line}`);
    expect(line).toBe('judge calibration: 5 records of data/human-labels.jsonl: 0 judge calls, 5 from the cache');
  });

  it('a judge reply without a grade on its last line is a failed measurement (kind other), not a wrong answer, and is not cached', async () => {
    const judge = await track(startOpenAIServer());
    judge.script(() => ({ kind: 'text', text: 'Looks right to me.' }));
    const path = experiment({
      scoring: { method: 'judge', provider: { id: JUDGE, baseUrl: `${judge.url}/v1` }, rubric: 'prompts/rubric.md' },
      providers: [{ id: 'local' }],
    });
    const cacheDir = join(tmp, 'cache-unreadable');
    const result = await sweep(path, { cacheDir }).run;
    const trials = readTrials(result.runDir);
    const failed = judgedTrials(trials);
    expect(failed).toHaveLength(3);
    for (const t of failed) {
      expect(t.error).toEqual({
        kind: 'other',
        message: `judging failed: judge ${JUDGE}: no grade from 0 to 10 on the verdict's last line: "Looks right to me."`,
      });
      expect(t.output).not.toBeNull();
    }
    // Provider failures stay out of accuracy: the judged cell has no accuracy, and nothing counts as wrong.
    const summary = readSummary(join(result.runDir, 'summary.json'));
    const judgedCell = summary.cells.find((c) => c.provider === 'local' && c.k === 1)!;
    expect(judgedCell.outcomes.provider_error).toBe(3);
    expect(judgedCell.accuracy).toBeNull();
    const asked = judge.requests.length;
    await sweep(path, { cacheDir }).run;
    expect(judge.requests).toHaveLength(2 * asked);
  });

  it('the grade is read from the last line only, on the scale', () => {
    const scale = { low: 1, high: 5, text: '1-5' };
    expect(parseScaledVerdict('Reasoning: 2 of 3 facts.\nScore: 4', scale)).toBe(4);
    expect(parseScaledVerdict('4 out of 5', scale)).toBe(4);
    expect(parseScaledVerdict('Grade: **3.5**', scale)).toBe(3.5);
    expect(parseScaledVerdict('Score: 4\nThanks!', scale)).toBeNull();
    expect(parseScaledVerdict('8/10', scale)).toBeNull();
    expect(parseScaledVerdict('0', scale)).toBeNull();
    expect(parseScaledVerdict('6', scale)).toBeNull();
  });
});

describe('judge calls and the budget', () => {
  it('a budget that a judge call would cross stops it: not made, the trial not run, the budget not crossed', async () => {
    const judge = await judgeServer({ tokensIn: 200, tokensOut: 10 });
    const scoring = { method: 'judge', provider: { id: JUDGE, baseUrl: `${judge.url}/v1`, maxOutputTokens: 20 }, rubric: 'prompts/rubric.md' };
    const prices = `prices: { "${JUDGE}": ${JSON.stringify(JUDGE_PRICE)} }`;
    // The local baseline answers for free: all the money goes to the judge (3 calls at k = 1). One call at a time.
    const probe = readTrials((await sweep(experiment({ scoring, providers: [{ id: 'local' }], extra: prices, concurrency: 1 })).run).runDir);
    const calls = newJudgeCalls(probe).length;
    expect(calls).toBe(3);
    const perCall = costPerRequest(JUDGE_PRICE, 200, 10);
    // Room for one call and a half: the first is made; the second's worst case no longer fits.
    const budget = Math.round(perCall * 1.5 * 1e6) / 1e6;
    judge.requests.length = 0;

    const path = experiment({ scoring, providers: [{ id: 'local' }], extra: `${prices}\nbudget: ${budget}`, concurrency: 1 });
    const result = await sweep(path).run;
    const info = readRunInfo(join(result.runDir, 'run.json'));
    const trials = readTrials(result.runDir);
    expect(judge.requests).toHaveLength(1);
    expect(info.spend!.total).toBeLessThanOrEqual(budget);
    expect(info.spend!.byJudge![JUDGE]).toBeCloseTo(perCall, 10);
    expect(info.spend!.skippedTrials).toBe(2);
    expect(trials.every((t) => t.error === null)).toBe(true);
    expect(result.status).toBe('partial');
  });

  it('calibration records the budget stops are not graded (recorded with the reason), and no trial counts as not run for them', async () => {
    const judge = await judgeServer({ tokensIn: 200, tokensOut: 10 });
    const prices = `prices: { "${JUDGE}": ${JSON.stringify(JUDGE_PRICE)} }`;
    const perCall = costPerRequest(JUDGE_PRICE, 200, 10);
    const budget = Math.round(perCall * 4.5 * 1e6) / 1e6;
    const path = experiment({
      scoring: {
        method: 'judge',
        provider: { id: JUDGE, baseUrl: `${judge.url}/v1`, maxOutputTokens: 20 },
        rubric: 'prompts/rubric.md',
        scale: '1-5',
        calibration: 'data/human-labels.jsonl',
      },
      providers: [{ id: 'local' }],
      extra: `${prices}\nbudget: ${budget}`,
      concurrency: 1,
    });
    const result = await sweep(path).run;
    const info = readRunInfo(join(result.runDir, 'run.json'));
    // 3 trial verdicts, then one calibration record fits; the other four do not.
    expect(judge.requests).toHaveLength(4);
    expect(info.spend!.total).toBeLessThanOrEqual(budget);
    expect(info.spend!.skippedTrials).toBe(0);
    expect(result.status).toBe('complete');
    const records = info.judgeCalibration!.records;
    expect(records.filter((r) => r.judge !== null)).toHaveLength(1);
    expect(records.filter((r) => r.failure === 'not graded: the budget was reached')).toHaveLength(4);
    expect(info.notices).toContain(
      'judge calibration: 4 of 5 records of data/human-labels.jsonl were not graded (4 by the budget); the agreement is over the other 1',
    );
  });
});

describe('the calibration', () => {
  it("reports the judge's agreement with the human grades: kappa and Spearman with intervals and n, in summary.json and both reports", async () => {
    const judge = await judgeServer();
    const path = experiment({
      scoring: {
        method: 'judge',
        provider: { id: JUDGE, baseUrl: `${judge.url}/v1` },
        rubric: 'prompts/rubric.md',
        scale: '1-3',
        calibration: 'data/human-labels.jsonl',
      },
      providers: [{ id: 'local' }],
      shots: [1],
    });
    const result = await sweep(path).run;
    const info = readRunInfo(join(result.runDir, 'run.json'));
    expect(info.judgeCalibration).toMatchObject({ file: 'data/human-labels.jsonl', judge: JUDGE, scale: '1-3', rubric: { name: 'prompts/rubric.md' } });
    expect(info.judgeCalibration!.records.map((r) => [r.line, r.id, r.human, r.judge])).toEqual([
      [1, 'c1', 1, 1],
      [2, 'c2', 2, 3],
      [3, 'c3', 3, 3],
      [4, 'c4', 3, 2],
      [5, 'c5', 2, 2],
    ]);
    // The judge never sees the human grade: `score` is not a rubric variable.
    expect(judge.requests.every((r) => !JSON.stringify(r.body).includes('"score"'))).toBe(true);

    const summary = readSummary(join(result.runDir, 'summary.json'));
    const c = summary.judgeCalibration!;
    expect(c).toMatchObject({ file: 'data/human-labels.jsonl', judge: JUDGE, scale: '1-3', records: 5, n: 5, ungraded: 0 });
    expect(c.kappa!.estimate).toBeCloseTo(9 / 14, 12);
    expect(c.spearman!.estimate).toBeCloseTo(5 / 9, 12);
    expect(c.meanDifference!.estimate).toBeCloseTo(0, 12);
    for (const iv of [c.kappa!, c.spearman!, c.meanDifference!]) {
      expect(iv.n).toBe(5);
      expect(iv.lower).toBeLessThanOrEqual(iv.estimate);
      expect(iv.upper).toBeGreaterThanOrEqual(iv.estimate);
    }
    // `fewshot report` rebuilds it from run.json and the trials, without a call, bit for bit.
    const asked = judge.requests.length;
    expect(buildSummary(readTrials(result.runDir), info).judgeCalibration).toEqual(c);
    expect(judge.requests).toHaveLength(asked);
    const markdown = readFileSync(join(result.runDir, 'summary.md'), 'utf8');
    const html = readFileSync(join(result.runDir, 'report.html'), 'utf8');
    const section = markdown.slice(markdown.indexOf('## Judge calibration'));
    const sentence = section.split('\n')[2]!;
    console.log(`summary.md, judge calibration: ${sentence}`);
    expect(sentence).toMatch(
      /^openai:gpt-4o-mini graded 5 of the 5 human-graded replies in data\/human-labels\.jsonl, with the rubric prompts\/rubric\.md on the scale 1-3: quadratic-weighted kappa 0\.64 \[/,
    );
    expect(sentence).toContain(', Spearman correlation 0.56 [');
    expect(sentence).toMatch(/; n = 5, 95% bootstrap intervals\.$/);
    expect(html).toContain('<dt>judge calibration</dt><dd>openai:gpt-4o-mini graded 5 of the 5 human-graded replies');
  });

  it('a summary without judgeCalibration (older runs) still reads', async () => {
    const judge = await judgeServer();
    const path = experiment({
      scoring: { method: 'judge', provider: { id: JUDGE, baseUrl: `${judge.url}/v1` }, rubric: 'prompts/rubric.md' },
      providers: [{ id: 'local' }],
      shots: [1],
    });
    const result = await sweep(path).run;
    const file = join(result.runDir, 'summary.json');
    const summary = readSummary(file);
    expect(summary.judgeCalibration).toBeUndefined();
    expect(readFileSync(join(result.runDir, 'summary.md'), 'utf8')).not.toContain('Judge calibration');
  });
});

describe('checked before any call (validate, sweep)', () => {
  const judgeEntry = { id: JUDGE, baseUrl: 'http://127.0.0.1:9/v1' };
  const prepare = (path: string) => prepareSweep(path, ENV);

  it('a missing rubric file', () => {
    const path = experiment({ scoring: { method: 'judge', provider: judgeEntry, rubric: 'prompts/nope.md' }, providers: [{ id: 'local' }] });
    const e = thrownBy(TaskDataError, () => prepare(path));
    expect(e.message).toBe(`${join(path, '..', 'prompts/nope.md')}: cannot read the rubric of scoring.rubric: no such file`);
  });

  it('an unknown variable in the rubric, for an evaluation item and for a calibration record', () => {
    const path = experiment({
      scoring: { method: 'judge', provider: judgeEntry, rubric: 'prompts/rubric.md' },
      providers: [{ id: 'local' }],
      files: { 'prompts/rubric.md': 'Reply: {{ reply }}\nTopic: {{ topic }}\n' },
    });
    const rubric = join(path, '..', 'prompts/rubric.md');
    const e = thrownBy(TemplateError, () => prepare(path));
    expect(e.message).toBe(
      `${rubric}:2:11: unknown variable "topic" (known: a, expected, high, id, input, lang, low, q, reply, scale) (rendering the rubric for ${join(path, '..', 'data/eval.jsonl')}:1)`,
    );

    // `lang` is a column of every item, but not of the second calibration record.
    const labels = jsonl([CALIBRATION[0]!, { ...CALIBRATION[1]!, lang: undefined }]);
    const path2 = experiment({
      scoring: { method: 'judge', provider: judgeEntry, rubric: 'prompts/rubric.md', calibration: 'data/human-labels.jsonl' },
      providers: [{ id: 'local' }],
      files: { 'data/human-labels.jsonl': labels },
    });
    const e2 = thrownBy(TaskDataError, () => prepare(path2));
    expect(e2.message).toBe(
      `${join(path2, '..', 'data/human-labels.jsonl')}:2: the rubric ${join(path2, '..', 'prompts/rubric.md')}:1:14: unknown variable "lang" (known: expected, high, id, input, low, reply, scale)`,
    );
  });

  it('bad calibration records: a grade off the scale, a missing reply', () => {
    const bad = (rows: object[]) =>
      thrownBy(TaskDataError, () =>
        prepare(
          experiment({
            scoring: { method: 'judge', provider: judgeEntry, rubric: 'prompts/rubric.md', scale: '1-5', calibration: 'data/human-labels.jsonl' },
            providers: [{ id: 'local' }],
            files: { 'data/human-labels.jsonl': jsonl(rows) },
          }),
        ),
      );
    expect(bad([CALIBRATION[0]!, { ...CALIBRATION[1]!, score: 7 }]).reason).toBe(
      'field "score": expected the human grade, a number from 1 to 5 (scoring.scale), got 7',
    );
    const { reply: _reply, ...noReply } = CALIBRATION[1]!;
    expect(bad([CALIBRATION[0]!, noReply]).reason).toBe('missing field "reply"; the record has: id, input, expected, score, lang');
    expect(bad([CALIBRATION[0]!]).reason).toBe("1 graded record: the judge's agreement needs at least 2");
  });

  it('a bad scale, a judge without a rubric, judge options on another method', () => {
    // `file:line:col: field: message`, the column where the field's value starts in the YAML line.
    const issues = (scoring: Record<string, unknown>) => {
      const path = experiment({ scoring, providers: [{ id: 'local' }] });
      const message = thrownBy(ConfigError, () => loadExperiment(path)).message.replace(`${path}:`, '');
      const line = readFileSync(path, 'utf8').split('\n')[6]!;
      const [, row, col, rest] = /^(\d+):(\d+): (.*)$/.exec(message) ?? [message, '', '', message];
      expect(row, message).toBe('7');
      return { column: Number(col), at: line.slice(Number(col) - 1), message: rest! };
    };
    const badOrder = issues({ method: 'judge', provider: JUDGE, rubric: 'prompts/rubric.md', scale: '10-0' });
    expect(badOrder.message).toBe('task.scoring.scale: the scale\'s low end must be below its high end, and the high end at most 1000 (got "10-0")');
    expect(badOrder.at.startsWith('"10-0"')).toBe(true);
    expect(issues({ method: 'judge', provider: JUDGE, rubric: 'prompts/rubric.md', scale: 'five' }).message).toBe(
      'task.scoring.scale: expected a scale of whole numbers such as "0-10" or "1-5" (low-high) (got "five")',
    );
    expect(issues({ method: 'judge', provider: JUDGE, rubric: 'prompts/rubric.md', scale: 10 }).message).toBe(
      'task.scoring.scale: expected a scale of whole numbers such as "0-10" or "1-5" (got 10)',
    );
    expect(issues({ method: 'judge', provider: JUDGE }).message).toBe(
      'task.scoring.rubric: method judge needs rubric: the grading prompt, a template file relative to the experiment file',
    );
    expect(issues({ method: 'exact', rubric: 'prompts/rubric.md' }).message).toBe(
      'task.scoring.rubric: rubric applies only to method: judge (got "prompts/rubric.md")',
    );
    expect(issues({ method: 'judge', provider: 'local', rubric: 'prompts/rubric.md' }).message).toMatch(
      /^task\.scoring\.provider: .*the local baseline cannot judge/,
    );
  });

  it("without the judge's key every provider is skipped, naming the variable to set; the calibration is still checked", () => {
    const path = experiment({
      scoring: { method: 'judge', provider: JUDGE, rubric: 'prompts/rubric.md', calibration: 'data/human-labels.jsonl' },
      providers: [{ id: 'local' }],
    });
    const prepared = prepareSweep(path, {});
    expect(prepared.judge).toBeNull();
    expect(prepared.plan.length).toBe(0);
    expect(prepared.resolutions).toEqual([
      {
        id: 'local',
        name: 'local',
        status: 'skipped',
        reason: `every answer is graded by the judge, which cannot run (judge ${JUDGE}: no API key: set OPENAI_API_KEY to run it)`,
      },
    ]);
    expect(prepared.calibration!.set.cases).toHaveLength(5);
  });
});
