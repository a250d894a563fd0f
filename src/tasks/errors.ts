/**
 * Bad task data (a dataset file, a task pack): the CLI prints it as `file:line: message` and exits 2,
 * before any call is made.
 */
export class TaskDataError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly reason: string,
  ) {
    super(`${file}${line !== null ? `:${line}` : ''}: ${reason}`);
    this.name = 'TaskDataError';
  }
}
