import { defineConfig } from 'vitest/config';

/** `npm run test:crash`: the tests that kill the host process mid-run (minutes, so not in every `npm test`). */
export default defineConfig({
  test: {
    include: ['test/crash/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Each file brings its own Azurite, simulator and host on ports of its own, and spends most of its time waiting
    // on leases and kills: four side by side (Vitest's default on two cores is one). With all seven at once the
    // replication file's re-enumeration through two crashes once rewrote an unchanged group: a defect still open.
    maxWorkers: 4,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
