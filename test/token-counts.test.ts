// Issue 16, real token counts and context windows: OpenAI prompts counted with the tokenizer
// (gpt-tokenizer's BPE ranks, offline), the others estimated and labelled so; the dated
// context-window table and the experiment's contextWindows:; validate and sweep --dry-run refusing a
// cell whose longest prompt plus its output would not fit; --count-tokens asking the fake Anthropic
// server's count endpoint. Offline: nothing leaves 127.0.0.1.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { encode as encodeCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { encode as encodeO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { encodeChat } from 'gpt-tokenizer/model/gpt-4o';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { loadContextWindowTable, parseContextWindowTable, resolveContextWindow } from '../src/config/context-windows.js';
import { loadPriceTable } from '../src/config/prices.js';
import {
  BUDGET_ESTIMATE_MARGIN,
  countPromptTokens,
  ESTIMATE_LABEL,
  estimateTokens,
  promptTokensForBudget,
  tokenCounting,
  wireMessages,
} from '../src/providers/tokens.js';
import { checkContextWindows } from '../src/runner/context-check.js';
import { estimateSweep } from '../src/runner/estimate.js';
import { prepareSweep } from '../src/runner/prepare.js';
import { SENTINEL, trackServers } from './providers-helpers.js';
import { startAnthropicServer } from './servers/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'fewshot-tokens-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});
const track = trackServers();

const TEXT = 'Route: depart 08:15 from the depot, visit stores A (09:00-10:30), B and C; minimise the cost. Доставка: магазины A и B → ok!';
const CHAT = [
  { role: 'system' as const, content: 'You plan delivery routes.' },
  { role: 'user' as const, content: TEXT },
  { role: 'assistant' as const, content: 'ROUTE: Depot -> A -> B -> C' },
  { role: 'user' as const, content: 'And now with store D?' },
];

describe('prompt token counts', () => {
  it('counts an OpenAI prompt exactly: the tokenizer per message plus the chat framing', () => {
    const one = countPromptTokens('openai:gpt-4o-mini', [{ role: 'user', content: TEXT }]);
    // 3 framing + the role (1 token) + the content, and 3 priming the reply.
    expect(one).toEqual({ tokens: 3 + 1 + encodeO200k(TEXT).length + 3, exact: true, encoding: 'o200k_base' });
    const chat = countPromptTokens('openai:gpt-4o', CHAT);
    expect(chat.tokens).toBe(3 + CHAT.reduce((n, m) => n + 3 + encodeO200k(m.role).length + encodeO200k(m.content).length, 0));
    // The same as the library's own chat encoding for gpt-4o.
    expect(chat.tokens).toBe(encodeChat(CHAT).length);
    // An older model, by its own encoding; the two encodings differ on this text.
    const old = countPromptTokens('openai:gpt-4-turbo-2024-04-09', [{ role: 'user', content: TEXT }]);
    expect(old).toEqual({ tokens: 7 + encodeCl100k(TEXT).length, exact: true, encoding: 'cl100k_base' });
    expect(encodeCl100k(TEXT).length).not.toBe(encodeO200k(TEXT).length);
    // Special-token text is counted as the API counts it: as plain text, never an error.
    expect(countPromptTokens('openai:gpt-4o', [{ role: 'user', content: 'a <|endoftext|> b' }]).tokens).toBeGreaterThan(7 + 1);
  });

  it('picks the encoding by model name, snapshots and Azure deployments included', () => {
    const encodingOf = (id: string) => {
      const c = tokenCounting(id);
      return `${c.encoding ?? 'estimate'}${c.exact ? '' : '?'}`;
    };
    expect(
      Object.fromEntries(
        [
          'openai:gpt-4o-mini-2024-07-18',
          'openai:chatgpt-4o-latest',
          'openai:gpt-4.1-nano',
          'openai:gpt-4.5-preview',
          'openai:o1',
          'openai:o3-mini',
          'openai:o4-mini-2025-04-16',
          'openai:gpt-5',
          'openai:gpt-5.1-2025-11-13',
          'openai:gpt-4',
          'openai:gpt-3.5-turbo',
          'azure-openai:gpt-4o',
          'azure-openai:gpt-35-turbo',
          'azure-openai:prod-chat',
          'openai:some-future-model',
          'openai-compatible:llama3.1',
          'anthropic:claude-haiku-4-5',
          'google:gemini-2.5-flash',
          'vertex:gemini-2.5-pro',
          'local',
        ].map((id) => [id, encodingOf(id)]),
      ),
    ).toEqual({
      'openai:gpt-4o-mini-2024-07-18': 'o200k_base',
      'openai:chatgpt-4o-latest': 'o200k_base',
      'openai:gpt-4.1-nano': 'o200k_base',
      'openai:gpt-4.5-preview': 'o200k_base',
      'openai:o1': 'o200k_base',
      'openai:o3-mini': 'o200k_base',
      'openai:o4-mini-2025-04-16': 'o200k_base',
      'openai:gpt-5': 'o200k_base',
      'openai:gpt-5.1-2025-11-13': 'o200k_base',
      'openai:gpt-4': 'cl100k_base',
      'openai:gpt-3.5-turbo': 'cl100k_base',
      'azure-openai:gpt-4o': 'o200k_base',
      'azure-openai:gpt-35-turbo': 'cl100k_base',
      // A deployment or model fewshot cannot place: counted with o200k_base, but not called exact.
      'azure-openai:prod-chat': 'o200k_base?',
      'openai:some-future-model': 'o200k_base?',
      'openai-compatible:llama3.1': 'estimate?',
      'anthropic:claude-haiku-4-5': 'estimate?',
      'google:gemini-2.5-flash': 'estimate?',
      'vertex:gemini-2.5-pro': 'estimate?',
      local: 'estimate?',
    });
    expect(tokenCounting('openai:gpt-4o').label).toBe('exact (o200k_base)');
    expect(tokenCounting('azure-openai:prod-chat').label).toBe('estimated (o200k_base; the deployment name is not one fewshot knows the encoding of)');
  });

  it('estimates the other providers at about four characters a token, labelled as an estimate', () => {
    const joined = CHAT.map((m) => m.content).join('\n');
    for (const id of ['anthropic:claude-sonnet-4-5', 'google:gemini-2.5-pro', 'openai-compatible:qwen', 'local']) {
      expect(countPromptTokens(id, CHAT)).toEqual({ tokens: estimateTokens(joined), exact: false });
      expect(tokenCounting(id).label).toBe(ESTIMATE_LABEL);
    }
    expect(ESTIMATE_LABEL).toBe('estimated (~4 chars/token)');
    expect(estimateTokens('abcdefgh')).toBe(2);
  });

  it("the budget's worst case: exact where it can be, else the estimate with its safety margin", () => {
    expect(promptTokensForBudget('openai:gpt-4o-mini', CHAT)).toBe(countPromptTokens('openai:gpt-4o-mini', CHAT).tokens);
    const estimate = countPromptTokens('anthropic:claude-haiku-4-5', CHAT).tokens;
    expect(promptTokensForBudget('anthropic:claude-haiku-4-5', CHAT)).toBe(Math.ceil(estimate * BUDGET_ESTIMATE_MARGIN));
    expect(BUDGET_ESTIMATE_MARGIN).toBe(1.25);
    // The entry's systemPrompt replaces the task's system turn, as the adapters send it.
    const override = 'You are a terse route planner who answers in one line and never explains anything at all.';
    expect(wireMessages(CHAT, override)[0]).toEqual({ role: 'system', content: override });
    expect(promptTokensForBudget('openai:gpt-4o-mini', CHAT, override)).toBe(
      countPromptTokens('openai:gpt-4o-mini', [{ role: 'system', content: override }, ...CHAT.slice(1)]).tokens,
    );
  });
});

describe('context windows', () => {
  const table = parseContextWindowTable({
    unit: 'tokens',
    asOf: '2026-12-01',
    source: 'test',
    models: { 'openai:gpt-4': 8192, 'openai:gpt-4o': 128000, 'openai:gpt-4o-mini': 128001, 'google:gemini-2.5-pro': 1048576 },
  });

  it('looks a model up by its id, else the longest listed prefix ending at a dash', () => {
    expect(resolveContextWindow('openai:gpt-4o-mini', null, table)).toEqual({ tokens: 128001, source: 'context-window table, as of 2026-12-01' });
    expect(resolveContextWindow('openai:gpt-4o-mini-2024-07-18', null, table)).toEqual({
      tokens: 128001,
      source: 'context-window table, as of 2026-12-01, listed as openai:gpt-4o-mini',
    });
    expect(resolveContextWindow('openai:gpt-4o-2024-11-20', null, table)?.tokens).toBe(128000);
    expect(resolveContextWindow('openai:gpt-4-0613', null, table)?.tokens).toBe(8192);
    // Not a prefix at a dash: gpt-4 does not answer for gpt-4.5 (nor gpt-4o for gpt-4os).
    expect(resolveContextWindow('openai:gpt-4.5-preview', null, table)).toBeNull();
    expect(resolveContextWindow('openai-compatible:llama3', null, table)).toBeNull();
    expect(resolveContextWindow('local', null, table)).toBeNull();
  });

  it("the experiment's contextWindows: win, by id or prefix", () => {
    expect(resolveContextWindow('openai:gpt-4o-mini', { 'openai:gpt-4o-mini': 4000 }, table)).toEqual({ tokens: 4000, source: 'experiment contextWindows' });
    expect(resolveContextWindow('openai:gpt-4o-mini-2024-07-18', { 'openai:gpt-4o-mini': 4000 }, table)).toEqual({
      tokens: 4000,
      source: 'experiment contextWindows, listed as openai:gpt-4o-mini',
    });
    expect(resolveContextWindow('openai-compatible:llama3', { 'openai-compatible:llama3': 8192 }, table)?.tokens).toBe(8192);
    expect(resolveContextWindow('openai:gpt-4o', { 'openai:gpt-4o-mini': 4000 }, table)?.tokens).toBe(128000);
  });

  it('azure-openai:<deployment> and vertex:<model> are looked up under openai: and google:', () => {
    expect(resolveContextWindow('azure-openai:gpt-4o-mini', null, table)).toEqual({
      tokens: 128001,
      source: 'context-window table, as of 2026-12-01, listed as openai:gpt-4o-mini',
    });
    expect(resolveContextWindow('vertex:gemini-2.5-pro-001', null, table)?.tokens).toBe(1048576);
    expect(resolveContextWindow('azure-openai:prod-chat', null, table)).toBeNull();
    // An override by the entry's own id wins over the public model's.
    expect(resolveContextWindow('azure-openai:gpt-4o-mini', { 'azure-openai:gpt-4o-mini': 32000 }, table)?.tokens).toBe(32000);
    expect(resolveContextWindow('vertex:gemini-2.5-pro', { 'google:gemini-2.5-pro': 2000 }, table)).toEqual({
      tokens: 2000,
      source: 'experiment contextWindows, listed as google:gemini-2.5-pro',
    });
  });

  it('the shipped table is dated, knows every priced model and the current families, and ships in the package', () => {
    const shipped = loadContextWindowTable();
    expect(shipped.asOf).toBe('2026-12-01');
    for (const id of Object.keys(loadPriceTable().models)) if (id !== 'local') expect(resolveContextWindow(id, null, shipped), id).not.toBeNull();
    const windows = Object.fromEntries(
      [
        'openai:gpt-4o',
        'openai:gpt-4o-mini-2024-07-18',
        'openai:gpt-4.1-mini',
        'openai:o3',
        'openai:o4-mini',
        'openai:gpt-5-mini',
        'anthropic:claude-3-5-sonnet-20241022',
        'anthropic:claude-3-7-sonnet-latest',
        'anthropic:claude-sonnet-4-20250514',
        'anthropic:claude-haiku-4-5-20251001',
        'google:gemini-2.0-flash',
        'google:gemini-2.5-flash',
        'google:gemini-3-pro-preview',
      ].map((id) => [id, resolveContextWindow(id, null, shipped)?.tokens]),
    );
    expect(windows).toEqual({
      'openai:gpt-4o': 128000,
      'openai:gpt-4o-mini-2024-07-18': 128000,
      'openai:gpt-4.1-mini': 1047576,
      'openai:o3': 200000,
      'openai:o4-mini': 200000,
      'openai:gpt-5-mini': 400000,
      'anthropic:claude-3-5-sonnet-20241022': 200000,
      'anthropic:claude-3-7-sonnet-latest': 200000,
      'anthropic:claude-sonnet-4-20250514': 200000,
      'anthropic:claude-haiku-4-5-20251001': 200000,
      'google:gemini-2.0-flash': 1048576,
      'google:gemini-2.5-flash': 1048576,
      'google:gemini-3-pro-preview': 1048576,
    });
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { files: string[]; dependencies: Record<string, string> };
    expect(pkg.files).toContain('data');
    expect(pkg.dependencies['gpt-tokenizer']).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

// --- validate and sweep --dry-run, in process ---

function write(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** A classify experiment (two prompt variants when `variants`) whose tickets are long enough for a small window to overflow at k = 8. */
function experiment(name: string, providers: Record<string, unknown>[], options: { extra?: string[]; variants?: boolean; shots?: string } = {}): string {
  const dir = join(tmp, name);
  const labels = ['billing', 'shipping'];
  const lines = Array.from({ length: 24 }, (_, i) =>
    JSON.stringify({
      id: `T${String(i).padStart(2, '0')}`,
      text: `ticket ${i} about ${labels[i % 2]}: ${'the parcel and the invoice disagree again, '.repeat(4 + (i % 3))}`,
      label: labels[i % 2],
    }),
  );
  write(join(dir, 'tickets.jsonl'), `${lines.join('\n')}\n`);
  if (options.variants) {
    write(join(dir, 'prompts', 'terse.md'), '{{ input }}');
    write(join(dir, 'prompts', 'polite.md'), 'Please classify this ticket, thank you: {{ input }}');
  }
  return write(
    join(dir, 'exp.yaml'),
    [
      `name: ${name}`,
      'seed: 5',
      'task:',
      '  type: classify',
      '  data: { file: tickets.jsonl, fields: { input: text, label: label, id: id } }',
      '  split: { poolSize: 12, evalItems: 4 }',
      `shots: ${options.shots ?? '[0, 2, 8]'}`,
      'selectors: [random]',
      'providers:',
      ...providers.map((p) => `  - ${JSON.stringify(p)}`),
      ...(options.variants ? ['prompts:', '  - { id: terse, user: prompts/terse.md }', '  - { id: polite, user: prompts/polite.md }'] : []),
      `out: ${join(dir, 'results')}`,
      ...(options.extra ?? []),
    ].join('\n'),
  );
}

/** The CLI in process: exit code, stdout and stderr lines. */
async function fewshot(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
  try {
    const code = await main(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    vi.restoreAllMocks();
  }
}

const OPENAI = { id: 'openai:gpt-4o-mini', baseUrl: 'http://127.0.0.1:9/v1', maxOutputTokens: 50 };

describe('the context-window check in validate and sweep --dry-run', () => {
  it('refuses a k whose longest prompt plus maxOutputTokens exceeds the window (exit 2), naming provider, variant, selector, k, item and counts', async () => {
    vi.stubEnv('OPENAI_API_KEY', SENTINEL);
    const path = experiment('overflow', [OPENAI], { variants: true, extra: ['contextWindows: { "openai:gpt-4o-mini": 500 }'] });
    // The k = 0 and 2 prompts fit 500 tokens with their output; k = 8 does not.
    const [estimate] = estimateSweep(prepareSweep(path, process.env));
    const longest = (k: number) => Math.max(...estimate!.cells.filter((c) => c.k === k).map((c) => c.maxPromptTokens));
    expect(longest(2) + 50).toBeLessThanOrEqual(500);
    expect(longest(8) + 50).toBeGreaterThan(500);

    const dry = await fewshot(['sweep', path, '--dry-run']);
    console.log(`the refusal (sweep --dry-run):\n${dry.err}`);
    expect(dry.code).toBe(2);
    expect(dry.out).toBe('');
    expect(dry.err).toMatch(/^error: context window exceeded: the longest prompt of 2 cells plus the most output/);
    expect(dry.err).toContain('set it under contextWindows: in the experiment');
    for (const variant of ['terse', 'polite']) {
      const cell = estimate!.cells.find((c) => c.prompt === variant && c.k === 8)!;
      expect(dry.err).toContain(
        `  openai:gpt-4o-mini: prompt variant ${variant}, selector random, k=8, item ${cell.longest.itemId}: ${cell.maxPromptTokens.toLocaleString('en-US')} prompt tokens, exact (o200k_base), + maxOutputTokens 50 = ${(cell.maxPromptTokens + 50).toLocaleString('en-US')} > context window 500 (experiment contextWindows)`,
      );
    }
    expect(dry.err).not.toContain('k=2');

    // validate refuses the same, with the same message.
    const validate = await fewshot(['validate', path]);
    expect(validate.code).toBe(2);
    expect(validate.err).toBe(dry.err);
  });

  it("holds the adapter's default max output when maxOutputTokens is not set, and estimated prompts are labelled so", async () => {
    vi.stubEnv('ANTHROPIC_API_KEY', SENTINEL);
    const path = experiment('anthropic-default', [{ id: 'anthropic:claude-haiku-4-5', baseUrl: 'http://127.0.0.1:9' }], {
      shots: '[0, 1]',
      extra: ['contextWindows: { "anthropic:claude-haiku": 1100 }'],
    });
    const result = await fewshot(['validate', path]);
    console.log(`the refusal (validate, the adapter's default output):\n${result.err}`);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(
      /anthropic:claude-haiku-4-5: selector none, k=0, item T\d\d: \d+ prompt tokens, estimated \(~4 chars\/token\), \+ the adapter's default max output of 1,024 \(no maxOutputTokens set\) = [\d,]+ > context window 1,100 \(experiment contextWindows, listed as anthropic:claude-haiku\)/,
    );
  });

  it('prints exact and estimated counts, each window and its source, and a note for a provider without a known window', async () => {
    vi.stubEnv('OPENAI_API_KEY', SENTINEL);
    vi.stubEnv('ANTHROPIC_API_KEY', SENTINEL);
    const path = experiment('fits', [
      OPENAI,
      { id: 'anthropic:claude-haiku-4-5', baseUrl: 'http://127.0.0.1:9' },
      { id: 'openai-compatible:llama3.1', baseUrl: 'http://127.0.0.1:9/v1', maxOutputTokens: 50 },
    ]);
    const result = await fewshot(['sweep', path, '--dry-run']);
    console.log(`a dry run:\n${result.out}`);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/ {2}openai:gpt-4o-mini: 12 calls, about \d+k? prompt tokens, exact \(o200k_base\)/);
    expect(result.out).toMatch(/prompt tokens per call by cell: none k=0 ~\d+ \(longest \d+\), random k=2 ~\d+ \(longest \d+\), random k=8/);
    expect(result.out).toMatch(
      /context window: 128,000 tokens \(context-window table, as of 2026-12-01\); the longest prompt \([\d,]+ tokens\) \+ maxOutputTokens 50 fits/,
    );
    expect(result.out).toMatch(/ {2}anthropic:claude-haiku-4-5: 12 calls, about \d+k? prompt tokens, estimated \(~4 chars\/token\)/);
    expect(result.out).toContain("+ the adapter's default max output of 1,024 (no maxOutputTokens set) fits");
    expect(result.out).toMatch(/openai-compatible:llama3\.1: 12 calls, about \d+k? prompt tokens, estimated \(~4 chars\/token\)/);
    expect(result.out.match(/no context window known/g)).toHaveLength(1);
    expect(result.out).toContain(
      '    note: no context window known for openai-compatible:llama3.1: its prompts are not checked against one (add it under contextWindows: in the experiment)',
    );
    // Exact o200k counts of the same prompts are not the ~4 chars/token estimate.
    const [openai, anthropic] = estimateSweep(prepareSweep(path, process.env));
    expect(openai!.promptTokens).not.toBe(anthropic!.promptTokens);
    expect(checkContextWindows(prepareSweep(path, process.env), [openai!, anthropic!]).overflows).toEqual([]);
  });
});

describe('sweep --dry-run --count-tokens', () => {
  it("asks Anthropic's count endpoint once per distinct longest prompt and uses its counts, calling nothing else", async () => {
    const s = await track(startAnthropicServer());
    // The API counts 3 tokens for every 4 characters: far more than the estimate.
    s.script((req) => {
      const chars = JSON.stringify(req.body.messages).length + JSON.stringify(req.body.system ?? '').length;
      return { kind: 'text', text: '', tokensIn: Math.ceil((chars * 3) / 4) };
    });
    vi.stubEnv('ANTHROPIC_API_KEY', SENTINEL);
    const entry = { id: 'anthropic:claude-haiku-4-5', baseUrl: s.url, maxOutputTokens: 50 };
    const path = experiment('count', [entry]);
    const result = await fewshot(['sweep', path, '--dry-run', '--count-tokens']);
    console.log(`--count-tokens:\n${result.out}`);
    expect(result.code).toBe(0);
    expect(s.requests.every((r) => r.path === '/v1/messages/count_tokens')).toBe(true);
    // Three cells (k = 0, 2, 8): one count each.
    expect(s.requests).toHaveLength(3);
    expect(s.requests.every((r) => r.headers.authorization === `Bearer ${SENTINEL}` || r.headers['x-api-key'] === SENTINEL)).toBe(true);
    expect(result.out).toMatch(
      /anthropic:claude-haiku-4-5: 12 calls, about \d+k? prompt tokens, counted by the API \(the longest prompt of each cell, 3 count calls; the cells' other prompts scaled by the same ratio\)/,
    );
    const counted = s.requests.map((r) => {
      const chars = JSON.stringify(r.body.messages).length + JSON.stringify(r.body.system ?? '').length;
      return Math.ceil((chars * 3) / 4);
    });
    expect(result.out).toContain(`the longest prompt (${Math.max(...counted).toLocaleString('en-US')} tokens) + maxOutputTokens 50 fits`);

    // The API's count decides the refusal: a window the estimate fits but the count does not.
    const [estimate] = estimateSweep(prepareSweep(path, process.env));
    const estimated = Math.max(...estimate!.cells.map((c) => c.maxPromptTokens));
    const window = Math.max(...counted) - 10;
    expect(estimated + 50).toBeLessThan(window);
    const tight = experiment('count-tight', [entry], { extra: [`contextWindows: { "anthropic:claude-haiku-4-5": ${window} }`] });
    expect((await fewshot(['sweep', tight, '--dry-run'])).code).toBe(0);
    const refused = await fewshot(['sweep', tight, '--dry-run', '--count-tokens']);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/selector random, k=8, item T\d\d: [\d,]+ prompt tokens, counted by the API, \+ maxOutputTokens 50 = [\d,]+ > context window/);
  });

  it('a failed count keeps the local counts with a note; --count-tokens without --dry-run is refused', async () => {
    const s = await track(startAnthropicServer());
    s.queue({ kind: 'status', status: 400 });
    vi.stubEnv('ANTHROPIC_API_KEY', SENTINEL);
    const path = experiment('count-fails', [{ id: 'anthropic:claude-haiku-4-5', baseUrl: s.url, maxOutputTokens: 50 }], { shots: '[0, 2]' });
    const result = await fewshot(['sweep', path, '--dry-run', '--count-tokens']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/anthropic:claude-haiku-4-5: 8 calls, about \d+k? prompt tokens, estimated \(~4 chars\/token\)/);
    expect(result.out).toMatch(/note: the API's token count failed \(.+\); the counts stay estimated \(~4 chars\/token\)/);
    expect(s.requests.every((r) => r.path === '/v1/messages/count_tokens')).toBe(true);

    const bare = await fewshot(['sweep', path, '--count-tokens']);
    expect(bare.code).toBe(2);
    expect(bare.err).toContain('--count-tokens works with --dry-run only');
  });
});
