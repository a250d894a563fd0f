#!/usr/bin/env node
// Refreshes docs/report.png, the README's picture of a report: runs the flagship keyless sweep with the
// built CLI (run `npm run build` first), opens its report.html from disk in Debian's chromium (as the
// browser tests do: headless, fresh profile, no network) and keeps the top of the page, where the verdict
// and the accuracy curves are. Usage: node scripts/refresh-screenshot.mjs [--chromium PATH]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = join(import.meta.dirname, '..');
const flag = process.argv.indexOf('--chromium');
const executablePath = flag > 0 ? process.argv[flag + 1] : process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const out = mkdtempSync(join(tmpdir(), 'fewshot-screenshot-'));
const profile = mkdtempSync(join(tmpdir(), 'fewshot-chromium-'));
try {
  const sweep = spawnSync(process.execPath, [join(ROOT, 'dist', 'bin.js'), 'sweep', 'experiments/routes.yaml', '--out', out, '--quiet'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '', GEMINI_API_KEY: '', GOOGLE_API_KEY: '' },
  });
  if (sweep.status !== 0) throw new Error(`the flagship sweep failed (exit ${sweep.status}): ${sweep.stderr}`);
  const run = readdirSync(out)[0];
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    viewport: { width: 1100, height: 1250 },
  });
  const page = await context.newPage();
  // Nothing but the file itself: the report must not need the network.
  await page.route(
    (url) => !url.protocol.startsWith('file'),
    (route) => route.abort(),
  );
  await page.goto(pathToFileURL(join(out, run, 'report.html')).href);
  await page.waitForFunction(
    () => [...document.querySelectorAll('[data-chart]')].every((el) => el.hasAttribute('data-rendered') || el.hasAttribute('data-error')),
    null,
    {
      timeout: 15_000,
    },
  );
  await page.screenshot({ path: join(ROOT, 'docs', 'report.png') });
  await context.close();
  console.log(`docs/report.png: the top of ${run}/report.html`);
} finally {
  rmSync(out, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
}
