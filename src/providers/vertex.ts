import type { GoogleGenAI, GoogleGenAIOptions } from '@google/genai';
import { GoogleProvider } from './google.js';
import type { HttpProviderSettings } from './http-adapter.js';
import { ProviderError } from './provider.js';

/** google-auth-library's GoogleAuthOptions, as @google/genai takes them. */
export type VertexAuthOptions = NonNullable<GoogleGenAIOptions['googleAuthOptions']>;

/**
 * Gemini on Vertex AI (`vertex:<model>`): @google/genai in Vertex mode, with the project and location
 * of the entry (or GOOGLE_CLOUD_PROJECT / GOOGLE_CLOUD_LOCATION). The SDK posts to
 * `https://{location}-aiplatform.googleapis.com/v1beta1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent`
 * (`https://aiplatform.googleapis.com/...` for location `global`, `aiplatform.{us,eu}.rep.googleapis.com`
 * for the multi-regions; a `baseUrl` replaces the host, the rest of the path stays) with
 * `Authorization: Bearer <token>` from Google Cloud credentials, found the SDK's usual way:
 * Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, else
 * `gcloud auth application-default login`'s file, else the metadata server on Google Cloud). An API
 * key in the environment (GOOGLE_API_KEY, GEMINI_API_KEY) is not used: the explicit project and
 * location take precedence in the SDK. The request and response bodies are Gemini's: GoogleProvider's.
 * A failure to get a token (no credentials found, a key file that is not there, a refresh the token
 * endpoint refuses) is an `auth` error, which stops the provider with a notice, rather than one
 * `other` failure a trial.
 */
export class VertexProvider extends GoogleProvider {
  /** Vertex AI's countTokens takes the system prompt as systemInstruction. */
  protected override readonly countsSystemInstruction: boolean = true;

  constructor(
    settings: HttpProviderSettings,
    /**
     * Replaces Application Default Credentials (tests: credentials whose token endpoint is local).
     * The registry never passes it: production credentials are ADC.
     */
    private readonly googleAuthOptions?: VertexAuthOptions,
  ) {
    super(settings);
    if (!settings.vertex) throw new Error(`${settings.id}: a Vertex AI provider needs a project and a location`);
  }

  /** The SDK's call, with the credentials layer's failures (google-auth-library's, not the API's) as `auth` errors. */
  protected override call(send: (client: GoogleGenAI) => Promise<unknown>, signal?: AbortSignal): Promise<{ raw: unknown; latencyMs: number }> {
    return super.call(async (client) => {
      try {
        return await send(client);
      } catch (err) {
        throw credentialsError(err, this.settings.id) ?? err;
      }
    }, signal);
  }

  protected override async createClient(): Promise<GoogleGenAI> {
    const { GoogleGenAI: Client } = await import('@google/genai');
    const vertex = this.settings.vertex!;
    return new Client({
      vertexai: true,
      project: vertex.project,
      location: vertex.location,
      ...(this.googleAuthOptions !== undefined && { googleAuthOptions: this.googleAuthOptions }),
      httpOptions: { timeout: this.settings.timeoutMs, ...(this.settings.baseUrl !== undefined && { baseUrl: this.settings.baseUrl }) },
    });
  }
}

const NO_CREDENTIALS = /Could not load the default credentials|The file at .* does not exist, or it is not a file/;

/**
 * An error of the credentials layer as an `auth` ProviderError; null for anything else (the API's
 * ApiError, timeouts, dropped connections: classifyError's). google-auth-library's HTTP failures carry
 * gaxios's `config` and `response` (the SDK's own calls use fetch and throw ApiError); a token
 * endpoint's 5xx or 429 is left to classifyError, which retries it.
 */
function credentialsError(err: unknown, id: string): ProviderError | null {
  if (!(err instanceof Error) || err.name === 'ApiError') return null;
  const e = err as Error & { config?: unknown; response?: { status?: unknown } };
  const status = typeof e.response?.status === 'number' ? e.response.status : null;
  const fromTokenEndpoint = e.config !== undefined && status !== null && status < 500 && status !== 429;
  if (!fromTokenEndpoint && !NO_CREDENTIALS.test(e.message)) return null;
  const first = e.message.split('\n')[0]!.trim();
  return new ProviderError(
    'auth',
    `${id}: no usable Google Cloud credentials (${first}); Vertex AI uses Application Default Credentials: run \`gcloud auth application-default login\`, or set GOOGLE_APPLICATION_CREDENTIALS to a key file`,
    null,
    status,
  );
}
