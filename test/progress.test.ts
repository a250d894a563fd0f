import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Progress, type ProgressOptions } from '../src/runner/progress.js';
import type { TrialRecord } from '../src/records/trial.js';

/** A stream that keeps what is written; isTTY as asked, 100 columns. */
function capture(isTTY: boolean) {
  const stream = new PassThrough();
  const chunks: string[] = [];
  // Kept as written (synchronously); what flows through is discarded.
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    chunks.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof stream.write;
  stream.resume();
  Object.assign(stream, { isTTY, columns: 100 });
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
}

// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, '');

/** A clock the test moves by hand. */
function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

function trial(provider: string, over: Partial<TrialRecord> = {}): TrialRecord {
  return {
    runId: 'r',
    provider,
    model: 'm',
    selector: 'random',
    k: 2,
    repeat: 0,
    itemId: 'i',
    shotIds: [],
    promptHash: 'h',
    output: 'x',
    finishReason: 'stop',
    parseOk: true,
    parseError: null,
    answer: 'x',
    score: 1,
    details: {} as TrialRecord['details'],
    error: null,
    tokensIn: 1,
    tokensOut: 1,
    cachedTokens: 0,
    latencyMs: 1,
    cached: false,
    requestId: null,
    ...over,
  };
}

const failed = (provider: string) => trial(provider, { output: null, parseOk: false, score: 0, error: { kind: 'server', message: 'boom' } });
const unparsed = (provider: string) => trial(provider, { parseOk: false, parseError: 'no label', score: 0 });

function make(isTTY: boolean, over: Partial<ProgressOptions> = {}) {
  const out = capture(isTTY);
  const c = clock();
  const progress = new Progress({
    providers: [
      { id: 'openai:gpt-4o-mini', total: 10 },
      { id: 'local', total: 4 },
    ],
    stream: out.stream,
    quiet: false,
    now: c.now,
    ...over,
  });
  return { progress, out, clock: c };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Progress without a terminal (CI logs)', () => {
  it('prints a plain line per provider that moved, only once the interval has passed', () => {
    const spent = new Map([['openai:gpt-4o-mini', 0.0123]]);
    const { progress, out, clock } = make(false, { spend: (p) => spent.get(p) ?? null });
    progress.record(trial('openai:gpt-4o-mini', { cached: true }));
    clock.advance(1000);
    progress.record(failed('openai:gpt-4o-mini'));
    clock.advance(1000);
    progress.record(unparsed('openai:gpt-4o-mini'));
    clock.advance(2000);
    progress.record(trial('openai:gpt-4o-mini'));
    expect(out.text()).toBe(''); // 4 s < 5 s

    clock.advance(1000); // 5 s after the start
    progress.record(trial('openai:gpt-4o-mini'));
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(1); // `local` has not moved: no line for it
    const line = lines[0]!;
    expect(line).toMatch(/^openai:gpt-4o-mini {2}5\/10 \(50%\) {2}1\.0\/s {2}/); // 5 trials in 5 s
    expect(line).toContain('call errors 1');
    expect(line).toContain('parse failures 1');
    expect(line).toContain('cache hits 1');
    expect(line).toContain('$0.0123');
    expect(line).toContain('eta 5s'); // 5 left at 1/s

    // Nothing more until the next interval.
    clock.advance(1000);
    progress.record(trial('local'));
    progress.record(trial('openai:gpt-4o-mini'));
    expect(out.text().trimEnd().split('\n')).toHaveLength(1);
    clock.advance(4000);
    progress.record(trial('local'));
    const next = out.text().trimEnd().split('\n').slice(1);
    expect(next).toHaveLength(2); // both moved since the last print
    expect(next[1]).toMatch(/^local {15}2\/4 \(50%\)/);
    expect(next[1]).not.toContain('$'); // local costs nothing: no spend field
  });

  it('shows a 429 slow-down while the throttle holds a provider below its ceiling, and nothing once it is back', () => {
    let limit = 3;
    const { progress, out, clock } = make(false, { intervalSeconds: 1, throttle: (p) => (p === 'local' ? null : { limit, max: 8 }) });
    progress.record(trial('openai:gpt-4o-mini'));
    clock.advance(1000);
    progress.record(trial('local'));
    const [openai, local] = out.text().trimEnd().split('\n');
    expect(openai).toContain('429: slowed to 3/8 in flight');
    expect(local).not.toContain('429');
    limit = 8;
    clock.advance(1000);
    progress.record(trial('openai:gpt-4o-mini'));
    expect(out.text().trimEnd().split('\n').at(-1)).not.toContain('429');
  });

  it('honours intervalSeconds', () => {
    const { progress, out, clock } = make(false, { intervalSeconds: 1 });
    clock.advance(999);
    progress.record(trial('local'));
    expect(out.text()).toBe('');
    clock.advance(1);
    progress.record(trial('local'));
    expect(out.text()).toMatch(/^local +2\/4 /);
  });

  it('finish prints one summary line per provider and returns them', () => {
    const { progress, out, clock } = make(false, { spend: (p) => (p === 'openai:gpt-4o-mini' ? null : 0) });
    for (let i = 0; i < 4; i++) {
      clock.advance(500);
      progress.record(trial('local', { cached: i < 3 }));
    }
    clock.advance(1000);
    const lines = progress.finish();
    expect(lines).toHaveLength(2);
    expect(out.text()).toBe(lines.map((l) => `${l}\n`).join(''));
    expect(lines[0]).toMatch(/^openai:gpt-4o-mini {2}0\/10 .*unpriced {2}in 3\.0s$/);
    expect(lines[1]).toMatch(/^local {15}4\/4 {2}2\.0\/s {2}call errors 0 {2}parse failures 0 {2}cache hits 3 {2}in 2\.0s$/);
    // A second finish prints nothing more.
    expect(progress.finish()).toEqual(lines);
    expect(out.text().trimEnd().split('\n')).toHaveLength(2);
  });

  it('quiet prints nothing, not even the summary, which finish still returns', () => {
    const { progress, out, clock } = make(false, { quiet: true });
    for (let i = 0; i < 4; i++) {
      clock.advance(3000);
      progress.record(trial('local'));
    }
    const lines = progress.finish();
    expect(out.text()).toBe('');
    expect(lines[1]).toMatch(/^local +4\/4 /);
  });

  it('skip() takes trials out of the total, so the ETA counts only what will run', () => {
    const { progress, out, clock } = make(false);
    for (let i = 0; i < 4; i++) {
      clock.advance(1000);
      progress.record(trial('openai:gpt-4o-mini'));
    }
    progress.skip('openai:gpt-4o-mini', 3); // budget reached: 3 of the 6 left will not run
    clock.advance(1000);
    progress.record(trial('openai:gpt-4o-mini'));
    expect(out.text()).toMatch(/^openai:gpt-4o-mini {2}5\/7 \(71%\) {2}1\.0\/s .*not run 3 {2}eta 2s\n$/);
    expect(progress.finish()[0]).toMatch(/^openai:gpt-4o-mini {2}5\/7 .*not run 3 {2}in 5\.0s$/);
  });

  it('the rate and ETA come from the last 10 s, not the lifetime average', () => {
    const { progress, out, clock } = make(false, { providers: [{ id: 'openai:gpt-4o-mini', total: 200 }], intervalSeconds: 1 });
    // A resumed run: 100 cache hits in the first second...
    for (let i = 0; i < 100; i++) {
      clock.advance(10);
      progress.record(trial('openai:gpt-4o-mini', { cached: true }));
    }
    // ...then real calls at one per second.
    for (let i = 0; i < 20; i++) {
      clock.advance(1000);
      progress.record(trial('openai:gpt-4o-mini'));
    }
    const last = out.text().trimEnd().split('\n').at(-1)!;
    // Lifetime: 120 in 21 s = 5.7/s, eta 14s. Recent: 10 in the last 10 s = 1.0/s, 80 left = 1m20s.
    expect(last).toMatch(/ 120\/200 \(60%\) {2}1\.0\/s .*cache hits 100 {2}eta 1m20s$/);
  });

  it('note() prints a plain line', () => {
    const { progress, out } = make(false);
    expect(progress.live).toBe(false);
    progress.note('stopping local: bad key');
    expect(out.text()).toBe('stopping local: bad key\n');
  });
});

describe('Progress in a terminal', () => {
  it('a finished provider keeps the rate it ended with while the others run on', () => {
    vi.useFakeTimers();
    const { progress, out, clock } = make(true);
    for (let i = 0; i < 4; i++) {
      clock.advance(250);
      progress.record(trial('local')); // 4 trials in 1 s: done
    }
    for (let i = 0; i < 8; i++) {
      clock.advance(2500);
      progress.record(trial('openai:gpt-4o-mini'));
      vi.advanceTimersByTime(200);
    }
    const live = stripAnsi(out.text());
    const local = [...live.matchAll(/local {15}\[=+\] 4\/4 {2}([\d.]+)\/s/g)].map((m) => m[1]);
    expect(local.length).toBeGreaterThan(1);
    expect(new Set(local)).toEqual(new Set(['4.0']));
    progress.finish();
  });

  it('draws a bar per provider with the counts; finish stops it and leaves no timer or signal listener', () => {
    vi.useFakeTimers();
    const sigint = process.listenerCount('SIGINT');
    const { progress, out, clock } = make(true, { spend: () => 0.5 });
    expect(progress.live).toBe(true);
    expect(process.listenerCount('SIGINT')).toBe(sigint);
    for (let i = 0; i < 3; i++) {
      clock.advance(500);
      progress.record(trial('openai:gpt-4o-mini', { cached: i === 0 }));
    }
    progress.record(failed('local'));
    vi.advanceTimersByTime(1000); // a few frames
    const live = stripAnsi(out.text());
    expect(live).toContain('openai:gpt-4o-mini  [');
    expect(live).toMatch(/openai:gpt-4o-mini {2}\[=+-+\] 3\/10 {2}2\.0\/s {2}errors 0 {2}parse 0 {2}cache 1 {2}\$0\.5000 {2}eta 4s/);
    expect(live).toMatch(/local {15}\[=+-+\] 1\/4 {2}0\.7\/s {2}errors 1 {2}parse 0 {2}cache 0 {2}eta 5s/);

    progress.note('stopping local: bad key');
    progress.record(unparsed('openai:gpt-4o-mini'));
    const before = out.text().length;
    const lines = progress.finish();
    expect(progress.live).toBe(false);
    const tail = stripAnsi(out.text().slice(before));
    expect(tail).toContain('stopping local: bad key\n'); // flushed by finish, not lost
    expect(tail).toMatch(/openai:gpt-4o-mini {2}\[=+-+\] 4\/10 .*parse 1 {2}cache 1/);
    // Both bars drawn again below the note, the unchanged one (same time, same counts) too.
    expect(tail.slice(tail.indexOf('bad key'))).toMatch(/\nlocal {15}\[=+-+\] 1\/4 /);
    expect(tail).toContain(`${lines[0]}\n${lines[1]}\n`);
    expect(lines[0]).toMatch(/^openai:gpt-4o-mini {2}4\/10 {2}2\.7\/s {2}call errors 0 {2}parse failures 1 {2}cache hits 1 {2}\$0\.5000 {2}in 1\.5s$/);

    // Stopped: no timer left to redraw (or to keep the process alive), nothing more written.
    expect(vi.getTimerCount()).toBe(0);
    const end = out.text().length;
    vi.advanceTimersByTime(5000);
    expect(out.text().length).toBe(end);
    expect(process.listenerCount('SIGINT')).toBe(sigint);
  });

  it('lines are cut at the terminal width', () => {
    vi.useFakeTimers();
    const { progress, out } = make(true, { providers: [{ id: `openai:${'x'.repeat(120)}`, total: 3 }] });
    vi.advanceTimersByTime(500);
    // eslint-disable-next-line no-control-regex
    const drawn = out
      .text()
      .split(/\n|\x1b\[[0-9;?]*[A-Za-z]/)
      .filter((l) => l.startsWith('openai:xxx'));
    expect(drawn.length).toBeGreaterThan(0);
    for (const l of drawn) expect(l).toHaveLength(100);
    progress.finish();
  });

  it('quiet draws nothing in a terminal either', () => {
    vi.useFakeTimers();
    const { progress, out } = make(true, { quiet: true });
    expect(progress.live).toBe(false);
    progress.record(trial('local'));
    expect(vi.getTimerCount()).toBe(0);
    expect(progress.finish()).toHaveLength(2);
    expect(out.text()).toBe('');
  });
});

describe('Progress with a judge (AdaptGauge llm_judge)', () => {
  const judge = (cached: boolean, over: Partial<TrialRecord> = {}) =>
    trial('openai:gpt-4o-mini', {
      judge: { provider: 'openai:gpt-4o', model: 'gpt-4o', tokensIn: 100, tokensOut: 5, cachedTokens: 0, cached, attempts: cached ? 0 : 1 },
      ...over,
    });
  const judgeFailed = () => judge(false, { score: 0, error: { kind: 'other', message: 'judging failed: judge openai:gpt-4o: boom' } });

  it('a line of its own: trials judged, new calls, reused verdicts, failures and the judge spend; in the summary too', () => {
    const { progress, out, clock } = make(false, { judge: { id: 'openai:gpt-4o', spend: () => 0.25 } });
    progress.record(judge(false));
    progress.record(judge(true));
    progress.record(judgeFailed());
    progress.record(trial('openai:gpt-4o-mini')); // an exact item: no judge
    clock.advance(5000);
    progress.record(trial('local'));
    const lines = out.text().trimEnd().split('\n');
    // Provider ids are padded to the judge's label, the longest.
    expect(lines.at(-1)).toBe('judge openai:gpt-4o  judged 3  calls 2  cache hits 1  failures 1  $0.2500');
    expect(lines[0]).toMatch(/^openai:gpt-4o-mini {3}4\/10 /);
    const summary = progress.finish();
    expect(summary).toHaveLength(3);
    expect(summary[2]).toBe('judge openai:gpt-4o  judged 3  calls 2  cache hits 1  failures 1  $0.2500');
  });

  it('in a terminal, a judge line beside the bars (no bar, no ETA)', () => {
    vi.useFakeTimers();
    const { progress, out } = make(true, { judge: { id: 'openai:gpt-4o', spend: () => null } });
    progress.record(judge(false));
    progress.record(judge(true));
    vi.advanceTimersByTime(1000);
    expect(stripAnsi(out.text())).toMatch(/judge openai:gpt-4o {2}judged 2 {2}calls 1 {2}cache 1 {2}failures 0 {2}unpriced/);
    progress.finish();
    expect(vi.getTimerCount()).toBe(0);
  });
});
