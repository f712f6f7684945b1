import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Behavioural tests that open their stores through openTestMemory (and the
 * hostile-input fuzz) run a second time on PostgreSQL (PGlite), as the project "postgres": the same
 * expectations, another engine. Tests of SQLite's own files, indexes and
 * processes run once.
 */
const ON_EVERY_ENGINE = [
  'test/add-and-read.test.ts',
  'test/context-for.test.ts',
  'test/filters.test.ts',
  'test/scope-isolation.test.ts',
  'test/update-delete-history.test.ts',
  'test/versions-and-forget.test.ts',
  'test/isolation-property.test.ts',
  'test/every-export-imports.test.ts',
  'test/infer-add.test.ts',
  'test/concurrency.test.ts',
  'test/hostile-input.test.ts',
  'test/queue.test.ts',
  'test/graph.test.ts',
  'test/graph-search.test.ts',
  'test/search-neighbours.test.ts',
  'test/search-time.test.ts',
  'test/search-sources.test.ts',
  // The local page over each engine: scopes, scoped export, sources and forget go through the storage contract.
  'test/ui-page.test.ts',
  // A store's policy is kept in the store and read by every process working it.
  'test/policy.test.ts',
  'test/policy-scopes.test.ts',
  // Expiry is a rule of every read on every engine.
  'test/expiry.test.ts',
  // A memory's last use is kept by the storage contract.
  'test/memory-use.test.ts',
];

export default defineConfig({
  resolve: {
    // Examples and tests import the package by name, as users do.
    alias: [
      { find: /^engram-memory$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
      // The integrations' subpaths (package.json exports), from source.
      { find: /^engram-memory\/(ai-sdk|langchain)$/, replacement: fileURLToPath(new URL('./src/integrations/$1.ts', import.meta.url)) },
    ],
  },
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default leaves one core free: on a 2-core machine that is one test file at a time, while
    // many files mostly wait on child processes, sockets and disk. Two at least.
    poolOptions: { forks: { minForks: 1, maxForks: Math.max(2, availableParallelism()) } },
    projects: [
      { extends: true, test: { name: 'main', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        // PGlite (PostgreSQL in WASM) opens a store in seconds, not milliseconds, when the machine is loaded: CI once
        // took over 30 s for a case opening six stores.
        test: {
          name: 'postgres',
          include: ON_EVERY_ENGINE,
          env: { ENGRAM_TEST_ENGINE: 'postgres' },
          setupFiles: ['test/support/postgres-setup.ts'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
