// Prompt templates from files (`prompts:`): rendering, each error with its file:line:col, inline vs
// turns shots on the OpenAI wire (the real SDK against the fake server), the fingerprint and compare.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runSweep } from '../src/app/sweep-and-report.js';
import { main } from '../src/cli.js';
import { compareCommand } from '../src/compare/command.js';
import { loadExperiment } from '../src/config/load.js';
import type { RunInfo } from '../src/records/run-info.js';
import { prepareSweep } from '../src/runner/prepare.js';
import { TaskDataError, TemplateError } from '../src/tasks/errors.js';
import { loadPromptTemplates, templateEngine, templateRecord } from '../src/tasks/templates.js';
import { fakeSleep, SENTINEL, trackServers } from './providers-helpers.js';
import { startAnthropicServer, startGeminiServer, startOpenAIServer, type FakeServer } from './servers/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'fewshot-templates-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());
const track = trackServers();
const ENV = { OPENAI_API_KEY: SENTINEL };

function write(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

const LABELS = ['billing', 'shipping'];
function dataset(dir: string): string {
  const lines = Array.from({ length: 12 }, (_, i) =>
    JSON.stringify({ id: `T${i}`, text: `ticket ${i} about ${LABELS[i % 2]}`, label: LABELS[i % 2], lang: i % 3 === 0 ? 'de' : 'en' }),
  );
  return write(join(dir, 'tickets.jsonl'), `${lines.join('\n')}\n`);
}

interface PromptFiles {
  system?: string;
  user: string;
  shot?: string;
  shots?: 'turns' | 'inline';
}

/** A classify experiment in its own folder, with its prompt's template files under prompts/. */
function experiment(name: string, prompt: PromptFiles | null, providers: Record<string, unknown>[] = [{ id: 'local' }], extra: string[] = []): string {
  const dir = join(tmp, name);
  dataset(dir);
  const entry: string[] = [];
  if (prompt) {
    entry.push('prompts:', '  - id: terse');
    for (const field of ['system', 'user', 'shot'] as const) {
      const text = prompt[field];
      if (text !== undefined) {
        write(join(dir, 'prompts', `${field}.md`), text);
        entry.push(`    ${field}: prompts/${field}.md`);
      }
    }
    if (prompt.shots) entry.push(`    shots: ${prompt.shots}`);
  }
  return write(
    join(dir, 'exp.yaml'),
    [
      `name: ${name}`,
      'seed: 1',
      'task:',
      '  type: classify',
      '  data: { file: tickets.jsonl, fields: { input: text, label: label, id: id } }',
      '  split: { poolSize: 6, evalItems: 6 }',
      'shots: [0, 2]',
      'providers:',
      ...providers.map((p) => `  - ${JSON.stringify(p)}`),
      ...entry,
      ...extra,
    ].join('\n'),
  );
}

describe('rendering a prompt template', () => {
  const dir = join(tmp, 'unit');
  const rec = (id: string, input: string, label: string) => templateRecord({ text: input, label, lang: 'en', id }, { id, input, label }, label);

  it('renders turns: each shot with the user template, its answer as the assistant turn; no HTML escaping', () => {
    write(join(dir, 's.md'), 'Labels: {{ labels | join: ", " }} (k = {{ k }})\n');
    write(join(dir, 'u.md'), '[{{ lang }}] {{ input }} <{{ id }}> & more\n');
    const t = loadPromptTemplates({ id: 'p', system: 's.md', user: 'u.md', shots: 'turns' }, dir);
    const messages = t.render([rec('a', 'x "1"', 'billing')], rec('b', 'y', 'shipping'), { labels: LABELS });
    expect(messages).toEqual([
      { role: 'system', content: 'Labels: billing, shipping (k = 1)' },
      { role: 'user', content: '[en] x "1" <a> & more' },
      { role: 'assistant', content: 'billing' },
      { role: 'user', content: '[en] y <b> & more' },
    ]);
    expect(t.files.map((f) => f.name)).toEqual(['s.md', 'u.md']);
  });

  it('renders inline: shots through the shot template as `examples`, and the `shots` list', () => {
    write(join(dir, 'shot.md'), 'Q: {{ input }}\nA: {{ label }}\n');
    write(join(dir, 'inline.md'), '{{ examples }}\n\n{% for s in shots %}{{ s.id }};{% endfor %}\nQ: {{ input }}\nA:');
    const t = loadPromptTemplates({ id: 'p', user: 'inline.md', shot: 'shot.md', shots: 'inline' }, dir);
    const messages = t.render([rec('a', 'one', 'billing'), rec('b', 'two', 'shipping')], rec('c', 'three', 'billing'), {});
    expect(messages).toEqual([{ role: 'user', content: 'Q: one\nA: billing\n\nQ: two\nA: shipping\n\na;b;\nQ: three\nA:' }]);
  });

  it('an unknown variable is an error at its file:line:col, naming the known ones', () => {
    write(join(dir, 'unknown.md'), 'Text:\n  {{ inptu }}\n');
    const t = loadPromptTemplates({ id: 'p', user: 'unknown.md', shots: 'turns' }, dir);
    let error: unknown;
    try {
      t.render([], rec('a', 'x', 'billing'), {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as Error).message).toMatch(
      new RegExp(`^${join(dir, 'unknown.md').replace(/[\\/.]/g, '\\$&')}:2:6: unknown variable "inptu" \\(known: .*input.*\\)$`),
    );
  });

  it('a syntax error is an error at its file:line:col when the template is loaded', () => {
    write(join(dir, 'syntax.md'), 'line one\n{% if input %}never closed\n');
    expect(() => loadPromptTemplates({ id: 'p', user: 'syntax.md', shots: 'turns' }, dir)).toThrow(
      `${join(dir, 'syntax.md')}:2:1: syntax error: tag {% if input %} not closed`,
    );
  });

  it('a template cannot read other files', () => {
    write(join(dir, 'include.md'), '{% include "u.md" %}');
    expect(() => loadPromptTemplates({ id: 'p', user: 'include.md', shots: 'turns' }, dir)).toThrow(
      /include\.md:1:1: .*\{% include %\} is not allowed: prompt templates cannot read other files/,
    );
  });

  it('a missing file names the file and the field', () => {
    const load = () => loadPromptTemplates({ id: 'p', user: 'nope.md', shots: 'turns' }, dir);
    expect(load).toThrow(TaskDataError);
    expect(load).toThrow(`${join(dir, 'nope.md')}: cannot read the template of prompts[0].user (p): no such file`);
  });

  it('an empty user template, or one that is not UTF-8, is refused with its file (and line)', () => {
    write(join(dir, 'empty.md'), '  \n');
    expect(() => loadPromptTemplates({ id: 'p', user: 'empty.md', shots: 'turns' }, dir)).toThrow(
      `${join(dir, 'empty.md')}: the user template of prompt p is empty; every request needs a user message`,
    );
    writeFileSync(join(dir, 'latin1.md'), Buffer.from([0x7b, 0x7b, 0x20, 0x69, 0x6e, 0x70, 0x75, 0x74, 0x20, 0x7d, 0x7d, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a]));
    expect(() => loadPromptTemplates({ id: 'p', user: 'latin1.md', shots: 'turns' }, dir)).toThrow(
      `${join(dir, 'latin1.md')}:2: not valid UTF-8 (byte 0xe9 at byte 4 of the line): prompt templates must be UTF-8 text`,
    );
  });
});

describe('a runaway template', () => {
  it('a loop of 10^8 iterations is stopped by the render limit, not waited for', () => {
    expect(() => templateEngine().parseAndRenderSync('{% for i in (1..100000000) %}x{% endfor %}', {})).toThrow(/limit exceeded/);
  });
});

describe('generate with a template', () => {
  it('offers `output` (not `label`), and the record columns', () => {
    const dir = join(tmp, 'gen');
    const lines = Array.from({ length: 6 }, (_, i) => JSON.stringify({ id: `G${i}`, q: `question ${i}`, a: `answer ${i}`, topic: 'maths' }));
    write(join(dir, 'qa.jsonl'), `${lines.join('\n')}\n`);
    write(join(dir, 'u.md'), '{{ topic }}: {{ input }}');
    write(join(dir, 'bad.md'), '{{ input }} {{ label }}');
    const config = (user: string) =>
      write(
        join(dir, `exp-${user}.yaml`),
        [
          'name: gen',
          'task:',
          '  type: generate',
          '  data: { file: qa.jsonl, fields: { input: q, output: a, id: id } }',
          '  split: { poolSize: 3, evalItems: 3 }',
          '  scoring: { method: exact }',
          'shots: [0, 1]',
          'providers: [local]',
          'prompts:',
          `  - { id: p, user: ${user} }`,
        ].join('\n'),
      );
    const { task, data } = prepareSweep(config('u.md'), ENV);
    const messages = task.render(data.pool.slice(0, 1), data.items[0]!);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(messages[0]!.content).toMatch(/^maths: question \d$/);
    expect(messages[1]!.content).toMatch(/^answer \d$/);
    expect(() => prepareSweep(config('bad.md'), ENV)).toThrow(/bad\.md:1:16: unknown variable "label"/);
  });
});

describe('prompts: in the experiment', () => {
  it('takes several variants with distinct ids (never `builtin`); every task takes them (routes too)', () => {
    const two = experiment('two', { user: '{{ input }}' }, [{ id: 'local' }], ['  - { id: other, user: prompts/user.md }']);
    expect(loadExperiment(two).prompts?.map((p) => p.id)).toEqual(['terse', 'other']);
    const same = experiment('same', { user: '{{ input }}' }, [{ id: 'local' }], ['  - { id: terse, user: prompts/user.md }']);
    expect(() => loadExperiment(same)).toThrow(/exp\.yaml:13:11: prompts\[1\]\.id: prompt id "terse" is already used/);
    const reserved = experiment('reserved', { user: '{{ input }}' }, [{ id: 'local' }], ['  - { id: builtin, user: prompts/user.md }']);
    expect(() => loadExperiment(reserved)).toThrow(/"builtin" names the task's own prompt/);
    const routes = write(
      join(tmp, 'routes', 'exp.yaml'),
      ['name: r', 'task: { type: routes }', 'shots: [0]', 'providers: [local]', 'prompts:', '  - { id: p, user: u.md }'].join('\n'),
    );
    // routes and adaptgauge render templates too (test/templates-routes-adaptgauge.test.ts).
    expect(loadExperiment(routes).prompts?.map((p) => p.id)).toEqual(['p']);
  });

  it('validate renders the templates against the first item and shots: an unknown variable is exit 2 with file:line:col', async () => {
    const bad = experiment('bad', { system: 'ok {{ labels | size }}', user: '{{ input }}\n{{ nonsense }}' });
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await main(['validate', bad])).toBe(2);
    expect(errors.join('\n')).toContain(`${join(tmp, 'bad', 'prompts', 'user.md')}:2:4: unknown variable "nonsense"`);
    const good = experiment('good', { user: '{{ input }} ({{ lang }})' });
    expect(await main(['validate', good])).toBe(0);
    expect(prepareSweep(good, ENV).task.templateFiles?.map((f) => f.name)).toEqual(['prompts/user.md']);
  });
});

describe('templates on the OpenAI wire (the real SDK against the fake server)', () => {
  async function server(): Promise<FakeServer> {
    const s = await track(startOpenAIServer());
    s.script(() => ({ kind: 'text', text: 'billing' }));
    return s;
  }
  const sweep = (path: string) =>
    runSweep({ experimentPath: path, outDir: join(dirname(path), 'out'), quiet: true, env: ENV, log: () => {}, providerOptions: { sleep: fakeSleep().sleep } });
  const messagesOf = (s: FakeServer) => s.requests.map((r) => r.body.messages as { role: string; content: string }[]);

  it('turns: each shot a user/assistant pair; inline: one user message holding the shots', async () => {
    const s = await server();
    const provider = { id: 'openai:gpt-4o-mini', baseUrl: `${s.url}/v1`, temperature: 0 };
    await sweep(experiment('wire-turns', { system: 'Pick one of {{ labels | join: "/" }}.', user: 'Ticket: {{ input }}' }, [provider]));
    const turns = messagesOf(s).filter((m) => m.length > 2);
    expect(turns.length).toBeGreaterThan(0);
    for (const m of turns) {
      expect(m.map((x) => x.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
      expect(m[0]!.content).toBe('Pick one of billing/shipping.');
      expect(m[1]!.content).toMatch(/^Ticket: ticket \d+ about /);
      expect(LABELS).toContain(m[2]!.content);
    }

    const t = await server();
    const inline = { id: 'openai:gpt-4o-mini', baseUrl: `${t.url}/v1`, temperature: 0 };
    await sweep(experiment('wire-inline', { user: '{{ examples }}\n---\n{{ input }} =>', shot: '{{ input }} => {{ label }}', shots: 'inline' }, [inline]));
    const all = messagesOf(t);
    expect(all.length).toBeGreaterThan(0);
    for (const m of all) expect(m.map((x) => x.role)).toEqual(['user']);
    const withShots = all.filter((m) => m[0]!.content.split('\n')[0] !== '---');
    expect(withShots.length).toBeGreaterThan(0);
    for (const m of withShots)
      expect(m[0]!.content).toMatch(/^ticket \d+ about \w+ => (billing|shipping)\n\nticket \d+ about \w+ => (billing|shipping)\n---\nticket \d+ about \w+ =>$/);
  });
});

describe('templates on the Anthropic and Gemini wires (the real SDKs against the fake servers)', () => {
  const sweep = (path: string, env: Record<string, string>) =>
    runSweep({ experimentPath: path, outDir: join(dirname(path), 'out'), quiet: true, env, log: () => {}, providerOptions: { sleep: fakeSleep().sleep } });
  const turns = { system: 'Pick one of {{ labels | join: "/" }}.', user: 'Ticket: {{ input }}' };
  const inline = { user: '{{ examples }}\n---\n{{ input }} =>', shot: '{{ input }} => {{ label }}', shots: 'inline' as const };
  const text = (parts: { text: string }[]) => parts.map((p) => p.text).join('');

  it('Anthropic: the system template as the system block; turns as user/assistant pairs, inline as one user turn', async () => {
    const s = await track(startAnthropicServer());
    s.script(() => ({ kind: 'text', text: 'billing' }));
    const provider = { id: 'anthropic:claude-haiku-4-5', baseUrl: s.url, maxOutputTokens: 10 };
    await sweep(experiment('anthropic-turns', turns, [provider]), { ANTHROPIC_API_KEY: SENTINEL });
    const withShots = s.requests.filter((r) => (r.body.messages as unknown[]).length > 1);
    expect(withShots.length).toBeGreaterThan(0);
    for (const r of s.requests) expect(r.body.system).toEqual([{ type: 'text', text: 'Pick one of billing/shipping.' }]);
    for (const r of withShots) {
      const m = r.body.messages as { role: string; content: { text: string }[] }[];
      expect(m.map((x) => x.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
      expect(text(m[0]!.content)).toMatch(/^Ticket: ticket \d+ about /);
      expect(LABELS).toContain(text(m[1]!.content));
    }

    const t = await track(startAnthropicServer());
    t.script(() => ({ kind: 'text', text: 'billing' }));
    await sweep(experiment('anthropic-inline', inline, [{ ...provider, baseUrl: t.url }]), { ANTHROPIC_API_KEY: SENTINEL });
    for (const r of t.requests) {
      expect(r.body.system).toBeUndefined();
      const m = r.body.messages as { role: string; content: { text: string }[] }[];
      expect(m.map((x) => x.role)).toEqual(['user']);
    }
    expect(t.requests.some((r) => /=> (billing|shipping)\n\nticket/.test(text(r.body.messages[0].content)))).toBe(true);
  });

  it('Gemini: the system template as systemInstruction; turns as user/model pairs, inline as one user turn', async () => {
    const s = await track(startGeminiServer());
    s.script(() => ({ kind: 'text', text: 'billing' }));
    const provider = { id: 'google:gemini-2.5-flash', baseUrl: s.url, maxOutputTokens: 10 };
    await sweep(experiment('gemini-turns', turns, [provider]), { GEMINI_API_KEY: SENTINEL });
    const withShots = s.requests.filter((r) => (r.body.contents as unknown[]).length > 1);
    expect(withShots.length).toBeGreaterThan(0);
    for (const r of s.requests) expect(r.body.systemInstruction).toEqual({ role: 'user', parts: [{ text: 'Pick one of billing/shipping.' }] });
    for (const r of withShots) {
      const c = r.body.contents as { role: string; parts: { text: string }[] }[];
      expect(c.map((x) => x.role)).toEqual(['user', 'model', 'user', 'model', 'user']);
      expect(text(c[0]!.parts)).toMatch(/^Ticket: ticket \d+ about /);
      expect(LABELS).toContain(text(c[1]!.parts));
    }

    const t = await track(startGeminiServer());
    t.script(() => ({ kind: 'text', text: 'billing' }));
    await sweep(experiment('gemini-inline', inline, [{ ...provider, baseUrl: t.url }]), { GEMINI_API_KEY: SENTINEL });
    for (const r of t.requests) {
      expect(r.body.systemInstruction).toBeUndefined();
      expect((r.body.contents as { role: string }[]).map((x) => x.role)).toEqual(['user']);
    }
    expect(t.requests.some((r) => /=> (billing|shipping)\n\nticket/.test(text(r.body.contents[0].parts)))).toBe(true);
  });
});

describe('the fingerprint and compare', () => {
  it('a changed template file changes the fingerprint, and compare names the file', async () => {
    const path = experiment('fp', { system: 'Answer with the label.', user: '{{ input }}' });
    const out = join(tmp, 'fp', 'out');
    const run = () => runSweep({ experimentPath: path, outDir: out, quiet: true, env: ENV, log: () => {}, providerOptions: { sleep: fakeSleep().sleep } });
    const first = await run();
    // A change the first item does not show still changes the hash (the file's sha256 is in it).
    write(join(tmp, 'fp', 'prompts', 'system.md'), 'Answer with the label.{% if id == "none" %} never{% endif %}');
    await new Promise((r) => setTimeout(r, 1100)); // run ids are per second
    const second = await run();
    const info = (dir: string) => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunInfo;
    const [a, b] = [info(first.runDir), info(second.runDir)];
    expect(a.prompt!.templateFiles!.map((f) => f.name)).toEqual(['prompts/system.md', 'prompts/user.md']);
    expect(a.prompt!.hash).not.toBe(b.prompt!.hash);
    expect(a.prompt!.templateFiles![1]).toEqual(b.prompt!.templateFiles![1]);
    expect(readdirSync(out)).toHaveLength(2);

    let text = '';
    compareCommand({ baseline: first.runDir, candidate: second.runDir, failOn: 'none', allowDifferentExperiments: false }, (t) => void (text += t));
    const promptLine = text.split('\n').find((l) => l.startsWith('prompt:'));
    expect(promptLine).toMatch(/^prompt: template changed \(\w{8} -> \w{8}\); template file changed: prompts\/system\.md; settings unchanged$/);
    // The rendered-template diff stays.
    expect(text).toContain('+prompts/system.md sha256:');
  });
});
