// Fake Gemini API Batch Mode (startGeminiServer({ batch: BatchOptions })), inlined requests only, as
// @google/genai 2.x speaks it (node_modules/@google/genai/dist/node/index.mjs: Batches.createInternal,
// get, cancel; createBatchJobParametersToMldev, inlinedRequestToMldev, batchJobFromMldev,
// batchJobDestinationFromMldev, inlinedResponseFromMldev, tJobState):
//
//   POST /{v1beta|v1|v1alpha}/models/{model}:batchGenerateContent   (batches.create)
//     body {batch: {displayName, inputConfig: {requests: {requests: [{request, metadata}]}}}}, each
//     `request` a GenerateContentRequest without `model` (contents, systemInstruction, generationConfig)
//     and `metadata` the caller's Struct ({key}). Answers the job's Operation (below), PENDING.
//     A body without inline requests: 400 INVALID_ARGUMENT (file input, `fileName`, is not served).
//   GET  /{v}/batches/{id}           (batches.get, operations.get): the job's Operation.
//   POST /{v}/batches/{id}:cancel    (batches.cancel): {}; an unknown job: 404 NOT_FOUND.
//
// The Operation, as the Gemini API sends it (proto3 JSON: int64 as strings, zero counts omitted):
//   {name: 'batches/{id}',
//    metadata: {'@type': 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch',
//               model: 'models/{model}', displayName, createTime, updateTime, name,
//               batchStats: {requestCount, successfulRequestCount?, failedRequestCount?, pendingRequestCount?},
//               state: BATCH_STATE_*, output?: {inlinedResponses: {inlinedResponses: [...]}}},
//    done?: true, response?: {'@type': '...GenerateContentBatchOutput', inlinedResponses: {...}},
//    error?: {code, message}}
// The SDK's batchJobFromMldev reads metadata.state (renaming BATCH_STATE_X to JOB_STATE_X),
// metadata.output as `dest` (dest.inlinedResponses: [{response, metadata, error}]), and drops
// batchStats and the Operation's error; operations.get hands the Operation back whole.
//
// States, from the FakeBatchJobs phase (batch-core.ts): validating -> BATCH_STATE_PENDING; running,
// finalizing -> BATCH_STATE_RUNNING; ended -> BATCH_STATE_SUCCEEDED; expired -> BATCH_STATE_EXPIRED;
// cancelling, cancelled -> BATCH_STATE_CANCELLED (the API has no cancelling state) with error
// {code: 1 (CANCELLED)}, as a cancelled Operation carries; failed -> BATCH_STATE_FAILED with error
// {code: 3 (INVALID_ARGUMENT), message: the fail() text}. Terminal states have done: true.
//
// Inlined responses: one per answered request, each asked of the server's script once (tools.answer
// on POST /{v}/models/{model}:generateContent with the request as its body, exactly as the
// synchronous route answers it), carrying the request's metadata back. A 2xx answer is `response`:
// the rendered GenerateContentResponse body; any other is `error`: the error body's {code, message,
// status} (code being the HTTP status, as the fake's error bodies say it); a scripted hang or drop
// is error 500 INTERNAL. Expired requests have no entry; a cancelled job has no output at all.
// Order: the request order, as the API documents; `order: 'shuffled'` (set explicitly) keeps
// batch-core's seeded shuffle instead, as python-genai#1909 reports large jobs coming back.

import { FakeBatchJobs, type BatchOptions, type FakeBatchJob, type FakeBatchOutcome } from './batch-core.js';
import { randomId, type Rendered, type ServerExtension } from './core.js';
import { geminiErrorBody } from './gemini.js';

const CREATE_PATH = /^\/(v1|v1beta|v1alpha)\/models\/([^/:]+):batchGenerateContent$/;
const JOB_PATH = /^\/(v1|v1beta|v1alpha)\/batches\/([^/:]+)$/;
const CANCEL_PATH = /^\/(v1|v1beta|v1alpha)\/batches\/([^/:]+):cancel$/;

const BATCH_TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch';
const OUTPUT_TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput';

const WIRE_STATE = {
  validating: 'BATCH_STATE_PENDING',
  running: 'BATCH_STATE_RUNNING',
  finalizing: 'BATCH_STATE_RUNNING',
  ended: 'BATCH_STATE_SUCCEEDED',
  expired: 'BATCH_STATE_EXPIRED',
  failed: 'BATCH_STATE_FAILED',
  cancelling: 'BATCH_STATE_CANCELLED',
  cancelled: 'BATCH_STATE_CANCELLED',
} as const;

interface GeminiJobMeta {
  version: string;
  model: string;
  displayName: string;
  /** The metadata each request was sent with, echoed on its response. */
  metadata: unknown[];
}

export interface GeminiBatchExtension extends ServerExtension {
  readonly jobs: FakeBatchJobs;
}

/** The jobs, and whether their responses keep batch-core's shuffle (only when asked for by name). */
interface Jobs {
  all: FakeBatchJobs;
  shuffled: boolean;
}

export function geminiBatchExtension(options: BatchOptions): GeminiBatchExtension {
  const all = new FakeBatchJobs(options, (job) => {
    const meta = job.meta as unknown as GeminiJobMeta;
    return `/${meta.version}/models/${meta.model}:generateContent`;
  });
  const jobs: Jobs = { all, shuffled: options.order === 'shuffled' };

  const create = (version: string, model: string, body: any): Rendered => {
    const entries = body?.batch?.inputConfig?.requests?.requests;
    if (!Array.isArray(entries) || entries.length === 0) {
      return { status: 400, headers: {}, body: geminiErrorBody(400, '* BatchGenerateContentRequest.batch.input_config: inline requests are required') };
    }
    const requests = entries.map((e: any, i: number) => ({ customId: typeof e?.metadata?.key === 'string' ? e.metadata.key : String(i), body: e?.request }));
    const meta: GeminiJobMeta = { version, model, displayName: String(body.batch.displayName ?? ''), metadata: entries.map((e: any) => e?.metadata) };
    const job = all.create(`batches/${randomId(36).toLowerCase()}`, requests, meta as unknown as Record<string, unknown>);
    return { status: 200, headers: {}, body: operation(jobs, job, null) };
  };

  return {
    jobs: all,
    serves(method, path) {
      if (method === 'POST') return CREATE_PATH.test(path) || CANCEL_PATH.test(path);
      return method === 'GET' && JOB_PATH.test(path);
    },
    async handle(req, _raw, tools) {
      const path = req.path.split('?')[0]!;
      const created = CREATE_PATH.exec(path);
      if (created) return create(created[1]!, decodeURIComponent(created[2]!), req.body);
      const cancelled = CANCEL_PATH.exec(path);
      const job = all.get(`batches/${(cancelled ?? JOB_PATH.exec(path))![2]!}`);
      if (!job) return { status: 404, headers: {}, body: geminiErrorBody(404, 'Requested entity was not found.') };
      if (cancelled) {
        all.cancel(job);
        return { status: 200, headers: {}, body: {} };
      }
      return { status: 200, headers: {}, body: operation(jobs, job, await all.outcomes(job, tools)) };
    },
  };
}

/** The job as the Operation GET batches/{id} answers. */
function operation(jobs: Jobs, job: FakeBatchJob, outcomes: FakeBatchOutcome[] | null): Record<string, unknown> {
  const meta = job.meta as unknown as GeminiJobMeta;
  const phase = jobs.all.phase(job);
  const state = WIRE_STATE[phase];
  const output = outcomes && phase !== 'cancelled' ? { inlinedResponses: { inlinedResponses: inlinedResponses(jobs, job, outcomes) } } : undefined;
  // BATCH_STATE_CANCELLED is final on the wire, cancelling included.
  const done = phase !== 'validating' && phase !== 'running' && phase !== 'finalizing';
  return {
    name: job.id,
    metadata: {
      '@type': BATCH_TYPE,
      model: `models/${meta.model}`,
      displayName: meta.displayName,
      createTime: new Date(job.createdAt).toISOString(),
      updateTime: new Date().toISOString(),
      ...(done && { endTime: new Date().toISOString() }),
      batchStats: batchStats(jobs.all, job, done),
      state,
      name: job.id,
      ...(output && { output }),
    },
    ...(done && { done: true }),
    ...(output && { response: { '@type': OUTPUT_TYPE, ...output } }),
    ...(phase === 'failed' && { error: { code: 3, message: job.failure } }),
    ...((phase === 'cancelling' || phase === 'cancelled') && { error: { code: 1, message: 'CANCELLED' } }),
  };
}

/** The answered requests' entries, in request order unless the options asked for a shuffle. */
function inlinedResponses(jobs: Jobs, job: FakeBatchJob, outcomes: FakeBatchOutcome[]): unknown[] {
  const meta = job.meta as unknown as GeminiJobMeta;
  const position = new Map(job.requests.map((r, i) => [r.customId, i]));
  const ordered = jobs.shuffled ? outcomes : [...outcomes].sort((a, b) => position.get(a.customId)! - position.get(b.customId)!);
  return ordered.flatMap((o) => {
    if ('missing' in o && o.missing !== 'hang') return [];
    const metadata = meta.metadata[position.get(o.customId)!];
    return [
      {
        ...('rendered' in o ? entryOf(o.rendered) : { error: geminiErrorBody(500, 'Internal error encountered.').error }),
        ...(metadata !== undefined && { metadata }),
      },
    ];
  });
}

/** A rendered chat answer as an inlined response's `response` (2xx) or `error`. */
function entryOf(rendered: Rendered): { response: unknown } | { error: unknown } {
  const body = typeof rendered.body === 'string' ? parse(rendered.body) : rendered.body;
  if (rendered.status < 300 && body !== undefined) return { response: body };
  const error = (body as { error?: unknown } | undefined)?.error;
  return { error: error ?? geminiErrorBody(rendered.status, `Request failed with status ${rendered.status}.`).error };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** batchStats as proto3 JSON sends it: int64 as strings, zeros omitted. */
function batchStats(jobs: FakeBatchJobs, job: FakeBatchJob, done: boolean): Record<string, string> {
  const { total, succeeded, failed } = jobs.counts(job);
  const pending = done ? 0 : total;
  const stats: Record<string, string> = { requestCount: String(total) };
  if (succeeded > 0) stats.successfulRequestCount = String(succeeded);
  if (failed > 0) stats.failedRequestCount = String(failed);
  if (pending > 0) stats.pendingRequestCount = String(pending);
  return stats;
}
