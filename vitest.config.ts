import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The end-to-end tests spawn the built CLI; give them room on a 2-core CI machine.
    testTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: '.fewshot/test-report.json' }]],
  },
});
