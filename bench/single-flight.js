// Single-flight on the flagship (`node bench/single-flight.js`, after `npm run build`): sweeps
// experiments/routes.yaml as shipped (two selectors, repeats 3, temperature 0) against a local
// OpenAI-wire server (bench/latency-server.js, 20 ms), from an empty response cache: an identical
// request (the `first` selector's shots are the same on every repeat of an item, at temperature 0)
// is asked once, either merged with the call in flight (single-flight, "shared") or answered by the
// cache once that call has returned. Prints the trials, the calls the server served, and the share
// saved; the baseline is the same sweep's trial count (one call per trial without either).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const server = spawn(process.execPath, [join(root, 'bench/latency-server.js'), '--latency', '20'], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((resolve) => server.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
const dir = mkdtempSync(join(tmpdir(), 'fewshot-single-flight-'));
try {
  const env = { ...process.env, OPENAI_API_KEY: 'sk-bench-not-a-key', OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` };
  delete env.ANTHROPIC_API_KEY;
  delete env.GEMINI_API_KEY;
  delete env.GOOGLE_API_KEY;
  const out = execFileSync(
    process.execPath,
    [join(root, 'dist/bin.js'), 'sweep', join(root, 'experiments/routes.yaml'), '--out', dir, '--quiet', '--cache-dir', join(dir, 'cache')],
    {
      env,
      encoding: 'utf8',
    },
  );
  const stats = await (await fetch(`http://127.0.0.1:${port}/stats`)).json();
  const calls = /(\d+) new calls?, (\d+) from the cache, (\d+) shared/.exec(out);
  const trials = /(\d+) trials \(local (\d+), openai:gpt-4o-mini (\d+)\)/.exec(out);
  const openaiTrials = Number(trials?.[3] ?? Number.NaN);
  console.log(
    `single-flight: flagship routes.yaml, openai:gpt-4o-mini against a 20 ms local server, empty cache: ${openaiTrials} trials, ${stats.served} calls served ` +
      `(the sweep says ${calls?.[1]} new, ${calls?.[2]} from the cache, ${calls?.[3]} shared in flight) -> ${((100 * (openaiTrials - stats.served)) / openaiTrials).toFixed(1)}% of the calls saved`,
  );
} finally {
  server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
