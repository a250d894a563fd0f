// `fewshot batch status|collect|cancel <run>` as a user types them (the built CLI, dist/bin.js:
// `npm run build` first): collect finds the experiment and the response cache of the folder the sweep
// ran in even when typed from elsewhere, and a folder that is no run is a clear error (exit 2), never
// a stack trace.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROUTE_ANSWER, routesExperimentYaml, SENTINEL, trackServers } from './providers-helpers.js';
import { startOpenAIServer, type FakeServer } from './servers/index.js';

const track = trackServers();
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-batch-command-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');
const ITEMS = 4;

function fewshot(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH, OPENAI_API_KEY: SENTINEL } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

/** A project folder as a user keeps one: experiments/exp.yaml, swept from the project folder. */
function project(s: FakeServer): string {
  const dir = join(tmp, 'project');
  mkdirSync(join(dir, 'experiments'), { recursive: true });
  const provider = { id: 'openai:gpt-4o-mini', baseUrl: `${s.url}/v1`, temperature: 0, maxOutputTokens: 64 };
  writeFileSync(join(dir, 'experiments', 'exp.yaml'), routesExperimentYaml('collected-elsewhere', [provider], '', { evalItems: ITEMS }));
  return dir;
}

const chatCalls = (s: FakeServer) => s.requests.filter((r) => r.path.endsWith('/chat/completions')).length;

describe('fewshot batch commands from the command line', () => {
  it('collect typed from another folder runs where the sweep ran (its experiment, its cache, nothing submitted twice); a run folder moved from its project is a clear error', async () => {
    const s = await track(startOpenAIServer({ batch: { runningMs: 300 } }));
    s.script(() => ({ kind: 'text', text: ROUTE_ANSWER }));
    const dir = project(s);

    const detached = await fewshot(['sweep', 'experiments/exp.yaml', '--batch', '--detach', '--quiet'], dir);
    expect(detached.code).toBe(0);
    expect(s.batch!.jobs).toHaveLength(1);
    const runDir = join(dir, 'results', readdirSync(join(dir, 'results'))[0]!);

    const elsewhere = join(tmp, 'elsewhere');
    mkdirSync(elsewhere);
    const collected = await fewshot(['batch', 'collect', runDir, '--quiet'], elsewhere);
    expect(collected.stderr).toContain(`running in ${dir}, where the sweep ran`);
    expect(collected.code).toBe(0);
    expect(s.batch!.jobs).toHaveLength(1); // the detached job collected, not submitted again
    expect(chatCalls(s)).toBe(0);
    // The collecting attempt is a run folder of its own beside the detached one.
    const runs = readdirSync(join(dir, 'results')).sort();
    expect(runs).toHaveLength(2);
    const trials = readFileSync(join(dir, 'results', runs[1]!, 'trials.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean);
    expect(trials).toHaveLength(2 * ITEMS);
    // The answers went to the project's response cache (beside the experiment), none to the folder the command was typed in.
    expect(existsSync(join(dir, 'experiments', '.fewshot'))).toBe(true);
    expect(existsSync(join(elsewhere, '.fewshot'))).toBe(false);

    const status = await fewshot(['batch', 'status', runDir], elsewhere);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/openai:gpt-4o-mini\s+batch_\S+\s+ended .*collected/);
    expect(`${status.stdout}${status.stderr}`).not.toContain(SENTINEL);

    // A job log that cannot be read (here a folder in its place): exit 2 naming it.
    const log = join(runDir, 'batches.jsonl');
    renameSync(log, `${log}.kept`);
    mkdirSync(log);
    const unreadable = await fewshot(['batch', 'status', runDir], elsewhere);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toMatch(/^error: .*: the batch job logs \(batches\.jsonl\) of its run cannot be read \(EISDIR/);
    rmSync(log, { recursive: true });
    renameSync(`${log}.kept`, log);

    // The run folder moved away from its project: the experiment it names is nowhere near.
    const moved = join(tmp, 'moved', 'results', 'run');
    mkdirSync(moved, { recursive: true });
    writeFileSync(join(moved, 'run.json'), readFileSync(join(runDir, 'run.json')));
    const lost = await fewshot(['batch', 'status', moved], elsewhere);
    expect(lost.code).toBe(2);
    expect(lost.stderr).toMatch(
      /run\.json names the experiment experiments\/exp\.yaml, relative to where the sweep ran; not found from .*: run the command from the folder the sweep ran in/,
    );
    expect(lost.stderr).not.toMatch(/\n\s+at /);
  });

  it('batch flags without a batch provider, timer values no timer can hold, and collect on a run with no jobs: exit 2, nothing run', async () => {
    const dir = join(tmp, 'flags');
    mkdirSync(dir, { recursive: true });
    const exp = join(dir, 'exp.yaml');
    writeFileSync(
      exp,
      ['name: flags', 'task: { type: routes, stores: { min: 3, max: 3 }, poolSize: 4, evalItems: 2 }', 'shots: [0]', 'providers: [{ id: local }]'].join('\n'),
    );
    const refusals: [string[], string][] = [
      [['sweep', exp, '--detach'], '--detach works with --batch (or batch: true on a provider entry), and this sweep sends nothing by batch'],
      [
        ['sweep', exp, '--batch-job-size', '5'],
        '--batch-job-size works with --batch (or batch: true on a provider entry), and this sweep sends nothing by batch',
      ],
      [['sweep', exp, '--grace', '1e20'], '--grace: expected seconds >= 0 and at most 2147483, got 100000000000000000000'],
      [['sweep', exp, '--batch', '--batch-poll', '1e308'], '--batch-poll: expected seconds > 0 and at most 2147483, got 1e+308'],
    ];
    for (const [args, message] of refusals) {
      const r = await fewshot(args, dir);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toBe(`error: ${message}\n`);
    }
    expect(existsSync(join(dir, 'results'))).toBe(false);

    // A complete run with no batch jobs: collect would only start the sweep over.
    expect((await fewshot(['sweep', exp, '--quiet'], dir)).code).toBe(0);
    const runDir = join(dir, 'results', readdirSync(join(dir, 'results'))[0]!);
    const collect = await fewshot(['batch', 'collect', runDir], dir);
    expect(collect.code).toBe(2);
    expect(collect.stderr).toBe(`error: ${runDir}: no batch jobs in this run, nothing to collect (to finish the run, run its sweep again)\n`);
    expect(readdirSync(join(dir, 'results'))).toHaveLength(1);
  });

  it('a folder that is no run: exit 2 with what was expected, no stack trace', async () => {
    const missing = join(tmp, 'no-such-run');
    for (const command of ['status', 'collect', 'cancel']) {
      const r = await fewshot(['batch', command, missing], tmp);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`error: ${missing}: no run.json here; expected a results folder written by "fewshot sweep --batch"\n`);
    }
  });
});
