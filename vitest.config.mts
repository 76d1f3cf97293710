import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.spec.ts'],
    // Starts the real Temporal dev server and MongoDB once for the whole run (see test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: integration files share the servers; more parallelism only adds contention.
    maxWorkers: 2,
  },
});
