import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apportion, loadDataset, readDataFile, splitRecords, type DataRecord } from '../src/tasks/dataset.js';
import { TaskDataError } from '../src/tasks/errors.js';
import { thrownBy } from './thrown.js';

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fewshot-dataset-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('reading JSONL', () => {
  it('maps fields, skips blank lines, numbers lines from 1 and defaults ids to file:line', () => {
    const dir = tempDir({ 'a.jsonl': '{"q":"first","a":"x"}\n\n{"q":"  second  ","a":2}\n' });
    const records = readDataFile({ file: 'a.jsonl', fields: { input: 'q', label: 'a' } }, dir);
    expect(records.map((r) => [r.id, r.input, r.label, r.line])).toEqual([
      ['a.jsonl:1', 'first', 'x', 1],
      ['a.jsonl:3', 'second', '2', 3],
    ]);
    expect(records[0]!.file).toBe(join(dir, 'a.jsonl'));
  });

  it('reads dotted fields from nested objects, a literal dotted key first, and mapped ids', () => {
    const dir = tempDir({
      'n.jsonl': jsonl([
        { meta: { text: 'nested', id: 7 }, out: { city: 'Oslo' } },
        { 'meta.text': 'literal', meta: { text: 'ignored', id: 8 }, out: 'plain' },
      ]),
    });
    const records = readDataFile({ file: 'n.jsonl', fields: { input: 'meta.text', output: 'out', id: 'meta.id' } }, dir);
    expect(records.map((r) => [r.id, r.input, r.output])).toEqual([
      ['7', 'nested', '{"city":"Oslo"}'],
      ['8', 'literal', 'plain'],
    ]);
  });

  it('refuses a bad JSON line, a non-object, a missing field, an empty input, an object input and a repeated id, with the line', () => {
    const cases: [string, number, RegExp][] = [
      ['{"q":"a","l":"x"}\n{"q": oops}\n', 2, /not valid JSON.*one JSON object a line/],
      ['{"q":"a","l":"x"}\n\n[1,2]\n', 3, /expected a JSON object, got an array/],
      ['{"q":"a","l":"x"}\n{"text":"b","l":"y"}\n', 2, /missing field "q" \(fields\.input\); the record has: text, l/],
      ['{"q":"   ","l":"x"}\n', 1, /field "q" \(fields\.input\) is empty/],
      ['{"q":{"x":1},"l":"x"}\n', 1, /fields\.input\): expected text, got an object/],
      ['{"q":"a","l":null}\n', 1, /fields\.label\): expected text, got null/],
    ];
    for (const [text, line, reason] of cases) {
      const dir = tempDir({ 'd.jsonl': text });
      const err = thrownBy(TaskDataError, () => readDataFile({ file: 'd.jsonl', fields: { input: 'q', label: 'l' } }, dir));
      expect(err.file).toBe(join(dir, 'd.jsonl'));
      expect(err.line).toBe(line);
      expect(err.reason).toMatch(reason);
      expect(err.message).toContain(`d.jsonl:${line}: `);
    }
    const dir = tempDir({
      'd.jsonl': jsonl([
        { id: 'a', q: 'x' },
        { id: 'b', q: 'y' },
        { id: 'a', q: 'z' },
      ]),
    });
    const err = thrownBy(TaskDataError, () => readDataFile({ file: 'd.jsonl', fields: { input: 'q', output: 'q', id: 'id' } }, dir));
    expect([err.line, err.reason]).toEqual([3, 'duplicate id "a" (also on line 1): ids must be unique within a file']);
  });

  it('refuses a missing file, an unknown extension and an empty file, without a line', () => {
    const dir = tempDir({ 'x.txt': 'a', 'e.jsonl': '\n\n' });
    const missing = thrownBy(TaskDataError, () => readDataFile({ file: 'nope.jsonl', fields: { input: 'q' } }, dir));
    expect([missing.line, missing.reason]).toEqual([null, expect.stringMatching(/file not found.*relative to the experiment/)]);
    expect(thrownBy(TaskDataError, () => readDataFile({ file: 'x.txt', fields: { input: 'q' } }, dir)).reason).toMatch(/set format: jsonl \| csv/);
    expect(thrownBy(TaskDataError, () => readDataFile({ file: 'e.jsonl', fields: { input: 'q' } }, dir)).reason).toMatch(/no records/);
    // `format:` overrides the extension.
    const dir2 = tempDir({ 'x.txt': '{"q":"hi"}\n' });
    expect(readDataFile({ file: 'x.txt', format: 'jsonl', fields: { input: 'q', output: 'q' } }, dir2)).toHaveLength(1);
  });
});

describe('reading CSV', () => {
  it('reads quoted multi-line fields, numbering each record by its first line', () => {
    const csv = 'id,question,answer\nr1,"two\nlines",yes\n\nr2,"say ""hi""",no\nr3,plain,"a,b"\n';
    const dir = tempDir({ 'd.csv': csv });
    const records = readDataFile({ file: 'd.csv', fields: { input: 'question', output: 'answer', id: 'id' } }, dir);
    expect(records.map((r) => [r.id, r.input, r.output, r.line])).toEqual([
      ['r1', 'two\nlines', 'yes', 2],
      ['r2', 'say "hi"', 'no', 5],
      ['r3', 'plain', 'a,b', 6],
    ]);
  });

  it('names a mapped column missing from the header at line 1, and an empty cell at its line', () => {
    const dir = tempDir({ 'd.csv': 'q,l\n"multi\nline",x\nb,\n' });
    const missing = thrownBy(TaskDataError, () => readDataFile({ file: 'd.csv', fields: { input: 'question', label: 'l' } }, dir));
    expect([missing.line, missing.reason]).toEqual([1, 'no column "question" (fields.input) in the header; the columns are: q, l']);
    const empty = thrownBy(TaskDataError, () => readDataFile({ file: 'd.csv', fields: { input: 'q', label: 'l' } }, dir));
    expect([empty.line, empty.reason]).toEqual([4, expect.stringMatching(/field "l" \(fields\.label\) is empty/)]);
  });

  it('reports malformed CSV with a line', () => {
    const dir = tempDir({ 'd.csv': 'q,l\na,b\nc,d,e\n' });
    const err = thrownBy(TaskDataError, () => readDataFile({ file: 'd.csv', fields: { input: 'q', label: 'l' } }, dir));
    expect(err.line).toBe(3);
    expect(err.reason).toMatch(/not valid CSV/);
  });
});

function labelled(n: number, labels: string[]): string {
  return jsonl(Array.from({ length: n }, (_, i) => ({ id: `r${i}`, text: `ticket number ${i}`, label: labels[i % labels.length] })));
}

describe('seeded split', () => {
  const fields = { input: 'text', label: 'label', id: 'id' };

  it('is deterministic for a seed, differs across seeds, keeps file order and never overlaps', () => {
    const dir = tempDir({ 'd.jsonl': labelled(60, ['a', 'b', 'c']) });
    const spec = { data: { file: 'd.jsonl', fields }, split: { poolSize: 20, evalItems: 15 } };
    const one = loadDataset(spec, 7, dir);
    const again = loadDataset(spec, 7, dir);
    const other = loadDataset(spec, 8, dir);
    expect(again).toEqual(one);
    expect(other.items.map((r) => r.id)).not.toEqual(one.items.map((r) => r.id));
    expect(one.pool).toHaveLength(20);
    expect(one.items).toHaveLength(15);
    const lines = (rs: DataRecord[]) => rs.map((r) => r.line);
    expect(lines(one.pool)).toEqual([...lines(one.pool)].sort((a, b) => a - b));
    const poolIds = new Set(one.pool.map((r) => r.id));
    expect(one.items.some((r) => poolIds.has(r.id))).toBe(false);
    expect(one.notices).toEqual([]);
  });

  it('stratifies by label: each label keeps its share of the file', () => {
    // 60% a, 30% b, 10% c.
    const labels = [...Array(6).fill('a'), ...Array(3).fill('b'), 'c'];
    const dir = tempDir({ 'd.jsonl': labelled(100, labels) });
    const { pool, items } = loadDataset({ data: { file: 'd.jsonl', fields }, split: { poolSize: 50, evalItems: 20 } }, 3, dir);
    const count = (rs: DataRecord[]) => Object.fromEntries(['a', 'b', 'c'].map((l) => [l, rs.filter((r) => r.label === l).length]));
    expect(count(items)).toEqual({ a: 12, b: 6, c: 2 });
    expect(count(pool)).toEqual({ a: 30, b: 15, c: 5 });
  });

  it('draws without labels too (generate data)', () => {
    const dir = tempDir({ 'd.jsonl': jsonl(Array.from({ length: 10 }, (_, i) => ({ q: `question ${i}`, a: `${i}` }))) });
    const { pool, items } = loadDataset({ data: { file: 'd.jsonl', fields: { input: 'q', output: 'a' } }, split: { poolSize: 6, evalItems: 4 } }, 1, dir);
    expect(new Set([...pool, ...items].map((r) => r.id)).size).toBe(10);
  });

  it('leaves repeated inputs out before splitting, with a notice naming them', () => {
    const rows = [
      { id: 'a', text: 'My card was charged twice', label: 'billing' },
      { id: 'b', text: 'Where is my parcel?', label: 'shipping' },
      { id: 'c', text: 'my card  was CHARGED twice', label: 'returns' },
      { id: 'd', text: 'I want a refund', label: 'returns' },
      { id: 'e', text: 'Where is my parcel?', label: 'shipping' },
    ];
    const dir = tempDir({ 'd.jsonl': jsonl(rows) });
    const { pool, items, notices } = loadDataset({ data: { file: 'd.jsonl', fields }, split: { poolSize: 2, evalItems: 1 } }, 1, dir);
    expect([...pool, ...items].map((r) => r.id).sort()).toEqual(['a', 'b', 'd']);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('2 record(s) of d.jsonl repeat an earlier input and were left out before splitting');
    expect(notices[0]).toContain('1 of them with a different label than the first');
    expect(notices[0]).toContain(`${join(dir, 'd.jsonl')}:3 (= line 1); ${join(dir, 'd.jsonl')}:5 (= line 2)`);
  });

  it('refuses a split larger than the distinct records', () => {
    const dir = tempDir({
      'd.jsonl': jsonl([
        { text: 'x', label: 'a' },
        { text: 'X ', label: 'a' },
        { text: 'y', label: 'b' },
      ]),
    });
    const err = thrownBy(TaskDataError, () =>
      loadDataset({ data: { file: 'd.jsonl', fields: { input: 'text', label: 'label' } }, split: { poolSize: 2, evalItems: 1 } }, 1, dir),
    );
    expect(err.line).toBeNull();
    expect(err.reason).toBe('split needs poolSize + evalItems = 2 + 1 = 3 records, but the file has 2 distinct inputs (1 repeats left out)');
  });

  it('apportions by largest remainder within caps', () => {
    expect(apportion(10, [5, 3, 2], [5, 3, 2])).toEqual([5, 3, 2]);
    expect(apportion(4, [1, 1, 1], [9, 9, 9])).toEqual([2, 1, 1]);
    expect(apportion(3, [1, 1, 4], [1, 1, 1])).toEqual([1, 1, 1]);
  });

  it('splitRecords is a pure function of records and seed', () => {
    const records: DataRecord[] = Array.from({ length: 12 }, (_, i) => ({ id: `${i}`, input: `t${i}`, label: i % 2 ? 'x' : 'y', file: 'f', line: i + 1 }));
    expect(splitRecords(records, { poolSize: 4, evalItems: 4 }, 5)).toEqual(splitRecords(records, { poolSize: 4, evalItems: 4 }, 5));
  });
});

describe('fixed pool and eval files', () => {
  const fields = { input: 'text', label: 'label', id: 'id' };

  it('loads both files as they are, with a notice for repeats within a file', () => {
    const dir = tempDir({
      'pool.jsonl': jsonl([
        { id: 'p1', text: 'alpha', label: 'a' },
        { id: 'p2', text: 'ALPHA', label: 'a' },
      ]),
      'eval.jsonl': jsonl([{ id: 'e1', text: 'beta', label: 'b' }]),
    });
    const { pool, items, notices } = loadDataset({ pool: { file: 'pool.jsonl', fields }, eval: { file: 'eval.jsonl', fields } }, 0, dir);
    expect(pool.map((r) => r.id)).toEqual(['p1', 'p2']);
    expect(items.map((r) => r.id)).toEqual(['e1']);
    expect(notices).toEqual([
      expect.stringMatching(/^dataset: 1 pool record\(s\) repeat an earlier input of the same file \(kept.*pool\.jsonl:2 \(= line 1\)$/),
    ]);
  });

  it('refuses leakage (same id or same normalized input), listing up to 5 offenders with file:line', () => {
    const poolRows = Array.from({ length: 8 }, (_, i) => ({ id: `p${i}`, text: `pool text ${i}`, label: 'a' }));
    const evalRows = [
      { id: 'ok', text: 'fresh text', label: 'a' },
      { id: 'p0', text: 'something new', label: 'a' },
      ...Array.from({ length: 6 }, (_, i) => ({ id: `e${i}`, text: `  POOL text ${i + 1}`, label: 'a' })),
    ];
    const dir = tempDir({ 'pool.jsonl': jsonl(poolRows), 'eval.jsonl': jsonl(evalRows) });
    const err = thrownBy(TaskDataError, () => loadDataset({ pool: { file: 'pool.jsonl', fields }, eval: { file: 'eval.jsonl', fields } }, 0, dir));
    const [poolPath, evalPath] = [join(dir, 'pool.jsonl'), join(dir, 'eval.jsonl')];
    expect(err.file).toBe(evalPath);
    expect(err.line).toBe(2);
    expect(err.reason).toBe(
      '7 evaluation item(s) also appear in the pool, so a model could be shown the answer as a worked example: ' +
        `${evalPath}:2 (id "p0" is also pool example ${poolPath}:1); ` +
        `${evalPath}:3 (same input as pool example ${poolPath}:2); ` +
        `${evalPath}:4 (same input as pool example ${poolPath}:3); ` +
        `${evalPath}:5 (same input as pool example ${poolPath}:4); ` +
        `${evalPath}:6 (same input as pool example ${poolPath}:5); and 2 more. Remove them from one of the files.`,
    );
  });

  it('refuses default ids that collide: the same file as pool and eval leaks every item', () => {
    const dir = tempDir({ 'd.jsonl': jsonl([{ text: 'x', label: 'a' }]) });
    const f = { file: 'd.jsonl', fields: { input: 'text', label: 'label' } };
    expect(thrownBy(TaskDataError, () => loadDataset({ pool: f, eval: f }, 0, dir)).reason).toMatch(/id "d\.jsonl:1" is also pool example/);
  });
});

describe('text encoding (issue 13)', () => {
  /** A directory with one file of raw bytes. */
  function bytesDir(name: string, parts: (string | number[])[]): string {
    const dir = mkdtempSync(join(tmpdir(), 'fewshot-dataset-'));
    writeFileSync(join(dir, name), Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p)))));
    return dir;
  }

  it('refuses invalid UTF-8 in JSONL with file:line and the byte, instead of reading it as U+FFFD', () => {
    // Line 3 was saved as Latin-1: "café" is 63 61 66 E9.
    const dir = bytesDir('t.jsonl', ['{"q":"crème brûlée","l":"x"}\n\n{"q":"caf', [0xe9], ' au lait","l":"y"}\n{"q":"fine","l":"x"}\n']);
    const err = thrownBy(TaskDataError, () => readDataFile({ file: 't.jsonl', fields: { input: 'q', label: 'l' } }, dir));
    expect(err.file).toBe(join(dir, 't.jsonl'));
    expect(err.line).toBe(3);
    expect(err.message).toBe(
      `${join(dir, 't.jsonl')}:3: not valid UTF-8 (byte 0xe9 at byte 10 of the line): datasets must be UTF-8 text; re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)`,
    );
  });

  it('refuses invalid UTF-8 in CSV at its line: a stray continuation byte, a cut-off sequence at the end of a line', () => {
    const stray = bytesDir('s.csv', ['question,answer\nok,yes\nbad ', [0x80], ',no\n']);
    expect(thrownBy(TaskDataError, () => readDataFile({ file: 's.csv', fields: { input: 'question', label: 'answer' } }, stray))).toMatchObject({ line: 3 });
    expect(() => readDataFile({ file: 's.csv', fields: { input: 'question', label: 'answer' } }, stray)).toThrow(/byte 0x80 at byte 5 of the line/);
    const cut = bytesDir('c.csv', ['question,answer\nok,yes\nfine,no\nend,caf', [0xc3], '\r\n']);
    const err = thrownBy(TaskDataError, () => readDataFile({ file: 'c.csv', fields: { input: 'question', label: 'answer' } }, cut));
    expect(err).toMatchObject({ line: 4 });
    expect(err.message).toMatch(/byte 0xc3 at byte 8 of the line/);
  });

  it('refuses a UTF-16 file at line 1, and still reads UTF-8 with a BOM, multi-byte text and a literal U+FFFD', () => {
    const utf16 = mkdtempSync(join(tmpdir(), 'fewshot-dataset-'));
    writeFileSync(join(utf16, 'w.jsonl'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"q":"a","l":"x"}\n', 'utf16le')]));
    const err = thrownBy(TaskDataError, () => readDataFile({ file: 'w.jsonl', fields: { input: 'q', label: 'l' } }, utf16));
    expect(err).toMatchObject({ line: 1 });
    expect(err.message).toMatch(/:1: not valid UTF-8 \(byte 0xff at byte 1 of the line\)/);
    const dir = bytesDir('ok.jsonl', [[0xef, 0xbb, 0xbf], '{"q":"日本語 🙂","l":"x"}\n{"q":"replacement \uFFFD char","l":"y"}\n']);
    expect(readDataFile({ file: 'ok.jsonl', fields: { input: 'q', label: 'l' } }, dir).map((r) => r.input)).toEqual(['日本語 🙂', 'replacement \uFFFD char']);
  });
});
