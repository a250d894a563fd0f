/**
 * OpenAI's Batch API (issue 18) for OpenAIProvider on OpenAI's own API. A job is one JSONL file
 * uploaded with purpose `batch` (POST /v1/files, multipart), each line a Chat Completions request
 * `{custom_id, method: 'POST', url: '/v1/chat/completions', body}` whose body is the one complete()
 * sends; then POST /v1/batches {input_file_id, endpoint, completion_window: '24h'}, polled with GET
 * /v1/batches/{id} and cancelled with POST /v1/batches/{id}/cancel. Results come as JSONL files (GET
 * /v1/files/{id}/content): the output file holds the answered requests (`response.status_code`,
 * `response.body`), the error file those that failed or never ran (`error.code` `batch_expired`,
 * `batch_cancelled`); lines are keyed by custom_id, in any order.
 */
import type OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { z } from 'zod';
import type { BatchEngine, BatchItemResult, BatchJobState, BatchJobStatus, BatchRequest } from '../batch.js';
import { classifyError } from '../classify-error.js';
import { ProviderError, type CompletionRequest, type CompletionResult } from '../provider.js';

/** OpenAI's documented limits per batch: 50,000 requests and a 200 MB input file. */
export const OPENAI_BATCH_LIMITS = { maxRequests: 50_000, maxBytes: 200 * 1024 * 1024 } as const;

/** The endpoint every line of a job targets (a job serves one endpoint). */
const CHAT_ENDPOINT = '/v1/chat/completions';

/** What the engine uses of OpenAIProvider: one typed SDK call, and the body and reading complete() uses. */
export interface OpenAIBatchPort {
  readonly providerId: string;
  /** One SDK call; its errors come back as typed ProviderErrors (HttpAdapter.call). */
  send(send: (client: OpenAI) => Promise<unknown>, signal?: AbortSignal): Promise<unknown>;
  chatBody(request: CompletionRequest): ChatCompletionCreateParamsNonStreaming;
  /** Reads a chat completion body; throws the typed `malformed`/`refused` errors complete() throws. */
  readCompletion(raw: unknown, call: { latencyMs: number; requestId: string | null }, prompt: () => string): CompletionResult;
}

/** OpenAI's batch statuses in the engine's words. */
const STATES: Record<string, BatchJobState> = {
  validating: 'validating',
  in_progress: 'running',
  finalizing: 'finalizing',
  completed: 'ended',
  failed: 'failed',
  expired: 'expired',
  cancelling: 'cancelling',
  cancelled: 'cancelled',
};

const fileSchema = z.looseObject({ id: z.string().min(1) });

const batchSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().refine((s) => s in STATES, { message: 'unknown batch status' }),
  input_file_id: z.string().nullable().optional(),
  output_file_id: z.string().nullable().optional(),
  error_file_id: z.string().nullable().optional(),
  request_counts: z.looseObject({ total: z.number(), completed: z.number(), failed: z.number() }).nullable().optional(),
  errors: z
    .looseObject({
      data: z
        .array(z.looseObject({ code: z.string().nullable().optional(), message: z.string().nullable().optional(), line: z.number().nullable().optional() }))
        .nullable()
        .optional(),
    })
    .nullable()
    .optional(),
});
type Batch = z.output<typeof batchSchema>;

/** A line of an output or error file. */
const resultLineSchema = z.looseObject({
  custom_id: z.string().min(1),
  response: z.looseObject({ status_code: z.number(), request_id: z.string().nullable().optional(), body: z.unknown() }).nullable().optional(),
  error: z.looseObject({ code: z.string().nullable().optional(), message: z.string().nullable().optional() }).nullable().optional(),
});
type ResultLine = z.output<typeof resultLineSchema>;

/** A line of the input file, read back only when a result needs its request (see results()). */
const inputLineSchema = z.looseObject({
  custom_id: z.string(),
  body: z.looseObject({ messages: z.array(z.looseObject({ content: z.unknown() })) }),
});

/** The JSONL line of one request, newline included (a job's file is these lines, concatenated). */
export function openAIBatchLine(customId: string, body: ChatCompletionCreateParamsNonStreaming): string {
  return `${JSON.stringify({ custom_id: customId, method: 'POST', url: CHAT_ENDPOINT, body })}\n`;
}

export class OpenAIBatchEngine implements BatchEngine {
  readonly limits = OPENAI_BATCH_LIMITS;

  constructor(private readonly port: OpenAIBatchPort) {}

  size(request: BatchRequest): number {
    return Buffer.byteLength(this.lineOf(request));
  }

  async submit(requests: readonly BatchRequest[], signal?: AbortSignal): Promise<BatchJobStatus> {
    this.checkJob(requests);
    const jsonl = requests.map((r) => this.lineOf(r)).join('');
    const options = signal ? { signal } : undefined;
    const file = this.parse(
      fileSchema,
      await this.port.send(async (client) => {
        const { toFile } = await import('openai');
        return client.files.create({ file: await toFile(Buffer.from(jsonl), 'fewshot-batch.jsonl'), purpose: 'batch' }, options);
      }, signal),
      'file',
    );
    const batch = await this.port.send(
      (client) => client.batches.create({ input_file_id: file.id, endpoint: CHAT_ENDPOINT, completion_window: '24h' }, options),
      signal,
    );
    return statusOf(this.parse(batchSchema, batch, 'batch'));
  }

  async status(jobId: string, signal?: AbortSignal): Promise<BatchJobStatus> {
    return statusOf(await this.retrieve(jobId, signal));
  }

  async cancel(jobId: string, signal?: AbortSignal): Promise<BatchJobStatus> {
    const batch = await this.port.send((client) => client.batches.cancel(jobId, signal ? { signal } : undefined), signal);
    return statusOf(this.parse(batchSchema, batch, 'batch'));
  }

  async results(jobId: string, signal?: AbortSignal): Promise<BatchItemResult[]> {
    const batch = await this.retrieve(jobId, signal);
    const state = STATES[batch.status]!;
    if (state === 'failed') return []; // refused as a whole: nothing ran
    if (state !== 'ended' && state !== 'expired' && state !== 'cancelled') {
      throw new ProviderError('other', `${this.port.providerId}: batch ${jobId} is ${batch.status}, its results are not ready`, null, null, 'none');
    }
    const lines = await this.resultLines(batch, signal);
    // The input file is read back only when a result needs it: a request with no line at all, or an
    // answer without usage (whose prompt tokens are then estimated from the prompt, as complete() does).
    const total = batch.request_counts?.total ?? 0;
    const needsInput = lines.size < total || [...lines.values()].some((l) => isSuccess(l) && !hasUsage(l.response?.body));
    const prompts = needsInput && batch.input_file_id ? await this.inputPrompts(batch.input_file_id, signal) : new Map<string, string>();
    const results = [...lines.values()].map((line) => this.itemOf(line, () => prompts.get(line.custom_id) ?? ''));
    for (const customId of prompts.keys()) {
      if (!lines.has(customId)) results.push({ customId, error: this.unrun(state === 'cancelled' ? 'cancelled' : 'expired') });
    }
    return results;
  }

  private lineOf({ customId, request }: BatchRequest): string {
    return openAIBatchLine(customId, this.port.chatBody(request));
  }

  /** What OpenAI would refuse the whole job for, refused before anything is uploaded. */
  private checkJob(requests: readonly BatchRequest[]): void {
    const refuse = (why: string) => new ProviderError('bad_request', `${this.port.providerId}: ${why}`, null, null, 'none');
    if (requests.length === 0) throw refuse('a batch needs at least one request');
    if (requests.length > this.limits.maxRequests) throw refuse(`a batch takes at most ${this.limits.maxRequests} requests (got ${requests.length})`);
    if (new Set(requests.map((r) => r.customId)).size !== requests.length) throw refuse('the custom ids of a batch must be unique');
  }

  private async retrieve(jobId: string, signal?: AbortSignal): Promise<Batch> {
    const batch = await this.port.send((client) => client.batches.retrieve(jobId, signal ? { signal } : undefined), signal);
    return this.parse(batchSchema, batch, 'batch');
  }

  /** A file's text (the SDK answers files.content with the raw fetch Response). */
  private async download(fileId: string, signal?: AbortSignal): Promise<string> {
    const text = await this.port.send(async (client) => (await client.files.content(fileId, signal ? { signal } : undefined)).text(), signal);
    return this.parse(z.string(), text, 'file content');
  }

  /** The output and error files' lines by custom_id; an answer in the output file wins over an error line. */
  private async resultLines(batch: Batch, signal?: AbortSignal): Promise<Map<string, ResultLine>> {
    const byId = new Map<string, ResultLine>();
    for (const fileId of [batch.output_file_id, batch.error_file_id]) {
      if (!fileId) continue;
      for (const line of jsonLines(await this.download(fileId, signal))) {
        const parsed = this.parse(resultLineSchema, line, 'batch result line');
        if (!byId.has(parsed.custom_id)) byId.set(parsed.custom_id, parsed);
      }
    }
    return byId;
  }

  /** Each request's prompt text by custom_id, from the job's input file. */
  private async inputPrompts(fileId: string, signal?: AbortSignal): Promise<Map<string, string>> {
    const prompts = new Map<string, string>();
    for (const line of jsonLines(await this.download(fileId, signal))) {
      const { custom_id, body } = this.parse(inputLineSchema, line, 'batch input line');
      prompts.set(custom_id, body.messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n'));
    }
    return prompts;
  }

  /** One line read as complete() reads an answer, or as the typed error the same failure throws there. */
  private itemOf(line: ResultLine, prompt: () => string): BatchItemResult {
    const customId = line.custom_id;
    const response = line.response;
    if (response && isSuccess(line)) {
      try {
        return { customId, result: this.port.readCompletion(response.body, { latencyMs: 0, requestId: response.request_id ?? null }, prompt) };
      } catch (err) {
        if (err instanceof ProviderError) return { customId, error: err };
        throw err;
      }
    }
    if (response)
      return {
        customId,
        error: classifyError({ status: response.status_code, message: httpMessage(response.status_code, response.body) }, this.port.providerId),
      };
    const code = line.error?.code ?? null;
    if (code === 'batch_expired') return { customId, error: this.unrun('expired') };
    if (code === 'batch_cancelled') return { customId, error: this.unrun('cancelled') };
    const why = [code, line.error?.message].filter(Boolean).join(': ') || 'no response';
    return { customId, error: new ProviderError('other', `${this.port.providerId}: batch request failed (${why})`, null, null, 'none') };
  }

  /** A request the job never ran: not billed. */
  private unrun(kind: 'expired' | 'cancelled'): ProviderError {
    const why = kind === 'expired' ? 'expired' : 'was cancelled';
    return new ProviderError(kind, `${this.port.providerId}: batch request ${why} before it ran`, null, null, 'none');
  }

  private parse<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.output<S> {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
      throw new ProviderError('malformed', `${this.port.providerId}: malformed ${what} (${issue?.message ?? 'unexpected shape'}${where})`, null, null, 'none');
    }
    return parsed.data;
  }
}

function statusOf(batch: Batch): BatchJobStatus {
  const counts = batch.request_counts;
  const message = (batch.errors?.data ?? [])
    .map((e) => [e.line != null ? `line ${e.line}` : null, e.code, e.message].filter(Boolean).join(': '))
    .filter(Boolean)
    .join('; ');
  return {
    id: batch.id,
    state: STATES[batch.status]!,
    providerState: batch.status,
    counts: { total: counts?.total ?? 0, succeeded: counts?.completed ?? 0, failed: counts?.failed ?? 0 },
    ...(message && { message }),
  };
}

function isSuccess(line: ResultLine): boolean {
  const status = line.response?.status_code;
  return status !== undefined && status >= 200 && status < 300;
}

function hasUsage(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { usage?: unknown }).usage != null;
}

/** The message the SDK gives the same error answer (APIError.makeMessage), so a batch error reads as the synchronous one. */
function httpMessage(status: number, body: unknown): string {
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  if (typeof message === 'string' && message) return `${status} ${message}`;
  if (error !== undefined && error !== null) return `${status} ${JSON.stringify(error)}`;
  return typeof body === 'string' && body ? `${status} ${body}` : `${status} status code (no body)`;
}

/** The parsed lines of a JSONL file; a line that is not JSON is kept as its text (and refused by the schema). */
function jsonLines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as unknown;
      } catch {
        return l;
      }
    });
}
