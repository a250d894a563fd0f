// Prompt templates (`prompts:`) for the routes and AdaptGauge tasks: the shipped routes templates
// render exactly the built-in prompt, inline vs turns shots, each task's variables, an unknown
// variable as file:line:col (exit 2 in validate), and a keyless routes sweep through the built CLI.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import type { PromptConfig } from '../src/config/prompts-schema.js';
import { prepareSweep } from '../src/runner/prepare.js';
import { createAdaptGaugeTask } from '../src/tasks/adaptgauge-pack.js';
import { TemplateError } from '../src/tasks/errors.js';
import { ANSWER_FORMAT, createRoutesTask, instanceText, RULES, SYSTEM_PROMPT, type RoutesOptions } from '../src/tasks/routes.js';
import { loadPromptTemplates } from '../src/tasks/templates.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'dist', 'bin.js');
const SHIPPED = join(ROOT, 'experiments', 'prompts', 'routes');
// AdaptGauge's task packs, copied into the repository (see data/adaptgauge/SOURCE.md).
const PACKS = join(ROOT, 'data', 'adaptgauge', 'tasks');

const tmp = mkdtempSync(join(tmpdir(), 'fewshot-templates-ra-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function write(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** Template files in their own folder, and the prompt entry naming them. */
function prompt(
  name: string,
  files: { system?: string; user: string; shot?: string },
  shots: 'turns' | 'inline' = 'turns',
): { dir: string; config: PromptConfig } {
  const dir = join(tmp, name);
  const config: PromptConfig = { id: name, user: 'user.md', shots };
  write(join(dir, 'user.md'), files.user);
  if (files.system !== undefined) config.system = write(join(dir, 'system.md'), files.system) && 'system.md';
  if (files.shot !== undefined) config.shot = write(join(dir, 'shot.md'), files.shot) && 'shot.md';
  return { dir, config };
}

async function validate(path: string): Promise<{ code: number; errors: string }> {
  const errors: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
  vi.spyOn(console, 'log').mockImplementation(() => {});
  const code = await main(['validate', path]);
  return { code, errors: errors.join('\n') };
}

describe('routes: the shipped templates (experiments/prompts/routes/)', () => {
  const copy = loadPromptTemplates({ id: 'routes-copy', system: 'system.md', user: 'user.md', shots: 'turns' }, SHIPPED);

  it('render exactly the built-in prompt, for several problem shapes, items and k', () => {
    const shapes: [RoutesOptions, number][] = [
      [{ stores: { min: 4, max: 6 }, windowTightness: 0.6, poolSize: 16, evalItems: 6 }, 20261125],
      [{ stores: { min: 3, max: 7 }, windowTightness: 0, poolSize: 8, evalItems: 4 }, 3],
      [{ stores: { min: 5, max: 5 }, windowTightness: 1, poolSize: 8, evalItems: 4 }, 9],
    ];
    for (const [options, seed] of shapes) {
      const builtIn = createRoutesTask(options, seed);
      const templated = createRoutesTask(options, seed, copy);
      const data = builtIn.load();
      expect(templated.load()).toEqual(data);
      for (const item of data.items) {
        for (const k of [0, 1, 3, 8]) {
          const shots = data.pool.slice(0, k);
          expect(templated.render(shots, item)).toEqual(builtIn.render(shots, item));
        }
      }
    }
    expect(copy.files.map((f) => f.name)).toEqual(['system.md', 'user.md']);
  });

  it('are what the flagship experiment names in its comment, and validate keyless', async () => {
    const flagship = readFileSync(join(ROOT, 'experiments', 'routes.yaml'), 'utf8');
    expect(flagship).toContain('#     system: prompts/routes/system.md');
    expect(flagship).toContain('#     user: prompts/routes/user.md');
    // The flagship with its prompts: block uncommented, beside a copy of the shipped files.
    const dir = join(tmp, 'flagship');
    for (const name of ['system.md', 'user.md']) write(join(dir, 'prompts', 'routes', name), readFileSync(join(SHIPPED, name), 'utf8'));
    const uncommented = flagship.replace(/^# (prompts:|  - id: routes-copy|    (?:system|user): prompts\/routes\/\w+\.md)$/gm, '$1');
    expect(uncommented).toMatch(/^prompts:$/m);
    const path = write(join(dir, 'routes.yaml'), uncommented);
    const { task, data } = prepareSweep(path, {});
    expect(task.templateFiles?.map((f) => f.name)).toEqual(['prompts/routes/system.md', 'prompts/routes/user.md']);
    const builtIn = createRoutesTask({ stores: { min: 4, max: 6 }, windowTightness: 0.6, poolSize: 32, evalItems: 60 }, 20261125);
    const own = builtIn.load();
    expect(data.items.map((i) => i.text)).toEqual(own.items.map((i) => i.text));
    for (const k of [0, 4, 16]) expect(task.render(data.pool.slice(0, k), data.items[0]!)).toEqual(builtIn.render(own.pool.slice(0, k), own.items[0]!));
    expect((await validate(path)).code).toBe(0);
  });
});

describe('routes: the variables', () => {
  const options: RoutesOptions = { stores: { min: 3, max: 4 }, windowTightness: 0.7, poolSize: 6, evalItems: 3 };
  const builtIn = createRoutesTask(options, 5);
  const data = builtIn.load();
  const item = data.items[0]!;

  it('turns: each shot the user template with its problem, then its worked answer; the task-wide texts', () => {
    const { dir, config } = prompt('routes-turns', {
      system: 'Plan a route.\n{{ format }}\n(k = {{ k }}; first shot {{ shots[0].id }})',
      user: '{{ id }}: {{ stores | size }} stores from {{ depot.name }} at {{ depot.start }}, fuel {{ rate }}/min\n{{ input }}',
    });
    const task = createRoutesTask(options, 5, loadPromptTemplates(config, dir));
    const shots = data.pool.slice(0, 2);
    const messages = task.render(shots, item);
    const reference = builtIn.render(shots, item);
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
    expect(messages[0]!.content).toBe(`Plan a route.\n${ANSWER_FORMAT}\n(k = 2; first shot ${shots[0]!.id})`);
    expect(SYSTEM_PROMPT.endsWith(ANSWER_FORMAT)).toBe(true);
    expect(instanceText(item.data).endsWith(RULES)).toBe(true);
    const header = (x: typeof item) => `${x.id}: ${x.data.stores.length} stores from Depot at ${fmt(x.data.depotStart)}, fuel ${x.data.rate}/min`;
    expect(messages[1]!.content).toBe(`${header(shots[0]!)}\n${shots[0]!.text}`);
    expect(messages[2]!.content).toBe(reference[2]!.content);
    expect(messages[4]!.content).toBe(reference[4]!.content);
    expect(messages[5]!.content).toBe(`${header(item)}\n${item.text}`);
  });

  it('inline: one user turn; each shot through the shot template, with its solution as fields', () => {
    const { dir, config } = prompt(
      'routes-inline',
      {
        user: '{{ examples }}\n\nNow solve (stores {% for s in stores %}{{ s.letter }}{% if s.window %}[{{ s.window.open }}-{{ s.window.close }}]{% endif %} {% endfor %}):\n{{ input }}',
        shot: '{{ input }}\nBest: {{ solution.route }} costs {{ solution.cost }} ({{ solution.travelMinutes }} min, done {{ solution.lastServiceEnds }}; first leg {{ solution.legs[0].from }} -> {{ solution.legs[0].to }} arrive {{ solution.legs[0].arrive }}; {{ solution.stops | join: "" }})',
      },
      'inline',
    );
    const task = createRoutesTask(options, 5, loadPromptTemplates(config, dir));
    const shots = data.pool.slice(0, 2);
    const messages = task.render(shots, item);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.role).toBe('user');
    const text = messages[0]!.content;
    const reference = builtIn.render(shots, item);
    const [first, second] = text.split('\n\nNow solve')[0]!.split('\n\n');
    for (const [i, shown] of [first, second].entries()) {
      expect(shown!.startsWith(`${shots[i]!.text}\nBest: Depot -> Store `)).toBe(true);
      // The fields say what the worked answer (the built-in assistant turn) says.
      const worked = reference[2 + 2 * i]!.content;
      const route = /ROUTE: (.*)\nCOST: (\d+)$/.exec(worked)!;
      expect(shown).toContain(`Best: ${route[1]} costs ${route[2]} (`);
      expect(shown).toMatch(/first leg Depot -> Store [A-D] arrive \d\d:\d\d; [A-D]{3,4}\)$/);
    }
    const windows = item.data.stores.map((s) => `${s.letter}${s.window ? `[${fmt(s.window.open)}-${fmt(s.window.close)}]` : ''} `).join('');
    expect(text.endsWith(`\n\nNow solve (stores ${windows}):\n${item.text}`)).toBe(true);

    // Without a shot template: "Input:" and "Answer:" (the worked answer) per shot.
    const plain = prompt('routes-inline-plain', { user: '{{ examples }}\n---\n{{ input }}' }, 'inline');
    const bare = createRoutesTask(options, 5, loadPromptTemplates(plain.config, plain.dir)).render(shots.slice(0, 1), item);
    expect(bare).toEqual([{ role: 'user', content: `Input: ${shots[0]!.text}\nAnswer: ${reference[2]!.content}\n---\n${item.text}` }]);
  });

  it('offers the structured problem: places and the travel matrix to loop over, windows in minutes too', () => {
    const { dir, config } = prompt('routes-matrix', {
      user: '{% for row in travel %}{{ places[forloop.index0] }}:{{ row | join: "," }};{% endfor %}|{% for s in stores %}{{ s.windowText }}/{% if s.window %}{{ s.window.openMinutes }}{% else %}-{% endif %};{% endfor %}',
    });
    const task = createRoutesTask(options, 5, loadPromptTemplates(config, dir));
    const [user] = task.render([], item);
    const places = ['Depot', ...item.data.stores.map((s) => s.letter)];
    const matrix = item.data.travel.map((row, i) => `${places[i]}:${row.join(',')};`).join('');
    const windows = item.data.stores.map((s) => (s.window ? `${fmt(s.window.open)}-${fmt(s.window.close)}/${s.window.open};` : 'all day/-;')).join('');
    expect(user).toEqual({ role: 'user', content: `${matrix}|${windows}` });
  });

  it('an unknown variable is file:line:col, and the item has no solution to show', () => {
    const { dir, config } = prompt('routes-unknown', { user: '{{ input }}\nCost: {{ solution.cost }}' });
    const task = createRoutesTask(options, 5, loadPromptTemplates(config, dir));
    let error: unknown;
    try {
      task.render(data.pool.slice(0, 1), item);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as Error).message).toBe(
      `${join(dir, 'user.md')}:2:10: unknown variable "solution" (known: depot, examples, format, id, input, instructions, k, places, rate, rules, shots, stores, travel, travelTable)`,
    );
  });

  it('validate: an unknown variable in a routes template is exit 2 with file:line:col, before any call', async () => {
    const dir = join(tmp, 'routes-validate');
    write(join(dir, 'prompts', 'user.md'), 'Problem:\n{{ input }}\n  {{ depot.opens }}');
    const path = write(
      join(dir, 'exp.yaml'),
      [
        'name: routes-validate',
        'task: { type: routes, stores: { min: 3, max: 3 }, poolSize: 4, evalItems: 2 }',
        'shots: [0, 2]',
        'providers: [local]',
        'prompts:',
        '  - { id: mine, user: prompts/user.md }',
      ].join('\n'),
    );
    const { code, errors } = await validate(path);
    expect(code).toBe(2);
    // A property a variable does not have is unknown too (the first turn rendered is a shot's: it also has output and solution).
    expect(errors).toContain(
      `${join(dir, 'prompts', 'user.md')}:3:6: unknown variable "depot.opens" (known: depot, examples, format, id, input, instructions, k, output, places, rate, rules, shots, solution, stores, travel, travelTable)`,
    );
  });
});

describe('adaptgauge with templates (the fixture packs)', () => {
  const classification = { type: 'adaptgauge' as const, file: 'classification.json' };
  const builtIn = createAdaptGaugeTask(classification, 0, PACKS);
  const data = builtIn.load();

  it('{{ instruction }} as the system turn and {{ input }} as the user turn is the built-in prompt', () => {
    const { dir, config } = prompt('ag-copy', { system: '{{ instruction }}', user: '{{ input }}' });
    const task = createAdaptGaugeTask(classification, 0, PACKS, {}, loadPromptTemplates(config, dir));
    expect(task.templateFiles?.map((f) => f.name)).toEqual(['system.md', 'user.md']);
    for (const item of data.items) {
      for (const k of [0, 1, 4, 8]) expect(task.render(data.pool.slice(0, k), item)).toEqual(builtIn.render(data.pool.slice(0, k), item));
    }
  });

  it('turns and inline: input, output, id, shots, k, the labels of a label task, the task id', () => {
    const turns = prompt('ag-turns', { system: '{{ taskId }}: one of {{ labels | join: ", " }} (k = {{ k }})', user: '[{{ id }}] {{ input }}' });
    const task = createAdaptGaugeTask(classification, 0, PACKS, {}, loadPromptTemplates(turns.config, turns.dir));
    const item = data.items[0]!;
    const shots = data.pool.slice(0, 2);
    const labels = [...new Set([...data.pool, ...data.items].map((x) => x.label!))].sort();
    expect(labels.length).toBeGreaterThan(2);
    expect(task.render(shots, item)).toEqual([
      { role: 'system', content: `classification_001: one of ${labels.join(', ')} (k = 2)` },
      { role: 'user', content: `[${shots[0]!.id}] ${shots[0]!.data.input}` },
      { role: 'assistant', content: shots[0]!.data.output },
      { role: 'user', content: `[${shots[1]!.id}] ${shots[1]!.data.input}` },
      { role: 'assistant', content: shots[1]!.data.output },
      { role: 'user', content: `[${item.id}] ${item.data.input}` },
    ]);

    const inline = prompt(
      'ag-inline',
      {
        system: '{{ instruction }}',
        user: '{{ examples }}\n\n{% for s in shots %}{{ s.output }}|{% endfor %}\nQ: {{ input }}\nA:',
        shot: 'Q: {{ input }}\nA: {{ output }}',
      },
      'inline',
    );
    const inlineTask = createAdaptGaugeTask(classification, 0, PACKS, {}, loadPromptTemplates(inline.config, inline.dir));
    const messages = inlineTask.render(shots, item);
    expect(messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(messages[0]!.content).toBe(builtIn.render([], item)[0]!.content);
    expect(messages[1]!.content).toBe(
      `${shots.map((s) => `Q: ${s.data.input}\nA: ${s.data.output}`).join('\n\n')}\n\n${shots.map((s) => `${s.data.output}|`).join('')}\nQ: ${item.data.input}\nA:`,
    );
    // The item's expected output is there too (like classify's label): the template decides not to show it.
    const leak = prompt('ag-leak', { user: '{{ input }} => {{ output }}' });
    const leaked = createAdaptGaugeTask(classification, 0, PACKS, {}, loadPromptTemplates(leak.config, leak.dir)).render([], item);
    expect(leaked).toEqual([{ role: 'user', content: `${item.data.input} => ${item.data.output}` }]);
  });

  it('a task of a pack without labels offers an empty label list; scoring is the task’s own', () => {
    const options = { type: 'adaptgauge' as const, file: 'task_pack_core_demo.json', taskId: 'summarization_001' };
    const { dir, config } = prompt('ag-pack', { user: 'labels: {{ labels | size }}\n{{ input }}' });
    const task = createAdaptGaugeTask(options, 0, PACKS, {}, loadPromptTemplates(config, dir));
    const reference = createAdaptGaugeTask(options, 0, PACKS);
    const item = task.load().items[0]!;
    expect(task.render([], item)).toEqual([{ role: 'user', content: `labels: 0\n${item.data.input}` }]);
    expect(task.score(item.data.output, item)).toEqual(reference.score(item.data.output, item));
    expect(task.parse(' text ')).toEqual(reference.parse(' text '));
  });

  it('validate: an unknown variable in an AdaptGauge template is exit 2 with file:line:col', async () => {
    const dir = join(tmp, 'ag-validate');
    write(join(dir, 'prompts', 'system.md'), '{{ instruction }}\n\n{{ expected_output }}');
    write(join(dir, 'prompts', 'user.md'), '{{ input }}');
    const path = write(
      join(dir, 'exp.yaml'),
      [
        'name: ag-validate',
        'task:',
        '  type: adaptgauge',
        `  file: ${join(PACKS, 'task_pack_phase15.json')}`,
        '  taskId: sentiment_analysis_001',
        'shots: [0, 2]',
        'providers: [local]',
        'prompts:',
        '  - { id: mine, system: prompts/system.md, user: prompts/user.md }',
      ].join('\n'),
    );
    const { code, errors } = await validate(path);
    expect(code).toBe(2);
    expect(errors).toContain(
      `${join(dir, 'prompts', 'system.md')}:3:4: unknown variable "expected_output" (known: examples, id, input, instruction, k, labels, output, shots, taskId)`,
    );
  });
});

describe('a keyless routes sweep with templates, through the CLI', () => {
  it('runs the local baseline over the templated prompt and records the template files', () => {
    const dir = join(tmp, 'cli-routes');
    for (const name of ['system.md', 'user.md']) write(join(dir, 'prompts', name), readFileSync(join(SHIPPED, name), 'utf8'));
    const path = write(
      join(dir, 'exp.yaml'),
      [
        'name: routes-templated',
        'seed: 3',
        'task: { type: routes, stores: { min: 3, max: 4 }, poolSize: 4, evalItems: 3 }',
        'shots: [0, 2]',
        'selectors: [random]',
        'repeats: 1',
        'providers: [local]',
        'prompts:',
        '  - id: routes-copy',
        '    system: prompts/system.md',
        '    user: prompts/user.md',
      ].join('\n'),
    );
    const out = join(dir, 'out');
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FEWSHOT_CACHE_DIR: join(dir, 'cache') };
    for (const key of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY']) delete env[key];
    const result = spawnSync(process.execPath, [BIN, 'sweep', path, '--out', out, '--quiet'], { cwd: ROOT, env, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const runs = readdirSync(out);
    expect(runs).toHaveLength(1);
    const run = join(out, runs[0]!);
    const info = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
    // 3 items x (1 zero-shot + 1 selector x 1 k)
    expect(info).toMatchObject({ status: 'complete', plannedTrials: 6, completedTrials: 6 });
    expect(info.prompt.templateFiles.map((f: { name: string }) => f.name)).toEqual(['prompts/system.md', 'prompts/user.md']);
    const trials = readFileSync(join(run, 'trials.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(trials).toHaveLength(6);
    // The local baseline answers in the task's format: parsed and scored by the task.
    for (const t of trials) expect(t.parseOk).toBe(true);
    // The same prompt as the built-in one: the same prompt hashes as a sweep without `prompts:`.
    const plain = write(join(dir, 'plain.yaml'), readFileSync(path, 'utf8').split('\nprompts:')[0]!.replace('routes-templated', 'routes-plain'));
    const plainOut = join(dir, 'plain-out');
    expect(spawnSync(process.execPath, [BIN, 'sweep', plain, '--out', plainOut, '--quiet'], { cwd: ROOT, env, encoding: 'utf8' }).status).toBe(0);
    const plainTrials = readFileSync(join(plainOut, readdirSync(plainOut)[0]!, 'trials.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const hashes = (ts: { itemId: string; k: number; promptHash: string }[]) => ts.map((t) => `${t.itemId}/${t.k}/${t.promptHash}`).sort();
    expect(hashes(trials)).toEqual(hashes(plainTrials));
  });
});

function fmt(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
