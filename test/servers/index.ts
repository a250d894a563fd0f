// Fake LLM provider servers for tests: real SDK clients, pointed at 127.0.0.1.
//
//   const s = await startOpenAIServer();      // new OpenAI({ baseURL: s.url + '/v1', ... })
//   const s = await startAnthropicServer();   // new Anthropic({ baseURL: s.url, ... })
//   const s = await startGeminiServer();      // new GoogleGenAI({ httpOptions: { baseUrl: s.url } })
//   s.queue({ kind: 'status', status: 429, headers: { 'retry-after': '1' } }, { kind: 'text', text: 'A' });
//   ... s.requests[0].headers, s.requests[0].body, s.maxInFlight ...
//   await s.close();
//
// Each provider file's header documents what its SDK makes of every kind of reply.

export type { Finish, TextReply, Reply, RecordedRequest, FakeServer } from './core.js';
export { startOpenAIServer, openAIErrorBody, openAIContextLengthBody } from './openai.js';
export { startAnthropicServer, anthropicErrorBody, anthropicContextLengthBody } from './anthropic.js';
export { startGeminiServer, geminiErrorBody, geminiContextLengthBody, geminiRateLimitBody } from './gemini.js';
