import { mkdir, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vega from 'vega';
import { expressionInterpreter } from 'vega-interpreter';
import type { ReportChart, VgSpec } from './types.js';

/** vega's logger interface, taken from the View's own options. */
export type ViewLogger = NonNullable<NonNullable<ConstructorParameters<typeof vega.View>[1]>['logger']>;

/** A chart id usable as a file name on every platform. */
const SAFE_ID = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * A headless vega View of a compiled chart: no renderer, expressions run by vega-interpreter on
 * parsed ASTs (no `new Function`), the same way the CSP-safe page runs them.
 */
export function headlessView(spec: VgSpec, logger?: ViewLogger): vega.View {
  // vega tags inline data rows in place (a Symbol id): parse a copy so the chart itself stays as built.
  return new vega.View(vega.parse(structuredClone(spec), undefined, { ast: true }), {
    renderer: 'none',
    expr: expressionInterpreter,
    ...(logger ? { logger } : { logLevel: vega.Error }),
  });
}

/** A static SVG of the chart (for places where scripts do not run). */
export async function renderChartSvg(chart: ReportChart): Promise<string> {
  const view = headlessView(chart.vega);
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Write charts/<id>.vl.json (the Vega-Lite spec) and charts/<id>.svg for each chart under runDir,
 * each by a temporary file and a rename so a reader never sees half a file. Chart files left by an
 * earlier report of the run whose ids are gone (e.g. a provider no longer in the summary) are
 * removed. Returns the written paths: for each chart its .vl.json then its .svg.
 */
export async function writeChartFiles(runDir: string, charts: readonly ReportChart[]): Promise<string[]> {
  const ids = new Set<string>();
  for (const c of charts) {
    if (!SAFE_ID.test(c.id)) throw new Error(`chart id ${JSON.stringify(c.id)} is not a safe file name`);
    if (ids.has(c.id)) throw new Error(`chart id ${c.id} is used twice`);
    ids.add(c.id);
  }
  const dir = join(runDir, 'charts');
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const chart of charts) {
    const specPath = join(dir, `${chart.id}.vl.json`);
    const svgPath = join(dir, `${chart.id}.svg`);
    const svg = await renderChartSvg(chart);
    await writeAtomic(specPath, `${JSON.stringify(chart.vegaLite, null, 2)}\n`);
    await writeAtomic(svgPath, svg.endsWith('\n') ? svg : `${svg}\n`);
    paths.push(specPath, svgPath);
  }
  for (const name of await readdir(dir)) {
    const id = name.endsWith('.vl.json') ? name.slice(0, -'.vl.json'.length) : name.endsWith('.svg') ? name.slice(0, -'.svg'.length) : null;
    if (id !== null && !ids.has(id)) await unlink(join(dir, name));
  }
  return paths;
}

async function writeAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}
