import { cellName, difference, oneSidedLines, pctOrNa, promptLine, rule, VERDICT_WORDS } from './describe.js';
import type { CellComparison, CompareResult, FailOn, Flag, FlagKind } from './types.js';

const CELL_FLAGS: ReadonlySet<FlagKind> = new Set(['failure-rise', 'cost-rise']);

/**
 * compare.junit.xml, for CI test reporters: one test suite per provider, one test case per compared
 * cell (a <failure type="regression"> when it regressed), one skipped case per cell found on one side
 * only, and one case per provider for its curve labels, recommendation, costs and coverage. Flags
 * fail their case only under `--fail-on flag`; otherwise they are in its <system-out>.
 */
export function renderCompareJunit(r: CompareResult, failOn: FailOn = 'regression'): string {
  const providers = [...new Set([...r.cells.map((c) => c.provider), ...r.flags.map((f) => f.provider), ...oneSidedProviders(r)])].sort();
  const suites: string[] = [];
  let total = 0;
  let failures = 0;
  let skipped = 0;
  const failOnFlags = failOn === 'flag';
  const failOnRegressions = failOn !== 'none';
  for (const provider of providers) {
    const cases: string[] = [];
    let suiteFailures = 0;
    let suiteSkipped = 0;
    const flagsHere = r.flags.filter((f) => f.provider === provider);
    // Failure and cost rises are about a cell; labels, advice and coverage about the provider's curves.
    const cellFlags = (c: CellComparison) => flagsHere.filter((f) => CELL_FLAGS.has(f.kind) && f.selector === c.selector && f.k === c.k);
    const placed = new Set<Flag>();
    for (const c of r.cells.filter((x) => x.provider === provider)) {
      const mine = cellFlags(c);
      mine.forEach((f) => placed.add(f));
      const body: string[] = [];
      let failed = false;
      if (c.verdict === 'regression' && failOnRegressions) {
        body.push(`<failure type="regression" message="${attr(`${cellName(c)}: ${c.reasons.join('; ')}`)}">${text(cellDetail(c))}</failure>`);
        failed = true;
      } else if (mine.length > 0 && failOnFlags) {
        body.push(`<failure type="flag" message="${attr(mine.map((f) => f.message).join('; '))}">${text(cellDetail(c))}</failure>`);
        failed = true;
      }
      body.push(`<system-out>${text([cellDetail(c), ...mine.map((f) => `[${f.kind}] ${f.message}`)].join('\n'))}</system-out>`);
      if (failed) suiteFailures++;
      cases.push(testcase(provider, `${c.selector} k=${c.k}`, body));
    }
    for (const [name, side] of [
      ['baseline', r.onlyInBaseline],
      ['candidate', r.onlyInCandidate],
    ] as const) {
      for (const c of side.cells.filter((x) => x.provider === provider)) {
        cases.push(testcase(provider, `${c.selector} k=${c.k}`, [`<skipped message="${attr(`only in the ${name} (${c.nItems} items): not compared`)}"/>`]));
        suiteSkipped++;
      }
    }
    const rest = flagsHere.filter((f) => !placed.has(f));
    const body: string[] = [];
    if (rest.length > 0 && failOnFlags) {
      body.push(
        `<failure type="flag" message="${attr(rest.map((f) => f.message).join('; '))}">${text(rest.map((f) => `[${f.kind}] ${f.message}`).join('\n'))}</failure>`,
      );
      suiteFailures++;
    }
    body.push(`<system-out>${text(rest.length > 0 ? rest.map((f) => `[${f.kind}] ${f.message}`).join('\n') : 'nothing flagged')}</system-out>`);
    cases.push(testcase(provider, 'curve labels, recommendation, costs and coverage', body));
    total += cases.length;
    failures += suiteFailures;
    skipped += suiteSkipped;
    suites.push(
      `  <testsuite name="${attr(provider)}" tests="${cases.length}" failures="${suiteFailures}" errors="0" skipped="${suiteSkipped}" time="0">\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  const props = [
    ['baseline', `${r.baseline.runId} (${r.baseline.dir})`],
    ['candidate', `${r.candidate.runId} (${r.candidate.dir})`],
    ['rule', rule(r)],
    ['prompt', promptLine(r)],
    ['only-in-baseline', oneSidedLines(r.onlyInBaseline).join('; ') || 'nothing'],
    ['only-in-candidate', oneSidedLines(r.onlyInCandidate).join('; ') || 'nothing'],
  ];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="fewshot compare" tests="${total}" failures="${failures}" errors="0" skipped="${skipped}" time="0">`,
    `  <properties>\n${props.map(([k, v]) => `    <property name="${attr(k!)}" value="${attr(v!)}"/>`).join('\n')}\n  </properties>`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

function oneSidedProviders(r: CompareResult): string[] {
  return [...r.onlyInBaseline.cells, ...r.onlyInCandidate.cells].map((c) => c.provider);
}

function testcase(provider: string, name: string, body: string[]): string {
  return `    <testcase classname="${attr(`fewshot.${provider}`)}" name="${attr(name)}" time="0">\n${body.map((b) => `      ${b}`).join('\n')}\n    </testcase>`;
}

function cellDetail(c: CellComparison): string {
  return (
    `${cellName(c)}: ${VERDICT_WORDS[c.verdict]}; accuracy ${pctOrNa(c.baseline.accuracy)} -> ${pctOrNa(c.candidate.accuracy)} ` +
    `over ${c.accuracy.nItems} paired items, difference ${difference(c)} points, p ${c.accuracy.pValue.toPrecision(3)} (Holm ${c.accuracy.pAdjusted.toPrecision(3)}, ${c.accuracy.method}); ` +
    `answer failures ${pctOrNa(c.baseline.answerFailureRate)} -> ${pctOrNa(c.candidate.answerFailureRate)}; ` +
    `provider errors ${pctOrNa(c.baseline.providerErrorRate)} -> ${pctOrNa(c.candidate.providerErrorRate)}`
  );
}

/** Characters XML 1.0 cannot hold at all (controls other than tab, newline, carriage return; lone surrogates; U+FFFE/FFFF). */
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Element text: markup characters escaped, characters XML cannot hold replaced. */
export function text(value: string): string {
  return value.replace(INVALID_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A double-quoted attribute value: also quotes, and newlines and tabs as references (an attribute would fold them to spaces). */
export function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
