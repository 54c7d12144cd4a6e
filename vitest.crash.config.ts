import { defineConfig } from 'vitest/config';

/** `npm run test:crash`: the tests that kill the host process mid-run (minutes, so not in every `npm test`). */
export default defineConfig({
  test: {
    include: ['test/crash/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Each file brings its own Azurite, simulator and host on ports of its own, and spends its time waiting on
    // leases and kills, not on the CPU: all of them side by side (Vitest's default is one less than the cores).
    maxWorkers: 7,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
