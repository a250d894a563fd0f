import type { AdaptGaugeTaskConfig } from '../config/adaptgauge-schema.js';
import type { AdaptiveThrottle } from '../providers/adaptive.js';
import { BASE_URL_VARIABLES, resolveProvider, type ResolveOptions } from '../providers/registry.js';
import type { AdaptGaugeDeps } from '../tasks/adaptgauge-judge.js';
import type { ScoringModel } from './score.js';

/** The judge as each side needs it: the task is told whether one answers; the runner holds the provider. */
export interface ResolvedJudge {
  /** For createAdaptGaugeTask: the judge's id when it can run, or why it cannot. */
  deps: AdaptGaugeDeps;
  /** For the runner's ModelScorer (score.ts), with its throttle for progress; null: no judge runs. */
  model: (ScoringModel & { throttle?: AdaptiveThrottle }) | null;
}

/**
 * Resolves AdaptGauge's `task.judge` like any provider (key from the environment, base URL, retries,
 * rate limits). No judge named: `{ judge: null }`. A judge whose key is missing: `{ judge: null,
 * judgeUnavailable }`, and the llm_judge cases are left out with a notice that says which variable to set.
 * Here rather than in tasks/: tasks use the providers' contract, never the registry, and hold no provider.
 */
export function resolveAdaptGaugeJudge(
  options: Pick<AdaptGaugeTaskConfig, 'judge'>,
  env: NodeJS.ProcessEnv,
  resolveOptions: ResolveOptions = {},
): ResolvedJudge {
  if (!options.judge) return { deps: { judge: null }, model: null };
  // Temperature and output limit go with each judge request (judgeCall), not with the connection.
  const { temperature: _temperature, maxOutputTokens: _maxOutputTokens, ...connection } = options.judge;
  // No task baseline: only the `local` provider reads one, and the schema refuses it as a judge.
  const resolution = resolveProvider(connection, null, env, resolveOptions);
  if (resolution.status === 'skipped') return { deps: { judge: null, judgeUnavailable: `judge ${resolution.id}: ${resolution.reason}` }, model: null };
  // The server behind the judge is part of its cache key, as for any provider (YAML baseUrl, else the SDK's variable).
  const variable = BASE_URL_VARIABLES[resolution.id.slice(0, resolution.id.indexOf(':'))];
  const endpoint = connection.baseUrl ?? ((variable && env[variable]) || undefined);
  return {
    deps: { judge: resolution.id },
    model: { provider: resolution.provider, ...(endpoint && { endpoint }), ...(resolution.throttle && { throttle: resolution.throttle }) },
  };
}
