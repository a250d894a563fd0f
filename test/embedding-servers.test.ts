// Self-test of the fake embedding endpoints (test/servers/embeddings.ts): the REAL openai and
// @google/genai clients call them on 127.0.0.1, so the embedding adapters are tested against what the
// SDKs actually send and parse.

import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { GoogleGenAI } from '@google/genai';
import { startGeminiServer, startOpenAIServer, type FakeServer } from './servers/index.js';
import { fakeEmbedding, FAKE_EMBEDDING_DIMS } from './servers/embeddings.js';

const servers: FakeServer[] = [];
async function track(p: Promise<FakeServer>): Promise<FakeServer> {
  const s = await p;
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe('fake vectors', () => {
  it('are deterministic unit vectors that follow word overlap', () => {
    const a = fakeEmbedding('the parcel has not arrived yet');
    expect(a).toHaveLength(FAKE_EMBEDDING_DIMS);
    expect(fakeEmbedding('The parcel has NOT arrived yet!')).toEqual(a);
    expect(cosine(a, a)).toBeCloseTo(1, 10);
    const near = fakeEmbedding('my parcel has not arrived');
    const far = fakeEmbedding('please cancel my subscription');
    expect(cosine(a, near)).toBeGreaterThan(cosine(a, far));
    expect(fakeEmbedding('')).toEqual(new Array(FAKE_EMBEDDING_DIMS).fill(0));
  });
});

describe('fake OpenAI server: POST /v1/embeddings', () => {
  const client = (s: FakeServer) => new OpenAI({ apiKey: 'test-key', baseURL: s.url + '/v1', maxRetries: 0, timeout: 2000 });

  it('answers float and base64 requests with the fake vectors, in input order', async () => {
    const s = await track(startOpenAIServer({ embeddings: true }));
    const texts = ['alpha beta', 'gamma delta', 'alpha gamma'];
    const floats = await client(s).embeddings.create({ model: 'text-embedding-3-small', input: texts, encoding_format: 'float' });
    expect(floats.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(floats.data.map((d) => d.embedding)).toEqual(texts.map((t) => fakeEmbedding(t)));
    expect(floats.model).toBe('text-embedding-3-small');
    expect(floats.usage.prompt_tokens).toBe(6);

    // The SDK's default asks for base64 and decodes float32s itself.
    const decoded = await client(s).embeddings.create({ model: 'text-embedding-3-small', input: texts });
    decoded.data.forEach((d, i) => d.embedding.forEach((x, j) => expect(x).toBeCloseTo(fakeEmbedding(texts[i]!)[j]!, 6)));

    expect(s.requests).toHaveLength(2);
    expect(s.requests[0]!.path).toBe('/v1/embeddings');
    expect(s.requests[0]!.model).toBe('text-embedding-3-small');
    expect(s.requests[0]!.body).toMatchObject({ input: texts, encoding_format: 'float' });
    expect(s.requests[1]!.body.encoding_format).toBe('base64');
  });

  it('honours dimensions; scripted errors and raw bodies work as for chat', async () => {
    const s = await track(startOpenAIServer({ embeddings: true }));
    const res = await client(s).embeddings.create({ model: 'm', input: 'x y', dimensions: 8, encoding_format: 'float' });
    expect(res.data[0]!.embedding).toHaveLength(8);
    s.queue({ kind: 'status', status: 429 }, { kind: 'raw', body: '{"data": "nope"}' });
    await expect(client(s).embeddings.create({ model: 'm', input: 'x', encoding_format: 'float' })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    expect(await client(s).embeddings.create({ model: 'm', input: 'x', encoding_format: 'float' })).toMatchObject({ data: 'nope' });
  });

  it('is off by default: the chat-only server still answers 404 there', async () => {
    const s = await track(startOpenAIServer());
    await expect(client(s).embeddings.create({ model: 'm', input: 'x' })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect(s.requests[0]!.routed).toBe(false);
  });
});

describe('fake Gemini server: :batchEmbedContents', () => {
  const client = (s: FakeServer) => new GoogleGenAI({ vertexai: false, apiKey: 'test-key', httpOptions: { baseUrl: s.url, timeout: 2000 } });

  it('answers models.embedContent with one vector per content, and records the model from the path', async () => {
    const s = await track(startGeminiServer({ embeddings: true }));
    const texts = ['alpha beta', 'gamma delta'];
    const res = await client(s).models.embedContent({
      model: 'text-embedding-004',
      contents: texts.map((text) => ({ role: 'user', parts: [{ text }] })),
      config: { taskType: 'SEMANTIC_SIMILARITY', outputDimensionality: 16 },
    });
    expect(res.embeddings?.map((e) => e.values)).toEqual(texts.map((t) => fakeEmbedding(t, 16)));
    const r = s.requests[0]!;
    expect(r.path).toBe('/v1beta/models/text-embedding-004:batchEmbedContents');
    expect(r.model).toBe('text-embedding-004');
    expect(r.headers['x-goog-api-key']).toBe('test-key');
    expect(r.body.requests).toHaveLength(2);
    expect(r.body.requests[0]).toMatchObject({
      model: 'models/text-embedding-004',
      taskType: 'SEMANTIC_SIMILARITY',
      content: { parts: [{ text: 'alpha beta' }] },
    });
  });

  it('is off by default', async () => {
    const s = await track(startGeminiServer());
    await expect(client(s).models.embedContent({ model: 'text-embedding-004', contents: ['x'] })).rejects.toMatchObject({ status: 404 });
  });
});
