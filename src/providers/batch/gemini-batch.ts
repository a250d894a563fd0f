/**
 * The Gemini API's Batch Mode (issue 18) through @google/genai 2.x, with the requests inlined:
 * - submit: `batches.create({model, src: InlinedRequest[], config: {displayName}})`, which posts
 *   `{batch: {displayName, inputConfig: {requests: {requests: [{request, metadata: {key}}]}}}}` to
 *   /v1beta/models/{model}:batchGenerateContent. Each InlinedRequest is `{contents, config, metadata}`
 *   with the very contents and config complete() gives models.generateContent (GoogleProvider builds
 *   both), so the SDK writes the same GenerateContentRequest (contents, systemInstruction,
 *   generationConfig; no model: it is in the path, as for generateContent). `metadata.key` is the customId.
 * - status: `operations.get` on the job's name (GET /v1beta/batches/{id}), which hands back the
 *   Operation whole: batches.get's converter keeps neither `metadata.batchStats` (the counts) nor the
 *   Operation's `error` (why a job failed), which the status reports.
 * - results: `batches.get` (the same GET, read by the SDK's converter): `dest.inlinedResponses`,
 *   from the wire's `metadata.output.inlinedResponses.inlinedResponses`, each `{response | error, metadata}`.
 * - cancel: `batches.cancel` (POST /v1beta/batches/{id}:cancel, an empty answer), then the status.
 *
 * States: the wire says BATCH_STATE_*, which the SDK renames JOB_STATE_* (its tJobState; the status's
 * providerState is that name). PENDING -> validating, RUNNING -> running, SUCCEEDED -> ended, FAILED ->
 * failed (the Operation's error message as the status's message), CANCELLED -> cancelled, EXPIRED ->
 * expired. The API has no cancelling state: cancel() answers `cancelling` for a job still pending or
 * running after the request, and status() reports what the API says. An unknown state reads `running`
 * (not terminal: the runner keeps polling).
 *
 * Mapping back. The API documents the inlined responses in request order, but python-genai#1909
 * reports them out of order on large jobs, so each response is matched by the `metadata.key` it
 * carries (InlinedResponse.metadata, which the SDK keeps). Only when no response carries a key
 * (js-genai#1191 reports responses without it) are they matched by position, and then only for a job
 * this engine submitted or was told of (`adopt`) and only when there is one response per request; a
 * response that can be matched neither way is left out (the runner counts it as expired). A request
 * the engine knows of with no response comes back `expired` (`cancelled` in a cancelled job).
 *
 * Per-request errors are google.rpc.Status `{code, message}`: a code that is an HTTP status is read
 * as one, a gRPC code (RESOURCE_EXHAUSTED = 8, ...) as the HTTP status Google maps it to, then
 * classifyError as for a synchronous error answer.
 *
 * Limits: inlined requests must keep the create call under 20 MB (the Batch Mode guide); larger
 * sweeps are split into several jobs by the runner. Uploading a JSONL input file (up to 2 GB) is not
 * implemented. The most requests per job is not documented for inlined requests: 50,000 is assumed.
 * Vertex AI's batch prediction (Cloud Storage or BigQuery input) is not offered.
 */
import type { Content, GenerateContentConfig, GoogleGenAI, InlinedRequest, Operation } from '@google/genai';
import { z } from 'zod';
import type { BatchEngine, BatchItemResult, BatchJobState, BatchJobStatus, BatchRequest } from '../batch.js';
import { BATCH_TERMINAL_STATES } from '../batch.js';
import { classifyError } from '../classify-error.js';
import { ProviderError, type CompletionRequest, type CompletionResult } from '../provider.js';

/** What models.generateContent is given for a request (besides the model and the abort signal). */
export interface GenerateContentParams {
  contents: Content[];
  config: GenerateContentConfig;
}

/** Inlined requests: under 20 MB per create call (Batch Mode guide); 50,000 requests is an assumption, not a documented limit. */
export const GEMINI_BATCH_LIMITS: BatchEngine['limits'] = { maxRequests: 50_000, maxBytes: 20 * 1024 * 1024 };

/** What the engine uses of its adapter: the same request building, answer reading and SDK calls as complete(). */
export interface GeminiBatchHost {
  readonly providerId: string;
  readonly model: string;
  /** models.generateContent's contents and config for the request, as complete() sends them. */
  params(request: CompletionRequest): GenerateContentParams;
  /** complete()'s reading of a GenerateContentResponse (throws a refusal or malformed body as complete() does). */
  readResponse(raw: unknown): CompletionResult;
  /** One SDK call whose errors come back as typed ProviderErrors (HttpAdapter.call). */
  call(send: (client: GoogleGenAI) => Promise<unknown>, signal?: AbortSignal): Promise<unknown>;
  /** The value as the schema documents it, or a `malformed` ProviderError (HttpAdapter.validate). */
  validate<S extends z.ZodType>(schema: S, raw: unknown): z.output<S>;
}

/** BATCH_STATE_* (the wire) and JOB_STATE_* (the SDK's names for them) as the contract's states. */
const STATES: Readonly<Record<string, BatchJobState>> = {
  JOB_STATE_UNSPECIFIED: 'validating',
  JOB_STATE_QUEUED: 'validating',
  JOB_STATE_PENDING: 'validating',
  JOB_STATE_RUNNING: 'running',
  JOB_STATE_SUCCEEDED: 'ended',
  JOB_STATE_FAILED: 'failed',
  JOB_STATE_CANCELLING: 'cancelling',
  JOB_STATE_CANCELLED: 'cancelled',
  JOB_STATE_EXPIRED: 'expired',
};

/** google.rpc.Code as the HTTP status Google's APIs answer it with (google/rpc/code.proto). */
const GRPC_HTTP_STATUS: Readonly<Record<number, number>> = {
  1: 499,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  15: 500,
  16: 401,
};

/** The job names batches.create gives: `batches/{id}`. */
const JOB_NAME = /^batches\/[A-Za-z0-9_-]+$/;

const int64 = z.union([z.string(), z.number()]).optional();

const createdSchema = z.looseObject({ name: z.string(), state: z.string().optional() });

const operationSchema = z.looseObject({
  error: z.looseObject({ message: z.string().optional() }).optional(),
  metadata: z
    .looseObject({
      state: z.string().optional(),
      batchStats: z.looseObject({ requestCount: int64, successfulRequestCount: int64, failedRequestCount: int64 }).optional(),
    })
    .optional(),
});

const statusSchema = z.looseObject({ code: z.number().optional(), message: z.string().optional(), status: z.string().optional() });
type RpcStatus = z.output<typeof statusSchema>;

const inlinedResponseSchema = z.looseObject({
  response: z.unknown().optional(),
  error: statusSchema.optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
type InlinedResponse = z.output<typeof inlinedResponseSchema>;

const jobSchema = z.looseObject({
  state: z.string().optional(),
  dest: z.looseObject({ fileName: z.string().optional(), inlinedResponses: z.array(inlinedResponseSchema).optional() }).optional(),
});

export class GeminiBatchEngine implements BatchEngine {
  readonly limits = GEMINI_BATCH_LIMITS;
  /** The customIds of the jobs submitted (or adopted) in this process, in request order. */
  private readonly jobs = new Map<string, readonly string[]>();

  constructor(private readonly host: GeminiBatchHost) {}

  /** The bytes of the request's entry in the create call: `{request: GenerateContentRequest, metadata: {key}}`. */
  size(request: BatchRequest): number {
    return Buffer.byteLength(JSON.stringify(this.wireEntry(request)));
  }

  async submit(requests: readonly BatchRequest[], signal?: AbortSignal): Promise<BatchJobStatus> {
    if (requests.length === 0) throw new ProviderError('bad_request', `${this.host.providerId}: a batch job needs at least one request`, null, null, 'none');
    const src: InlinedRequest[] = requests.map((r) => ({ ...this.host.params(r.request), metadata: { key: r.customId } }));
    const raw = await this.host.call(
      (client) =>
        client.batches.create({
          model: this.host.model,
          src,
          // The API requires a display name; it is only a label.
          config: { displayName: `fewshot ${this.host.model} x${requests.length}`, ...(signal && { abortSignal: signal }) },
        }),
      signal,
    );
    const job = this.host.validate(createdSchema, raw);
    this.jobs.set(
      job.name,
      requests.map((r) => r.customId),
    );
    return statusOf(job.name, job.state, { total: requests.length, succeeded: 0, failed: 0 });
  }

  /** Tells the engine the requests of a job an earlier process submitted, in the order submitted (see the header: matching by position). */
  adopt(jobId: string, requests: readonly BatchRequest[]): void {
    this.jobs.set(
      jobId,
      requests.map((r) => r.customId),
    );
  }

  async status(jobId: string, signal?: AbortSignal): Promise<BatchJobStatus> {
    const name = this.checkedName(jobId);
    const raw = await this.host.call(
      (client) => client.operations.get({ operation: wholeOperation(name), ...(signal && { config: { abortSignal: signal } }) }),
      signal,
    );
    const operation = this.host.validate(operationSchema, raw);
    const stats = operation.metadata?.batchStats;
    const status = statusOf(name, operation.metadata?.state, {
      total: Number(stats?.requestCount ?? 0),
      succeeded: Number(stats?.successfulRequestCount ?? 0),
      failed: Number(stats?.failedRequestCount ?? 0),
    });
    const message = operation.error?.message;
    return status.state === 'failed' && message !== undefined ? { ...status, message } : status;
  }

  async cancel(jobId: string, signal?: AbortSignal): Promise<BatchJobStatus> {
    const name = this.checkedName(jobId);
    await this.host.call((client) => client.batches.cancel({ name, ...(signal && { config: { abortSignal: signal } }) }), signal);
    const status = await this.status(name, signal);
    // The API cancels asynchronously and has no state for it: a job still going has been asked to stop.
    return status.state === 'validating' || status.state === 'running' ? { ...status, state: 'cancelling' } : status;
  }

  async results(jobId: string, signal?: AbortSignal, requests?: readonly BatchRequest[]): Promise<BatchItemResult[]> {
    // A job another process submitted: its requests, as the runner knows them, say what reading its results needs.
    if (requests && !this.jobs.has(jobId)) this.adopt(jobId, requests);
    const name = this.checkedName(jobId);
    const raw = await this.host.call((client) => client.batches.get({ name, ...(signal && { config: { abortSignal: signal } }) }), signal);
    const job = this.host.validate(jobSchema, raw);
    const state = stateOf(job.state);
    if (!BATCH_TERMINAL_STATES.has(state)) {
      throw new ProviderError('other', `${this.host.providerId}: batch job ${name} is ${providerStateOf(job.state)}: no results yet`, null, null, 'none');
    }
    if (job.dest?.fileName !== undefined) {
      throw new ProviderError(
        'other',
        `${this.host.providerId}: batch job ${name} wrote its results to ${job.dest.fileName}, which this tool does not read`,
        null,
        null,
        'none',
      );
    }
    return this.itemsOf(name, state, job.dest?.inlinedResponses ?? []);
  }

  /** Each response under the customId it answers, then the requests known to the engine that have none. */
  private itemsOf(name: string, state: BatchJobState, responses: readonly InlinedResponse[]): BatchItemResult[] {
    const known = this.jobs.get(name);
    const ours = known && new Set(known);
    const byPosition = known !== undefined && known.length === responses.length && responses.every((r) => keyOf(r) === undefined);
    const items = new Map<string, BatchItemResult>();
    responses.forEach((response, index) => {
      const customId = byPosition ? known[index]! : keyOf(response);
      // A key the job did not send is not one of its requests' answers.
      if (customId === undefined || items.has(customId) || (ours !== undefined && !ours.has(customId))) return;
      items.set(customId, this.itemOf(customId, response));
    });
    // A failed job ran nothing: no results, as the contract says.
    if (state !== 'failed') {
      for (const customId of known ?? []) if (!items.has(customId)) items.set(customId, { customId, error: this.unrun(state) });
    }
    return [...items.values()];
  }

  private itemOf(customId: string, entry: InlinedResponse): BatchItemResult {
    if (entry.error !== undefined) return { customId, error: this.itemError(entry.error) };
    if (entry.response === undefined) {
      return { customId, error: new ProviderError('malformed', `${this.host.providerId}: malformed batch response (neither response nor error)`) };
    }
    try {
      return { customId, result: this.host.readResponse(entry.response) };
    } catch (err) {
      if (err instanceof ProviderError) return { customId, error: err };
      throw err;
    }
  }

  /** A request's error as the typed error a synchronous answer with that status would be. */
  private itemError(error: RpcStatus): ProviderError {
    const status = httpStatusOf(error.code);
    const message = error.message ?? `batch request failed (${error.status ?? `code ${error.code ?? 'unknown'}`})`;
    return classifyError({ status: status ?? undefined, message }, this.host.providerId);
  }

  private unrun(state: BatchJobState): ProviderError {
    return state === 'cancelled'
      ? new ProviderError('cancelled', `${this.host.providerId}: batch request cancelled before it ran`, null, null, 'none')
      : new ProviderError('expired', `${this.host.providerId}: batch request expired before it ran`, null, null, 'none');
  }

  /** The request's entry as the SDK writes it into the create call (InlinedRequest -> {request, metadata}). */
  private wireEntry(request: BatchRequest): unknown {
    const { contents, config } = this.host.params(request.request);
    const { systemInstruction, ...generationConfig } = config;
    return {
      request: {
        contents,
        // The SDK makes a string system instruction a user Content.
        ...(typeof systemInstruction === 'string' && { systemInstruction: { role: 'user', parts: [{ text: systemInstruction }] } }),
        generationConfig,
      },
      metadata: { key: request.customId },
    };
  }

  /** A job name batches.create gave (the SDK puts it in the path as is). */
  private checkedName(jobId: string): string {
    if (!JOB_NAME.test(jobId))
      throw new ProviderError('bad_request', `${this.host.providerId}: not a Gemini batch job name: ${jobId.slice(0, 80)}`, null, null, 'none');
    return jobId;
  }
}

function statusOf(id: string, wireState: string | undefined, counts: BatchJobStatus['counts']): BatchJobStatus {
  return { id, state: stateOf(wireState), providerState: providerStateOf(wireState), counts };
}

/** The SDK's name for a wire state (its tJobState: BATCH_STATE_X -> JOB_STATE_X). */
function providerStateOf(wireState: string | undefined): string {
  return (wireState ?? 'JOB_STATE_UNSPECIFIED').replace(/^BATCH_STATE_/, 'JOB_STATE_');
}

function stateOf(wireState: string | undefined): BatchJobState {
  return STATES[providerStateOf(wireState)] ?? 'running';
}

/** The customId a response carries, when it carries one. */
function keyOf(response: InlinedResponse): string | undefined {
  const key = response.metadata?.key;
  return typeof key === 'string' ? key : undefined;
}

/** An HTTP status as is; a gRPC code as its HTTP status; null when it is neither. */
function httpStatusOf(code: number | undefined): number | null {
  if (code === undefined || !Number.isInteger(code)) return null;
  if (code >= 100 && code <= 599) return code;
  return GRPC_HTTP_STATUS[code] ?? null;
}

/**
 * An Operation for operations.get whose result is the API's answer untouched (a batch job is a
 * long-running operation; the SDK asks the operation to read the answer it gets).
 */
function wholeOperation(name: string): Operation<unknown> {
  const operation: Operation<unknown> = {
    name,
    _fromAPIResponse: ({ apiResponse }) => ({ ...apiResponse, _fromAPIResponse: operation._fromAPIResponse }),
  };
  return operation;
}
