/**
 * The judge for AdaptGauge's llm_judge test cases: a second model grades an answer against the
 * expected output on a 0-10 scale, which becomes score / 10.
 *
 * The task does not call the judge: judgeCall describes the call (a ModelCall, see task.ts) and the
 * runner makes it through its provider path (runner/score.ts: cache, budget, retries, rate limits,
 * progress, cost). A judge that fails (after the runner's retries) or whose verdict carries no
 * readable score makes the trial a failed measurement, never a wrong answer.
 */
import type { AdaptGaugeJudgeConfig } from '../config/adaptgauge-schema.js';
import type { ChatMessage, ModelCall } from './task.js';

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
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const last = lines.at(-1);
  if (last === undefined) return null;
  const cleaned = last.replace(/[*_`#>]/g, '').trim();
  const match = /^(?:(?:final\s+)?score\s*[:=]?\s*)?(\d{1,2}(?:\.\d+)?)\s*(?:\/\s*10|out of 10)?\s*\.?$/i.exec(cleaned);
  if (!match) return null;
  const value = Number(match[1]);
  return Number.isFinite(value) && value >= 0 && value <= 10 ? value : null;
}

/**
 * The judge's grading of one answer, as a call for the runner to make. Equal (item, answer) pairs
 * ask the same request, so the runner answers repeats and concurrent trials with one verdict (and a
 * rerun from its response cache): equal answers are scored equally.
 */
export function judgeCall(c: JudgeCase, answer: string, config: AdaptGaugeJudgeConfig | undefined): ModelCall {
  return {
    kind: 'needs-model',
    role: 'judge',
    request: {
      messages: judgeMessages(c, answer),
      temperature: config?.temperature ?? 0,
      ...(config?.maxOutputTokens !== undefined && { maxOutputTokens: config.maxOutputTokens }),
    },
    finish: (reply) => {
      const value = parseVerdict(reply.text);
      if (value === null) {
        const tail = reply.text.trim().split(/\r?\n/).at(-1)?.slice(0, 120) ?? '';
        const why = reply.finishReason === 'length' ? ' (the verdict was cut off at the output token limit)' : '';
        throw new Error(`no 0-10 score on the verdict's last line${why}: "${tail}"`);
      }
      return {
        score: value / 10,
        details: {
          scoringMethod: 'llm_judge',
          judge: reply.provider,
          judgeScore: value,
          judgeTokensIn: reply.tokensIn,
          judgeTokensOut: reply.tokensOut,
        },
      };
    },
  };
}

/**
 * What createAdaptGaugeTask needs to know about the judge: whether one will answer. Tasks neither
 * resolve nor hold providers: the runner resolves the judge (resolveAdaptGaugeJudge, runner/judge.ts)
 * and makes the calls judgeCall describes.
 */
export interface AdaptGaugeDeps {
  /** The judge's provider id when it can run (the runner holds the provider); null or absent: no judge. */
  judge?: string | null;
  /** Why a judge named in the experiment cannot run (e.g. its key is missing), for the notice. */
  judgeUnavailable?: string;
}
