import { defineConfig } from 'vitest/config';

/** `npm run test:crash`: the tests that kill the host process mid-run (minutes, so not in every `npm test`). */
export default defineConfig({
  test: {
    include: ['test/crash/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
