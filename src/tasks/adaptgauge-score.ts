/**
 * AdaptGauge's text scoring methods, mapped to fewshot scores in [0, 1].
 *
 * exact_match and contains compare normalized text the way AdaptGauge does (markdown stripped,
 * NFKC, lower case, whitespace collapsed), so a sweep and an imported AdaptGauge run score the
 * same answer alike. f1 is the standard token F1 (SQuAD style: word tokens without punctuation, counted
 * with multiplicity); AdaptGauge's own f1 splits on whitespace only, keeps punctuation on tokens and
 * credits substrings, so its f1 numbers are not identical to these.
 */
import { f1OfTokens, type F1Result } from './scoring.js';

/** Markdown a model wraps answers in: fences (content kept), inline code ticks, bullets, list numbers. */
function stripMarkdown(text: string): string {
  return text
    .replace(/```[\w-]*\n?([\s\S]*?)```/g, '$1')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/^[ \t]*[-*\u2022][ \t]+/gm, '')
    .replace(/^[ \t]*\d+\.[ \t]+/gm, '');
}

/** The comparison form of an answer or an expected output. */
export function normalizeAnswer(text: string): string {
  return stripMarkdown(text).normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

export function exactMatch(expected: string, answer: string): boolean {
  return normalizeAnswer(expected) === normalizeAnswer(answer);
}

export function containsExpected(expected: string, answer: string): boolean {
  return normalizeAnswer(answer).includes(normalizeAnswer(expected));
}

// Scripts written without spaces: each character is a token (a word segmenter would be better,
// but characters keep partial credit meaningful without one).
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;
const TOKEN = /[\p{L}\p{N}\p{M}]+/gu;

/** Word tokens of normalized text: runs of letters and digits, one token per character in unspaced scripts. */
export function tokens(text: string): string[] {
  const out: string[] = [];
  for (const run of normalizeAnswer(text).match(TOKEN) ?? []) {
    if (!UNSPACED.test(run)) {
      out.push(run);
      continue;
    }
    let word = '';
    for (const ch of run) {
      if (UNSPACED.test(ch)) {
        if (word) out.push(word);
        word = '';
        out.push(ch);
      } else {
        word += ch;
      }
    }
    if (word) out.push(word);
  }
  return out;
}

/** Token F1 with multiplicity. Empty on either side scores 0 (an empty answer earns nothing). */
export function tokenF1(expected: string, answer: string): F1Result {
  const want = tokens(expected);
  const got = tokens(answer);
  if (want.length === 0 || got.length === 0) return { f1: 0, precision: 0, recall: 0 };
  return f1OfTokens(want, got);
}

/** Jaccard similarity of the two texts' token sets (0 when both are empty). */
export function jaccard(a: string, b: string): number {
  const sa = new Set(tokens(a));
  const sb = new Set(tokens(b));
  if (sa.size === 0 && sb.size === 0) return 0;
  let shared = 0;
  for (const t of sa) if (sb.has(t)) shared++;
  return shared / (sa.size + sb.size - shared);
}
