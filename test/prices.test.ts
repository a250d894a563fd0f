import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { costPerRequest, loadPriceTable, parsePriceTable, PRICE_TABLE_URL, priceOverridesSchema, PriceTableError, resolvePrice } from '../src/config/prices.js';
import { thrownBy } from './thrown.js';

const dir = mkdtempSync(join(tmpdir(), 'fewshot-prices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const root = fileURLToPath(new URL('..', import.meta.url));

describe('the packaged price table', () => {
  it('is data/prices.json at the package root, shipped with the package', () => {
    expect(fileURLToPath(PRICE_TABLE_URL)).toBe(join(root, 'data', 'prices.json'));
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('data');
    // dist/config/prices.js resolves the same file as src/config/prices.ts.
    expect(fileURLToPath(new URL('../../data/prices.json', pathToFileURL(join(root, 'dist', 'config', 'prices.js'))))).toBe(join(root, 'data', 'prices.json'));
  });

  it('loads, is dated, and lists the models', () => {
    const t = loadPriceTable();
    expect(t).toMatchObject({ currency: 'USD', unit: 'per 1M tokens', asOf: '2025-10-01' });
    expect(t.source).toMatch(/check before relying/);
    expect(Object.keys(t.models).sort()).toEqual([
      'anthropic:claude-haiku-4-5',
      'anthropic:claude-sonnet-4-5',
      'google:gemini-2.5-flash',
      'google:gemini-2.5-pro',
      'local',
      'openai:gpt-4.1-mini',
      'openai:gpt-4o',
      'openai:gpt-4o-mini',
    ]);
    expect(t.models['openai:gpt-4o-mini']).toEqual({ input: 0.15, cachedInput: 0.075, output: 0.6 });
    expect(loadPriceTable()).toBe(t); // read once
  });
});

describe('parsePriceTable / loadPriceTable', () => {
  const good = () => ({
    currency: 'USD',
    unit: 'per 1M tokens',
    asOf: '2025-10-01',
    source: 'test',
    models: { a: { input: 1, output: 2 } },
  });

  it('names the field that is wrong', () => {
    const bad = good();
    (bad.models.a as { input: unknown }).input = -1;
    expect(thrownBy(PriceTableError, () => parsePriceTable(bad, 'p.json')).message).toMatch(/^p\.json: not a price table: field "models\.a\.input": /);
    const noOutput = { ...good(), models: { b: { input: 1 } } };
    expect(thrownBy(PriceTableError, () => parsePriceTable(noOutput)).reason).toContain('field "models.b.output"');
    expect(thrownBy(PriceTableError, () => parsePriceTable({ ...good(), asOf: 'October' })).reason).toContain('field "asOf": expected a date as YYYY-MM-DD');
    expect(thrownBy(PriceTableError, () => parsePriceTable({ ...good(), extra: 1 })).reason).toContain('extra');
    expect(thrownBy(PriceTableError, () => parsePriceTable(null)).reason).toContain('field "(table)"');
  });

  it('says which file is not JSON or cannot be read', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{"currency":');
    const e = thrownBy(PriceTableError, () => loadPriceTable(pathToFileURL(path)));
    expect(e.file).toBe(path);
    expect(e.message).toContain(`${path}: not valid JSON`);
    expect(thrownBy(PriceTableError, () => loadPriceTable(pathToFileURL(join(dir, 'missing.json')))).reason).toMatch(/cannot read the price table/);
  });

  it('loads another table from a URL', () => {
    const path = join(dir, 'ok.json');
    writeFileSync(path, JSON.stringify(good()));
    expect(loadPriceTable(pathToFileURL(path)).models).toEqual({ a: { input: 1, output: 2 } });
  });
});

describe('resolvePrice', () => {
  it('finds a listed model, with the table and its date as the source', () => {
    expect(resolvePrice('anthropic:claude-sonnet-4-5')).toEqual({
      input: 3,
      cachedInput: 0.3,
      cacheWrite: 3.75,
      output: 15,
      source: 'price table (as of 2025-10-01)',
      currency: 'USD',
      // The batch APIs: the table's batchMultiplier (0.5) of every rate, as no batch price is listed.
      batch: { input: 1.5, cachedInput: 0.15, cacheWrite: 1.875, output: 7.5 },
      batchSource: '50% of the price (batch APIs, price table (as of 2025-10-01))',
    });
    expect(resolvePrice('local')).toMatchObject({ input: 0, output: 0 });
  });

  it('prices a dated snapshot as its model, saying so', () => {
    expect(resolvePrice('openai:gpt-4o-mini-2024-07-18')).toMatchObject({
      input: 0.15,
      source: 'price table (as of 2025-10-01), listed as openai:gpt-4o-mini',
    });
    expect(resolvePrice('anthropic:claude-haiku-4-5-20251001')).toMatchObject({ input: 1 });
    // Not a snapshot: a different model must not borrow a price.
    expect(resolvePrice('openai:gpt-4o-mini-tts')).toBeNull();
  });

  it('returns null for an unknown model', () => {
    expect(resolvePrice('openai-compatible:llama3')).toBeNull();
    expect(resolvePrice('toString')).toBeNull();
    expect(resolvePrice('openai-compatible:llama3', {})).toBeNull();
  });

  it('lets the experiment\'s prices win, reported as source "experiment"', () => {
    const overrides = { 'openai:gpt-4o-mini': { input: 0.1, output: 0.4 }, 'openai-compatible:llama3': { input: 0.05, output: 0.05, cachedInput: 0.01 } };
    expect(resolvePrice('openai:gpt-4o-mini', overrides)).toMatchObject({
      input: 0.1,
      output: 0.4,
      source: 'experiment',
      currency: 'USD',
      batch: { input: 0.05, output: 0.2 },
    });
    expect(resolvePrice('openai-compatible:llama3', overrides)).toMatchObject({
      input: 0.05,
      output: 0.05,
      cachedInput: 0.01,
      source: 'experiment',
      currency: 'USD',
    });
    // A batch price of its own wins over the multiplier, and says so.
    const own = resolvePrice('openai:gpt-4o-mini', { 'openai:gpt-4o-mini': { input: 0.1, output: 0.4, batch: { input: 0.02, output: 0.1 } } });
    expect(own).toMatchObject({ batch: { input: 0.02, output: 0.1 }, batchSource: 'experiment' });
    expect(resolvePrice('openai:gpt-4o', overrides)?.source).toBe('price table (as of 2025-10-01)');
  });

  it("validates the experiment's prices with a schema the config can reuse", () => {
    expect(priceOverridesSchema.safeParse({ 'openai:x': { input: 1, output: 2 } }).success).toBe(true);
    const bad = priceOverridesSchema.safeParse({ 'openai:x': { input: 1 } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['openai:x', 'output']);
  });
});

describe('costPerRequest', () => {
  const price = { input: 2.5, cachedInput: 1.25, output: 10 };

  it('prices tokens per 1M', () => {
    expect(costPerRequest(price, 1_000_000, 0)).toBe(2.5);
    expect(costPerRequest(price, 1000, 200)).toBeCloseTo((1000 * 2.5 + 200 * 10) / 1e6, 15);
    expect(costPerRequest({ input: 0, output: 0 }, 5000, 500)).toBe(0);
  });

  it('prices cached input tokens at the cached rate, or the input rate without one', () => {
    expect(costPerRequest(price, 1000, 0, 400)).toBeCloseTo((600 * 2.5 + 400 * 1.25) / 1e6, 15);
    expect(costPerRequest({ input: 2, output: 4 }, 1000, 0, 400)).toBeCloseTo(2000 / 1e6, 15);
    expect(costPerRequest(price, 100, 0, 400)).toBeCloseTo((100 * 1.25) / 1e6, 15); // never more cached than sent
  });
});
