import { answerSettings } from '../records/answer-settings.js';
import type { PromptFingerprint } from '../records/run-info.js';
import type { Task, TaskData, TemplateFile } from '../tasks/task.js';
import { canonicalJson, sha256 } from '../util/hash.js';

/** Shots in the canonical prompt: enough to show how a shot is written and how two are joined. */
const TEMPLATE_SHOTS = 2;

/**
 * The prompt's fingerprint over every prompt variant (one task per variant id). One variant's
 * template reads exactly as before variants existed, so an unchanged prompt keeps its hash; with
 * several, each variant's canonical prompt follows a `# prompt <id>` heading.
 */
export function promptFingerprint(
  config: unknown,
  tasks: ReadonlyMap<string, Pick<Task, 'type' | 'render' | 'templateFiles' | 'scoringFiles'>>,
  data: Pick<TaskData<unknown>, 'pool' | 'items'>,
  /** Other files that shape what is asked (a provider's responseFormat schema), listed and hashed with the templates. */
  requestFiles: readonly TemplateFile[] = [],
): PromptFingerprint {
  const overrides = providerOverrides(config);
  const seen = new Set<string>();
  const files = [...[...tasks.values()].flatMap((t) => t.templateFiles ?? []), ...requestFiles].filter((f) => !seen.has(f.name) && seen.add(f.name));
  const scored = new Set<string>();
  const scoringFiles = [...tasks.values()].flatMap((t) => t.scoringFiles ?? []).filter((f) => !scored.has(f.name) && scored.add(f.name));
  const entries = [...tasks.entries()];
  const template =
    entries.length === 1
      ? renderTemplate(entries[0]![1], data, overrides, files)
      : entries.map(([id, task]) => `# prompt ${id}\n\n${renderTemplate(task, data, overrides, [...(task.templateFiles ?? []), ...requestFiles])}`).join('\n');
  const itemsText = canonicalJson(data.items.map((item) => [item.id, item.text]));
  return {
    hash: sha256(template),
    settingsHash: sha256(canonicalJson(answerSettings(config))),
    itemsHash: sha256(itemsText),
    template,
    ...(files.length > 0 ? { templateFiles: files.map((f) => ({ name: f.name, sha256: f.sha256 })) } : {}),
    // Not in `hash`: a scorer or rubric edit changes no request (the cache still answers), only the scores.
    ...(scoringFiles.length > 0 ? { scoringFiles: scoringFiles.map((f) => ({ name: f.name, sha256: f.sha256 })) } : {}),
  };
}

/** The canonical prompt (see PromptFingerprint.template). */
export function renderTemplate(
  task: Pick<Task, 'type' | 'render'>,
  data: Pick<TaskData<unknown>, 'pool' | 'items'>,
  overrides: readonly { id: string; systemPrompt: string }[],
  files: readonly TemplateFile[] = [],
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
  // A template file's content is in the hash even where the first item does not show it (a branch not taken).
  if (files.length > 0) blocks.push(`# template files\n${files.map((f) => `${f.name} sha256:${f.sha256}`).join('\n')}`);
  for (const o of overrides) blocks.push(`# ${o.id}: systemPrompt replaces the task's system turn\n[system]\n${o.systemPrompt}`);
  return `${blocks.join('\n\n')}\n`;
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
