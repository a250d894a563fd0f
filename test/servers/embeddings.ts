// Deterministic fake embeddings for the fake OpenAI and Gemini servers.
//
// A hashed bag of words: each lower-cased word adds +1 or -1 (by a second hash bit) to one of `dims`
// buckets (FNV-1a), and the vector is scaled to unit length. Texts sharing words get similar
// vectors, so similarity rankings in tests follow word overlap; equal texts get equal vectors.
//
// POST /v1/embeddings (openai.ts): body {model, input: string | string[], encoding_format?, dimensions?}
//   -> {object:'list', data:[{object:'embedding', index, embedding}], model, usage:{prompt_tokens,total_tokens}}
//   With encoding_format 'base64' (the openai SDK's default when none is given) each embedding is the
//   base64 of little-endian float32s, as OpenAI sends it.
// POST /v1beta/models/{model}:batchEmbedContents (gemini.ts): body {requests:[{model, content:{parts:[{text}]}, taskType?, outputDimensionality?}]}
//   -> {embeddings:[{values}]}
// Scripted replies other than `text` (status, raw, hang, drop) work as for chat; a `text` reply's text is ignored.

export const FAKE_EMBEDDING_DIMS = 64;

function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function fakeWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

export function fakeEmbedding(text: string, dims = FAKE_EMBEDDING_DIMS): number[] {
  const v = new Array<number>(dims).fill(0);
  for (const word of fakeWords(text)) {
    const bucket = fnv1a(word) % dims;
    const sign = fnv1a(word, 0x9747b28c) & 1 ? 1 : -1;
    v[bucket]! += sign;
  }
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return norm > 0 ? v.map((x) => x / norm) : v;
}

export function float32Base64(vector: readonly number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

/** The OpenAI embeddings body for a recorded request. */
export function openAIEmbeddingsBody(body: any, model: string | undefined): unknown {
  const inputs: string[] = Array.isArray(body?.input) ? body.input.map(String) : [String(body?.input ?? '')];
  const dims = typeof body?.dimensions === 'number' ? body.dimensions : FAKE_EMBEDDING_DIMS;
  const tokens = inputs.reduce((n, t) => n + fakeWords(t).length, 0);
  return {
    object: 'list',
    data: inputs.map((text, index) => {
      const vector = fakeEmbedding(text, dims);
      return { object: 'embedding', index, embedding: body?.encoding_format === 'base64' ? float32Base64(vector) : vector };
    }),
    model: model ?? 'text-embedding-3-small',
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

/** The Gemini batchEmbedContents body for a recorded request. */
export function geminiEmbeddingsBody(body: any): unknown {
  const requests: any[] = Array.isArray(body?.requests) ? body.requests : [];
  return {
    embeddings: requests.map((r) => {
      const text = (r?.content?.parts ?? []).map((p: any) => (typeof p?.text === 'string' ? p.text : '')).join('');
      const dims = typeof r?.outputDimensionality === 'number' ? r.outputDimensionality : FAKE_EMBEDDING_DIMS;
      return { values: fakeEmbedding(text, dims) };
    }),
  };
}
