/**
 * The report's charts. The figures live in ./charts/ (one module per chart): typed Vega-Lite specs,
 * compiled to Vega in Node, rendered to static SVG with vega's headless view and vega-interpreter.
 */
export {
  buildReportCharts,
  compileChart,
  renderChartSvg,
  writeChartFiles,
  type ChartOptions,
  type ChartSection,
  type ReportChart,
  type VgSpec,
} from './charts/index.js';
