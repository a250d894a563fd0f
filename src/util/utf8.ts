/**
 * Where a buffer stops being UTF-8, by line, so that a file's error can point at the line to fix
 * (datasets, prompt templates, imported CSVs).
 */

export interface InvalidUtf8 {
  /** 1-based line, or null when no single line holds the fault. */
  line: number | null;
  /** 1-based byte within the line, and its value. */
  byteInLine: number;
  value: number;
}

/** The first invalid byte of `buffer`, or null when it is all UTF-8. */
export function firstInvalidUtf8(buffer: Uint8Array): InvalidUtf8 | null {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buffer);
    return null;
  } catch {
    // Located below.
  }
  // A line break (0x0A) is never part of a multi-byte UTF-8 sequence, so lines can be checked alone.
  let start = 0;
  for (let line = 1; start <= buffer.length; line++) {
    const newline = buffer.indexOf(0x0a, start);
    const end = newline === -1 ? buffer.length : newline;
    const bytes = buffer.subarray(start, end);
    const at = firstInvalidByte(bytes);
    if (at !== null) return { line, byteInLine: at + 1, value: bytes[at]! };
    if (newline === -1) break;
    start = newline + 1;
  }
  // The decoder failed but no line did (cannot happen with line-local sequences).
  return { line: null, byteInLine: 0, value: 0 };
}

function firstInvalidByte(bytes: Uint8Array): number | null {
  // stream: true accepts a sequence cut off at the end, so only an error inside the first n bytes throws.
  const decodes = (n: number, stream: boolean) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream });
      return true;
    } catch {
      return false;
    }
  };
  if (decodes(bytes.length, false)) return null;
  // The longest prefix that decodes (up to a cut-off sequence at its end): the error is at byte `lo`.
  let lo = 0;
  let hi = bytes.length + 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (decodes(mid, true)) lo = mid;
    else hi = mid;
  }
  // When the prefix ends inside a multi-byte sequence, the bad sequence starts at its lead byte.
  for (let i = lo - 1; i >= Math.max(0, lo - 3); i--) {
    const b = bytes[i]!;
    if (b < 0x80) break;
    if (b >= 0xc0) {
      const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      if (i + length > lo) return i;
      break;
    }
  }
  return Math.min(lo, bytes.length - 1);
}
