/**
 * `fewshot export finetune` (issue 19): the experiment's example pool as fine-tuning training data,
 * in a provider's documented JSONL format. Each line is one pool item (never an evaluation item) as
 * the sweep asks it at k = 0, with the experiment's own prompt (the chosen variant, a provider
 * entry's `systemPrompt`), and the expected answer as the prompt shows it for a shot
 * (tasks/training-examples.ts): a tuned model learns the very prompt it will be asked.
 *
 * Before anything is written, the leakage guard checks that no exported example is an evaluation
 * item, by id and by rendered prompt; afterwards the count is set against the provider's minimum and
 * recommended sizes, and the training tokens and cost are priced from the dated fine-tuning table.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { type FineTunePrice, openAIFineTuneBase, type ResolvedFineTunePrice, resolveFineTunePrice } from '../config/finetune-prices.js';
import { folderProblem } from '../config/paths.js';
import type { ExperimentConfig, ProviderConfig } from '../config/schema.js';
import type { ChatMessage } from '../providers/provider.js';
import { countPromptTokens, tokenCounting, wireMessages } from '../providers/tokens.js';
import { BUILTIN_PROMPT } from '../records/trial.js';
import { prepareSweep } from '../runner/prepare.js';
import { normalizeText } from '../tasks/leakage.js';
import type { Task, TaskItem } from '../tasks/task.js';
import { trainingExample } from '../tasks/training-examples.js';
import { Rng } from '../util/rng.js';

export const EXPORT_FORMATS = ['openai', 'gemini', 'anthropic-bedrock', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Bad input to `fewshot export finetune` (exit 2): the message names the flag or file and what was expected. */
export class ExportError extends Error {}

export interface ExportOptions {
  experiment: string;
  format: ExportFormat;
  out: string;
  /** The share of the pool held out as a validation file, in (0, 0.5). */
  validationSplit?: number | undefined;
  /** A provider entry's name (label, else id): its `systemPrompt` replaces the task's. */
  provider?: string | undefined;
  /** A `prompts:` variant id (default: the first). */
  prompt?: string | undefined;
  force: boolean;
  env: NodeJS.ProcessEnv;
}

export interface ExportedFile {
  path: string;
  examples: number;
}

export interface ExportResult {
  train: ExportedFile;
  validation: ExportedFile | null;
  /** What was written, the leakage check, the provider's sizes, tokens and cost: one line each. */
  lines: string[];
}

/** One example as every format needs it: the wire's system prompt (or none), the user turn, the answer. */
export interface FineTuneRow {
  id: string;
  system: string | null;
  user: string;
  answer: string;
}

/** The split must leave most of the pool to train on. */
const MAX_VALIDATION_SPLIT = 0.5;
/** Leaked items named in the refusal; the rest are counted. */
const LEAKS_SHOWN = 10;

/** Where each format's examples go, what its provider is called, and the price table entry it falls back on. */
const FORMATS: Record<ExportFormat, { describe: string; vendor: string | null; models: string; kinds: readonly string[]; fallback: string | null }> = {
  openai: { describe: 'OpenAI chat fine-tuning JSONL', vendor: 'OpenAI', models: 'OpenAI', kinds: ['openai'], fallback: 'openai:gpt-4o-mini' },
  gemini: {
    describe: 'Vertex AI Gemini supervised tuning JSONL',
    vendor: 'Vertex AI',
    models: 'Gemini',
    kinds: ['google', 'vertex'],
    fallback: 'google:gemini-2.5-flash',
  },
  'anthropic-bedrock': {
    describe: 'Amazon Bedrock Claude 3 Haiku fine-tuning JSONL',
    vendor: 'Amazon Bedrock',
    models: 'Claude',
    // The only Claude that can be fine-tuned; no experiment provider stands for it.
    kinds: [],
    fallback: 'anthropic:claude-3-haiku-20240307',
  },
  jsonl: { describe: 'plain input/output JSONL', vendor: null, models: '', kinds: [], fallback: null },
};

export function exportFineTune(options: ExportOptions): ExportResult {
  const split = checkSplit(options.validationSplit);
  const trainPath = resolve(options.out);
  const validationPath = split !== null ? validationPathOf(trainPath) : null;
  for (const path of [trainPath, validationPath]) if (path !== null) checkWritable(path, options.force);

  const prepared = prepareSweep(options.experiment, options.env);
  const { config, data } = prepared;
  for (const path of [trainPath, validationPath]) if (path !== null) checkNotAnInput(path, options.experiment, config);
  const [promptId, task] = pickPrompt(prepared.tasks, options.prompt, options.experiment);
  const entry = pickProvider(config, options.provider, options.experiment);
  const rows = data.pool.map((item) => exampleRow(task, item, entry?.systemPrompt, options.experiment, promptId));
  const checked = checkLeakage(rows, data.items, (item) => userText(task, item, entry?.systemPrompt));

  const { train, validation } = split !== null ? splitRows(rows, split, config.seed) : { train: rows, validation: [] };
  writeRows(trainPath, train, options.format);
  if (validationPath !== null) writeRows(validationPath, validation, options.format);

  // Relative to the working directory when under it, else absolute.
  const shown = (path: string) => {
    const rel = relative(process.cwd(), path);
    return rel === '' || rel.startsWith('..') ? path : rel;
  };
  const lines = [
    validationPath !== null
      ? `wrote ${train.length} training examples to ${shown(trainPath)} and ${validation.length} validation examples to ${shown(validationPath)} (${FORMATS[options.format].describe}; validation split ${split}, seeded by the experiment's seed ${config.seed})`
      : `wrote ${train.length} training examples to ${shown(trainPath)} (${FORMATS[options.format].describe})`,
    `  from the pool of ${data.pool.length}, with ${promptId === BUILTIN_PROMPT ? "the task's built-in prompt" : `prompt "${promptId}"`}${entry?.systemPrompt !== undefined ? ` and the system prompt of provider ${entry.label ?? entry.id}` : ''}`,
    `  0 evaluation items exported (checked ${checked} by id and by prompt)`,
    ...providerLines(options.format, config, entry, train),
  ];
  return {
    train: { path: trainPath, examples: train.length },
    validation: validationPath !== null ? { path: validationPath, examples: validation.length } : null,
    lines,
  };
}

/** `--validation-split`: null without it; a fraction in (0, 0.5) otherwise. */
function checkSplit(split: number | undefined): number | null {
  if (split === undefined) return null;
  if (!(Number.isFinite(split) && split > 0 && split < MAX_VALIDATION_SPLIT)) {
    throw new ExportError(`--validation-split: expected a fraction greater than 0 and less than ${MAX_VALIDATION_SPLIT}, got ${split}`);
  }
  return split;
}

/** `train.jsonl` -> `train.validation.jsonl`, beside it. */
export function validationPathOf(trainPath: string): string {
  const name = basename(trainPath, extname(trainPath));
  return join(dirname(trainPath), `${name}.validation.jsonl`);
}

function checkWritable(path: string, force: boolean): void {
  // Before anything is read: a folder that cannot be made (a Node recursive mkdir can loop on /proc).
  const folder = folderProblem(dirname(path));
  if (folder !== null) throw new ExportError(`--out: ${path}: the folder ${dirname(path)} ${folder}`);
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory()) throw new ExportError(`--out: ${path} is a folder; expected a file name such as ${join(path, 'train.jsonl')}`);
  if (!force) throw new ExportError(`--out: ${path} already exists; pass --force to overwrite it`);
}

/** --force never overwrites what the export reads: the experiment file or its dataset. */
function checkNotAnInput(path: string, experiment: string, config: ExperimentConfig): void {
  const data = (config.task as { data?: { file?: unknown } }).data?.file;
  const inputs = [resolve(experiment), ...(typeof data === 'string' ? [resolve(dirname(resolve(experiment)), data)] : [])];
  if (inputs.includes(path))
    throw new ExportError(`--out: ${path} is ${path === inputs[0] ? 'the experiment file' : "the experiment's dataset"} itself; choose another file`);
}

/** The prompt variant to export: `--prompt`, else the first (the built-in prompt without `prompts:`). */
function pickPrompt(tasks: ReadonlyMap<string, Task>, id: string | undefined, experiment: string): [string, Task] {
  if (id === undefined) return tasks.entries().next().value!;
  const task = tasks.get(id);
  if (task) return [id, task];
  const ids = [...tasks.keys()];
  throw new ExportError(
    ids.length === 1 && ids[0] === BUILTIN_PROMPT
      ? `--prompt ${id}: ${experiment} has no \`prompts:\`; leave out --prompt to export its built-in prompt`
      : `--prompt ${id}: ${experiment} has no prompt variant "${id}" (expected one of: ${ids.join(', ')})`,
  );
}

/** `--provider`: the entry by its name (label, else id); null without the flag. */
function pickProvider(config: ExperimentConfig, name: string | undefined, experiment: string): ProviderConfig | null {
  if (name === undefined) return null;
  const entry = config.providers.find((p) => (p.label ?? p.id) === name);
  if (entry) return entry;
  throw new ExportError(
    `--provider ${name}: ${experiment} lists no such provider (expected one of: ${config.providers.map((p) => p.label ?? p.id).join(', ')})`,
  );
}

/** One pool item as the wire carries it at k = 0 (the entry's systemPrompt replacing the task's), and its answer. */
function exampleRow(task: Task, item: TaskItem, systemPrompt: string | undefined, experiment: string, promptId: string): FineTuneRow {
  const example = trainingExample(task, item);
  if (example === null) {
    throw new ExportError(
      `${experiment}: prompt "${promptId}" writes the shots inline (\`shots: inline\`), so no assistant turn carries an answer alone; ` +
        'the export needs `shots: turns` (set it on that prompt, or pick another with --prompt)',
    );
  }
  const { system, user } = splitWire(example.prompt, systemPrompt, item);
  return { id: item.id, system, user, answer: example.answer };
}

/** The wire's system prompt and its single user turn; a k = 0 prompt of any other shape cannot be one example. */
function splitWire(prompt: readonly ChatMessage[], systemPrompt: string | undefined, item: TaskItem): { system: string | null; user: string } {
  const wire = wireMessages(prompt, systemPrompt);
  const system = wire[0]?.role === 'system' ? wire[0].content : null;
  const turns = wire.filter((m) => m.role !== 'system');
  if (turns.length !== 1 || turns[0]!.role !== 'user') {
    throw new ExportError(`item ${item.id}: its k = 0 prompt has ${turns.length} turns (${turns.map((t) => t.role).join(', ')}); expected one user turn`);
  }
  return { system, user: turns[0]!.content };
}

function userText(task: Task, item: TaskItem, systemPrompt: string | undefined): string {
  return splitWire(task.render([], item), systemPrompt, item).user;
}

/**
 * The leakage guard: no exported row may be an evaluation item, by id or by its rendered user turn
 * (equal up to case and whitespace, as the loader's guard compares texts). Returns how many
 * evaluation items were checked; throws naming the leaks.
 */
export function checkLeakage(rows: readonly FineTuneRow[], items: readonly TaskItem[], render: (item: TaskItem) => string): number {
  const ids = new Set(rows.map((r) => r.id));
  const prompts = new Map<string, string>();
  for (const r of rows) if (!prompts.has(normalizeText(r.user))) prompts.set(normalizeText(r.user), r.id);
  const leaks: string[] = [];
  for (const item of items) {
    if (ids.has(item.id)) leaks.push(`${item.id} (a pool example has its id)`);
    else {
      const twin = prompts.get(normalizeText(render(item)));
      if (twin !== undefined) leaks.push(`${item.id} (its prompt equals pool example ${twin}'s)`);
    }
  }
  if (leaks.length > 0) {
    const more = leaks.length > LEAKS_SHOWN ? `, and ${leaks.length - LEAKS_SHOWN} more` : '';
    throw new ExportError(
      `not exported: ${leaks.length} of the ${items.length} evaluation items would be in the training data, ` +
        `and a model tuned on them would be scored on what it was trained on: ${leaks.slice(0, LEAKS_SHOWN).join(', ')}${more}. ` +
        'Make the prompt tell the items apart (does the user template show the input?), or remove the duplicates from the data',
    );
  }
  return items.length;
}

/** A seeded hold-out (the same rows every time for the same seed and pool); both files keep the pool's order. */
function splitRows(rows: readonly FineTuneRow[], split: number, seed: number): { train: FineTuneRow[]; validation: FineTuneRow[] } {
  const size = Math.max(1, Math.round(rows.length * split));
  if (size >= rows.length) throw new ExportError(`--validation-split ${split}: a pool of ${rows.length} leaves no training example`);
  const held = new Set(new Rng([seed, 'fine-tune validation split']).shuffle(rows.map((_, i) => i)).slice(0, size));
  return { train: rows.filter((_, i) => !held.has(i)), validation: rows.filter((_, i) => held.has(i)) };
}

function writeRows(path: string, rows: readonly FineTuneRow[], format: ExportFormat): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, rows.map((r) => `${JSON.stringify(formatRow(r, format))}\n`).join(''));
}

/** One JSONL line's object in each provider's documented fine-tuning format. */
export function formatRow(row: FineTuneRow, format: ExportFormat): object {
  const { system, user, answer } = row;
  switch (format) {
    case 'openai':
      return {
        messages: [...(system !== null ? [{ role: 'system', content: system }] : []), { role: 'user', content: user }, { role: 'assistant', content: answer }],
      };
    case 'gemini':
      return {
        ...(system !== null && { systemInstruction: { role: 'system', parts: [{ text: system }] } }),
        contents: [
          { role: 'user', parts: [{ text: user }] },
          { role: 'model', parts: [{ text: answer }] },
        ],
      };
    case 'anthropic-bedrock':
      return {
        ...(system !== null && { system }),
        messages: [
          { role: 'user', content: user },
          { role: 'assistant', content: answer },
        ],
      };
    case 'jsonl':
      return { input: user, output: answer, ...(system !== null && { system }) };
  }
}

/** The experiment's `fineTune:` section (its epochs and price overrides), or nothing. */
function fineTuneSettings(config: ExperimentConfig): { epochs?: number | undefined; prices?: Record<string, FineTunePrice> | undefined } {
  return config.fineTune ?? {};
}

/** The price entry a format is priced with, and why that one. */
function priceEntry(
  format: ExportFormat,
  config: ExperimentConfig,
  entry: ProviderConfig | null,
): { id: string; price: ResolvedFineTunePrice | null; why: string } | null {
  const { kinds, fallback, vendor, models } = FORMATS[format];
  if (fallback === null) return null;
  const overrides = fineTuneSettings(config).prices;
  const kindOf = (id: string) => id.slice(0, id.indexOf(':'));
  // The named provider when it is of the format's kind, else the experiment's first base model of that kind.
  const candidate =
    entry !== null && kinds.includes(kindOf(entry.id))
      ? entry
      : config.providers.find((p) => kinds.includes(kindOf(p.id)) && p.tunedFrom === undefined && openAIFineTuneBase(p.id) === null);
  if (candidate) {
    // A tuned model trains again from its base; Vertex and the Gemini API list the same models, keyed google: in the table.
    const base = openAIFineTuneBase(candidate.id) ?? candidate.id;
    const ids = kindOf(base) === 'vertex' ? [base, `google:${base.slice(base.indexOf(':') + 1)}`] : [base];
    for (const id of ids) {
      const price = resolveFineTunePrice(id, overrides);
      if (price) return { id, price, why: `the experiment's provider ${candidate.label ?? candidate.id}` };
    }
    const price = resolveFineTunePrice(fallback, overrides);
    return { id: fallback, price, why: `${base} has no fine-tuning price: priced as ${fallback}` };
  }
  const why = kinds.length > 0 ? `the experiment has no ${models} provider: priced as ${fallback}` : `the only ${models} model ${vendor} can fine-tune`;
  return { id: fallback, price: resolveFineTunePrice(fallback, overrides), why };
}

/** Count against the provider's minimum and recommended sizes, training tokens, and cost (none for plain jsonl). */
function providerLines(format: ExportFormat, config: ExperimentConfig, entry: ProviderConfig | null, train: readonly FineTuneRow[]): string[] {
  const chosen = priceEntry(format, config, entry);
  if (chosen === null) return ['  plain jsonl names no provider: no minimum size, token count or training price applies'];
  const { id, price, why } = chosen;
  const vendor = FORMATS[format].vendor!;
  if (price === null) return [`  ${vendor}: no fine-tuning price for ${id} (${why}); add it under fineTune.prices in the experiment`];
  const lines = [`  ${sizeLine(vendor, price, train.length)} (${price.listedAs}, ${why})`];
  const perEpoch = train.reduce((sum, r) => sum + countPromptTokens(id, rowMessages(r)).tokens, 0);
  const setEpochs = fineTuneSettings(config).epochs;
  const epochs = setEpochs ?? price.epochs ?? 1;
  const epochsFrom = setEpochs !== undefined ? 'fineTune.epochs' : price.epochs !== undefined ? `${vendor}'s default` : 'none listed: 1 assumed';
  const total = perEpoch * epochs;
  const count = (n: number) => n.toLocaleString('en-US');
  lines.push(
    `  training tokens: ${count(perEpoch)} per epoch (prompt + answer, ${tokenCounting(id).label}) x ${epochs} epoch${epochs === 1 ? '' : 's'} (${epochsFrom}) = ${count(total)}`,
  );
  const money = (x: number) => (price.currency === 'USD' ? `$${x.toFixed(2)}` : `${x.toFixed(2)} ${price.currency}`);
  lines.push(
    `  estimated training cost: ${money((total * price.training) / 1_000_000)} at ${money(price.training)} per 1M training tokens from the ${price.source === 'experiment' ? "experiment's fineTune.prices" : price.source}`,
  );
  return lines;
}

function sizeLine(vendor: string, price: ResolvedFineTunePrice, n: number): string {
  const { minExamples: min, recommendedExamples: recommended } = price;
  const asks = [...(min !== undefined ? [`needs at least ${min}`] : []), ...(recommended !== undefined ? [`recommends ${recommended}+`] : [])];
  const verdict =
    min !== undefined && n < min
      ? ': below the minimum, the job would be refused'
      : recommended !== undefined && n < recommended
        ? ': below the recommended size'
        : '';
  return `${vendor} ${asks.length > 0 ? asks.join(', ') : 'lists no minimum or recommended size'}: ${n} examples${verdict}`;
}

/** What a provider trains on for one row: the prompt's turns and the answer. */
function rowMessages(row: FineTuneRow): ChatMessage[] {
  return [
    ...(row.system !== null ? [{ role: 'system' as const, content: row.system }] : []),
    { role: 'user', content: row.user },
    { role: 'assistant', content: row.answer },
  ];
}
