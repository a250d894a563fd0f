export * from './outcome.js';
export * from './stats.js';
export * from './summarize.js';
export * from './summary.js';
