import type OpenAI from 'openai';
import type { HttpProviderSettings } from './http-adapter.js';
import { OpenAIProvider } from './openai.js';

/**
 * Azure OpenAI (`azure-openai:<deployment>`): the openai SDK's AzureOpenAI client, which sends the
 * deployment's path (/openai/deployments/<deployment>/...), the `api-version` query and the `api-key`
 * header. The request body is OpenAI's, so everything else is OpenAIProvider's.
 */
export class AzureOpenAIProvider extends OpenAIProvider {
  constructor(settings: HttpProviderSettings) {
    super(settings, false);
  }

  protected override async createClient(): Promise<OpenAI> {
    const { AzureOpenAI } = await import('openai');
    const azure = this.settings.azure!;
    return new AzureOpenAI({
      apiKey: this.settings.apiKey,
      endpoint: azure.endpoint,
      apiVersion: azure.apiVersion,
      deployment: this.settings.model,
      maxRetries: 0,
      timeout: this.settings.timeoutMs,
    });
  }
}
