import { answerSettings } from '../records/answer-settings.js';
import type { RunInfo } from '../records/run-info.js';
import { canonicalJson, sha256 } from '../util/hash.js';
import { unifiedDiff } from './line-diff.js';
import type { PromptChange } from './types.js';

/** Settings changes listed before "and N more". */
const MAX_SETTINGS_CHANGES = 20;

/**
 * The settings hash of a run, from its recorded config (what run.json's prompt.settingsHash holds
 * for a sweep; computed the same way for older runs and imports, so both sides are always hashed alike).
 */
export function settingsHashOf(info: RunInfo): string {
  return sha256(canonicalJson(answerSettings(info.config)));
}

/** What changed in what was asked: the rendered template (with its diff), the answer-shaping settings, the items. */
export function promptChange(baseline: RunInfo, candidate: RunInfo): PromptChange {
  const a = baseline.prompt;
  const b = candidate.prompt;
  const settingsChanges = diffValues(readable(answerSettings(baseline.config)), readable(answerSettings(candidate.config)), '');
  const listed = settingsChanges.slice(0, MAX_SETTINGS_CHANGES);
  if (settingsChanges.length > listed.length) listed.push(`... and ${settingsChanges.length - listed.length} more`);
  return {
    templateChanged: a && b ? a.hash !== b.hash : null,
    settingsChanged: settingsHashOf(baseline) !== settingsHashOf(candidate),
    itemsChanged: a && b ? a.itemsHash !== b.itemsHash : null,
    settingsChanges: listed,
    templateFiles: a && b ? changedFiles(a.templateFiles ?? [], b.templateFiles ?? []) : [],
    scoringFiles: a && b ? changedFiles(a.scoringFiles ?? [], b.scoringFiles ?? []) : [],
    diff:
      a && b && a.hash !== b.hash ? unifiedDiff(a.template, b.template, { aName: `baseline ${baseline.runId}`, bName: `candidate ${candidate.runId}` }) : [],
  };
}

/** Files whose sha256 differs between the runs, or that only one run has ("(added)", "(removed)"). */
function changedFiles(a: readonly { name: string; sha256: string }[], b: readonly { name: string; sha256: string }[]): string[] {
  const before = new Map(a.map((f) => [f.name, f.sha256]));
  const after = new Map(b.map((f) => [f.name, f.sha256]));
  const out: string[] = [];
  for (const [name, hash] of after) {
    const old = before.get(name);
    if (old === undefined) out.push(`${name} (added)`);
    else if (old !== hash) out.push(name);
  }
  for (const name of before.keys()) if (!after.has(name)) out.push(`${name} (removed)`);
  return out;
}

/** Providers by id and selectors by label, so a change reads `providers.openai:gpt-4o-mini.systemPrompt`, not `providers[1]`. */
function readable(settings: Record<string, unknown>): Record<string, unknown> {
  const byKey = (list: unknown, key: (x: Record<string, unknown>) => unknown) =>
    Array.isArray(list)
      ? Object.fromEntries(
          list.map((x, i, all) => {
            const r = typeof x === 'object' && x !== null ? (x as Record<string, unknown>) : { name: x };
            const k = key(r);
            if (typeof k !== 'string') return [String(i), r];
            // One model listed twice (provider labels): the second entry reads `openai:gpt-4o-mini#2`,
            // so the two never overwrite each other (labels stay out of the settings: a relabel changes no answer).
            const nth = all.slice(0, i).filter((y) => typeof y === 'object' && y !== null && key(y as Record<string, unknown>) === k).length;
            return [nth === 0 ? k : `${k}#${nth + 1}`, r];
          }),
        )
      : list;
  return {
    ...settings,
    // A selector's label defaults to its name: written out or not, it is the same arm.
    selectors: byKey(
      Array.isArray(settings.selectors) ? settings.selectors.map((s) => (isRecord(s) ? { ...s, label: s.label ?? s.name } : s)) : settings.selectors,
      (s) => s.label,
    ),
    providers: byKey(settings.providers, (p) => p.id),
  };
}

/** `path: before -> after` for every leaf that differs (objects walked by key, arrays compared whole). */
function diffValues(a: unknown, b: unknown, path: string): string[] {
  if (canonicalJson(a ?? null) === canonicalJson(b ?? null)) return [];
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((key) => diffValues(a[key], b[key], path ? `${path}.${key}` : key));
  }
  return [`${path || '(settings)'}: ${show(a)} -> ${show(b)}`];
}

function show(value: unknown): string {
  if (value === undefined) return '(unset)';
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
