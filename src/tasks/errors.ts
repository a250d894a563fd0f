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

/**
 * A prompt template that cannot be used (tasks/templates.ts): a syntax error, an unknown variable, a
 * forbidden tag. Printed as `file:line:col: message`, exit 2, before any call is made.
 */
export class TemplateError extends TaskDataError {
  constructor(
    file: string,
    line: number,
    readonly column: number,
    reason: string,
  ) {
    super(file, line, reason);
    this.message = `${file}:${line}:${column}: ${reason}`;
    this.name = 'TemplateError';
  }
}
