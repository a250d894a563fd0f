import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const BUILDS = {
  vega: ['vega', 'build/vega.min.js'],
} as const;

let report: ReportScripts | null = null;

/** What report.html inlines: vega (the charts arrive compiled to Vega) and its CSP-safe expression interpreter. */
export interface ReportScripts {
  vega: string;
  interpreter: string;
}

/** Read (once per process) vega's browser build and vega-interpreter made into a classic script. */
export function reportScripts(): ReportScripts {
  report ??= { vega: readBuild(...BUILDS.vega), interpreter: interpreterScript(readBuild('vega-interpreter', 'build/vega-interpreter.js')) };
  return report;
}

const INTERPRETER_IMPORT = "import { ascending, isString, DisallowedObjectProperties } from 'vega-util';";
const INTERPRETER_EXPORT = 'export { expression as expressionInterpreter };';

/**
 * vega-interpreter ships only as an ES module importing three helpers from vega-util, which vega's
 * browser build exposes on its global. Turn it into a classic script that takes them from `vega`
 * and adds `vega.expressionInterpreter` (a module script could not be allowed by hash as simply,
 * and inline modules cannot import). A different build fails loudly here, not in a reader's browser.
 */
export function interpreterScript(module: string): string {
  if (!module.includes(INTERPRETER_IMPORT) || !module.includes(INTERPRETER_EXPORT)) {
    throw new Error('vega-interpreter: unexpected build (its import or export line changed); update report/assets.ts');
  }
  const body = module
    .replace(INTERPRETER_IMPORT, 'const { ascending, isString, DisallowedObjectProperties } = vega;')
    .replace(INTERPRETER_EXPORT, 'vega.expressionInterpreter = expression;');
  return `(function (vega) {\n${body}\n})(vega);`;
}

function readBuild(pkg: string, subpath: string): string {
  const file = join(packageDir(pkg), subpath);
  if (!existsSync(file)) throw new Error(`${pkg}: browser build not found at ${file}`);
  return readFileSync(file, 'utf8');
}

/**
 * The package's folder. The packages' `exports` maps expose neither their build/*.min.js files
 * nor package.json, so resolve the main entry and walk up to the package.json that names it.
 */
export function packageDir(pkg: string): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(pkg));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
      if (name === pkg) return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package folder of ${pkg}`);
    dir = parent;
  }
}
