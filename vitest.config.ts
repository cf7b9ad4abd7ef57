import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/helpers/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: each file may hold an embedded Postgres; more workers only thrash.
    maxWorkers: 2,
    pool: 'forks',
  },
});
