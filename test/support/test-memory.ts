import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { Memory, TransformersEmbedder, type MemoryOptions } from 'engram-memory';
import { freshPglite, freshPostgresStorage } from './postgres.js';

/** The generated test embedding model (scripts/make-test-models.ts). */
export const TEST_EMBEDDING_MODEL = fileURLToPath(new URL('../../models/test/embedding', import.meta.url));

/** The generated test cross-encoder, random weights (scripts/make-test-models.ts). */
export const TEST_RERANKER_MODEL = fileURLToPath(new URL('../../models/test/reranker', import.meta.url));

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh folder removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'engram-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A path for a database file that does not exist yet, removed after the test. */
export function tempDbPath(): string {
  return join(tempDir(), 'memory.db');
}

let shared: TransformersEmbedder | undefined;
/** One loaded generated embedder per test process: loading the model for every test is most of a test's time. */
export function testEmbedder(): TransformersEmbedder {
  shared ??= new TransformersEmbedder({ model: TEST_EMBEDDING_MODEL });
  return shared;
}

/** The engine behavioural tests run on: ENGRAM_TEST_ENGINE=postgres (the vitest project "postgres") or SQLite. */
export const TEST_ENGINE = process.env.ENGRAM_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';

/**
 * Opens a Memory with the generated embedder on a fresh store of the test
 * engine: a temp SQLite file, or a fresh PGlite database; closed after the
 * test. A test that gives `path` gets exactly that (SQLite) store.
 */
export async function openTestMemory(options: Partial<MemoryOptions> = {}): Promise<Memory> {
  const where: Partial<MemoryOptions> =
    options.path !== undefined || options.storage !== undefined ? {} : TEST_ENGINE === 'postgres' ? { storage: await freshPostgresStorage() } : { path: tempDbPath() };
  const memory = await Memory.open({ embedder: testEmbedder(), ...where, ...options });
  cleanups.push(() => memory.close());
  return memory;
}

/**
 * `count` Memories on one fresh store of the test engine (as several
 * processes would share it); closed after the test. `options` may differ per
 * Memory (a function of its index).
 */
export async function openSharedTestMemories(count: number, options: Partial<MemoryOptions> | ((index: number) => Partial<MemoryOptions>) = {}): Promise<Memory[]> {
  const optionsOf = typeof options === 'function' ? options : () => options;
  const memories: Memory[] = [];
  if (TEST_ENGINE === 'postgres') {
    const db = await freshPglite();
    for (let i = 0; i < count; i++) memories.push(await openTestMemory({ ...optionsOf(i), storage: await freshPostgresStorage(db) }));
  } else {
    const path = tempDbPath();
    for (let i = 0; i < count; i++) memories.push(await openTestMemory({ ...optionsOf(i), path }));
  }
  return memories;
}

/** Registers a Memory (or any cleanup) to close after the test. */
export function closeAfterTest<T extends Memory | (() => Promise<void> | void)>(what: T): T {
  cleanups.push(typeof what === 'function' ? what : () => what.close());
  return what;
}
