// Provider labels: one model twice with different settings (temperature 0 and 1), each entry named by
// its `label` in the trials, summary, report and compare. Offline: the real OpenAI SDK against the
// fake OpenAI server on 127.0.0.1. Duplicates without labels are refused naming the field; the cache
// key holds the request settings, never the label, so a relabelled rerun makes no new request.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSweep } from '../src/app/sweep-and-report.js';
import { compareRuns, loadRun } from '../src/compare/index.js';
import { compareOptions } from '../src/compare/command.js';
import { ConfigError, parseExperiment } from '../src/config/load.js';
import { estimateSweep } from '../src/runner/estimate.js';
import { prepareSweep } from '../src/runner/prepare.js';
import type { RunInfo } from '../src/records/run-info.js';
import type { RunSummary } from '../src/records/summary.js';
import type { TrialRecord } from '../src/records/trial.js';
import { fakeSleep, flavour, ROUTE_ANSWER, routesExperimentYaml, SENTINEL, trackServers } from './providers-helpers.js';
import type { FakeServer } from './servers/index.js';
import { thrownBy } from './thrown.js';

const track = trackServers();
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-labels-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ENV = { OPENAI_API_KEY: SENTINEL };
const ID = 'openai:gpt-4o-mini';
const HOT = 'gpt-4o-mini-t1';

let counter = 0;
function experiment(providers: Record<string, unknown>[], extra = ''): string {
  const path = join(tmp, `exp-${++counter}.yaml`);
  // One name for every file: compare refuses runs of different experiments.
  writeFileSync(path, routesExperimentYaml('labels', providers, extra));
  return path;
}

async function openaiServer(): Promise<FakeServer> {
  const s = await track(flavour('openai').start());
  s.script(() => ({ kind: 'text', text: ROUTE_ANSWER }));
  return s;
}

/** The model at temperature 0 (named by its id) and at temperature 1 (named by a label). */
function twoTemperatures(s: FakeServer, hotLabel = HOT): Record<string, unknown>[] {
  return [
    { id: ID, baseUrl: `${s.url}/v1`, temperature: 0 },
    { id: ID, label: hotLabel, baseUrl: `${s.url}/v1`, temperature: 1 },
  ];
}

async function sweep(path: string, out: string) {
  return runSweep({
    experimentPath: path,
    outDir: join(tmp, out),
    cacheDir: join(tmp, `cache-${out}`),
    quiet: true,
    env: ENV,
    log: () => {},
    providerOptions: { sleep: fakeSleep().sleep },
  });
}

function trialsOf(runDir: string): TrialRecord[] {
  return readFileSync(join(runDir, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TrialRecord);
}

const readJson = <T>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T;
const sorted = (xs: Iterable<string>) => [...xs].sort();

describe('one model twice, told apart by a label', () => {
  it('runs temperature 0 and 1 as two curves over the same items and shots, in summary.json and compare', async () => {
    const s = await openaiServer();
    const path = experiment(twoTemperatures(s));
    const first = await sweep(path, 'two');
    expect(first.status).toBe('complete');

    // The two entries sent their own settings; the label never reached the server.
    const temperatures = s.requests.map((r) => (r.body as { temperature?: number }).temperature);
    expect(temperatures.filter((t) => t === 0)).toHaveLength(6);
    expect(temperatures.filter((t) => t === 1)).toHaveLength(6);
    expect(JSON.stringify(s.requests.map((r) => r.body))).not.toContain(HOT);

    const trials = trialsOf(first.runDir);
    expect(sorted(new Set(trials.map((t) => t.provider)))).toEqual(sorted([ID, HOT]));
    const asked = (provider: string) =>
      sorted(trials.filter((t) => t.provider === provider).map((t) => `${t.selector}|${t.k}|${t.itemId}|${t.shotIds.join(',')}`));
    expect(asked(HOT)).toEqual(asked(ID));
    expect(trials.every((t) => t.model === 'gpt-4o-mini')).toBe(true);

    const info = readJson<RunInfo>(join(first.runDir, 'run.json'));
    expect(info.providers).toEqual([
      { id: ID, status: 'ran' },
      { id: ID, label: HOT, status: 'ran' },
    ]);

    const summary = readJson<RunSummary>(join(first.runDir, 'summary.json'));
    expect(sorted(new Set(summary.curves.map((c) => c.provider)))).toEqual(sorted([ID, HOT]));
    expect(sorted(new Set(summary.cells.map((c) => c.provider)))).toEqual(sorted([ID, HOT]));
    expect(summary.providers).toEqual([
      { id: ID, status: 'ran', model: 'gpt-4o-mini', snapshots: { 'gpt-4o-mini': 6 } },
      { id: ID, label: HOT, status: 'ran', model: 'gpt-4o-mini', snapshots: { 'gpt-4o-mini': 6 } },
    ]);
    expect(sorted(summary.advice.map((a) => a.provider))).toEqual(sorted([ID, HOT]));
    expect(summary.notices.join('\n')).not.toMatch(/not listed in run\.json/);
    expect(readFileSync(join(first.runDir, 'summary.md'), 'utf8')).toContain(HOT);
    expect(readFileSync(join(first.runDir, 'report.html'), 'utf8')).toContain(HOT);

    // A rerun answers from the cache; compare pairs each curve with its namesake.
    const before = s.requests.length;
    const second = await sweep(path, 'two');
    expect(s.requests.length).toBe(before);
    const result = compareRuns(loadRun(first.runDir, 'baseline'), loadRun(second.runDir, 'candidate'), compareOptions({}));
    expect(sorted(new Set(result.cells.map((c) => c.provider)))).toEqual(sorted([ID, HOT]));
    expect(result.cells.every((c) => c.verdict !== 'regression')).toBe(true);
  });

  it('prices a labelled entry by its model id', () => {
    const path = experiment(
      [
        { id: ID, baseUrl: 'http://127.0.0.1:9/v1', temperature: 0, maxOutputTokens: 50 },
        { id: ID, label: HOT, baseUrl: 'http://127.0.0.1:9/v1', temperature: 1, maxOutputTokens: 50 },
      ],
      `prices: { "${ID}": { input: 1000, output: 1000 } }`,
    );
    const estimates = estimateSweep(prepareSweep(path, ENV));
    expect(estimates.map((e) => e.provider)).toEqual([ID, HOT]);
    expect(estimates.every((e) => e.cost?.source === 'experiment')).toBe(true);
    expect(estimates[1]!.cost).toEqual(estimates[0]!.cost);
  });

  it('relabelling reuses the cache: a rerun with only the label changed makes no request', async () => {
    const s = await openaiServer();
    await sweep(experiment(twoTemperatures(s, 'hot')), 'relabel');
    const before = s.requests.length;
    expect(before).toBe(12);
    const rerun = await sweep(experiment(twoTemperatures(s, 'warm')), 'relabel');
    expect(s.requests.length).toBe(before);
    const trials = trialsOf(rerun.runDir);
    expect(trials.every((t) => t.cached)).toBe(true);
    expect(sorted(new Set(trials.map((t) => t.provider)))).toEqual(sorted([ID, 'warm']));
    const summary = readJson<RunSummary>(join(rerun.runDir, 'summary.json'));
    expect(summary.curves.some((c) => c.provider === 'warm')).toBe(true);
    expect(summary.curves.some((c) => c.provider === 'hot')).toBe(false);
  });
});

describe('provider names in the experiment file', () => {
  const yaml = (providers: string) => `name: x\ntask: { type: routes }\nshots: [0, 1]\nproviders:\n${providers}`;

  it('refuses one id twice without distinct labels, naming the field with file:line', () => {
    const err = thrownBy(ConfigError, () => parseExperiment(yaml(`  - ${ID}\n  - { id: ${ID}, temperature: 1 }\n`), 'exp.yaml'));
    expect(err.message).toMatch(
      /^exp\.yaml:6:\d+: providers\[1\]\.id: provider "openai:gpt-4o-mini" is already listed: give each entry of one model a distinct `label`/,
    );
  });

  it('refuses a label that repeats another entry’s name', () => {
    const err = thrownBy(ConfigError, () => parseExperiment(yaml(`  - { id: ${ID}, label: a }\n  - { id: openai:gpt-4o, label: a }\n`), 'exp.yaml'));
    expect(err.message).toMatch(/^exp\.yaml:6:\d+: providers\[1\]\.label: provider label "a" is already used/);
  });

  it('refuses a label outside letters, digits, ".", "_" and "-", and the name "local"', () => {
    expect(() => parseExperiment(yaml(`  - { id: ${ID}, label: "a b" }\n`), 'exp.yaml')).toThrow(/providers\[0\]\.label: expected a label/);
    expect(() => parseExperiment(yaml(`  - { id: ${ID}, label: local }\n`), 'exp.yaml')).toThrow(/providers\[0\]\.label: "local" is the baseline/);
  });

  it('accepts one id twice with a label on one', () => {
    const config = parseExperiment(yaml(`  - ${ID}\n  - { id: ${ID}, label: ${HOT}, temperature: 1 }\n`), 'exp.yaml');
    expect(config.providers.map((p) => p.label ?? p.id)).toEqual([ID, HOT]);
  });
});
