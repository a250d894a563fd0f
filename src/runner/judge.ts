import type { AdaptGaugeJudgeConfig, AdaptGaugeTaskConfig } from '../config/adaptgauge-schema.js';
import type { AdaptiveThrottle } from '../providers/adaptive.js';
import { judgeScoringOf } from '../config/judge-scoring-schema.js';
import type { TaskConfig } from '../config/schema.js';
import { BASE_URL_VARIABLES, resolveProvider, type ProviderEntry, type ProviderResolution, type ResolveOptions } from '../providers/registry.js';
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
  return resolveJudge(options.judge, env, resolveOptions);
}

/**
 * Resolves a judge model (AdaptGauge's `task.judge`, or the `scoring.provider` of method judge) like any
 * provider: key from the environment, base URL, retries, rate limits. A judge whose key is missing:
 * `{ judge: null, judgeUnavailable }` naming the variable to set, and no model.
 */
export function resolveJudge(judge: AdaptGaugeJudgeConfig, env: NodeJS.ProcessEnv, resolveOptions: ResolveOptions = {}): ResolvedJudge {
  // Temperature and output limit go with each judge request (the task's ModelCall), not with the connection.
  const { temperature: _temperature, maxOutputTokens: _maxOutputTokens, ...connection } = judge;
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

/**
 * The judge of model-graded scoring (`scoring: { method: judge, provider }` of the generate task),
 * resolved like AdaptGauge's; null when the task's scoring needs no judge.
 */
export function resolveScoringJudge(task: TaskConfig, env: NodeJS.ProcessEnv, resolveOptions: ResolveOptions = {}): ResolvedJudge | null {
  if (task.type !== 'generate' || !('method' in task.scoring)) return null;
  const scoring = judgeScoringOf(task.scoring);
  return scoring ? resolveJudge(scoring.provider, env, resolveOptions) : null;
}

/**
 * When every answer is graded by a judge that cannot run (its key is missing), no trial could be
 * scored: every provider is skipped, with the reason naming the variable to set, so no answer is
 * paid for that nothing could grade.
 */
export function skipWithoutJudge<C extends ProviderEntry>(resolutions: ProviderResolution<C>[], judge: ResolvedJudge | null): ProviderResolution<C>[] {
  if (judge === null || judge.model !== null) return resolutions;
  const reason = `every answer is graded by the judge, which cannot run (${judge.deps.judgeUnavailable ?? 'no judge'})`;
  return resolutions.map((r) => (r.status === 'ready' ? { id: r.id, name: r.name, status: 'skipped', reason } : r));
}
