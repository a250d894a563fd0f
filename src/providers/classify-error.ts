import { ProviderError, type FailureBilling, type ProviderErrorKind } from './provider.js';
import { parseRetryAfter } from './retry.js';

const CONTEXT_LENGTH =
  /context[_ ]length|context window|maximum context|too many tokens|prompt is too long|input is too long|exceeds the maximum (?:number of )?tokens|token limit/i;

/**
 * Turns whatever an SDK threw into a typed ProviderError. The three SDKs share the shape that
 * matters (an HTTP `status`, response `headers`, a `name` for connection failures), so one
 * classifier serves all. Messages are the provider's own; they never contain the API key.
 */
export function classifyError(err: unknown, provider: string, callerAborted = false): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = (err ?? {}) as { status?: unknown; code?: unknown; name?: unknown; message?: unknown; headers?: unknown; cause?: unknown };
  const fullMessage = typeof e.message === 'string' ? e.message : String(err);
  const message = `${provider}: ${firstLine(fullMessage)}`;
  const name = typeof e.name === 'string' ? e.name : '';
  // Only an HTTP-looking code counts: a DOMException carries a numeric `code` too (20 = ABORT_ERR).
  const status = typeof e.status === 'number' ? e.status : isHttpStatus(e.code) ? e.code : null;

  // Billing (see FailureBilling and failureBilling below): without a status nothing says the request
  // was refused before it ran, so only a connection never made books nothing.
  if (/Timeout/i.test(name) || /timed? ?out/i.test(message)) return new ProviderError('timeout', message, null, status, billingOf('timeout', status));
  if (status === null) {
    if (name === 'APIUserAbortError' || name === 'AbortError') {
      // @google/genai reports its own timeout as a bare AbortError: only the caller's abort is an abort.
      // Either way the request may be out and running: an abort does not cancel what the provider bills.
      return callerAborted
        ? new ProviderError('other', `${provider}: call aborted`, null, null, 'maybe')
        : new ProviderError('timeout', `${provider}: no answer before the timeout`, null, null, 'maybe');
    }
    // A body the SDK could not parse (e.g. an HTML error page served as JSON).
    if (name === 'SyntaxError') return new ProviderError('malformed', `${provider}: malformed response (${firstLine(String(e.message))})`, null, null, 'maybe');
    // Connection refused, reset or dropped before a response: transient, like a 5xx.
    if (/Connection|fetch failed|socket|ECONN|EPIPE|network/i.test(`${name} ${message} ${String(e.cause ?? '')}`)) {
      // Refused or never resolved: the request never reached the provider. Dropped after it was sent: it may have run.
      const billing = neverConnected(err) ? 'none' : 'maybe';
      return new ProviderError('server', `${provider}: connection failed (${firstLine(String(e.message ?? name))})`, null, null, billing);
    }
    return new ProviderError('other', message, null, null, 'maybe');
  }
  // The whole message: Gemini's RetryInfo comes last in a JSON body longer than the recorded first line.
  const retryAfter = parseRetryAfter(header(e.headers, 'retry-after')) ?? googleRetryDelay(fullMessage);
  const error = (kind: ProviderErrorKind, retry: number | null) => new ProviderError(kind, message, retry, status, billingOf(kind, status));
  if (status === 429) return error('rate_limit', retryAfter);
  if (status === 408) return error('timeout', retryAfter);
  if (status >= 500) return error('server', retryAfter);
  if (status === 401 || status === 403) return error('auth', null);
  if (status === 413 || CONTEXT_LENGTH.test(message)) return error('context_length', null);
  if (status >= 400) return error('bad_request', null);
  return error('other', null);
}

/**
 * What the budget books for a failed call (runner/budget.ts): 'none', nothing; 'maybe', its whole
 * reservation (the worst case), since the provider may bill a generation whose answer never arrived.
 * The error's own `billing` when it has one (classifyError sets it), else inferred from its kind and
 * status; anything that is not a ProviderError (an adapter failing on an answer) counts as 'maybe'.
 */
export function failureBilling(err: unknown): FailureBilling {
  if (!(err instanceof ProviderError)) return 'maybe';
  return err.billing ?? billingOf(err.kind, err.status);
}

/**
 * HTTP statuses that say a timeout happened past the front door, with the generation possibly running
 * behind it: 408 and a gateway's 504 (Cloudflare, in front of OpenAI and Anthropic, answers 524 after
 * 100 seconds of origin silence; 598/599 are proxies' read timeouts).
 */
const TIMED_OUT_STATUSES: ReadonlySet<number> = new Set([408, 504, 524, 598, 599]);

/**
 * Kinds that, without an HTTP status or a `billing` of their own, are raised before a request is sent:
 * the adapters' checks (bad_request, auth, context_length) and the retry layer's `other` (a try aborted
 * while it waited for its turn, resilient.ts). Every error classifyError makes states its billing.
 */
const UNSENT_KINDS: ReadonlySet<ProviderErrorKind> = new Set(['bad_request', 'auth', 'context_length', 'rate_limit', 'other']);

/**
 * Any other error status is the provider's own answer that it did not run the call: OpenAI, Anthropic
 * and Google bill the usage of a completed generation, and an error answer (400, 401, 403, 404, 413,
 * 429, 500, 502, 503, 529) carries none. Without a status: a refusal or malformed body came after a 200
 * (billed, usage not kept), a timeout or a dropped connection after the request went out.
 */
function billingOf(kind: ProviderErrorKind, status: number | null): FailureBilling {
  if (status !== null) return TIMED_OUT_STATUSES.has(status) ? 'maybe' : 'none';
  return UNSENT_KINDS.has(kind) ? 'none' : 'maybe';
}

/** Node's codes for a connection that was never made (refused, no route, no such host, a port fetch will not use): no request left. */
const NEVER_CONNECTED = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL|UND_ERR_CONNECT_TIMEOUT)$|^bad port$/;

/** Whether the error's cause chain (SDK error -> TypeError('fetch failed') -> the socket's error) says no connection was made. */
function neverConnected(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 6 && e && typeof e === 'object'; depth++) {
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if ((typeof code === 'string' && NEVER_CONNECTED.test(code)) || (typeof message === 'string' && NEVER_CONNECTED.test(message))) return true;
    e = cause;
  }
  return false;
}

/** @google/genai exposes no headers; Gemini states the wait in the body's RetryInfo ("retryDelay": "7s"). */
function googleRetryDelay(message: string): number | null {
  const match = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(message);
  return match ? Number(match[1]) * 1000 : null;
}

function isHttpStatus(code: unknown): code is number {
  return typeof code === 'number' && Number.isInteger(code) && code >= 100 && code <= 599;
}

/** A header from a fetch Headers object or a plain record. */
function header(headers: unknown, name: string): string | null {
  if (!headers || typeof headers !== 'object') return null;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name);
  const value = (headers as Record<string, unknown>)[name] ?? (headers as Record<string, unknown>)[name.toLowerCase()];
  return typeof value === 'string' ? value : Array.isArray(value) ? String(value[0]) : null;
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? text).slice(0, 500);
}
