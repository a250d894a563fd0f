/**
 * `fewshot init`: a working experiment YAML and prompt templates from a data file (CSV with a header,
 * or JSONL), non-interactively. The columns are proposed by heuristics (each printed with its reason);
 * `--input`, `--label` and `--output` override them. Nothing is overwritten without `--force`.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { folderProblem } from '../config/paths.js';
import { parseCsvRecords } from '../util/csv-records.js';

/** Bad input to `fewshot init` (exit 2): the message names the file and what was expected. */
export class InitError extends Error {}

export interface InitOptions {
  data: string;
  input?: string | undefined;
  label?: string | undefined;
  output?: string | undefined;
  out: string;
  force: boolean;
}

export interface InitResult {
  files: string[];
  /** What was chosen and why, one line each, then the next commands. */
  lines: string[];
}

/** A label column has at most this many distinct values, and fewer than this share of the rows. */
const MAX_LABELS = 20;
const MAX_LABEL_SHARE = 0.5;
const SHOTS = [0, 1, 2, 4, 8];
/** A label-like column named like this is preferred. */
const LABEL_NAME = /label|category|class|intent|queue|topic|sentiment|target/i;
/** Records read from a JSONL file to find its fields. */
const JSONL_SCAN = 10_000;

interface Table {
  format: 'csv' | 'jsonl';
  columns: string[];
  rows: Record<string, string>[];
}

export function initExperiment(options: InitOptions): InitResult {
  const table = readTable(options.data);
  const { columns, rows } = table;
  if (options.label !== undefined && options.output !== undefined) {
    throw new InitError('give --label (a classification) or --output (a generation), not both');
  }
  for (const [flag, name] of [
    ['--input', options.input],
    ['--label', options.label],
    ['--output', options.output],
  ] as const) {
    if (name !== undefined && !columns.includes(name)) {
      throw new InitError(`${options.data}: ${flag} ${name}: no such column (expected one of: ${columns.join(', ')})`);
    }
  }
  const lines: string[] = [];
  const meanLength = (c: string) => rows.reduce((s, r) => s + (r[c] ?? '').length, 0) / rows.length;
  const distinct = (c: string) => new Set(rows.map((r) => r[c] ?? '').filter((v) => v !== '')).size;
  const isLabelLike = (c: string) => {
    const d = distinct(c);
    return d >= 2 && d <= MAX_LABELS && d < rows.length * MAX_LABEL_SHARE;
  };

  // The answer column first, so that the input is never the label.
  let kind: 'classify' | 'generate';
  let answer: string;
  if (options.label !== undefined) {
    kind = 'classify';
    answer = options.label;
    lines.push(`label:  ${answer} (--label)`);
  } else if (options.output !== undefined) {
    kind = 'generate';
    answer = options.output;
    lines.push(`output: ${answer} (--output)`);
  } else {
    const candidates = columns
      .filter((c) => c !== options.input && isLabelLike(c))
      .sort((a, b) => Number(LABEL_NAME.test(b)) - Number(LABEL_NAME.test(a)) || distinct(b) - distinct(a) || columns.indexOf(a) - columns.indexOf(b));
    const found = candidates[0];
    if (found === undefined) {
      throw new InitError(
        `${options.data}: no label column found (one with 2 to ${MAX_LABELS} distinct values, fewer than half the rows); ` +
          `name the answer with --label COLUMN (classification) or --output COLUMN (generation). Columns: ${columns.join(', ')}`,
      );
    }
    kind = 'classify';
    answer = found;
    const why = LABEL_NAME.test(answer) ? 'named like a label' : 'the most distinct values of the label-like columns';
    const others = candidates.length > 1 ? `; also label-like: ${candidates.slice(1).join(', ')}` : '';
    lines.push(`label:  ${answer} (${distinct(answer)} distinct values in ${rows.length} rows, ${why}${others})`);
  }
  let input: string;
  if (options.input !== undefined) {
    input = options.input;
    lines.push(`input:  ${input} (--input)`);
  } else {
    const texts = columns.filter((c) => c !== answer && !/^(id|_id|uuid)$/i.test(c));
    const best = texts.sort((a, b) => meanLength(b) - meanLength(a))[0];
    if (best === undefined) throw new InitError(`${options.data}: no column left for the input besides ${answer} (columns: ${columns.join(', ')})`);
    input = best;
    lines.push(`input:  ${input} (the longest text column: ${meanLength(input).toFixed(0)} characters on average)`);
  }
  if (input === answer)
    throw new InitError(`${options.data}: the input and the ${kind === 'classify' ? 'label' : 'output'} must be different columns (both ${input})`);
  const idColumn = columns.find((c) => /^id$/i.test(c) && c !== input && c !== answer && new Set(rows.map((r) => r[c])).size === rows.length);
  if (idColumn !== undefined) lines.push(`id:     ${idColumn} (unique in every row)`);

  // Records the dataset task keeps: an input and an answer, and each input once.
  const seen = new Set<string>();
  const usable = rows.filter((r) => {
    const text = (r[input] ?? '').trim();
    if (text === '' || (r[answer] ?? '').trim() === '' || seen.has(text)) return false;
    seen.add(text);
    return true;
  });
  if (usable.length < 4) {
    throw new InitError(`${options.data}: expected at least 4 rows with a distinct ${input} and a ${answer}, found ${usable.length}`);
  }
  const labels = kind === 'classify' ? [...new Set(usable.map((r) => (r[answer] ?? '').trim()))].sort() : [];
  if (kind === 'classify' && labels.length < 2) {
    throw new InitError(`${options.data}: column ${answer} has ${labels.length} distinct value; a classification needs at least two labels`);
  }
  if (kind === 'classify') lines.push(`labels: ${labels.join(', ')} (its distinct values, sorted)`);
  const poolSize = Math.floor(usable.length / 2);
  const evalItems = usable.length - poolSize;
  lines.push(`split:  poolSize ${poolSize}, evalItems ${evalItems} (half of the ${usable.length} usable rows each)`);
  const shots = SHOTS.filter((k) => k <= poolSize);
  lines.push(`shots:  ${shots.join(', ')} (up to 8, at most the pool size); selectors random and similar; repeats 1`);

  // Files: the YAML and, beside it, prompts/<name>.system.md and prompts/<name>.user.md.
  const outPath = resolve(options.out);
  const outDir = dirname(outPath);
  const name = slug(basename(options.data, extname(options.data)));
  const systemPath = join(outDir, 'prompts', `${name}.system.md`);
  const userPath = join(outDir, 'prompts', `${name}.user.md`);
  const targets = [outPath, systemPath, userPath];
  if (targets.includes(resolve(options.data)))
    throw new InitError(`--out ${options.out}: would overwrite the data file ${options.data} itself; choose another file name`);
  if (existsSync(outPath) && statSync(outPath).isDirectory())
    throw new InitError(`--out ${options.out}: is a folder; expected a file name such as ${join(options.out, `${name}.yaml`)}`);
  // Checked before anything is written (a Node recursive mkdir can loop on /proc).
  const folder = folderProblem(dirname(userPath));
  if (folder !== null) {
    const rel = relative(process.cwd(), dirname(userPath));
    throw new InitError(`--out ${options.out}: the folder ${rel === '' || rel.startsWith('..') ? dirname(userPath) : rel} ${folder}`);
  }
  if (!options.force) {
    const existing = targets.find((p) => existsSync(p));
    if (existing !== undefined) throw new InitError(`${relative(process.cwd(), existing) || existing} exists; pass --force to overwrite it`);
  }
  const dataRel = toPosix(relative(outDir, resolve(options.data)));
  const variable = (c: string, mapped: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(c) ? c : mapped);
  const inputVar = variable(input, 'input');
  const system =
    kind === 'classify'
      ? `Classify the text into one of these labels: {{ labels | join: ", " }}.\nAnswer with the label only.\n`
      : 'Answer with the output only, without explanation.\n';
  const user = `{{ ${inputVar} }}\n`;
  const yaml = experimentYaml({ name, data: options.data, dataRel, format: table.format, kind, input, answer, idColumn, labels, poolSize, evalItems, shots });
  mkdirSync(dirname(userPath), { recursive: true });
  writeFileSync(systemPath, system);
  writeFileSync(userPath, user);
  writeFileSync(outPath, yaml);
  const shown = (p: string) => relative(process.cwd(), p) || p;
  lines.push(`prompt: ${shown(userPath)} ({{ ${inputVar} }}), ${shown(systemPath)}`);
  lines.push(`wrote ${shown(outPath)}`);
  lines.push(`next:   npx fewshot validate ${shown(outPath)}`);
  lines.push(`then:   npx fewshot sweep ${shown(outPath)}`);
  return { files: targets, lines };
}

function experimentYaml(e: {
  name: string;
  data: string;
  dataRel: string;
  format: 'csv' | 'jsonl';
  kind: 'classify' | 'generate';
  input: string;
  answer: string;
  idColumn: string | undefined;
  labels: string[];
  poolSize: number;
  evalItems: number;
  shots: number[];
}): string {
  const q = (s: string) => JSON.stringify(s);
  const fields = [`input: ${q(e.input)}`, `${e.kind === 'classify' ? 'label' : 'output'}: ${q(e.answer)}`];
  if (e.idColumn !== undefined) fields.push(`id: ${q(e.idColumn)}`);
  const out = [
    `# Written by \`fewshot init --data ${e.data}\`; edit freely.`,
    '#',
    '#   npx fewshot validate <this file>',
    '#   npx fewshot sweep <this file>',
    '#',
    '# The keyless `local` baseline always runs; uncomment a cloud provider and set its API key',
    '# (OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY) to sweep a model.',
    `name: ${q(e.name)}`,
    `description: ${q(`${e.kind === 'classify' ? 'Labelling' : 'Answering'} ${e.input} from ${basename(e.data)}; how many examples should the prompt show?`)}`,
    'seed: 20261125',
    '',
    'task:',
    `  type: ${e.kind}`,
    '  data:',
    `    file: ${q(e.dataRel)}   # relative to this file's folder`,
    `    format: ${e.format}`,
    `    fields: { ${fields.join(', ')} }`,
    `  split: { poolSize: ${e.poolSize}, evalItems: ${e.evalItems} }`,
  ];
  if (e.kind === 'classify') out.push(`  labels: [${e.labels.map(q).join(', ')}]`);
  else out.push('  scoring: { method: exact }   # or contains, regex, f1, json');
  out.push(
    '',
    'prompts:',
    `  - id: ${e.name}`,
    `    system: prompts/${e.name}.system.md`,
    `    user: prompts/${e.name}.user.md`,
    '    shots: turns',
    '',
    `shots: [${e.shots.join(', ')}]`,
    'selectors: [random, similar]',
    'repeats: 1',
    '',
    'providers:',
    '  - local',
    '  # - id: openai:gpt-4o-mini',
    '  #   temperature: 0',
    '  #   maxOutputTokens: 64',
    '  # - id: anthropic:claude-haiku-4-5',
    '  #   maxOutputTokens: 64',
    '  # - id: google:gemini-2.5-flash',
    '  #   maxOutputTokens: 1024',
    '',
    'concurrency: 4',
    'out: results',
    '',
  );
  return out.join('\n');
}

function readTable(path: string): Table {
  let buffer: Buffer;
  try {
    buffer = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InitError(
      `${path}: cannot read the data file (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder' : (code ?? String(e))}); expected a CSV with a header row or a JSONL file`,
    );
  }
  const ext = extname(path).toLowerCase();
  const format = ext === '.jsonl' || ext === '.ndjson' ? 'jsonl' : ext === '.csv' ? 'csv' : null;
  if (format === null) throw new InitError(`${path}: expected a .csv (with a header row) or .jsonl file`);
  if (buffer.toString('utf8').trim() === '')
    throw new InitError(`${path}: the file is empty; expected ${format === 'csv' ? 'a header row and records' : 'one JSON object a line'}`);
  if (format === 'csv') {
    const records = parseCsvRecords(buffer, (line, reason) => new InitError(`${path}${line !== null ? `:${line}` : ''}: ${reason}`));
    const [header, ...body] = records;
    if (header === undefined || body.length === 0)
      throw new InitError(`${path}: expected a header row and at least one record, found ${records.length} row(s)`);
    const columns = header.fields.map((c) => c.trim());
    const rows = body.map((r) => Object.fromEntries(columns.map((c, i) => [c, r.fields[i] ?? ''])));
    return { format, columns, rows };
  }
  const columns: string[] = [];
  const rows: Record<string, string>[] = [];
  const text = buffer.toString('utf8').replace(/^\uFEFF/, '');
  let lineNo = 0;
  for (const line of text.split(/\r?\n/)) {
    lineNo++;
    if (line.trim() === '' || rows.length >= JSONL_SCAN) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new InitError(`${path}:${lineNo}: not valid JSON (${(e as Error).message}); expected one JSON object a line`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InitError(`${path}:${lineNo}: expected a JSON object`);
    const row: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === null || typeof v === 'object') continue; // nested fields: name them with --input/--label by hand in the YAML
      if (!columns.includes(k)) columns.push(k);
      row[k] = String(v);
    }
    rows.push(row);
  }
  return { format, columns, rows };
}

function slug(s: string): string {
  const out = s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return out === '' ? 'experiment' : out;
}

function toPosix(p: string): string {
  return p.split(sep).join('/');
}
