// A 429 storm, end to end and in real time: runSweep against a fake OpenAI server that, while
// "overloaded", serves at most 2 calls at once and answers the rest 429 with Retry-After, then recovers.
// Every trial must still complete within maxAttempts, with no request sent inside a promised Retry-After
// window, at most `concurrency` in flight, the provider's throttle down during the storm and back at
// its concurrency after; a second provider on its own server is never slowed by the first one's storm.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ThrottleSnapshot } from '../src/providers/adaptive.js';
import { runSweep } from '../src/app/sweep-and-report.js';
import type { TrialRecord } from '../src/records/trial.js';
import { ROUTE_ANSWER, SENTINEL, trackServers } from './providers-helpers.js';
import { startOpenAIServer, type FakeServer, type RecordedRequest, type Reply } from './servers/index.js';

const track = trackServers();
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-storm-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CONCURRENCY = 6;
const MAX_ATTEMPTS = 8;
const ITEMS = 24;
const SHOTS = [0, 1, 2];
const TRIALS = ITEMS * SHOTS.length;

/** A 429 the server sent: from `promisedAt` until `until` (its Retry-After) no request may come. */
interface Promise429 {
  id: number;
  promisedAt: number;
  until: number;
}

interface Storm {
  promises: Promise429[];
  stormStartedAt: () => number | null;
  stormEndedAt: () => number | null;
}

/** Headers between the test's fetch wrapper and the fake server. */
const SENT_AT = 'x-test-sent-at';
const PROMISE_ID = 'x-test-promise';

/**
 * Scripts `server` as an overloaded provider. The first `warmup` requests are served at once (the
 * client's connections open and its code warms up); then, for `stormMs`, it serves at most `capacity`
 * calls at once (each takes `slowMs`) and answers any more with 429 + Retry-After (each a numbered
 * promise); then it serves everything (in `fastMs`).
 */
function scriptStorm(server: FakeServer, o: { warmup: number; stormMs: number; capacity: number; retryAfterS: number; slowMs: number; fastMs: number }): Storm {
  let start: number | null = null;
  let seen = 0;
  const busyUntil: number[] = [];
  const storm: Storm = {
    promises: [],
    stormStartedAt: () => start,
    stormEndedAt: () => (start === null ? null : start + o.stormMs),
  };
  server.script((req: RecordedRequest): Reply => {
    const now = req.receivedAt;
    if (seen++ < o.warmup) return { kind: 'text', text: ROUTE_ANSWER, delayMs: o.fastMs };
    start ??= now;
    if (now - start >= o.stormMs) return { kind: 'text', text: ROUTE_ANSWER, delayMs: o.fastMs };
    const active = busyUntil.filter((t) => t > now).length;
    if (active >= o.capacity) {
      const id = storm.promises.length;
      storm.promises.push({ id, promisedAt: now, until: now + o.retryAfterS * 1000 });
      return { kind: 'status', status: 429, headers: { 'retry-after': String(o.retryAfterS), [PROMISE_ID]: String(id) } };
    }
    busyUntil.push(now + o.slowMs);
    return { kind: 'text', text: ROUTE_ANSWER, delayMs: o.slowMs };
  });
  return storm;
}

/**
 * Wraps the global fetch (the SDKs read it when their client is made): stamps SENT_AT, the time each
 * request left, and notes when each 429 promise reached the client.
 */
function instrumentFetch(): { received: Map<number, number>; restore: () => void } {
  const original = globalThis.fetch;
  const received = new Map<number, number>();
  globalThis.fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set(SENT_AT, String(Date.now()));
    const response = await original(input, { ...init, headers });
    const id = response.headers.get(PROMISE_ID);
    if (id !== null) received.set(Number(id), Date.now());
    return response;
  };
  return {
    received,
    restore: () => {
      globalThis.fetch = original;
    },
  };
}

/**
 * Requests sent inside a promised Retry-After window once the client knew of it. When the process is
 * busy the server sees requests late and the client reads answers late, so this is judged on the
 * client's times: the client knows of a 429 from the first 429 its throttle recorded after the answer
 * reached it (that one's own, or an earlier one read later: every Retry-After here is the same, so its
 * cool-down covers the promise too). Until then a request may already be on its way; from then until
 * the promise ends none may leave. `slackMs` covers millisecond rounding only.
 */
function violations(
  requests: readonly RecordedRequest[],
  promises: readonly Promise429[],
  received: ReadonlyMap<number, number>,
  reported: readonly number[],
  slackMs = 1,
) {
  const out: { sentAt: number; promise: Promise429; knownAt: number }[] = [];
  for (const p of promises) {
    const got = received.get(p.id);
    if (got === undefined) throw new Error(`429 #${p.id} never reached the client`);
    const knownAt = reported.find((t) => t >= got);
    if (knownAt === undefined) throw new Error(`429 #${p.id} never reached the throttle`);
    for (const r of requests) {
      const sentAt = Number(r.headers[SENT_AT]);
      if (!Number.isFinite(sentAt)) throw new Error(`a request without ${SENT_AT}`);
      if (sentAt > knownAt + slackMs && sentAt < p.until - slackMs) out.push({ sentAt, promise: p, knownAt });
    }
  }
  return out;
}

function experimentYaml(providers: readonly Record<string, unknown>[]): string {
  return [
    'name: storm',
    'seed: 5',
    `task: { type: routes, stores: { min: 3, max: 3 }, windowTightness: 0.3, poolSize: 4, evalItems: ${ITEMS} }`,
    `shots: [${SHOTS.join(', ')}]`,
    `concurrency: ${CONCURRENCY}`,
    'providers:',
    ...providers.map((p) => `  - ${JSON.stringify(p)}`),
  ].join('\n');
}

describe('a 429 storm with Retry-After', () => {
  it('completes every trial within the limits; the throttle backs off during the storm and recovers after; the other provider is untouched', async () => {
    const stormy = await track(startOpenAIServer());
    const calm = await track(startOpenAIServer());
    const storm = scriptStorm(stormy, { warmup: 2 * CONCURRENCY, stormMs: 500, capacity: 1, retryAfterS: 0.1, slowMs: 40, fastMs: 10 });
    calm.script(() => ({ kind: 'text', text: ROUTE_ANSWER, delayMs: 10 }));

    const experiment = join(tmp, 'storm.yaml');
    writeFileSync(
      experiment,
      experimentYaml([
        // Its own concurrency from the YAML; the calm one gets the experiment's through providerOptions.
        { id: 'openai:gpt-4o-mini', baseUrl: `${stormy.url}/v1`, concurrency: CONCURRENCY, maxAttempts: MAX_ATTEMPTS },
        { id: 'openai-compatible:llama3', baseUrl: `${calm.url}/v1`, apiKeyEnv: 'LOCAL_LLM_KEY' },
      ]),
    );
    const history = new Map<string, (ThrottleSnapshot & { at: number })[]>();
    const onThrottle = (id: string, s: ThrottleSnapshot) => {
      const list = history.get(id) ?? [];
      list.push({ ...s, at: Date.now() });
      history.set(id, list);
    };
    const started = Date.now();
    const client = instrumentFetch();
    const result = await runSweep({
      experimentPath: experiment,
      outDir: join(tmp, 'out'),
      quiet: true,
      env: { OPENAI_API_KEY: SENTINEL, LOCAL_LLM_KEY: SENTINEL },
      log: () => {},
      providerOptions: { concurrency: CONCURRENCY, onThrottle },
    }).finally(client.restore);
    expect(Date.now() - started).toBeLessThan(10_000);

    // Every planned trial answered, none past maxAttempts.
    expect(result.status).toBe('complete');
    expect(result.trials).toBe(2 * TRIALS);
    const trials = readFileSync(join(result.runDir, 'trials.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TrialRecord);
    const stormTrials = trials.filter((t) => t.provider === 'openai:gpt-4o-mini');
    expect(stormTrials).toHaveLength(TRIALS);
    for (const t of trials) {
      expect(t.error, `${t.provider} ${t.itemId} k=${t.k}`).toBeNull();
      expect(t.output).toBe(ROUTE_ANSWER);
      expect(t.attempts).toBeGreaterThanOrEqual(1);
      expect(t.attempts).toBeLessThanOrEqual(MAX_ATTEMPTS);
    }

    // It was a storm: 429s, each costing one retry, and each retry one more request.
    const rateLimited = storm.promises.length;
    expect(rateLimited).toBeGreaterThanOrEqual(3);
    expect(stormTrials.reduce((n, t) => n + (t.attempts ?? 1) - 1, 0)).toBe(rateLimited);
    expect(stormy.requests).toHaveLength(TRIALS + rateLimited);

    // Within the limits: never more in flight than the concurrency, nothing sent inside a promised Retry-After.
    expect(stormy.maxInFlight).toBeLessThanOrEqual(CONCURRENCY);
    expect(calm.maxInFlight).toBeLessThanOrEqual(CONCURRENCY);
    const changes = history.get('openai:gpt-4o-mini') ?? [];
    const reported = changes.filter((e, i) => e.rateLimited > (changes[i - 1]?.rateLimited ?? 0)).map((e) => e.at);
    const seen = violations(stormy.requests, storm.promises, client.received, reported);
    expect(seen).toEqual([]);

    // The throttle went down during the storm and climbed back to the concurrency after it.
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.every((s) => s.max === CONCURRENCY)).toBe(true);
    const stormEnd = storm.stormEndedAt()!;
    const during = changes.filter((s) => s.at >= storm.stormStartedAt()! && s.at < stormEnd);
    expect(Math.min(...during.map((s) => s.limit))).toBeLessThanOrEqual(CONCURRENCY / 2);
    expect(changes.at(-1)!.limit).toBe(CONCURRENCY);
    expect(changes.at(-1)!.rateLimited).toBe(rateLimited);
    console.log(
      `429 storm: ${TRIALS} trials at concurrency ${CONCURRENCY}, ${rateLimited} answered 429 first; the throttle dropped to ` +
        `${Math.min(...during.map((s) => s.limit))} during the storm and climbed back to ${changes.at(-1)!.limit}; most attempts of a trial ` +
        `${Math.max(...stormTrials.map((t) => t.attempts ?? 1))} of ${MAX_ATTEMPTS}; max in flight ${stormy.maxInFlight}`,
    );

    // The calm provider never slowed down (its throttle never changed) and finished before the stormy one.
    expect(history.get('openai-compatible:llama3')).toBeUndefined();
    expect(calm.requests).toHaveLength(TRIALS);
    expect(calm.maxInFlight).toBeGreaterThan(1);
    expect(calm.requests.at(-1)!.receivedAt).toBeLessThan(stormy.requests.at(-1)!.receivedAt);
  });
});
