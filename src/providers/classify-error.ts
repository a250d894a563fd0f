import { ProviderError } from './provider.js';
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

  if (/Timeout/i.test(name) || /timed? ?out/i.test(message)) return new ProviderError('timeout', message, null, status);
  if (status === null) {
    if (name === 'APIUserAbortError' || name === 'AbortError') {
      // @google/genai reports its own timeout as a bare AbortError: only the caller's abort is an abort.
      return callerAborted
        ? new ProviderError('other', `${provider}: call aborted`)
        : new ProviderError('timeout', `${provider}: no answer before the timeout`);
    }
    // A body the SDK could not parse (e.g. an HTML error page served as JSON).
    if (name === 'SyntaxError') return new ProviderError('malformed', `${provider}: malformed response (${firstLine(String(e.message))})`);
    // Connection refused, reset or dropped before a response: transient, like a 5xx.
    if (/Connection|fetch failed|socket|ECONN|EPIPE|network/i.test(`${name} ${message} ${String(e.cause ?? '')}`)) {
      return new ProviderError('server', `${provider}: connection failed (${firstLine(String(e.message ?? name))})`);
    }
    return new ProviderError('other', message);
  }
  // The whole message: Gemini's RetryInfo comes last in a JSON body longer than the recorded first line.
  const retryAfter = parseRetryAfter(header(e.headers, 'retry-after')) ?? googleRetryDelay(fullMessage);
  if (status === 429) return new ProviderError('rate_limit', message, retryAfter, status);
  if (status === 408) return new ProviderError('timeout', message, retryAfter, status);
  if (status >= 500) return new ProviderError('server', message, retryAfter, status);
  if (status === 401 || status === 403) return new ProviderError('auth', message, null, status);
  if (status === 413 || CONTEXT_LENGTH.test(message)) return new ProviderError('context_length', message, null, status);
  if (status >= 400) return new ProviderError('bad_request', message, null, status);
  return new ProviderError('other', message, null, status);
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
