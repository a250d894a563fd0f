// fewshot compare and the CI gate (sweep --baseline) end to end, through the built CLI: with the
// `local` provider, and with the fake OpenAI server (127.0.0.1 only) scripted to answer right unless the
// system prompt carries a marker. An unchanged rerun compares clean and pays for no call; a harmful
// change exits 1 and names its cells; a change to one selector leaves the others clean; malformed
// inputs exit 2 with their message.

import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CompareResult } from '../src/compare/types.js';
import type { RunInfo } from '../src/records/run-info.js';
import type { TrialRecord } from '../src/records/trial.js';
import { SENTINEL } from './providers-helpers.js';
import { startOpenAIServer, type FakeServer } from './servers/index.js';

const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');
const TICKETS = join(import.meta.dirname, '..', 'experiments', 'data', 'tickets.jsonl');
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-compare-cli-'));
const servers: FakeServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** No key or cache folder from the developer's environment; SDK defaults point at a closed port. */
function testEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY', 'FEWSHOT_CACHE_DIR']) delete env[key];
  for (const key of ['OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'GOOGLE_GEMINI_BASE_URL']) env[key] = 'http://127.0.0.1:9';
  return { ...env, OPENAI_API_KEY: SENTINEL };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** spawn, not spawnSync: the fake server runs in this process and must keep answering. */
function fewshot(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: tmp, env: testEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function write(path: string, text: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** The one run folder under `out`. */
function runDir(out: string): string {
  const runs = readdirSync(join(tmp, out));
  expect(runs).toHaveLength(1);
  return join(tmp, out, runs[0]!);
}

const readJson = <T>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T;
const cellsOf = (r: CompareResult, verdict: string) => r.cells.filter((c) => c.verdict === verdict).map((c) => `${c.provider} / ${c.selector} / k=${c.k}`);

// ---------------------------------------------------------------------------------------------
// The local provider on the bundled tickets: its kNN learner reads the shots, so a selector matters.

function ticketsExperiment(file: string, selectors: string): string {
  return write(
    join(tmp, file),
    [
      'name: tickets-ci',
      'seed: 7',
      'task:',
      '  type: classify',
      `  data: { file: ${JSON.stringify(TICKETS)}, fields: { input: text, label: label, id: id } }`,
      '  split: { poolSize: 120, evalItems: 60 }',
      'shots: [0, 4, 16]',
      `selectors: ${selectors}`,
      'providers: [local]',
    ].join('\n'),
  );
}

describe('fewshot compare with the local provider', () => {
  const base = ticketsExperiment('local/exp.yaml', '[random, similar]');

  it('an unchanged rerun compares clean (exit 0) and makes no provider call; run.json carries the prompt fingerprint', async () => {
    const first = await fewshot(['sweep', base, '--out', 'local-base', '--quiet']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('0 new calls, 0 from the cache');
    const again = await fewshot(['sweep', base, '--out', 'local-same', '--quiet', '--baseline', 'local-base']);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(again.stdout).toContain('0 new calls, 0 from the cache');
    expect(again.stdout).toContain('fewshot compare: no regression in 5 compared cells');
    expect(again.stdout).toContain('prompt: template unchanged');
    const dir = runDir('local-same');
    for (const f of ['compare.md', 'compare.json', 'compare.junit.xml']) expect(existsSync(join(dir, f)), f).toBe(true);
    const result = readJson<CompareResult>(join(dir, 'compare.json'));
    expect(result.verdict).toBe('clean');
    expect(result.cells.every((c) => c.accuracy.estimate === 0 && c.accuracy.nItems === 60)).toBe(true);
    expect(result.prompt).toEqual({
      templateChanged: false,
      settingsChanged: false,
      itemsChanged: false,
      settingsChanges: [],
      diff: [],
      templateFiles: [],
      scoringFiles: [],
    });

    const info = readJson<RunInfo>(join(dir, 'run.json'));
    expect(info.prompt?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(info.prompt?.settingsHash).toMatch(/^[0-9a-f]{64}$/);
    expect(info.prompt?.template).toMatch(/^# classify: evaluation item \S+ with shots \S+, \S+\n\n\[system\]\n.*Answer with the label only\.\n\n\[user\]\n/s);
    expect(info.prompt?.template.match(/^\[(user|assistant)\]$/gm)).toEqual(['[user]', '[assistant]', '[user]', '[assistant]', '[user]']);

    // The compare command says the same, in each output.
    const table = await fewshot(['compare', 'local-base', join('local-same', readdirSync(join(tmp, 'local-same'))[0]!)]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^local\s+similar\s+16\s+60\s+[\d.]+%\s+[\d.]+%\s+0\.0 \[-3\.2, 3\.2\]\s+1\.000\s+ok$/m);
  });

  it('a change to one selector regresses its cells only; the other selector and zero-shot stay clean', async () => {
    // The "similar" arm now shows the pool's first examples: same label, other shots.
    const changed = ticketsExperiment('local-changed/exp.yaml', '[random, { name: first, label: similar }]');
    const run = await fewshot(['sweep', changed, '--out', 'local-changed-out', '--quiet', '--baseline', 'local-base']);
    expect(run.code, run.stderr + run.stdout).toBe(1);
    expect(run.stdout).toContain('fewshot compare: 2 regressions in 5 compared cells');
    expect(run.stdout).toMatch(/^ {2}local \/ similar \/ k=4: accuracy dropped [\d.]+ points \(p < 0\.001 after Holm\)/m);
    expect(run.stdout).toContain('  selectors.similar.name: "similar" -> "first"');
    const dir = runDir('local-changed-out');
    const result = readJson<CompareResult>(join(dir, 'compare.json'));
    expect(cellsOf(result, 'regression')).toEqual(['local / similar / k=4', 'local / similar / k=16']);
    expect(cellsOf(result, 'no-significant-change')).toEqual(['local / none / k=0', 'local / random / k=4', 'local / random / k=16']);
    for (const c of result.cells.filter((x) => x.selector !== 'similar')) expect(c.accuracy.estimate).toBe(0);

    // compare: files for each output, one printed; --fail-on none never fails; bad combinations are refused.
    const cand = join('local-changed-out', readdirSync(join(tmp, 'local-changed-out'))[0]!);
    const md = await fewshot(['compare', 'local-base', cand, '--markdown', '--junit', 'out.xml', '--json', 'out.json']);
    expect(md.code).toBe(1);
    expect(md.stdout.startsWith('## :x: fewshot compare: 2 regressions in 5 compared cells\n')).toBe(true);
    expect(readFileSync(join(tmp, 'out.xml'), 'utf8')).toContain('<testsuite name="local" tests="6" failures="2"');
    expect(readJson<CompareResult>(join(tmp, 'out.json')).counts.regressions).toBe(2);
    expect((await fewshot(['compare', 'local-base', cand, '--fail-on', 'none'])).code).toBe(0);
    // With a margin wider than the drops, nothing regresses.
    expect((await fewshot(['compare', 'local-base', cand, '--margin', '0.6'])).code).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// The fake OpenAI server: right answers unless the system prompt carries the marker.

const LABELS = ['account', 'billing', 'returns', 'shipping'] as const;
const MARKER = 'TERSE-MODE';

function serverDataset(): { path: string; labelOf: Map<string, string> } {
  const topics: Record<(typeof LABELS)[number], string> = {
    account: 'I cannot log in to my profile',
    billing: 'I was charged twice on my card',
    returns: 'I want to send the kettle back',
    shipping: 'my parcel has not arrived yet',
  };
  const labelOf = new Map<string, string>();
  const lines: string[] = [];
  for (let i = 0; i < 48; i++) {
    const label = LABELS[i % LABELS.length]!;
    const text = `Ticket ${i}: ${topics[label]} (ref ${(i * 7919) % 1000})`;
    labelOf.set(text, label);
    lines.push(JSON.stringify({ id: `S${String(i).padStart(3, '0')}`, text, label }));
  }
  return { path: write(join(tmp, 'server-data', 'tickets.jsonl'), `${lines.join('\n')}\n`), labelOf };
}

async function labelServer(labelOf: Map<string, string>): Promise<FakeServer> {
  const s = await startOpenAIServer();
  servers.push(s);
  s.script((req) => {
    const messages = req.body.messages as { role: string; content: string }[];
    const item = messages[messages.length - 1]!.content;
    const right = labelOf.get(item) ?? 'unknown';
    const system = messages.find((m) => m.role === 'system')?.content ?? '';
    // The "harmful" template: a wrong (but valid) label, so accuracy drops and nothing fails to parse.
    const text = system.includes(MARKER) ? LABELS[(LABELS.indexOf(right as (typeof LABELS)[number]) + 1) % LABELS.length]! : right;
    return { kind: 'text', text, tokensIn: 200, tokensOut: 2 };
  });
  return s;
}

function serverExperiment(folder: string, dataPath: string, s: FakeServer, systemPrompt?: string): string {
  const providers = [
    { id: 'openai:gpt-4o-mini', baseUrl: `${s.url}/v1`, temperature: 0, ...(systemPrompt !== undefined && { systemPrompt }) },
    { id: 'openai-compatible:llama3', baseUrl: `${s.url}/v1`, temperature: 0 },
  ];
  return write(
    join(tmp, folder, 'exp.yaml'),
    [
      'name: server-ci',
      'seed: 3',
      'task:',
      '  type: classify',
      `  data: { file: ${JSON.stringify(dataPath)}, fields: { input: text, label: label, id: id } }`,
      '  split: { poolSize: 16, evalItems: 20 }',
      'shots: [0, 2]',
      'selectors: [random]',
      'providers:',
      ...providers.map((p) => `  - ${JSON.stringify(p)}`),
    ].join('\n'),
  );
}

describe('the CI gate (sweep --baseline) against the fake OpenAI server', () => {
  it('unchanged: zero requests, exit 0; a harmful system prompt: exit 1 naming its cells, only its calls paid', async () => {
    const { path, labelOf } = serverDataset();
    const s = await labelServer(labelOf);
    const cache = join(tmp, 'server-cache');
    const base = serverExperiment('server-base', path, s);
    const trialsPerProvider = 20 * 2; // items x (k = 0, random k = 2)

    const first = await fewshot(['sweep', base, '--out', 'server-base-out', '--cache-dir', cache, '--quiet']);
    expect(first.code, first.stderr).toBe(0);
    expect(s.requests).toHaveLength(2 * trialsPerProvider);
    expect(first.stdout).toContain(`${2 * trialsPerProvider} new calls, 0 from the cache`);
    const baseTrials = readFileSync(join(runDir('server-base-out'), 'trials.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TrialRecord);
    expect(baseTrials.every((t) => t.score === 1)).toBe(true); // the server answers right

    // The unchanged rerun against the baseline: every call from the cache, nothing flagged.
    const same = await fewshot([
      'sweep',
      base,
      '--out',
      'server-same-out',
      '--cache-dir',
      cache,
      '--quiet',
      '--baseline',
      'server-base-out',
      '--fail-on',
      'flag',
    ]);
    expect(same.code, same.stderr + same.stdout).toBe(0);
    expect(s.requests).toHaveLength(2 * trialsPerProvider);
    expect(same.stdout).toContain(`0 new calls, ${2 * trialsPerProvider} from the cache`);
    expect(same.stdout).toContain('fewshot compare: no regression in 4 compared cells');
    expect(readJson<CompareResult>(join(runDir('server-same-out'), 'compare.json')).verdict).toBe('clean');

    // The candidate changes gpt-4o-mini's system prompt only: its cells are asked again (and regress), llama3's come from the cache.
    const harmful = serverExperiment('server-harmful', path, s, `Classify the ticket. ${MARKER}: answer in one word.`);
    const cand = await fewshot(['sweep', harmful, '--out', 'server-harmful-out', '--cache-dir', cache, '--quiet', '--baseline', 'server-base-out']);
    expect(cand.code, cand.stderr + cand.stdout).toBe(1);
    const newRequests = s.requests.slice(2 * trialsPerProvider);
    expect(newRequests).toHaveLength(trialsPerProvider);
    expect(newRequests.every((r) => r.body.model === 'gpt-4o-mini')).toBe(true);
    expect(cand.stdout).toContain(`${trialsPerProvider} new calls, ${trialsPerProvider} from the cache`);
    console.log(
      `the candidate sweep's last lines:\n${cand.stdout
        .split('\n')
        .filter((l) => /^(done|stopped early): |^\d+ new calls?, /.test(l))
        .join('\n')}`,
    );
    expect(cand.stdout).toContain('fewshot compare: 2 regressions in 4 compared cells');
    expect(cand.stdout).toContain('  openai:gpt-4o-mini / none / k=0: accuracy dropped 100.0 points (p < 0.001 after Holm), at least the 3.0-point margin');
    expect(cand.stdout).toContain('  openai:gpt-4o-mini / random / k=2: accuracy dropped 100.0 points (p < 0.001 after Holm), at least the 3.0-point margin');
    expect(cand.stdout).toContain('  providers.openai:gpt-4o-mini.systemPrompt: (unset) -> "Classify the ticket. TERSE-MODE: answer in one word."');

    const dir = runDir('server-harmful-out');
    const result = readJson<CompareResult>(join(dir, 'compare.json'));
    expect(cellsOf(result, 'regression')).toEqual(['openai:gpt-4o-mini / none / k=0', 'openai:gpt-4o-mini / random / k=2']);
    expect(cellsOf(result, 'no-significant-change')).toEqual(['openai-compatible:llama3 / none / k=0', 'openai-compatible:llama3 / random / k=2']);
    expect(result.candidate).toEqual(expect.objectContaining({ trials: 2 * trialsPerProvider, cachedTrials: trialsPerProvider, newCalls: trialsPerProvider }));
    // The rendered template shows the override, so the diff says what changed.
    expect(result.prompt.templateChanged).toBe(true);
    expect(result.prompt.diff).toContain("+# openai:gpt-4o-mini: systemPrompt replaces the task's system turn");
    expect(result.prompt.diff).toContain(`+Classify the ticket. ${MARKER}: answer in one word.`);

    const md = readFileSync(join(dir, 'compare.md'), 'utf8');
    expect(md).toContain('| openai:gpt-4o-mini / random / k=2 | 20 | 100.0% | 0.0% |');
    expect(md).toContain(`+Classify the ticket. ${MARKER}: answer in one word.`);
    const junit = readFileSync(join(dir, 'compare.junit.xml'), 'utf8');
    expect(junit).toContain('<testsuite name="openai:gpt-4o-mini" tests="3" failures="2"');
    expect(junit).toContain('<testsuite name="openai-compatible:llama3" tests="3" failures="0"');
    if (process.env.FEWSHOT_SHOW_COMPARE) console.log(md);
  });
});

// ---------------------------------------------------------------------------------------------

describe('malformed input exits 2 with its message', () => {
  const valid = () => join('local-base', readdirSync(join(tmp, 'local-base'))[0]!);

  function brokenRun(name: string, edit: (dir: string) => void): string {
    const dir = join(tmp, 'broken', name);
    cpSync(join(tmp, valid()), dir, { recursive: true });
    edit(dir);
    return join('broken', name);
  }

  async function expectBadInput(args: string[], message: string | RegExp): Promise<void> {
    const run = await fewshot(args);
    expect(run.code, run.stdout + run.stderr).toBe(2);
    if (typeof message === 'string') expect(run.stderr).toContain(`error: ${message}`);
    else expect(run.stderr).toMatch(message);
  }

  it('unknown paths, folders that are not runs, unreadable run.json and trials.jsonl', async () => {
    // Needs the local run made above (vitest runs a file's tests in order).
    expect(existsSync(join(tmp, 'local-base'))).toBe(true);
    mkdirSync(join(tmp, 'empty-folder'), { recursive: true });
    const badJson = brokenRun('bad-json', (d) => writeFileSync(join(d, 'run.json'), '{ "runId": '));
    const noTask = brokenRun('no-task', (d) => {
      const info = readJson<Record<string, unknown>>(join(d, 'run.json'));
      delete info.task;
      writeFileSync(join(d, 'run.json'), JSON.stringify(info));
    });
    const badLine = brokenRun('bad-line', (d) => {
      const lines = readFileSync(join(d, 'trials.jsonl'), 'utf8').split('\n');
      lines[1] = '{"provider": "local", oops';
      writeFileSync(join(d, 'trials.jsonl'), lines.join('\n'));
    });
    const missingField = brokenRun('missing-field', (d) => {
      const lines = readFileSync(join(d, 'trials.jsonl'), 'utf8').split('\n');
      const t = JSON.parse(lines[2]!) as Record<string, unknown>;
      delete t.itemId;
      lines[2] = JSON.stringify(t);
      writeFileSync(join(d, 'trials.jsonl'), lines.join('\n'));
    });
    const noTrials = brokenRun('no-trials', (d) => rmSync(join(d, 'trials.jsonl')));
    // A torn last line is a crash's, and is tolerated with a notice.
    const torn = brokenRun('torn', (d) => writeFileSync(join(d, 'trials.jsonl'), `${readFileSync(join(d, 'trials.jsonl'), 'utf8')}{"provider": "lo`));
    const [ok] = await Promise.all([
      fewshot(['compare', valid(), torn]),
      expectBadInput(['compare', 'no-such-run', valid()], 'baseline no-such-run: no such file or folder'),
      expectBadInput(
        ['compare', valid(), join(valid(), 'run.json')],
        `candidate ${join(valid(), 'run.json')}: not a folder; expected a results folder written by "fewshot sweep" (run.json and trials.jsonl)`,
      ),
      expectBadInput(['compare', 'empty-folder', valid()], 'baseline empty-folder: no run.json in it or in its subfolders'),
      expectBadInput(['compare', valid(), badJson], new RegExp(`error: candidate ${badJson}/run\\.json: not valid JSON \\(`)),
      expectBadInput(['compare', noTask, valid()], `baseline ${noTask}/run.json: not a fewshot run.json: field "task": `),
      expectBadInput(['compare', valid(), badLine], new RegExp(`error: candidate ${badLine}/trials\\.jsonl:2: not valid JSON`)),
      expectBadInput(
        ['compare', valid(), missingField],
        `candidate ${missingField}/trials.jsonl:3: not a trial record: missing field "itemId" (expected string)`,
      ),
      expectBadInput(['compare', noTrials, valid()], `baseline ${noTrials}/trials.jsonl: not found`),
    ]);
    expect(ok!.code, ok!.stderr).toBe(0);
    expect(ok!.stdout).toContain('skipped an incomplete last line');
  });

  it('mismatched experiments, bad flags, and a gate whose baseline cannot be used (nothing is run)', async () => {
    const renamed = brokenRun('renamed', (d) => {
      const info = readJson<RunInfo>(join(d, 'run.json'));
      writeFileSync(join(d, 'run.json'), JSON.stringify({ ...info, experiment: { ...info.experiment, name: 'other' } }));
    });
    const exp = join(tmp, 'local', 'exp.yaml');
    const [allowed] = await Promise.all([
      fewshot(['compare', valid(), renamed, '--allow-different-experiments']),
      expectBadInput(
        ['compare', valid(), renamed],
        `mismatched experiments: the baseline (${valid()}) is experiment "tickets-ci", the candidate (${renamed}) "other"; pass --allow-different-experiments to compare a renamed experiment`,
      ),
      expectBadInput(['compare', valid(), valid(), '--margin', '2'], '--margin: expected a number in [0, 1), e.g. 0.03 for 3 points, got 2'),
      expectBadInput(
        ['compare', valid(), valid(), '--markdown', '--json'],
        '--markdown and --json: only one output can be printed; give the others a file name',
      ),
      expectBadInput(['compare', valid(), valid(), '--fail-on', 'sometimes'], /Invalid values:\s+Argument: fail-on, Given: "sometimes"/),
      // An output file never lands on the record being compared, and two outputs never share a file.
      expectBadInput(
        ['compare', valid(), renamed, '--allow-different-experiments', '--markdown', join(renamed, 'run.json')],
        `--markdown ${join(renamed, 'run.json')}: inside the candidate run (${renamed}), whose files are the record being compared; write it elsewhere`,
      ),
      expectBadInput(
        ['compare', valid(), valid(), '--json', join(valid(), 'trials.jsonl')],
        `--json ${join(valid(), 'trials.jsonl')}: inside the baseline run (${valid()}), whose files are the record being compared; write it elsewhere`,
      ),
      expectBadInput(
        ['compare', valid(), valid(), '--json', 'same.out', '--junit', 'same.out'],
        '--json same.out: --junit writes that file too; give each output its own file',
      ),
      expectBadInput(['sweep', exp, '--out', 'never', '--fail-on', 'regression'], '--fail-on needs --baseline <results folder>'),
      expectBadInput(['sweep', exp, '--out', 'never', '--baseline', 'no-such-baseline'], 'baseline no-such-baseline: no such file or folder'),
      expectBadInput(
        ['sweep', exp, '--out', 'never', '--baseline', 'server-base-out'],
        /error: mismatched experiments: the baseline \(server-base-out\/server-ci-\w+\) is experiment "server-ci", the candidate \(\S+exp\.yaml\) "tickets-ci"/,
      ),
    ]);
    expect(allowed!.code, allowed!.stderr).toBe(0);
    expect(allowed!.stdout).toContain('different experiments compared: "tickets-ci" and "other"');
    expect(existsSync(join(tmp, 'never'))).toBe(false);
  });
});
