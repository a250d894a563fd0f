import type OpenAI from 'openai';
import type { HttpProviderSettings } from './http-adapter.js';
import { OpenAIProvider } from './openai.js';

/**
 * Azure OpenAI (`azure-openai:<deployment>`): the openai SDK's AzureOpenAI client, which posts to
 * `{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...` with the key in the
 * `api-key` header (no Authorization header). The request body is OpenAI's (max_completion_tokens,
 * reasoning_effort, response_format, ...), so everything else is OpenAIProvider's. The endpoint, key
 * and API version come from resolveProvider (registry.ts), never from process.env here.
 */
export class AzureOpenAIProvider extends OpenAIProvider {
  constructor(settings: HttpProviderSettings) {
    super(settings, false);
  }

  protected override async createClient(): Promise<OpenAI> {
    const { AzureOpenAI } = await import('openai');
    const azure = this.settings.azure;
    if (!azure) throw new Error(`${this.settings.id}: an Azure provider needs an endpoint and an API version`);
    return new AzureOpenAI({
      apiKey: this.settings.apiKey,
      // The base URL AzureOpenAI builds from `endpoint` (trailing slashes dropped, then /openai), given
      // as baseURL: with `endpoint`, the client reads OPENAI_BASE_URL from process.env as its baseURL and
      // refuses the pair ("baseURL and endpoint are mutually exclusive") whenever that variable is set.
      baseURL: `${azure.endpoint.replace(/\/+$/, '')}/openai`,
      apiVersion: azure.apiVersion,
      deployment: this.settings.model,
      maxRetries: 0, // one retry policy, ours (providers/retry.ts)
      timeout: this.settings.timeoutMs,
      // The SDK reads OPENAI_ORG_ID / OPENAI_PROJECT_ID from process.env and sends them as headers:
      // OpenAI's, not Azure's.
      organization: null,
      project: null,
    });
  }
}
