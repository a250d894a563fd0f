import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import yargs, { type Argv } from 'yargs';
import type { AnalysisOverrides } from './analysis/options.js';
import { ConfigError, loadExperiment } from './config/load.js';
import { checkOutputFolders, folderProblem } from './config/paths.js';
import { resolvePrice } from './config/prices.js';
import { MAX_RESAMPLES, MIN_RESAMPLES, type ExperimentConfig } from './config/schema.js';
import { lookSchedule, resolveSampling } from './config/sampling.js';
import { LABEL_ALPHA_SHARES } from './analysis/label-family.js';
import { itemsForDifference, SequentialLevels } from './analysis/sequential.js';
import { compareCommand, FAIL_ON, prepareGate, runGate, type Gate } from './compare/command.js';
import { CompareError, DEFAULT_COMPARE_OPTIONS, type FailOn } from './compare/index.js';
import { TaskDataError } from './tasks/errors.js';
import { formatImportResult, ImportError, importAdaptGauge } from './import/index.js';
import { TrialAccumulator } from './analysis/accumulate.js';
import { checkReportFolderWritable, ReportFolderError, writeReport, writeReportCharts } from './report/write.js';
import { eachTrial, TrialsFileError } from './records/trials-file.js';
import { CACHE_DIR_VARIABLE, CacheError, clearCache, damagedCacheMessage, inspectCache, parseDuration, resolveCacheDir } from './runner/cache.js';
import { BudgetError, checkBudgetEstimate } from './runner/budget.js';
import { countTokensWithApi, estimateSweep, type ProviderEstimate } from './runner/estimate.js';
import { checkContextWindows, contextWindowMessage } from './runner/context-check.js';
import { readSummary } from './records/summary.js';
import { BUILTIN_PROMPT } from './records/trial.js';
import { readRunInfo, RunInfoError, type RunInfo } from './records/run-info.js';
import { Interrupt } from './runner/interrupt.js';
import { BatchRunError, batchCancel, batchStatus, experimentOfRun, jobsOfRun, loadRunBatches } from './runner/batch/command.js';
import { DEFAULT_BATCH_POLL } from './runner/batch/run-batches.js';
import { prepareSweep, prepareTasks } from './runner/prepare.js';
import { runSweep } from './app/sweep-and-report.js';
import { InitError, initExperiment } from './app/init.js';
import { EXPORT_FORMATS, ExportError, exportFineTune } from './app/export-finetune.js';
import type { SelectorSpec } from './selectors/selector.js';
import { TOOL_VERSION } from './version.js';

/**
 * Exit codes: 0 done, 1 unexpected failure (or a regression), 2 bad input (nothing was run), and a
 * stopped sweep 128 + the signal: 130 Ctrl-C (SIGINT), 143 SIGTERM, 129 SIGHUP.
 * `compare` and `sweep --baseline`: 0 no regression, 1 regression (or a flag under --fail-on flag), 2 bad input.
 */
export const EXIT = { ok: 0, failure: 1, regression: 1, badInput: 2, interrupted: 130 } as const;

/** A user error that is not about an experiment file (a missing results folder, say). */
export class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const parser = yargs(argv)
    .scriptName('fewshot')
    .version(TOOL_VERSION)
    .usage(
      '$0 <command> [options]\n\nHow many in-context examples should your prompt carry? Sweeps shot counts x selectors x providers and reports accuracy-vs-shots curves with confidence intervals.',
    )
    .command(
      'sweep <experiment>',
      'Run an experiment: every provider x selector x shot count x repeat over the evaluation items; writes results/<run-id>/',
      (y) =>
        y
          .positional('experiment', { type: 'string', demandOption: true, describe: 'experiment YAML, e.g. experiments/routes.yaml' })
          .option('out', { type: 'string', describe: 'results folder (overrides the experiment\'s "out"; default results/)' })
          .option('concurrency', { type: 'number', requiresArg: true, describe: 'calls in flight per provider (overrides the experiment)' })
          .option('dry-run', { type: 'boolean', default: false, describe: 'print the plan (trials per provider, skipped providers) and call nothing' })
          .option('count-tokens', {
            type: 'boolean',
            default: false,
            describe:
              "with --dry-run: ask the free token-count endpoints (Anthropic, Gemini) for each cell's longest prompt instead of estimating (makes count calls, never completions)",
          })
          .option('quiet', { type: 'boolean', default: false, describe: 'no progress lines' })
          .option('adaptive', {
            type: 'boolean',
            default: false,
            describe:
              "sample in looks and stop each curve once its label is decided (the experiment's sampling: numbers, or a look at each quarter of the items)",
          })
          .option('batch', {
            type: 'boolean',
            default: false,
            describe: "send the calls through the providers' batch APIs (OpenAI, Anthropic, Gemini: half the price, within 24 hours); others run one by one",
          })
          .option('detach', {
            type: 'boolean',
            default: false,
            describe: 'with --batch: submit the jobs and exit; run the same command again (or fewshot batch collect) to collect',
          })
          .option('batch-job-size', { type: 'number', requiresArg: true, describe: "with --batch: at most N requests per job (default: the provider's limit)" })
          .option('batch-poll', {
            type: 'number',
            requiresArg: true,
            describe: `with --batch: seconds before the first status check (default ${DEFAULT_BATCH_POLL.firstMs / 1000}; each wait 1.5x the last, up to ${DEFAULT_BATCH_POLL.maxMs / 1000})`,
          })
          .option('batch-retry', {
            choices: ['sync', 'batch', 'none'] as const,
            describe: 'with --batch: ask expired or cancelled requests again one by one (sync, the default), in a follow-up batch, or not at all',
          })
          .option('force', {
            type: 'boolean',
            default: false,
            describe: "start even when the estimate exceeds the experiment's budget or cannot be priced (the budget still stops calls during the run)",
          })
          .option('budget-reset', {
            type: 'boolean',
            default: false,
            describe: 'do not count against the budget what earlier unfinished attempts of this run spent (results folder spend.jsonl)',
          })
          .option('cache', { type: 'boolean', default: true, describe: 'answer calls made before from the response cache (--no-cache: call everything again)' })
          .option('cache-dir', { type: 'string', describe: 'response cache folder (default: $FEWSHOT_CACHE_DIR, else .fewshot/ beside the experiment)' })
          .option('grace', {
            type: 'number',
            requiresArg: true,
            default: 30,
            describe: 'seconds the calls in flight get to finish after Ctrl-C, SIGTERM or SIGHUP before they are cancelled',
          })
          .option('baseline', {
            type: 'string',
            describe:
              'a results folder of an earlier run of this experiment: after the sweep, compare against it (writes compare.md, compare.json, compare.junit.xml into the run)',
          })
          .option('fail-on', { choices: FAIL_ON, describe: 'with --baseline: exit 1 on a regression (default), on any regression or flag, or never' })
          .option('margin', {
            type: 'number',
            requiresArg: true,
            describe: `with --baseline: the smallest accuracy drop that is a regression (default ${DEFAULT_COMPARE_OPTIONS.margin})`,
          })
          .example('$0 sweep experiments/routes.yaml', 'run the flagship routes sweep')
          .example('$0 sweep experiments/routes.yaml --dry-run --count-tokens', "what it would send, Anthropic's and Gemini's prompts counted by their APIs")
          .example(
            '$0 sweep experiments/routes.yaml --baseline baselines/routes --fail-on regression',
            'the CI gate: sweep, then compare with the baseline; exit 1 on a regression',
          )
          .example('$0 sweep experiments/routes.yaml', 'again after a crash or Ctrl-C: a resume, completed calls come from the cache'),
      async (args) => {
        checkConcurrency(args.concurrency);
        checkGrace(args.grace);
        if (args.countTokens && !args.dryRun) {
          throw new UsageError(
            "--count-tokens works with --dry-run only (the sweep's own budget estimate counts locally: exact for OpenAI models, estimated for the others)",
          );
        }
        if (args.baseline === undefined && (args.failOn !== undefined || args.margin !== undefined)) {
          throw new UsageError(`--${args.failOn !== undefined ? 'fail-on' : 'margin'} needs --baseline <results folder>`);
        }
        const gate = args.baseline !== undefined ? prepareGate(args.experiment, args.baseline, args.failOn ?? 'regression', args.margin, loadExperiment) : null;
        if (args.batchJobSize !== undefined && !(Number.isInteger(args.batchJobSize) && args.batchJobSize > 0)) {
          throw new UsageError(`--batch-job-size: expected a whole number > 0, got ${args.batchJobSize}`);
        }
        if (args.batchPoll !== undefined && !(args.batchPoll > 0 && args.batchPoll <= MAX_TIMER_SECONDS)) {
          throw new UsageError(`--batch-poll: expected seconds > 0 and at most ${MAX_TIMER_SECONDS}, got ${args.batchPoll}`);
        }
        const batchOnly = (['detach', 'batchJobSize', 'batchPoll'] as const).filter((k) => args[k] !== undefined && args[k] !== false);
        if (batchOnly.length > 0 && !args.batch && !loadExperiment(args.experiment).providers.some((p) => p.batch === true)) {
          const flag = batchOnly[0]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
          throw new UsageError(`--${flag} works with --batch (or batch: true on a provider entry), and this sweep sends nothing by batch`);
        }
        checkSweepFolders(args);
        exitCode = args.dryRun ? await dryRun(args.experiment, args.concurrency, args.countTokens, args.adaptive, args.batch) : await sweep(args, gate);
      },
    )
    .command(
      'batch',
      "A run's provider batch jobs (sweep --batch): status, collect, cancel",
      (y) =>
        y
          .command(
            'status <run>',
            'Ask the providers where each batch job of the run stands',
            (c) => c.positional('run', { type: 'string', demandOption: true, describe: 'the results folder of the run, e.g. results/routes-20261206T120000Z' }),
            async (args) => {
              for (const line of await batchStatus(loadRunBatches(args.run, process.env))) console.log(line);
              exitCode = EXIT.ok;
            },
          )
          .command(
            'collect <run>',
            "Wait for the run's batch jobs, collect them and finish the sweep (the same as running the sweep again with --batch)",
            (c) =>
              c
                .positional('run', { type: 'string', demandOption: true, describe: 'the results folder of the run' })
                .option('quiet', { type: 'boolean', default: false, describe: 'no progress lines' })
                .option('grace', { type: 'number', requiresArg: true, default: 30, describe: 'seconds the calls in flight get after Ctrl-C' }),
            async (args) => {
              checkGrace(args.grace);
              const out = dirname(resolve(args.run));
              if (jobsOfRun(args.run).jobs.length === 0) {
                throw new UsageError(`${args.run}: no batch jobs in this run, nothing to collect (to finish the run, run its sweep again)`);
              }
              const { experiment, ranIn } = experimentOfRun(args.run);
              if (ranIn !== process.cwd()) {
                // The folder the sweep ran in, where the run's relative paths lead.
                console.error(`running in ${ranIn}, where the sweep ran`);
                process.chdir(ranIn);
              }
              checkSweepFolders({ experiment, cache: true });
              exitCode = await sweep({ experiment, out, quiet: args.quiet, force: true, batch: true, cache: true, grace: args.grace }, null);
            },
          )
          .command(
            'cancel <run>',
            "Ask the providers to cancel the run's unfinished batch jobs",
            (c) => c.positional('run', { type: 'string', demandOption: true, describe: 'the results folder of the run' }),
            async (args) => {
              for (const line of await batchCancel(loadRunBatches(args.run, process.env), args.run)) console.log(line);
              exitCode = EXIT.ok;
            },
          )
          .demandCommand(1, 'Name a batch command: status, collect or cancel.'),
      () => {},
    )
    .command(
      'export',
      "Write the experiment's data for use elsewhere: export finetune writes the example pool as fine-tuning training data",
      (y) =>
        y
          .command(
            'finetune <experiment>',
            "Write the pool (never an evaluation item) as fine-tuning training data in a provider's format, with the experiment's own prompt",
            (c) =>
              c
                .positional('experiment', { type: 'string', demandOption: true, describe: 'experiment YAML, e.g. experiments/tickets.yaml' })
                .option('format', {
                  choices: EXPORT_FORMATS,
                  demandOption: true,
                  describe: 'openai (chat JSONL), gemini (Vertex AI supervised tuning), anthropic-bedrock (Bedrock Claude 3 Haiku), jsonl (plain input/output)',
                })
                .option('out', {
                  type: 'string',
                  demandOption: true,
                  describe: 'the training file to write, e.g. finetune/train.jsonl (its folder is created)',
                })
                .option('validation-split', {
                  type: 'number',
                  requiresArg: true,
                  describe: "hold out this share of the pool (0 < F < 0.5, seeded by the experiment's seed) as <name>.validation.jsonl beside --out",
                })
                .option('provider', {
                  type: 'string',
                  describe: "a provider entry's name (label or id): its systemPrompt replaces the task's, as the sweep sends it",
                })
                .option('prompt', { type: 'string', describe: 'the prompt variant of `prompts:` to export (default: the first)' })
                .option('force', { type: 'boolean', default: false, describe: 'overwrite existing files' })
                .example(
                  '$0 export finetune experiments/tickets.yaml --format openai --out finetune/tickets.jsonl',
                  'the 300 pool tickets as OpenAI chat JSONL',
                )
                .example(
                  '$0 export finetune experiments/tickets.yaml --format gemini --out finetune/train.jsonl --validation-split 0.2',
                  'Vertex AI tuning data, 20% held out as finetune/train.validation.jsonl',
                )
                .example(
                  '$0 export finetune experiments/support-prompts.yaml --format anthropic-bedrock --prompt plain --out bedrock.jsonl',
                  'the "plain" prompt variant, for Claude 3 Haiku on Amazon Bedrock',
                ),
            (args) => {
              try {
                const result = exportFineTune({
                  experiment: args.experiment,
                  format: args.format,
                  out: args.out,
                  validationSplit: args.validationSplit,
                  provider: args.provider,
                  prompt: args.prompt,
                  force: args.force,
                  env: process.env,
                });
                for (const line of result.lines) console.log(line);
              } catch (err) {
                if (err instanceof ExportError) throw new UsageError(err.message);
                throw err;
              }
              exitCode = EXIT.ok;
            },
          )
          .demandCommand(1, 'Name an export: finetune.'),
      () => {},
    )
    .command(
      'cache',
      'Inspect or clear the response cache (stats, clear)',
      (y) =>
        y
          .command(
            'stats [experiment]',
            'Entries per provider and size on disk',
            (c) => cacheOptions(c),
            (args) => {
              exitCode = cacheStats(cacheDirOf(args));
            },
          )
          .command(
            'clear [experiment]',
            'Delete cached answers: all, or those of one provider and/or older than a duration',
            (c) =>
              cacheOptions(c)
                .option('provider', { type: 'string', describe: 'only this provider id, e.g. openai:gpt-4o-mini' })
                .option('older-than', { type: 'string', describe: 'only entries older than this: 30m, 12h, 7d, 2w' })
                .example('$0 cache clear --provider openai:gpt-4o-mini --older-than 7d', "forget that model's answers from over a week ago"),
            (args) => {
              exitCode = cacheClear(cacheDirOf(args), args.provider, args.olderThan);
            },
          )
          .demandCommand(1, 'Name a cache command: stats or clear.'),
      () => {},
    )
    .command(
      'init',
      'Write an experiment YAML and prompt templates from a data file (CSV with a header, or JSONL); non-interactive',
      (y) =>
        y
          .option('data', { type: 'string', demandOption: true, describe: 'the data file: .csv with a header row, or .jsonl' })
          .option('input', { type: 'string', describe: 'the input column (default: the longest text column)' })
          .option('label', { type: 'string', describe: 'the label column: a classification (default: a column with few distinct values)' })
          .option('output', { type: 'string', describe: 'the expected-output column: a generation task' })
          .option('out', { type: 'string', default: 'experiment.yaml', describe: 'the experiment file to write; prompts/ goes beside it' })
          .option('force', { type: 'boolean', default: false, describe: 'overwrite existing files' })
          .example('$0 init --data data/tickets.csv', 'propose the columns, write experiment.yaml and prompts/tickets.*.md'),
      (args) => {
        const result = initExperiment({ data: args.data, input: args.input, label: args.label, output: args.output, out: args.out, force: args.force });
        for (const line of result.lines) console.log(line);
      },
    )
    .command(
      'validate <experiment>',
      'Check an experiment file and print what a sweep would run, without running it',
      (y) => y.positional('experiment', { type: 'string', demandOption: true }),
      async (args) => {
        checkSweepFolders({ experiment: args.experiment, cache: false });
        exitCode = await dryRun(args.experiment, undefined);
      },
    )
    .command(
      'import <format> <file>',
      "Turn another tool's raw results into fewshot runs (one results folder per task), then analyse them like any run",
      (y) =>
        y
          .positional('format', { choices: ['adaptgauge'] as const, demandOption: true, describe: 'the source tool' })
          .positional('file', { type: 'string', demandOption: true, describe: 'its raw results CSV' })
          .option('out', { type: 'string', demandOption: true, describe: 'folder for the runs, e.g. results/adaptgauge-cloud (one per CSV)' })
          .option('name', { type: 'string', describe: 'run name (default: from the file name)' })
          .example('$0 import adaptgauge raw_results_cloud.csv --out results/ag-cloud', 'one run folder per task under results/ag-cloud'),
      async (args) => {
        // The name starts every run id and so a folder name: the characters experiment names allow.
        if (args.name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(args.name)) {
          throw new UsageError(`--name ${JSON.stringify(args.name)}: expected letters, digits, ".", "_" or "-", starting with a letter or digit`);
        }
        const outProblem = folderProblem(args.out);
        if (outProblem !== null) throw new UsageError(`--out ${args.out}: ${outProblem}; expected a folder for the runs (or one to create)`);
        const result = importAdaptGauge(args.file, args.out, args.name !== undefined ? { name: args.name } : {});
        for (const run of result.runs) {
          const summary = readSummary(join(run.dir, 'summary.json'));
          await writeReportCharts(run.dir, summary, readRunInfo(join(run.dir, 'run.json')));
        }
        for (const line of formatImportResult(result)) console.log(line);
        exitCode = EXIT.ok;
      },
    )
    .command(
      'compare <baseline> <candidate>',
      'Compare two runs of an experiment cell by cell (paired over items): regressions, flags, what changed in the prompt; exit 1 on a regression',
      (y) =>
        y
          .positional('baseline', {
            type: 'string',
            demandOption: true,
            describe: 'results folder of the baseline run (or a folder of runs: the latest is taken)',
          })
          .positional('candidate', { type: 'string', demandOption: true, describe: 'results folder of the candidate run' })
          .option('margin', {
            type: 'number',
            requiresArg: true,
            describe: `smallest drop in accuracy (or rise in answer failures) that is a regression (default ${DEFAULT_COMPARE_OPTIONS.margin} = 3 points)`,
          })
          .option('alpha', {
            type: 'number',
            requiresArg: true,
            describe: `family-wise error rate over the compared cells, Holm (default ${DEFAULT_COMPARE_OPTIONS.alpha})`,
          })
          .option('cost-threshold', {
            type: 'number',
            requiresArg: true,
            describe: `relative rise in tokens or cost per request that is flagged (default ${DEFAULT_COMPARE_OPTIONS.costThreshold} = 10%)`,
          })
          .option('resamples', {
            type: 'number',
            requiresArg: true,
            describe: `sign-flip test draws beyond its exact range (default ${DEFAULT_COMPARE_OPTIONS.resamples})`,
          })
          .option('markdown', { type: 'string', describe: 'write the Markdown summary to this file (no file: print it instead of the table)' })
          .option('junit', { type: 'string', describe: 'write JUnit XML (one test case per compared cell) to this file (no file: print it)' })
          .option('json', { type: 'string', describe: 'write the full comparison as JSON to this file (no file: print it)' })
          .option('fail-on', { choices: FAIL_ON, default: 'regression' as FailOn, describe: 'exit 1 on a regression, on any regression or flag, or never' })
          .option('allow-different-experiments', {
            type: 'boolean',
            default: false,
            describe: 'compare runs of differently named experiments (the task type must still match)',
          })
          .example('$0 compare baselines/routes results/routes-20261125T180000Z', 'the table, exit 1 on a regression')
          .example('$0 compare baselines/routes results/routes-20261125T180000Z --markdown >> "$GITHUB_STEP_SUMMARY"', 'the Markdown summary for a CI job'),
      (args) => {
        checkResamples(args.resamples, (message) => new CompareError(message));
        exitCode = compareCommand(args);
      },
    )
    .command(
      'report <run>',
      'Rebuild summary.json, summary.md and report.html of a results folder from its trials.jsonl (no provider is called)',
      (y) =>
        y
          .positional('run', { type: 'string', demandOption: true, describe: 'a results folder, e.g. results/routes-20261125T173000Z' })
          .option('alpha', {
            type: 'number',
            requiresArg: true,
            describe: "family-wise error rate of the significance tests (default: the experiment's, else 0.05)",
          })
          .option('delta', {
            type: 'number',
            requiresArg: true,
            describe: "practical margin in accuracy, e.g. 0.05 = 5 points (default: the experiment's, else 0.05)",
          })
          .option('target', { type: 'number', requiresArg: true, describe: 'target accuracy in (0, 1]: missing it on a settled curve means fine-tune' })
          .option('requests-per-month', { type: 'number', requiresArg: true, describe: 'production volume, for the monthly cost' })
          .option('resamples', { type: 'number', requiresArg: true, describe: 'randomization/bootstrap resamples (default 2000)' }),
      async (args) => {
        exitCode = await rebuildReport(args.run, reportOverrides(args));
      },
    )
    .demandCommand(1, 'Name a command: init, sweep, validate, compare, report, import or cache (see --help).')
    .strict()
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((message, err, y) => {
      // yargs' own validation failures (a YError, or a check's message) are usage errors;
      // an Error thrown by a command handler is not, and goes to reportError.
      if (err instanceof Error && err.name !== 'YError') throw err;
      if (exitCode === EXIT.badInput) return; // yargs may report the same failure twice
      y.showHelp('error');
      console.error(`\n${message ?? String(err)}`);
      exitCode = EXIT.badInput;
    })
    .exitProcess(false);

  try {
    await parser.parseAsync();
  } catch (err) {
    return reportError(err);
  }
  return exitCode;
}

/** The longest wait a Node timer can hold (2^31 - 1 ms); a longer one fires at once. */
const MAX_TIMER_SECONDS = 2_147_483;

function checkGrace(grace: number): void {
  if (!(grace >= 0 && grace <= MAX_TIMER_SECONDS)) throw new UsageError(`--grace: expected seconds >= 0 and at most ${MAX_TIMER_SECONDS}, got ${grace}`);
}

/** Before any call: the results folder (and for a sweep the response cache's) can be written; exit 2 naming the path otherwise. */
function checkSweepFolders(args: { experiment: string; out?: string | undefined; cache: boolean; cacheDir?: string | undefined }): void {
  const source = args.cacheDir ? 'flag' : process.env[CACHE_DIR_VARIABLE] ? 'env' : 'default';
  checkOutputFolders({
    experiment: args.experiment,
    config: loadExperiment(args.experiment),
    outFlag: args.out,
    cache: args.cache ? { dir: resolveCacheDir({ flag: args.cacheDir, env: process.env, experimentPath: args.experiment }), source } : null,
    usageError: (message) => new UsageError(message),
  });
}

function checkConcurrency(value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
    throw new UsageError(`--concurrency: expected a whole number > 0, got ${value}`);
  }
}

async function sweep(
  args: {
    experiment: string;
    out?: string | undefined;
    concurrency?: number | undefined;
    quiet: boolean;
    force: boolean;
    budgetReset?: boolean;
    adaptive?: boolean;
    batch?: boolean;
    detach?: boolean;
    batchRetry?: 'sync' | 'batch' | 'none' | undefined;
    batchJobSize?: number | undefined;
    batchPoll?: number | undefined;
    cache: boolean;
    cacheDir?: string | undefined;
    grace: number;
  },
  gate: Gate | null,
): Promise<number> {
  // First Ctrl-C, SIGTERM or SIGHUP: no new calls, a bounded wait for those in flight, a partial report
  // (exit 130, 143, 129); a second signal of any kind quits at once.
  const interrupt = new Interrupt(
    args.grace * 1000,
    (line) => console.error(`\n${line}`),
    (code) => process.exit(code),
  );
  const unlisten = interrupt.listen(process);
  try {
    const result = await runSweep({
      experimentPath: args.experiment,
      ...(args.out !== undefined && { outDir: args.out }),
      ...(args.concurrency !== undefined && { concurrency: args.concurrency }),
      quiet: args.quiet,
      force: args.force,
      ...(args.budgetReset && { budgetReset: true }),
      ...(args.adaptive && { adaptive: true }),
      ...(args.batch && { batch: true }),
      ...(args.detach && { detach: true }),
      ...(args.batchRetry !== undefined && { batchRetry: args.batchRetry }),
      ...(args.batchJobSize !== undefined && { batchJobSize: args.batchJobSize }),
      ...(args.batchPoll !== undefined && {
        batchPoll: { firstMs: Math.round(args.batchPoll * 1000), maxMs: Math.max(Math.round(args.batchPoll * 1000), DEFAULT_BATCH_POLL.maxMs) },
      }),
      ...(args.cache && { cacheDir: resolveCacheDir({ flag: args.cacheDir, env: process.env, experimentPath: args.experiment }) }),
      shouldStop: () => interrupt.stopping,
      abortSignal: interrupt.signal,
    });
    const hits = result.cacheHits > 0 ? ` (${result.cacheHits} answered from the cache)` : '';
    const state = result.status === 'complete' ? 'done' : result.batch === 'detached' ? 'detached' : 'stopped early';
    console.log(`${state}: ${result.trials} trials${hits} in ${result.seconds.toFixed(1)}s`);
    console.log(
      `${result.newCalls} new call${result.newCalls === 1 ? '' : 's'}, ${result.cacheHits} from the cache, ${result.sharedCalls} shared with an identical call in flight`,
    );
    // Stopped while batch jobs ran: they run on at the provider. Only someone at a terminal is asked whether to cancel them.
    if (result.batch === 'stopped' && process.stdin.isTTY && process.stderr.isTTY) await offerBatchCancel(result.runDir);
    if (interrupt.stopping) return interrupt.exitCode ?? EXIT.interrupted;
    return gate ? runGate(gate, result.runDir) : EXIT.ok;
  } finally {
    interrupt.dispose();
    unlisten();
  }
}

/** Asks at the terminal whether to cancel the run's unfinished batch jobs (default: leave them running). */
async function offerBatchCancel(runDir: string): Promise<void> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question('cancel the submitted batch jobs? (requests already answered stay billed) [y/N] ');
    if (/^y(es)?$/i.test(answer.trim())) for (const line of await batchCancel(loadRunBatches(runDir, process.env), runDir)) console.log(line);
  } finally {
    rl.close();
  }
}

function cacheOptions<T>(y: Argv<T>) {
  return y.positional('experiment', { type: 'string', describe: 'the experiment whose cache (.fewshot/ beside it) to use' }).option('cache-dir', {
    type: 'string',
    describe: 'response cache folder (default: $FEWSHOT_CACHE_DIR, else .fewshot/ beside the experiment, else in the working directory)',
  });
}

function cacheDirOf(args: { experiment?: string | undefined; cacheDir?: string | undefined }): string {
  // The cache sits beside the experiment: a mistyped path would show (or clear) some other folder's.
  if (args.experiment !== undefined && !(existsSync(args.experiment) && statSync(args.experiment).isFile())) {
    throw new UsageError(`${args.experiment}: no such experiment file; the response cache is found beside the experiment`);
  }
  if (args.cacheDir !== undefined && existsSync(args.cacheDir) && !statSync(args.cacheDir).isDirectory()) {
    throw new UsageError(`--cache-dir ${args.cacheDir}: is a file; expected the response cache folder`);
  }
  return resolveCacheDir({ flag: args.cacheDir, env: process.env, experimentPath: args.experiment });
}

function cacheStats(dir: string): number {
  const found = inspectCache(dir);
  if (found.state === 'missing') {
    console.log(`no response cache in ${dir}`);
    return EXIT.ok;
  }
  // A damaged file is reported as such (exit 2), never as a healthy cache; it is left as it is.
  if (found.state === 'damaged') {
    console.error(`error: ${damagedCacheMessage(found.path, found.reason)}`);
    return EXIT.badInput;
  }
  const { stats } = found;
  console.log(`${relative(process.cwd(), stats.path) || stats.path}: ${stats.entries} entries, ${formatBytes(stats.sizeBytes)} on disk`);
  for (const p of stats.byProvider) console.log(`  ${p.provider}  ${p.entries}`);
  return EXIT.ok;
}

function cacheClear(dir: string, provider: string | undefined, olderThan: string | undefined): number {
  // Checked before the file is touched: a typo must not clear everything.
  const olderThanMs = olderThan === undefined ? undefined : parseDuration(olderThan);
  if (olderThanMs === null) throw new UsageError(`--older-than: expected a duration such as 30m, 12h, 7d or 2w, got "${olderThan}"`);
  // Works on a damaged file too: without a filter it is deleted, with one it is moved aside whole.
  const outcome = clearCache(dir, { provider, olderThanMs });
  const shown = relative(process.cwd(), outcome.path) || outcome.path;
  if (outcome.state === 'missing') console.log(`no response cache in ${dir}: nothing to clear`);
  else if (outcome.state === 'cleared') {
    console.log(`removed ${outcome.removed} entries; ${outcome.left} left in ${shown}`);
    // Nothing matched a provider: likely a typo; name what the cache does hold.
    if (provider !== undefined && outcome.removed === 0 && outcome.left > 0) {
      const found = inspectCache(dir);
      if (found.state === 'ok') console.log(`no entries of ${provider}; the cache holds ${found.stats.byProvider.map((p) => p.provider).join(', ')}`);
    }
  } else if (outcome.state === 'damaged-removed') console.log(`removed ${shown}: it was damaged (${outcome.reason}); the next sweep starts a fresh cache`);
  else {
    const moved = relative(process.cwd(), outcome.movedTo) || outcome.movedTo;
    console.log(
      `${shown} is damaged (${outcome.reason}): entries cannot be picked out of it, so it was moved whole to ${moved} (delete that once you no longer need it); the next sweep starts a fresh cache`,
    );
  }
  return EXIT.ok;
}

function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1 << 10 ? `${(n / (1 << 10)).toFixed(1)} KiB` : `${n} B`;
}

async function dryRun(experiment: string, concurrency: number | undefined, countTokens = false, adaptive = false, batch = false): Promise<number> {
  const prepared = prepareSweep(experiment, process.env, concurrency);
  // A scorer module is imported and tried on the first item: a failure is an error (exit 2), a score other than 1 a note.
  await prepareTasks(prepared);
  const { config, data, resolutions, plan } = prepared;
  let estimated = estimateSweep(prepared);
  const notes: { provider: string; text: string }[] = [];
  if (countTokens) {
    const counted = await countTokensWithApi(prepared, estimated);
    estimated = counted.estimates;
    notes.push(...counted.notes);
    if (!resolutions.some((r) => r.status === 'ready' && r.provider.capabilities.countTokens)) {
      data.notices.push(
        '--count-tokens: no provider here counts tokens through its API (Anthropic and Gemini do, with their keys set); the counts below are local',
      );
    }
  }
  // No cell may send a prompt that, with its output, exceeds the model's context window: exit 2 naming each.
  const context = checkContextWindows(prepared, estimated);
  if (context.overflows.length > 0) {
    console.error(`error: ${contextWindowMessage(context.overflows, config.repeats)}`);
    return EXIT.badInput;
  }
  notes.push(...context.notes);
  console.log(`${experiment}: valid experiment "${config.name}"`);
  console.log(`  task ${config.task.type}: ${data.pool.length} pool examples, ${data.items.length} evaluation items`);
  console.log(
    `  shots ${[...config.shots].sort((a, b) => a - b).join(', ')}; selectors ${config.selectors.map(describeSelector).join(', ')}; repeats ${config.repeats}`,
  );
  for (const note of data.notices) console.log(`  note: ${note}`);
  const estimates = new Map(estimated.map((e) => [e.provider, e]));
  for (const r of resolutions) {
    const e = estimates.get(r.name);
    if (r.status !== 'ready' || !e) {
      console.log(`  ${r.name}: skipped (${r.status === 'skipped' ? r.reason : 'not planned'})`);
      continue;
    }
    console.log(`  ${r.name}: ${e.calls} calls, about ${formatCount(e.promptTokens)} prompt tokens, ${e.tokenCount.label}`);
    console.log(
      `    prompt tokens per call by cell: ${e.cells.map((c) => `${c.prompt === BUILTIN_PROMPT ? '' : `${c.prompt}/`}${c.selector} k=${c.k} ~${c.meanPromptTokens} (longest ${c.maxPromptTokens})`).join(', ')}`,
    );
    const fit = context.fits.get(r.name);
    if (fit) {
      console.log(
        `    context window: ${fit.window.tokens.toLocaleString('en-US')} tokens (${fit.window.source}); the longest prompt (${fit.longestPrompt.toLocaleString('en-US')} tokens) + ${fit.output.label} fits`,
      );
    }
    for (const note of notes) if (note.provider === r.name) console.log(`    note: ${note.text}`);
    if (r.id !== 'local') {
      const money = (x: number) => `${e.cost?.currency === 'USD' ? '$' : ''}${x.toFixed(2)}${e.cost?.currency !== 'USD' ? ` ${e.cost?.currency}` : ''}`;
      console.log(
        e.cost
          ? `    estimated cost: ${money(e.cost.input)} for the prompts${e.cost.upToWithOutput !== null ? `, at most ${money(e.cost.upToWithOutput)} with every reply at maxOutputTokens` : ''} (${e.cost.source})`
          : `    estimated cost: unknown (no price for ${r.id}: add it under prices: in the experiment)`,
      );
      if (batch || r.config.batch) for (const line of batchEstimate(r.provider, r.id, e, config.prices ?? null)) console.log(line);
      console.log(
        e.minutesAtRateLimits !== null
          ? `    estimated time: at least ${e.minutesAtRateLimits.toFixed(1)} min at the configured rate limits`
          : `    estimated time: no rate limit set; bounded by concurrency ${r.config.concurrency ?? config.concurrency} and the provider's latency`,
      );
    }
  }
  console.log(`  total: ${plan.length} trials`);
  for (const line of adaptiveEstimate(config, data.items.length, plan.length, estimated, adaptive)) console.log(line);
  if (prepared.judge !== null) {
    // The judge grades answers that parse: how many is known only after they come; the trials bound it.
    const calibration = prepared.calibration?.set.cases.length ?? 0;
    console.log(
      `  judge ${prepared.judge.provider.id}: up to ${plan.length} grading calls (one per answer that parses)${calibration > 0 ? ` plus ${calibration} for the calibration set` : ''}; not in the estimates above (the budget still counts them)`,
    );
  }
  if (config.budget !== undefined) {
    try {
      checkBudgetEstimate([...estimates.values()], config.budget, false, config.prices ?? null);
      console.log(`  budget: ${config.budget} (price table currency); the estimate fits`);
    } catch (err) {
      if (!(err instanceof BudgetError)) throw err;
      console.log(`  budget: ${err.message}`);
    }
  }
  return EXIT.ok;
}

/** `--resamples` of report and compare: the range analysis.resamples allows (a huge count runs for hours). */
function checkResamples(value: number | undefined, fail: (message: string) => Error): number | undefined {
  if (value !== undefined && !(Number.isInteger(value) && value >= MIN_RESAMPLES && value <= MAX_RESAMPLES)) {
    throw fail(`--resamples: expected a whole number from ${MIN_RESAMPLES} to ${MAX_RESAMPLES}, got ${value}`);
  }
  return value;
}

/** `similar`, `mmr (diverse, lambda 0.3)`, `embedding (provider openai:text-embedding-3-small)`: the curve's label, then its selector and options. */
function describeSelector(spec: SelectorSpec): string {
  const details = [
    ...(spec.label !== undefined ? [spec.name] : []),
    ...(spec.lambda !== undefined ? [`lambda ${spec.lambda}`] : []),
    ...(spec.provider !== undefined ? [`provider ${spec.provider}`] : []),
  ];
  return details.length > 0 ? `${spec.label ?? spec.name} (${details.join(', ')})` : spec.name;
}

function formatCount(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)}k` : String(n);
}

/** Checks `fewshot report`'s statistics flags; a bad value is a usage error (exit 2). */
function reportOverrides(args: {
  alpha?: number | undefined;
  delta?: number | undefined;
  target?: number | undefined;
  requestsPerMonth?: number | undefined;
  resamples?: number | undefined;
}): AnalysisOverrides {
  const check = (name: string, value: number | undefined, ok: (v: number) => boolean, expected: string) => {
    if (value !== undefined && !(Number.isFinite(value) && ok(value))) throw new UsageError(`--${name}: expected ${expected}, got ${value}`);
    return value;
  };
  const overrides: AnalysisOverrides = {};
  const alpha = check('alpha', args.alpha, (v) => v > 0 && v < 0.5, 'a number in (0, 0.5)');
  const delta = check('delta', args.delta, (v) => v > 0 && v < 1, 'a number in (0, 1)');
  const target = check('target', args.target, (v) => v > 0 && v <= 1, 'a number in (0, 1]');
  const volume = check('requests-per-month', args.requestsPerMonth, (v) => Number.isInteger(v) && v > 0, 'a whole number > 0');
  const resamples = checkResamples(args.resamples, (message) => new UsageError(message));
  if (alpha !== undefined) overrides.alpha = alpha;
  if (delta !== undefined) overrides.delta = delta;
  if (target !== undefined) overrides.target = target;
  if (volume !== undefined) overrides.requestsPerMonth = volume;
  if (resamples !== undefined) overrides.resamples = resamples;
  return overrides;
}

async function rebuildReport(runDir: string, overrides: AnalysisOverrides): Promise<number> {
  const infoPath = join(runDir, 'run.json');
  const trialsPath = join(runDir, 'trials.jsonl');
  for (const path of [infoPath, trialsPath]) {
    if (!existsSync(path)) throw new UsageError(`${path}: not found; expected a results folder written by "fewshot sweep"`);
    if (!statSync(path).isFile()) throw new UsageError(`${path}: is not a file; expected a results folder written by "fewshot sweep"`);
  }
  let info: RunInfo;
  try {
    // run.json by the schema every reader shares; then, before the trials are read, the folder must take the report.
    info = readRunInfo(infoPath);
    checkReportFolderWritable(runDir);
  } catch (err) {
    if (err instanceof RunInfoError || err instanceof ReportFolderError) throw new UsageError(err.message);
    throw err;
  }
  // Streamed into running totals, as the sweep does: a million-trial run rebuilds in flat memory.
  const totals = new TrialAccumulator(info.task.measures.map((m) => m.key));
  const { count, warnings } = eachTrial(trialsPath, (t) => totals.add(t));
  for (const w of warnings) console.error(`warning: ${w}`);
  const { reportPath, summary } = writeReport(runDir, totals, info, { notices: warnings, overrides });
  await writeReportCharts(runDir, summary, info);
  console.log(`rebuilt from ${count} trials: ${relative(process.cwd(), reportPath) || reportPath}`);
  return EXIT.ok;
}

function reportError(err: unknown): number {
  if (err instanceof ConfigError) {
    console.error(`error: invalid experiment\n${err.message}`);
    return EXIT.badInput;
  }
  if (err instanceof BudgetError) {
    console.error(`error: not started: ${err.message}`);
    return EXIT.badInput;
  }
  if (
    err instanceof TrialsFileError ||
    err instanceof UsageError ||
    err instanceof InitError ||
    err instanceof ImportError ||
    err instanceof TaskDataError ||
    err instanceof CompareError ||
    err instanceof CacheError ||
    err instanceof BatchRunError
  ) {
    console.error(`error: ${err.message}`);
    return EXIT.badInput;
  }
  // A failure no check foresaw: its message, and its stack only when asked for (no stack reaches a user by default).
  const stack = process.env.FEWSHOT_DEBUG && err instanceof Error ? err.stack : undefined;
  console.error(`error: ${stack ?? (err instanceof Error ? err.message : String(err))}`);
  if (!stack) console.error(`(an unexpected failure: set FEWSHOT_DEBUG=1 to see where it happened, and please report it)`);
  return EXIT.failure;
}

/** The dry run's lines for a provider sent by batch: how many jobs, and the cost at the batch price. */
function batchEstimate(
  provider: { batch?: { limits: { maxRequests: number } } | undefined },
  id: string,
  e: ProviderEstimate,
  prices: ExperimentConfig['prices'] | null,
): string[] {
  if (!provider.batch) return ['    by batch: this API has no batch engine; its calls are made one by one'];
  const jobs = Math.ceil(e.calls / provider.batch.limits.maxRequests);
  const price = resolvePrice(id, prices ?? undefined);
  if (!price)
    return [
      `    by batch: ${e.calls} requests in about ${jobs} job${jobs === 1 ? '' : 's'} (at most ${provider.batch.limits.maxRequests} requests each); no price`,
    ];
  const input = (e.promptTokens * price.batch.input) / 1_000_000;
  const upTo = e.maxOutputTokens !== null ? input + (e.maxOutputTokens * price.batch.output) / 1_000_000 : null;
  const money = (x: number) => `${price.currency === 'USD' ? '$' : ''}${x.toFixed(2)}${price.currency !== 'USD' ? ` ${price.currency}` : ''}`;
  return [
    `    by batch: ${e.calls} requests in about ${jobs} job${jobs === 1 ? '' : 's'} (at most ${provider.batch.limits.maxRequests.toLocaleString('en-US')} requests each; fewer distinct requests are sent when trials repeat one); ${money(input)} for the prompts${upTo !== null ? `, at most ${money(upTo)}` : ''} at the batch price (${price.batchSource}); results within 24 hours`,
  ];
}

/**
 * The dry run's lines on adaptive sampling: the looks, the worst case (every curve to the last look),
 * the expected case (every curve decided at the first look with the items a difference of delta needs
 * at 80% power), and that power estimate itself, so a team sizes its dataset before paying.
 */
function adaptiveEstimate(
  config: ExperimentConfig,
  items: number,
  trials: number,
  estimates: readonly { cost: { upToWithOutput: number | null; input: number; currency: string } | null }[],
  flag: boolean,
): string[] {
  const sampling = resolveSampling(flag ? { ...config.sampling, mode: 'adaptive' } : config.sampling, items);
  const looks = lookSchedule(sampling.firstLook, sampling.step, sampling.maxItems);
  const { alpha, delta } = config.analysis;
  // The plateau/no-benefit checks need the most items: their share of alpha, at the looks' nominal level.
  const fixedLevel = alpha * LABEL_ALPHA_SHARES.flat;
  const fixedNeeded = itemsForDifference(delta, fixedLevel, ASSUMED_DIFFERENCE_SD);
  const points = `a difference of delta (${(delta * 100).toFixed(0)} points)`;
  const sd = `for item differences of standard deviation ${ASSUMED_DIFFERENCE_SD}`;
  if (sampling.mode !== 'adaptive') return [`  power: ${points} needs about ${fixedNeeded} items per cell to be shown with 80% power, ${sd}`];
  const needed = itemsForDifference(delta, new SequentialLevels(looks).nominal(fixedLevel), ASSUMED_DIFFERENCE_SD);
  const callsAt = (n: number) => Math.round((trials * n) / items);
  const expectedLook = looks.find((n) => n >= needed) ?? sampling.maxItems;
  const priced = estimates.filter((e) => e.cost !== null);
  const full = priced.reduce((sum, e) => sum + (e.cost!.upToWithOutput ?? e.cost!.input), 0);
  const currency = priced[0]?.cost?.currency ?? '';
  const money = (share: number) => (full > 0 ? `, up to about ${(full * share).toFixed(2)} ${currency}` : '');
  return [
    `  adaptive sampling: looks at ${looks.join(', ')} items (of ${items}); a curve stops at the look its label is decided`,
    `    worst case: every curve to the last look: ${callsAt(sampling.maxItems)} trials${money(sampling.maxItems / items)} (the full grid: ${trials})`,
    `    expected: every curve decided by the look at ${expectedLook} items: about ${callsAt(expectedLook)} trials${money(expectedLook / items)} (clear curves such as a peak-regression stop sooner; a curve at a label boundary runs to the last look)`,
    `  power: ${points} needs about ${needed} items per cell to be shown with 80% power at the looks' level (${fixedNeeded} at a fixed n), ${sd}`,
  ];
}

/** The spread of paired item differences the power estimate assumes (0/1 scores that differ between two k on a quarter of items). */
const ASSUMED_DIFFERENCE_SD = 0.5;
