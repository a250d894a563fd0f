import { resolveContextWindow, type ResolvedContextWindow } from '../config/context-windows.js';
import { BUILTIN_PROMPT } from '../records/trial.js';
import type { CellEstimate, ProviderEstimate } from './estimate.js';
import type { PreparedSweep } from './prepare.js';

// `validate` and `sweep --dry-run`: no cell may send a prompt that, with the most output it may ask
// for, exceeds its model's context window (the dated table in data/, or the experiment's
// `contextWindows:`). The prompts are those the estimate rendered and counted (estimate.ts).

/** The output a cell's calls reserve within the window, and where the number comes from. */
export interface OutputReservation {
  tokens: number;
  /** `maxOutputTokens 50`, `the adapter's default max output of 1,024 (no maxOutputTokens set)`, `0 output tokens (no maxOutputTokens set)`. */
  label: string;
}

/** One cell whose longest prompt plus its output would not fit. */
export interface ContextOverflow {
  /** The provider's name (label, else id) and id. */
  provider: string;
  id: string;
  prompt: string;
  selector: string;
  k: number;
  itemId: string;
  repeat: number;
  promptTokens: number;
  /** How the prompt was counted: `exact (o200k_base)`, `estimated (~4 chars/token)`, `counted by the API`. */
  counting: string;
  exact: boolean;
  output: OutputReservation;
  window: ResolvedContextWindow;
}

/** Per provider that was checked: its window and its longest prompt. */
export interface ContextFit {
  window: ResolvedContextWindow;
  output: OutputReservation;
  /** The longest prompt over the provider's cells. */
  longestPrompt: number;
}

export interface ContextCheck {
  overflows: ContextOverflow[];
  /** By provider name, the providers that were checked. */
  fits: Map<string, ContextFit>;
  /** At most once per provider (by name): no window known (not checked), or an estimated prompt near its window. */
  notes: { provider: string; text: string }[];
}

/** Share of the window under which an estimated (not exact) prompt is close enough to note. */
export const NEAR_WINDOW = 0.9;

/** Holds each cell's longest prompt plus its output reservation against the provider's context window. */
export function checkContextWindows(prepared: Pick<PreparedSweep, 'config' | 'resolutions'>, estimates: readonly ProviderEstimate[]): ContextCheck {
  const overflows: ContextOverflow[] = [];
  const fits = new Map<string, ContextFit>();
  const notes: ContextCheck['notes'] = [];
  for (const e of estimates) {
    const id = e.id ?? e.provider;
    const r = prepared.resolutions.find((x) => x.status === 'ready' && x.name === e.provider);
    if (id === 'local' || !r || r.status !== 'ready' || e.cells.length === 0) continue;
    const window = resolveContextWindow(id, prepared.config.contextWindows ?? null);
    if (window === null) {
      notes.push({
        provider: e.provider,
        text: `no context window known for ${id}: its prompts are not checked against one (add it under contextWindows: in the experiment)`,
      });
      continue;
    }
    const output = outputReservation(r.config.maxOutputTokens, r.provider.capabilities.defaultMaxOutputTokens);
    let near: CellEstimate | null = null;
    for (const cell of e.cells) {
      const counting = cell.countedByApi ? 'counted by the API' : e.tokenCount.label;
      const exact = cell.countedByApi === true || e.tokenCount.exact;
      const needed = cell.maxPromptTokens + output.tokens;
      if (needed > window.tokens) {
        overflows.push({
          provider: e.provider,
          id,
          prompt: cell.prompt,
          selector: cell.selector,
          k: cell.k,
          itemId: cell.longest.itemId,
          repeat: cell.longest.repeat,
          promptTokens: cell.maxPromptTokens,
          counting,
          exact,
          output,
          window,
        });
      } else if (!exact && needed > NEAR_WINDOW * window.tokens && (near === null || cell.maxPromptTokens > near.maxPromptTokens)) near = cell;
    }
    if (near !== null) {
      notes.push({
        provider: e.provider,
        text: `${cellName(near)}: the longest prompt, ${count(near.maxPromptTokens)} tokens ${e.tokenCount.label}, + ${output.label} is within ${Math.round((1 - NEAR_WINDOW) * 100)}% of the context window of ${count(window.tokens)}; the estimate may run low (sweep --dry-run --count-tokens asks the API where it can count)`,
      });
    }
    fits.set(e.provider, { window, output, longestPrompt: Math.max(...e.cells.map((c) => c.maxPromptTokens)) });
  }
  return { overflows, fits, notes };
}

/** The output reservation of an entry: its maxOutputTokens, else the adapter's default, else 0. */
export function outputReservation(maxOutputTokens: number | undefined, adapterDefault: number | null): OutputReservation {
  if (maxOutputTokens !== undefined) return { tokens: maxOutputTokens, label: `maxOutputTokens ${count(maxOutputTokens)}` };
  if (adapterDefault !== null)
    return { tokens: adapterDefault, label: `the adapter's default max output of ${count(adapterDefault)} (no maxOutputTokens set)` };
  return { tokens: 0, label: '0 output tokens (no maxOutputTokens set)' };
}

/** How many refused cells the message lists before `and N more`. */
const LISTED = 10;

/** The refusal: every cell that would not fit, one a line (the first LISTED), and what to do. */
export function contextWindowMessage(overflows: readonly ContextOverflow[], repeats: number): string {
  const lines = overflows.slice(0, LISTED).map((o) => {
    const where = `${cellName(o)}, item ${o.itemId}${repeats > 1 ? ` (repeat ${o.repeat})` : ''}`;
    const sum = o.promptTokens + o.output.tokens;
    return (
      `  ${o.provider}${o.provider !== o.id ? ` (${o.id})` : ''}: ${where}: ${count(o.promptTokens)} prompt tokens, ${o.counting}, + ${o.output.label} ` +
      `= ${count(sum)} > context window ${count(o.window.tokens)} (${o.window.source})`
    );
  });
  if (overflows.length > LISTED) lines.push(`  and ${overflows.length - LISTED} more cell${overflows.length - LISTED === 1 ? '' : 's'}`);
  const cells = `${overflows.length} cell${overflows.length === 1 ? '' : 's'}`;
  return (
    `context window exceeded: the longest prompt of ${cells} plus the most output it may ask for would not fit the model's context window; ` +
    `lower the largest k (shots:), shorten the prompt or maxOutputTokens, or if the window is wrong set it under contextWindows: in the experiment\n${lines.join('\n')}`
  );
}

/** `selector random, k=8`, with `prompt variant polite, ` before it for a prompt variant. */
function cellName(c: { prompt: string; selector: string; k: number }): string {
  return `${c.prompt === BUILTIN_PROMPT ? '' : `prompt variant ${c.prompt}, `}selector ${c.selector}, k=${c.k}`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
