import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { experimentSchema, type ExperimentConfig } from './schema.js';

/** One problem in an experiment file, located by line and column (1-based) where known. */
export interface ConfigIssue {
  line: number | null;
  column: number | null;
  /** Dotted field path such as `providers[1].temperature`; empty for the whole file. */
  field: string;
  message: string;
}

/** Bad input: the CLI prints every issue as `file:line:col: field: message` and exits 2. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(issues.map((issue) => formatIssue(file, issue)).join('\n'));
    this.name = 'ConfigError';
  }
}

export function formatIssue(file: string, issue: ConfigIssue): string {
  const where = issue.line === null ? file : `${file}:${issue.line}:${issue.column ?? 1}`;
  return issue.field ? `${where}: ${issue.field}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** Reads and validates an experiment file; throws ConfigError naming the file, line and field. */
export function loadExperiment(file: string): ExperimentConfig {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new ConfigError(file, [{ line: null, column: null, field: '', message: `cannot read the experiment: ${reason}` }]);
  }
  return parseExperiment(source, file);
}

export function parseExperiment(source: string, file: string): ExperimentConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({
        line: e.linePos?.[0]?.line ?? null,
        column: e.linePos?.[0]?.col ?? null,
        field: '',
        message: `invalid YAML: ${firstLine(e.message)}`,
      })),
    );
  }
  const data: unknown = doc.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(file, [
      { line: 1, column: 1, field: '', message: 'expected a mapping of fields (name, task, shots, providers, ...)' },
    ]);
  }
  const result = experimentSchema.safeParse(data);
  if (!result.success) {
    throw new ConfigError(file, result.error.issues.map((issue) => locateIssue(issue, doc, lineCounter, data)));
  }
  return result.data;
}

function locateIssue(union: z.core.$ZodIssue, doc: Document, lines: LineCounter, data: unknown): ConfigIssue {
  const issue = unwrapUnion(union, data);
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  // Unknown keys are reported on the parent object: point at the offending key itself.
  const keyPath = issue.code === 'unrecognized_keys' && issue.keys.length > 0 ? [...path, issue.keys[0]!] : path;
  const offset = nodeOffset(doc, keyPath, issue.code === 'unrecognized_keys');
  const pos = offset === null ? null : lines.linePos(offset);
  return {
    line: pos?.line ?? null,
    column: pos?.col ?? null,
    field: formatPath(path),
    message: describeIssue(issue, valueAt(data, path)),
  };
}

/**
 * "Invalid input" on a union (a value that may be a name or an object with options) says nothing:
 * report the branch that matches the value's shape, with its own path and message.
 */
function unwrapUnion(issue: z.core.$ZodIssue, data: unknown): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  const value = valueAt(data, issue.path.filter((p): p is string | number => typeof p !== 'symbol'));
  const shapeMatches = (branch: z.core.$ZodIssue[]) => !(branch[0]?.code === 'invalid_type' && branch[0].path.length === 0);
  const branch = issue.errors.find(shapeMatches) ?? issue.errors[typeof value === 'object' && value !== null ? issue.errors.length - 1 : 0]!;
  const inner = branch[0];
  return inner ? unwrapUnion({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue, data) : issue;
}

/** Character offset of the YAML node at `path`, or of its nearest existing ancestor. */
function nodeOffset(doc: Document, path: (string | number)[], wantKey: boolean): number | null {
  for (let depth = path.length; depth >= 0; depth--) {
    const sub = path.slice(0, depth);
    if (wantKey && depth === path.length && depth > 0) {
      const parent = sub.length > 1 ? doc.getIn(sub.slice(0, -1), true) : doc.contents;
      if (parent && 'items' in (parent as object)) {
        const pair = (parent as { items: { key: unknown }[] }).items.find(
          (item) => isNode(item.key) && (item.key as { value?: unknown }).value === sub[sub.length - 1],
        );
        const range = pair && isNode(pair.key) ? pair.key.range : undefined;
        if (range) return range[0];
      }
      continue;
    }
    const node = depth === 0 ? doc.contents : doc.getIn(sub, true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return null;
}

function describeIssue(issue: z.core.$ZodIssue, received: unknown): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling)`;
  }
  if (issue.code === 'invalid_type' && received === undefined) return `required field is missing (${issue.message})`;
  if (received !== undefined && typeof received !== 'object') return `${issue.message} (got ${JSON.stringify(received)})`;
  return issue.message;
}

function valueAt(data: unknown, path: (string | number)[]): unknown {
  let cur: unknown = data;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

/** `providers[1].temperature`: a field path as a user would write it. */
export function formatPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
