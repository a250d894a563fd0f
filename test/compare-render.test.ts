// The outputs of fewshot compare (terminal table, Markdown, JUnit XML, JSON) and the template diff.
import { describe, expect, it } from 'vitest';
import { compareRuns } from '../src/compare/compare.js';
import { renderCompareJson } from '../src/compare/index.js';
import { unifiedDiff } from '../src/compare/line-diff.js';
import { attr, renderCompareJunit, text } from '../src/compare/render-junit.js';
import { renderCompareMarkdown } from '../src/compare/render-markdown.js';
import { renderCompareTable } from '../src/compare/render-terminal.js';
import { DEFAULT_COMPARE_OPTIONS, type CompareResult } from '../src/compare/types.js';
import { Rng } from '../src/util/rng.js';
import { cell, loaded, outcomes } from './compare-fixtures.js';

const lines = (n: number, f: (i: number) => string = String) => Array.from({ length: n }, (_, i) => f(i + 1)).join('\n') + '\n';

describe('unifiedDiff (checked against GNU diff -u)', () => {
  it('equal texts: no diff', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n')).toEqual([]);
  });

  it('changes closer than twice the context share a hunk; an added first line and a removed last line', () => {
    const a = 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n';
    const b = 'x\na\nb\nc\nd\ne\nF\ng\nh\ni\nj\nk\nl\n';
    expect(unifiedDiff(a, b, { aName: 'A', bName: 'B' })).toEqual([
      '--- A',
      '+++ B',
      '@@ -1,13 +1,13 @@',
      '+x',
      ' a',
      ' b',
      ' c',
      ' d',
      ' e',
      '-f',
      '+F',
      ' g',
      ' h',
      ' i',
      ' j',
      ' k',
      ' l',
      '-m',
    ]);
  });

  it('distant changes: two hunks, with line numbers', () => {
    const b = lines(20, (i) => (i === 2 ? 'two' : i === 18 ? 'eighteen' : String(i)));
    expect(unifiedDiff(lines(20), b).slice(2)).toEqual([
      '@@ -1,5 +1,5 @@',
      ' 1',
      '-2',
      '+two',
      ' 3',
      ' 4',
      ' 5',
      '@@ -15,6 +15,6 @@',
      ' 15',
      ' 16',
      ' 17',
      '-18',
      '+eighteen',
      ' 19',
      ' 20',
    ]);
    expect(unifiedDiff(lines(5), lines(6)).slice(2)).toEqual(['@@ -3,3 +3,4 @@', ' 3', ' 4', ' 5', '+6']);
  });

  it('from or to nothing', () => {
    expect(unifiedDiff('a\nb\n', '').slice(2)).toEqual(['@@ -1,2 +0,0 @@', '-a', '-b']);
    expect(unifiedDiff('', 'a\nb\n').slice(2)).toEqual(['@@ -0,0 +1,2 @@', '+a', '+b']);
  });

  it('is a shortest edit script: with whole-file context it rebuilds both sides and keeps a longest common subsequence', () => {
    const rng = new Rng(['diff-test']);
    for (let trial = 0; trial < 300; trial++) {
      const pick = () => Array.from({ length: rng.nextUint32() % 12 }, () => 'abcd'[rng.nextUint32() % 4]!);
      const a = pick();
      const b = pick();
      const text = (xs: string[]) => xs.map((x) => `${x}\n`).join('');
      const body = unifiedDiff(text(a), text(b), { context: 1000 })
        .slice(2)
        .filter((l) => !l.startsWith('@@'));
      if (text(a) === text(b)) continue;
      expect(body.filter((l) => !l.startsWith('+')).map((l) => l.slice(1))).toEqual(a);
      expect(body.filter((l) => !l.startsWith('-')).map((l) => l.slice(1))).toEqual(b);
      expect(body.filter((l) => l.startsWith(' ')).length).toBe(lcs(a, b));
    }
  });
});

function lcs(a: string[], b: string[]): number {
  const t = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) t[i]![j] = a[i - 1] === b[j - 1] ? t[i - 1]![j - 1]! + 1 : Math.max(t[i - 1]![j]!, t[i]![j - 1]!);
  return t[a.length]![b.length]!;
}

/** A comparison with a regression, a flag, one-sided cells, a template diff holding markup and backticks, and a hostile provider id. */
function sample(): CompareResult {
  const weird = 'openai-compatible:m<&"\'|x';
  const baseline = [
    ...cell('local', 'none', 0, outcomes(12, 3)),
    ...cell('local', 'similar', 2, outcomes(12, 12)),
    ...cell('local', 'first', 2, outcomes(12, 5)),
    ...cell(weird, 'random', 2, outcomes(12, 6)),
  ];
  const candidate = [
    ...cell('local', 'none', 0, outcomes(12, 3)),
    ...cell('local', 'similar', 2, outcomes(12, 0)),
    ...cell(weird, 'random', 2, Array(12).fill('error')),
  ];
  const fingerprint = (template: string) => ({ prompt: { hash: `${template.length}`.padStart(8, '0'), settingsHash: 's', itemsHash: 'i', template } });
  const template = '[system]\nAnswer with the label only.\n```\n[user]\n<script>alert(1)</script> & more\n';
  return compareRuns(
    loaded('baseline', baseline, fingerprint(template)),
    loaded('candidate', candidate, fingerprint(template.replace('label only.', 'label ```only``` | x.'))),
    DEFAULT_COMPARE_OPTIONS,
    new Date('2026-01-01T00:00:00Z'),
  );
}

describe('renderers', () => {
  it('terminal: the headline, an aligned table naming the regressed cell, flags, the diff, one-sided cells', () => {
    const out = renderCompareTable(sample());
    expect(out.split('\n')[0]).toBe('fewshot compare: 1 regression in 3 compared cells');
    const rows = out.split('\n').filter((l) => /^(provider|local|openai)/.test(l));
    expect(rows[0]).toMatch(/^provider\s+selector\s+k\s+n\s+baseline\s+candidate\s+difference \[95% CI\], points\s+p \(Holm\)\s+verdict$/);
    expect(rows.find((l) => l.startsWith('local') && l.includes('similar'))).toMatch(/100\.0%\s+0\.0%\s+-100\.0 \[-100\.0, -\d+\.\d\]\s+0\.003\s+REGRESSION$/);
    // Columns line up: every row has the verdict where the header has it.
    const at = rows[0]!.indexOf('verdict');
    for (const row of rows.slice(1)) expect(row.length).toBeGreaterThan(at);
    expect(out).toContain('  local / similar / k=2: accuracy dropped 100.0 points (p = 0.003 after Holm), at least the 3.0-point margin');
    expect(out).toContain('[failure-rise] openai-compatible:m<&"\'|x / random / k=2: provider errors rose 100.0 points');
    expect(out).toContain('  -Answer with the label only.');
    expect(out).toContain('  +Answer with the label ```only``` | x.');
    expect(out).toContain('only in the baseline:\n  cell local / first / k=2 (12 items)');
  });

  it('Markdown: regressions first with why, escaped cells, a fence the template cannot close', () => {
    const md = renderCompareMarkdown(sample());
    expect(md.startsWith('## :x: fewshot compare: 1 regression in 3 compared cells\n')).toBe(true);
    const regressions = md.slice(md.indexOf('### Regressions'), md.indexOf('### Flags'));
    expect(regressions).toContain('| local / similar / k=2 | 12 | 100.0% | 0.0% |');
    expect(regressions).toContain('accuracy dropped 100.0 points (p = 0.003 after Holm)');
    // The hostile id cannot break a table row or inject HTML.
    expect(md).toContain('openai-compatible:m\\<\\&"\'\\|x / random / k=2: provider errors rose 100.0 points');
    expect(md).not.toContain('<&');
    // The template holds ``` and <script>: the diff sits in a longer fence, unescaped (code is literal).
    expect(md).toContain('````diff\n--- baseline baseline-run\n+++ candidate candidate-run\n');
    expect(md).toContain('-Answer with the label only.\n+Answer with the label ```only``` | x.\n');
    expect(md).toContain('\n````\n\n</details>');
    expect(md).toContain('### Only in the baseline\n\n- cell local / first / k=2 (12 items)\n');
    expect(md).toContain('| local / similar / k=2 | 12 | 100.0% | 0.0% | -100.0 [-100.0, ');
    expect(md).toContain('| **REGRESSION** |');
  });

  it('JUnit: one test case per compared cell, a failure for the regression, skipped one-sided cells, well-formed and escaped', () => {
    const xml = renderCompareJunit(sample());
    expectWellFormed(xml);
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="fewshot compare" tests="6" failures="1" errors="0" skipped="1" time="0">/,
    );
    expect(xml).toContain('<testsuite name="local" tests="4" failures="1" errors="0" skipped="1" time="0">');
    expect(xml).toContain(
      '<testcase classname="fewshot.local" name="similar k=2" time="0">\n      <failure type="regression" message="local / similar / k=2: accuracy dropped 100.0 points (p = 0.003 after Holm), at least the 3.0-point margin">',
    );
    expect(xml).toContain(
      '<testcase classname="fewshot.local" name="first k=2" time="0">\n      <skipped message="only in the baseline (12 items): not compared"/>',
    );
    expect(xml).toContain('<testsuite name="openai-compatible:m&lt;&amp;&quot;&apos;|x" tests="2" failures="0"');
    expect((xml.match(/<testcase /g) ?? []).length).toBe(6);
    // A changed recommendation is about the provider, not about the cell it now names (none k=0).
    const zeroShot = xml.slice(xml.indexOf('name="none k=0"'), xml.indexOf('</testcase>', xml.indexOf('name="none k=0"')));
    expect(zeroShot).not.toContain('advice-changed');
    expect(xml).toMatch(
      /name="curve labels, recommendation, costs and coverage" time="0">\n      <system-out>\[coverage\][^<]*\n\[label-worse\][^<]*\n\[advice-changed\] local:/,
    );
    // Flags fail their case only under --fail-on flag; no regression fails anything under none.
    const flagged = renderCompareJunit(sample(), 'flag');
    expectWellFormed(flagged);
    expect(flagged).toContain('<failure type="flag" message="openai-compatible:m&lt;&amp;&quot;&apos;|x / random / k=2: provider errors rose 100.0 points">');
    expect(renderCompareJunit(sample(), 'none')).toContain('failures="0"');
  });

  it('XML escaping: markup, quotes, newlines in attributes, characters XML cannot hold', () => {
    expect(text('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
    expect(attr('say "hi"\n\'there\'\t')).toBe('say &quot;hi&quot;&#10;&apos;there&apos;&#9;');
    expect(text('bell\u0007 nul\u0000 ok\n')).toBe('bell\uFFFD nul\uFFFD ok\n');
    expect(text('lone \uD800 pair \uD83D\uDE00')).toBe('lone \uFFFD pair \uD83D\uDE00');
  });

  it('JSON: the whole result, parseable, with the schema version', () => {
    const parsed = JSON.parse(renderCompareJson(sample())) as CompareResult;
    expect(parsed.schemaVersion).toBe(1);
    expect(parsed.verdict).toBe('regression');
    expect(parsed.cells.map((c) => `${c.selector}/${c.k}/${c.verdict}`)).toEqual(['none/0/no-significant-change', 'similar/2/regression', 'random/2/no-pairs']);
  });
});

/** A small well-formedness check: tags nest and close, attribute values and text hold no raw markup. */
function expectWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\n/, '');
  const stack: string[] = [];
  const token = /<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = token.exec(body)) !== null) {
    consumed = token.lastIndex;
    const [, closing, name, attrs, selfClosing, content] = m;
    const entities = /&(?!(amp|lt|gt|quot|apos|#\d+);)/;
    if (content !== undefined) {
      expect(content, 'text').not.toMatch(entities);
      continue;
    }
    expect(attrs ?? '', `attributes of ${name}`).not.toMatch(entities);
    if (closing) expect(stack.pop(), `closing ${name}`).toBe(name);
    else if (!selfClosing) stack.push(name!);
  }
  expect(consumed, 'unparsed markup').toBe(body.length);
  expect(stack).toEqual([]);
}
