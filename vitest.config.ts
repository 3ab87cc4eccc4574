import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: more workers than that only makes the concurrency tests slower, not faster.
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'api', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/pages/**'], sequence: { groupOrder: 0 } } },
      // Page tests drive Chromium, which is heavy on two cores: they run after everything else, one file at a time.
      { extends: true, test: { name: 'pages', include: ['test/pages/**/*.test.ts'], sequence: { groupOrder: 1 }, maxWorkers: 1 } },
    ],
  },
});
