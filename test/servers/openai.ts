// Fake OpenAI Chat Completions server.
//
// Serves POST /v1/chat/completions (and /chat/completions, for a base URL given without /v1).
// The openai SDK posts to `${baseURL}/chat/completions`; point it at `server.url + '/v1'`.
//
// What openai 6.x does with this server's answers (verified in test/servers.test.ts):
// - 2xx JSON: the parsed body, with a non-enumerable `_request_id` = the `x-request-id` header.
//   Usage: usage.prompt_tokens (cached included), usage.completion_tokens,
//   usage.prompt_tokens_details.cached_tokens.
// - non-2xx: APIError subclasses (all have .status, .headers (a fetch Headers: err.headers.get('retry-after')),
//   .error = body.error object, .code, .type, .param, .requestID = x-request-id header):
//   400 BadRequestError, 401 AuthenticationError, 403 PermissionDeniedError, 404 NotFoundError,
//   409 ConflictError, 422 UnprocessableEntityError, 429 RateLimitError, >=500 InternalServerError,
//   other statuses plain APIError.
// - timeout: APIConnectionTimeoutError (status undefined); socket dropped: APIConnectionError
//   (message 'Connection error.', cause = TypeError('fetch failed')). Both extend APIError.
// - raw '{}' (application/json): resolves to `{}` (no choices → `res.choices[0]` throws TypeError).
//   raw 'not json' served as application/json: rejects with a SyntaxError (not an OpenAIError).
//   raw 'not json' as text/plain: RESOLVES to the string 'not json'. raw '' as application/json
//   (content-length 0): resolves to undefined.
//
// startOpenAIServer({ embeddings: true }) also serves POST /v1/embeddings (and /embeddings) with
// deterministic fake vectors (see embeddings.ts); by default that path is unknown (404), as before.
//
// startOpenAIServer({ batch: {...} }) also serves OpenAI's Batch API (POST /v1/files, GET
// /v1/files/{id}/content, POST /v1/batches, GET /v1/batches/{id}, POST /v1/batches/{id}/cancel; see
// openai-batch.ts) and sets `server.batch`; by default those paths are unknown (404), as before.
//
// Azure OpenAI: the same server also serves POST /openai/deployments/<deployment>/chat/completions, the
// path the SDK's AzureOpenAI client builds from `endpoint` (= server.url) and `deployment`. The recorded
// request's `path` keeps the query (`?api-version=...`); azureRequestOf(req) reads the deployment and the
// api-version back. A request there without `api-version` is answered 404 as Azure does; 401 and 404
// default bodies are Azure's ({ error: { code, message } }). The recorded model is the deployment.
//
// Issue 16 reply fields (see TextReply in core.ts): `reasoningTokens` (or, without it, `thinking`'s
// approximate count) becomes usage.completion_tokens_details.reasoning_tokens and is included in the
// default completion_tokens, as OpenAI counts it; the thinking text itself is never sent. `model`
// overrides the response's `model` (default: the requested one); `fingerprint` is sent as
// `system_fingerprint` (absent by default).

import {
  approxTokens,
  headerValue,
  maskKey,
  promptChars,
  randomId,
  startFakeServer,
  type Dialect,
  type FakeServer,
  type Rendered,
  type RecordedRequest,
  type TextReply,
} from './core.js';
import type { BatchOptions } from './batch-core.js';
import { openAIEmbeddingsBody } from './embeddings.js';
import { OpenAIBatchExtension } from './openai-batch.js';

const FINISH = { stop: 'stop', length: 'length', refused: 'content_filter', other: 'tool_calls' } as const;

export function openAIErrorBody(message: string, type: string, code: string | null = null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

function apiKeyOf(req: RecordedRequest): string {
  const auth = headerValue(req.headers, 'authorization') ?? '';
  return auth.replace(/^Bearer\s+/i, '');
}

const AZURE_PATH = /^\/openai\/deployments\/([^/?]+)\/chat\/completions$/;

/** The deployment and `api-version` of a request to Azure's deployment path; null for any other path. */
export function azureRequestOf(req: RecordedRequest): { deployment: string; apiVersion: string | null } | null {
  const [pathname, query = ''] = req.path.split('?', 2) as [string, string?];
  const match = AZURE_PATH.exec(pathname);
  if (!match) return null;
  return { deployment: decodeURIComponent(match[1]!), apiVersion: new URLSearchParams(query).get('api-version') };
}

/** Azure OpenAI's error shape: `{ error: { code, message } }` (no type or param). */
function azureErrorBody(code: string, message: string) {
  return { error: { code, message } };
}

function defaultError(status: number, req: RecordedRequest): unknown {
  const model = req.model ?? 'gpt-4o-mini';
  if (azureRequestOf(req) && status === 401) {
    return azureErrorBody(
      '401',
      'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
    );
  }
  if (azureRequestOf(req) && status === 404) {
    return azureErrorBody(
      'DeploymentNotFound',
      'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
    );
  }
  switch (status) {
    case 400:
      return openAIErrorBody('Invalid request.', 'invalid_request_error');
    case 401:
      return openAIErrorBody(
        `Incorrect API key provided: ${maskKey(apiKeyOf(req))}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        'invalid_request_error',
        'invalid_api_key',
      );
    case 403:
      return openAIErrorBody('You are not allowed to sample from this model', 'invalid_request_error', 'model_not_allowed');
    case 404:
      return openAIErrorBody(`The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found');
    case 429:
      return openAIErrorBody(
        `Rate limit reached for ${model} in organization org-fake on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms. Visit https://platform.openai.com/account/rate-limits to learn more.`,
        'requests',
        'rate_limit_exceeded',
      );
    case 503:
      return openAIErrorBody('The engine is currently overloaded, please try again later', 'server_error');
    default:
      if (status >= 500) {
        return openAIErrorBody('The server had an error while processing your request. Sorry about that!', 'server_error');
      }
      return openAIErrorBody(`Request failed with status ${status}.`, 'invalid_request_error');
  }
}

/** 400 body for a prompt over the context window, as OpenAI sends it. */
export function openAIContextLengthBody(max = 128000, got = 130000) {
  return openAIErrorBody(
    `This model's maximum context length is ${max} tokens. However, your messages resulted in ${got} tokens. Please reduce the length of the messages.`,
    'invalid_request_error',
    'context_length_exceeded',
    'messages',
  );
}

function requestIdHeader(given?: string): string {
  return given ?? `req_${randomId(32).toLowerCase()}`;
}

export const openAIDialect: Dialect = {
  name: 'openai',
  route(method, path, body) {
    if (method !== 'POST') return null;
    // Azure's model is the deployment in the path (the SDK also sends it as body.model).
    const azure = AZURE_PATH.exec(path);
    if (azure) return { model: decodeURIComponent(azure[1]!) };
    if (path !== '/v1/chat/completions' && path !== '/chat/completions') return null;
    const model = body && typeof body === 'object' && typeof body.model === 'string' ? body.model : undefined;
    return model === undefined ? {} : { model };
  },
  text(reply: TextReply, req): Rendered {
    const cached = reply.cachedTokens ?? 0;
    const tokensIn = reply.tokensIn ?? approxTokens(promptChars(req.body?.messages));
    // OpenAI counts reasoning tokens inside completion_tokens.
    const reasoning = reply.reasoningTokens ?? (reply.thinking ? approxTokens(reply.thinking.length) : 0);
    const tokensOut = reply.tokensOut ?? approxTokens(reply.text.length) + reasoning;
    return {
      status: 200,
      headers: {
        'x-request-id': requestIdHeader(reply.requestId),
        'openai-processing-ms': String(reply.delayMs ?? 1),
        'openai-version': '2020-10-01',
        ...reply.headers,
      },
      body: {
        id: `chatcmpl-${randomId(29)}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: reply.model ?? req.model ?? 'gpt-4o-mini',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: reply.text, refusal: null, annotations: [] },
            logprobs: null,
            finish_reason: reply.rawFinish ?? FINISH[reply.finish ?? 'stop'],
          },
        ],
        usage: {
          prompt_tokens: tokensIn,
          completion_tokens: tokensOut,
          total_tokens: tokensIn + tokensOut,
          prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
          completion_tokens_details: {
            reasoning_tokens: reasoning,
            audio_tokens: 0,
            accepted_prediction_tokens: 0,
            rejected_prediction_tokens: 0,
          },
        },
        service_tier: 'default',
        ...(reply.fingerprint !== undefined && { system_fingerprint: reply.fingerprint }),
      },
    };
  },
  status(status, body, headers, req): Rendered {
    return {
      status,
      headers: { 'x-request-id': requestIdHeader(), ...headers },
      body: body === undefined ? defaultError(status, req) : body,
    };
  },
  notFound(req): Rendered {
    return {
      status: 404,
      headers: { 'x-request-id': requestIdHeader() },
      body: openAIErrorBody(`Invalid URL (${req.method} ${req.path})`, 'invalid_request_error'),
    };
  },
  unsupported(req): Rendered | null {
    const azure = azureRequestOf(req);
    if (azure && !azure.apiVersion) {
      return { status: 404, headers: {}, body: azureErrorBody('404', 'Resource not found') };
    }
    if (req.body?.stream === true) {
      return {
        status: 400,
        headers: { 'x-request-id': requestIdHeader() },
        body: openAIErrorBody('stream: true is not supported by the fake OpenAI server', 'invalid_request_error', null, 'stream'),
      };
    }
    return null;
  },
};

const EMBEDDINGS_PATHS = new Set(['/v1/embeddings', '/embeddings']);

/** openAIDialect plus POST /v1/embeddings; a text reply's text is ignored there (the vectors come from the input). */
export const openAIEmbeddingsDialect: Dialect = {
  ...openAIDialect,
  route(method, path, body) {
    if (method === 'POST' && EMBEDDINGS_PATHS.has(path)) {
      return body && typeof body === 'object' && typeof body.model === 'string' ? { model: body.model } : {};
    }
    return openAIDialect.route(method, path, body);
  },
  text(reply: TextReply, req): Rendered {
    if (!EMBEDDINGS_PATHS.has(req.path)) return openAIDialect.text(reply, req);
    return { status: 200, headers: { 'x-request-id': requestIdHeader(reply.requestId), ...reply.headers }, body: openAIEmbeddingsBody(req.body, req.model) };
  },
};

/**
 * `batch`: also serve OpenAI's Batch API (files and batches routes, openai-batch.ts) with these job
 * timings and outcomes; `server.batch` is then its job state.
 */
export async function startOpenAIServer(options: { embeddings?: boolean; batch?: BatchOptions } = {}): Promise<FakeServer> {
  const dialect = options.embeddings ? openAIEmbeddingsDialect : openAIDialect;
  if (!options.batch) return startFakeServer(dialect);
  const extension = new OpenAIBatchExtension(options.batch);
  const server = await startFakeServer(dialect, [extension]);
  server.batch = extension.jobs;
  return server;
}
