/**
 * Input that `fewshot compare` (or `sweep --baseline`) cannot use: an unknown path, a folder that is
 * not a run, an unreadable or malformed run.json or trials.jsonl, two runs of different experiments,
 * or runs with no cell in common. The message names the path (and the line, for trials.jsonl); the
 * CLI prints it and exits 2.
 */
export class CompareError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompareError';
  }
}
