import type { Task, TaskData } from '../tasks/task.js';
import { canonicalJson, sha256 } from '../util/hash.js';

/**
 * What a run asked, in a form two runs can be compared by (run.json's `prompt`): `fewshot compare`
 * says whether the prompt or the settings changed between a baseline and a candidate, and prints the
 * diff of the rendered templates when they differ.
 */
export interface PromptFingerprint {
  /** sha256 of `template`. */
  hash: string;
  /** sha256 of the canonical JSON of `answerSettings(config)`: everything in the experiment that shapes a prompt or an answer. */
  settingsHash: string;
  /** sha256 of the evaluation items' ids and texts, in order: the same ids under another hash are other questions. */
  itemsHash: string;
  /**
   * A canonical prompt: the task's rendering of the first evaluation item with the first two pool
   * examples as shots, as `[role]` + content blocks; then, per provider whose `systemPrompt`
   * replaces the task's, that system turn.
   */
  template: string;
}

/** Shots in the canonical prompt: enough to show how a shot is written and how two are joined. */
const TEMPLATE_SHOTS = 2;

export function promptFingerprint(config: unknown, task: Pick<Task, 'type' | 'render'>, data: Pick<TaskData<unknown>, 'pool' | 'items'>): PromptFingerprint {
  const template = renderTemplate(task, data, providerOverrides(config));
  const itemsText = canonicalJson(data.items.map((item) => [item.id, item.text]));
  return {
    hash: sha256(template),
    settingsHash: sha256(canonicalJson(answerSettings(config))),
    itemsHash: sha256(itemsText),
    template,
  };
}

/** The canonical prompt (see PromptFingerprint.template). */
export function renderTemplate(
  task: Pick<Task, 'type' | 'render'>,
  data: Pick<TaskData<unknown>, 'pool' | 'items'>,
  overrides: readonly { id: string; systemPrompt: string }[],
): string {
  const item = data.items[0];
  const blocks: string[] = [];
  if (item) {
    const shots = data.pool.slice(0, TEMPLATE_SHOTS);
    blocks.push(`# ${task.type}: evaluation item ${item.id} with shots ${shots.map((s) => s.id).join(', ') || '(none)'}`);
    for (const m of task.render(shots, item)) blocks.push(`[${m.role}]\n${m.content}`);
  } else {
    blocks.push(`# ${task.type}: no evaluation item to render`);
  }
  for (const o of overrides) blocks.push(`# ${o.id}: systemPrompt replaces the task's system turn\n[system]\n${o.systemPrompt}`);
  return `${blocks.join('\n\n')}\n`;
}

/**
 * The part of an experiment (as recorded in run.json's `config`) that shapes what is asked and
 * answered: the seed, the task, the shot counts, selectors, orders, distractors and repeats, and per
 * provider the model and the settings sent with each request. Names, output folders, concurrency,
 * rate limits, budgets, prices and analysis settings are left out: they change no answer.
 * Lenient: a config from an older version or an import yields what it has.
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
    providers: providers.map((p) => {
      const r: Record<string, unknown> = isRecord(p) ? p : { id: p };
      return { id: r.id, temperature: r.temperature, maxOutputTokens: r.maxOutputTokens, systemPrompt: r.systemPrompt, baseUrl: r.baseUrl };
    }),
  };
}

function providerOverrides(config: unknown): { id: string; systemPrompt: string }[] {
  const providers = isRecord(config) && Array.isArray(config.providers) ? config.providers : [];
  return providers.flatMap((p) =>
    isRecord(p) && typeof p.id === 'string' && typeof p.systemPrompt === 'string' ? [{ id: p.id, systemPrompt: p.systemPrompt }] : [],
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
