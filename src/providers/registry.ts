import { AnthropicProvider } from './anthropic.js';
import { AzureOpenAIProvider } from './azure-openai.js';
import { GoogleProvider } from './google.js';
import { VertexProvider } from './vertex.js';
import { LocalProvider } from './local.js';
import { OpenAIProvider, type HttpProviderSettings } from './openai.js';
import { AdaptiveThrottle, type ThrottleSnapshot } from './adaptive.js';
import type { LocalBaseline, Provider } from './provider.js';
import { RateLimiter } from './rate-limit.js';
import { ResilientProvider } from './resilient.js';
import { DEFAULT_RETRY_POLICY } from './retry.js';

/** Environment variables that hold each provider kind's key, in the order they are tried. */
export const KEY_VARIABLES: Record<string, readonly string[]> = {
  openai: ['OPENAI_API_KEY'],
  anthropic: ['ANTHROPIC_API_KEY'],
  google: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
  'openai-compatible': [],
  'azure-openai': ['AZURE_OPENAI_API_KEY'],
  // Vertex authenticates with Google Cloud credentials (Application Default Credentials), not a key.
  vertex: [],
};

/**
 * The variable each SDK reads its base URL from. The SDKs read process.env themselves; reading it
 * here from the env we are given keeps one source: YAML baseUrl > env[variable] > SDK default.
 */
export const BASE_URL_VARIABLES: Record<string, string> = {
  openai: 'OPENAI_BASE_URL',
  anthropic: 'ANTHROPIC_BASE_URL',
  google: 'GOOGLE_GEMINI_BASE_URL',
  'azure-openai': 'AZURE_OPENAI_ENDPOINT',
};

/** Azure OpenAI's API version when neither the entry's `apiVersion` nor OPENAI_API_VERSION sets one (dated: docs/providers.md). */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * A provider entry as resolveProvider reads it. The experiment's validated entry (config's
 * ProviderConfig) is one; providers do not import config, so the fields read here are named here.
 */
export interface ProviderEntry {
  /** `local` or `<kind>:<model>`. */
  id: string;
  /** Names the entry's trials and curves in place of the id (the experiment's `label`). */
  label?: string | undefined;
  baseUrl?: string | undefined;
  apiKeyEnv?: string | undefined;
  timeoutMs?: number | undefined;
  maxAttempts?: number | undefined;
  requestsPerMinute?: number | undefined;
  tokensPerMinute?: number | undefined;
  concurrency?: number | undefined;
  temperature?: number | undefined;
  /** azure-openai: the API version (else OPENAI_API_VERSION, else AZURE_DEFAULT_API_VERSION). */
  apiVersion?: string | undefined;
  /** vertex: the Google Cloud project and location (else GOOGLE_CLOUD_PROJECT / GOOGLE_CLOUD_LOCATION). */
  project?: string | undefined;
  location?: string | undefined;
}

export type ProviderResolution<C extends ProviderEntry = ProviderEntry> =
  | {
      id: string;
      /** The entry's label, else its id: the name of its trials, curves and spend. */
      name: string;
      status: 'ready';
      provider: Provider;
      config: C;
      notices?: string[];
      /** The provider's adaptive throttle (network providers only): `throttle.snapshot()` for a progress display. */
      throttle?: AdaptiveThrottle;
    }
  | { id: string; name: string; status: 'skipped'; reason: string };

export interface ResolveOptions {
  /** Replaces real waiting in retries (tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * The experiment's concurrency: the throttle of a provider without its own `concurrency` starts
   * there and climbs back to it after 429s. Absent: such a throttle has no ceiling; its first 429
   * halves the calls then in flight, and it climbs one a clean round from there.
   */
  concurrency?: number;
  /** Called with a provider's throttle state after each 429 and each change of its limit (progress, tests). */
  onThrottle?: (providerId: string, snapshot: ThrottleSnapshot) => void;
}

/**
 * Turns an experiment's provider entry into a runnable provider, or a one-line reason it is skipped.
 * Keys are only read from the environment, and never copied into the config, a log or the results.
 * `local` runs the task's baseline (the LocalBaseline seam, see provider.ts); null where no task's
 * baseline applies (AdaptGauge's judge, which the schema keeps from being `local`).
 */
export function resolveProvider<C extends ProviderEntry>(
  config: C,
  local: LocalBaseline | null,
  env: NodeJS.ProcessEnv,
  options: ResolveOptions = {},
): ProviderResolution<C> {
  const name = config.label ?? config.id;
  if (config.id === 'local') {
    if (!local) throw new Error("the local provider needs the task's baseline (a LocalBaseline)");
    return { id: config.id, name, status: 'ready', provider: new LocalProvider(local), config };
  }
  const colon = config.id.indexOf(':');
  const kind = config.id.slice(0, colon);
  const model = config.id.slice(colon + 1);
  const variables = config.apiKeyEnv ? [config.apiKeyEnv] : (KEY_VARIABLES[kind] ?? []);
  const keyVariable = variables.find((name) => env[name]);
  if (variables.length > 0 && !keyVariable) {
    return { id: config.id, name, status: 'skipped', reason: `no API key: set ${variables.join(' or ')} to run it` };
  }
  // Experiment files cannot get here: the schema refuses an openai-compatible provider without baseUrl
  // (exit 2 naming the field). This guards programmatic callers that build a ProviderEntry by hand.
  if (kind === 'openai-compatible' && !config.baseUrl) {
    return { id: config.id, name, status: 'skipped', reason: 'openai-compatible providers need a baseUrl (e.g. http://localhost:11434/v1 for Ollama)' };
  }
  const baseUrl = config.baseUrl ?? baseUrlFromEnv(kind, env);
  if (kind === 'azure-openai' && !baseUrl) {
    return {
      id: config.id,
      name,
      status: 'skipped',
      reason: 'no Azure endpoint: set AZURE_OPENAI_ENDPOINT (https://<resource>.openai.azure.com) or baseUrl: to run it',
    };
  }
  const project = config.project ?? env.GOOGLE_CLOUD_PROJECT;
  const location = config.location ?? env.GOOGLE_CLOUD_LOCATION;
  if (kind === 'vertex' && (!project || !location)) {
    const missing = [!project && 'GOOGLE_CLOUD_PROJECT (or project:)', !location && 'GOOGLE_CLOUD_LOCATION (or location:)'].filter(Boolean).join(' and ');
    return { id: config.id, name, status: 'skipped', reason: `no Vertex AI project: set ${missing} to run it (credentials: Application Default Credentials)` };
  }
  const settings: HttpProviderSettings = {
    id: config.id,
    model,
    // Local servers (Ollama, vLLM) take any key, but the SDK insists on one.
    apiKey: keyVariable ? env[keyVariable]! : 'not-needed',
    // Azure's endpoint is the client's `endpoint`, not a base URL (see azure-openai.ts).
    baseUrl: kind === 'azure-openai' ? undefined : baseUrl,
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(kind === 'azure-openai' && { azure: { endpoint: baseUrl!, apiVersion: config.apiVersion ?? env.OPENAI_API_VERSION ?? AZURE_DEFAULT_API_VERSION } }),
    ...(kind === 'vertex' && { vertex: { project: project!, location: location! } }),
  };
  const inner = createAdapter(kind, settings);
  const limiter = new RateLimiter({ requestsPerMinute: config.requestsPerMinute, tokensPerMinute: config.tokensPerMinute });
  const policy = { ...DEFAULT_RETRY_POLICY, ...(config.maxAttempts !== undefined && { maxAttempts: config.maxAttempts }) };
  const notices =
    kind === 'anthropic' && config.temperature !== undefined
      ? [`${name}: temperature is not sent (Anthropic's Messages API has deprecated it); the model's default sampling applies`]
      : [];
  const onThrottle = options.onThrottle;
  // Waits out cool-downs on real timers even when `options.sleep` is a test's instant one: retry waits
  // through that sleep move the throttle's clock (see ResilientProvider), so its cool-downs pass with them.
  const throttle = new AdaptiveThrottle({
    max: config.concurrency ?? options.concurrency ?? Infinity,
    coolDownCapMs: policy.retryAfterCapMs,
    ...(onThrottle && { onChange: (snapshot) => onThrottle(name, snapshot) }),
  });
  const provider = new ResilientProvider(inner, policy, limiter, options.sleep, throttle);
  return { id: config.id, name, status: 'ready', provider, config, notices, throttle };
}

function baseUrlFromEnv(kind: string, env: NodeJS.ProcessEnv): string | undefined {
  const variable = BASE_URL_VARIABLES[kind];
  return (variable && env[variable]) || undefined;
}

function createAdapter(kind: string, settings: HttpProviderSettings): Provider {
  switch (kind) {
    case 'openai':
      return new OpenAIProvider(settings, false);
    case 'openai-compatible':
      return new OpenAIProvider(settings, true);
    case 'anthropic':
      return new AnthropicProvider(settings);
    case 'google':
      return new GoogleProvider(settings);
    case 'azure-openai':
      return new AzureOpenAIProvider(settings);
    case 'vertex':
      return new VertexProvider(settings);
    default:
      throw new Error(`unknown provider kind "${kind}"`);
  }
}
