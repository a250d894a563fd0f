// An entry's model options as each request carries them (records/model-options.ts): the YAML's
// fields, with `responseFormat: { schema: <file> }` read from its JSON Schema file (relative to the
// experiment) so the schema itself, not its path, reaches the API and the cache key.

import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ProviderConfig } from '../config/schema.js';
import type { ModelOptions, ResponseFormatRequest } from '../records/model-options.js';
import { TaskDataError } from '../tasks/errors.js';

/** The options an entry sets, ready for a CompletionRequest; a bad schema file is a TaskDataError (exit 2) naming it. */
export function requestOptions(entry: ProviderConfig, baseDir: string): ModelOptions {
  return {
    ...(entry.reasoning !== undefined && { reasoning: entry.reasoning }),
    ...(entry.topP !== undefined && { topP: entry.topP }),
    ...(entry.stop !== undefined && { stop: entry.stop }),
    ...(entry.seed !== undefined && { seed: entry.seed }),
    ...(entry.presencePenalty !== undefined && { presencePenalty: entry.presencePenalty }),
    ...(entry.frequencyPenalty !== undefined && { frequencyPenalty: entry.frequencyPenalty }),
    ...(entry.responseFormat !== undefined && { responseFormat: responseFormatOf(entry.responseFormat, baseDir) }),
    ...(entry.extraBody !== undefined && { extraBody: entry.extraBody }),
  };
}

function responseFormatOf(format: NonNullable<ProviderConfig['responseFormat']>, baseDir: string): ResponseFormatRequest {
  if (format === 'json') return { type: 'json' };
  const path = join(baseDir, format.schema);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new TaskDataError(path, null, `cannot read the JSON Schema of responseFormat.schema: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (e) {
    throw new TaskDataError(path, null, `responseFormat.schema is not JSON: ${(e as Error).message}`);
  }
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new TaskDataError(path, null, 'responseFormat.schema: expected a JSON Schema object, e.g. { "type": "object", "properties": { ... } }');
  }
  // The schema's name for the APIs that want one (OpenAI json_schema.name, Anthropic's tool): the file's base name.
  const name =
    basename(format.schema)
      .replace(/\.json$/i, '')
      .replace(/[^A-Za-z0-9_-]/g, '_')
      .slice(0, 64) || 'answer';
  return { type: 'schema', name, schema: schema as Record<string, unknown> };
}
