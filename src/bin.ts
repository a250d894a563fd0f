#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { main } from './cli.js';

// An error thrown outside every call the CLI awaits (a scorer module's timer, a promise it left
// unhandled) would otherwise print Node's raw stack. Say what it was and where it came from instead;
// trials.jsonl is written line by line, so a rerun resumes from the cache. FEWSHOT_DEBUG=1 shows the stack.
function uncaught(kind: string) {
  return (err: unknown) => {
    const stack = err instanceof Error ? err.stack : undefined;
    if (process.env.FEWSHOT_DEBUG && stack) console.error(`error: ${kind}: ${stack}`);
    else {
      const origin = stack
        ?.split('\n')
        .find((line) => /^\s+at /.test(line))
        ?.trim()
        .replace(/^at /, '');
      console.error(`error: ${kind}: ${err instanceof Error ? err.message : String(err)}${origin ? ` (at ${origin})` : ''}`);
      console.error('fewshot stopped here; a sweep run again resumes (answers already paid for come from the cache)');
    }
    process.exit(1);
  };
}
process.on('uncaughtException', uncaught('uncaught exception'));
process.on('unhandledRejection', uncaught('unhandled promise rejection'));

main(hideBin(process.argv)).then((code) => {
  process.exitCode = code;
});
