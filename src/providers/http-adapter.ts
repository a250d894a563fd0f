import type { z } from 'zod';
import { classifyError } from './classify-error.js';
import type { CompletionRequest, CompletionResult, Provider, ProviderCapabilities } from './provider.js';
import { ProviderError } from './provider.js';

export interface HttpProviderSettings {
  id: string;
  model: string;
  apiKey: string;
  /** Overrides the SDK default (and its *_BASE_URL environment variable). */
  baseUrl?: string | undefined;
  timeoutMs: number;
  /** Azure OpenAI: the resource endpoint (https://<resource>.openai.azure.com) and the API version. */
  azure?: { endpoint: string; apiVersion: string };
  /** Vertex AI: the Google Cloud project and location (credentials the SDK's usual way). */
  vertex?: { project: string; location: string };
}

/**
 * What the three SDK adapters share: the SDK client, loaded on first use (commands that call no
 * provider start fast); one timed call whose SDK errors become typed ProviderErrors; and validation of
 * the response, which the SDKs do not check (an empty body would come back as an empty answer).
 */
export abstract class HttpAdapter<Client> implements Provider {
  private client: Promise<Client> | null = null;

  constructor(protected readonly settings: HttpProviderSettings) {}

  get id(): string {
    return this.settings.id;
  }

  get model(): string {
    return this.settings.model;
  }

  abstract readonly capabilities: ProviderCapabilities;

  abstract complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult>;

  /** Builds the SDK client (with the SDK's own retries off: one retry policy, ours). */
  protected abstract createClient(): Promise<Client>;

  /** Calls the SDK once, timed; its errors come back as typed ProviderErrors. */
  protected async call(send: (client: Client) => Promise<unknown>, signal?: AbortSignal): Promise<{ raw: unknown; latencyMs: number }> {
    const started = performance.now();
    try {
      this.client ??= this.createClient();
      const raw = await send(await this.client);
      return { raw, latencyMs: performance.now() - started };
    } catch (err) {
      throw classifyError(err, this.settings.id, signal?.aborted ?? false);
    }
  }

  /** The response as the API documents it, or a `malformed` provider error. */
  protected validate<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      throw new ProviderError('malformed', `${this.settings.id}: malformed response (${parsed.error.issues[0]?.message ?? 'unexpected shape'})`);
    }
    return parsed.data;
  }
}
