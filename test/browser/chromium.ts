// Opens a report.html from disk in Debian's chromium, driven by playwright-core, and records what a
// person's browser would do with it: console errors, uncaught exceptions, dialogs, every request, and
// the state of each chart once the page script has drawn it. Used by report.browser.test.ts.
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const ROOT = join(import.meta.dirname, '..', '..');
/** Screenshots land here (gitignored with the rest of .fewshot/). */
export const ARTIFACTS = join(ROOT, '.fewshot', 'artifacts');

/** The flags that work for the system chromium here (playwright adds its own, e.g. --remote-debugging-pipe). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** How long every chart gets to draw (and set data-rendered or data-error). */
export const CHART_TIMEOUT_MS = 10_000;

export interface ChromiumLookup {
  path: string | null;
  /** Why there is no browser, when path is null. */
  reason: string | null;
}

/** $CHROMIUM_PATH, else /usr/bin/chromium; null with a reason when it is not an executable file. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): ChromiumLookup {
  const candidate = env.CHROMIUM_PATH || '/usr/bin/chromium';
  try {
    accessSync(candidate, constants.X_OK);
    return { path: candidate, reason: null };
  } catch {
    const from = env.CHROMIUM_PATH ? '$CHROMIUM_PATH' : 'the default path';
    return {
      path: null,
      reason: `no chromium at ${candidate} (${from}): install Debian's chromium (apt-get install chromium; .ci/run does it) or set CHROMIUM_PATH`,
    };
  }
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless chromium with a fresh, throwaway user-data dir. */
export async function launch(executablePath: string): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'fewshot-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    // Nothing about the page may depend on the machine's locale or zone.
    locale: 'en-US',
    timezoneId: 'UTC',
    offline: true,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface ChartState {
  id: string | null;
  rendered: boolean;
  error: string | null;
  svgs: number;
  marks: number;
  canvases: number;
}

export interface PageVisit {
  page: Page;
  url: string;
  consoleErrors: string[];
  pageErrors: string[];
  dialogs: string[];
  /** Every request the page made, the report's own file:// URL included. */
  requests: string[];
  /** Requests other than the report's own URL and data: URLs: there must be none. */
  foreignRequests: string[];
  /** null when every chart settled (rendered or failed) in time; else what was still pending. */
  chartTimeout: string | null;
  /** From navigation to every chart settled, when they did. */
  settledMs: number | null;
  charts: ChartState[];
  screenshot: string;
}

// Browser-side code is kept as strings: the test tsconfig has no DOM types.
const CHARTS_SETTLED = `(() => {
  const figures = [...document.querySelectorAll('figure.chart')];
  return figures.length > 0 && figures.every((f) => f.dataset.rendered === 'true' || f.hasAttribute('data-error'));
})()`;

const CHART_STATES = `(() => {
  const MARKS = '.mark-line path, .mark-area path, .mark-symbol path, .mark-rect path, .mark-rule line, path';
  return [...document.querySelectorAll('figure.chart')].map((f) => {
    const view = f.querySelector('div.chart-view');
    const svgs = view ? [...view.querySelectorAll('svg')] : [];
    return {
      id: f.getAttribute('data-chart'),
      rendered: f.dataset.rendered === 'true',
      error: f.getAttribute('data-error'),
      svgs: svgs.length,
      marks: svgs.reduce((n, s) => n + s.querySelectorAll(MARKS).length, 0),
      canvases: view ? view.querySelectorAll('canvas').length : 0,
    };
  });
})()`;

const PENDING_CHARTS = `[...document.querySelectorAll('figure.chart')]
  .filter((f) => !(f.dataset.rendered === 'true' || f.hasAttribute('data-error')))
  .map((f) => f.getAttribute('data-chart'))`;

/**
 * Open `htmlPath` from disk, wait for every chart to settle, take a full-page screenshot to
 * .fewshot/artifacts/<name>.png and return what was seen. The page stays open for more checks.
 */
export async function visitReport(browser: Browser, htmlPath: string, name: string): Promise<PageVisit> {
  const page = await browser.context.newPage();
  const url = pathToFileURL(htmlPath).href;
  const visit: PageVisit = {
    page,
    url,
    consoleErrors: [],
    pageErrors: [],
    dialogs: [],
    requests: [],
    foreignRequests: [],
    chartTimeout: null,
    settledMs: null,
    charts: [],
    screenshot: join(ARTIFACTS, `${name}.png`),
  };
  page.on('console', (m) => {
    if (m.type() === 'error') visit.consoleErrors.push(`${m.text()} (${m.location().url}:${m.location().lineNumber})`);
  });
  page.on('pageerror', (e) => visit.pageErrors.push(e.stack ?? e.message));
  page.on('dialog', (d) => {
    visit.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss().catch(() => {});
  });
  page.on('request', (r) => {
    visit.requests.push(r.url());
    if (r.url() !== url && !r.url().startsWith('data:')) visit.foreignRequests.push(`${r.method()} ${r.url()}`);
  });
  // Belt and braces: even a request the checks would flag never reaches a network.
  await page.route(/^(https?|wss?|ftp):/, (route) => route.abort());

  const started = Date.now();
  await page.goto(url, { waitUntil: 'load' });
  try {
    await page.waitForFunction(CHARTS_SETTLED, undefined, { timeout: CHART_TIMEOUT_MS });
    visit.settledMs = Date.now() - started;
  } catch {
    const pending = (await page.evaluate(PENDING_CHARTS)) as (string | null)[];
    const figures = (await page.evaluate(`document.querySelectorAll('figure.chart').length`)) as number;
    visit.chartTimeout =
      figures === 0
        ? `no <figure class="chart"> on the page after ${CHART_TIMEOUT_MS} ms`
        : `after ${CHART_TIMEOUT_MS} ms, ${pending.length} of ${figures} charts had neither data-rendered="true" nor data-error: ${pending.join(', ')}`;
  }
  visit.charts = (await page.evaluate(CHART_STATES)) as ChartState[];
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: visit.screenshot, fullPage: true });
  const drawn = visit.charts.map((c) => `${c.id}${c.error !== null ? ' (error)' : `: ${c.marks} marks`}`).join(', ');
  console.log(
    `${name}: ${visit.charts.length} charts settled in ${visit.settledMs ?? '(timeout)'} ms (${drawn}); screenshot: ${relative(process.cwd(), visit.screenshot)}`,
  );
  return visit;
}

/** Charts that are not drawn per the page contract, one line each (empty when all are). */
export function chartProblems(charts: readonly ChartState[]): string[] {
  return charts.flatMap((c) => {
    const name = c.id ?? '(figure without data-chart)';
    if (c.error !== null) return [`${name}: data-error="${c.error}"`];
    if (!c.rendered) return [`${name}: data-rendered is not "true"`];
    if (c.svgs === 0) return [`${name}: no svg in its .chart-view${c.canvases > 0 ? ` (${c.canvases} canvas)` : ''}`];
    if (c.marks === 0) return [`${name}: its svg has no marks`];
    return [];
  });
}

/** The checks every report page must pass, as one object so a failure shows everything at once. */
export async function pageFindings(visit: PageVisit): Promise<{
  chartTimeout: string | null;
  chartCount: number;
  chartProblems: string[];
  consoleErrors: string[];
  pageErrors: string[];
  dialogs: string[];
  foreignRequests: string[];
  verdictCards: number;
  cspMeta: number;
  drilldownRows: number;
}> {
  const count = async (selector: string) => (await visit.page.evaluate(`document.querySelectorAll(${JSON.stringify(selector)}).length`)) as number;
  return {
    chartTimeout: visit.chartTimeout,
    chartCount: visit.charts.length,
    chartProblems: chartProblems(visit.charts),
    consoleErrors: visit.consoleErrors,
    pageErrors: visit.pageErrors,
    dialogs: visit.dialogs,
    foreignRequests: visit.foreignRequests,
    verdictCards: await count('article.verdict'),
    cspMeta: await count('meta[http-equiv="Content-Security-Policy" i]'),
    drilldownRows: await count('#drilldown tbody tr'),
  };
}
