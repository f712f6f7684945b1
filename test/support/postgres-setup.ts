import { beforeAll } from 'vitest';
import { warmPglite } from './postgres.js';

// Starting PGlite takes seconds (more on a busy machine): once per test file, before its tests' time limits start.
beforeAll(async () => {
  await warmPglite();
});
