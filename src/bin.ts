#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { main } from './cli.js';

main(hideBin(process.argv)).then((code) => {
  process.exitCode = code;
});
