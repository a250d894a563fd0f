import type { ProviderConfig } from '../config/schema.js';
import type { Task } from '../tasks/task.js';
import { LocalProvider } from './local.js';
import type { Provider } from './provider.js';

/** Environment variables that hold each provider kind's key, in the order they are tried. */
export const KEY_VARIABLES: Record<string, readonly string[]> = {
  openai: ['OPENAI_API_KEY'],
  anthropic: ['ANTHROPIC_API_KEY'],
  google: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
  'openai-compatible': [],
};

export type ProviderResolution =
  | { id: string; status: 'ready'; provider: Provider; config: ProviderConfig }
  | { id: string; status: 'skipped'; reason: string };

/**
 * Turns an experiment's provider entry into a runnable provider, or a one-line reason it is skipped.
 * Keys are only read from the environment, and never copied into the config or the results.
 */
export function resolveProvider(config: ProviderConfig, task: Task, env: NodeJS.ProcessEnv): ProviderResolution {
  if (config.id === 'local') return { id: config.id, status: 'ready', provider: new LocalProvider(task), config };
  const kind = config.id.slice(0, config.id.indexOf(':'));
  const variables = KEY_VARIABLES[kind] ?? [];
  if (variables.length > 0 && !variables.some((name) => env[name])) {
    return { id: config.id, status: 'skipped', reason: `no API key: set ${variables.join(' or ')} to run it` };
  }
  if (kind === 'openai-compatible' && !config.baseUrl) {
    return { id: config.id, status: 'skipped', reason: 'openai-compatible providers need a baseUrl' };
  }
  return {
    id: config.id,
    status: 'skipped',
    reason: `the ${kind} adapter is not available in this version of fewshot yet; only the local provider runs`,
  };
}
