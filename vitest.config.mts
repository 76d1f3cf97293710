import { defineConfig } from 'vitest/config';
import { specGlob, TIERS } from './test/tiers.mjs';

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: integration files share the servers; more parallelism only adds contention.
    maxWorkers: 2,
    // One project per tier (test/tiers.ts): `vitest run` runs them all, `--project unit` one of them.
    // Only tiers that need the shared Temporal and MongoDB servers get the setup that starts them.
    projects: TIERS.map((tier) => ({
      extends: true,
      test: {
        name: tier.project,
        include: [specGlob(tier)],
        // Unit files hold no server or process state, so each worker keeps one module cache for all
        // its files instead of importing the code again for every file (about half the tier's time).
        ...(tier.project === 'unit' && { isolate: false }),
        ...(tier.servers.length > 0 && { globalSetup: ['test/global-setup.ts'] }),
      },
    })),
  },
});
