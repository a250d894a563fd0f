/**
 * The judge for AdaptGauge's llm_judge test cases: a second model grades an answer against the
 * expected output on a 0-10 scale, which becomes score / 10.
 *
 * A judge that fails (after our retries) or whose verdict carries no readable score raises a
 * ProviderError naming the judge: the trial is a failed measurement, never a wrong answer.
 */
import type { AdaptGaugeJudgeConfig, AdaptGaugeTaskConfig } from '../config/adaptgauge-schema.js';
import type { ProviderConfig } from '../config/schema.js';
import type { ChatMessage, ScoreResult, Task } from './task.js';
import { ProviderError, type Provider } from '../providers/provider.js';
import { resolveProvider, type ResolveOptions } from '../providers/registry.js';

export const JUDGE_SYSTEM_PROMPT =
  'You are a strict grader. You compare an answer with a reference answer written for the same input, ' +
  'and rate how fully and correctly the answer delivers what the reference delivers. Wording may differ; content may not.';

export interface JudgeCase {
  instruction: string;
  input: string;
  /** The expected output, or a rubric object's JSON. */
  expected: string;
  isRubric: boolean;
  acceptableVariations: readonly string[];
}

/** The grading prompt: the task, the input, the reference, the answer, and the 0-10 scale. */
export function judgeMessages(c: JudgeCase, answer: string): ChatMessage[] {
  const parts = [
    `Task the model was given:\n${c.instruction}`,
    `Input:\n${c.input}`,
    c.isRubric ? `Rubric (the criteria a good answer meets):\n${c.expected}` : `Reference answer:\n${c.expected}`,
  ];
  if (c.acceptableVariations.length > 0) parts.push(`Also acceptable:\n${c.acceptableVariations.map((v) => `- ${v}`).join('\n')}`);
  parts.push(`Answer to grade:\n${answer}`);
  parts.push(
    'Rate the answer from 0 to 10: 10 = everything that matters in the reference is present and correct; ' +
      '5 = the core is right but important parts are missing or wrong; 0 = wrong, irrelevant or empty. ' +
      'You may explain briefly first. End with the score alone, a whole number from 0 to 10, on its own last line.',
  );
  return [
    { role: 'system', content: JUDGE_SYSTEM_PROMPT },
    { role: 'user', content: parts.join('\n\n') },
  ];
}

/**
 * The 0-10 score on the verdict's last non-empty line ("7", "7/10", "Score: 7", "**7**"), or null.
 * Only the last line counts: numbers in the reasoning above it are not verdicts.
 */
export function parseVerdict(text: string): number | null {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const last = lines.at(-1);
  if (last === undefined) return null;
  const cleaned = last.replace(/[*_`#>]/g, '').trim();
  const match = /^(?:(?:final\s+)?score\s*[:=]?\s*)?(\d{1,2}(?:\.\d+)?)\s*(?:\/\s*10|out of 10)?\s*\.?$/i.exec(cleaned);
  if (!match) return null;
  const value = Number(match[1]);
  return Number.isFinite(value) && value >= 0 && value <= 10 ? value : null;
}

/**
 * Grades one answer. Concurrent and repeated requests for the same (item, answer) share one judge
 * call: the local baseline and repeats often give identical answers, and one verdict per answer
 * keeps equal answers scored equally. A failed call is forgotten, so a later trial tries again.
 */
export class AnswerJudge {
  private readonly verdicts = new Map<string, Promise<ScoreResult>>();

  constructor(
    private readonly judge: Provider,
    private readonly config: AdaptGaugeJudgeConfig | undefined,
  ) {}

  get id(): string {
    return this.judge.id;
  }

  grade(itemId: string, c: JudgeCase, answer: string): Promise<ScoreResult> {
    const key = `${itemId}\u0000${answer}`;
    let verdict = this.verdicts.get(key);
    if (!verdict) {
      verdict = this.call(c, answer);
      this.verdicts.set(key, verdict);
      verdict.catch(() => this.verdicts.delete(key));
    }
    return verdict;
  }

  private async call(c: JudgeCase, answer: string): Promise<ScoreResult> {
    let result;
    try {
      result = await this.judge.complete({
        messages: judgeMessages(c, answer),
        temperature: this.config?.temperature ?? 0,
        ...(this.config?.maxOutputTokens !== undefined && { maxOutputTokens: this.config.maxOutputTokens }),
      });
    } catch (err) {
      throw judgeError(this.judge.id, err);
    }
    const value = parseVerdict(result.text);
    if (value === null) {
      const tail = result.text.trim().split(/\r?\n/).at(-1)?.slice(0, 120) ?? '';
      const why = result.finishReason === 'length' ? ' (the verdict was cut off at the output token limit)' : '';
      const error = new ProviderError('malformed', `judge ${this.judge.id}: no 0-10 score on the verdict's last line${why}: "${tail}"`);
      error.attempts = result.attempts ?? 1;
      throw error;
    }
    return {
      score: value / 10,
      details: {
        scoringMethod: 'llm_judge',
        judge: this.judge.id,
        judgeScore: value,
        judgeTokensIn: result.tokensIn,
        judgeTokensOut: result.tokensOut,
      },
    };
  }
}

function judgeError(judgeId: string, err: unknown): ProviderError {
  if (err instanceof ProviderError) {
    // The adapters' messages start with the provider id already.
    const message = err.message.startsWith(`${judgeId}:`) ? `judge ${err.message}` : `judge ${judgeId}: ${err.message}`;
    const wrapped = new ProviderError(err.kind, message, err.retryAfterMs, err.status);
    wrapped.attempts = err.attempts;
    return wrapped;
  }
  return new ProviderError('other', `judge ${judgeId}: ${err instanceof Error ? err.message : String(err)}`);
}

/** What createAdaptGaugeTask needs to know about the judge. */
export interface AdaptGaugeDeps {
  /** The judge provider, ready to call (with the sweep's retry policy); null or absent: no judge. */
  judge?: Provider | null;
  /** Why a judge named in the experiment cannot run (e.g. its key is missing), for the notice. */
  judgeUnavailable?: string;
}

/**
 * Resolves `task.judge` like any provider (key from the environment, base URL, retries, rate limits).
 * No judge named: `{ judge: null }`. A judge whose key is missing: `{ judge: null, judgeUnavailable }`,
 * and the llm_judge cases are left out with a notice that says which variable to set.
 */
export function resolveAdaptGaugeJudge(options: Pick<AdaptGaugeTaskConfig, 'judge'>, env: NodeJS.ProcessEnv, resolveOptions: ResolveOptions = {}): AdaptGaugeDeps {
  if (!options.judge) return { judge: null };
  // Temperature and output limit go with each judge request (AnswerJudge), not with the connection.
  const { temperature: _temperature, maxOutputTokens: _maxOutputTokens, ...connection } = options.judge;
  const config: ProviderConfig = connection;
  // The task is only read by the `local` provider, which the schema refuses as a judge.
  const resolution = resolveProvider(config, NO_TASK, env, resolveOptions);
  if (resolution.status === 'skipped') return { judge: null, judgeUnavailable: `judge ${resolution.id}: ${resolution.reason}` };
  return { judge: resolution.provider };
}

const NO_TASK = null as unknown as Task;
