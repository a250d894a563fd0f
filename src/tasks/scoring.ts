/**
 * Scoring methods of the `generate` task: how a free-text answer is compared with an item's
 * expected output. Each returns a score in [0, 1] and a few details.
 *
 * - exact: equal after collapsing whitespace and trimming (and ignoring case unless caseSensitive).
 * - contains: the expected output, so normalized, occurs in the answer, so normalized.
 * - regex: the pattern (or, without one, the expected output read as a regular expression) is
 *   searched in the trimmed answer, not anchored (write ^ and $ to anchor), with the `i` flag unless
 *   caseSensitive. `{{expected}}` in a pattern stands for the expected output, regex-escaped.
 * - f1: SQuAD-style token F1: lower-case (unless caseSensitive), punctuation and symbols removed,
 *   the articles a/an/the removed, split on whitespace; F1 of the two bags of tokens (graded).
 *   Two answers without tokens score 1 when both are empty, else 0.
 * - json: the first JSON object in the answer (code fences and prose around it are fine) is
 *   compared with the expected object, on the listed fields (dotted paths) or on every top-level
 *   field of the expected object; score = share of fields that match. Values match when equal as
 *   JSON, except that strings compare like `exact` (whitespace collapsed, case ignored unless
 *   caseSensitive), also inside arrays and objects. "42" and 42 differ.
 */
import { getPath } from './dataset.js';
import type { ScoreResult, TaskMeasure } from './task.js';

export type ScoringMethod = 'exact' | 'contains' | 'regex' | 'f1' | 'json';

export interface ScoringSpec {
  method: ScoringMethod;
  pattern?: string;
  fields?: string[];
  caseSensitive?: boolean;
}

/** Whitespace collapsed and trimmed; lower-cased unless caseSensitive. */
export function normalizeAnswer(text: string, caseSensitive = false): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  return caseSensitive ? collapsed : collapsed.toLowerCase();
}

export function scoreExact(answer: string, expected: string, caseSensitive = false): ScoreResult {
  const match = normalizeAnswer(answer, caseSensitive) === normalizeAnswer(expected, caseSensitive);
  return { score: match ? 1 : 0, details: {} };
}

export function scoreContains(answer: string, expected: string, caseSensitive = false): ScoreResult {
  const match = normalizeAnswer(answer, caseSensitive).includes(normalizeAnswer(expected, caseSensitive));
  return { score: match ? 1 : 0, details: {} };
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** The regular expression an answer must match; throws a SyntaxError when it does not compile. */
export function buildRegex(expected: string, pattern: string | undefined, caseSensitive = false): RegExp {
  const source = pattern === undefined ? expected : pattern.replaceAll('{{expected}}', escapeRegExp(expected));
  return new RegExp(source, caseSensitive ? '' : 'i');
}

export function scoreRegex(answer: string, expected: string, pattern: string | undefined, caseSensitive = false): ScoreResult {
  const match = buildRegex(expected, pattern, caseSensitive).test(answer.trim());
  return { score: match ? 1 : 0, details: {} };
}

/** SQuAD's answer normalization, as tokens. */
export function squadTokens(text: string, caseSensitive = false): string[] {
  let s = caseSensitive ? text : text.toLowerCase();
  s = s.replace(/[\p{P}\p{S}]/gu, '');
  s = s.replace(/\b(?:a|an|the)\b/gi, ' ');
  return s.split(/\s+/).filter((t) => t !== '');
}

export interface F1Result {
  f1: number;
  precision: number;
  recall: number;
}

/** Token F1 of a prediction against the truth (SQuAD v1.1 evaluation). */
export function tokenF1(prediction: string, truth: string, caseSensitive = false): F1Result {
  const pred = squadTokens(prediction, caseSensitive);
  const gold = squadTokens(truth, caseSensitive);
  if (pred.length === 0 || gold.length === 0) {
    const same = pred.length === gold.length ? 1 : 0;
    return { f1: same, precision: same, recall: same };
  }
  return f1OfTokens(gold, pred);
}

/** F1 of two non-empty token lists, counting repeated tokens as often as both sides have them. */
export function f1OfTokens(gold: readonly string[], pred: readonly string[]): F1Result {
  const counts = new Map<string, number>();
  for (const t of gold) counts.set(t, (counts.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of pred) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      common++;
      counts.set(t, c - 1);
    }
  }
  if (common === 0) return { f1: 0, precision: 0, recall: 0 };
  const precision = common / pred.length;
  const recall = common / gold.length;
  return { f1: (2 * precision * recall) / (precision + recall), precision, recall };
}

export function scoreF1(answer: string, expected: string, caseSensitive = false): ScoreResult {
  const { f1, precision, recall } = tokenF1(answer, expected, caseSensitive);
  const exactMatch = squadTokens(answer, caseSensitive).join(' ') === squadTokens(expected, caseSensitive).join(' ');
  return { score: f1, details: { precision, recall, exactMatch } };
}

/**
 * The first JSON object in a text: each `{` in turn starts a candidate that runs to its matching
 * `}` (braces inside strings do not count); the first candidate that parses wins.
 */
export function extractJsonObject(text: string): Record<string, unknown> | null {
  for (let start = text.indexOf('{'); start !== -1; start = text.indexOf('{', start + 1)) {
    const end = matchingBrace(text, start);
    if (end === -1) continue;
    try {
      const value: unknown = JSON.parse(text.slice(start, end + 1));
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // not JSON from this brace: try the next one
    }
  }
  return null;
}

function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** JSON equality, with strings compared like `exact`. */
export function jsonValuesMatch(a: unknown, b: unknown, caseSensitive = false): boolean {
  if (typeof a === 'string' && typeof b === 'string') return normalizeAnswer(a, caseSensitive) === normalizeAnswer(b, caseSensitive);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonValuesMatch(x, b[i], caseSensitive));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return (
      ka.length === kb.length &&
      ka.every((k, i) => k === kb[i] && jsonValuesMatch((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], caseSensitive))
    );
  }
  return a === b;
}

/** The fields a json comparison looks at: the listed ones, or the expected object's own. */
export function jsonFields(expected: Record<string, unknown>, fields: readonly string[] | undefined): string[] {
  return fields ? [...fields] : Object.keys(expected);
}

export function scoreJson(
  answer: Record<string, unknown> | null,
  expected: Record<string, unknown>,
  fields: readonly string[] | undefined,
  caseSensitive = false,
): ScoreResult {
  const compared = jsonFields(expected, fields);
  const mismatched = compared.filter((f) => {
    const want = getPath(expected, f);
    const got = answer === null ? undefined : getPath(answer, f);
    return got === undefined || !jsonValuesMatch(got, want, caseSensitive);
  });
  const matched = compared.length - mismatched.length;
  return {
    score: compared.length === 0 ? 0 : matched / compared.length,
    details: {
      fieldsMatched: matched,
      fieldsTotal: compared.length,
      allFieldsMatch: compared.length > 0 && mismatched.length === 0,
      mismatched: mismatched.join(', '),
    },
  };
}

/** Scores an answer (the parsed text; for json, the extracted object as JSON) against the expected output. */
export function scoreOutput(answer: string, expected: string, spec: ScoringSpec): ScoreResult {
  const cs = spec.caseSensitive ?? false;
  switch (spec.method) {
    case 'exact':
      return scoreExact(answer, expected, cs);
    case 'contains':
      return scoreContains(answer, expected, cs);
    case 'regex':
      return scoreRegex(answer, expected, spec.pattern, cs);
    case 'f1':
      return scoreF1(answer, expected, cs);
    case 'json': {
      const want = extractJsonObject(expected);
      if (want === null) throw new Error('json scoring: the expected output is not a JSON object');
      return scoreJson(extractJsonObject(answer), want, spec.fields, cs);
    }
  }
}

/** The graded details worth a per-cell line in the report, by method. */
export function scoringMeasures(method: ScoringMethod): TaskMeasure[] {
  switch (method) {
    case 'f1':
      return [
        {
          key: 'exactMatch',
          label: 'exact match',
          description: 'the answer equals the expected output after SQuAD normalization (the score is the token F1)',
        },
      ];
    case 'json':
      return [
        {
          key: 'allFieldsMatch',
          label: 'all fields match',
          description: 'every compared field of the answer matches (the score is the share of matching fields)',
        },
      ];
    default:
      return [];
  }
}
