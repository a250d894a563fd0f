/**
 * The part of an experiment (as recorded in run.json's `config`) that shapes what is asked and
 * answered: the seed, the task, the shot counts, selectors, orders, distractors and repeats, and per
 * provider the model and the settings sent with each request. Names, output folders, concurrency,
 * rate limits, budgets, prices and analysis settings are left out: they change no answer.
 * Lenient: a config from an older version or an import yields what it has.
 *
 * run.json's `prompt.settingsHash` is the sha256 of its canonical JSON (the runner writes it,
 * runner/fingerprint.ts); `fewshot compare` recomputes it for runs without one and diffs it.
 */
export function answerSettings(config: unknown): Record<string, unknown> {
  const c = isRecord(config) ? config : {};
  const providers = Array.isArray(c.providers) ? c.providers : [];
  return {
    seed: c.seed,
    task: c.task,
    shots: Array.isArray(c.shots) ? [...c.shots].sort((a, b) => Number(a) - Number(b)) : c.shots,
    selectors: c.selectors,
    order: c.order,
    distractors: c.distractors,
    repeats: c.repeats,
    prompts: c.prompts,
    providers: providers.map((p) => {
      const r: Record<string, unknown> = isRecord(p) ? p : { id: p };
      return {
        id: r.id,
        temperature: r.temperature,
        maxOutputTokens: r.maxOutputTokens,
        systemPrompt: r.systemPrompt,
        baseUrl: r.baseUrl,
        // Model options (issue 16): undefined ones drop out of the canonical JSON, so older settings keep their hash.
        reasoning: r.reasoning,
        topP: r.topP,
        stop: r.stop,
        seed: r.seed,
        presencePenalty: r.presencePenalty,
        frequencyPenalty: r.frequencyPenalty,
        responseFormat: r.responseFormat,
        extraBody: r.extraBody,
        apiVersion: r.apiVersion,
        project: r.project,
        location: r.location,
      };
    }),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
