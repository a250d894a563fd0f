// A fixed-latency server speaking the OpenAI Chat Completions wire format, for benchmarks
// (`node bench/latency-server.js [--latency MS]`, default 50 ms). No dependencies.
//
// - POST to any path ending in /chat/completions (e.g. /v1/chat/completions) answers, after the
//   fixed latency counted from the end of the request body, with one fixed chat.completion reply.
// - GET /stats returns {"served": N, "maxInFlight": M, "windowMs": W} as JSON, W being the time from
//   the first request's arrival to the last reply (the call phase, without the client's set-up and
//   report); GET /stats?reset=1 replies with the current counts and then sets them to zero.
// - Anything else gets a 404 in the OpenAI error shape (and is not counted).
// Listens on 127.0.0.1 on a free port, prints that port as the first line of stdout once
// listening, and exits on SIGTERM (or SIGINT).
import { createServer } from 'node:http';
import { sendOpenAIError } from './openai-wire.js';

function parseLatency(argv) {
  let latency = 50;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    let v;
    if (a === '--latency') v = argv[++i];
    else if (a.startsWith('--latency=')) v = a.slice('--latency='.length);
    else {
      process.stderr.write(`latency-server: unknown argument ${JSON.stringify(a)} (usage: node bench/latency-server.js [--latency MS])\n`);
      process.exit(2);
    }
    latency = Number(v);
    if (v === undefined || !Number.isFinite(latency) || latency < 0) {
      process.stderr.write(`latency-server: --latency needs a number of milliseconds >= 0, got ${JSON.stringify(v)}\n`);
      process.exit(2);
    }
  }
  return latency;
}

const LATENCY_MS = parseLatency(process.argv.slice(2));

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
let firstAt = null;
let lastAt = null;

const server = createServer((req, res) => {
  const path = req.url.split('?')[0];
  if (req.method === 'GET' && path === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ served, maxInFlight, windowMs: firstAt === null ? 0 : lastAt - firstAt }));
    if (req.url.includes('reset')) {
      served = maxInFlight = 0;
      firstAt = lastAt = null;
    }
    return;
  }
  if (req.method !== 'POST' || !path.endsWith('/chat/completions')) {
    req.resume();
    sendOpenAIError(res, 404, 'latency-server', `no route for ${req.method} ${path}`, 'not_found');
    return;
  }
  firstAt ??= performance.now();
  req.resume();
  req.on('end', () => {
    inFlight++;
    if (inFlight > maxInFlight) maxInFlight = inFlight;
    setTimeout(() => {
      inFlight--;
      served++;
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_${served}` });
      res.end(reply);
      lastAt = performance.now();
    }, LATENCY_MS);
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
