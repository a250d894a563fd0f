// report.html in a real browser: Debian's chromium (driven by playwright-core) opens reports from
// disk and must draw every chart, log no console error, request nothing but the file itself, and
// run none of the markup that model outputs and imported data can carry. Screenshots go to
// .fewshot/artifacts/. Without a chromium the file is skipped, saying why (never a silent pass).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accumulate } from '../../src/analysis/accumulate.js';
import { writeReport, writeReportFiles } from '../../src/report/write.js';
import type { FineTuneAdvice } from '../../src/records/summary.js';
import type { TrialRecord } from '../../src/records/trial.js';
import { providerError, runInfo, sweep, trial } from '../analysis-fixtures.js';
import { findChromium, launch, pageFindings, ROOT, visitReport, type Browser, type PageVisit } from './chromium.js';

const BIN = join(ROOT, 'dist', 'bin.js');
const ADAPTGAUGE_CSV = join(ROOT, 'test', 'fixtures', 'adaptgauge-raw-results-small.csv');
const browserLookup = findChromium();
if (!browserLookup.path) console.warn(`skipping the browser tests of report.html: ${browserLookup.reason}`);

/** No key from the developer's environment and every SDK pointed at a closed local port. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME ?? tmpdir(), NO_COLOR: '1' };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  for (const key of ['OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'GOOGLE_GEMINI_BASE_URL']) env[key] = 'http://127.0.0.1:9';
  return env;
}

function fewshot(args: string[]): { code: number | null; stdout: string; stderr: string } {
  if (!existsSync(BIN)) throw new Error(`${BIN} not found: run "npm run build" first (npm test does)`);
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The checks every report must pass in the browser. */
async function expectCleanPage(visit: PageVisit): Promise<void> {
  const found = await pageFindings(visit);
  expect(found).toMatchObject({
    chartTimeout: null,
    chartProblems: [],
    consoleErrors: [],
    pageErrors: [],
    dialogs: [],
    foreignRequests: [],
    cspMeta: 1,
  });
  expect(found.chartCount, 'charts on the page').toBeGreaterThan(0);
  expect(found.verdictCards, 'verdict cards (article.verdict)').toBeGreaterThan(0);
  expect(found.drilldownRows, 'drill-down rows (#drilldown tbody tr)').toBeGreaterThan(0);
  expect(visit.requests, 'the report itself is the only request').toContain(visit.url);
}

/** The drill-down's rows shown now (the table is paginated: hidden or later rows do not count). */
function shownRows(visit: PageVisit): Promise<number> {
  return visit.page.locator('#drilldown tbody tr').filter({ visible: true }).count();
}

/** The drill-down's text search: a nonsense query empties the table, `needle` finds rows, clearing restores them. */
async function expectSearchWorks(visit: PageVisit, needle: string): Promise<void> {
  const search = visit.page.locator('#drilldown input[type="search"], #drilldown input[type="text"], #drilldown input:not([type])').first();
  expect(await search.count(), 'a text search input inside #drilldown').toBe(1);
  await search.fill('');
  const before = await shownRows(visit);
  expect(before, 'drill-down rows with an empty search').toBeGreaterThan(0);
  await search.fill('zzz-no-such-trial-zzz');
  await expect.poll(() => shownRows(visit), { timeout: 3000 }).toBe(0);
  await search.fill(needle);
  await expect.poll(() => shownRows(visit), { timeout: 3000 }).toBeGreaterThan(0);
  await search.fill('');
  await expect.poll(() => shownRows(visit), { timeout: 3000 }).toBe(before);
}

describe.skipIf(!browserLookup.path)('report.html in chromium', () => {
  let browser: Browser;
  const tmp = mkdtempSync(join(tmpdir(), 'fewshot-browser-'));

  beforeAll(async () => {
    browser = await launch(browserLookup.path!);
    const version = browser.context.browser()?.version() ?? '(version unknown)';
    console.log(`chromium ${version} at ${browserLookup.path}`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the flagship keyless run (experiments/routes.yaml) draws every chart, cleanly and offline', async () => {
    const out = join(tmp, 'flagship');
    const result = fewshot(['sweep', 'experiments/routes.yaml', '--out', out, '--quiet', '--no-cache']);
    expect(result.code, result.stderr).toBe(0);
    const runs = readdirSync(out);
    expect(runs).toHaveLength(1);
    const visit = await visitReport(browser, join(out, runs[0]!, 'report.html'), 'flagship-routes');
    await expectCleanPage(visit);
    await expectSearchWorks(visit, 'ROUTE:');
    await visit.page.close();
  }, 240_000);

  it('an imported AdaptGauge run draws every chart, cleanly and offline', async () => {
    const out = join(tmp, 'adaptgauge');
    const result = fewshot(['import', 'adaptgauge', ADAPTGAUGE_CSV, '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    const runs = readdirSync(out).sort();
    expect(runs).toEqual(['classification_001', 'code_fix_001']);
    for (const run of runs) {
      const visit = await visitReport(browser, join(out, run, 'report.html'), `adaptgauge-${run}`);
      await expectCleanPage(visit);
      await visit.page.close();
    }
  }, 120_000);

  it('draws the fine-tune cost chart (finetune-cost) beside the "Keep few-shot or fine-tune?" tables', async () => {
    // The advice's fine-tune blocks are hand-made here (the report is tested on its own): one
    // provider below its break-even at the stated volume, one above, one that never breaks even.
    const runDir = join(tmp, 'finetune');
    const providers = ['openai:gpt-4o-mini', 'openai:gpt-4o', 'google:gemini-2.5-flash'];
    const trials = providers.flatMap((provider) => sweep().map((t) => ({ ...t, provider, model: provider.split(':')[1]!, tokensIn: 100 + 50 * t.k })));
    const info = runInfo({ providers: providers.map((id) => ({ id, status: 'ran' as const })) });
    const { summary } = writeReport(runDir, trials, info, { now: new Date('2026-11-25T12:00:00Z') });
    const blocks: Record<string, FineTuneAdvice> = {
      'openai:gpt-4o-mini': fineTuneBlock({ trainingCost: 4.5, hostingPerMonth: 0, tuned: 0.1, fewShot: 0.3, zeroShot: 0.05, requestsPerMonth: 1_000 }),
      'openai:gpt-4o': fineTuneBlock({ trainingCost: 60, hostingPerMonth: 100, tuned: 0.5, fewShot: 1.5, zeroShot: 0.4, requestsPerMonth: 1_000_000 }),
      'google:gemini-2.5-flash': fineTuneBlock({ trainingCost: 6, hostingPerMonth: 0, tuned: 0.4, fewShot: 0.3, zeroShot: null }),
    };
    const withFineTune = { ...summary, advice: summary.advice.map((a) => ({ ...a, fineTune: blocks[a.provider]! })) };
    writeReportFiles(runDir, withFineTune, info, accumulate(trials).samples());
    const visit = await visitReport(browser, join(runDir, 'report.html'), 'finetune');
    await expectCleanPage(visit);
    const chart = visit.charts.find((c) => c.id === 'finetune-cost');
    expect(chart, 'the finetune-cost figure').toMatchObject({ rendered: true, error: null, svgs: 1 });
    expect(chart!.marks).toBeGreaterThan(0);
    const text = (await visit.page.evaluate(`document.querySelector('#verdict figure[data-chart="finetune-cost"] svg').textContent`)) as string;
    expect(text).toContain('break-even: 3,750 requests/month');
    expect(text).toContain('at 1,000,000 requests/month: fine-tune cheaper');
    expect(await visit.page.locator('#verdict table.finetune-table').count()).toBe(3);
    await visit.page.close();
  }, 60_000);

  it('runs none of the markup in outputs, answers, errors, item ids, provider ids and notices', async () => {
    const runDir = join(tmp, 'xss');
    writeReport(runDir, hostileTrials(), hostileRunInfo(), { now: new Date('2026-11-25T12:00:00Z') });
    const visit = await visitReport(browser, join(runDir, 'report.html'), 'xss');
    const { page } = visit;
    expect(await page.evaluate('typeof window.__xss'), 'window.__xss was set by a payload').toBe('undefined');
    expect(visit.dialogs).toEqual([]);
    const injected = (await page.evaluate(`({
      imgX: document.querySelectorAll('img[src="x"]').length,
      handlers: [...document.querySelectorAll('*')]
        .filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name) && /__xss|alert/.test(a.value)))
        .map((e) => e.outerHTML.slice(0, 120)),
      jsLinks: document.querySelectorAll('a[href^="javascript:" i], [href^="javascript:" i], [src^="javascript:" i]').length,
      payloadScripts: [...document.scripts].filter((s) => s.type !== 'application/json' && s.text.includes('__xss')).length,
    })`)) as { imgX: number; handlers: string[]; jsLinks: number; payloadScripts: number };
    expect(injected).toEqual({ imgX: 0, handlers: [], jsLinks: 0, payloadScripts: 0 });
    await expectCleanPage(visit);

    // Every payload is shown as the text it is in the drill-down: searched for (the table is
    // paginated), then found in the rows' text.
    const search = page.locator('#drilldown input[type="search"], #drilldown input[type="text"], #drilldown input:not([type])').first();
    const missing: string[] = [];
    for (const [name, payload] of Object.entries(PAYLOADS)) {
      await search.fill(payload);
      const shown = async () => (await page.evaluate(`document.querySelector('#drilldown tbody').textContent`)) as string;
      try {
        await expect.poll(shown, { timeout: 3000 }).toContain(payload);
      } catch {
        missing.push(name);
      }
    }
    expect(missing, 'payloads not shown as text in #drilldown tbody').toEqual([]);
    expect(await page.evaluate('typeof window.__xss'), 'window.__xss after searching').toBe('undefined');
    expect(await page.evaluate(`document.querySelectorAll('#drilldown img, #drilldown svg, #drilldown a, #drilldown script').length`)).toBe(0);
    await expectSearchWorks(visit, 'item-3');
    expect(await page.evaluate('typeof window.__xss'), 'window.__xss after searching').toBe('undefined');
    expect({ dialogs: visit.dialogs, consoleErrors: visit.consoleErrors, pageErrors: visit.pageErrors }).toEqual({
      dialogs: [],
      consoleErrors: [],
      pageErrors: [],
    });
    await visit.page.close();
  }, 120_000);

  it('(control) the same checks catch a payload that does run', async () => {
    // A page that pastes two payloads in as HTML: the checks above must see both.
    const path = join(tmp, 'control.html');
    writeFileSync(path, `<!doctype html><title>control</title><p>${PAYLOADS.closeScript}</p><p><img src=y onerror="alert('control')"></p>`);
    const page = await browser.context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss().catch(() => {});
    });
    await page.goto(pathToFileURL(path).href);
    await expect.poll(() => page.evaluate('window.__xss'), { timeout: 5000 }).toBe(2);
    await expect.poll(() => dialogs, { timeout: 5000 }).toEqual(['control']);
    expect(await page.evaluate(`document.querySelectorAll('img[src="x"]').length`)).toBe(1);
    await page.close();
  }, 30_000);
});

/** A fine-tune block as the advice writes it, break-even and the stated volume worked out (6-month horizon, $ per 1k requests). */
function fineTuneBlock(o: {
  trainingCost: number;
  hostingPerMonth: number;
  tuned: number;
  fewShot: number;
  zeroShot: number | null;
  requestsPerMonth?: number;
}): FineTuneAdvice {
  const fixed = o.trainingCost / 6 + o.hostingPerMonth;
  const saving = (o.fewShot - o.tuned) / 1000;
  const at = o.requestsPerMonth;
  const tunedPerMonth = at === undefined ? 0 : fixed + (at * o.tuned) / 1000;
  const fewShotPerMonth = at === undefined ? 0 : (at * o.fewShot) / 1000;
  return {
    source: 'fine-tuning price table (as of 2025-10-01)',
    currency: 'USD',
    examples: 120,
    minExamples: 10,
    recommendedExamples: 50,
    trainingTokensPerEpoch: 500_000,
    epochs: 3,
    trainingTokens: 1_500_000,
    trainingCost: o.trainingCost,
    hostingPerMonth: o.hostingPerMonth,
    horizonMonths: 6,
    costPer1k: { tuned: o.tuned, fewShot: o.fewShot, zeroShot: o.zeroShot },
    fewShot: { selector: 'similar', k: 8 },
    breakEven:
      saving > 0 ? { kind: 'volume', requestsPerMonth: fixed / saving } : { kind: 'never', reason: 'a tuned request costs as much as a few-shot one or more' },
    ...(at !== undefined
      ? { atVolume: { requestsPerMonth: at, cheaper: tunedPerMonth < fewShotPerMonth ? 'fine-tune' : 'few-shot', fewShotPerMonth, tunedPerMonth } }
      : {}),
    accuracy: { kind: 'assumed', text: 'the tuned model at k=0 is taken to be as accurate as k=8 with similar until measured' },
  };
}

/** Markup and script-breaking text as model outputs and imported data can carry it. */
const PAYLOADS = {
  script: '<script>window.__xss=1</script>',
  closeScript: '</script><img src=x onerror="window.__xss=2">',
  svg: '"><svg onload=window.__xss=3>',
  jsLink: '<a href="javascript:window.__xss=4">click</a>',
  comment: '<!--<script>window.__xss=5</script>-->',
  cdata: ']]><script>window.__xss=6</script>',
  separators: 'line\u2028separator\u2029paragraph',
  upper: '</SCRIPT ><img src=x onerror=alert(7)>',
  quote: "' onmouseover='window.__xss=8' x='",
  template: '${window.__xss=9}{{constructor.constructor("window.__xss=10")()}}',
} as const;

const EVIL_PROVIDER = '<img src=x onerror="window.__xss=11">';

function hostileTrials(): TrialRecord[] {
  const payloads = Object.values(PAYLOADS);
  const trials: TrialRecord[] = [];
  const cells: [string, number][] = [
    ['none', 0],
    ['random', 1],
    ['random', 4],
    ['similar', 1],
    ['similar', 4],
  ];
  for (const provider of ['local', EVIL_PROVIDER]) {
    // At most 8 items per provider: the drill-down keeps 8, so every payload is shown.
    for (let i = 0; i < 8; i++) {
      const p = payloads[i]!;
      const q = payloads[(i + 8) % payloads.length]!;
      const itemId = `item-${i} ${p}`;
      cells.forEach(([selector, k], c) => {
        const base = {
          provider,
          model: provider === 'local' ? 'baseline' : `${EVIL_PROVIDER}-model`,
          selector,
          k,
          itemId,
          shotIds: k > 0 ? [`shot ${q}`] : [],
        };
        trials.push(trial({ ...base, repeat: 0, output: `ANSWER: ${p}\n${q}`, answer: p, score: (i + c) % 3 === 0 ? 0 : 1 }));
        trials.push(trial({ ...base, repeat: 1, output: `garbled ${q}`, parseOk: false, parseError: `no answer in ${p}`, answer: null, score: 0 }));
        trials.push(providerError({ ...base, repeat: 2, error: { kind: 'server', message: `HTTP 500: ${p}` } }));
      });
    }
  }
  return trials;
}

function hostileRunInfo() {
  return runInfo({
    runId: `run-${PAYLOADS.closeScript}`,
    experiment: { name: `demo ${PAYLOADS.script}`, path: 'experiments/<script>.yaml' },
    providers: [
      { id: 'local', status: 'ran' },
      { id: EVIL_PROVIDER, status: 'ran' },
      { id: 'openai:gpt-4o-mini', status: 'skipped', reason: `set OPENAI_API_KEY ${PAYLOADS.svg}` },
    ],
    notices: [`notice ${PAYLOADS.comment}`, `notice ${PAYLOADS.separators}`],
    plannedTrials: 240,
    completedTrials: 240,
  });
}
