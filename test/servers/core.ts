// Shared core of the fake provider servers (node:http only, no dependencies).
//
// A fake server records every request (method, path, lower-cased headers, parsed JSON body)
// and answers each routed request with a scripted Reply. Each provider module (openai.ts,
// anthropic.ts, gemini.ts) supplies a Dialect: which paths it serves and how a Reply is
// rendered in that provider's wire format. Only 127.0.0.1 is ever bound or contacted.

import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { FakeBatchJobs } from './batch-core.js';

/** Why the model stopped, provider-neutral. Mapped per provider:
 *  openai  stop→'stop', length→'length', refused→'content_filter', other→'tool_calls'
 *  anthropic stop→'end_turn', length→'max_tokens', refused→'refusal', other→'pause_turn'
 *  gemini  stop→'STOP', length→'MAX_TOKENS', refused→'SAFETY', other→'OTHER' */
export type Finish = 'stop' | 'length' | 'refused' | 'other';

export interface TextReply {
  kind: 'text';
  text: string;
  finish?: Finish;
  /** Provider-native finish value, overriding `finish` (e.g. 'tool_calls', 'stop_sequence', 'RECITATION'). */
  rawFinish?: string;
  /** Total prompt tokens, INCLUDING cached ones (default: ceil(prompt chars / 4)).
   *  OpenAI prompt_tokens and Gemini promptTokenCount carry this total; Anthropic's input_tokens
   *  excludes cache reads/writes, so the Anthropic server sends tokensIn - cachedTokens - cacheWriteTokens. */
  tokensIn?: number;
  /** Default: ceil(text chars / 4). */
  tokensOut?: number;
  /** Prompt tokens served from cache (default 0). */
  cachedTokens?: number;
  /** Anthropic only: cache_creation_input_tokens (default 0). */
  cacheWriteTokens?: number;
  delayMs?: number;
  /** OpenAI: x-request-id header; Anthropic: request-id header; Gemini: responseId in the body. */
  requestId?: string;
  /** Extra response headers (e.g. x-ratelimit-*). */
  headers?: Record<string, string>;
  /**
   * Thinking the model did before `text` (issue 16). OpenAI: only counted (usage
   * completion_tokens_details.reasoning_tokens = reasoningTokens); Anthropic: a `thinking` content block
   * before the text block; Gemini: a part with `thought: true` before the text part.
   */
  thinking?: string;
  /** Reasoning tokens to report (OpenAI reasoning_tokens, Gemini thoughtsTokenCount, Anthropic usage.output_tokens_details.thinking_tokens; without it Anthropic sends no count and the adapter estimates from the thinking text). */
  reasoningTokens?: number;
  /** The snapshot the response names: OpenAI/Anthropic `model`, Gemini `modelVersion` (default: the requested model). */
  model?: string;
  /** OpenAI `system_fingerprint` (default: none). */
  fingerprint?: string;
  /** Anthropic: answer with a `tool_use` block carrying this input (a forced tool, for structured output) instead of text. */
  toolInput?: unknown;
}

export type Reply =
  | TextReply
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
  | { kind: 'hang' }
  | { kind: 'drop' }
  | { kind: 'raw'; body: string; status?: number; contentType?: string; headers?: Record<string, string> };

export interface RecordedRequest {
  method: string;
  /** Path including any query string, e.g. /v1/chat/completions */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body; the raw string when it is not JSON; undefined when empty. */
  body: any;
  receivedAt: number;
  /** Model named by the request: body.model (OpenAI, Anthropic) or the URL path (Gemini, without 'models/'). */
  model?: string;
  /** False when no route of this server matched (answered 404, not passed to the script). */
  routed: boolean;
}

export interface FakeServer {
  /** http://127.0.0.1:PORT (no trailing slash, no /v1) */
  url: string;
  /** Every request received, in arrival order (unrouted ones included, with routed: false). */
  requests: RecordedRequest[];
  /** Requests answered inside batch jobs (ServerTools.answer), in the order answered. */
  batchAnswered: RecordedRequest[];
  /** The batch jobs created, when the server was started with batch support (batch-core.ts). */
  batch?: FakeBatchJobs;
  /** The highest number of requests being handled at once. */
  maxInFlight: number;
  inFlight: number;
  /** Decide each reply: called per routed request, in arrival order; index counts routed requests from 0.
   *  Default: text "ok". */
  script(fn: (req: RecordedRequest, index: number) => Reply): void;
  /** Replies in order (counting from this call), then the last one repeats. Replaces any script. */
  queue(...replies: Reply[]): void;
  /** Closes the listener and destroys every socket, hanging requests included. */
  close(): Promise<void>;
}

export interface Rendered {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface Route {
  model?: string;
}

export interface Dialect {
  name: string;
  /** Returns a Route when this server serves method+path, else null (answered 404). */
  route(method: string, path: string, body: any): Route | null;
  /** Success body + headers for a text reply. */
  text(reply: TextReply, req: RecordedRequest): Rendered;
  /** Error body + headers for a status reply (body undefined → provider-realistic default). */
  status(status: number, body: unknown, headers: Record<string, string>, req: RecordedRequest): Rendered;
  /** Body for an unrouted path. */
  notFound(req: RecordedRequest): Rendered;
  /** A request this fake does not support (e.g. stream: true): provider-format 400 body, or null. */
  unsupported?(req: RecordedRequest): Rendered | null;
}

/** What a server extension (batch, files) may use of the server it extends. */
export interface ServerTools {
  /**
   * The scripted reply to a request `body` sent to the dialect's route `path` (a chat path), rendered
   * in the dialect's wire format, exactly as a synchronous request would be answered: the same script,
   * counting in the same sequence of routed requests. Recorded in `batchAnswered` (not `requests`:
   * those are HTTP requests). null for a 'hang' or 'drop' reply (the request never gets an answer).
   */
  answer(path: string, body: any): Promise<Rendered | null>;
  sleep(ms: number): Promise<void>;
}

/** Extra routes served beside the dialect's (batch jobs, file uploads), tried first. */
export interface ServerExtension {
  serves(method: string, path: string): boolean;
  /** `raw`: the request body as received (a multipart upload is not JSON). */
  handle(req: RecordedRequest, raw: Buffer, tools: ServerTools): Promise<Rendered> | Rendered;
}

export function randomId(len = 24): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(len);
  let s = '';
  for (let i = 0; i < len; i++) s += alphabet[bytes[i]! % alphabet.length];
  return s;
}

/** Collects prompt text: string values held under keys `content`, `text`, `system` anywhere in `value`. */
export function promptChars(value: unknown, key = ''): number {
  if (typeof value === 'string') return key === 'content' || key === 'text' || key === 'system' ? value.length : 0;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + promptChars(v, key === 'content' || key === 'system' ? key : ''), 0);
  if (value && typeof value === 'object') {
    let n = 0;
    for (const [k, v] of Object.entries(value)) n += promptChars(v, k);
    return n;
  }
  return 0;
}

export function approxTokens(chars: number): number {
  return chars <= 0 ? 0 : Math.max(1, Math.ceil(chars / 4));
}

/** Masks a key the way providers echo it ("sk-ab****wxyz"), never the whole key. */
export function maskKey(key: string): string {
  if (key.length <= 8) return '*'.repeat(key.length);
  return key.slice(0, 3) + '*'.repeat(Math.min(40, key.length - 7)) + key.slice(-4);
}

export function headerValue(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export async function startFakeServer(dialect: Dialect, extensions: readonly ServerExtension[] = []): Promise<FakeServer> {
  let decide: (req: RecordedRequest, index: number) => Reply = () => ({ kind: 'text', text: 'ok' });
  let routedCount = 0;
  let closed = false;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const fake: FakeServer = {
    url: '',
    requests: [],
    batchAnswered: [],
    maxInFlight: 0,
    inFlight: 0,
    script(fn) {
      decide = fn;
    },
    queue(...replies) {
      if (replies.length === 0) throw new Error('queue() needs at least one reply');
      let next = 0; // counts from this call, not from the server's start
      decide = () => replies[Math.min(next++, replies.length - 1)]!;
    },
    close: async () => {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Let the destroyed responses emit 'close' so that inFlight settles back to 0.
      for (let i = 0; i < 100 && fake.inFlight > 0; i++) await new Promise((r) => setImmediate(r));
    },
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const send = (res: http.ServerResponse, r: Rendered) => {
    if (res.destroyed || res.writableEnded) return;
    const body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', ...r.headers };
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(r.status, headers);
    res.end(body);
  };

  const tools: ServerTools = {
    sleep,
    async answer(path, body) {
      const route = dialect.route('POST', path, body);
      if (!route) throw new Error(`fake ${dialect.name} server: no chat route ${path} to answer a batch request`);
      const recorded: RecordedRequest = { method: 'POST', path, headers: {}, body, receivedAt: Date.now(), routed: true };
      if (route.model !== undefined) recorded.model = route.model;
      fake.batchAnswered.push(recorded);
      const reply = decide(recorded, routedCount++);
      switch (reply.kind) {
        case 'hang':
        case 'drop':
          return null;
        case 'raw':
          return { status: reply.status ?? 200, headers: {}, body: reply.body };
        case 'status':
          return dialect.status(reply.status, reply.body, reply.headers ?? {}, recorded);
        case 'text':
          return dialect.text(reply, recorded);
      }
    },
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const receivedAt = Date.now();
    fake.inFlight++;
    fake.maxInFlight = Math.max(fake.maxInFlight, fake.inFlight);
    res.on('close', () => {
      fake.inFlight--;
    });

    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const bytes = Buffer.concat(chunks);
    const raw = bytes.toString('utf8');
    let body: any;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const extension = extensions.find((e) => e.serves(method, path.split('?')[0]!));
    if (extension) {
      const recorded: RecordedRequest = { method, path, headers: { ...req.headers }, body, receivedAt, routed: true };
      fake.requests.push(recorded);
      if (closed) {
        req.socket.destroy();
        return;
      }
      send(res, await extension.handle(recorded, bytes, tools));
      return;
    }
    const route = dialect.route(method, path.split('?')[0]!, body);
    const recorded: RecordedRequest = { method, path, headers: { ...req.headers }, body, receivedAt, routed: route !== null };
    if (route?.model !== undefined) recorded.model = route.model;
    fake.requests.push(recorded);
    if (closed) {
      req.socket.destroy();
      return;
    }
    if (!route) {
      send(res, dialect.notFound(recorded));
      return;
    }
    const unsupported = dialect.unsupported?.(recorded);
    if (unsupported) {
      send(res, unsupported);
      return;
    }

    const index = routedCount++;
    let reply: Reply;
    try {
      reply = decide(recorded, index);
    } catch (e) {
      send(res, dialect.status(500, undefined, {}, recorded));
      throw e;
    }
    switch (reply.kind) {
      case 'hang':
        return; // never answered; close() destroys the socket
      case 'drop':
        req.socket.destroy();
        return;
      case 'raw':
        send(res, {
          status: reply.status ?? 200,
          headers: { 'content-type': reply.contentType ?? 'application/json', ...reply.headers },
          body: reply.body,
        });
        return;
      case 'status':
        if (reply.delayMs) await sleep(reply.delayMs);
        if (closed) return;
        send(res, dialect.status(reply.status, reply.body, reply.headers ?? {}, recorded));
        return;
      case 'text':
        if (reply.delayMs) await sleep(reply.delayMs);
        if (closed) return;
        send(res, dialect.text(reply, recorded));
        return;
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A scripted function threw or the socket went away: make the failure visible, never hang.
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fake ${dialect.name} server error: ${String(err)}`);
      }
      if (!closed) console.error(`fake ${dialect.name} server:`, err);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}`;
  return fake;
}
