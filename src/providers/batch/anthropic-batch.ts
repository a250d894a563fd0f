/**
 * Anthropic's Message Batches (issue 18) through @anthropic-ai/sdk 1.x:
 * - submit: `messages.batches.create` (POST /v1/messages/batches) with the requests inline,
 *   `{requests: [{custom_id, params}]}`, each `params` the very body complete() sends to /v1/messages
 *   (model, max_tokens, cache_control marks and all: AnthropicProvider builds both).
 * - status: `retrieve` (GET /v1/messages/batches/{id}); cancel: `cancel` (POST .../{id}/cancel).
 * - results: `results` (the SDK retrieves the batch, then GETs its absolute `results_url`), a JSONL
 *   stream of `{custom_id, result}` lines in any order, matched by custom_id only.
 *
 * States. The API has three processing statuses and no validating or finalizing step:
 * `in_progress` -> running, `canceling` -> cancelling, `ended` -> ended, except that an ended batch
 * reports `cancelled` when a cancel was initiated (cancel_initiated_at) and at least one request was
 * cancelled by it (finished requests stay readable, as the contract's `cancelled` says), else `expired`
 * when any request expired (request_counts.expired > 0; the rest readable). A status this adapter does
 * not know reads as `running`: not terminal, so the runner keeps polling. Anthropic validates a batch
 * when it is created, so a job refused as a whole never exists: submit throws the 400 as a
 * `bad_request` ProviderError and no status is ever `failed`.
 *
 * Results. `succeeded`: the Message read by complete()'s own code (latencyMs 0; requestId null, the
 * lines carry none); a refusal or malformed message becomes the ProviderError complete() throws.
 * `errored`: the inner error type mapped to the HTTP status the API answers it with (ERROR_STATUS),
 * then classifyError as for a synchronous error answer; an unknown type is kind `other`. `canceled`,
 * `expired`: kinds `cancelled`, `expired`, billed nothing. A request the engine submitted (or was told
 * of, adopt) that has no line is reported expired.
 *
 * A structured-output answer (a forced tool call) is read with the request's forced tool, which only
 * the request says: the engine keeps it per job for the jobs it submitted in this process; a job
 * submitted by an earlier process needs `adopt(jobId, requests)` first, else such answers come back
 * as errors (kind `other`) rather than misread.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import type { BatchEngine, BatchItemResult, BatchJobState, BatchJobStatus, BatchRequest } from '../batch.js';
import { classifyError } from '../classify-error.js';
import { ProviderError, type CompletionRequest, type CompletionResult } from '../provider.js';

/**
 * Structured output as a forced tool call: the Messages API's way to make the model emit JSON of a
 * given shape. The tool's input is the answer; `unwrap` takes it back out of a wrapper object when
 * the schema's top level is not an object (tool inputs must be objects).
 */
export interface ForcedTool {
  tool: Anthropic.Tool;
  unwrap(input: unknown): unknown;
}

/** A Messages request body as complete() sends it; top_p is not in SDK 1.x's MessageCreateParams (like temperature), and the SDK sends the body verbatim. */
export type AnthropicMessageBody = Anthropic.MessageCreateParamsNonStreaming & { top_p?: number };

/** Per batch: 100,000 requests or 256 MB, whichever comes first (Message Batches guide, "Batch limitations"). */
export const ANTHROPIC_BATCH_LIMITS: BatchEngine['limits'] = { maxRequests: 100_000, maxBytes: 256 * 1024 * 1024 };

/**
 * The HTTP status Anthropic answers each error type with (the errors guide): an errored batch result
 * carries only the type, and classifyError reads statuses.
 */
const ERROR_STATUS: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  conflict_error: 409,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** What the engine uses of its adapter: the same body building, answer reading and SDK calls as complete(). */
export interface AnthropicBatchHost {
  readonly providerId: string;
  /** The body complete() sends for the request, and the forced tool its answer is read by. */
  messageBody(request: CompletionRequest): { body: AnthropicMessageBody; forced: ForcedTool | null };
  /** complete()'s reading of a Message (throws a refusal or malformed body as complete() does). */
  readMessage(raw: unknown, forced: ForcedTool | null, requestId: string | null): CompletionResult;
  /** One SDK call whose errors come back as typed ProviderErrors (HttpAdapter.call). */
  call(send: (client: Anthropic) => Promise<unknown>, signal?: AbortSignal): Promise<unknown>;
  /** The value as the schema documents it, or a `malformed` ProviderError (HttpAdapter.validate). */
  validate<S extends z.ZodType>(schema: S, raw: unknown): z.output<S>;
}

const batchSchema = z.looseObject({
  id: z.string(),
  processing_status: z.string(),
  request_counts: z.looseObject({
    processing: z.number(),
    succeeded: z.number(),
    errored: z.number(),
    canceled: z.number(),
    expired: z.number(),
  }),
  cancel_initiated_at: z.string().nullable().optional(),
});
type MessageBatch = z.output<typeof batchSchema>;

const lineSchema = z.looseObject({
  custom_id: z.string(),
  result: z.looseObject({ type: z.string(), message: z.unknown().optional(), error: z.unknown().optional() }),
});
type ResultLine = z.output<typeof lineSchema>;

/** An errored result's `error`: the API's error response, {type: 'error', error: {type, message}}. */
const errorResponseSchema = z.looseObject({ error: z.looseObject({ type: z.string(), message: z.string().optional() }) });

/** The forced tool of each request of a job, by custom id. */
type JobRequests = Map<string, ForcedTool | null>;

export class AnthropicBatchEngine implements BatchEngine {
  readonly limits = ANTHROPIC_BATCH_LIMITS;
  /** The jobs submitted (or adopted) in this process: what reading their results needs of their requests. */
  private readonly jobs = new Map<string, JobRequests>();

  constructor(private readonly host: AnthropicBatchHost) {}

  /** Its entry's bytes in the create body `{"requests":[entry,entry]}`, with the comma that follows it. */
  size(request: BatchRequest): number {
    return Buffer.byteLength(JSON.stringify(this.entry(request).entry)) + 1;
  }

  async submit(requests: readonly BatchRequest[], signal?: AbortSignal): Promise<BatchJobStatus> {
    const built = requests.map((r) => this.entry(r));
    const entries = built.map((b) => b.entry);
    const raw = await this.host.call((client) => client.messages.batches.create({ requests: entries }, signal ? { signal } : undefined), signal);
    const status = this.jobStatus(raw);
    this.jobs.set(status.id, new Map(built.map((b) => [b.entry.custom_id, b.forced])));
    return status;
  }

  /** Tells the engine the requests of a job an earlier process submitted, so its results read as the submitter's would. */
  adopt(jobId: string, requests: readonly BatchRequest[]): void {
    this.jobs.set(jobId, new Map(requests.map((r) => [r.customId, this.host.messageBody(r.request).forced])));
  }

  async status(jobId: string, signal?: AbortSignal): Promise<BatchJobStatus> {
    const raw = await this.host.call((client) => client.messages.batches.retrieve(jobId, {}, signal ? { signal } : undefined), signal);
    return this.jobStatus(raw);
  }

  async cancel(jobId: string, signal?: AbortSignal): Promise<BatchJobStatus> {
    const raw = await this.host.call((client) => client.messages.batches.cancel(jobId, {}, signal ? { signal } : undefined), signal);
    return this.jobStatus(raw);
  }

  async results(jobId: string, signal?: AbortSignal, requests?: readonly BatchRequest[]): Promise<BatchItemResult[]> {
    // A job another process submitted: its requests, as the runner knows them, say what reading its results needs.
    if (requests && !this.jobs.has(jobId)) this.adopt(jobId, requests);
    const raw = await this.host.call(async (client) => {
      const stream = await client.messages.batches.results(jobId, {}, signal ? { signal } : undefined);
      const lines: unknown[] = [];
      for await (const line of stream) lines.push(line);
      return lines;
    }, signal);
    const known = this.jobs.get(jobId);
    const items = (raw as unknown[]).map((line) => this.item(this.host.validate(lineSchema, line), known));
    return [...items, ...this.missing(known, items)];
  }

  private entry(request: BatchRequest): { entry: Anthropic.Messages.BatchCreateParams.Request; forced: ForcedTool | null } {
    const { body, forced } = this.host.messageBody(request.request);
    return { entry: { custom_id: request.customId, params: body }, forced };
  }

  private jobStatus(raw: unknown): BatchJobStatus {
    const batch = this.host.validate(batchSchema, raw);
    const c = batch.request_counts;
    return {
      id: batch.id,
      state: jobState(batch),
      providerState: batch.processing_status,
      counts: {
        total: c.processing + c.succeeded + c.errored + c.canceled + c.expired,
        succeeded: c.succeeded,
        failed: c.errored + c.canceled + c.expired,
      },
    };
  }

  private item(line: ResultLine, known: JobRequests | undefined): BatchItemResult {
    const customId = line.custom_id;
    const { type } = line.result;
    if (type === 'succeeded') return this.answered(customId, line.result.message, known);
    if (type === 'errored') return { customId, error: this.erroredError(line.result.error) };
    if (type === 'canceled')
      return { customId, error: new ProviderError('cancelled', `${this.host.providerId}: batch request cancelled before it ran`, null, null, 'none') };
    if (type === 'expired') return { customId, error: this.expiredError() };
    return {
      customId,
      error: new ProviderError('malformed', `${this.host.providerId}: malformed batch result (type ${JSON.stringify(type)})`, null, null, 'maybe'),
    };
  }

  /** A succeeded result, read as complete() reads its answer; what complete() would throw becomes the item's error. */
  private answered(customId: string, message: unknown, known: JobRequests | undefined): BatchItemResult {
    if (known?.has(customId) !== true && hasToolCall(message)) {
      const why = `${this.host.providerId}: a structured-output answer of a batch job this process did not submit: adopt() the job's requests to read it`;
      return { customId, error: new ProviderError('other', why, null, null, 'maybe') };
    }
    try {
      return { customId, result: this.host.readMessage(message, known?.get(customId) ?? null, null) };
    } catch (err) {
      if (err instanceof ProviderError) return { customId, error: err };
      throw err;
    }
  }

  private erroredError(error: unknown): ProviderError {
    const parsed = errorResponseSchema.safeParse(error);
    if (!parsed.success) return new ProviderError('other', `${this.host.providerId}: batch request errored (no error detail)`, null, null, 'none');
    const { type, message = '' } = parsed.data.error;
    const status = ERROR_STATUS[type];
    // Errored batch requests are not billed: only an unknown type, which classifyError cannot read, is built here.
    if (status === undefined) return new ProviderError('other', `${this.host.providerId}: ${type}: ${message}`, null, null, 'none');
    return classifyError({ status, message: `${type}: ${message}` }, this.host.providerId);
  }

  private expiredError(): ProviderError {
    return new ProviderError('expired', `${this.host.providerId}: batch request expired before it ran`, null, null, 'none');
  }

  /** The known requests of the job that have no line in its results: expired (the contract's reading of a missing result). */
  private missing(known: JobRequests | undefined, items: readonly BatchItemResult[]): BatchItemResult[] {
    if (known === undefined) return [];
    const seen = new Set(items.map((i) => i.customId));
    return [...known.keys()].filter((id) => !seen.has(id)).map((customId) => ({ customId, error: this.expiredError() }));
  }
}

function jobState(batch: MessageBatch): BatchJobState {
  switch (batch.processing_status) {
    case 'in_progress':
      return 'running';
    case 'canceling':
      return 'cancelling';
    case 'ended':
      return endedState(batch);
    default:
      return 'running';
  }
}

function endedState(batch: MessageBatch): BatchJobState {
  const counts = batch.request_counts;
  if (batch.cancel_initiated_at != null && counts.canceled > 0) return 'cancelled';
  if (counts.expired > 0) return 'expired';
  return 'ended';
}

/** Whether a message answers with a tool call (only a forced tool, for structured output, makes one). */
function hasToolCall(message: unknown): boolean {
  const content = (message as { content?: unknown } | null)?.content;
  return Array.isArray(content) && content.some((b) => (b as { type?: unknown } | null)?.type === 'tool_use');
}
