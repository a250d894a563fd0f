import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The browser builds inlined into report.html, so it opens offline from disk. */
export interface VegaBrowserScripts {
  vega: string;
  vegaLite: string;
  vegaEmbed: string;
}

const BUILDS = {
  vega: ['vega', 'build/vega.min.js'],
  vegaLite: ['vega-lite', 'build/vega-lite.min.js'],
  vegaEmbed: ['vega-embed', 'build/vega-embed.min.js'],
} as const;

let cached: VegaBrowserScripts | null = null;

/** Read (once per process) the minified browser builds of vega, vega-lite and vega-embed. */
export function vegaBrowserScripts(): VegaBrowserScripts {
  if (!cached) {
    cached = {
      vega: readBuild(...BUILDS.vega),
      vegaLite: readBuild(...BUILDS.vegaLite),
      vegaEmbed: readBuild(...BUILDS.vegaEmbed),
    };
  }
  return cached;
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
