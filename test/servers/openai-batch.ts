// Fake OpenAI Batch API: the files and batches routes the openai SDK (6.x) calls, as an extension of
// the fake Chat Completions server (startOpenAIServer({ batch: {...} })). The SDK's baseURL is
// `server.url + '/v1'`; every path is also served without the /v1 prefix, as the chat route is.
//
// - POST /v1/files (client.files.create, multipart/form-data: a `file` part and `purpose`): the file is
//   kept in memory and answered with a FileObject {id: 'file-...', object: 'file', bytes, created_at,
//   filename, purpose, status: 'processed'}. Without a file part: 400.
// - GET /v1/files/{id}/content (client.files.content, a raw Response): the file's bytes, served as
//   application/octet-stream. Unknown id: 404.
// - POST /v1/batches (client.batches.create {input_file_id, endpoint, completion_window}): reads the
//   JSONL input file (lines {custom_id, method: 'POST', url, body}; url must be the endpoint, which must be
//   /v1/chat/completions; custom_ids unique) and answers a Batch object (id 'batch_...', status
//   'validating' or 'failed' when BatchOptions.fail says so, with errors.data [{code: 'invalid_request',
//   message}]). A bad input: 400 with OpenAI's error body.
// - GET /v1/batches/{id} (client.batches.retrieve): the Batch where time has taken it (batch-core.ts):
//   validating, in_progress, finalizing, then completed, or expired when BatchOptions.expire names some of
//   its requests; cancelling, cancelled after a cancel. Once terminal, the requests are answered by the
//   server's script (ServerTools.answer, each once) and written to files: the output file
//   (output_file_id) holds every answered request, 2xx or not, as {id: 'batch_req_...', custom_id,
//   response: {status_code, request_id (the reply's x-request-id), body}, error: null}; the error file
//   (error_file_id) holds those that never ran as {id, custom_id, response: null, error: {code, message}}
//   with code 'batch_expired' (an expired request, or one whose scripted reply was a hang or a drop) or
//   'batch_cancelled'. Lines are in the shuffled order of FakeBatchJobs.outcomes. request_counts
//   {total, completed, failed} come from FakeBatchJobs.counts. Unknown id: 404.
// - POST /v1/batches/{id}/cancel (client.batches.cancel): the Batch, now cancelling (cancelled 20 ms
//   later); a batch that already completed, expired or failed cannot be cancelled: 400.
//
// `new OpenAIBatchExtension(options)` with startFakeServer(openAIDialect, [extension]) gives a test the
// extension itself: its `omit(customId)` leaves requests out of the result files (a provider losing lines).

import { randomUUID } from 'node:crypto';
import { FakeBatchJobs, type BatchOptions, type FakeBatchJob, type FakeBatchPhase, type FakeBatchRequest } from './batch-core.js';
import { headerValue, randomId, type Rendered, type RecordedRequest, type ServerExtension, type ServerTools } from './core.js';

const CHAT_PATH = '/v1/chat/completions';

/** OpenAI's names for the shared phases. */
const STATUS: Record<FakeBatchPhase, string> = {
  validating: 'validating',
  running: 'in_progress',
  finalizing: 'finalizing',
  ended: 'completed',
  expired: 'expired',
  failed: 'failed',
  cancelling: 'cancelling',
  cancelled: 'cancelled',
};

const MISSING_ERRORS = {
  expired: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' },
  hang: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' },
  cancelled: { code: 'batch_cancelled', message: 'This request was cancelled before it could be executed.' },
} as const;

interface StoredFile {
  id: string;
  filename: string;
  purpose: string;
  content: Buffer;
  createdAt: number;
}

const FILES = /^(?:\/v1)?\/files$/;
const FILE_CONTENT = /^(?:\/v1)?\/files\/([^/]+)\/content$/;
const BATCHES = /^(?:\/v1)?\/batches$/;
const BATCH = /^(?:\/v1)?\/batches\/([^/]+)$/;
const BATCH_CANCEL = /^(?:\/v1)?\/batches\/([^/]+)\/cancel$/;

function errorBody(message: string, code: string | null = null, param: string | null = null) {
  return { error: { message, type: 'invalid_request_error', param, code } };
}

function json(status: number, body: unknown): Rendered {
  return { status, headers: { 'x-request-id': `req_${randomId(32).toLowerCase()}` }, body };
}

const seconds = (ms: number) => Math.floor(ms / 1000);

export class OpenAIBatchExtension implements ServerExtension {
  readonly jobs: FakeBatchJobs;
  /** Requests whose result line the files leave out (a provider losing lines): for tests of that case only. */
  omit: (customId: string) => boolean = () => false;
  private readonly files = new Map<string, StoredFile>();

  constructor(options: BatchOptions) {
    this.jobs = new FakeBatchJobs(options, () => CHAT_PATH);
  }

  serves(method: string, path: string): boolean {
    if (method === 'POST') return FILES.test(path) || BATCHES.test(path) || BATCH_CANCEL.test(path);
    if (method === 'GET') return FILE_CONTENT.test(path) || BATCH.test(path);
    return false;
  }

  async handle(req: RecordedRequest, raw: Buffer, tools: ServerTools): Promise<Rendered> {
    const path = req.path.split('?')[0]!;
    let match: RegExpExecArray | null;
    if (req.method === 'POST' && FILES.test(path)) return this.upload(req, raw);
    if (req.method === 'POST' && BATCHES.test(path)) return this.createBatch(req.body);
    if ((match = FILE_CONTENT.exec(path))) return this.content(decodeURIComponent(match[1]!));
    if ((match = BATCH_CANCEL.exec(path))) return this.cancel(decodeURIComponent(match[1]!), tools);
    if ((match = BATCH.exec(path))) return this.retrieve(decodeURIComponent(match[1]!), tools);
    return json(404, errorBody(`Invalid URL (${req.method} ${req.path})`));
  }

  private upload(req: RecordedRequest, raw: Buffer): Rendered {
    const parts = multipartParts(raw, headerValue(req.headers, 'content-type') ?? '');
    const file = parts.get('file');
    if (!file) return json(400, errorBody("Missing required parameter: 'file'.", null, 'file'));
    const purpose = parts.get('purpose')?.data.toString('utf8') ?? '';
    const stored: StoredFile = { id: `file-${randomId(22)}`, filename: file.filename ?? 'upload', purpose, content: file.data, createdAt: Date.now() };
    this.files.set(stored.id, stored);
    return json(200, fileObject(stored));
  }

  private content(fileId: string): Rendered {
    const file = this.files.get(fileId);
    if (!file) return json(404, errorBody(`No such File object: ${fileId}`, null, 'id'));
    return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: file.content.toString('utf8') };
  }

  private createBatch(body: { input_file_id?: unknown; endpoint?: unknown; completion_window?: unknown } | undefined): Rendered {
    const file = typeof body?.input_file_id === 'string' ? this.files.get(body.input_file_id) : undefined;
    if (!file) return json(400, errorBody(`Invalid 'input_file_id': '${String(body?.input_file_id)}'.`, null, 'input_file_id'));
    if (body?.endpoint !== CHAT_PATH) return json(400, errorBody(`This fake serves batches of ${CHAT_PATH} only.`, null, 'endpoint'));
    if (body.completion_window !== '24h') return json(400, errorBody("Invalid 'completion_window': only '24h' is supported.", null, 'completion_window'));
    const requests = inputRequests(file.content.toString('utf8'));
    if (typeof requests === 'string') return json(400, errorBody(requests, 'invalid_request', 'input_file_id'));
    const job = this.jobs.create(`batch_${randomId(24)}`, requests, { inputFileId: file.id });
    return json(200, this.batchObject(job));
  }

  private async retrieve(id: string, tools: ServerTools): Promise<Rendered> {
    const job = this.jobs.get(id);
    if (!job) return json(404, errorBody(`No batch found with id '${id}'.`));
    await this.writeResults(job, tools);
    return json(200, this.batchObject(job));
  }

  private async cancel(id: string, tools: ServerTools): Promise<Rendered> {
    const job = this.jobs.get(id);
    if (!job) return json(404, errorBody(`No batch found with id '${id}'.`));
    const phase = this.jobs.phase(job);
    if (phase === 'ended' || phase === 'expired' || phase === 'failed') {
      return json(400, errorBody(`Cannot cancel a batch with status '${STATUS[phase]}'.`));
    }
    this.jobs.cancel(job);
    await this.writeResults(job, tools);
    return json(200, this.batchObject(job));
  }

  /** Once the job is terminal: its requests answered (once) and written to the output and error files. */
  private async writeResults(job: FakeBatchJob, tools: ServerTools): Promise<void> {
    if (job.meta.resultsWritten) return;
    const outcomes = await this.jobs.outcomes(job, tools);
    if (!outcomes) return;
    job.meta.resultsWritten = true;
    const output: string[] = [];
    const errors: string[] = [];
    for (const outcome of outcomes) {
      if (this.omit(outcome.customId)) continue;
      const id = `batch_req_${randomId(32).toLowerCase()}`;
      if ('rendered' in outcome) {
        const { status, headers, body } = outcome.rendered;
        const response = { status_code: status, request_id: headers['x-request-id'] ?? randomUUID(), body: parsedBody(body) };
        output.push(JSON.stringify({ id, custom_id: outcome.customId, response, error: null }));
      } else {
        errors.push(JSON.stringify({ id, custom_id: outcome.customId, response: null, error: MISSING_ERRORS[outcome.missing] }));
      }
    }
    if (output.length > 0) job.meta.outputFileId = this.store(job, 'batch_output', output);
    if (errors.length > 0) job.meta.errorFileId = this.store(job, 'batch_output', errors, '_error');
  }

  private store(job: FakeBatchJob, purpose: string, lines: string[], suffix = ''): string {
    const file: StoredFile = {
      id: `file-${randomId(22)}`,
      filename: `${job.id}_output${suffix}.jsonl`,
      purpose,
      content: Buffer.from(`${lines.join('\n')}\n`),
      createdAt: Date.now(),
    };
    this.files.set(file.id, file);
    return file.id;
  }

  private batchObject(job: FakeBatchJob): Record<string, unknown> {
    const phase = this.jobs.phase(job);
    const counts = this.jobs.counts(job);
    const created = seconds(job.createdAt);
    return {
      id: job.id,
      object: 'batch',
      endpoint: CHAT_PATH,
      errors: job.failure === null ? null : { object: 'list', data: [{ code: 'invalid_request', message: job.failure, param: null, line: null }] },
      input_file_id: job.meta.inputFileId,
      completion_window: '24h',
      status: STATUS[phase],
      output_file_id: job.meta.outputFileId ?? null,
      error_file_id: job.meta.errorFileId ?? null,
      created_at: created,
      in_progress_at: phase === 'validating' || phase === 'failed' ? null : created,
      expires_at: created + 24 * 3600,
      completed_at: phase === 'ended' ? seconds(Date.now()) : null,
      failed_at: phase === 'failed' ? created : null,
      expired_at: phase === 'expired' ? seconds(Date.now()) : null,
      cancelling_at: job.cancelledAt === null ? null : seconds(job.cancelledAt),
      cancelled_at: phase === 'cancelled' ? seconds(Date.now()) : null,
      request_counts: { total: counts.total, completed: counts.succeeded, failed: counts.failed },
      metadata: null,
    };
  }
}

function fileObject(file: StoredFile) {
  return {
    id: file.id,
    object: 'file',
    bytes: file.content.length,
    created_at: seconds(file.createdAt),
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed',
    status_details: null,
  };
}

/** A rendered chat answer's body as JSON (a scripted raw reply is a string: parsed when it is JSON). */
function parsedBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

/** The requests of a JSONL input file, or why OpenAI would refuse it. */
function inputRequests(jsonl: string): FakeBatchRequest[] | string {
  const requests: FakeBatchRequest[] = [];
  const lines = jsonl.split('\n').filter((l) => l.trim() !== '');
  for (const [i, line] of lines.entries()) {
    let parsed: { custom_id?: unknown; method?: unknown; url?: unknown; body?: unknown };
    try {
      parsed = JSON.parse(line);
    } catch {
      return `Line ${i + 1} of the input file is not valid JSON.`;
    }
    if (typeof parsed.custom_id !== 'string' || parsed.method !== 'POST' || parsed.url !== CHAT_PATH || typeof parsed.body !== 'object') {
      return `Line ${i + 1} of the input file is not a ${CHAT_PATH} request line.`;
    }
    if (requests.some((r) => r.customId === parsed.custom_id)) return `Duplicate custom_id '${parsed.custom_id}' on line ${i + 1}.`;
    requests.push({ customId: parsed.custom_id, body: parsed.body });
  }
  return requests.length > 0 ? requests : 'The input file is empty.';
}

/** The parts of a multipart/form-data body, by field name. */
function multipartParts(raw: Buffer, contentType: string): Map<string, { filename?: string; data: Buffer }> {
  const parts = new Map<string, { filename?: string; data: Buffer }>();
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!boundary) return parts;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let start = raw.indexOf(delimiter);
  while (start !== -1) {
    const next = raw.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    // A part: CRLF, headers, CRLF CRLF, data, CRLF (before the next delimiter).
    const part = raw.subarray(start + delimiter.length + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const name = /(?:^|[;\s])name="([^"]*)"/i.exec(headers)?.[1];
      const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
      if (name !== undefined) parts.set(name, { ...(filename !== undefined && { filename }), data: part.subarray(headerEnd + 4) });
    }
    start = next;
  }
  return parts;
}
