// Prompt variants as a sweep dimension: several `prompts:` entries run as separate curves over the
// same items, shots and providers; trials carry `prompt`; summary.json keys cells, curves and advice
// by it and compares the variants cell by cell (family `prompt-variants`); the report draws them side
// by side; compare matches variants by id and names the changed template file. Offline: the real
// OpenAI SDK against the fake server on 127.0.0.1, which answers right only when asked politely.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSweep } from '../src/app/sweep-and-report.js';
import { compareCommand } from '../src/compare/command.js';
import { compareRuns, loadRun } from '../src/compare/index.js';
import { compareOptions } from '../src/compare/command.js';
import { estimateSweep } from '../src/runner/estimate.js';
import { prepareSweep } from '../src/runner/prepare.js';
import { readSummary } from '../src/records/summary.js';
import type { TrialRecord } from '../src/records/trial.js';
import { fakeSleep, SENTINEL, trackServers } from './providers-helpers.js';
import { startOpenAIServer, type FakeServer } from './servers/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'fewshot-variants-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const track = trackServers();
const ENV = { OPENAI_API_KEY: SENTINEL };
const LABELS = ['billing', 'shipping'];
const ITEMS = 30;

function write(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** A classify experiment with two prompt variants: terse ("{{ input }}") and polite ("Please classify: ..."). */
function experiment(dir: string, providers: Record<string, unknown>[]): string {
  const lines = Array.from({ length: 60 }, (_, i) =>
    JSON.stringify({ id: `T${String(i).padStart(2, '0')}`, text: `ticket ${i} about ${LABELS[i % 2]}`, label: LABELS[i % 2] }),
  );
  write(join(dir, 'tickets.jsonl'), `${lines.join('\n')}\n`);
  write(join(dir, 'prompts', 'terse.md'), '{{ input }}');
  write(join(dir, 'prompts', 'polite.md'), 'Please classify: {{ input }}');
  return write(
    join(dir, 'exp.yaml'),
    [
      'name: variants',
      'seed: 3',
      'task:',
      '  type: classify',
      '  data: { file: tickets.jsonl, fields: { input: text, label: label, id: id } }',
      `  split: { poolSize: 20, evalItems: ${ITEMS} }`,
      'shots: [0, 2]',
      'selectors: [random]',
      'providers:',
      ...providers.map((p) => `  - ${JSON.stringify(p)}`),
      'prompts:',
      '  - { id: terse, user: prompts/terse.md }',
      '  - { id: polite, user: prompts/polite.md }',
    ].join('\n'),
  );
}

/** Right (the topic word) when the question starts "Please classify", the other label otherwise. */
async function politeServer(): Promise<FakeServer> {
  const s = await track(startOpenAIServer());
  s.script((req) => {
    const messages = req.body.messages as { role: string; content: string }[];
    const last = messages[messages.length - 1]!.content;
    const topic = LABELS.find((l) => last.includes(`about ${l}`)) ?? LABELS[0]!;
    const wrong = LABELS.find((l) => l !== topic)!;
    return { kind: 'text', text: last.startsWith('Please classify') ? topic : wrong };
  });
  return s;
}

const sweep = (path: string, out: string) =>
  runSweep({
    experimentPath: path,
    outDir: join(dirname(path), out),
    cacheDir: join(dirname(path), 'cache'),
    quiet: true,
    env: ENV,
    log: () => {},
    providerOptions: { sleep: fakeSleep().sleep },
  });

const trialsOf = (runDir: string): TrialRecord[] =>
  readFileSync(join(runDir, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TrialRecord);

describe('prompt variants', () => {
  it('run as separate curves over the same items and shots, compared cell by cell, and the advice picks one', async () => {
    const s = await politeServer();
    const dir = join(tmp, 'sweep');
    const provider = { id: 'openai:gpt-4o-mini', baseUrl: `${s.url}/v1`, temperature: 0 };
    const path = experiment(dir, [{ id: 'local' }, provider]);

    const prepared = prepareSweep(path, ENV);
    expect([...prepared.tasks.keys()]).toEqual(['terse', 'polite']);
    // Per provider: items x (zero-shot + random k=2) x 2 variants.
    expect(prepared.plan.length).toBe(2 * ITEMS * 2 * 2);
    const estimate = estimateSweep(prepared).find((e) => e.provider === 'openai:gpt-4o-mini')!;
    expect(estimate.cells.map((c) => `${c.prompt}/${c.selector}/${c.k}`).sort()).toEqual([
      'polite/none/0',
      'polite/random/2',
      'terse/none/0',
      'terse/random/2',
    ]);

    const first = await sweep(path, 'out');
    const trials = trialsOf(first.runDir);
    expect(new Set(trials.map((t) => t.prompt))).toEqual(new Set(['terse', 'polite']));
    // The same shots for an item in both variants: variants differ only in how the question is written.
    const shotsOf = (prompt: string) =>
      new Map(trials.filter((t) => t.prompt === prompt && t.provider === 'openai:gpt-4o-mini' && t.k === 2).map((t) => [t.itemId, t.shotIds.join(',')]));
    expect(shotsOf('polite')).toEqual(shotsOf('terse'));
    expect(shotsOf('polite').size).toBe(ITEMS);
    // The request text differs by variant.
    expect(s.requests.some((r) => (r.body.messages as { content: string }[]).at(-1)!.content.startsWith('Please classify'))).toBe(true);

    const summary = readSummary(join(first.runDir, 'summary.json'));
    const acc = (prompt: string, k: number) =>
      summary.cells.find((c) => c.provider === 'openai:gpt-4o-mini' && c.prompt === prompt && c.k === k)!.accuracy!.estimate;
    expect([acc('polite', 0), acc('polite', 2), acc('terse', 0), acc('terse', 2)]).toEqual([1, 1, 0, 0]);
    expect(summary.curves.filter((c) => c.provider === 'openai:gpt-4o-mini').map((c) => `${c.prompt}/${c.selector}`)).toEqual([
      'polite/random',
      'terse/random',
    ]);

    const comparisons = summary.promptComparisons!.filter((c) => c.provider === 'openai:gpt-4o-mini');
    expect(comparisons.map((c) => `${c.b}-${c.a} ${c.selector} k=${c.k}`)).toEqual(['terse-polite none k=0', 'terse-polite random k=2']);
    for (const c of comparisons) {
      expect(c.estimate).toBe(-1);
      expect(c.nItems).toBe(ITEMS);
      expect(c.method).toBe('mcnemar-exact');
      expect(c.significant).toBe(true);
    }
    // The local learner ignores templates: its two variants answer alike, a difference of 0.
    for (const c of summary.promptComparisons!.filter((c) => c.provider === 'local')) expect(c.estimate).toBe(0);

    const advice = summary.advice.find((a) => a.provider === 'openai:gpt-4o-mini')!;
    expect(advice.prompt).toBe('polite');
    expect(advice.accuracy).toBe(1);
    expect(advice.reasons[0]).toMatch(
      /^Prompt polite is recommended: at its best setting it is significantly more accurate than every other prompt variant\. Against terse: \+100\.0 points/,
    );
    expect(advice.reasons[0]).toContain('significantly better');

    const html = readFileSync(join(first.runDir, 'report.html'), 'utf8');
    expect(html).toContain('Prompt variants compared');
    expect(html).toContain('polite · random');
    const md = readFileSync(join(first.runDir, 'summary.md'), 'utf8');
    expect(md).toContain('## Prompt variants');
    expect(md).toMatch(/\| openai:gpt-4o-mini \| random \| 2 \| terse − polite \| -100\.0 points/);

    // An unchanged rerun asks nothing again: the cache key holds the rendered request, so each variant's answers are its own.
    const calls = s.requests.length;
    const again = await sweep(path, 'out-again');
    expect(again.newCalls).toBe(0);
    expect(s.requests.length).toBe(calls);
  });

  it('compare matches variants by id and names the template file a pull request changed', async () => {
    const s = await politeServer();
    const dir = join(tmp, 'compare');
    const path = experiment(dir, [{ id: 'openai:gpt-4o-mini', baseUrl: `${s.url}/v1`, temperature: 0 }]);
    const base = await sweep(path, 'base');
    // The pull request: the polite prompt loses its "Please".
    write(join(dir, 'prompts', 'polite.md'), 'Classify: {{ input }}');
    await new Promise((r) => setTimeout(r, 1100)); // run ids are per second
    const head = await sweep(path, 'head');

    const result = compareRuns(loadRun(base.runDir, 'baseline'), loadRun(head.runDir, 'candidate'), compareOptions({}));
    const regressions = result.cells.filter((c) => c.verdict === 'regression').map((c) => `${c.selector} k=${c.k}`);
    expect(regressions).toEqual(['polite · none k=0', 'polite · random k=2']);
    expect(result.cells.filter((c) => c.selector.startsWith('terse')).map((c) => c.verdict)).toEqual(['no-significant-change', 'no-significant-change']);

    let text = '';
    compareCommand({ baseline: base.runDir, candidate: head.runDir, failOn: 'none', allowDifferentExperiments: false }, (t) => void (text += t));
    expect(text.split('\n').find((l) => l.startsWith('prompt:'))).toMatch(/template file changed: prompts\/polite\.md/);
  });
});
