/**
 * A small English stopword list: function words that carry no topic and would otherwise make
 * every example look lexically close to every item. Kept short on purpose ("how", "why", "not"
 * and numbers stay, since they change what a question asks).
 */
export const STOPWORDS: ReadonlySet<string> = new Set([
  'a',
  'an',
  'and',
  'are',
  'as',
  'at',
  'be',
  'been',
  'but',
  'by',
  'can',
  'could',
  'did',
  'do',
  'does',
  'for',
  'from',
  'had',
  'has',
  'have',
  'he',
  'her',
  'his',
  'i',
  'if',
  'in',
  'into',
  'is',
  'it',
  'its',
  'me',
  'my',
  'of',
  'on',
  'or',
  'our',
  'she',
  'so',
  'than',
  'that',
  'the',
  'their',
  'them',
  'then',
  'there',
  'these',
  'they',
  'this',
  'those',
  'to',
  'us',
  'was',
  'we',
  'were',
  'will',
  'with',
  'would',
  'you',
  'your',
]);

/** Runs of anything that is not a letter, combining mark or digit, in any script. */
const SEPARATORS = /[^\p{L}\p{M}\p{N}]+/u;

/**
 * Lower-cased words of a text for lexical similarity: split on everything that is not a letter
 * (with its combining marks) or a digit, Unicode-aware, stopwords dropped. Repeats are kept
 * (BM25 counts term frequency).
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const word of text.toLowerCase().split(SEPARATORS)) {
    if (word !== '' && !STOPWORDS.has(word)) out.push(word);
  }
  return out;
}
