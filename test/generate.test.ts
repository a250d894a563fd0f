import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateTaskSchema } from '../src/config/dataset-schema.js';
import { isModuleScoring } from '../src/config/scorer-schema.js';
import { TaskDataError } from '../src/tasks/errors.js';
import { createGenerateTask, parseGenerated, type GenerateOptions } from '../src/tasks/generate.js';
import { extractJsonObject, scoreContains, scoreExact, scoreF1, scoreJson, scoreOutput, scoreRegex, squadTokens, tokenF1 } from '../src/tasks/scoring.js';
import type { ScoreResult } from '../src/tasks/task.js';
import { thrownBy } from './thrown.js';

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fewshot-generate-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('exact and contains', () => {
  it('collapse whitespace and ignore case unless caseSensitive', () => {
    expect(scoreExact('  Paris \n', 'paris').score).toBe(1);
    expect(scoreExact('New   York', 'new york').score).toBe(1);
    expect(scoreExact('Paris', 'paris', true).score).toBe(0);
    expect(scoreExact('Paris.', 'Paris').score).toBe(0);
    expect(scoreContains('The capital is  PARIS, of course', 'capital is paris').score).toBe(1);
    expect(scoreContains('The capital is Paris', 'paris', true).score).toBe(0);
    expect(scoreContains('Lyon', 'Paris').score).toBe(0);
  });
});

describe('regex', () => {
  it('searches the pattern, or the expected output as a regex, case-insensitively by default', () => {
    expect(scoreRegex('Answer: 42', 'ignored', '^answer: \\d+$').score).toBe(1);
    expect(scoreRegex('Answer: 42', 'ignored', '^answer: \\d+$', true).score).toBe(0);
    expect(scoreRegex('The COLOR is red', 'colou?r is red', undefined).score).toBe(1);
    expect(scoreRegex('colour: red', 'colou?r is red', undefined).score).toBe(0);
  });

  it('substitutes {{expected}} regex-escaped', () => {
    expect(scoreRegex('it costs 3.5 euros', '3.5', '\\b{{expected}}\\b').score).toBe(1);
    expect(scoreRegex('it costs 345 euros', '3.5', '\\b{{expected}}\\b').score).toBe(0);
    expect(scoreRegex('(a+b)', '(a+b)', '^{{expected}}$').score).toBe(1);
  });
});

describe('f1 (SQuAD token F1)', () => {
  it('normalizes like SQuAD: case, punctuation, articles', () => {
    expect(squadTokens("The Cat's hat, a red one!")).toEqual(['cats', 'hat', 'red', 'one']);
  });

  it('matches hand-computed values', () => {
    // Same tokens once articles go.
    expect(tokenF1('The cat sat on the mat', 'a cat sat on a mat')).toEqual({ f1: 1, precision: 1, recall: 1 });
    // pred [paris, france], gold [paris]: P = 1/2, R = 1, F1 = 2/3.
    const pf = tokenF1('Paris, France', 'Paris');
    expect(pf.precision).toBe(0.5);
    expect(pf.recall).toBe(1);
    expect(pf.f1).toBeCloseTo(2 / 3, 12);
    // pred [blue, blue, red], gold [blue, green]: one common token (counts clip), P = 1/3, R = 1/2, F1 = 0.4.
    expect(tokenF1('blue blue red', 'blue green').f1).toBeCloseTo(0.4, 12);
    // pred [new, york, city], gold [york, new]: common 2, P = 2/3, R = 1, F1 = 0.8.
    expect(tokenF1('New York City', 'york new').f1).toBeCloseTo(0.8, 12);
    expect(tokenF1('Lyon', 'Paris').f1).toBe(0);
    // Both empty after normalization: equal. One empty: 0.
    expect(tokenF1('The.', 'a').f1).toBe(1);
    expect(tokenF1('the', 'cat').f1).toBe(0);
    // caseSensitive keeps case.
    expect(tokenF1('paris', 'Paris', true).f1).toBe(0);
  });

  it('records precision, recall and exact match', () => {
    const r = scoreF1('Paris, France', 'Paris');
    expect(r.score).toBeCloseTo(2 / 3, 12);
    expect(r.details).toEqual({ precision: 0.5, recall: 1, exactMatch: false });
    expect(scoreF1('the Eiffel Tower.', 'Eiffel tower').details.exactMatch).toBe(true);
  });
});

describe('json', () => {
  const expected = { city: 'Oslo', country: 'Norway', population: 700000, address: { zip: '0150' } };

  it('finds the first JSON object in prose or a code fence, strings in braces included', () => {
    expect(extractJsonObject('Sure! ```json\n{"a": "x}{y", "b": [1, {"c": 2}]}\n``` done')).toEqual({ a: 'x}{y', b: [1, { c: 2 }] });
    expect(extractJsonObject('{not json} then {"a": 1}')).toEqual({ a: 1 });
    expect(extractJsonObject('[1, 2] and {"a": "\\"}"}')).toEqual({ a: '"}' });
    expect(extractJsonObject('no object here [1]')).toBeNull();
    expect(extractJsonObject('{"open": ')).toBeNull();
  });

  it('scores the share of matching fields: all of the expected object by default', () => {
    const answer = { city: ' oslo ', country: 'Sweden', population: 700000, address: { zip: '0150' }, extra: true };
    const r = scoreJson(answer, expected, undefined);
    expect(r.score).toBe(3 / 4);
    expect(r.details).toEqual({ fieldsMatched: 3, fieldsTotal: 4, allFieldsMatch: false, mismatched: 'country' });
  });

  it('compares only the listed fields, dotted paths included; missing fields and "42" vs 42 do not match', () => {
    expect(scoreJson({ city: 'OSLO', address: { zip: '0150' } }, expected, ['city', 'address.zip']).details).toMatchObject({
      fieldsMatched: 2,
      allFieldsMatch: true,
    });
    expect(scoreJson({ city: 'OSLO' }, expected, ['city'], true).score).toBe(0);
    expect(scoreJson({ city: 'Oslo', population: '700000' }, expected, ['city', 'population', 'address.zip']).details).toMatchObject({
      fieldsMatched: 1,
      mismatched: 'population, address.zip',
    });
    expect(scoreJson(null, expected, ['city']).score).toBe(0);
  });

  it('goes from raw text to a score through scoreOutput', () => {
    const answer = parseGenerated('Here: {"city": "Oslo", "country": "Norway"}', 'json');
    expect(answer).toEqual({ ok: true, answer: '{"city":"Oslo","country":"Norway"}' });
    const r = scoreOutput((answer as { answer: string }).answer, JSON.stringify(expected), { method: 'json', fields: ['city', 'country'] });
    expect(r.score).toBe(1);
  });
});

describe('parse', () => {
  it('takes any non-blank text; json needs an object', () => {
    expect(parseGenerated('  Paris \n', 'exact')).toEqual({ ok: true, answer: 'Paris' });
    expect(parseGenerated(' \n ', 'f1')).toEqual({ ok: false, reason: 'empty answer' });
    expect(parseGenerated('The city is Oslo', 'json')).toEqual({ ok: false, reason: 'no JSON object in the answer' });
  });
});

describe('generate task', () => {
  const pool = [
    { q: 'Capital of France?', a: 'Paris' },
    { q: 'Capital of Norway?', a: 'Oslo' },
    { q: 'Largest planet in the solar system?', a: 'Jupiter' },
  ];
  const evalRows = [{ q: 'What is the capital of Norway?', a: 'Oslo' }];

  function task(scoring: GenerateOptions['scoring'], files: Record<string, string> = {}, instruction?: string) {
    const dir = tempDir({ 'pool.jsonl': jsonl(pool), 'eval.jsonl': jsonl(evalRows), ...files });
    const fields = { input: 'q', output: 'a' };
    return createGenerateTask(
      { pool: { file: 'pool.jsonl', fields }, eval: { file: 'eval.jsonl', fields }, scoring, ...(instruction && { instruction }) },
      0,
      dir,
    );
  }

  it('renders the instruction, shot pairs and the question', () => {
    const t = task({ method: 'exact' });
    const data = t.load();
    expect(t.render(data.pool.slice(0, 1), data.items[0]!)).toEqual([
      { role: 'system', content: 'Answer with the answer only, with no explanation.' },
      { role: 'user', content: 'Capital of France?' },
      { role: 'assistant', content: 'Paris' },
      { role: 'user', content: 'What is the capital of Norway?' },
    ]);
    expect(
      task({ method: 'json' }, { 'eval.jsonl': jsonl([{ q: 'x', a: { k: 1 } }]) }).render([], {
        id: 'x',
        text: 'x',
        data: { input: 'x', output: '', source: '' },
      })[0]!.content,
    ).toMatch(/single JSON object/);
    expect(task({ method: 'exact' }, {}, 'Be brief.').render([], data.items[0]!)[0]!.content).toBe('Be brief.');
  });

  it('scores by its method and lists the method’s measures', () => {
    const t = task({ method: 'f1' });
    const item = t.load().items[0]!;
    // A built-in method scores at once (a ScoreResult, not a call for the runner to make).
    expect((t.score('Oslo, Norway', item) as ScoreResult).score).toBeCloseTo(2 / 3, 12);
    expect(t.measures.map((m) => m.key)).toEqual(['exactMatch']);
    expect(task({ method: 'contains' }).measures).toEqual([]);
  });

  it('baseline: the most similar shot’s output; empty at k = 0', () => {
    const t = task({ method: 'exact' });
    const data = t.load();
    expect(t.baseline(data.items[0]!, data.pool)).toBe('Oslo');
    expect(t.baseline(data.items[0]!, [])).toBe('');
    expect(t.parse('')).toEqual({ ok: false, reason: 'empty answer' });
  });

  it('refuses evaluation outputs the method cannot use, with their line', () => {
    const errorOf = (fn: () => unknown) => thrownBy(TaskDataError, fn);
    const badRegex = jsonl([
      { q: 'a', a: 'ok' },
      { q: 'b', a: 'unclosed (' },
    ]);
    const e1 = errorOf(() => task({ method: 'regex' }, { 'eval.jsonl': badRegex }).load());
    expect([e1.line, e1.reason]).toEqual([2, expect.stringMatching(/^output is not a valid regular expression/)]);
    // With a pattern the output is not read as a regex.
    expect(task({ method: 'regex', pattern: '{{expected}}' }, { 'eval.jsonl': badRegex }).load().items).toHaveLength(2);

    const notObject = jsonl([
      { q: 'a', a: { city: 'Oslo' } },
      { q: 'b', a: 'Oslo' },
    ]);
    const e2 = errorOf(() => task({ method: 'json' }, { 'eval.jsonl': notObject }).load());
    expect([e2.line, e2.reason]).toEqual([2, 'output is not a JSON object (scoring: json compares its fields)']);
    const missing = jsonl([{ q: 'a', a: { city: 'Oslo' } }]);
    const e3 = errorOf(() => task({ method: 'json', fields: ['city', 'geo.lat'] }, { 'eval.jsonl': missing }).load());
    expect([e3.line, e3.reason]).toEqual([1, 'output has no field geo.lat (listed in scoring.fields)']);
    const empty = jsonl([{ q: 'a', a: {} }]);
    expect(errorOf(() => task({ method: 'json' }, { 'eval.jsonl': empty }).load()).reason).toMatch(/empty JSON object/);
  });
});

describe('generateTaskSchema', () => {
  const base = { type: 'generate', data: { file: 'd.csv', fields: { input: 'q', output: 'a' } }, split: { poolSize: 10, evalItems: 5 } };
  const issues = (value: unknown) => {
    const result = generateTaskSchema.safeParse(value);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('defaults scoring to exact, case-insensitive; its output fits createGenerateTask', () => {
    const parsed = generateTaskSchema.parse(base);
    // A scorer module (`scoring: { module }`) is layered on by createTask (src/tasks/scorer-module.ts); every other form fits createGenerateTask.
    if (isModuleScoring(parsed.scoring)) throw new Error('base names no scorer module');
    const options: GenerateOptions = { ...parsed, scoring: parsed.scoring };
    expect(options.scoring).toEqual({ method: 'exact', caseSensitive: false });
  });

  it('checks method-specific options and patterns', () => {
    expect(issues({ ...base, scoring: { method: 'exact', pattern: 'x' } })).toEqual(['scoring.pattern: pattern applies only to method: regex']);
    expect(issues({ ...base, scoring: { method: 'f1', fields: ['a'] } })).toEqual(['scoring.fields: fields applies only to method: json']);
    expect(issues({ ...base, scoring: { method: 'regex', pattern: '(' } })).toEqual(['scoring.pattern: not a valid regular expression']);
    expect(issues({ ...base, scoring: { method: 'bleu' } })[0]).toMatch(/^scoring\.method: expected one of exact, contains, regex, f1, json/);
    expect(issues({ ...base, scoring: { method: 'json', fields: ['a'] } })).toEqual([]);
    expect(issues({ ...base, data: { file: 'd.csv', format: 'xlsx', fields: { input: 'q', output: 'a' } } })).toEqual(['data.format: expected jsonl or csv']);
  });
});
