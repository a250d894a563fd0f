// Renders a report chart the way report.html does (the CSP-safe interpreter, headless), keeping vega's
// errors and warnings, for the chart tests.
import type { ReportChart } from '../src/report/chart.js';
import { headlessView, type ViewLogger } from '../src/report/charts/index.js';

export async function renderWithMessages(chart: ReportChart) {
  const messages: string[] = [];
  const keep = (...args: readonly unknown[]) => {
    messages.push(args.map(String).join(' '));
    return logger;
  };
  const logger = { level: () => logger, error: keep, warn: keep, info: () => logger, debug: () => logger } as unknown as ViewLogger;
  const view = headlessView(chart.vega, logger);
  await view.runAsync();
  return { view, svg: await view.toSVG(), messages };
}
