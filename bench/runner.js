// Runner benchmarks (`node bench/runner.js`, after `npm run build`):
// 1. throughput against a local OpenAI-wire server with a fixed 50 ms latency, at concurrency
//    1, 8, 32, 128, as a fraction of the ideal concurrency / latency (target >= 95% up to 32);
// 2. harness CPU time per trial on a large `local`-provider sweep (target < 1 ms);
// 3. peak memory (rss, heapUsed, sampled every 100 ms) for `local` sweeps of increasing size, each in
//    a fresh child process so one size's heap does not colour the next.
// Ratios compare across machines; absolute times are printed for context only.
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

async function sweep(experimentPath, outDir, env = {}) {
  // No cacheDir: the response cache is opt-in, so every call reaches the server.
  return runSweep({ experimentPath, outDir, env, quiet: true, log: () => {} });
}

// --- child mode: one memory measurement -------------------------------------------------------
// --- child mode: the fixed-latency OpenAI-wire server -----------------------------------------
if (process.argv[2] === '--server') {
  const reply = JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: 'gpt-4o-mini',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'A B C D', refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: 100,
      completion_tokens: 4,
      total_tokens: 104,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_bench',
  });
  let served = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url.startsWith('/stats')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ served, maxInFlight }));
      if (req.url.includes('reset')) served = maxInFlight = 0;
      return;
    }
    req.resume();
    req.on('end', () => {
      inFlight++;
      if (inFlight > maxInFlight) maxInFlight = inFlight;
      setTimeout(() => {
        inFlight--;
        served++;
        res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_${served}` });
        res.end(reply);
      }, LATENCY_MS);
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
  process.on('SIGTERM', () => process.exit(0));
} else if (process.argv[2] === '--memory') {
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
    process.stdout.write(JSON.stringify({ plan, trials: result.trials, ms, cpuUser: cpu.user, cpuSystem: cpu.system, baseRss: base.rss, baseHeap: base.heapUsed, peakRss, peakHeap }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}
// The server child serves until its parent sends SIGTERM; it never reaches the main bench below.
if (process.argv[2] === '--server') await new Promise(() => {});

// --- 1. throughput against a fixed-latency OpenAI-wire server ---------------------------------
// The server runs in a child process, so its CPU does not come out of the runner's event loop.
const serverChild = spawn(process.execPath, [SELF, '--server'], { stdio: ['ignore', 'pipe', 'inherit'] });
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

  // Calls per measurement: 200 at concurrency 1 (10 s of pure latency), 800 above.
  const grid = [
    { concurrency: 1, evalItems: 50, repeats: 1 },
    { concurrency: 8, evalItems: 50, repeats: 4 },
    { concurrency: 32, evalItems: 50, repeats: 4 },
    { concurrency: 128, evalItems: 50, repeats: 4 },
  ];
  const ratios = [];
  for (const g of grid) {
    const exp = writeExperiment(dir, `c${g.concurrency}`, { evalItems: g.evalItems, shots: [0, 1, 2, 4], selectors: ['random'], repeats: g.repeats, providers, concurrency: g.concurrency });
    await serverStats(true);
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    const result = await sweep(exp, join(dir, 'out'), env);
    const s = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    const { served, maxInFlight } = await serverStats(false);
    if (result.trials !== served) throw new Error(`expected ${result.trials} calls, server saw ${served}`);
    const rate = served / s;
    const ideal = g.concurrency / (LATENCY_MS / 1000);
    ratios.push(rate / ideal);
    console.log(
      `throughput: concurrency ${String(g.concurrency).padStart(3)}: ${served} calls in ${s.toFixed(2)} s = ${rate.toFixed(0)} calls/s, ` +
        `ideal ${ideal.toFixed(0)} -> ${((rate / ideal) * 100).toFixed(1)}% (max in flight ${maxInFlight}; ` +
        `runner CPU ${((cpu.user + cpu.system) / 1000 / served).toFixed(2)} ms a call, ${(((cpu.user + cpu.system) / 1e6 / s) * 100).toFixed(0)}% of one core)`,
    );
  }
  const upTo32 = Math.min(...ratios.slice(0, 3));
  console.log(`throughput: worst ratio up to concurrency 32: ${(upTo32 * 100).toFixed(1)}% (target >= 95%: ${upTo32 >= 0.95 ? 'met' : 'NOT met'})`);
} finally {
  serverChild.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

// --- 2 and 3. harness CPU per trial and peak memory vs sweep size -------------------------------
// Each size runs in a fresh child process (`--memory`), which measures process.cpuUsage() and the
// peak rss / heapUsed (sampled every 100 ms) around runSweep alone. The CPU figure covers task
// generation, plan, the local baseline, scoring, trials.jsonl, summary and report.
{
  const sizes = [
    { evalItems: 150, repeats: 3 }, // 4,950 trials (k = 0 is shared by the two selectors)
    { evalItems: 600, repeats: 3 }, // 19,800
    { evalItems: 1200, repeats: 6 }, // 79,200
  ];
  const mb = (b) => (b / 1048576).toFixed(0);
  const rows = [];
  for (const s of sizes) {
    const out = execFileSync(process.execPath, ['--expose-gc', SELF, '--memory', String(s.evalItems), String(s.repeats)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const r = JSON.parse(out);
    rows.push(r);
    if (rows.length === 2) {
      const cpuMs = (r.cpuUser + r.cpuSystem) / 1000;
      const perTrial = cpuMs / r.trials;
      console.log(
        `cpu: ${r.trials} local trials: ${cpuMs.toFixed(0)} ms CPU (${(r.cpuUser / 1000).toFixed(0)} user + ${(r.cpuSystem / 1000).toFixed(0)} system) ` +
          `in ${r.ms.toFixed(0)} ms wall -> ${perTrial.toFixed(3)} ms a trial (target < 1 ms: ${perTrial < 1 ? 'met' : 'NOT met'})`,
      );
    }
  }
  for (const r of rows) {
    console.log(
      `memory: ${String(r.trials).padStart(6)} local trials in ${(r.ms / 1000).toFixed(1)} s: peak rss ${mb(r.peakRss)} MB (${mb(r.peakRss - r.baseRss)} MB over the start), ` +
        `peak heapUsed ${mb(r.peakHeap)} MB (${mb(r.peakHeap - r.baseHeap)} MB over the start)`,
    );
  }
  const first = rows[0];
  const last = rows[rows.length - 1];
  const trialRatio = last.trials / first.trials;
  const rssGrowth = last.peakRss / first.peakRss;
  const heapGrowth = (last.peakHeap - last.baseHeap) / Math.max(1, first.peakHeap - first.baseHeap);
  const perTrialKB = (last.peakHeap - last.baseHeap - (first.peakHeap - first.baseHeap)) / (last.trials - first.trials) / 1024;
  console.log(
    `memory: ${trialRatio.toFixed(0)}x the trials -> peak rss ${rssGrowth.toFixed(1)}x, heap over the start ${heapGrowth.toFixed(1)}x ` +
      `(about ${perTrialKB.toFixed(1)} KB a trial): ${heapGrowth > 2 ? 'NOT flat: memory grows with trials, because the runner keeps every trial record in memory for the summary and report' : 'flat'}`,
  );
}
