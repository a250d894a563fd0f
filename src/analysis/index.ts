export * from './outcome.js';
export * from './stats.js';
export * from './summarize.js';
export * from './summary.js';
// What compare, report and the app use besides: compare reaches the analysis through this file only.
export { TrialAccumulator, type TrialSource } from './accumulate.js';
export { buildItemMatrices, findCell, type CellItems, type ItemMatrix } from './item-scores.js';
export { analysisOptions, type AnalysisOptions, type AnalysisOverrides } from './options.js';
export { TestFamily } from './test-family.js';
// Prices belong to config (the experiment's `prices:`, data/prices.json); the analysis costs cells with
// them, and hands them on to report and compare, which do not import config.
export { costPerRequest, loadPriceTable, resolvePrice, type PriceOverrides, type PriceTable, type ResolvedPrice } from '../config/prices.js';
