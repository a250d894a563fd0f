export { importAdaptGauge, formatImportResult, type ImportedRun, type ImportOptions, type ImportResult } from './adaptgauge.js';
export { ImportError } from './import-error.js';
