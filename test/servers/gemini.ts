// Fake Gemini API (Google AI, "mldev") server.
//
// Serves POST /{v1beta|v1|v1alpha}/models/{model}:generateContent and :countTokens, and records the
// model name from the path (RecordedRequest.model, without the 'models/' prefix). startGeminiServer({ embeddings: true })
// also serves :batchEmbedContents (what models.embedContent posts to) with fake vectors (see
// embeddings.ts); by default that path is unknown (404), as before.
//
// :countTokens (models.countTokens) answers a text reply with {totalTokens, promptTokensDetails}:
// totalTokens is the reply's tokensIn, else ceil(chars of contents + systemInstruction / 4). Status
// replies are errors, as for generateContent. The Gemini API's countTokens takes no systemInstruction
// (the SDK throws before sending one); Vertex AI's does (top level of the body).
//
// Issue 16 reply fields (TextReply in core.ts): `thinking` becomes a part {text, thought: true} before
// the answer part; `reasoningTokens` (else `thinking`'s approximate count) usageMetadata.thoughtsTokenCount,
// which, as Gemini counts it, is NOT within candidatesTokenCount (the reply's tokensOut, the answer
// alone) but is within totalTokenCount. A reply with text '' after thinking (reasoningTokens > 0 or
// `thinking`) has no answer part, and no candidatesTokenCount when tokensOut is 0: the shape of a
// 2.5 model that spent maxOutputTokens thinking (finish: 'length' -> MAX_TOKENS). Without `thinking`
// the reply has no thought part, as the API sends none unless thinkingConfig.includeThoughts is set.
// `model` is the response's modelVersion (default: the model in the path).
//
// Batch Mode: startGeminiServer({ batch: BatchOptions }) also serves batches.create/get/cancel
// (gemini-batch.ts documents the routes and the Operation it answers) and sets server.batch.
//
// Vertex AI: startGeminiServer({ vertex: true }) also serves
//   POST /{v1beta1|v1}/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent
//   (and :countTokens), what @google/genai posts in Vertex mode (apiVersion 'v1beta1' by default;
//   the SDK prepends projects/{project}/locations/{location} to the model path, and a baseUrl keeps
//   that path), RecordedRequest.model being the model; and POST /token, the token endpoint of
//   fakeVertexCredentials(s) (answered outside the script, routed: false). Vertex calls need
//   `Authorization: Bearer ${VERTEX_ACCESS_TOKEN}` (else 401 UNAUTHENTICATED, before the script).
//   Vertex responses also carry createTime. The bodies are otherwise the Gemini API's.
//
// How @google/genai 2.x builds the URL (node_modules/@google/genai/dist/node/index.mjs, ApiClient):
//   `${httpOptions.baseUrl without trailing '/'}/${apiVersion}/models/${model}:generateContent`,
//   apiVersion defaulting to 'v1beta' (GoogleGenAI({apiVersion}) or httpOptions.apiVersion change it).
//   The key travels in the `x-goog-api-key` header (never in the query string). With
//   httpOptions.timeout set, it also sends `X-Server-Timeout: ceil(timeout/1000)`.
//   Base URL precedence: httpOptions.baseUrl, then setDefaultBaseUrls(), then the env var
//   GOOGLE_GEMINI_BASE_URL (GOOGLE_VERTEX_BASE_URL for vertexai), read once in the constructor.
//   API key: options.apiKey, else env GOOGLE_API_KEY, else GEMINI_API_KEY.
//
// Retries: NONE by default. ApiClient.apiCall only retries (through p-retry) when
//   httpOptions.retryOptions is set ({attempts (default 5, incl. the first), initialDelay 1s,
//   maxDelay 60s, expBase 2, jitter, httpStatusCodes default [408,429,500,502,503,504]}); nothing
//   sets retryOptions by default, so one call = one HTTP request. It never reads Retry-After.
//
// Errors (verified in test/servers.test.ts):
// - non-2xx: `ApiError` (exported from '@google/genai'; err.name === 'ApiError'), with
//   err.status = the HTTP status (number) and err.message = JSON.stringify(the error body), i.e.
//   '{"error":{"code":429,"message":"...","status":"RESOURCE_EXHAUSTED","details":[...]}}' when the
//   response is application/json; for other content types the message is
//   JSON.stringify({error:{message: <body text>, code: status, status: statusText}}).
//   No headers and no parsed body are kept on the error: a retry hint must be read from the
//   message JSON (error.details[@type=type.googleapis.com/google.rpc.RetryInfo].retryDelay, e.g. "7s").
//   Same class for 400/401/403/404/429/5xx; classify on err.status (and error.status text if needed).
// - timeout (httpOptions.timeout): the SDK aborts its fetch with an AbortController; the call
//   rejects with the raw abort error: a DOMException, name 'AbortError',
//   message 'This operation was aborted' (instanceof Error; not an ApiError; no status).
// - dropped socket: TypeError('fetch failed') from undici (cause: SocketError 'other side closed').
// - raw '{}' (200): resolves to a GenerateContentResponse with no candidates; response.text is
//   undefined, usageMetadata undefined. raw 'not json' (200, any content type): rejects with a
//   SyntaxError from response.json().
// - On success: response.text, response.candidates[0].finishReason, response.usageMetadata
//   {promptTokenCount, candidatesTokenCount, totalTokenCount, cachedContentTokenCount?},
//   response.responseId, response.modelVersion, response.sdkHttpResponse.headers (plain object).
//   Like the real API (proto3 JSON omits zero values), this server sends cachedContentTokenCount
//   only when cachedTokens > 0: treat a missing field as 0.

import {
  approxTokens,
  headerValue,
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
import { geminiEmbeddingsBody } from './embeddings.js';
import { geminiBatchExtension } from './gemini-batch.js';

const FINISH = { stop: 'STOP', length: 'MAX_TOKENS', refused: 'SAFETY', other: 'OTHER' } as const;
const PATH = /^\/(v1|v1beta|v1alpha)\/models\/([^/:]+):(?:generateContent|countTokens)$/;
const VERTEX_PATH = /^\/(v1|v1beta1)\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/google\/models\/([^/:]+):(?:generateContent|countTokens)$/;
const TOKEN_PATH = '/token';
const EMBED_PATH = /^\/(v1|v1beta|v1alpha)\/models\/([^/:]+):batchEmbedContents$/;

const STATUS_TEXT: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export function geminiErrorBody(code: number, message: string, status = STATUS_TEXT[code] ?? 'UNKNOWN', details?: unknown[]) {
  const error: { code: number; message: string; status: string; details?: unknown[] } = { code, message, status };
  if (details !== undefined) error.details = details;
  return { error };
}

/** 400 body for a prompt over the context window, as the Gemini API sends it. */
export function geminiContextLengthBody(got = 1200000, max = 1048576) {
  return geminiErrorBody(400, `The input token count (${got}) exceeds the maximum number of tokens allowed (${max}).`);
}

/** 429 body with a RetryInfo detail, as the Gemini API sends for quota exhaustion. */
export function geminiRateLimitBody(retryDelaySeconds?: number, model = 'gemini-2.5-flash') {
  const details: unknown[] = [
    {
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [
        {
          quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
          quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
          quotaDimensions: { location: 'global', model },
          quotaValue: '10',
        },
      ],
    },
    {
      '@type': 'type.googleapis.com/google.rpc.Help',
      links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }],
    },
  ];
  let message =
    'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.';
  if (retryDelaySeconds !== undefined) {
    details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryDelaySeconds}s` });
    message += ` Please retry in ${retryDelaySeconds}s.`;
  }
  return geminiErrorBody(429, message, 'RESOURCE_EXHAUSTED', details);
}

function defaultError(status: number, req: RecordedRequest, headers: Record<string, string>): unknown {
  switch (status) {
    case 400:
      return geminiErrorBody(400, 'Request contains an invalid argument.');
    case 401:
      return geminiErrorBody(
        401,
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
    case 403:
      return geminiErrorBody(
        403,
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      );
    case 404:
      return geminiErrorBody(404, `models/${req.model ?? 'unknown'} is not found for API version v1beta, or is not supported for generateContent.`);
    case 429: {
      const ra = Number(headers['retry-after']);
      return geminiRateLimitBody(Number.isFinite(ra) ? ra : undefined, req.model);
    }
    case 500:
      return geminiErrorBody(500, 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting');
    case 503:
      return geminiErrorBody(503, 'The model is overloaded. Please try again later.');
    case 504:
      return geminiErrorBody(504, 'Deadline expired before operation could complete.');
    default:
      return geminiErrorBody(status, `Request failed with status ${status}.`);
  }
}

const REVOKED_REFRESH_TOKEN = 'revoked-refresh-token';

/** The access token the fake token endpoint issues, which the Vertex paths require as `Authorization: Bearer`. */
export const VERTEX_ACCESS_TOKEN = 'ya29.fake-vertex-access-token';

/**
 * Google Cloud credentials that authenticate against this server alone: an
 * `external_account_authorized_user` credential (google-auth-library's ExternalAccountAuthorizedUserClient,
 * the one credential type whose JSON names its token endpoint), with `token_url` on the fake server.
 * Hand it to @google/genai as `googleAuthOptions: { credentials }`: google-auth-library then posts the
 * refresh token to `${s.url}/token` and sends `Authorization: Bearer ${VERTEX_ACCESS_TOKEN}`. Nothing
 * reaches Google: not ADC's lookup (explicit credentials skip it), the metadata server, nor sts.googleapis.com.
 * With `revoked: true` the endpoint refuses the refresh token (400 invalid_grant, "Token has been
 * expired or revoked.", as Google's does for an expired `gcloud auth application-default login`).
 * (A service account's `token_uri` would not do: google-auth-library's gtoken posts to
 * https://oauth2.googleapis.com/token whatever the key file says.)
 */
export function fakeVertexCredentials(s: { url: string }, options: { revoked?: boolean } = {}) {
  return {
    type: 'external_account_authorized_user',
    audience: '//iam.googleapis.com/locations/global/workforcePools/fake-pool/providers/fake-provider',
    client_id: 'fake-client-id',
    client_secret: 'fake-client-secret',
    refresh_token: options.revoked ? REVOKED_REFRESH_TOKEN : 'fake-refresh-token',
    token_url: `${s.url}${TOKEN_PATH}`,
  };
}

function usageAndParts(reply: TextReply, req: RecordedRequest) {
  const cached = reply.cachedTokens ?? 0;
  const tokensIn = reply.tokensIn ?? promptTokens(req);
  const tokensOut = reply.tokensOut ?? approxTokens(reply.text.length);
  const thoughts = reply.reasoningTokens ?? (reply.thinking !== undefined ? approxTokens(reply.thinking.length) : 0);
  const parts: { text: string; thought?: true }[] = [];
  if (reply.thinking !== undefined) parts.push({ text: reply.thinking, thought: true });
  // The thinking-exhausted reply (text '' after thinking) has no answer part at all, as the API sends it.
  if (reply.text !== '' || thoughts === 0) parts.push({ text: reply.text });
  const usageMetadata: Record<string, unknown> = { promptTokenCount: tokensIn };
  // proto3 omits zeros; kept for replies without thinking, as this server always sent it.
  if (tokensOut > 0 || thoughts === 0) usageMetadata.candidatesTokenCount = tokensOut;
  if (thoughts > 0) usageMetadata.thoughtsTokenCount = thoughts;
  usageMetadata.totalTokenCount = tokensIn + tokensOut + thoughts;
  if (cached > 0) {
    usageMetadata.cachedContentTokenCount = cached;
    usageMetadata.cacheTokensDetails = [{ modality: 'TEXT', tokenCount: cached }];
  }
  usageMetadata.promptTokensDetails = [{ modality: 'TEXT', tokenCount: tokensIn }];
  return { parts, usageMetadata };
}

function promptTokens(req: RecordedRequest): number {
  return approxTokens(promptChars({ a: req.body?.contents, b: req.body?.systemInstruction }, ''));
}

export const geminiDialect: Dialect = {
  name: 'gemini',
  route(method, path) {
    if (method !== 'POST') return null;
    const m = PATH.exec(path);
    return m ? { model: decodeURIComponent(m[2]!) } : null;
  },
  text(reply: TextReply, req): Rendered {
    if (req.path.split('?')[0]!.endsWith(':countTokens')) {
      // models.countTokens: the prompt's tokens (contents and, on Vertex, systemInstruction).
      const totalTokens = reply.tokensIn ?? promptTokens(req);
      return { status: 200, headers: { ...reply.headers }, body: { totalTokens, promptTokensDetails: [{ modality: 'TEXT', tokenCount: totalTokens }] } };
    }
    const finishReason = reply.rawFinish ?? FINISH[reply.finish ?? 'stop'];
    const { parts, usageMetadata } = usageAndParts(reply, req);
    const candidate: Record<string, unknown> = {};
    // A safety block with no text carries no content at all (response.text is then undefined).
    if (!(finishReason === 'SAFETY' && reply.text === '')) {
      candidate.content = parts.length > 0 ? { parts, role: 'model' } : { role: 'model' };
    }
    candidate.finishReason = finishReason;
    candidate.index = 0;
    return {
      status: 200,
      headers: { 'server-timing': `gfet4t7; dur=${reply.delayMs ?? 1}`, ...reply.headers },
      body: {
        candidates: [candidate],
        usageMetadata,
        modelVersion: reply.model ?? req.model ?? 'gemini-2.5-flash',
        ...(VERTEX_PATH.test(req.path.split('?')[0]!) && { createTime: new Date(req.receivedAt).toISOString() }),
        responseId: reply.requestId ?? randomId(22),
      },
    };
  },
  status(status, body, headers, req): Rendered {
    return { status, headers: { ...headers }, body: body === undefined ? defaultError(status, req, headers) : body };
  },
  notFound(req): Rendered {
    return { status: 404, headers: {}, body: geminiErrorBody(404, `Method not found: ${req.method} ${req.path}`) };
  },
};

/** geminiDialect plus :batchEmbedContents; a text reply's text is ignored there (the vectors come from the input). */
export const geminiEmbeddingsDialect: Dialect = {
  ...geminiDialect,
  route(method, path, body) {
    const m = method === 'POST' ? EMBED_PATH.exec(path) : null;
    return m ? { model: decodeURIComponent(m[2]!) } : geminiDialect.route(method, path, body);
  },
  text(reply: TextReply, req): Rendered {
    if (!EMBED_PATH.test(req.path)) return geminiDialect.text(reply, req);
    return { status: 200, headers: { ...reply.headers }, body: geminiEmbeddingsBody(req.body) };
  },
};

/**
 * `base` plus Vertex AI's paths and the token endpoint of fakeVertexCredentials. The token endpoint
 * is not an API call: it is answered outside the script (recorded with routed: false), so queued
 * replies are for the API calls alone. A Vertex call without `Authorization: Bearer ${VERTEX_ACCESS_TOKEN}`
 * is answered 401 UNAUTHENTICATED before the script, as Vertex answers a missing or unknown token.
 */
function withVertex(base: Dialect): Dialect {
  return {
    ...base,
    route(method, path, body) {
      const m = method === 'POST' ? VERTEX_PATH.exec(path) : null;
      return m ? { model: decodeURIComponent(m[4]!) } : base.route(method, path, body);
    },
    unsupported(req) {
      if (!VERTEX_PATH.test(req.path.split('?')[0]!) || headerValue(req.headers, 'authorization') === `Bearer ${VERTEX_ACCESS_TOKEN}`) {
        return base.unsupported?.(req) ?? null;
      }
      return {
        status: 401,
        headers: {},
        body: geminiErrorBody(
          401,
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        ),
      };
    },
    notFound(req): Rendered {
      if (req.method !== 'POST' || req.path.split('?')[0] !== TOKEN_PATH) return base.notFound(req);
      // google-auth-library posts grant_type=refresh_token&refresh_token=... (form-encoded, client id and secret in Basic auth).
      const form = new URLSearchParams(typeof req.body === 'string' ? req.body : '');
      if (form.get('grant_type') !== 'refresh_token' || !form.get('refresh_token')) {
        return { status: 400, headers: {}, body: { error: 'invalid_request', error_description: 'grant_type=refresh_token and a refresh_token are required' } };
      }
      if (form.get('refresh_token') === REVOKED_REFRESH_TOKEN) {
        return { status: 400, headers: {}, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } };
      }
      return { status: 200, headers: {}, body: { access_token: VERTEX_ACCESS_TOKEN, expires_in: 3599, token_type: 'Bearer' } };
    },
  };
}

export async function startGeminiServer(options: { embeddings?: boolean; vertex?: boolean; batch?: BatchOptions } = {}): Promise<FakeServer> {
  const base = options.embeddings ? geminiEmbeddingsDialect : geminiDialect;
  const dialect = options.vertex ? withVertex(base) : base;
  if (options.batch === undefined) return startFakeServer(dialect);
  const extension = geminiBatchExtension(options.batch);
  const server = await startFakeServer(dialect, [extension]);
  server.batch = extension.jobs;
  return server;
}
