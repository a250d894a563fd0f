// A simulated provider for benchmarks: a local server speaking the OpenAI Chat Completions wire format
// that answers a two-or-more-label classify task with a known accuracy-vs-k curve per model
// (`node bench/sim-provider-server.js [--ks 0,1,2,4,8,16] [--consistency 0.8] [--seed S]`, after `npm run build`). No npm dependencies.
//
// - POST to any path ending in /chat/completions (e.g. /v1/chat/completions) answers at once (no delay)
//   with a chat.completion whose content is a label. The request's `model` names the true curve
//   (SHAPES, imported from src/analysis/simulate.ts as built in dist/; `peak` and `flat` are
//   short for `peak-regression` and `no-benefit`); k is the number of assistant turns (the shots);
//   the item is the last user message, whose text names its right label as "about <label>"; the
//   label list is read from the system prompt's "- <label>" lines (the classify task's built-in prompt).
// - The answer is right when V < p_k, V being the item's latent ease (a hash of seed, model and item
//   text) with probability `consistency`, and otherwise a fresh draw for that (item, k) (another
//   hash), exactly as simulateTrials draws them: the accuracy at k is p_k over many items, and an
//   item's answers agree across k as real items do. Wrong answers are another label of the list.
//   Everything is deterministic: the same request always gets the same answer.
// - A k off the grid, an unknown model or an item without "about <label>" gets a 400 in the OpenAI
//   error shape (counted under `rejected`, not as a call).
// - GET /stats returns {"calls": {model: N}, "total": N, "rejected": N, "lastRejection": message or null} as JSON; GET /stats?reset=1
//   replies with the current counts and then sets them to zero.
// Listens on 127.0.0.1 on a free port, prints that port as the first line of stdout once
// listening, and exits on SIGTERM (or SIGINT).
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { KS, SHAPES } from '../dist/analysis/simulate.js';
import { sendOpenAIError } from './openai-wire.js';

// The very curves the analysis' ground truth names (built by `npm run bench` before it runs).
export { SHAPES } from '../dist/analysis/simulate.js';
export const ALIASES = { peak: 'peak-regression', flat: 'no-benefit' };

function usage(message) {
  process.stderr.write(`sim-provider-server: ${message} (usage: node bench/sim-provider-server.js [--ks 0,1,2,4,8,16] [--consistency 0.8] [--seed S])\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { ks: KS, consistency: 0.8, seed: 'bench' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const v = inline ?? argv[++i];
    if (v === undefined) usage(`${flag} needs a value`);
    if (flag === '--ks') {
      o.ks = v.split(',').map(Number);
      if (o.ks.some((k) => !Number.isInteger(k) || k < 0) || o.ks.length !== KS.length) {
        usage(`--ks needs ${KS.length} shot counts (one per point of the curves), got ${JSON.stringify(v)}`);
      }
    } else if (flag === '--consistency') {
      o.consistency = Number(v);
      if (!(o.consistency >= 0 && o.consistency <= 1)) usage(`--consistency needs a number in [0, 1], got ${JSON.stringify(v)}`);
    } else if (flag === '--seed') o.seed = v;
    else usage(`unknown argument ${JSON.stringify(argv[i])}`);
  }
  return o;
}

/** A uniform draw in [0, 1) from a hash of the parts (48 bits of SHA-256). */
function uniform(...parts) {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUIntBE(0, 6) / 2 ** 48;
}

/** The simulated model's label for an item at k, and whether it is the right one. */
export function answer({ seed, consistency, accuracy, model, k, text, labels, right }) {
  const ease = uniform(seed, model, 'ease', text);
  const v = uniform(seed, model, 'mix', text, k) < consistency ? ease : uniform(seed, model, 'fresh', text, k);
  if (v < accuracy) return { label: right, correct: true };
  const others = labels.filter((l) => l !== right);
  return { label: others[Math.floor(uniform(seed, model, 'wrong', text, k) * others.length)], correct: false };
}

/** The label an item's text names as "about <label>" (its right answer), or undefined. */
export function namedLabel(text, labels) {
  const literal = (x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return labels.find((l) => new RegExp(`\\babout ${literal(l)}(?![\\w-])`).test(text));
}

function contentOf(message) {
  if (typeof message?.content === 'string') return message.content;
  if (Array.isArray(message?.content)) return message.content.map((p) => p?.text ?? '').join('');
  return '';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = parseArgs(process.argv.slice(2));
  let calls = {};
  let total = 0;
  let rejected = 0;
  let lastRejection = null;

  const error = (res, status, message) => {
    rejected++;
    lastRejection = message;
    sendOpenAIError(res, status, 'sim-provider-server', message);
  };

  const server = createServer((req, res) => {
    const path = req.url.split('?')[0];
    if (req.method === 'GET' && path === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ calls, total, rejected, lastRejection }));
      if (req.url.includes('reset')) {
        calls = {};
        total = rejected = 0;
        lastRejection = null;
      }
      return;
    }
    if (req.method !== 'POST' || !path.endsWith('/chat/completions')) {
      req.resume();
      sendOpenAIError(res, 404, 'sim-provider-server', `no route for ${req.method} ${path}`, 'not_found');
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return error(res, 400, 'the body is not JSON');
      }
      const model = String(body.model ?? '');
      const accuracies = SHAPES[ALIASES[model] ?? model];
      if (!accuracies) return error(res, 404, `unknown model ${JSON.stringify(model)}: one of ${[...Object.keys(SHAPES), ...Object.keys(ALIASES)].join(', ')}`);
      const messages = Array.isArray(body.messages) ? body.messages : [];
      const k = messages.filter((m) => m?.role === 'assistant').length;
      const j = options.ks.indexOf(k);
      if (j < 0) return error(res, 400, `k = ${k} shots is not on the grid ${options.ks.join(', ')}`);
      const last = [...messages].reverse().find((m) => m?.role === 'user');
      const text = contentOf(last);
      const system = messages
        .filter((m) => m?.role === 'system' || m?.role === 'developer')
        .map(contentOf)
        .join('\n');
      const labels = [...system.matchAll(/^- (\S.*)$/gm)].map((m) => m[1].trim());
      const right = namedLabel(text, labels);
      if (!right)
        return error(res, 400, `the item does not name one of the labels (${labels.join(', ')}) as "about <label>": ${JSON.stringify(text.slice(0, 80))}`);
      const { label } = answer({ ...options, accuracy: accuracies[j], model, k, text, labels, right });
      calls[model] = (calls[model] ?? 0) + 1;
      total++;
      const promptTokens = Math.ceil(messages.reduce((n, m) => n + contentOf(m).length, 0) / 4);
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_sim_${total}` });
      res.end(
        JSON.stringify({
          id: `chatcmpl-sim-${total}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: label, refusal: null }, logprobs: null, finish_reason: 'stop' }],
          usage: { prompt_tokens: promptTokens, completion_tokens: 2, total_tokens: promptTokens + 2, prompt_tokens_details: { cached_tokens: 0 } },
        }),
      );
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
}
