import type { z } from 'zod';

/**
 * Wording shared by the record readers: a zod issue as "field "x.y": expected ..., got ...", naming
 * the value found, so a user can find and fix it in the file.
 */
export function describeFieldIssue(issue: z.core.$ZodIssue, record: unknown): string {
  const value = valueAt(record, issue.path);
  if (issue.path.length === 0) return `expected a JSON object, got ${describeValue(value)}`;
  const field = `field "${issue.path.map(String).join('.')}"`;
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? `a ${issue.expected}`;
      return value === undefined ? `${field}: missing (expected ${expected})` : `${field}: expected ${expected}, got ${describeValue(value)}`;
    }
    case 'invalid_value':
      return `${field}: expected ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(value)}`;
    case 'invalid_union': {
      // A union of plain types (a number or null, say): name them all.
      const types = issue.errors.map((branch) =>
        branch.length === 1 && branch[0]!.code === 'invalid_type' && branch[0]!.path.length === 0 ? branch[0]!.expected : null,
      );
      if (types.some((t) => t === null)) return `${field}: ${issue.message}, got ${describeValue(value)}`;
      const expected = types.map((t) => (t === 'null' ? 'null' : (EXPECTED[t!] ?? `a ${t}`))).join(' or ');
      return value === undefined ? `${field}: missing (expected ${expected})` : `${field}: expected ${expected}, got ${describeValue(value)}`;
    }
    case 'too_small':
      if (issue.origin === 'string') return `${field}: expected a non-empty string, got ${describeValue(value)}`;
      return `${field}: expected a number ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}, got ${describeValue(value)}`;
    default:
      return `${field}: ${issue.message}, got ${describeValue(value)}`;
  }
}

const EXPECTED: Record<string, string> = {
  object: 'an object',
  array: 'a list',
  int: 'a whole number',
  nonoptional: 'a value',
};

/** A value as an error message shows it: short, and never a whole object. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/** The value at a zod issue's path (undefined when the path leaves the data). */
export function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}
