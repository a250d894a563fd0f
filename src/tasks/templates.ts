/**
 * Prompts written as template files (`prompts:` in the experiment; docs/experiments.md, "Your own
 * prompt"), rendered with LiquidJS: `{{ variable }}`, `{% if %}`, `{% for %}` and filters, and nothing
 * that runs code or reads a file (include, render and layout are refused; no filesystem is given).
 * Variables are strict: an unknown name is an error with its file:line:col, never an empty string.
 * Nothing is HTML-escaped.
 *
 * With `shots: turns` (the default) each shot is the `user` template rendered with the shot's fields
 * as a user turn, then its answer as the assistant turn, then the item's user turn. With `shots:
 * inline` there is one user turn: the `user` template with `shots` (the list) and `examples` (each
 * shot rendered with the `shot` template, or "Input: ...\nAnswer: ..." without one, joined by a blank line).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Liquid, type Template } from 'liquidjs';
import type { PromptConfig } from '../config/prompts-schema.js';
import { sha256 } from '../util/hash.js';
import { checkUtf8 } from './dataset.js';
import { TaskDataError, TemplateError } from './errors.js';
import type { ChatMessage, TemplateFile } from './task.js';

/** What one record offers a template: its mapped fields (`id`, `input`, `label` or `output`) over all its columns. */
export interface TemplateRecord {
  vars: Record<string, unknown>;
  /** The assistant turn of a shot: its label or output. */
  answer: string;
}

export interface PromptTemplates {
  readonly id: string;
  readonly files: readonly TemplateFile[];
  /** The messages for an item with its shots; `extra` holds task-wide variables (`labels` for classification). */
  render(shots: readonly TemplateRecord[], item: TemplateRecord, extra: Record<string, unknown>): ChatMessage[];
}

const FORBIDDEN_TAGS = ['include', 'render', 'layout'] as const;

/**
 * The sandboxed LiquidJS engine every template uses (prompts, a judge's rubric): strict variables
 * and filters, own properties only, no file store, and the tags that read files refused, naming `what`.
 */
export function templateEngine(what = 'prompt templates'): Liquid {
  const liquid = new Liquid({
    strictVariables: true,
    strictFilters: true,
    ownPropertyOnly: true,
    // An in-memory (empty) template store: no file is ever looked up.
    templates: {},
    relativeReference: false,
    // A prompt renders in well under a millisecond: a runaway loop is stopped, not waited for.
    renderLimit: 2_000,
    memoryLimit: 1e7,
  });
  for (const tag of FORBIDDEN_TAGS) {
    liquid.registerTag(tag, {
      parse() {
        throw new Error(`{% ${tag} %} is not allowed: ${what} cannot read other files`);
      },
      render() {
        return '';
      },
    });
  }
  return liquid;
}

interface Compiled {
  name: string;
  path: string;
  template: Template[];
}

/** Reads and compiles a prompt's template files (paths relative to the experiment's folder). */
export function loadPromptTemplates(prompt: PromptConfig, baseDir: string): PromptTemplates {
  const liquid = templateEngine();
  const files: TemplateFile[] = [];
  const compile = (field: 'system' | 'user' | 'shot', name: string): Compiled => {
    const path = join(baseDir, name);
    let buffer: Buffer;
    try {
      buffer = readFileSync(path);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : (e as Error).message;
      throw new TaskDataError(path, null, `cannot read the template of prompts[0].${field} (${prompt.id}): ${why}`);
    }
    checkUtf8(path, buffer, 'prompt templates');
    const text = buffer.toString('utf8');
    // An empty user turn is refused by every provider: say so now, not as a failed call per trial.
    if (field === 'user' && text.trim() === '')
      throw new TaskDataError(path, null, `the user template of prompt ${prompt.id} is empty; every request needs a user message`);
    files.push({ name, sha256: sha256(text) });
    try {
      return { name, path, template: liquid.parse(text, path) };
    } catch (e) {
      throw templateError(path, e);
    }
  };
  const system = prompt.system !== undefined ? compile('system', prompt.system) : null;
  const user = compile('user', prompt.user);
  const shot = prompt.shot !== undefined ? compile('shot', prompt.shot) : null;

  const run = (t: Compiled, scope: Record<string, unknown>): string => {
    try {
      return String(liquid.renderSync(t.template, scope)).trim();
    } catch (e) {
      throw templateError(t.path, e, scope);
    }
  };

  return {
    id: prompt.id,
    files,
    render(shots, item, extra) {
      const shotVars = shots.map((s) => s.vars);
      const shared = { ...extra, k: shots.length, shots: shotVars };
      const examples =
        prompt.shots === 'inline'
          ? shots.map((s) => (shot !== null ? run(shot, { ...shared, ...s.vars }) : `Input: ${String(s.vars.input)}\nAnswer: ${s.answer}`)).join('\n\n')
          : '';
      const scope = (vars: Record<string, unknown>) => ({ ...shared, examples, ...vars });
      const messages: ChatMessage[] = [];
      if (system !== null) messages.push({ role: 'system', content: run(system, scope(item.vars)) });
      if (prompt.shots === 'turns') {
        for (const s of shots) messages.push({ role: 'user', content: run(user, scope(s.vars)) }, { role: 'assistant', content: s.answer });
      }
      messages.push({ role: 'user', content: run(user, scope(item.vars)) });
      return messages;
    },
  };
}

/** A record's template variables: every column under its own name, then the mapped fields over them. */
export function templateRecord(columns: Record<string, unknown>, mapped: Record<string, string>, answer: string): TemplateRecord {
  return { vars: { ...columns, ...mapped }, answer };
}

/** LiquidJS's error as `file:line:col: reason`, naming the known variables for an unknown one. */
export function templateError(path: string, e: unknown, scope?: Record<string, unknown>): Error {
  const err = e as Error & { token?: { getPosition?: () => [number, number] } };
  const position = err.token?.getPosition?.();
  const bare = (err.message ?? String(e)).replace(/,? ?(?:file:.*?, )?line:\d+, col:\d+\s*$/s, '');
  let reason = bare;
  const unknown = /^undefined variable: (.+)$/.exec(bare);
  if (unknown) {
    const known = scope ? Object.keys(scope).sort().join(', ') : '';
    reason = `unknown variable "${unknown[1]}"${known ? ` (known: ${known})` : ''}`;
  } else if (err.name === 'ParseError' || err.name === 'TokenizationError') {
    reason = `syntax error: ${bare}`;
  }
  if (!position) return new TaskDataError(path, null, reason);
  return new TemplateError(path, position[0], position[1], reason);
}
