import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Examples and tests import the package by name, as users do.
    alias: { 'engram-memory': fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default leaves one core free: on a 2-core machine that is one test file at a time, while
    // many files mostly wait on child processes, sockets and disk. Two at least.
    poolOptions: { forks: { minForks: 1, maxForks: Math.max(2, availableParallelism()) } },
  },
});
