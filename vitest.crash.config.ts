import { defineConfig } from 'vitest/config';

/** `npm run test:crash`: the tests that kill the host process mid-run (minutes, so not in every `npm test`). */
export default defineConfig({
  test: {
    include: ['test/crash/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Each file has its own Azurite, simulator and host on ports of its own, so files run side by side, three at a
    // time; they mostly wait (leases ending, hosts starting). The replication file (the longest, and the one that
    // found a planner defect under load, since fixed) runs among them; without a timing cache the largest files
    // start first, so it does.
    maxWorkers: 3,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
