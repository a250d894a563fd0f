import { CsvError, parse } from 'csv-parse/sync';

/** One CSV record and the line it starts on (1-based). */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * Parses CSV (quoted fields may span lines; blank lines are skipped) into records with the line each
 * starts on, for error messages that point at the right place. csv-parse's own `info.lines` is the
 * line a record ends on (and miscounts CRLF inside quotes), so start lines are counted here from the
 * records' byte offsets. `fail` turns a syntax error at a line into the caller's error type.
 */
export function parseCsvRecords(buffer: Buffer, fail: (line: number | null, reason: string) => Error): CsvRecord[] {
  let parsed: { record: string[]; info: { bytes: number } }[];
  try {
    // The types do not model `info: true`, which wraps each record as { record, info }.
    parsed = parse(buffer, { bom: true, info: true, skip_empty_lines: true }) as unknown as typeof parsed;
  } catch (e) {
    if (e instanceof CsvError) throw fail(typeof e.lines === 'number' ? e.lines : null, `not valid CSV: ${e.message}`);
    throw e;
  }
  const out: CsvRecord[] = [];
  let pos = buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
  let line = 1;
  const breakAt = (i: number) => buffer[i] === 0x0a || (buffer[i] === 0x0d && buffer[i + 1] !== 0x0a);
  for (const { record, info } of parsed) {
    // Blank lines skipped before this record.
    while (pos < info.bytes && (buffer[pos] === 0x0a || buffer[pos] === 0x0d)) {
      if (breakAt(pos)) line++;
      pos++;
    }
    out.push({ fields: record, line });
    for (; pos < info.bytes; pos++) if (breakAt(pos)) line++;
  }
  return out;
}
