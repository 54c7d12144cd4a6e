import { defineConfig } from 'vitest/config';

/** `npm run test:crash`: the tests that kill the host process mid-run (minutes, so not in every `npm test`). */
export default defineConfig({
  test: {
    include: ['test/crash/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One file at a time. Side by side (four or seven at once on two cores) the replication file's feed invariant
    // failed twice, in two different tests: a defect under load that is still open. Each file has its own Azurite,
    // simulator and host on ports of its own, so raise this once it is found.
    maxWorkers: 1,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
