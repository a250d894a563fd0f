export * from './chart.js';
export * from './html.js';
export * from './markdown.js';
export * from './write.js';
export * from './verdict.js';
