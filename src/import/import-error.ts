/** A file that cannot be imported as written: which file, which line (1-based, when known), and why. */
export class ImportError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly reason: string,
  ) {
    super(line === null ? `${file}: ${reason}` : `${file}:${line}: ${reason}`);
    this.name = 'ImportError';
  }
}
