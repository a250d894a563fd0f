// What the benchmarks' local servers (latency-server.js, sim-provider-server.js) share of the OpenAI
// wire format: an error reply in OpenAI's error shape, which the SDK turns into a typed APIError.

/** Ends `res` with `status` and an OpenAI-shaped error naming the server. */
export function sendOpenAIError(res, status, server, message, code = null) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message: `${server}: ${message}`, type: 'invalid_request_error', param: null, code } }));
}
