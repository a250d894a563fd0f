import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
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
/** The issues a message lists; past them, a count (a dataset passed as the experiment makes thousands). */
const MAX_SHOWN_ISSUES = 20;

function shownIssues(file: string, issues: readonly ConfigIssue[]): string {
  const lines = issues.slice(0, MAX_SHOWN_ISSUES).map((issue) => formatIssue(file, issue));
  const more = issues.length - MAX_SHOWN_ISSUES;
  if (more > 0) lines.push(`... and ${more} more (is ${file} the experiment YAML, not a dataset?)`);
  return lines.join('\n');
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(shownIssues(file, issues));
    this.name = 'ConfigError';
  }
}

export function formatIssue(file: string, issue: ConfigIssue): string {
  const where = issue.line === null ? file : `${file}:${issue.line}:${issue.column ?? 1}`;
  return issue.field ? `${where}: ${issue.field}: ${issue.message}` : `${where}: ${issue.message}`;
}

/**
 * The largest experiment file read (1 MiB). Real experiments are a few KB; the limit keeps a wrong
 * file (a dataset passed by mistake, a generated monster) from exhausting memory in the parser.
 */
export const MAX_EXPERIMENT_BYTES = 1 << 20;

/** Reads and validates an experiment file; throws ConfigError naming the file, line and field. */
export function loadExperiment(file: string): ExperimentConfig {
  const source = readExperimentSource(file);
  return parseExperiment(source, file);
}

/** The file's text, refused before it is read when over MAX_EXPERIMENT_BYTES (and never read past it). */
function readExperimentSource(file: string): string {
  const fail = (message: string): never => {
    throw new ConfigError(file, [{ line: null, column: null, field: '', message }]);
  };
  const tooLarge = (bytes: string) =>
    `the experiment file is ${bytes}; the limit is ${formatSize(MAX_EXPERIMENT_BYTES)} (an experiment is a few KB of YAML: is this the right file? datasets belong in their own files, named under task:)`;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(`cannot read the experiment: ${code === 'ENOENT' ? 'file not found' : (err as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return fail('cannot read the experiment: is a folder, not a file');
    if (stat.size > MAX_EXPERIMENT_BYTES) return fail(tooLarge(formatSize(stat.size)));
    // A pipe or device has no size to check first: read at most one byte past the limit.
    const buffer = Buffer.alloc(MAX_EXPERIMENT_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > MAX_EXPERIMENT_BYTES) return fail(tooLarge(`over ${formatSize(MAX_EXPERIMENT_BYTES)}`));
    }
    return buffer.toString('utf8', 0, length);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    return fail(`cannot read the experiment: ${(err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

function formatSize(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MB` : bytes >= 1 << 10 ? `${(bytes / (1 << 10)).toFixed(1)} KB` : `${bytes} bytes`;
}

/** Where each parsed config came from, for errors about a field found after validation (see configFieldError). */
const origins = new WeakMap<object, { doc: Document; lines: LineCounter; notices: string[] }>();

export function parseExperiment(source: string, file: string): ExperimentConfig {
  if (Buffer.byteLength(source, 'utf8') > MAX_EXPERIMENT_BYTES) {
    throw new ConfigError(file, [
      { line: null, column: null, field: '', message: `the experiment is over ${formatSize(MAX_EXPERIMENT_BYTES)}, the limit for an experiment file` },
    ]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({
        line: e.linePos?.[0]?.line ?? null,
        column: e.linePos?.[0]?.col ?? null,
        field: '',
        message:
          e.code === 'MULTIPLE_DOCS'
            ? 'invalid YAML: the file holds more than one document (a `---` line starts another); an experiment is one document'
            : `invalid YAML: ${firstLine(e.message)}`,
      })),
    );
  }
  let data: unknown;
  try {
    // The yaml library refuses an alias that expands too far ("billion laughs") with a ReferenceError.
    data = doc.toJS();
  } catch (err) {
    const message = (err as Error).message;
    throw new ConfigError(file, [
      {
        line: null,
        column: null,
        field: '',
        message: /alias/i.test(message)
          ? `invalid YAML: its aliases (*name) expand too far (${message}); write the values out or use fewer nested aliases`
          : `invalid YAML: ${firstLine(message)}`,
      },
    ]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(file, [{ line: 1, column: 1, field: '', message: 'expected a mapping of fields (name, task, shots, providers, ...)' }]);
  }
  const result = experimentSchema.safeParse(data);
  if (!result.success) {
    throw new ConfigError(
      file,
      result.error.issues.map((issue) => locateIssue(issue, doc, lineCounter, data)),
    );
  }
  origins.set(result.data, { doc, lines: lineCounter, notices: deprecationNotices(doc, lineCounter, file) });
  return result.data;
}

/** Fields under an old name, still read under their new one: [path as written, the new name]. */
const RENAMED_FIELDS: readonly [path: string[], to: string][] = [[['analysis', 'bootstrapResamples'], 'analysis.resamples']];

function deprecationNotices(doc: Document, lines: LineCounter, file: string): string[] {
  const notices: string[] = [];
  for (const [path, to] of RENAMED_FIELDS) {
    if (!doc.hasIn(path)) continue;
    const offset = nodeOffset(doc, path, true);
    const pos = offset === null ? null : lines.linePos(offset);
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    notices.push(`${where}: ${formatPath(path)} is deprecated, rename it ${to} (same meaning; the old name is still read)`);
  }
  return notices;
}

/** Notes about a loaded experiment that are not errors, e.g. a deprecated field name (one line each, naming file and line). */
export function experimentNotices(config: ExperimentConfig): string[] {
  return [...(origins.get(config)?.notices ?? [])];
}

/** Whether the experiment file wrote the field (false when it is a default, or the config was not parsed here). */
export function fieldInFile(config: ExperimentConfig, path: (string | number)[]): boolean {
  return origins.get(config)?.doc.hasIn(path) ?? false;
}

/**
 * A ConfigError about a field of a loaded experiment, found after validation (an `out:` folder that
 * cannot be written, say), pointing at the field's line like a schema issue.
 */
export function configFieldError(config: ExperimentConfig, file: string, path: (string | number)[], message: string): ConfigError {
  const origin = origins.get(config);
  const offset = origin ? nodeOffset(origin.doc, path, false) : null;
  const pos = offset === null || !origin ? null : origin.lines.linePos(offset);
  return new ConfigError(file, [{ line: pos?.line ?? null, column: pos?.col ?? null, field: formatPath(path), message }]);
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
  const value = valueAt(
    data,
    issue.path.filter((p): p is string | number => typeof p !== 'symbol'),
  );
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
  if (received !== undefined && typeof received !== 'object') {
    // JSON would print NaN and Infinity (YAML's .nan, .inf, 1e400) as null.
    const shown = typeof received === 'number' && !Number.isFinite(received) ? String(received) : JSON.stringify(received);
    return `${issue.message} (got ${shown})`;
  }
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
  // The yaml library ends its first line with "at line N, column M:", which our file:line:col prefix already says.
  return (text.split('\n')[0] ?? text).replace(/ at line \d+, column \d+:$/, '');
}
