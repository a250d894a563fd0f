// The layer check (`npm run deps`: scripts/check-deps.mjs with the rules of .dependency-cruiser.cjs):
// src/ passes; small trees with imports that go the wrong way fail it, each naming the rule it breaks.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const CHECK = join(ROOT, 'scripts', 'check-deps.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-layers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function check(folder: string) {
  const result = spawnSync(process.execPath, [CHECK, folder], { cwd: ROOT, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A src/ tree from `path -> imports`: each file imports (type-only where marked) and exports one constant. */
function tree(name: string, files: Record<string, readonly string[]>): string {
  const dir = join(tmp, name);
  for (const [path, imports] of Object.entries(files)) {
    const file = join(dir, 'src', path);
    mkdirSync(dirname(file), { recursive: true });
    const lines = imports.map((spec, i) =>
      spec.startsWith('type:') ? `import type { T${i} } from '${spec.slice(5)}';` : `import { v as v${i} } from '${spec}';`,
    );
    writeFileSync(file, `${lines.join('\n')}\nexport const v = 1;\nexport type T0 = number;\nexport type T1 = number;\n`);
  }
  return dir;
}

/** `error <rule>: <from> → <to>` lines of the check's output (a cycle's: its first step, once per module in it). */
function violations(stdout: string): string[] {
  return [...stdout.matchAll(/^ {2}error ([\w-]+): (\S+) → (\S*)/gm)].map((m) => `${m[1]}: ${m[2]} -> ${m[3]}`).sort();
}

describe('the layer check', () => {
  it('passes on src/', () => {
    const { code, stdout, stderr } = check(ROOT);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/no dependency violations found/);
    expect(code).toBe(0);
  });

  it('passes a tree whose imports all go the allowed way (types and values alike)', () => {
    const dir = tree('allowed', {
      'util/hash.ts': [],
      'version.ts': [],
      'records/trial.ts': ['../util/hash.js', '../version.js'],
      'config/schema.ts': ['../records/trial.js', '../util/hash.js'],
      'providers/provider.ts': ['type:../records/trial.js'],
      'providers/registry.ts': ['./provider.js'],
      'providers/embeddings.ts': ['../util/hash.js'],
      'tasks/task.ts': ['type:../providers/provider.js', '../config/schema.js'],
      'selectors/embedding.ts': ['../providers/embeddings.js', '../tasks/task.js', '../config/schema.js'],
      'runner/sweep.ts': ['../selectors/embedding.js', '../providers/registry.js', '../tasks/task.js', '../records/trial.js'],
      'analysis/accumulate.ts': ['../records/trial.js', '../config/schema.js'],
      'analysis/index.ts': ['./accumulate.js'],
      'report/write.ts': ['../analysis/accumulate.js', '../records/trial.js'],
      'compare/compare.ts': ['../analysis/index.js', '../report/write.js', '../records/trial.js'],
      'import/adaptgauge.ts': ['../analysis/accumulate.js', '../report/write.js', '../records/trial.js'],
      'app/sweep-and-report.ts': ['../runner/sweep.js', '../analysis/index.js', '../report/write.js'],
      'cli.ts': ['./app/sweep-and-report.js', './compare/compare.js', './import/adaptgauge.js', './config/schema.js'],
      'bin.ts': ['./cli.js'],
    });
    const { code, stdout } = check(dir);
    expect(stdout).toMatch(/no dependency violations found \(18 modules/);
    expect(code).toBe(0);
  });

  it('fails on each import that goes the wrong way, naming the rule and saying why', () => {
    const dir = tree('wrong', {
      // Each wrong import points at a file that imports nothing, so that only the cycle in runner/ is one.
      'util/hash.ts': ['../config/prices.js'],
      'records/trial.ts': ['type:../providers/provider.js'],
      // The violations this check was written after: config reaching the analysis and the selectors,
      // providers importing task types, the runner drawing reports, compare inside the analysis.
      'config/schema.ts': ['../analysis/prices.js', '../selectors/names.js'],
      'config/prices.ts': [],
      'providers/provider.ts': [],
      'providers/local.ts': ['type:../tasks/task.js', './provider.js'],
      'tasks/task.ts': ['type:../providers/provider.js'],
      'tasks/judge.ts': ['../providers/registry.js'],
      'providers/registry.ts': ['./provider.js'],
      'selectors/names.ts': [],
      'selectors/index.ts': ['../runner/plan.js'],
      'runner/plan.ts': [],
      'runner/sweep.ts': ['../report/write.js', './estimate.js'],
      'runner/estimate.ts': ['type:./sweep.js'],
      'analysis/prices.ts': [],
      'analysis/accumulate.ts': ['../runner/plan.js'],
      'analysis/index.ts': ['./prices.js'],
      'report/write.ts': ['../compare/types.js'],
      'compare/types.ts': [],
      'compare/index.ts': ['../analysis/prices.js', '../analysis/index.js', '../config/prices.js'],
      'import/adaptgauge.ts': ['../runner/plan.js'],
      'app/sweep-and-report.ts': ['../cli.js'],
      'cli.ts': ['./missing.js'],
    });
    const { code, stdout } = check(dir);
    expect(code).toBe(1);
    expect(violations(stdout)).toEqual(
      [
        'util-imports-nothing: src/util/hash.ts -> src/config/prices.ts',
        'records-import-only-util: src/records/trial.ts -> src/providers/provider.ts',
        'config-imports-only-util-records: src/config/schema.ts -> src/analysis/prices.ts',
        'config-imports-only-util-records: src/config/schema.ts -> src/selectors/names.ts',
        'providers-import-only-util-records: src/providers/local.ts -> src/tasks/task.ts',
        'tasks-use-only-the-provider-contract: src/tasks/judge.ts -> src/providers/registry.ts',
        'selectors-import-tasks-config-embeddings: src/selectors/index.ts -> src/runner/plan.ts',
        'runner-draws-no-reports: src/runner/sweep.ts -> src/report/write.ts',
        'no-circular: src/runner/sweep.ts -> src/runner/estimate.ts',
        'no-circular: src/runner/estimate.ts -> src/runner/sweep.ts',
        'analysis-imports-only-config-records: src/analysis/accumulate.ts -> src/runner/plan.ts',
        'report-imports-analysis-records: src/report/write.ts -> src/compare/types.ts',
        'compare-uses-analysis-index: src/compare/index.ts -> src/analysis/prices.ts',
        'compare-imports-analysis-report-records: src/compare/index.ts -> src/config/prices.ts',
        'import-imports-records-analysis-report: src/import/adaptgauge.ts -> src/runner/plan.ts',
        'app-below-the-cli: src/app/sweep-and-report.ts -> src/cli.ts',
        'resolvable: src/cli.ts -> ./missing.js',
      ].sort(),
    );
    // The message names the rule, the import, and what to do instead.
    expect(stdout).toContain('error runner-draws-no-reports: src/runner/sweep.ts → src/report/write.ts');
    expect(stdout).toMatch(/src\/runner\/ runs trials; it imports the layers before it[\s\S]*src\/app\/sweep-and-report\.ts/);
    expect(stdout).toMatch(/17 dependency violations \(17 errors, 0 warnings\)/);
  });
});
