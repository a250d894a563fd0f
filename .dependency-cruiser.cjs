// The layers of src/ and the directions imports may take between them, checked by `npm run deps`
// (part of `npm test`). A layer imports from layers before it, never after:
//
//   util, version.ts  (anyone may import them; they import nothing of src/)
//   records           the files fewshot writes: trials.jsonl, run.json, summary.json
//   config            what the experiment YAML says (schema, selector names, prices)
//   providers         the provider contract (provider.ts) and the adapters
//   tasks             may use the provider contract (provider.ts), no provider implementation
//   selectors
//   runner
//   analysis
//   report
//   compare, import   beside each other, after report
//   app, cli.ts, bin.ts   wire everything together
//
// Type-only imports count: the check parses with swc (TypeScript 7 has no JavaScript API that
// dependency-cruiser's own TypeScript parser could load), which keeps `import type` like any import.
// Each rule's comment is the message printed when an import breaks it (`--output-type err-long`).

/** A path regex of src/ folders (and top-level files) that a layer may import besides itself. */
const under = (...names) => `^src/(${names.join('|')})`;
/** Anyone may import these: src/util/ and the version constant. */
const LEAVES = ['util/', 'version\\.ts$'];

/** Allow-list rule: files under `from` may import nothing of src/ but the listed layers (and the leaves). */
function onlyImports(name, from, allowed, comment) {
  return {
    name,
    severity: 'error',
    comment,
    from: { path: `^src/${from}` },
    to: { path: '^src/', pathNot: under(from, ...allowed, ...LEAVES) },
  };
}

/** Deny-list rule: files under `from` must not import the listed layers. */
function neverImports(name, from, denied, comment) {
  return {
    name,
    severity: 'error',
    comment,
    from: { path: `^src/${from}` },
    to: { path: under(...denied) },
  };
}

/** The app and the CLI on top of it: no layer below imports them. */
const APP = ['app/', 'cli\\.ts$', 'bin\\.ts$'];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycle: modules must form a tree of layers (an ESM cycle can leave values uninitialized). Move the shared part to the earlier module, or to a small module both import.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'resolvable',
      severity: 'error',
      comment: 'A relative import the checker cannot resolve to a file: every import between files of src/ must resolve (else the layer rules cannot see where it goes).',
      from: { path: '^src/' },
      to: { couldNotResolve: true, path: '^[.]' },
    },
    onlyImports(
      'util-imports-nothing',
      'util/',
      [],
      'src/util/ is imported by anyone and imports nothing of src/ (and src/version.ts the same): move the code that needs a layer into that layer.',
    ),
    onlyImports('version-imports-nothing', 'version\\.ts$', [], 'src/version.ts is a leaf: it imports nothing of src/.'),
    onlyImports(
      'records-import-only-util',
      'records/',
      [],
      'src/records/ (the files fewshot writes and reads: trial records, run.json, summary.json) imports only src/util/: every layer reads records, so records depend on no layer.',
    ),
    onlyImports(
      'config-imports-only-util-records',
      'config/',
      ['records/'],
      'src/config/ (what the experiment YAML says) imports only src/util/ and src/records/: validating an experiment must not load selectors, providers, the runner or the analysis. Constants the schema needs (selector names, prices) belong in config.',
    ),
    onlyImports(
      'providers-import-only-util-records',
      'providers/',
      ['records/'],
      'src/providers/ imports only src/util/ and src/records/, never tasks, config or the runner: the `local` baseline reaches the task through the LocalBaseline seam (providers/provider.ts), and resolveProvider reads a ProviderEntry it defines itself.',
    ),
    onlyImports(
      'tasks-use-only-the-provider-contract',
      'tasks/',
      ['config/', 'records/', 'providers/provider\\.ts$'],
      'src/tasks/ imports config, records, util and the providers\' contract (src/providers/provider.ts: ChatMessage, CompletionRequest, LocalBaseline types) only: no provider implementation (the registry, adapters), no selector, runner or later layer. A task never calls a model: scoring that needs one (AdaptGauge\'s judge) describes the call, and the runner makes it.',
    ),
    onlyImports(
      'selectors-import-tasks-config-embeddings',
      'selectors/',
      ['tasks/', 'config/', 'records/', 'providers/embeddings\\.ts$', 'providers/provider\\.ts$'],
      'src/selectors/ imports tasks, config, records, util and, for the embedding selector, src/providers/embeddings.ts (and the provider contract) only: nothing of the runner or later layers.',
    ),
    neverImports(
      'runner-draws-no-reports',
      'runner/',
      ['analysis/', 'report/', 'compare/', 'import/', ...APP],
      'src/runner/ runs trials; it imports the layers before it (config, tasks, selectors, providers, records, util) but never analysis, report, compare, import or the app: the app (src/app/sweep-and-report.ts) turns the runner\'s totals into a report.',
    ),
    onlyImports(
      'analysis-imports-only-config-records',
      'analysis/',
      ['config/', 'records/'],
      'src/analysis/ computes from records (src/records/) and the settings config owns; it imports config, records and util only: never the runner\'s implementation, and nothing of report, compare, import or the app.',
    ),
    onlyImports(
      'report-imports-analysis-records',
      'report/',
      // tasks/task.ts: report/table.ts's TaskMeasure, until that record type has moved to src/records/.
      ['analysis/', 'records/', 'tasks/task\\.ts$'],
      'src/report/ draws records and the analysis (prices included, through src/analysis/index.ts); it imports analysis, records and util only: never the runner, compare, import or the app.',
    ),
    {
      name: 'compare-uses-analysis-index',
      severity: 'error',
      comment: 'src/compare/ uses the analysis through its public index (src/analysis/index.ts) only: export what compare needs from there.',
      from: { path: '^src/compare/' },
      to: { path: '^src/analysis/', pathNot: '^src/analysis/index\\.ts$' },
    },
    onlyImports(
      'compare-imports-analysis-report-records',
      'compare/',
      // The analysis' internals are compare-uses-analysis-index's to report.
      ['analysis/', 'report/', 'records/'],
      'src/compare/ imports the analysis (through src/analysis/index.ts), report, records and util only: no config, task, provider, selector, runner, import or app. What it needs from an experiment file the CLI passes in.',
    ),
    onlyImports(
      'import-imports-records-analysis-report',
      'import/',
      ['records/', 'analysis/', 'report/'],
      'src/import/ turns another tool\'s results into fewshot records: it imports records, analysis, report and util only (no runner, provider, task, compare or app).',
    ),
    onlyImports(
      'app-below-the-cli',
      'app/',
      ['config/', 'tasks/', 'providers/', 'selectors/', 'runner/', 'analysis/', 'report/', 'compare/', 'import/', 'records/'],
      'src/app/ may import any layer, but not the CLI (src/cli.ts, src/bin.ts), which sits on top of it.',
    ),
  ],
  options: {
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
