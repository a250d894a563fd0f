// Runner benchmarks (`node bench/runner.js`, after `npm run build`):
// 1. throughput against a local OpenAI-wire server (bench/latency-server.js, its own process) with a
//    fixed 50 ms latency, at concurrency 1, 8, 32, 128, as a fraction of the ideal concurrency / latency
//    (target >= 95% up to 32). Measured over the call phase (the server's first request to its last
//    reply); the whole sweep's wall time, which adds the task's set-up and the report, is printed beside it;
// 2. harness CPU time per trial on a large `local`-provider sweep (target < 1 ms);
// 3. peak memory (rss, heapUsed, sampled every 100 ms) for `local` sweeps of increasing size, each in
//    a fresh child process so one size's heap does not colour the next.
// Ratios compare across machines; absolute times are printed for context only.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { selectShots } from '../dist/runner/execute.js';
import { prepareSweep, runSweep } from '../dist/runner/sweep.js';

const LATENCY_MS = 50;
const SELF = fileURLToPath(import.meta.url);

/** A routes experiment; `providers` is the YAML list body. */
function writeExperiment(dir, name, { evalItems, shots, selectors, repeats, providers, concurrency }) {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    `name: ${name}\nseed: 7\ntask: { type: routes, stores: { min: 4, max: 6 }, windowTightness: 0.6, poolSize: 32, evalItems: ${evalItems} }\n` +
      `shots: ${JSON.stringify(shots)}\nselectors: ${JSON.stringify(selectors)}\nrepeats: ${repeats}\n` +
      `providers:\n${providers}\nconcurrency: ${concurrency}\nout: ${JSON.stringify(join(dir, 'results'))}\n`,
  );
  return path;
}

/**
 * The baseline: the same requests (rendered exactly as the sweep renders them) sent straight through
 * the OpenAI SDK by `concurrency` loops, with nothing else. What the SDK, Node's fetch and the server
 * allow on this machine; the harness is measured against it.
 */
async function bareSdk(experimentPath, baseURL, concurrency) {
  const prepared = prepareSweep(experimentPath, {});
  const { data, task, config } = prepared;
  const arms = new Map(prepared.arms.map((arm) => [arm.label, arm]));
  const ctx = { experimentSeed: config.seed, pool: data.pool, items: data.items, arms, distractors: data.distractors ?? [] };
  const bodies = [];
  for (const spec of prepared.plan.forProvider('local')) {
    const messages = task.render(selectShots(spec, ctx), data.items[spec.itemIndex]);
    bodies.push({ model: 'gpt-4o-mini', messages, temperature: 0, max_completion_tokens: 64 });
  }
  const client = new OpenAI({ apiKey: 'bench-key', baseURL, maxRetries: 0 });
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) await client.chat.completions.create(bodies[next++]);
    }),
  );
  return { calls: bodies.length, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

async function sweep(experimentPath, outDir, env = {}) {
  // No cacheDir: the response cache is opt-in, so every call reaches the server.
  return runSweep({ experimentPath, outDir, env, quiet: true, log: () => {} });
}

// --- child mode: one memory measurement -------------------------------------------------------
if (process.argv[2] === '--memory') {
  const evalItems = Number(process.argv[3]);
  const repeats = Number(process.argv[4]);
  const dir = mkdtempSync(join(tmpdir(), 'fewshot-bench-mem-'));
  try {
    const exp = writeExperiment(dir, 'mem', {
      evalItems,
      shots: [0, 1, 2, 4, 8, 16],
      selectors: ['random', 'first'],
      repeats,
      providers: '  - local',
      concurrency: 8,
    });
    const plan = prepareSweep(exp, {}).plan.length; // item generation happens here too; not in the peak below
    global.gc?.();
    const base = process.memoryUsage();
    let peakRss = base.rss;
    let peakHeap = base.heapUsed;
    const sample = () => {
      const m = process.memoryUsage();
      if (m.rss > peakRss) peakRss = m.rss;
      if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
    };
    const timer = setInterval(sample, 100);
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    const result = await sweep(exp, join(dir, 'out'));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const cpu = process.cpuUsage(cpuBefore);
    sample();
    clearInterval(timer);
    process.stdout.write(JSON.stringify({ evalItems, repeats, plan, trials: result.trials, ms, cpuUser: cpu.user, cpuSystem: cpu.system, baseRss: base.rss, baseHeap: base.heapUsed, peakRss, peakHeap }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

// --- 1. throughput against a fixed-latency OpenAI-wire server ---------------------------------
// The server runs in a child process, so its CPU does not come out of the runner's event loop.
const serverChild = spawn(process.execPath, [join(dirname(SELF), 'latency-server.js'), '--latency', String(LATENCY_MS)], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((resolve, reject) => {
  serverChild.stdout.once('data', (d) => resolve(Number(String(d).trim())));
  serverChild.once('error', reject);
});
async function serverStats(reset) {
  const res = await fetch(`http://127.0.0.1:${port}/stats${reset ? '?reset=1' : ''}`);
  return res.json();
}
const providers = `  - id: openai:gpt-4o-mini\n    baseUrl: http://127.0.0.1:${port}/v1\n    temperature: 0\n    maxOutputTokens: 64`;
const env = { OPENAI_API_KEY: 'bench-key' };

const dir = mkdtempSync(join(tmpdir(), 'fewshot-bench-runner-'));
try {
  // Warm-up (module loading, SDK client, first connections): not measured.
  await sweep(writeExperiment(dir, 'warm', { evalItems: 20, shots: [0, 1], selectors: ['random'], repeats: 1, providers, concurrency: 8 }), join(dir, 'out'), env);

  // Calls per measurement: 200 at concurrency 1 (10 s of pure latency), 800 at 8, 1,600 above.
  const grid = [
    { concurrency: 1, evalItems: 50, repeats: 1 },
    { concurrency: 8, evalItems: 50, repeats: 4 },
    { concurrency: 32, evalItems: 50, repeats: 8 },
    { concurrency: 128, evalItems: 50, repeats: 8 },
  ];
  const ratios = [];
  const harness = [];
  for (const g of grid) {
    const shape = { evalItems: g.evalItems, shots: [0, 1, 2, 4], selectors: ['random'], repeats: g.repeats, concurrency: g.concurrency };
    const exp = writeExperiment(dir, `c${g.concurrency}`, { ...shape, providers });
    // The same grid with the local provider: its plan gives the bare loop the very same requests.
    const twin = writeExperiment(dir, `c${g.concurrency}-bare`, { ...shape, providers: '  - local' });
    await serverStats(true);
    const bare = await bareSdk(twin, `http://127.0.0.1:${port}/v1`, g.concurrency);
    const bareStats = await serverStats(true);
    if (bareStats.served !== bare.calls) throw new Error(`bare SDK: expected ${bare.calls} calls, server saw ${bareStats.served}`);
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    const result = await sweep(exp, join(dir, 'out'), env);
    const s = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    const { served, maxInFlight, windowMs } = await serverStats(false);
    if (result.trials !== served) throw new Error(`expected ${result.trials} calls, server saw ${served}`);
    const ideal = g.concurrency / (LATENCY_MS / 1000);
    const rate = served / (windowMs / 1000);
    const bareRate = bareStats.served / (bareStats.windowMs / 1000);
    ratios.push(rate / ideal);
    harness.push(rate / bareRate);
    console.log(
      `throughput: concurrency ${String(g.concurrency).padStart(3)}: ${served} calls in ${(windowMs / 1000).toFixed(2)} s of calls = ${rate.toFixed(0)} calls/s, ` +
        `ideal ${ideal.toFixed(0)} -> ${((rate / ideal) * 100).toFixed(1)}%; the bare SDK loop, same requests: ${bareRate.toFixed(0)} calls/s (${((bareRate / ideal) * 100).toFixed(1)}% of ideal) -> ` +
        `fewshot at ${((rate / bareRate) * 100).toFixed(1)}% of the bare SDK (max in flight ${maxInFlight}; whole sweep ${s.toFixed(2)} s with set-up and report; ` +
        `runner CPU ${((cpu.user + cpu.system) / 1000 / served).toFixed(2)} ms a call, ${(((cpu.user + cpu.system) / 1e6 / s) * 100).toFixed(0)}% of one core)`,
    );
  }
  const upTo32 = Math.min(...ratios.slice(0, 3));
  const harnessUpTo32 = Math.min(...harness.slice(0, 3));
  console.log(
    `throughput: worst ratio up to concurrency 32: ${(upTo32 * 100).toFixed(1)}% of ideal (target >= 95%: ${upTo32 >= 0.95 ? 'met' : 'NOT met'}); ` +
      `${(harnessUpTo32 * 100).toFixed(1)}% of the bare SDK loop with the same requests (the SDK, fetch and server ceiling on this machine)`,
  );
} finally {
  serverChild.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

// --- 2 and 3. harness CPU per trial and peak memory vs sweep size -------------------------------
// Each size runs in a fresh child process (`--memory`), which measures process.cpuUsage() and the
// peak rss / heapUsed (sampled every 100 ms) around runSweep alone. The CPU figure covers selection,
// rendering, the local baseline, scoring, trials.jsonl, summary and report.
// Trials grow with repeats over the same 910 items: the runner keeps running totals per (cell, item),
// never the records, so memory must stay flat. `--full` adds the 1,000,000-trial sweep (about 4 min).
// A last pair grows the items instead: there the totals (and the task's own data) grow with the items.
{
  const full = process.argv.includes('--full');
  const cells = 11; // k = 0 shared + 2 selectors x 5 shot counts
  const sizes = [
    { evalItems: 910, repeats: 1 }, // 10,010 trials
    { evalItems: 910, repeats: 10 }, // 100,100
    ...(full ? [{ evalItems: 910, repeats: 100 }] : []), // 1,001,000 (100 is the most repeats an experiment may ask)
  ];
  const mb = (b) => (b / 1048576).toFixed(0);
  const measure = (s) =>
    JSON.parse(execFileSync(process.execPath, ['--expose-gc', SELF, '--memory', String(s.evalItems), String(s.repeats)], { encoding: 'utf8', maxBuffer: 1 << 20 }));
  const show = (r) =>
    console.log(
      `memory: ${String(r.trials).padStart(7)} local trials (${r.evalItems} items x ${r.repeats} repeats) in ${(r.ms / 1000).toFixed(1)} s: ` +
        `peak rss ${mb(r.peakRss)} MB (${mb(r.peakRss - r.baseRss)} MB over the start), peak heapUsed ${mb(r.peakHeap)} MB (${mb(r.peakHeap - r.baseHeap)} MB over the start)`,
    );
  const rows = sizes.map(measure);
  const cpuRow = rows[1];
  const cpuMs = (cpuRow.cpuUser + cpuRow.cpuSystem) / 1000;
  const perTrial = cpuMs / cpuRow.trials;
  console.log(
    `cpu: ${cpuRow.trials} local trials: ${cpuMs.toFixed(0)} ms CPU (${(cpuRow.cpuUser / 1000).toFixed(0)} user + ${(cpuRow.cpuSystem / 1000).toFixed(0)} system) ` +
      `in ${cpuRow.ms.toFixed(0)} ms wall -> ${perTrial.toFixed(3)} ms a trial (target < 1 ms: ${perTrial < 1 ? 'met' : 'NOT met'})`,
  );
  rows.forEach(show);
  const first = rows[0];
  const last = rows[rows.length - 1];
  const rssGrowth = (last.peakRss - first.peakRss) / 1048576;
  const heapRatio = last.peakHeap / first.peakHeap;
  const flat = heapRatio < 1.5;
  console.log(
    `memory: ${(last.trials / first.trials).toFixed(0)}x the trials over the same items -> peak heap ${heapRatio.toFixed(2)}x, peak rss ${rssGrowth >= 0 ? '+' : ''}${rssGrowth.toFixed(0)} MB: ` +
      `${flat ? 'flat (target met)' : 'NOT flat'}${full ? '' : ' (run with --full for the 1,000,000-trial sweep)'}`,
  );
  const a = measure({ evalItems: 150, repeats: 3 });
  const b = measure({ evalItems: 1500, repeats: 3 });
  [a, b].forEach(show);
  const perPair = (b.peakHeap - a.peakHeap) / ((b.evalItems - a.evalItems) * cells);
  console.log(`memory: growing the items instead costs about ${(perPair / 1024).toFixed(2)} KB of heap per (cell, item) pair (the paired statistics' totals and the task's items), whatever the repeats`);
}
