// `npm run deps` (part of `npm test`): every import in src/ goes the way the layer rules of
// .dependency-cruiser.cjs allow. Prints each import that does not, with the rule it breaks and why,
// and exits 1; exits 2 when the check itself cannot run.
//
//   node scripts/check-deps.mjs [folder]
//
// `folder` holds the src/ to check (default: the working directory); the rules are always this
// repository's. test/layers.test.ts points it at small trees with imports that go the wrong way.
//
// dependency-cruiser's API rather than its CLI, for one guard the CLI lacks: without its parser
// (@swc/core), the CLI cruises no file and reports no violation. Here fewer modules cruised than
// src/ has TypeScript files fails the check.
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, format } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';

const RULES = join(dirname(dirname(fileURLToPath(import.meta.url))), '.dependency-cruiser.cjs');

const root = resolve(process.argv[2] ?? '.');
process.chdir(root);
const options = await extractDepcruiseOptions(RULES);
const { output: result } = await cruise(['src'], options);

const sources = readdirSync('src', { recursive: true }).filter((f) => /\.ts$/.test(String(f))).length;
if (result.summary.totalCruised < sources) {
  console.error(
    `deps: only ${result.summary.totalCruised} of the ${sources} TypeScript files in ${join(root, 'src')} were read; ` +
      'is @swc/core installed (npm ci)? The layer rules cannot be checked.',
  );
  process.exit(2);
}

const { output, exitCode } = await format(result, { outputType: 'err-long' });
process.stdout.write(output);
if (exitCode !== 0) {
  console.log('The layers and the directions they may import in: .dependency-cruiser.cjs (and docs/development.md).');
  process.exitCode = 1;
}
