// Fake Anthropic Messages server.
//
// Serves POST /v1/messages and POST /v1/messages/count_tokens. The @anthropic-ai/sdk baseURL has no
// /v1: use `server.url`. Started with `{ batch: BatchOptions }`, it also serves Message Batches
// (/v1/messages/batches...: see anthropic-batch.ts) and sets `server.batch`.
//
// Issue 16 (TextReply fields, core.ts):
// - `thinking`: a `thinking` block (with a fake signature) before the text block; with text '' and a
//   thinking, no text block at all (a reply cut at max_tokens while thinking).
// - `reasoningTokens`: usage.output_tokens_details.thinking_tokens (SDK 1.x Usage has the field).
//   Not given: thinking_tokens 0 without `thinking`, and output_tokens_details null with it (a count
//   the API does not report, so the adapter estimates it from the thinking text).
// - `toolInput`: a `tool_use` block (named as the request's forced tool_choice, else its first tool,
//   else `answer`) and stop_reason 'tool_use' (unless `finish`/`rawFinish` say otherwise); the text
//   block is left out when text is ''.
// - `model`: the response's model (default: the requested one).
// - default output_tokens: ceil((text + thinking + JSON of toolInput) chars / 4).
// - like the real API, a request with thinking enabled and a forced tool_choice ({type: 'any'|'tool'})
//   is answered 400 (invalid_request_error) before the script is asked.
// count_tokens: routed like /v1/messages (the script decides; a text reply renders as
// {input_tokens}: `tokensIn`, default ceil(prompt chars / 4), the same default as a message's prompt).
//
// Note on @anthropic-ai/sdk 1.14: `new Anthropic({apiKey})` sends the key as
// `Authorization: Bearer <key>` (not `x-api-key`), with `anthropic-version: 2026-10-21`; and
// MessageCreateParams has no `temperature`/`top_p`/`top_k` fields (a cast is needed to send them;
// the SDK passes the body through verbatim). Body shape follows the SDK's `Message` type.
//
// What @anthropic-ai/sdk 1.x does with this server's answers (verified in test/servers.test.ts):
// - 2xx JSON: the parsed body, with non-enumerable `_request_id` = the `request-id` header.
//   Usage: usage.input_tokens EXCLUDES cache reads and writes; usage.cache_read_input_tokens,
//   usage.cache_creation_input_tokens, usage.output_tokens.
// - non-2xx: APIError subclasses (.status, .headers (fetch Headers), .error = the whole body
//   {type:'error', error:{type, message}}, .type = error.type, .apiMessage = error.message,
//   .requestID = request-id header): 400 BadRequestError, 401 AuthenticationError,
//   402 PaymentRequiredError, 403 PermissionDeniedError, 404 NotFoundError, 408 RequestTimeoutError,
//   409 ConflictError, 413 ContentTooLargeError, 422 UnprocessableEntityError, 429 RateLimitError,
//   500 InternalServerError, 501 NotImplementedError, 503 ServiceUnavailableError,
//   504 GatewayTimeoutError, 529 OverloadedError (the last four extend InternalServerError).
// - timeout: APIConnectionTimeoutError; dropped socket: APIConnectionError.
// - malformed bodies: as for openai (see openai.ts).

import { anthropicBatchExtension } from './anthropic-batch.js';
import type { BatchOptions } from './batch-core.js';
import {
  approxTokens,
  promptChars,
  randomId,
  startFakeServer,
  type Dialect,
  type FakeServer,
  type Rendered,
  type RecordedRequest,
  type TextReply,
} from './core.js';

const STOP = { stop: 'end_turn', length: 'max_tokens', refused: 'refusal', other: 'pause_turn' } as const;

export function anthropicErrorBody(type: string, message: string, requestId?: string) {
  const body: { type: 'error'; error: { type: string; message: string }; request_id?: string } = {
    type: 'error',
    error: { type, message },
  };
  if (requestId !== undefined) body.request_id = requestId;
  return body;
}

/** 400 body for a prompt over the context window, as Anthropic sends it. */
export function anthropicContextLengthBody(got = 208310, max = 200000) {
  return anthropicErrorBody('invalid_request_error', `prompt is too long: ${got} tokens > ${max} maximum`);
}

function defaultError(status: number, req: RecordedRequest, requestId: string): unknown {
  const [type, message] = ((): [string, string] => {
    switch (status) {
      case 400:
        return ['invalid_request_error', 'Invalid request.'];
      case 401:
        return ['authentication_error', req.headers['x-api-key'] !== undefined ? 'invalid x-api-key' : 'invalid bearer token'];
      case 402:
        return ['billing_error', 'Your credit balance is too low to access the Anthropic API.'];
      case 403:
        return ['permission_error', 'Your API key does not have permission to use the specified resource.'];
      case 404:
        return ['not_found_error', `model: ${req.model ?? 'unknown'}`];
      case 413:
        return ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'];
      case 429:
        return [
          'rate_limit_error',
          'This request would exceed the rate limit for your organization of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.',
        ];
      case 504:
        return ['timeout_error', 'Request timed out.'];
      case 529:
        return ['overloaded_error', 'Overloaded'];
      default:
        return status >= 500 ? ['api_error', 'Internal server error'] : ['invalid_request_error', `Request failed with status ${status}.`];
    }
  })();
  return anthropicErrorBody(type, message, requestId);
}

function requestId(given?: string): string {
  return given ?? `req_011C${randomId(20)}`;
}

export const anthropicDialect: Dialect = {
  name: 'anthropic',
  route(method, path, body) {
    if (method !== 'POST' || (path !== '/v1/messages' && path !== '/v1/messages/count_tokens')) return null;
    const model = body && typeof body === 'object' && typeof body.model === 'string' ? body.model : undefined;
    return model === undefined ? {} : { model };
  },
  text(reply: TextReply, req): Rendered {
    const cacheRead = reply.cachedTokens ?? 0;
    const cacheWrite = reply.cacheWriteTokens ?? 0;
    const total = reply.tokensIn ?? approxTokens(promptChars({ system: req.body?.system, messages: req.body?.messages }));
    const headers = { 'request-id': requestId(reply.requestId), ...reply.headers };
    if (req.path.split('?')[0] === '/v1/messages/count_tokens') return { status: 200, headers, body: { input_tokens: total } };
    const toolJson = reply.toolInput === undefined ? '' : JSON.stringify(reply.toolInput);
    const tokensOut = reply.tokensOut ?? approxTokens(reply.text.length + (reply.thinking?.length ?? 0) + toolJson.length);
    const stopReason = reply.rawFinish ?? (reply.finish === undefined && reply.toolInput !== undefined ? 'tool_use' : STOP[reply.finish ?? 'stop']);
    const content: unknown[] = [];
    if (reply.thinking !== undefined) content.push({ type: 'thinking', thinking: reply.thinking, signature: `EqQBCgIYAhIM${randomId(40)}` });
    if (reply.text !== '' || (reply.thinking === undefined && reply.toolInput === undefined)) content.push({ type: 'text', text: reply.text });
    if (reply.toolInput !== undefined) {
      content.push({ type: 'tool_use', id: `toolu_01${randomId(22)}`, caller: { type: 'direct' }, name: forcedToolName(req.body), input: reply.toolInput });
    }
    const thinkingDetails =
      reply.reasoningTokens !== undefined ? { thinking_tokens: reply.reasoningTokens } : reply.thinking !== undefined ? null : { thinking_tokens: 0 };
    return {
      status: 200,
      headers,
      body: {
        id: `msg_01${randomId(22)}`,
        type: 'message',
        role: 'assistant',
        model: reply.model ?? req.model ?? 'claude-sonnet-4-5',
        content,
        container: null,
        diagnostics: null,
        stop_reason: stopReason,
        stop_details: stopReason === 'refusal' ? { type: 'refusal', category: null, explanation: null } : null,
        stop_sequence: null,
        usage: {
          input_tokens: Math.max(0, total - cacheRead - cacheWrite),
          cache_creation_input_tokens: cacheWrite,
          cache_read_input_tokens: cacheRead,
          cache_creation: { ephemeral_5m_input_tokens: cacheWrite, ephemeral_1h_input_tokens: 0 },
          output_tokens: tokensOut,
          output_tokens_details: thinkingDetails,
          server_tool_use: null,
          inference_geo: 'global',
          service_tier: 'standard',
          speed: 'standard',
        },
      },
    };
  },
  status(status, body, headers, req): Rendered {
    const id = headers['request-id'] ?? requestId();
    return {
      status,
      headers: { 'request-id': id, ...headers },
      body: body === undefined ? defaultError(status, req, id) : body,
    };
  },
  notFound(req): Rendered {
    const id = requestId();
    return {
      status: 404,
      headers: { 'request-id': id },
      body: anthropicErrorBody('not_found_error', `Not Found: ${req.method} ${req.path}`, id),
    };
  },
  unsupported(req): Rendered | null {
    if (req.body?.stream === true) {
      const id = requestId();
      return {
        status: 400,
        headers: { 'request-id': id },
        body: anthropicErrorBody('invalid_request_error', 'stream: true is not supported by the fake Anthropic server', id),
      };
    }
    const choice = req.body?.tool_choice?.type;
    if (req.body?.thinking?.type === 'enabled' && (choice === 'any' || choice === 'tool')) {
      const id = requestId();
      return {
        status: 400,
        headers: { 'request-id': id },
        body: anthropicErrorBody('invalid_request_error', 'Thinking may not be enabled when tool_choice forces tool use.', id),
      };
    }
    return null;
  },
};

/** The tool a tool_use block names: the forced tool_choice's, else the first tool's, else `answer`. */
function forcedToolName(body: any): string {
  if (typeof body?.tool_choice?.name === 'string') return body.tool_choice.name;
  if (Array.isArray(body?.tools) && typeof body.tools[0]?.name === 'string') return body.tools[0].name;
  return 'answer';
}

export interface AnthropicServerOptions {
  /** Also serve Message Batches (anthropic-batch.ts), paced and shaped by these options; sets `server.batch`. */
  batch?: BatchOptions;
}

export async function startAnthropicServer(options: AnthropicServerOptions = {}): Promise<FakeServer> {
  if (options.batch === undefined) return startFakeServer(anthropicDialect);
  const { extension, jobs } = anthropicBatchExtension(options.batch);
  const server = await startFakeServer(anthropicDialect, [extension]);
  server.batch = jobs;
  return server;
}
