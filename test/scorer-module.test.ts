import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { classifyOutcome, countOutcomes } from '../src/analysis/outcome.js';
import { runSweep } from '../src/app/sweep-and-report.js';
import { main } from '../src/cli.js';
import { classifyTaskSchema, generateTaskSchema } from '../src/config/dataset-schema.js';
import { scorerExtensionProblem } from '../src/config/scorer-schema.js';
import { parseSummary, type RunSummary } from '../src/records/summary.js';
import { trialSchema, type TrialRecord } from '../src/records/trial.js';
import { readScorerResult, ScorerModule, settleModuleScoring, type ScorerContext } from '../src/tasks/scorer-module.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'scorers');
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-scorer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function scorer(module: string, options: { timeoutMs?: number; export?: string } = {}): ScorerModule {
  return new ScorerModule({ module, timeoutMs: options.timeoutMs ?? 2000, ...(options.export !== undefined && { export: options.export }) }, FIXTURES);
}

function context(over: Partial<ScorerContext> = {}): ScorerContext {
  return {
    task: 'generate',
    id: 'q1',
    item: { id: 'q1', q: 'Capital of Norway?', a: 'Oslo', meta: { source: 'atlas' } },
    input: 'Capital of Norway?',
    expected: 'Oslo',
    reply: 'Oslo',
    answer: 'Oslo',
    k: 2,
    shots: ['q7', 'q9'],
    ...over,
  };
}

/** A fixture scorer's verdict on one reply. */
async function settle(module: string, over: Partial<ScorerContext> = {}, options: { timeoutMs?: number; export?: string } = {}) {
  return settleModuleScoring(scorer(module, options).scoring(context(over)));
}

describe('a scorer module that gives a score', () => {
  it('returns a number: the score, with no details', async () => {
    expect(await settle('number.mjs', { answer: ' OSLO ' })).toEqual({ ok: true, result: { score: 1, details: {} } });
    expect(await settle('number.mjs', { answer: 'Bergen' })).toEqual({ ok: true, result: { score: 0, details: {} } });
  });

  it('returns { score, details } (here from a named async `score`, there being no default export)', async () => {
    expect(await settle('details.mjs', { answer: 'oslo city', reply: 'Oslo city' })).toEqual({
      ok: true,
      result: { score: 0.5, details: { exact: false, firstWord: true, replyLength: 9, note: null } },
    });
  });

  it('calls the export the experiment names, and a CommonJS module.exports', async () => {
    expect(await settle('named.mjs', {}, { export: 'grade' })).toEqual({ ok: true, result: { score: 1, details: {} } });
    expect(await settle('common.cjs', { answer: 'Bergen' })).toEqual({ ok: true, result: { score: 0, details: {} } });
  });

  it('sees the documented ctx, as a copy it may change freely', async () => {
    const ctx = context();
    const settled = await settleModuleScoring(scorer('echo.mjs').scoring(ctx));
    expect(settled).toEqual({
      ok: true,
      result: {
        score: 1,
        details: {
          task: 'generate',
          id: 'q1',
          input: 'Capital of Norway?',
          expected: 'Oslo',
          reply: 'Oslo',
          answer: 'Oslo',
          k: 2,
          shots: 'q7,q9',
          itemKeys: 'a,id,meta,q',
          ctxKeys: 'answer,expected,id,input,item,k,reply,shots,task',
        },
      },
    });
    const mutating = context({ reply: 'mutate' });
    expect(await settleModuleScoring(scorer('failures.mjs').scoring(mutating))).toEqual({ ok: true, result: { score: 1, details: {} } });
    expect(mutating.item.text).toBeUndefined();
    expect(mutating.shots).toEqual(['q7', 'q9']);
  });

  it("keeps the task's own details (classify's expected and predicted) over the scorer's", async () => {
    const scoring = scorer('echo.mjs').scoring(context(), { expected: 'billing', predicted: 'shipping' });
    const settled = await settleModuleScoring(scoring);
    expect(settled.ok && settled.result.details).toMatchObject({ expected: 'billing', predicted: 'shipping', answer: 'Oslo' });
  });

  it('is loaded once, however many answers it scores', async () => {
    const s = scorer('number.mjs');
    expect(s.load()).toBe(s.load());
    const results = await Promise.all(['Oslo', 'Bergen', 'oslo'].map((answer) => settleModuleScoring(s.scoring(context({ answer })))));
    expect(results.map((r) => r.ok && r.result.score)).toEqual([1, 0, 1]);
  });
});

describe('a scorer failure (never a crash): the message a trial records', () => {
  const cases: [string, RegExp][] = [
    ['range', /^scorer failures\.mjs returned 1\.5: a score must be in \[0, 1\]$/],
    ['negative', /^scorer failures\.mjs returned score -0\.1: a score must be in \[0, 1\]$/],
    ['nan', /^scorer failures\.mjs returned NaN: a score must be a finite number in \[0, 1\]$/],
    ['infinite', /^scorer failures\.mjs returned Infinity: a score must be a finite number in \[0, 1\]$/],
    ['string', /^scorer failures\.mjs returned "1" \(a string\): expected a number in \[0, 1\] or \{ score, details \}$/],
    ['nothing', /returned undefined \(did the function return a value\?\): expected a number in \[0, 1\] or \{ score, details \}$/],
    ['no-score', /returned an object without score: expected a number/],
    ['extra-key', /returned an object with key "detail": expected a number in \[0, 1\] or \{ score, details \}$/],
    ['throw', /^scorer failures\.mjs threw: refund table has no row for this item$/],
    ['throw-string', /^scorer failures\.mjs threw: plain string thrown$/],
    ['reject', /^scorer failures\.mjs rejected: TypeError: cannot read the refund amount$/],
    ['details-nested', /returned details\.amount = an object: a detail must be a number, boolean, string or null$/],
    ['details-array', /returned details an array: details must be an object whose values are numbers, booleans, strings or null$/],
    ['details-nan', /returned details\.ratio = NaN: a detail number must be finite$/],
    ['details-date', /returned details\.when = an object \(Date\): a detail must be a number, boolean, string or null$/],
  ];
  it.each(cases)('%s', async (reply, message) => {
    const settled = await settle('failures.mjs', { reply });
    expect(settled.ok).toBe(false);
    expect(!settled.ok && settled.message).toMatch(message);
  });

  it('a timeout: no answer within timeoutMs; an answer in time is a score', async () => {
    const started = performance.now();
    const settled = await settle('failures.mjs', { reply: 'hang' }, { timeoutMs: 40 });
    expect(settled).toEqual({ ok: false, message: 'scorer failures.mjs did not finish within 40 ms (task.scoring.timeoutMs)' });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(await settle('failures.mjs', { reply: 'slow' }, { timeoutMs: 2000 })).toEqual({ ok: true, result: { score: 1, details: {} } });
  });

  it('readScorerResult accepts exactly a number in [0, 1] or { score, details? }', () => {
    expect(readScorerResult(0)).toEqual({ score: 0, details: {} });
    expect(readScorerResult({ score: 1 })).toEqual({ score: 1, details: {} });
    expect(readScorerResult({ score: 0.3, details: { a: 'x', b: false, c: null, d: 2 } })).toEqual({
      score: 0.3,
      details: { a: 'x', b: false, c: null, d: 2 },
    });
    expect(() => readScorerResult(true)).toThrow(/returned true \(a boolean\)/);
    expect(() => readScorerResult(null)).toThrow(/returned null/);
    expect(() => readScorerResult([1])).toThrow(/returned an array/);
    expect(() => readScorerResult({ score: '1' })).toThrow(/returned score "1" \(a string\)/);
  });

  it('classifies a trial with scorerError as scorer_failure, an answer failure counted apart', () => {
    const base = trialSchema.parse({
      runId: 'r',
      provider: 'local',
      model: 'm',
      selector: 'random',
      k: 1,
      repeat: 0,
      itemId: 'q1',
      shotIds: ['q2'],
      promptHash: 'h',
      output: 'Oslo',
      finishReason: 'stop',
      parseOk: true,
      parseError: null,
      answer: 'Oslo',
      score: 0,
      details: {},
      error: null,
      tokensIn: 1,
      tokensOut: 1,
      cachedTokens: 0,
      latencyMs: 0,
      cached: false,
      requestId: null,
      scorerError: 'scorer x.mjs threw: boom',
    }) as TrialRecord;
    expect(base.scorerError).toBe('scorer x.mjs threw: boom');
    expect(classifyOutcome(base)).toBe('scorer_failure');
    const answered: TrialRecord = { ...base, scorerError: undefined };
    expect(classifyOutcome(answered)).toBe('answered');
    expect(countOutcomes([base, answered]).failures).toMatchObject({ scorer_failure: 1, parse_failure: 0 });
  });
});

describe('scoring: { module } in the experiment', () => {
  const dataset = { type: 'generate', data: { file: 'd.jsonl', fields: { input: 'q', output: 'a' } }, split: { poolSize: 2, evalItems: 2 } };
  const issues = (schema: typeof generateTaskSchema | typeof classifyTaskSchema, value: unknown) => {
    const result = schema.safeParse(value);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('takes module, export and timeoutMs (default 5000) on generate and classify', () => {
    expect(generateTaskSchema.parse({ ...dataset, scoring: { module: './scorers/refund.mjs' } }).scoring).toEqual({
      module: './scorers/refund.mjs',
      timeoutMs: 5000,
    });
    const labelled = { ...dataset, type: 'classify', data: { file: 'd.jsonl', fields: { input: 'q', label: 'l' } } };
    expect(classifyTaskSchema.parse({ ...labelled, scoring: { module: 's.js', export: 'grade', timeoutMs: 200 } }).scoring).toEqual({
      module: 's.js',
      export: 'grade',
      timeoutMs: 200,
    });
    expect(classifyTaskSchema.parse(labelled).scoring).toBeUndefined();
    expect(issues(classifyTaskSchema, { ...labelled, scoring: { method: 'exact' } })).toContain('scoring: Unrecognized key: "method"');
  });

  it('reports a mistake against the form meant', () => {
    expect(issues(generateTaskSchema, { ...dataset, scoring: { module: 's.mjs', timeoutMs: 0 } })).toEqual([
      'scoring.timeoutMs: Too small: expected number to be >=1',
    ]);
    expect(issues(generateTaskSchema, { ...dataset, scoring: { module: 's.mjs', method: 'exact' } })).toEqual(['scoring: Unrecognized key: "method"']);
    expect(issues(generateTaskSchema, { ...dataset, scoring: { module: 's.mjs', export: 'not a name' } })[0]).toMatch(
      /^scoring\.export: expected the name of an export/,
    );
    expect(issues(generateTaskSchema, { ...dataset, scoring: { module: 'score.py' } })).toEqual([
      'scoring.module: expected a JavaScript module (.mjs, .js, .cjs), got ".py"',
    ]);
    // The built-in methods read as before.
    expect(issues(generateTaskSchema, { ...dataset, scoring: { method: 'exact', pattern: 'x' } })).toEqual([
      'scoring.pattern: pattern applies only to method: regex',
    ]);
  });

  it('refuses TypeScript where Node cannot import it (Node 20), saying to compile it or use .mjs', () => {
    expect(scorerExtensionProblem('scorers/refund.ts', false)).toMatch(
      /^scorers\/refund\.ts is TypeScript, which Node [\d.]+ cannot import without a flag: compile it to JavaScript .* or write the scorer in \.mjs$/,
    );
    expect(scorerExtensionProblem('scorers/refund.mts', true)).toBeNull();
    expect(scorerExtensionProblem('scorers/refund.mjs', false)).toBeNull();
  });
});

// --- validate and sweep, in process (main() is the CLI's entry point) ---

const QA = [
  ['q1', 'Capital of France?', 'Paris'],
  ['q2', 'Capital of Norway?', 'Oslo'],
  ['q3', 'Largest planet?', 'Jupiter'],
  ['q4', 'Capital of Italy?', 'Rome'],
  ['q5', 'Smallest planet?', 'Mercury'],
  ['q6', 'Capital of Spain?', 'Madrid'],
  ['q7', 'Capital of Japan?', 'Tokyo'],
  ['q8', 'Red planet?', 'Mars'],
  ['q9', 'Capital of Peru?', 'Lima'],
  ['q10', 'Ringed planet?', 'Saturn'],
  ['q11', 'Capital of Chile?', 'Santiago'],
  ['q12', 'Capital of Kenya?', 'Nairobi'],
];

let experiments = 0;

/** An experiment in a folder of its own, with the fixture scorers copied to scorers/ beside it. */
function experiment(scoring: string, options: { type?: 'generate' | 'classify'; shots?: string; copy?: string[] } = {}): string {
  const dir = join(tmp, `exp-${++experiments}`);
  mkdirSync(join(dir, 'scorers'), { recursive: true });
  for (const file of options.copy ?? [
    'number.mjs',
    'named.mjs',
    'no-function.mjs',
    'broken.mjs',
    'top-level-throw.mjs',
    'flaky.mjs',
    'zero.mjs',
    'self-check-throws.mjs',
    'refund.ts',
    'details.mjs',
  ]) {
    copyFileSync(join(FIXTURES, file), join(dir, 'scorers', file));
  }
  const classify = options.type === 'classify';
  const rows = QA.map(([id, q, a]) => ({ id, q, a, kind: a!.startsWith('M') || /planet/.test(q!) ? 'planet' : 'city' }));
  writeFileSync(join(dir, 'qa.jsonl'), `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  const fields = classify ? '{ input: q, label: kind, id: id }' : '{ input: q, output: a, id: id }';
  const path = join(dir, 'experiment.yaml');
  writeFileSync(
    path,
    [
      'name: scorers',
      'seed: 7',
      'task:',
      `  type: ${classify ? 'classify' : 'generate'}`,
      `  data: { file: qa.jsonl, fields: ${fields} }`,
      '  split: { poolSize: 6, evalItems: 6 }',
      `  scoring: ${scoring}`,
      `shots: ${options.shots ?? '[0, 1, 2]'}`,
      'selectors: [random]',
      'providers: [local]',
      `out: ${join(dir, 'results')}`,
    ].join('\n'),
  );
  return path;
}

/** `fewshot validate` in process: its exit code and what it printed. */
async function validate(path: string): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
  const code = await main(['validate', path]);
  vi.restoreAllMocks();
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('fewshot validate with a scorer module', () => {
  it('accepts a good scorer, trying it on the first item without a note', async () => {
    const result = await validate(experiment('{ module: ./scorers/number.mjs }'));
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain('valid experiment "scorers"');
    expect(result.out).not.toContain('note: scorer');
  });

  it('a missing file: exit 2 naming it', async () => {
    const path = experiment('{ module: ./scorers/nowhere.mjs }');
    const result = await validate(path);
    expect(result.code).toBe(2);
    expect(result.err).toBe(`error: ${join(dirname(path), 'scorers', 'nowhere.mjs')}: cannot read the scorer module (task.scoring.module): no such file`);
  });

  it('no function to call, or no export of the name given: exit 2 naming the file and its exports', async () => {
    const none = experiment('{ module: ./scorers/no-function.mjs }');
    const a = await validate(none);
    expect(a.code).toBe(2);
    expect(a.err).toBe(
      `error: ${join(dirname(none), 'scorers', 'no-function.mjs')}: the scorer module exports no function to call: ` +
        'expected a default export or an export named "score" that is a function, or name another with task.scoring.export (its exports: default, threshold)',
    );
    const named = experiment('{ module: ./scorers/named.mjs, export: scoreIt }');
    const b = await validate(named);
    expect(b.code).toBe(2);
    expect(b.err).toContain(
      `${join(dirname(named), 'scorers', 'named.mjs')}: the scorer module has no export named "scoreIt" (task.scoring.export; its exports: grade, version)`,
    );
    const notFunction = await validate(experiment('{ module: ./scorers/named.mjs, export: version }'));
    expect(notFunction.err).toContain('exports "version" as 2 (a number), not a function');
    expect((await validate(experiment('{ module: ./scorers/named.mjs, export: grade }'))).code).toBe(0);
  });

  it('a module that does not load (a syntax error, a throw at its top level): exit 2 naming the file', async () => {
    const broken = experiment('{ module: ./scorers/broken.mjs }');
    const a = await validate(broken);
    expect(a.code).toBe(2);
    // Node says SyntaxError (with the line); under vitest the module runner's parser words it its own way.
    expect(a.err).toMatch(
      new RegExp(`^error: ${escapeRegExp(join(dirname(broken), 'scorers', 'broken.mjs'))}(:3)?: cannot load the scorer module \\(task.scoring.module\\): \\S`),
    );
    const throws = experiment('{ module: ./scorers/top-level-throw.mjs }');
    const b = await validate(throws);
    expect(b.code).toBe(2);
    expect(b.err).toContain(`${join(dirname(throws), 'scorers', 'top-level-throw.mjs')}:`);
    expect(b.err).toContain('cannot load the scorer module (task.scoring.module): the scorer needs REFUND_TABLE to be set');
  });

  it.runIf(!(process.features as { typescript?: unknown }).typescript)(
    'refuses a .ts scorer on a Node that cannot import it: exit 2, compile it or use .mjs',
    async () => {
      const result = await validate(experiment('{ module: ./scorers/refund.ts }'));
      expect(result.code).toBe(2);
      expect(result.err).toContain('error: invalid experiment');
      expect(result.err).toMatch(
        /experiment\.yaml:7:\d+: task\.scoring\.module: \.\/scorers\/refund\.ts is TypeScript, which Node [\d.]+ cannot import without a flag/,
      );
      expect(result.err).toContain('compile it to JavaScript (e.g. npx tsc, or esbuild) and name the .mjs or .js file, or write the scorer in .mjs');
    },
  );

  it('tries the scorer on the first item with its own expected output: a failure is exit 2, a score other than 1 a note', async () => {
    const throws = experiment('{ module: ./scorers/self-check-throws.mjs }');
    const a = await validate(throws);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(
      /scorers\/self-check-throws\.mjs: tried on the first evaluation item \(q\d+\) with its own expected output as the reply, the scorer failed: scorer \.\/scorers\/self-check-throws\.mjs threw: cannot score q\d+: missing column refund_amount$/,
    );
    const zero = await validate(experiment('{ module: ./scorers/zero.mjs }'));
    expect(zero.code).toBe(0);
    expect(zero.out).toMatch(
      /note: scorer \.\/scorers\/zero\.mjs gives 0 \(not 1\) to the first evaluation item \(q\d+\) answered with its own expected output: check that this is intended/,
    );
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('a sweep scored by a module, with the local provider', () => {
  const readTrials = (runDir: string): TrialRecord[] =>
    readFileSync(join(runDir, 'trials.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as TrialRecord);

  it('records each scorer failure on its trial and counts scorer_failure in the summary and the report', async () => {
    const path = experiment('{ module: ./scorers/flaky.mjs, timeoutMs: 1000 }');
    const result = await runSweep({ experimentPath: path, quiet: true, log: () => {} });
    expect(result.status).toBe('complete');
    const trials = readTrials(result.runDir);
    expect(trials).toHaveLength(18);
    for (const t of trials) expect(() => trialSchema.parse(t)).not.toThrow();
    const atTwo = trials.filter((t) => t.k === 2);
    expect(atTwo.every((t) => t.scorerError !== undefined && t.score === 0 && t.error === null && t.parseOk)).toBe(true);
    for (const t of atTwo) {
      expect(t.scorerError).toBe(
        t.itemId.endsWith('1')
          ? `scorer ./scorers/flaky.mjs threw: no refund rule for ${t.itemId}`
          : 'scorer ./scorers/flaky.mjs returned 7: a score must be in [0, 1]',
      );
    }
    // k = 0: the local learner has no shot to copy (an empty answer, never scored); k = 1: scored by the module.
    expect(trials.filter((t) => t.k !== 2).some((t) => 'scorerError' in t)).toBe(false);
    const one = trials.filter((t) => t.k === 1);
    expect(one.every((t) => typeof t.details.calls === 'number')).toBe(true);

    const summary = JSON.parse(readFileSync(join(result.runDir, 'summary.json'), 'utf8')) as RunSummary;
    expect(summary.totals.failures.scorer_failure).toBe(6);
    const cell = summary.cells.find((c) => c.k === 2)!;
    expect(cell.outcomes).toMatchObject({ answered: 0, scorer_failure: 6 });
    // Counted 0 in the decision accuracy, like an answer failure; left out of the accuracy among parsed replies.
    expect(cell.accuracy).toMatchObject({ estimate: 0, n: 6 });
    expect(cell.parsedAccuracy).toBeNull();
    const point = summary.curves[0]!.points.find((p) => p.k === 2)!;
    expect(point.failures.scorer_failure).toBe(6);
    expect(point.answerFailureRate).toBe(1);

    const markdown = readFileSync(join(result.runDir, 'summary.md'), 'utf8');
    expect(markdown).toContain('scorer failures');
    // The drill-down carries each sampled trial's message (shown as "scorer failure: <message>").
    const html = readFileSync(result.reportPath, 'utf8');
    expect(html).toContain(`"scorerError":${JSON.stringify(atTwo[0]!.scorerError)}`);
    expect(html).toContain('#drilldown tr.outcome-scorer_failure td');

    // `fewshot report` rebuilds the same counts from trials.jsonl alone (it does not rescore).
    vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await main(['report', result.runDir])).toBe(0);
    const rebuilt = JSON.parse(readFileSync(join(result.runDir, 'summary.json'), 'utf8')) as RunSummary;
    expect(rebuilt.totals.failures).toEqual(summary.totals.failures);
  });

  it('a classify task keeps its confusion details beside the scorer’s', async () => {
    const path = experiment('{ module: ./scorers/details.mjs }', { type: 'classify', shots: '[0, 2]' });
    const result = await runSweep({ experimentPath: path, quiet: true, log: () => {} });
    const trials = readTrials(result.runDir).filter((t) => t.parseOk);
    expect(trials.length).toBeGreaterThan(0);
    for (const t of trials) {
      expect(Object.keys(t.details).sort()).toEqual(['exact', 'expected', 'firstWord', 'note', 'predicted', 'replyLength']);
      expect(t.score).toBe(t.details.exact ? 1 : t.details.firstWord ? 0.5 : 0);
    }
    const summary = JSON.parse(readFileSync(join(result.runDir, 'summary.json'), 'utf8')) as RunSummary;
    expect(summary.cells.some((c) => c.confusion !== undefined)).toBe(true);
  });

  it('an edited scorer module is fingerprinted apart from the prompt, and compare names the file', async () => {
    const path = experiment('{ module: ./scorers/number.mjs }', { shots: '[0, 1]' });
    const before = await runSweep({ experimentPath: path, quiet: true, log: () => {} });
    const scorerPath = join(dirname(path), 'scorers', 'number.mjs');
    writeFileSync(scorerPath, `${readFileSync(scorerPath, 'utf8')}\n// stricter rule, same export\n`);
    const after = await runSweep({ experimentPath: path, quiet: true, log: () => {} });
    const prompt = (dir: string) => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).prompt;
    const [a, b] = [prompt(before.runDir), prompt(after.runDir)];
    expect(a.scoringFiles).toEqual([{ name: './scorers/number.mjs', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(b.scoringFiles[0].sha256).not.toBe(a.scoringFiles[0].sha256);
    // The prompt itself did not change: its hash is the same.
    expect(b.hash).toBe(a.hash);
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((text: string | Uint8Array) => out.push(String(text)) > 0);
    expect(await main(['compare', before.runDir, after.runDir])).toBe(0);
    expect(out.join('\n')).toContain('template unchanged');
    expect(out.join('\n')).toContain('scoring file changed: ./scorers/number.mjs');
  });

  it('a summary written before scorer_failure existed still reads, its count 0', async () => {
    const path = experiment('{ module: ./scorers/number.mjs }', { shots: '[0, 1]' });
    const result = await runSweep({ experimentPath: path, quiet: true, log: () => {} });
    const text = readFileSync(join(result.runDir, 'summary.json'), 'utf8');
    const old = JSON.parse(text, (key, value) => (key === 'scorer_failure' ? undefined : value));
    expect(text).toContain('scorer_failure');
    expect(JSON.stringify(old)).not.toContain('scorer_failure');
    const read = parseSummary(old, 'summary.json');
    expect(read.totals.failures.scorer_failure).toBe(0);
    expect(read.cells.every((c) => c.outcomes.scorer_failure === 0)).toBe(true);
    expect(read.curves.every((c) => c.points.every((p) => p.failures.scorer_failure === 0))).toBe(true);
  });
});
