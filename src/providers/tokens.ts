/**
 * A rough token count (about four characters a token for English text).
 * Used only where no provider reports real usage: the local baseline and plan estimates.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
