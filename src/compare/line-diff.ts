import { structuredPatch } from 'diff';

/**
 * A unified diff of two texts (`---`/`+++` headers, `@@ -a,n +b,m @@` hunks with `context` lines
 * around each change), as GNU `diff -u` prints it; an empty array when they are equal. The diff
 * itself is jsdiff's (`diff`), a well-kept library; this only renders its hunks as lines.
 */
export function unifiedDiff(aText: string, bText: string, options: { aName?: string; bName?: string; context?: number } = {}): string[] {
  if (aText === bText) return [];
  const patch = structuredPatch(options.aName ?? 'a', options.bName ?? 'b', withFinalNewline(aText), withFinalNewline(bText), '', '', {
    context: options.context ?? 3,
  });
  const lines = [`--- ${patch.oldFileName}`, `+++ ${patch.newFileName}`];
  for (const hunk of patch.hunks) {
    lines.push(`@@ -${range(hunk.oldStart, hunk.oldLines)} +${range(hunk.newStart, hunk.newLines)} @@`);
    lines.push(...hunk.lines.filter((l) => !l.startsWith('\\')));
  }
  return lines;
}

/** GNU's range: `start` alone for one line; an empty side names the line before it (`0,0` at the top). */
function range(start: number, length: number): string {
  if (length === 0) return `${Math.max(0, start - 1)},0`;
  return length === 1 ? `${start}` : `${start},${length}`;
}

/** Both sides end with a newline (or are empty), so no "\ No newline at end of file" marker is needed. */
function withFinalNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text.replace(/\r\n/g, '\n') : `${text.replace(/\r\n/g, '\n')}\n`;
}
