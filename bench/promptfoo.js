// fewshot's runner vs promptfoo (`node bench/promptfoo.js [--runs N]`, after `npm run build`): the same number
// of chat completions, at the same concurrency, against the same fixed-latency local OpenAI-wire
// server (bench/latency-server.js, its own process), once through fewshot's runSweep (in this
// process) and once through `promptfoo eval` (a child process). Prints the wall time of each, the
// ratio, the ideal time (calls x latency / concurrency) and each tool's fraction of it.
//
// promptfoo is NOT a dependency of fewshot. It is installed on demand (about 1.4 GB) into a scratch
// folder outside the project: ~/.cache/fewshot-bench/promptfoo, or $FEWSHOT_BENCH_PROMPTFOO_DIR. An
// existing install there (node_modules/.bin/promptfoo) is reused. If it cannot be installed (no
// registry access), the benchmark prints why and exits 0 as skipped.
//
// Everything stays on 127.0.0.1: promptfoo gets OPENAI_BASE_URL / OPENAI_API_BASE_URL pointing at
// the local server, with telemetry and update checks off and its config dir in a temp folder.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSweep } from '../dist/app/sweep-and-report.js';

// promptfoo 0.122+ requires Node >= 22.22; 0.121.20 is the newest release whose engines field
// (`^20.20.0 || >=22.22.0`) accepts Node 20 (checked with `npm view 'promptfoo@>=0.121' version engines`).
const PROMPTFOO_VERSION = '0.121.20';
const LATENCY_MS = 50;
// 800 calls: 50 items x shots [0, 1, 2, 4] x 4 repeats on the fewshot side, 800 tests on promptfoo's.
const EVAL_ITEMS = 50;
const SHOTS = [0, 1, 2, 4];
const REPEATS = 4;
const CALLS = EVAL_ITEMS * SHOTS.length * REPEATS;
const CONCURRENCIES = [32, 8];
// `--runs N` (default 1): repeat each pair of measurements N times and print medians with ranges.
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 1;
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error('usage: node bench/promptfoo.js [--runs N]');
  process.exit(2);
}

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');

// --- promptfoo, installed on demand into a scratch folder -------------------------------------
const pfDir = process.env.FEWSHOT_BENCH_PROMPTFOO_DIR || join(homedir(), '.cache', 'fewshot-bench', 'promptfoo');
const pfBin = join(pfDir, 'node_modules', '.bin', process.platform === 'win32' ? 'promptfoo.cmd' : 'promptfoo');

function skip(reason) {
  console.log(`promptfoo: skipped: ${reason}`);
  process.exit(0);
}

function dirSize(path) {
  let total = 0;
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.size;
  for (const name of readdirSync(path)) total += dirSize(join(path, name));
  return total;
}

if (existsSync(pfBin)) {
  console.log(`promptfoo: reusing the install in ${pfDir}`);
} else {
  console.log(`promptfoo: installing promptfoo@${PROMPTFOO_VERSION} (about 1.4 GB, a few minutes; not a fewshot dependency) into ${pfDir}`);
  try {
    mkdirSync(pfDir, { recursive: true });
    if (!existsSync(join(pfDir, 'package.json'))) {
      writeFileSync(
        join(pfDir, 'package.json'),
        `${JSON.stringify({ name: 'fewshot-bench-promptfoo', private: true, description: 'Scratch install for fewshot bench/promptfoo.js; safe to delete.' }, null, 2)}\n`,
      );
    }
  } catch (err) {
    skip(`cannot create ${pfDir}: ${err.message}`);
  }
  const started = process.hrtime.bigint();
  const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--save-exact', `promptfoo@${PROMPTFOO_VERSION}`], {
    cwd: pfDir,
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
    shell: process.platform === 'win32',
    timeout: 30 * 60_000,
  });
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  if (npm.error || npm.status !== 0 || !existsSync(pfBin)) {
    const why = npm.error ? npm.error.message : `npm install exited with ${npm.status ?? npm.signal}`;
    // npm's first error lines carry the cause (e.g. "npm error code ECONNREFUSED", "request to ... failed").
    const lines = (npm.stderr || '').split('\n').filter((l) => /^npm (error|ERR!)/.test(l));
    const cause = lines.find((l) => /\bcode\b/.test(l))?.replace(/^npm (error|ERR!)\s*/, '');
    if (lines.length) console.log(lines.slice(0, 6).join('\n'));
    skip(`could not install promptfoo@${PROMPTFOO_VERSION} into ${pfDir} (${why}${cause ? `: ${cause}` : ''})`);
  }
  console.log(
    `promptfoo: installed promptfoo@${PROMPTFOO_VERSION} in ${s.toFixed(0)} s, ${(dirSize(join(pfDir, 'node_modules')) / 1e9).toFixed(2)} GB on disk`,
  );
}

const work = mkdtempSync(join(tmpdir(), 'fewshot-bench-promptfoo-'));
const pfEnv = {
  ...process.env,
  PROMPTFOO_DISABLE_TELEMETRY: '1',
  PROMPTFOO_DISABLE_UPDATE: '1',
  PROMPTFOO_CONFIG_DIR: join(work, 'promptfoo-config'), // its database, logs and notices: nothing in ~
  OPENAI_API_KEY: 'bench-key',
};

/** Runs promptfoo and returns { s, status, stdout, stderr }; `s` is the wall time of the process. */
function runPromptfoo(args, env = pfEnv) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(pfBin, args, { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (status) => resolve({ s: Number(process.hrtime.bigint() - started) / 1e9, status, stdout, stderr }));
  });
}

const version = await runPromptfoo(['--version']);
const installed = version.stdout.trim().split('\n').pop();
if (version.status !== 0) {
  rmSync(work, { recursive: true, force: true });
  skip(`\`${pfBin} --version\` exited with ${version.status}: ${(version.stderr || version.stdout).trim().split('\n').slice(-3).join(' | ')}`);
}
if (installed !== PROMPTFOO_VERSION) console.log(`promptfoo: note: ${pfDir} holds promptfoo ${installed}, not the pinned ${PROMPTFOO_VERSION}`);

// --- the fixed-latency server, its own process ------------------------------------------------
const serverChild = spawn(process.execPath, [join(HERE, 'latency-server.js'), '--latency', String(LATENCY_MS)], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((resolve, reject) => {
  let buf = '';
  const onData = (d) => {
    buf += d;
    const nl = buf.indexOf('\n');
    if (nl >= 0) {
      serverChild.stdout.off('data', onData);
      resolve(Number(buf.slice(0, nl).trim()));
    }
  };
  serverChild.stdout.on('data', onData);
  serverChild.once('error', reject);
  serverChild.once('exit', (code) => reject(new Error(`latency server exited early (${code})`)));
});
async function serverStats(reset) {
  const res = await fetch(`http://127.0.0.1:${port}/stats${reset ? '?reset=1' : ''}`);
  return res.json();
}
const baseUrl = `http://127.0.0.1:${port}/v1`;
pfEnv.OPENAI_BASE_URL = baseUrl;
pfEnv.OPENAI_API_BASE_URL = baseUrl; // promptfoo reads this one first, then OPENAI_BASE_URL

// --- fewshot: runSweep in this process (no cacheDir: every call reaches the server) ----------
function writeExperiment(name, { evalItems, shots, repeats, concurrency }) {
  const path = join(work, `${name}.yaml`);
  const providers = `  - id: openai:gpt-4o-mini\n    baseUrl: ${baseUrl}\n    temperature: 0\n    maxOutputTokens: 64`;
  writeFileSync(
    path,
    `name: ${name}\nseed: 7\ntask: { type: routes, stores: { min: 4, max: 6 }, windowTightness: 0.6, poolSize: 32, evalItems: ${evalItems} }\n` +
      `shots: ${JSON.stringify(shots)}\nselectors: ["random"]\nrepeats: ${repeats}\n` +
      `providers:\n${providers}\nconcurrency: ${concurrency}\nout: ${JSON.stringify(join(work, 'results'))}\n`,
  );
  return path;
}

async function fewshotRun(name, opts) {
  const experimentPath = writeExperiment(name, opts);
  await serverStats(true);
  const started = process.hrtime.bigint();
  const result = await runSweep({ experimentPath, outDir: join(work, 'out'), env: { OPENAI_API_KEY: 'bench-key' }, quiet: true, log: () => {} });
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  const stats = await serverStats(false);
  return { s, trials: result.trials, ...stats };
}

// --- promptfoo: `promptfoo eval` on a config with one prompt and `calls` test cases ------------
function writePromptfooConfig(name, calls) {
  const path = join(work, `${name}.promptfooconfig.yaml`);
  const tests = Array.from({ length: calls }, (_, i) => `  - vars: { item: ${i} }`).join('\n');
  writeFileSync(
    path,
    `description: fewshot bench ${name}\n` +
      `prompts:\n  - "Plan the route for delivery {{item}}: list the stores A-F in visiting order."\n` +
      `providers:\n  - id: openai:chat:gpt-4o-mini\n    config:\n      temperature: 0\n      max_tokens: 64\n` +
      `tests:\n${tests}\n`,
  );
  return path;
}

function evalArgs(config, concurrency) {
  return ['eval', '-c', config, '--no-cache', '--max-concurrency', String(concurrency), '--no-progress-bar', '--no-table', '--no-write', '--no-share'];
}

async function promptfooRun(name, calls, concurrency) {
  const config = writePromptfooConfig(name, calls);
  await serverStats(true);
  const r = await runPromptfoo(evalArgs(config, concurrency));
  const stats = await serverStats(false);
  if (r.status !== 0) {
    console.log(`promptfoo: \`promptfoo ${evalArgs(config, concurrency).join(' ')}\` exited with ${r.status}; its output ends:`);
    console.log(`${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-15).join('\n'));
  }
  // promptfoo's own summary: "✓ 800 passed (100%)", "0 failed", "0 errors", "Duration: 9s".
  const count = (word) => r.stdout.match(new RegExp(`(\\d+) ${word}`))?.[1] ?? '?';
  const duration = r.stdout.match(/Duration: ([^\n(]+)/)?.[1]?.trim();
  const summary = `${count('passed')} passed, ${count('failed')} failed, ${count('errors')} errors${duration ? `, duration ${duration}` : ''}`;
  return { ...r, ...stats, summary };
}

const pct = (x) => `${(x * 100).toFixed(1)}%`;

try {
  // Warm-ups, not measured: module loading, SDK client and first connections on fewshot's side;
  // the OS file cache over promptfoo's node_modules on promptfoo's.
  await fewshotRun('warm', { evalItems: 20, shots: [0, 1], repeats: 1, concurrency: 8 });
  await promptfooRun('warm', 8, 8);

  // promptfoo's process start-up: `promptfoo --version`, best of three (the eval pays at least this).
  const startups = [];
  for (let i = 0; i < 3; i++) startups.push((await runPromptfoo(['--version'])).s);
  const startup = Math.min(...startups);
  // fewshot runs in this process; its CLI start-up is printed for context only.
  const fsStartup = Math.min(
    ...[0, 1, 2].map(() => {
      const t = process.hrtime.bigint();
      spawnSync(process.execPath, [join(ROOT, 'dist', 'bin.js'), '--version'], { stdio: 'ignore' });
      return Number(process.hrtime.bigint() - t) / 1e9;
    }),
  );

  console.log(
    `promptfoo: promptfoo ${installed} (${pfDir}), server latency ${LATENCY_MS} ms; command: ` +
      `promptfoo ${evalArgs('<config with ' + CALLS + ' tests>', 'N').join(' ')} ` +
      `(env OPENAI_BASE_URL=OPENAI_API_BASE_URL=${baseUrl}, PROMPTFOO_DISABLE_TELEMETRY=1, PROMPTFOO_DISABLE_UPDATE=1, PROMPTFOO_CONFIG_DIR=<temp>)`,
  );
  console.log(
    `promptfoo: start-up (\`promptfoo --version\`, best of 3): ${startup.toFixed(2)} s; fewshot is timed in-process ` +
      `(its CLI start-up, \`node dist/bin.js --version\`, is ${fsStartup.toFixed(2)} s, not counted)`,
  );

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const range = (xs, f) => (xs.length > 1 ? ` [${f(Math.min(...xs))}-${f(Math.max(...xs))}]` : '');
  const sec = (x) => x.toFixed(2);
  for (const concurrency of CONCURRENCIES) {
    const ideal = (CALLS * LATENCY_MS) / 1000 / concurrency;
    const fsTimes = [];
    const pfTimes = [];
    for (let run = 0; run < RUNS; run++) {
      const fs = await fewshotRun(`c${concurrency}`, { evalItems: EVAL_ITEMS, shots: SHOTS, repeats: REPEATS, concurrency });
      if (fs.trials !== CALLS) throw new Error(`fewshot planned ${fs.trials} trials, expected ${CALLS}`);
      if (fs.served !== fs.trials) throw new Error(`fewshot: expected ${fs.trials} calls, server saw ${fs.served}`);
      const pf = await promptfooRun(`c${concurrency}`, CALLS, concurrency);
      fsTimes.push(fs.s);
      pfTimes.push(pf.s);
      console.log(
        `promptfoo:   run ${run + 1}/${RUNS} at concurrency ${concurrency}: fewshot ${sec(fs.s)} s, server saw ${fs.served} calls (max in flight ${fs.maxInFlight}); ` +
          `promptfoo ${sec(pf.s)} s (${sec(pf.s - startup)} s without start-up), server saw ${pf.served} calls (max in flight ${pf.maxInFlight})` +
          `${pf.served === CALLS ? '' : ` -- NOTE: promptfoo made ${pf.served} calls, not ${CALLS}`}` +
          `${pf.status === 0 ? '' : `, exit status ${pf.status}`}; promptfoo's summary: ${pf.summary}`,
      );
    }
    const fsS = median(fsTimes);
    const pfS = median(pfTimes);
    const runs = RUNS > 1 ? ` (medians of ${RUNS} runs; ranges in brackets)` : '';
    console.log(
      `promptfoo: ${CALLS} calls at concurrency ${concurrency}${runs}: fewshot ${sec(fsS)} s${range(fsTimes, sec)} (${pct(ideal / fsS)} of ideal), ` +
        `promptfoo ${sec(pfS)} s${range(pfTimes, sec)} (${pct(ideal / pfS)}), promptfoo/fewshot wall-time ratio ${(pfS / fsS).toFixed(1)}x ` +
        `(start-up ${startup.toFixed(1)} s; ${((pfS - startup) / fsS).toFixed(1)}x without it; ideal ${sec(ideal)} s = ${CALLS} x ${LATENCY_MS} ms / ${concurrency})`,
    );
  }
} finally {
  serverChild.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
