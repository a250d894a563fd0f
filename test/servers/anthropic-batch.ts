// Fake Anthropic Message Batches, served beside the fake Messages server (anthropic.ts) when it is
// started with `startAnthropicServer({ batch: BatchOptions })`. The job state machine is batch-core.ts's.
//
// Routes (the paths and shapes @anthropic-ai/sdk 1.x's messages.batches uses):
// - POST /v1/messages/batches  {requests: [{custom_id, params}]} -> a MessageBatch (200). Checked as the
//   API checks at creation: a non-empty list, each custom_id matching ^[a-zA-Z0-9_-]{1,64}$ and unique,
//   params an object; else 400 invalid_request_error. A job BatchOptions.fail refuses is answered 400
//   invalid_request_error with the fail message (Anthropic validates a batch when it is created: such a
//   job never runs; it stays in `server.batch.jobs`, phase `failed`).
// - GET /v1/messages/batches/{id} -> the MessageBatch; 404 not_found_error for an unknown id.
// - POST /v1/messages/batches/{id}/cancel -> the MessageBatch after the cancel (a job already ended is
//   left as it is).
// - GET /v1/messages/batches/{id}/results -> the results, JSONL (content-type application/binary, as
//   the SDK asks with `Accept: application/binary`), one line per request in the job's outcome order
//   (shuffled unless BatchOptions.order says 'submitted'); 404 not_found_error before the job ended.
//
// MessageBatch: {id: 'msgbatch_01...', type: 'message_batch', processing_status, request_counts:
// {processing, succeeded, errored, canceled, expired}, created_at, expires_at (24 h on), ended_at,
// cancel_initiated_at, archived_at: null, results_url}. processing_status by the job's phase:
// validating/running/finalizing -> in_progress, cancelling -> canceling, ended/expired/cancelled ->
// ended. request_counts: every request `processing` until the job is terminal, then by outcome.
// results_url: null until ended, then ABSOLUTE (the SDK GETs it as given): http://<the request's Host
// header>/v1/messages/batches/{id}/results.
//
// A result line per outcome (batch-core.ts answers each request through the server's own script, as
// POST /v1/messages would be answered): a 2xx answer -> {custom_id, result: {type: 'succeeded',
// message: <the Message body>}}; an error status -> {type: 'errored', error: <the error body, {type:
// 'error', error: {type, message}, request_id}>}; an expired request or a scripted hang/drop -> {type:
// 'expired'}; a cancelled job's requests -> {type: 'canceled'}. A request the Messages route refuses
// before its script (thinking with a forced tool, stream: true) errors with that 400, as the API would.

import { FakeBatchJobs, type BatchOptions, type FakeBatchJob, type FakeBatchOutcome } from './batch-core.js';
import { anthropicDialect, anthropicErrorBody } from './anthropic.js';
import { headerValue, randomId, type RecordedRequest, type Rendered, type ServerExtension, type ServerTools } from './core.js';

const BATCHES = '/v1/messages/batches';
const ROUTE = /^\/v1\/messages\/batches(?:\/([^/]+)(?:\/(cancel|results))?)?$/;
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The extension and the jobs it keeps (the server's `batch`). */
export function anthropicBatchExtension(options: BatchOptions): { extension: ServerExtension; jobs: FakeBatchJobs } {
  const jobs = new FakeBatchJobs(options, () => '/v1/messages');
  const extension: ServerExtension = {
    serves: (method, path) => {
      const match = ROUTE.exec(path);
      if (!match) return false;
      if (match[1] === undefined) return method === 'POST';
      return method === (match[2] === 'cancel' ? 'POST' : 'GET');
    },
    handle: (req, _raw, tools) => handle(jobs, req, tools),
  };
  return { extension, jobs };
}

async function handle(jobs: FakeBatchJobs, req: RecordedRequest, tools: ServerTools): Promise<Rendered> {
  const [, id, action] = ROUTE.exec(req.path.split('?')[0]!)!;
  if (id === undefined) return create(jobs, req);
  const job = jobs.get(id);
  if (!job) return error(404, 'not_found_error', `message_batch_id: ${id} not found`);
  if (action === 'cancel') jobs.cancel(job);
  if (action === 'results') return results(jobs, job, tools);
  return ok(await messageBatch(jobs, job, req, tools));
}

function create(jobs: FakeBatchJobs, req: RecordedRequest): Rendered {
  const refusal = invalidRequests(req.body?.requests);
  if (refusal !== null) return error(400, 'invalid_request_error', refusal);
  const requests = (req.body.requests as { custom_id: string; params: unknown }[]).map((r) => ({ customId: r.custom_id, body: r.params }));
  const job = jobs.create(`msgbatch_01${randomId(22)}`, requests, { createdAt: new Date().toISOString() });
  if (job.failure !== null) return error(400, 'invalid_request_error', job.failure);
  return ok(batchBody(jobs, job, req));
}

/** Why the API would refuse this `requests` list at creation, or null. */
function invalidRequests(requests: unknown): string | null {
  if (!Array.isArray(requests) || requests.length === 0) return 'requests: must be a non-empty list';
  const seen = new Set<string>();
  for (const [i, r] of requests.entries()) {
    const customId = (r as { custom_id?: unknown })?.custom_id;
    if (typeof customId !== 'string' || !CUSTOM_ID.test(customId)) return `requests.${i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`;
    if (seen.has(customId)) return `requests.${i}.custom_id: duplicate custom_id ${customId}`;
    seen.add(customId);
    const params = (r as { params?: unknown }).params;
    if (params === null || typeof params !== 'object' || Array.isArray(params)) return `requests.${i}.params: Input should be an object`;
  }
  return null;
}

/** The batch as the API shows it; a terminal job's requests are answered first, so its counts are final. */
async function messageBatch(jobs: FakeBatchJobs, job: FakeBatchJob, req: RecordedRequest, tools: ServerTools): Promise<unknown> {
  await jobs.outcomes(job, refusingTools(tools));
  return batchBody(jobs, job, req);
}

function batchBody(jobs: FakeBatchJobs, job: FakeBatchJob, req: RecordedRequest): unknown {
  const status = processingStatus(jobs, job);
  if (status === 'ended') job.meta.endedAt ??= new Date().toISOString();
  const createdAt = String(job.meta.createdAt);
  return {
    id: job.id,
    type: 'message_batch',
    processing_status: status,
    request_counts: requestCounts(job),
    created_at: createdAt,
    expires_at: new Date(Date.parse(createdAt) + DAY_MS).toISOString(),
    ended_at: status === 'ended' ? job.meta.endedAt : null,
    cancel_initiated_at: job.cancelledAt === null ? null : new Date(job.cancelledAt).toISOString(),
    archived_at: null,
    results_url: status === 'ended' ? `http://${headerValue(req.headers, 'host')}${BATCHES}/${job.id}/results` : null,
  };
}

function processingStatus(jobs: FakeBatchJobs, job: FakeBatchJob): 'in_progress' | 'canceling' | 'ended' {
  switch (jobs.phase(job)) {
    case 'validating':
    case 'running':
    case 'finalizing':
      return 'in_progress';
    case 'cancelling':
      return 'canceling';
    default:
      return 'ended';
  }
}

function requestCounts(job: FakeBatchJob): Record<'processing' | 'succeeded' | 'errored' | 'canceled' | 'expired', number> {
  const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  if (job.outcomes === null) return { ...counts, processing: job.requests.length };
  for (const outcome of job.outcomes) counts[resultOf(outcome).type]++;
  return counts;
}

async function results(jobs: FakeBatchJobs, job: FakeBatchJob, tools: ServerTools): Promise<Rendered> {
  const outcomes = await jobs.outcomes(job, refusingTools(tools));
  if (outcomes === null) return error(404, 'not_found_error', `Results for message batch ${job.id} are not available yet.`);
  const lines = outcomes.map((o) => JSON.stringify({ custom_id: o.customId, result: resultOf(o) }));
  return { status: 200, headers: { 'content-type': 'application/binary' }, body: `${lines.join('\n')}\n` };
}

type ResultBody = { type: 'succeeded'; message: unknown } | { type: 'errored'; error: unknown } | { type: 'canceled' } | { type: 'expired' };

function resultOf(outcome: FakeBatchOutcome): ResultBody {
  if ('missing' in outcome) return outcome.missing === 'cancelled' ? { type: 'canceled' } : { type: 'expired' };
  const { status, body } = outcome.rendered;
  if (status < 300) return { type: 'succeeded', message: typeof body === 'string' ? parseOr(body) : body };
  // A raw (non-JSON) error reply has no error body: wrap it in one, as the API always sends one.
  return { type: 'errored', error: typeof body === 'string' ? anthropicErrorBody('api_error', body) : body };
}

/** A raw reply's body as JSON when it is some (a malformed message stays malformed for the client to find). */
function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The server's tools, with the Messages route's own refusals (made before its script) answered first. */
function refusingTools(tools: ServerTools): ServerTools {
  return {
    ...tools,
    answer: async (path, body) => {
      const recorded: RecordedRequest = { method: 'POST', path, headers: {}, body, receivedAt: Date.now(), routed: true };
      return anthropicDialect.unsupported?.(recorded) ?? tools.answer(path, body);
    },
  };
}

function ok(body: unknown): Rendered {
  return { status: 200, headers: { 'request-id': `req_011C${randomId(20)}` }, body };
}

function error(status: number, type: string, message: string): Rendered {
  const requestId = `req_011C${randomId(20)}`;
  return { status, headers: { 'request-id': requestId }, body: anthropicErrorBody(type, message, requestId) };
}
