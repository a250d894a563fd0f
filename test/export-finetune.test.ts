// `fewshot export finetune` through the real command (main([...])): every format checked line by
// line against a schema of the provider's documented fine-tuning format, the prompts equal to what
// the sweep sends, no evaluation item exported, the seeded validation split, the refusals (exit 2),
// and the printed sizes, tokens and cost with the price table's date.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { checkLeakage, type FineTuneRow } from '../src/app/export-finetune.js';
import { main } from '../src/cli.js';
import { loadFineTuneTable } from '../src/config/finetune-prices.js';
import { prepareSweep } from '../src/runner/prepare.js';
import type { ChatMessage, TaskItem } from '../src/tasks/task.js';
import { trainingExample } from '../src/tasks/training-examples.js';

const ROOT = join(import.meta.dirname, '..');
const TICKETS = join(ROOT, 'experiments', 'tickets.yaml');
const ROUTES = join(ROOT, 'experiments', 'routes.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'fewshot-export-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** The command as a user runs it, its printed lines captured. */
async function fewshot(args: string[]): Promise<{ code: number; out: string[]; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(String(line)));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(String(line)));
  const code = await main(args);
  vi.restoreAllMocks();
  return { code, out, err: err.join('\n') };
}

/** The summary lines, shown in the test log: the numbers docs/finetune.md quotes come from here. */
function show(title: string, lines: readonly string[]): void {
  console.log([`--- ${title}`, ...lines].join('\n'));
}

function readLines(path: string): unknown[] {
  const text = readFileSync(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line));
}

// The providers' documented formats, as strict schemas: no key a provider would refuse.
const alternates = (roles: readonly string[], user: string, answer: string) =>
  roles.length >= 2 && roles[0] === user && roles.at(-1) === answer && roles.every((r, i) => r === (i % 2 === 0 ? user : answer));

/** OpenAI chat fine-tuning: {"messages": [system?, user, assistant]} (platform.openai.com/docs/guides/supervised-fine-tuning). */
const openaiLine = z
  .object({
    messages: z.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string().min(1) }).strict()),
  })
  .strict()
  .refine(
    ({ messages }) =>
      alternates(
        messages.filter((m, i) => !(i === 0 && m.role === 'system')).map((m) => m.role),
        'user',
        'assistant',
      ),
    {
      message: 'expected an optional system message first, then user/assistant turns alternating, ending with the assistant',
    },
  );

/** Vertex AI Gemini supervised tuning: {"systemInstruction"?: {role, parts: [{text}]}, "contents": [{role: user|model, parts: [{text}]}]}. */
const part = z.object({ text: z.string().min(1) }).strict();
const geminiLine = z
  .object({
    systemInstruction: z
      .object({ role: z.literal('system'), parts: z.array(part).min(1) })
      .strict()
      .optional(),
    contents: z.array(z.object({ role: z.enum(['user', 'model']), parts: z.array(part).min(1) }).strict()),
  })
  .strict()
  .refine(
    ({ contents }) =>
      alternates(
        contents.map((c) => c.role),
        'user',
        'model',
      ),
    { message: 'expected user/model turns alternating, ending with the model' },
  );

/** Amazon Bedrock, Claude 3 Haiku: {"system"?: string, "messages": [{role: user|assistant, content: string}]}, first user, last assistant, no other key. */
const bedrockLine = z
  .object({
    system: z.string().min(1).optional(),
    messages: z.array(z.object({ role: z.enum(['user', 'assistant']), content: z.string().min(1) }).strict()),
  })
  .strict()
  .refine(
    ({ messages }) =>
      alternates(
        messages.map((m) => m.role),
        'user',
        'assistant',
      ),
    {
      message: 'expected user/assistant alternating, first user, last assistant',
    },
  );

/** The plain format: {"input", "output", "system"?}. */
const jsonlLine = z.object({ input: z.string().min(1), output: z.string().min(1), system: z.string().min(1).optional() }).strict();

/** Every format's line back as (prompt messages, answer), to compare with what the sweep sends. */
const READERS = {
  openai: (line: unknown) => {
    const { messages } = openaiLine.parse(line);
    return { prompt: messages.slice(0, -1) as ChatMessage[], answer: messages.at(-1)!.content };
  },
  gemini: (line: unknown) => {
    const { systemInstruction, contents } = geminiLine.parse(line);
    const prompt: ChatMessage[] = [
      ...(systemInstruction ? [{ role: 'system' as const, content: systemInstruction.parts.map((p) => p.text).join('') }] : []),
      ...contents.slice(0, -1).map((c) => ({ role: 'user' as const, content: c.parts.map((p) => p.text).join('') })),
    ];
    return {
      prompt,
      answer: contents
        .at(-1)!
        .parts.map((p) => p.text)
        .join(''),
    };
  },
  'anthropic-bedrock': (line: unknown) => {
    const { system, messages } = bedrockLine.parse(line);
    return {
      prompt: [...(system !== undefined ? [{ role: 'system' as const, content: system }] : []), ...messages.slice(0, -1)] as ChatMessage[],
      answer: messages.at(-1)!.content,
    };
  },
  jsonl: (line: unknown) => {
    const { input, output, system } = jsonlLine.parse(line);
    return {
      prompt: [...(system !== undefined ? [{ role: 'system' as const, content: system }] : []), { role: 'user' as const, content: input }],
      answer: output,
    };
  },
} as const;
type Format = keyof typeof READERS;

const userOf = (messages: readonly ChatMessage[]) =>
  messages
    .filter((m) => m.role !== 'system')
    .map((m) => m.content)
    .join('\n');

function write(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** A small classify experiment with two prompt variants (turns, inline), a provider with its own systemPrompt, and extra YAML. */
function promptsExperiment(name: string, extra: string[] = [], userTemplate = 'Ticket: {{ input }}\n'): string {
  const dir = join(tmp, name);
  const labels = ['billing', 'shipping', 'returns'];
  const records = Array.from({ length: 40 }, (_, i) =>
    JSON.stringify({ id: `S${i}`, text: `ticket ${i}: a question about ${labels[i % 3]}, order ${1000 + i}`, label: labels[i % 3] }),
  );
  write(join(dir, 'tickets.jsonl'), `${records.join('\n')}\n`);
  write(join(dir, 'prompts', 'plain.system.md'), 'Route the ticket to one of: {{ labels | join: ", " }}.\n');
  write(join(dir, 'prompts', 'plain.user.md'), userTemplate);
  write(join(dir, 'prompts', 'inline.user.md'), '{{ examples }}\n\nTicket: {{ input }}\nQueue:');
  write(join(dir, 'prompts', 'inline.shot.md'), 'Ticket: {{ input }}\nQueue: {{ label }}');
  return write(
    join(dir, 'exp.yaml'),
    [
      `name: ${name}`,
      'seed: 7',
      'task:',
      '  type: classify',
      '  data: { file: tickets.jsonl, fields: { input: text, label: label, id: id } }',
      '  split: { poolSize: 24, evalItems: 12 }',
      'shots: [0, 2]',
      'providers:',
      '  - local',
      '  - { id: "openai:gpt-4o-mini", label: terse, systemPrompt: "You are a terse router. Reply with the queue only." }',
      'prompts:',
      '  - { id: plain, system: prompts/plain.system.md, user: prompts/plain.user.md }',
      '  - { id: inline, user: prompts/inline.user.md, shot: prompts/inline.shot.md, shots: inline }',
      ...extra,
    ].join('\n'),
  );
}

describe('fewshot export finetune: formats and prompts', () => {
  const prepared = prepareSweep(TICKETS, {});
  const { task, data } = prepared;
  const evalIds = new Set(data.items.map((i) => i.id));
  const evalPrompts = new Set(data.items.map((i) => userOf(task.render([], i))));

  for (const format of Object.keys(READERS) as Format[]) {
    it(`${format}: one valid line per pool item, each the sweep's k = 0 prompt and the shot's answer, no evaluation item`, async () => {
      const out = join(tmp, 'formats', `tickets.${format}.jsonl`);
      const result = await fewshot(['export', 'finetune', TICKETS, '--format', format, '--out', out]);
      expect(result.err).toBe('');
      expect(result.code).toBe(0);
      const lines = readLines(out);
      expect(lines).toHaveLength(data.pool.length);
      expect(data.pool).toHaveLength(300);
      lines.forEach((line, i) => {
        const { prompt, answer } = READERS[format](line);
        // The pool's order is kept: line i is pool item i, exactly as the sweep renders it at k = 0.
        const item = data.pool[i]!;
        expect(prompt).toEqual(task.render([], item));
        expect(answer).toBe(trainingExample(task, item)!.answer);
        expect(answer).toBe(item.label);
        expect(evalIds.has(item.id)).toBe(false);
        expect(evalPrompts.has(userOf(prompt))).toBe(false);
      });
      expect(result.out).toContain('  0 evaluation items exported (checked 150 by id and by prompt)');
      show(`tickets.yaml --format ${format}`, result.out);
    });
  }

  it('routes: the worked answer of each of the 32 pool instances, with the built-in system prompt', async () => {
    const routes = prepareSweep(ROUTES, {});
    const out = join(tmp, 'routes', 'train.jsonl');
    const result = await fewshot(['export', 'finetune', ROUTES, '--format', 'openai', '--out', out]);
    expect(result.code).toBe(0);
    const lines = readLines(out);
    expect(lines).toHaveLength(32);
    const routeEval = new Set(routes.data.items.map((i) => userOf(routes.task.render([], i))));
    lines.forEach((line, i) => {
      const { prompt, answer } = READERS.openai(line);
      const item = routes.data.pool[i]!;
      expect(prompt).toEqual(routes.task.render([], item));
      expect(prompt[0]!.role).toBe('system');
      expect(answer).toBe(trainingExample(routes.task, item)!.answer);
      expect(routeEval.has(userOf(prompt))).toBe(false);
    });
    expect(result.out).toContain('  0 evaluation items exported (checked 60 by id and by prompt)');
    show('routes.yaml --format openai', result.out);
  });

  it("--prompt and --provider: the variant's templates, and the entry's systemPrompt in place of the task's, as the sweep sends them", async () => {
    const experiment = promptsExperiment('variants');
    const variants = prepareSweep(experiment, {});
    const plain = variants.tasks.get('plain')!;
    const systemPrompt = variants.config.providers.find((p) => p.label === 'terse')!.systemPrompt!;

    // Default: the first variant, with its own system template.
    const first = join(tmp, 'variants', 'out', 'default.jsonl');
    expect((await fewshot(['export', 'finetune', experiment, '--format', 'anthropic-bedrock', '--out', first])).code).toBe(0);
    const defaults = readLines(first).map(READERS['anthropic-bedrock']);
    expect(defaults).toHaveLength(24);
    defaults.forEach(({ prompt }, i) => expect(prompt).toEqual(plain.render([], variants.data.pool[i]!)));
    expect(defaults[0]!.prompt[0]!.content).toBe('Route the ticket to one of: billing, returns, shipping.');

    // --provider terse: that entry's systemPrompt replaces the system turn; the user turn is the variant's.
    const out = join(tmp, 'variants', 'out', 'terse.jsonl');
    const result = await fewshot(['export', 'finetune', experiment, '--format', 'gemini', '--prompt', 'plain', '--provider', 'terse', '--out', out]);
    expect(result.code).toBe(0);
    const rows = readLines(out).map(READERS.gemini);
    rows.forEach(({ prompt, answer }, i) => {
      const item = variants.data.pool[i]!;
      const sent = plain.render([], item);
      expect(prompt).toEqual([{ role: 'system', content: systemPrompt }, ...sent.filter((m) => m.role !== 'system')]);
      expect(prompt[1]!.content).toBe(`Ticket: ${(item.data as { input: string }).input}`);
      expect(answer).toBe(item.label);
    });
    expect(result.out[1]).toBe('  from the pool of 24, with prompt "plain" and the system prompt of provider terse');
    show('variants --format gemini --prompt plain --provider terse', result.out);
  });

  it('fineTune.prices and fineTune.epochs of the experiment price the export', async () => {
    const experiment = promptsExperiment('overrides', [
      'fineTune:',
      '  epochs: 2',
      '  prices:',
      '    "openai:gpt-4o-mini": { training: 10, input: 0.3, output: 1.2, minExamples: 30, recommendedExamples: 60 }',
    ]);
    const result = await fewshot(['export', 'finetune', experiment, '--format', 'openai', '--out', join(tmp, 'overrides', 'train.jsonl')]);
    expect(result.code).toBe(0);
    expect(result.out).toContain(
      "  OpenAI needs at least 30, recommends 60+: 24 examples: below the minimum, the job would be refused (openai:gpt-4o-mini, the experiment's provider terse)",
    );
    expect(result.out.find((l) => l.startsWith('  training tokens:'))).toMatch(/ x 2 epochs \(fineTune\.epochs\) = /);
    expect(result.out.find((l) => l.startsWith('  estimated training cost:'))).toMatch(
      / at \$10\.00 per 1M training tokens from the experiment's fineTune\.prices$/,
    );
  });
});

describe('fewshot export finetune: the validation split', () => {
  it('holds out the share of the pool, seeded: train + validation = the pool, the same bytes twice', async () => {
    const prepared = prepareSweep(TICKETS, {});
    const run = async (name: string) => {
      const out = join(tmp, 'split', name, 'train.jsonl');
      const result = await fewshot(['export', 'finetune', TICKETS, '--format', 'jsonl', '--out', out, '--validation-split', '0.2']);
      expect(result.code).toBe(0);
      return { out, validation: join(tmp, 'split', name, 'train.validation.jsonl'), lines: result.out };
    };
    const a = await run('a');
    const b = await run('b');
    expect(readLines(a.out)).toHaveLength(240);
    expect(readLines(a.validation)).toHaveLength(60);
    expect(readFileSync(a.out)).toEqual(readFileSync(b.out));
    expect(readFileSync(a.validation)).toEqual(readFileSync(b.validation));
    const inputs = (path: string) => readLines(path).map((l) => jsonlLine.parse(l).input);
    const train = inputs(a.out);
    const validation = inputs(a.validation);
    expect(new Set([...train, ...validation]).size).toBe(300);
    expect(train.filter((t) => validation.includes(t))).toEqual([]);
    expect([...train, ...validation].sort()).toEqual(prepared.data.pool.map((i) => userOf(prepared.task.render([], i))).sort());
    // Not simply the pool's tail: the hold-out is drawn.
    expect(validation).not.toEqual(prepared.data.pool.slice(-60).map((i) => userOf(prepared.task.render([], i))));
    expect(a.lines[0]).toMatch(
      /^wrote 240 training examples to .*train\.jsonl and 60 validation examples to .*train\.validation\.jsonl \(plain input\/output JSONL; validation split 0\.2, seeded by the experiment's seed 20261125\)$/,
    );
    show('tickets.yaml --format jsonl --validation-split 0.2', a.lines);
  });
});

describe('fewshot export finetune: refusals (exit 2, nothing written)', () => {
  it('an unknown format is refused by its choices', async () => {
    const out = join(tmp, 'errors', 'format.jsonl');
    const result = await fewshot(['export', 'finetune', TICKETS, '--format', 'claude', '--out', out]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/Invalid values:\s+Argument: format, Given: "claude", Choices: "openai", "gemini", "anthropic-bedrock", "jsonl"/);
    expect(existsSync(out)).toBe(false);
  });

  it('a split outside (0, 0.5)', async () => {
    for (const split of ['0', '0.5', '-0.1', 'half']) {
      const out = join(tmp, 'errors', 'split.jsonl');
      const result = await fewshot(['export', 'finetune', TICKETS, '--format', 'openai', '--out', out, '--validation-split', split]);
      expect(result.code).toBe(2);
      expect(result.err).toMatch(/^error: --validation-split: expected a fraction greater than 0 and less than 0\.5, got (0|0\.5|-0\.1|NaN)$/);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('an existing file without --force; with it, overwritten', async () => {
    const out = write(join(tmp, 'errors', 'existing.jsonl'), 'keep me\n');
    const refused = await fewshot(['export', 'finetune', TICKETS, '--format', 'openai', '--out', out]);
    expect(refused.code).toBe(2);
    expect(refused.err).toBe(`error: --out: ${out} already exists; pass --force to overwrite it`);
    expect(readFileSync(out, 'utf8')).toBe('keep me\n');
    // The validation file beside it counts too.
    const train = join(tmp, 'errors', 'fresh.jsonl');
    write(join(tmp, 'errors', 'fresh.validation.jsonl'), 'keep me too\n');
    const validation = await fewshot(['export', 'finetune', TICKETS, '--format', 'openai', '--out', train, '--validation-split', '0.1']);
    expect(validation.code).toBe(2);
    expect(validation.err).toContain('fresh.validation.jsonl already exists; pass --force');
    expect(existsSync(train)).toBe(false);
    const forced = await fewshot(['export', 'finetune', TICKETS, '--format', 'openai', '--out', out, '--force']);
    expect(forced.code).toBe(0);
    expect(readLines(out)).toHaveLength(300);
  });

  it('--force never overwrites what the export reads; a folder that cannot be made is refused before anything is read', async () => {
    const dir = join(tmp, 'own-input');
    mkdirSync(join(dir, 'data'), { recursive: true });
    cpSync(TICKETS, join(dir, 'tickets.yaml'));
    cpSync(join(dirname(TICKETS), 'data', 'tickets.jsonl'), join(dir, 'data', 'tickets.jsonl'));
    const experiment = join(dir, 'tickets.yaml');
    const before = { experiment: readFileSync(experiment, 'utf8'), data: readFileSync(join(dir, 'data', 'tickets.jsonl'), 'utf8') };
    const onData = await fewshot(['export', 'finetune', experiment, '--format', 'openai', '--out', join(dir, 'data', 'tickets.jsonl'), '--force']);
    expect(onData.code).toBe(2);
    expect(onData.err).toBe(`error: --out: ${join(dir, 'data', 'tickets.jsonl')} is the experiment's dataset itself; choose another file`);
    const onExperiment = await fewshot(['export', 'finetune', experiment, '--format', 'openai', '--out', experiment, '--force']);
    expect(onExperiment.code).toBe(2);
    expect(onExperiment.err).toBe(`error: --out: ${experiment} is the experiment file itself; choose another file`);
    expect({ experiment: readFileSync(experiment, 'utf8'), data: readFileSync(join(dir, 'data', 'tickets.jsonl'), 'utf8') }).toEqual(before);

    const underFile = await fewshot(['export', 'finetune', experiment, '--format', 'openai', '--out', join(experiment, 'train.jsonl')]);
    expect(underFile.code).toBe(2);
    expect(underFile.err).toBe(`error: --out: ${join(experiment, 'train.jsonl')}: the folder ${experiment} is a file, not a folder`);
  });

  it('shots written inline: the export needs shots: turns', async () => {
    const experiment = promptsExperiment('inline');
    const out = join(tmp, 'inline', 'train.jsonl');
    const result = await fewshot(['export', 'finetune', experiment, '--format', 'openai', '--prompt', 'inline', '--out', out]);
    expect(result.code).toBe(2);
    expect(result.err).toBe(
      `error: ${experiment}: prompt "inline" writes the shots inline (\`shots: inline\`), so no assistant turn carries an answer alone; the export needs \`shots: turns\` (set it on that prompt, or pick another with --prompt)`,
    );
    expect(result.err).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  });

  it('an unknown --prompt or --provider names the ones there are', async () => {
    const experiment = promptsExperiment('names');
    const out = join(tmp, 'names', 'train.jsonl');
    const prompt = await fewshot(['export', 'finetune', experiment, '--format', 'openai', '--prompt', 'fancy', '--out', out]);
    expect(prompt.code).toBe(2);
    expect(prompt.err).toBe(`error: --prompt fancy: ${experiment} has no prompt variant "fancy" (expected one of: plain, inline)`);
    const provider = await fewshot(['export', 'finetune', experiment, '--format', 'openai', '--provider', 'gpt', '--out', out]);
    expect(provider.code).toBe(2);
    expect(provider.err).toBe(`error: --provider gpt: ${experiment} lists no such provider (expected one of: local, terse)`);
    expect(existsSync(out)).toBe(false);
  });

  it('the leakage guard: a prompt that does not show the input makes every evaluation item a pool item', async () => {
    // The user template leaves the ticket out: every prompt is the same text, so each evaluation item's prompt equals a pool item's.
    const experiment = promptsExperiment('leak', [], 'Route this ticket.\n');
    const out = join(tmp, 'leak', 'train.jsonl');
    const result = await fewshot(['export', 'finetune', experiment, '--format', 'openai', '--out', out]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(
      /^error: not exported: 12 of the 12 evaluation items would be in the training data, and a model tuned on them would be scored on what it was trained on: S\d+ \(its prompt equals pool example S\d+'s\), .*, and 2 more\. Make the prompt tell the items apart/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('the leakage guard by id (an evaluation item whose id a pool example has)', () => {
    const row = (id: string, user: string): FineTuneRow => ({ id, system: null, user, answer: 'billing' });
    const item = (id: string, text: string): TaskItem => ({ id, text, data: null });
    const rows = [row('P1', 'one'), row('P2', 'two')];
    expect(checkLeakage(rows, [item('E1', 'three')], (i) => i.text)).toBe(1);
    expect(() => checkLeakage(rows, [item('P2', 'four'), item('E2', 'ONE ')], (i) => i.text)).toThrow(
      "not exported: 2 of the 2 evaluation items would be in the training data, and a model tuned on them would be scored on what it was trained on: P2 (a pool example has its id), E2 (its prompt equals pool example P1's).",
    );
  });
});

describe('fewshot export finetune: sizes, tokens and cost', () => {
  it("tickets: the count against each provider's minimum and recommended sizes, training tokens and cost with the table's date", async () => {
    const { asOf } = loadFineTuneTable();
    const expected = {
      openai: /^ {2}OpenAI needs at least 10, recommends 50\+: 300 examples \(openai:gpt-4o-mini, the experiment's provider openai:gpt-4o-mini\)$/,
      gemini:
        /^ {2}Vertex AI needs at least 1, recommends 100\+: 300 examples \(google:gemini-2\.5-flash, the experiment's provider google:gemini-2\.5-flash\)$/,
      'anthropic-bedrock':
        /^ {2}Amazon Bedrock needs at least 32, recommends 100\+: 300 examples \(anthropic:claude-3-haiku-20240307, the only Claude model Amazon Bedrock can fine-tune\)$/,
    } as const;
    const counting = { openai: 'exact (o200k_base)', gemini: 'estimated (~4 chars/token)', 'anthropic-bedrock': 'estimated (~4 chars/token)' } as const;
    const epochs = { openai: 3, gemini: 3, 'anthropic-bedrock': 2 } as const;
    const perMillion = { openai: 3, gemini: 5, 'anthropic-bedrock': 4 } as const;
    for (const format of ['openai', 'gemini', 'anthropic-bedrock'] as const) {
      const result = await fewshot(['export', 'finetune', TICKETS, '--format', format, '--out', join(tmp, 'sizes', `${format}.jsonl`)]);
      expect(result.code).toBe(0);
      expect(result.out[3]).toMatch(expected[format]);
      const tokens = new RegExp(
        `^ {2}training tokens: ([\\d,]+) per epoch \\(prompt \\+ answer, ${counting[format].replace(/[()~+.]/g, '\\$&')}\\) x ${epochs[format]} epochs \\(.+'s default\\) = ([\\d,]+)$`,
      ).exec(result.out[4]!);
      expect(tokens).not.toBeNull();
      const [perEpoch, total] = [tokens![1]!, tokens![2]!].map((n) => Number(n.replace(/,/g, '')));
      expect(total).toBe(perEpoch! * epochs[format]);
      const cost = ((total! * perMillion[format]) / 1_000_000).toFixed(2);
      expect(result.out[5]).toBe(
        `  estimated training cost: $${cost} at $${perMillion[format].toFixed(2)} per 1M training tokens from the fine-tuning price table (as of ${asOf})`,
      );
      show(`sizes: tickets.yaml --format ${format}`, result.out);
    }
    const plain = await fewshot(['export', 'finetune', TICKETS, '--format', 'jsonl', '--out', join(tmp, 'sizes', 'plain.jsonl')]);
    expect(plain.out.slice(3)).toEqual(['  plain jsonl names no provider: no minimum size, token count or training price applies']);
  });

  it('an experiment without an OpenAI provider says which table entry priced it', async () => {
    const result = await fewshot(['export', 'finetune', ROUTES, '--format', 'openai', '--provider', 'local', '--out', join(tmp, 'sizes', 'routes.jsonl')]);
    expect(result.code).toBe(0);
    // routes.yaml has openai:gpt-4o-mini; --provider local is no OpenAI entry, so the first OpenAI entry prices it.
    expect(result.out[3]).toBe(
      "  OpenAI needs at least 10, recommends 50+: 32 examples: below the recommended size (openai:gpt-4o-mini, the experiment's provider openai:gpt-4o-mini)",
    );
    const experiment = promptsExperiment('no-google');
    const gemini = await fewshot(['export', 'finetune', experiment, '--format', 'gemini', '--out', join(tmp, 'no-google', 'train.jsonl')]);
    expect(gemini.out[3]).toBe(
      '  Vertex AI needs at least 1, recommends 100+: 24 examples: below the recommended size (google:gemini-2.5-flash, the experiment has no Gemini provider: priced as google:gemini-2.5-flash)',
    );
  });
});
