// Runner benchmarks (`node bench/runner.js`, after `npm run build`):
// 1. throughput against a local OpenAI-wire server (bench/latency-server.js, its own process) with a
//    fixed 50 ms latency, at concurrency 1, 8, 32, 128, as a fraction of the ideal concurrency / latency
//    (target >= 95% up to 32). Measured over the call phase (the server's first request to its last
//    reply); the whole sweep's wall time, which adds the task's set-up and the report, is printed beside it.
//    Two baselines send the very same requests in the same run: a bare loop through the OpenAI SDK
//    (what fewshot is compared against) and a raw `node:http` loop (no SDK, no fetch), whose difference
//    is what Node's fetch plus the SDK cost a call in client CPU and in latency;
// 2. harness CPU time per trial on a large `local`-provider sweep (target < 1 ms);
// 3. peak memory (rss, heapUsed, sampled every 100 ms) and the live heap (heapUsed after each full GC)
//    for `local` sweeps of increasing size, each in a fresh child process so one size's heap does not
//    colour the next.
// Ratios compare across machines; absolute times are printed for context only.
import { execFileSync, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { selectShots } from '../dist/runner/execute.js';
import { runSweep } from '../dist/app/sweep-and-report.js';
import { prepareSweep } from '../dist/runner/prepare.js';

const LATENCY_MS = 50;
const SELF = fileURLToPath(import.meta.url);
const benchStarted = process.hrtime.bigint();

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

/** The requests the sweep sends, rendered exactly as it renders them (from its `local` twin's plan). */
function requestBodies(experimentPath) {
  const prepared = prepareSweep(experimentPath, {});
  const { data, task, config } = prepared;
  const arms = new Map(prepared.arms.map((arm) => [arm.label, arm]));
  const ctx = { experimentSeed: config.seed, pool: data.pool, items: data.items, arms, distractors: data.distractors ?? [] };
  const bodies = [];
  for (const spec of prepared.plan.forProvider('local')) {
    const messages = task.render(selectShots(spec, ctx), data.items[spec.itemIndex]);
    bodies.push({ model: 'gpt-4o-mini', messages, temperature: 0, max_completion_tokens: 64 });
  }
  return bodies;
}

/**
 * `concurrency` loops sending `bodies` one after another through `call`, with nothing else: the
 * client CPU (this process) and the mean time of a call, as the client sees it.
 */
async function closedLoop(bodies, concurrency, call) {
  let next = 0;
  let callNs = 0n;
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const t = process.hrtime.bigint();
        await call(body);
        callNs += process.hrtime.bigint() - t;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  return { calls: bodies.length, seconds, cpuMsPerCall: (cpu.user + cpu.system) / 1000 / bodies.length, callMs: Number(callNs) / 1e6 / bodies.length };
}

/**
 * The baseline: the same requests sent straight through the OpenAI SDK by `concurrency` loops, with
 * nothing else. What the SDK, Node's fetch and the server allow on this machine; the harness is
 * measured against it.
 */
async function bareSdk(bodies, baseURL, concurrency) {
  const client = new OpenAI({ apiKey: 'bench-key', baseURL, maxRetries: 0 });
  return closedLoop(bodies, concurrency, (body) => client.chat.completions.create(body));
}

/**
 * Below the baseline: the same requests through a raw `node:http` client (keep-alive, one socket per
 * loop, JSON in and out, nothing more): no SDK and no fetch.
 */
async function rawHttp(bodies, port, concurrency) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const call = (body) =>
    new Promise((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/v1/chat/completions',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: 'Bearer bench-key' },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`raw node:http: status ${res.statusCode}`));
            const reply = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            resolve(reply.choices[0].message.content);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  try {
    return await closedLoop(bodies, concurrency, call);
  } finally {
    agent.destroy();
  }
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
    // The live heap: heapUsed right after each full (mark-compact) GC, which V8 runs when it chooses.
    // Peak heapUsed also counts garbage V8 has not yet collected, and a longer run gives it more chances
    // to let that pile up; what the sweep keeps alive is what survives a full GC.
    let peakLive = 0;
    let fullGcs = 0;
    const gcs = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (entry.detail?.kind !== perfConstants.NODE_PERFORMANCE_GC_MAJOR) continue;
        fullGcs++;
        peakLive = Math.max(peakLive, process.memoryUsage().heapUsed);
      }
    });
    gcs.observe({ entryTypes: ['gc'] });
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    const result = await sweep(exp, join(dir, 'out'));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const cpu = process.cpuUsage(cpuBefore);
    sample();
    clearInterval(timer);
    await new Promise((resolve) => setImmediate(resolve)); // deliver the last GC entries
    gcs.disconnect();
    process.stdout.write(
      JSON.stringify({
        evalItems,
        repeats,
        plan,
        trials: result.trials,
        ms,
        cpuUser: cpu.user,
        cpuSystem: cpu.system,
        baseRss: base.rss,
        baseHeap: base.heapUsed,
        peakRss,
        peakHeap,
        peakLive,
        fullGcs,
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

// --- 1. throughput against a fixed-latency OpenAI-wire server ---------------------------------
// The server runs in a child process, so its CPU does not come out of the runner's event loop.
const serverChild = spawn(process.execPath, [join(dirname(SELF), 'latency-server.js'), '--latency', String(LATENCY_MS)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
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
  await sweep(
    writeExperiment(dir, 'warm', { evalItems: 20, shots: [0, 1], selectors: ['random'], repeats: 1, providers, concurrency: 8 }),
    join(dir, 'out'),
    env,
  );

  // Calls per measurement: 200 at concurrency 1 (10 s of pure latency), 800 at 8, 1,600 above.
  const grid = [
    { concurrency: 1, evalItems: 50, repeats: 1 },
    { concurrency: 8, evalItems: 50, repeats: 4 },
    { concurrency: 32, evalItems: 50, repeats: 8 },
    { concurrency: 128, evalItems: 50, repeats: 8 },
  ];
  const ratios = [];
  const harness = [];
  const rawRows = [];
  for (const g of grid) {
    const shape = { evalItems: g.evalItems, shots: [0, 1, 2, 4], selectors: ['random'], repeats: g.repeats, concurrency: g.concurrency };
    const exp = writeExperiment(dir, `c${g.concurrency}`, { ...shape, providers });
    // The same grid with the local provider: its plan gives the bare loop the very same requests.
    const twin = writeExperiment(dir, `c${g.concurrency}-bare`, { ...shape, providers: '  - local' });
    const bodies = requestBodies(twin);
    await serverStats(true);
    const bare = await bareSdk(bodies, `http://127.0.0.1:${port}/v1`, g.concurrency);
    const bareStats = await serverStats(true);
    if (bareStats.served !== bare.calls) throw new Error(`bare SDK: expected ${bare.calls} calls, server saw ${bareStats.served}`);
    const raw = await rawHttp(bodies, port, g.concurrency);
    const rawStats = await serverStats(true);
    if (rawStats.served !== raw.calls) throw new Error(`raw node:http: expected ${raw.calls} calls, server saw ${rawStats.served}`);
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
    const rawRate = rawStats.served / (rawStats.windowMs / 1000);
    ratios.push(rate / ideal);
    harness.push(rate / bareRate);
    rawRows.push({
      concurrency: g.concurrency,
      bareOfIdeal: bareRate / ideal,
      rawOfIdeal: rawRate / ideal,
      cpuMs: bare.cpuMsPerCall - raw.cpuMsPerCall,
      latencyMs: bare.callMs - raw.callMs,
    });
    console.log(
      `throughput: concurrency ${String(g.concurrency).padStart(3)}: ${served} calls in ${(windowMs / 1000).toFixed(2)} s of calls = ${rate.toFixed(0)} calls/s, ` +
        `ideal ${ideal.toFixed(0)} -> ${((rate / ideal) * 100).toFixed(1)}%; the bare SDK loop, same requests: ${bareRate.toFixed(0)} calls/s (${((bareRate / ideal) * 100).toFixed(1)}% of ideal) -> ` +
        `fewshot at ${((rate / bareRate) * 100).toFixed(1)}% of the bare SDK (max in flight ${maxInFlight}; whole sweep ${s.toFixed(2)} s with set-up and report; ` +
        `runner CPU ${((cpu.user + cpu.system) / 1000 / served).toFixed(2)} ms a call, ${(((cpu.user + cpu.system) / 1e6 / s) * 100).toFixed(0)}% of one core)`,
    );
    console.log(
      `throughput: concurrency ${String(g.concurrency).padStart(3)}: a raw node:http loop, same requests: ${rawRate.toFixed(0)} calls/s (${((rawRate / ideal) * 100).toFixed(1)}% of ideal, ` +
        `${((rawRate / bareRate) * 100).toFixed(1)}% of the bare SDK loop); client CPU a call: bare SDK ${bare.cpuMsPerCall.toFixed(2)} ms, raw ${raw.cpuMsPerCall.toFixed(2)} ms; ` +
        `mean call time: bare SDK ${bare.callMs.toFixed(1)} ms, raw ${raw.callMs.toFixed(1)} ms (server latency ${LATENCY_MS} ms) -> ` +
        `Node's fetch plus the SDK cost ${(bare.cpuMsPerCall - raw.cpuMsPerCall).toFixed(2)} ms of CPU and ${(bare.callMs - raw.callMs).toFixed(1)} ms of latency a call`,
    );
  }
  const upTo32 = Math.min(...ratios.slice(0, 3));
  const harnessUpTo32 = Math.min(...harness.slice(0, 3));
  console.log(
    `throughput: worst ratio up to concurrency 32: ${(upTo32 * 100).toFixed(1)}% of ideal (target >= 95%: ${upTo32 >= 0.95 ? 'met' : 'NOT met'}); ` +
      `${(harnessUpTo32 * 100).toFixed(1)}% of the bare SDK loop with the same requests (the SDK, fetch and server ceiling on this machine)`,
  );
  const upTo = rawRows.slice(0, 3);
  const span = (xs, f) => `${f(Math.min(...xs))}-${f(Math.max(...xs))}`;
  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  console.log(
    `throughput: up to concurrency 32 the bare SDK loop reaches ${span(
      upTo.map((r) => r.bareOfIdeal),
      pct,
    )} of ideal and a raw node:http loop ${span(
      upTo.map((r) => r.rawOfIdeal),
      pct,
    )}; ` +
      `Node's fetch plus the SDK cost ${span(
        upTo.map((r) => r.cpuMs),
        (x) => x.toFixed(2),
      )} ms of client CPU and ${span(
        upTo.map((r) => r.latencyMs),
        (x) => x.toFixed(1),
      )} ms of latency a call`,
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
// never the records, so memory must stay flat: the verdict is on the live heap (heapUsed after full GCs),
// since peak heapUsed also counts garbage that V8 leaves longer in a longer run. `--full` adds the 1,000,000-trial sweep (its time is printed on its line).
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
    JSON.parse(
      execFileSync(process.execPath, ['--expose-gc', SELF, '--memory', String(s.evalItems), String(s.repeats)], { encoding: 'utf8', maxBuffer: 1 << 20 }),
    );
  const show = (r) =>
    console.log(
      `memory: ${String(r.trials).padStart(7)} local trials (${r.evalItems} items x ${r.repeats} repeats) in ${(r.ms / 1000).toFixed(1)} s: ` +
        `peak rss ${mb(r.peakRss)} MB (${mb(r.peakRss - r.baseRss)} MB over the start), peak heapUsed ${mb(r.peakHeap)} MB (${mb(r.peakHeap - r.baseHeap)} MB over the start), ` +
        `live heap ${r.fullGcs > 0 ? `${mb(r.peakLive)} MB (the most heapUsed after any of its ${r.fullGcs} full GCs)` : `not measured (no full GC ran; peak heapUsed stands in)`}`,
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
  const live = (r) => (r.fullGcs > 0 ? r.peakLive : r.peakHeap);
  const liveRatio = live(last) / live(first);
  const flat = liveRatio < 1.5;
  console.log(
    `memory: ${(last.trials / first.trials).toFixed(0)}x the trials over the same items -> live heap ${liveRatio.toFixed(2)}x, peak heapUsed ${heapRatio.toFixed(2)}x, ` +
      `peak rss ${rssGrowth >= 0 ? '+' : ''}${rssGrowth.toFixed(0)} MB: live heap ${flat ? 'flat (target met)' : 'NOT flat'}${full ? '' : ' (run with --full for the 1,000,000-trial sweep)'}`,
  );
  const a = measure({ evalItems: 150, repeats: 3 });
  const b = measure({ evalItems: 1500, repeats: 3 });
  [a, b].forEach(show);
  const perPair = (b.peakHeap - a.peakHeap) / ((b.evalItems - a.evalItems) * cells);
  console.log(
    `memory: growing the items instead costs about ${(perPair / 1024).toFixed(2)} KB of heap per (cell, item) pair (the paired statistics' totals and the task's items), whatever the repeats`,
  );
}
console.log(`runner: total ${(Number(process.hrtime.bigint() - benchStarted) / 1e9).toFixed(0)} s${process.argv.includes('--full') ? ' (with --full)' : ''}`);
